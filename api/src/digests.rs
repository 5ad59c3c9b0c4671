//! The tenant's daily and weekly reports, as the worker generated them (crate `digests`).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::params::Params;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DigestFilters {
    /// `daily` or `weekly`; both when absent.
    kind: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// A report in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestSummary {
    pub id: String,
    /// `daily` or `weekly`.
    pub kind: String,
    /// First instant of the period (local midnight in the tenant's time zone).
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Newest period first; `next_cursor` is null on the last page. The same envelope as every list of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestPage {
    pub data: Vec<DigestSummary>,
    pub next_cursor: Option<String>,
}

/// One delivery of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestDelivery {
    /// `email` or `webhook`.
    pub channel: String,
    /// `pending` (waiting or retrying), `sent` or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A whole report: its Markdown, the figures it was made from, and its deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Digest {
    pub id: String,
    pub kind: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// The tenant's time zone the period was cut in.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub markdown: String,
    /// `{"current": FIGURES, "previous": FIGURES}` as the report saw them.
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
    pub deliveries: Vec<DigestDelivery>,
}

fn encode_cursor(start: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", start.timestamp_micros()))
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let (micros, id) = raw.split_once(':')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

/// `GET /api/v1/reports/digests`.
#[utoipa::path(get, path = "/api/v1/reports/digests", tag = "reports", params(DigestFilters),
    responses((status = 200, body = DigestPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<DigestPage>> {
    let kind = params
        .one_of("kind", &["daily", "weekly"])?
        .and_then(digests::Kind::parse);
    let limit = params.limit()?;
    let before = params
        .str("cursor")
        .map(|c| {
            decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave"))
        })
        .transpose()?;
    let client = state.infra.pool.get().await?;
    let mut rows = digests::store::list(&**client, &caller.tenant, kind, before, limit + 1).await?;
    let next_cursor = if rows.len() > usize::try_from(limit).unwrap_or(0) {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last().map(|d| encode_cursor(d.period_start, d.id))
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(|d| DigestSummary {
            id: d.id.to_string(),
            kind: d.kind.as_str().into(),
            period_start: d.period_start,
            period_end: d.period_end,
            created_at: d.created_at,
        })
        .collect();
    Ok(Json(DigestPage { data, next_cursor }))
}

/// `GET /api/v1/reports/digests/{id}`: JSON, or the Markdown itself with `Accept: text/markdown`.
#[utoipa::path(get, path = "/api/v1/reports/digests/{id}", tag = "reports",
    params(("id" = String, Path, description = "The report's id (a UUID)")),
    responses(
        (status = 200, body = Digest, content_type = "application/json"),
        (status = 200, body = String, content_type = "text/markdown"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id: Uuid = id
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("`{id}` is not a report id (a UUID)")))?;
    let client = state.infra.pool.get().await?;
    let d = digests::store::get(&**client, &caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("report".into()))?;
    let wants_markdown = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/markdown"));
    if wants_markdown {
        return Ok((
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            d.markdown,
        )
            .into_response());
    }
    Ok(Json(Digest {
        id: d.id.to_string(),
        kind: d.kind.as_str().into(),
        period_start: d.period_start,
        period_end: d.period_end,
        timezone: d.timezone,
        created_at: d.created_at,
        markdown: d.markdown,
        figures: d.figures,
        deliveries: d
            .deliveries
            .into_iter()
            .map(|x| DigestDelivery {
                channel: x.channel,
                status: x.status,
                attempts: x.attempts,
                last_error: x.last_error,
                delivered_at: x.delivered_at,
            })
            .collect(),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = DateTime::from_timestamp(1_772_578_800, 0).expect("instant");
        let id = Uuid::new_v4();
        assert_eq!(decode_cursor(&encode_cursor(at, id)), Some((at, id)));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}

//! The webhook audit trail: every webhook the ingress accepted or refused (copied from the activity stream
//! into `webhook_audit` by the worker), joined with the worker's ledger for what became of it.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::conversations::page_end;
use crate::error::{ApiResult, ErrorBody};
use crate::model::{WebhookPage, WebhookRecord};
use crate::params::{Cursor, Params};
use crate::sql::Sql;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WebhookFilters {
    /// Chatwoot's event name (message_created, conversation_updated, ...).
    event: Option<String>,
    /// The HTTP status the ingress answered (202, 401, ...).
    #[param(minimum = 100, maximum = 599)]
    status: Option<i64>,
    duplicate: Option<bool>,
    delivery_id: Option<String>,
    /// Received at or after (RFC 3339).
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Received before (RFC 3339).
    until: Option<chrono::DateTime<chrono::Utc>>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/webhooks`, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(WebhookFilters),
    responses((status = 200, body = WebhookPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<WebhookPage>> {
    let limit = params.limit()?;
    let cursor = params.cursor()?;
    let mut sql = Sql::new(
        "SELECT w.activity_seq, w.event, w.delivery_id, w.event_key, w.duplicate, w.status, w.reason,
                w.received_at, e.outcome, e.processed_at
         FROM webhook_audit w LEFT JOIN processed_events e ON e.event_key = w.event_key
         WHERE w.tenant = ",
    );
    let tenant = sql.param(caller.tenant.clone());
    sql.push(&tenant);
    for (name, column) in [("event", "event"), ("delivery_id", "delivery_id")] {
        if let Some(value) = params.text(name, 200)? {
            let p = sql.param(value.to_owned());
            sql.push(&format!(" AND w.{column} = {p}"));
        }
    }
    if let Some(status) = params.id("status")? {
        if !(100..=599).contains(&status) {
            return Err(crate::error::ApiError::invalid(
                "status",
                "an HTTP status, 100-599",
            ));
        }
        let p = sql.param(i32::try_from(status).unwrap_or(0));
        sql.push(&format!(" AND w.status = {p}"));
    }
    if let Some(duplicate) = params.bool("duplicate")? {
        let p = sql.param(duplicate);
        sql.push(&format!(" AND w.duplicate = {p}"));
    }
    if let Some(since) = params.time("since")? {
        let p = sql.param(since);
        sql.push(&format!(" AND w.received_at >= {p}"));
    }
    if let Some(until) = params.time("until")? {
        let p = sql.param(until);
        sql.push(&format!(" AND w.received_at < {p}"));
    }
    if let Some(cursor) = cursor {
        let at = sql.param(cursor.at());
        let seq = sql.param(cursor.id);
        sql.push(&format!(
            " AND w.received_at <= {at} AND (w.received_at < {at} OR w.activity_seq < {seq})"
        ));
    }
    let n = sql.param(limit + 1);
    sql.push(&format!(
        " ORDER BY w.received_at DESC, w.activity_seq DESC LIMIT {n}"
    ));
    let client = state.infra.pool.get().await?;
    let rows = sql.query(&client).await?;
    let mut data: Vec<WebhookRecord> = rows
        .iter()
        .map(|row| WebhookRecord {
            seq: row.get(0),
            event: row.get(1),
            delivery_id: row.get(2),
            event_key: row.get(3),
            duplicate: row.get(4),
            status: row.get(5),
            reason: row.get(6),
            received_at: row.get(7),
            outcome: row.get(8),
            processed_at: row.get(9),
        })
        .collect();
    let next_cursor = page_end(&mut data, limit, |w| {
        Cursor::new(Some(w.received_at), w.seq)
    });
    Ok(Json(WebhookPage { data, next_cursor }))
}

//! `/api/v1/reports/*`: support figures computed by the `reports` crate from the rollups the worker keeps in
//! PostgreSQL (crate `analytics`). Every read is O(hours × groups) rows, whatever the number of conversations.

use analytics::reports::Rollup;
use analytics::reports::{Dimension, Granularity, Group, Volume};
use analytics::view::{self, Period, Series};
use analytics::Counters;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::params::Params;
use crate::AppState;

use analytics::csv;

/// The longest period one request may cover (with the previous period, two of them are read).
const MAX_DAYS: i64 = 400;
/// The most points a time series may have.
const MAX_POINTS: i64 = 5000;

impl From<analytics::AnalyticsError> for ApiError {
    fn from(error: analytics::AnalyticsError) -> Self {
        match error {
            analytics::AnalyticsError::Postgres(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Common {
    /// Start (RFC 3339); default: `until` minus 7 days.
    since: Option<chrono::DateTime<Utc>>,
    /// End, excluded (RFC 3339); default: now.
    until: Option<chrono::DateTime<Utc>>,
    /// Durations in business-hours seconds (the tenant's rules' `[settings]`) rather than wall-clock ones.
    business_hours: Option<bool>,
    /// `account` (default), `agent:ID`, `team:ID`, `inbox:ID` or `channel:TYPE` (e.g. `channel:Channel::Email`).
    group: Option<String>,
    /// `csv` answers `text/csv` (summary, timeseries, breakdown, peak-hours).
    format: Option<String>,
}

struct Request {
    tenant: String,
    period: Period,
    business_hours: bool,
    group: Group,
    csv: bool,
}

fn request(caller: &Caller, params: &Params) -> ApiResult<Request> {
    let until = params.time("until")?.unwrap_or_else(Utc::now);
    let since = params.time("since")?.unwrap_or(until - Duration::days(7));
    if since >= until {
        return Err(ApiError::invalid("since", "must be before `until`"));
    }
    if until - since > Duration::days(MAX_DAYS) {
        return Err(ApiError::invalid(
            "since",
            format!("the period is longer than {MAX_DAYS} days"),
        ));
    }
    let group = match params.text("group", 200)? {
        Some(g) => g.parse().map_err(|e: analytics::reports::GroupError| {
            ApiError::invalid("group", e.to_string())
        })?,
        None => Group::Account,
    };
    Ok(Request {
        tenant: caller.tenant.clone(),
        period: Period { since, until },
        business_hours: params.bool("business_hours")?.unwrap_or(false),
        group,
        csv: params.one_of("format", &["json", "csv"])? == Some("csv"),
    })
}

/// The rollup and counters over the period and the one before it.
async fn load(
    state: &AppState,
    r: &Request,
    dimensions: &[Dimension],
) -> ApiResult<(Rollup, Counters)> {
    let client = state.infra.pool.get().await?;
    let from = r.period.previous().since;
    let mut wanted = dimensions.to_vec();
    wanted.push(r.group.dimension());
    let (rollup, counters) = futures::try_join!(
        analytics::load_rollup(&client, &r.tenant, from, r.period.until, &wanted),
        analytics::load_counters(&client, &r.tenant, from, r.period.until),
    )?;
    Ok((rollup, counters))
}

fn answer<T: serde::Serialize>(body: T, csv: Option<(String, &str)>) -> Response {
    match csv {
        Some((text, name)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            text,
        )
            .into_response(),
        None => Json(body).into_response(),
    }
}

/// `GET /api/v1/reports/summary`: the period's figures and the previous period's, like Chatwoot's v2 summary.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(Common),
    responses((status = 200, body = view::SummaryView, description = "JSON, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let r = request(&caller, &params)?;
    let (rollup, counters) = load(&state, &r, &[]).await?;
    let body = view::summary(
        &r.tenant,
        &rollup,
        &counters,
        &r.group,
        r.period,
        r.business_hours,
    );
    let csv = r.csv.then(|| (csv::summary(&body), "summary"));
    Ok(answer(body, csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TimeseriesParams {
    /// conversations, incoming_messages, outgoing_messages, resolutions, first_response, reply_time,
    /// resolution_time, csat_score, bot_handoffs or drafts.
    metric: String,
    /// hour, day (default) or week; periods start on the tenant's local hours, days and Mondays.
    granularity: Option<String>,
    /// count, avg, p50, p90, p95 or p99 (durations); default count for counts, p50 for durations.
    stat: Option<String>,
}

/// `GET /api/v1/reports/timeseries`: one value per period, every period present.
#[utoipa::path(get, path = "/api/v1/reports/timeseries", tag = "reports", params(Common, TimeseriesParams),
    responses((status = 200, body = view::TimeseriesView, description = "JSON, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn timeseries(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let r = request(&caller, &params)?;
    let metric = params
        .one_of("metric", &view::METRICS)?
        .ok_or_else(|| ApiError::invalid("metric", "required"))?;
    let stat = params
        .one_of("stat", &view::STATS)?
        .unwrap_or(view::default_stat(metric));
    let (granularity, hours) = match params.one_of("granularity", &["hour", "day", "week"])? {
        Some("hour") => (Granularity::Hour, 1),
        Some("week") => (Granularity::Week, 168),
        _ => (Granularity::Day, 24),
    };
    if (r.period.until - r.period.since).num_hours() / hours > MAX_POINTS {
        return Err(ApiError::invalid(
            "granularity",
            format!(
                "more than {MAX_POINTS} points: choose a coarser granularity or a shorter period"
            ),
        ));
    }
    let (rollup, counters) = load(&state, &r, &[]).await?;
    let series = Series {
        metric,
        stat,
        granularity,
        business_hours: r.business_hours,
    };
    let body = view::timeseries(&rollup, &counters, &r.group, r.period, series);
    let csv = r.csv.then(|| (csv::timeseries(&body), "timeseries"));
    Ok(answer(body, csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct BreakdownParams {
    /// agent, team, inbox or channel.
    dimension: String,
}

/// `GET /api/v1/reports/breakdown`: the figures of every agent, team, inbox or channel.
#[utoipa::path(get, path = "/api/v1/reports/breakdown", tag = "reports", params(Common, BreakdownParams),
    responses((status = 200, body = view::BreakdownView, description = "JSON, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn breakdown(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let r = request(&caller, &params)?;
    let dimension = params
        .one_of("dimension", &["agent", "team", "inbox", "channel"])?
        .and_then(Dimension::parse)
        .ok_or_else(|| ApiError::invalid("dimension", "required: agent, team, inbox or channel"))?;
    let (rollup, counters) = load(&state, &r, &[dimension]).await?;
    let body = view::breakdown(&rollup, &counters, dimension, r.period, r.business_hours);
    let csv = r.csv.then(|| (csv::breakdown(&body), "breakdown"));
    Ok(answer(body, csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PeakParams {
    /// conversations (default), incoming_messages or outgoing_messages.
    volume: Option<String>,
}

/// `GET /api/v1/reports/peak-hours`: volume by local weekday × hour.
#[utoipa::path(get, path = "/api/v1/reports/peak-hours", tag = "reports", params(Common, PeakParams),
    responses((status = 200, body = view::PeakHoursView, description = "JSON, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn peak_hours(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    let r = request(&caller, &params)?;
    let volume = match params.one_of(
        "volume",
        &["conversations", "incoming_messages", "outgoing_messages"],
    )? {
        Some("incoming_messages") => Volume::IncomingMessages,
        Some("outgoing_messages") => Volume::OutgoingMessages,
        _ => Volume::Conversations,
    };
    let (rollup, _) = load(&state, &r, &[]).await?;
    let body = view::peak_hours(&rollup, &r.group, r.period, volume);
    let csv = r.csv.then(|| (csv::peak_hours(&body), "peak-hours"));
    Ok(answer(body, csv))
}

/// `GET /api/v1/reports/top-issues`: triage categories, escalations and labels, with the previous period.
#[utoipa::path(get, path = "/api/v1/reports/top-issues", tag = "reports", params(Common),
    responses((status = 200, body = view::TopIssuesView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn top_issues(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<view::TopIssuesView>> {
    let r = request(&caller, &params)?;
    let client = state.infra.pool.get().await?;
    let counters = analytics::load_counters(
        &client,
        &r.tenant,
        r.period.previous().since,
        r.period.until,
    )
    .await?;
    Ok(Json(view::top_issues(&counters, r.period)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DistributionParams {
    /// first_response, reply_time or resolution_time.
    metric: String,
}

/// `GET /api/v1/reports/distribution`: how many durations fall under fixed edges (60 s ... 1 day).
#[utoipa::path(get, path = "/api/v1/reports/distribution", tag = "reports", params(Common, DistributionParams),
    responses((status = 200, body = view::DistributionView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn distribution(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<view::DistributionView>> {
    let r = request(&caller, &params)?;
    let metric = params.one_of("metric", &view::DURATIONS)?.ok_or_else(|| {
        ApiError::invalid(
            "metric",
            "required: first_response, reply_time or resolution_time",
        )
    })?;
    let client = state.infra.pool.get().await?;
    let rollup = analytics::load_rollup(
        &client,
        &r.tenant,
        r.period.since,
        r.period.until,
        &[r.group.dimension()],
    )
    .await?;
    Ok(Json(view::distribution(
        &rollup,
        &r.group,
        r.period,
        metric,
        r.business_hours,
    )))
}

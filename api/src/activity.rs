//! Activity, read from the JetStream activity stream (never from the database): `GET /api/v1/activity` pages
//! it, and with `Accept: text/event-stream` streams it as server-sent events whose ids are stream sequences,
//! so a reconnect with `Last-Event-ID` resumes exactly after the last record seen.
//!
//! Each request reads through an ephemeral pull consumer with one filter subject,
//! `{prefix}.activity.{tenant}.{conversation or *}.{kind or *}` (NATS 2.9 takes a single filter per consumer).
//! With several kinds asked for, the filter takes every kind and the others are skipped here: one consumer per
//! request keeps the records in stream order, which one consumer per kind would not.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, DeliverPolicy, PullConsumer};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use infra::activity::{Activity, ActivityKind};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::IntoParams;

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::metrics::SseEnd;
use crate::model::{ActivityPage, ActivityRecord, Draft};
use crate::params::Params;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ActivityFilters {
    /// Comma-separated kinds (webhook_received, triaged, draft_created, action_sent, ...).
    kind: Option<String>,
    #[param(minimum = 0)]
    conversation_id: Option<i64>,
    /// Records after this stream sequence (the `seq` of the last one seen).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Same as `after` (the `next_cursor` of the previous page).
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `1`: stream (server-sent events) even without `Accept: text/event-stream`.
    stream: Option<String>,
    /// SSE only (EventSource cannot set headers): the token, instead of `Authorization`.
    access_token: Option<String>,
    /// SSE only: resume after this id, instead of the `Last-Event-ID` header.
    last_event_id: Option<i64>,
}

/// What to read: a tenant's records, optionally of one conversation and some kinds.
#[derive(Debug, Clone)]
pub struct Selection {
    pub tenant: String,
    pub conversation: Option<u64>,
    /// Empty: every kind.
    pub kinds: HashSet<ActivityKind>,
}

impl Selection {
    fn filter(&self, topology: &infra::Topology) -> String {
        let single = (self.kinds.len() == 1)
            .then(|| self.kinds.iter().next().map(|k| k.as_str()))
            .flatten();
        topology.activity_filter(&self.tenant, self.conversation, single)
    }

    fn wants(&self, record: &Activity) -> bool {
        record.tenant == self.tenant && (self.kinds.is_empty() || self.kinds.contains(&record.kind))
    }
}

fn selection(caller: &Caller, params: &Params) -> ApiResult<Selection> {
    let mut kinds = HashSet::new();
    if let Some(list) = params.str("kind") {
        for kind in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            kinds.insert(ActivityKind::parse(kind).ok_or_else(|| {
                ApiError::invalid("kind", format!("`{kind}` is not an activity kind"))
            })?);
        }
    }
    Ok(Selection {
        tenant: caller.tenant.clone(),
        conversation: params.id("conversation_id")?.map(crate::model::to_u64),
        kinds,
    })
}

/// An ephemeral consumer of the selection from `after + 1` (`None`: only records published from now on). It
/// goes away by itself a few seconds after its reader stops pulling.
async fn open(
    state: &AppState,
    selection: &Selection,
    after: Option<u64>,
) -> ApiResult<PullConsumer> {
    let deliver_policy = match after {
        None => DeliverPolicy::New,
        Some(0) => DeliverPolicy::All,
        Some(seq) => DeliverPolicy::ByStartSequence {
            start_sequence: seq.saturating_add(1),
        },
    };
    let stream = state
        .infra
        .jetstream
        .get_stream_no_info(state.infra.topology.activity_stream())
        .await
        .map_err(unavailable)?;
    stream
        .create_consumer(consumer::pull::Config {
            filter_subject: selection.filter(&state.infra.topology),
            deliver_policy,
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(10),
            memory_storage: true,
            num_replicas: 1,
            ..Default::default()
        })
        .await
        .map_err(unavailable)
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    tracing::warn!(%error, "activity stream unavailable");
    ApiError::Unavailable("activity stream unavailable, retry later".into())
}

fn record(message: &async_nats::jetstream::Message) -> Option<(u64, Activity)> {
    let seq = message.info().ok()?.stream_sequence;
    let activity = serde_json::from_slice(&message.payload).ok()?;
    Some((seq, activity))
}

pub fn to_record(seq: u64, activity: Activity) -> ActivityRecord {
    ActivityRecord {
        seq,
        id: activity.id,
        kind: activity.kind.as_str().to_owned(),
        tenant: activity.tenant,
        conversation_id: activity.conversation_id,
        event_key: activity.event_key,
        at_ms: activity.at_ms,
        data: activity.data,
    }
}

/// Reads the selection after `after`: up to `limit` records, examining at most `scan` (records of other kinds
/// included). Returns the records and, unless the end of the stream was reached, where to go on from.
pub async fn read(
    state: &AppState,
    selection: &Selection,
    after: u64,
    limit: usize,
    scan: usize,
) -> ApiResult<(Vec<ActivityRecord>, Option<u64>)> {
    let consumer = open(state, selection, Some(after)).await?;
    let mut pending = consumer.cached_info().num_pending;
    let mut data = Vec::new();
    let mut scanned = 0usize;
    let mut last = after;
    while pending > 0 && data.len() < limit && scanned < scan {
        let batch = (scan - scanned).min(256);
        let mut messages = consumer
            .fetch()
            .max_messages(batch)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .map_err(unavailable)?;
        let mut got = 0;
        while let Some(message) = messages.next().await {
            let message = message.map_err(unavailable)?;
            got += 1;
            scanned += 1;
            pending = message.info().map_or(0, |i| i.pending);
            let Some((seq, activity)) = record(&message) else {
                continue;
            };
            last = seq;
            if selection.wants(&activity) {
                data.push(to_record(seq, activity));
                if data.len() == limit {
                    break;
                }
            }
        }
        if got == 0 {
            break;
        }
    }
    let name = consumer.cached_info().name.clone();
    let stream = state.infra.topology.activity_stream();
    let js = state.infra.jetstream.clone();
    // Not waited for: the consumer would also expire by itself.
    tokio::spawn(async move {
        let _ = js.delete_consumer_from_stream(name, stream).await;
    });
    Ok((data, (pending > 0).then_some(last)))
}

/// The activity records of a draft, from its conversation's records on the stream.
pub async fn draft_history(
    state: &AppState,
    tenant: &str,
    draft: &Draft,
) -> ApiResult<Vec<ActivityRecord>> {
    let selection = Selection {
        tenant: tenant.to_owned(),
        conversation: Some(draft.conversation_id),
        kinds: [ActivityKind::DraftCreated, ActivityKind::DraftDecided]
            .into_iter()
            .collect(),
    };
    let (records, _) = read(state, &selection, 0, 200, state.config.activity_scan_limit).await?;
    Ok(records
        .into_iter()
        .filter(|r| r.data["draft_id"].as_i64() == Some(draft.id))
        .collect())
}

/// The caller of the activity endpoint: `Authorization`, or for server-sent events `?access_token=`.
pub struct ActivityCaller(Caller);

impl FromRequestParts<AppState> for ActivityCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = auth::bearer(parts) {
            return auth::authenticate(state, token).await.map(Self);
        }
        let params = Params::from_request_parts(parts, state).await?;
        match params.str("access_token") {
            Some(token) if wants_stream(&parts.headers, &params) => {
                auth::authenticate(state, token).await.map(Self)
            }
            Some(_) => Err(ApiError::Unauthorized(
                "access_token is accepted only for server-sent events; use Authorization".into(),
            )),
            None => Err(ApiError::Unauthorized(
                "missing `Authorization: Bearer <token>`".into(),
            )),
        }
    }
}

fn wants_stream(headers: &HeaderMap, params: &Params) -> bool {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accept.contains("text/event-stream") || matches!(params.str("stream"), Some("1" | "true"))
}

/// `GET /api/v1/activity`
#[utoipa::path(get, path = "/api/v1/activity", tag = "activity", params(ActivityFilters,
        ("Last-Event-ID" = Option<String>, Header, description = "SSE: resume after this event id")),
    responses(
        (status = 200, body = ActivityPage, description = "A page of records; with `Accept: text/event-stream` \
            (or `stream=1`) a server-sent events stream instead: `id` = stream sequence, `event` = kind, \
            `data` = the record, a `: heartbeat` comment when idle"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn activity(
    State(state): State<AppState>,
    ActivityCaller(caller): ActivityCaller,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Response> {
    let selection = selection(&caller, &params)?;
    let after = match (params.id("after")?, params.str("cursor")) {
        (Some(after), _) => Some(after),
        (None, Some(cursor)) => Some(
            cursor
                .parse::<i64>()
                .ok()
                .filter(|c| *c >= 0)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave"))?,
        ),
        (None, None) => None,
    };
    let limit = params.limit()?;
    if wants_stream(&headers, &params) {
        let last_event_id = match headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
        {
            Some(id) => Some(crate::params::parse_id("Last-Event-ID", id.trim())?),
            None => params.id("last_event_id")?,
        };
        let start = last_event_id.or(after).map(crate::model::to_u64);
        return stream(state, selection, start).await;
    }
    let (data, next) = read(
        &state,
        &selection,
        after.map_or(0, crate::model::to_u64),
        usize::try_from(limit).unwrap_or(50),
        state.config.activity_scan_limit,
    )
    .await?;
    Ok(Json(ActivityPage {
        data,
        next_cursor: next.map(|seq| seq.to_string()),
    })
    .into_response())
}

/// Server-sent events from `after + 1` (or from now). A reader task feeds a bounded buffer; a subscriber that
/// leaves it full for `SSE_SLOW_TIMEOUT` is disconnected (it resumes with `Last-Event-ID`), so memory per
/// subscriber stays bounded whatever the client does.
async fn stream(state: AppState, selection: Selection, after: Option<u64>) -> ApiResult<Response> {
    let consumer = open(&state, &selection, after).await?;
    let buffer = state.config.sse_buffer.max(1);
    let messages = consumer
        .stream()
        .max_messages_per_batch(buffer)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(unavailable)?;
    let (tx, rx) = mpsc::channel::<Event>(buffer);
    let subscriber = state.metrics.sse_subscribed();
    let shutdown = state.shutdown.clone();
    let slow = state.config.sse_slow_timeout;
    let name = consumer.cached_info().name.clone();
    let js = state.infra.jetstream.clone();
    let stream_name = state.infra.topology.activity_stream();
    tokio::spawn(async move {
        let end = feed(messages, &selection, &tx, slow, &shutdown, &subscriber).await;
        subscriber.ended(end);
        let _ = js.delete_consumer_from_stream(name, stream_name).await;
    });
    let events = ReceiverStream::new(rx).map(Ok::<_, std::convert::Infallible>);
    Ok(Sse::new(events)
        .keep_alive(
            KeepAlive::new()
                .interval(state.config.sse_heartbeat)
                .text("heartbeat"),
        )
        .into_response())
}

async fn feed(
    mut messages: consumer::pull::Stream,
    selection: &Selection,
    tx: &mpsc::Sender<Event>,
    slow: Duration,
    shutdown: &tokio_util::sync::CancellationToken,
    subscriber: &crate::metrics::Subscriber,
) -> SseEnd {
    loop {
        let message = tokio::select! {
            message = messages.next() => message,
            () = tx.closed() => return SseEnd::Client,
            () = shutdown.cancelled() => return SseEnd::Shutdown,
        };
        let message = match message {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                tracing::warn!(%error, "activity stream read failed; the subscriber reconnects");
                return SseEnd::Error;
            }
            None => return SseEnd::Error,
        };
        let Some((seq, activity)) = record(&message) else {
            continue;
        };
        if !selection.wants(&activity) {
            continue;
        }
        let kind = activity.kind.as_str();
        let data = serde_json::to_string(&to_record(seq, activity.clone())).unwrap_or_default();
        let event = Event::default().id(seq.to_string()).event(kind).data(data);
        match tx.send_timeout(event, slow).await {
            Ok(()) => subscriber.sent(),
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => return SseEnd::Slow,
            Err(mpsc::error::SendTimeoutError::Closed(_)) => return SseEnd::Client,
        }
    }
}

//! `POST /webhooks/chatwoot/{tenant}`: size and type checks, tenant lookup, signature on the raw bytes,
//! parsing, then a publish whose acknowledgement the 2xx waits for.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;
use chatwoot::{SignedRequest, Webhook, WebhookRoute};
use infra::Tenant;
use proto::EventEnvelope;
use serde::Serialize;
use tracing::Instrument;

use crate::error::WebhookError;
use crate::metrics::WebhookOutcome;
use crate::AppState;

/// A body whose signature checked out (or whose tenant accepts unsigned webhooks). Only this type is parsed.
struct Verified {
    tenant: Arc<Tenant>,
    body: Bytes,
    signed: bool,
}

/// The 202 answer. The fields are in alphabetical order, as the `json!` map it replaced serialised them.
#[derive(Debug, Serialize)]
pub(crate) struct Accepted {
    pub(crate) duplicate: bool,
    pub(crate) event_key: String,
    pub(crate) status: &'static str,
    /// For the audit record, not the answer.
    #[serde(skip)]
    pub(crate) event: String,
    #[serde(skip)]
    pub(crate) conversation_id: Option<u64>,
}

// The whole request rather than a `HeaderMap` extractor, which would copy the headers.
pub(crate) async fn receive(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), WebhookError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let span = tracing::info_span!(
        "webhook",
        otel.name = "POST /webhooks/chatwoot/{tenant}",
        otel.kind = "server",
        http.request.method = "POST",
        http.route = "/webhooks/chatwoot/{tenant}",
        http.response.status_code = tracing::field::Empty,
        tenant = %tenant,
        event = tracing::field::Empty,
        event_key = tracing::field::Empty,
    );
    infra::telemetry::set_parent_from_http(&span, headers);
    let started = std::time::Instant::now();
    let result = handle(&state, &tenant, headers, body, &span)
        .instrument(span.clone())
        .await;
    let (status, outcome) = match &result {
        Ok((status, Json(accepted))) if accepted.duplicate => (*status, WebhookOutcome::duplicate),
        Ok((status, _)) => (*status, WebhookOutcome::accepted),
        Err(error) => (error.status(), error.outcome()),
    };
    state
        .metrics
        .observe(outcome, started.elapsed().as_secs_f64());
    span.record("http.response.status_code", status.as_u16());
    audit(&state, &tenant, headers, &result);
    result
}

/// Every webhook, accepted or refused, goes to the activity stream (the API's audit trail and live activity).
/// Not waited for: the answer to Chatwoot never depends on it, and a record lost to a NATS outage is logged.
pub(crate) fn audit(
    state: &AppState,
    tenant: &str,
    headers: &HeaderMap,
    result: &Result<(StatusCode, Json<Accepted>), WebhookError>,
) {
    use infra::activity::{Activity, ActivityKind};
    let delivery_id = header_str(headers, "x-chatwoot-delivery");
    let id = format!("webhook:{}", uuid::Uuid::new_v4());
    let record = match result {
        Ok((status, Json(accepted))) => Activity::new(
            id,
            ActivityKind::WebhookReceived,
            tenant,
            accepted.conversation_id.unwrap_or(0),
            serde_json::json!({
                "event": accepted.event,
                "delivery_id": delivery_id,
                "event_key": accepted.event_key,
                "duplicate": accepted.duplicate,
                "status": status.as_u16(),
            }),
        )
        .with_event_key(accepted.event_key.as_str()),
        Err(error) => Activity::new(
            id,
            ActivityKind::WebhookRefused,
            tenant,
            0,
            serde_json::json!({
                "delivery_id": delivery_id,
                "status": error.status().as_u16(),
                "error": format!("{:?}", error.outcome()),
                "reason": error.to_string(),
            }),
        ),
    };
    let jetstream = state.infra.jetstream.clone();
    let subject = record.subject(&state.infra.topology);
    let mut nats_headers = async_nats::HeaderMap::new();
    nats_headers.insert("Nats-Msg-Id", record.id.as_str());
    tokio::spawn(async move {
        let published = async {
            jetstream
                .publish_with_headers(subject, nats_headers, record.to_json().into())
                .await?
                .await?;
            Ok::<_, async_nats::Error>(())
        };
        if let Err(error) = published.await {
            tracing::warn!(%error, "webhook audit record not published");
        }
    });
}

async fn handle(
    state: &AppState,
    tenant_id: &str,
    headers: &HeaderMap,
    body: Body,
    span: &tracing::Span,
) -> Result<(StatusCode, Json<Accepted>), WebhookError> {
    crate::limits::check_headers(
        headers,
        state.config.max_headers,
        state.config.max_header_bytes,
    )?;
    require_json(headers)?;
    let limit = state.config.max_body_bytes;
    if content_length(headers).is_some_and(|len| len > limit) {
        return Err(WebhookError::TooLarge { limit });
    }
    let tenant = lookup_tenant(state, tenant_id).await?;
    let body = axum::body::to_bytes(body, limit).await.map_err(|error| {
        if is_length_limit(&error) {
            WebhookError::TooLarge { limit }
        } else if infra::http::is_body_timeout(&error) {
            WebhookError::Timeout(infra::http::BodyTimeout {
                limit: state.config.http.body_read_timeout,
            })
        } else {
            WebhookError::BadRequest(format!("cannot read body: {error}"))
        }
    })?;
    let verified = verify(tenant, headers, body, state.config.signature_tolerance)?;
    let route = parse_route(&verified.body, state.config.max_json_depth)?;
    let delivery_id = header_str(headers, "x-chatwoot-delivery");
    let tenant = verified.tenant.id.as_str();
    let event_key = crate::event_key(tenant, &route, delivery_id, &verified.body);
    span.record("event", route.event());
    span.record("event_key", event_key.as_str());

    let Ok(_permit) = state.in_flight.try_acquire() else {
        return Err(WebhookError::Unavailable(
            "too many webhooks in flight, retry later",
        ));
    };
    let partition =
        infra::topology::partition_for(tenant, &crate::partition_key(&route, &event_key));
    let conversation_id = route.conversation_id();
    let event = route.into_event().into_owned();
    let envelope = EventEnvelope {
        tenant: tenant.to_owned(),
        event,
        delivery_id: delivery_id.unwrap_or_default().to_owned(),
        event_key,
        received_at_ms: chrono::Utc::now().timestamp_millis(),
        signed: verified.signed,
        conversation_id,
        body: verified.body,
        replay: None,
    };
    let subject = state.infra.topology.event_subject(tenant, partition);
    let duplicate = publish(state, subject, &envelope).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            duplicate,
            event_key: envelope.event_key,
            status: "accepted",
            event: envelope.event,
            conversation_id: envelope.conversation_id,
        }),
    ))
}

pub(crate) fn require_json(headers: &HeaderMap) -> Result<(), WebhookError> {
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(WebhookError::UnsupportedMediaType)
    }
}

pub(crate) fn content_length(headers: &HeaderMap) -> Option<usize> {
    header_str(headers, header::CONTENT_LENGTH.as_str())?
        .parse()
        .ok()
}

pub(crate) fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util_limited::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// `http-body-util`'s limit error, reached through axum's re-export without another dependency.
mod http_body_util_limited {
    pub use axum::extract::rejection::LengthLimitError;
}

pub(crate) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) async fn lookup_tenant(
    state: &AppState,
    tenant_id: &str,
) -> Result<Arc<Tenant>, WebhookError> {
    if infra::TenantId::parse(tenant_id).is_err() {
        return Err(WebhookError::UnknownTenant(tenant_id.to_owned()));
    }
    match state.tenants.get(tenant_id).await {
        Ok(Some(tenant)) => Ok(tenant),
        Ok(None) => Err(WebhookError::UnknownTenant(tenant_id.to_owned())),
        Err(error) => {
            tracing::error!(%error, "tenant lookup failed");
            Err(WebhookError::Unavailable(
                "tenant registry unavailable, retry later",
            ))
        }
    }
}

/// A tenant with a secret requires a valid signature whenever one is sent; an unsigned webhook passes only when
/// the tenant explicitly accepts them. A bad signature is never downgraded to "unsigned".
fn verify(
    tenant: Arc<Tenant>,
    headers: &HeaderMap,
    body: Bytes,
    tolerance: std::time::Duration,
) -> Result<Verified, WebhookError> {
    let request = SignedRequest {
        timestamp: header_str(headers, "x-chatwoot-timestamp"),
        signature: header_str(headers, "x-chatwoot-signature"),
        body: &body,
    };
    let unsigned = request.signature.is_none() && request.timestamp.is_none();
    let signed = match (&tenant.webhook_secret, unsigned) {
        (_, true) if tenant.allow_unsigned => false,
        (Some(secret), _) => {
            let now = chrono::Utc::now().timestamp();
            request
                .verify(secret.expose().as_bytes(), now, tolerance)
                .map_err(|e| WebhookError::Unauthorized(e.to_string()))?;
            true
        }
        (None, _) => {
            return Err(WebhookError::Unauthorized(
                "tenant has no webhook secret and does not accept unsigned webhooks".into(),
            ))
        }
    };
    Ok(Verified {
        tenant,
        body,
        signed,
    })
}

/// What the ingress makes of a verified body: nesting bounded before the parser sees it, then parsed and checked
/// for the fields its event needs. The handler reads only the route ([`parse_route`]), which accepts and refuses
/// the same bodies with the same answers; this full parse is for the fuzz target.
pub fn parse_webhook(body: &[u8], max_depth: usize) -> Result<Webhook, WebhookError> {
    crate::limits::check_depth(body, max_depth)?;
    let hook = Webhook::parse(body).map_err(invalid_json)?;
    hook.validate()
        .map_err(|e| WebhookError::BadRequest(e.to_string()))?;
    Ok(hook)
}

/// [`parse_webhook`] without building the model: the event and ids, borrowed from the body.
pub fn parse_route(body: &[u8], max_depth: usize) -> Result<WebhookRoute<'_>, WebhookError> {
    crate::limits::check_depth(body, max_depth)?;
    let route = WebhookRoute::parse(body).map_err(invalid_json)?;
    route
        .validate()
        .map_err(|e| WebhookError::BadRequest(e.to_string()))?;
    Ok(route)
}

fn invalid_json(error: serde_json::Error) -> WebhookError {
    WebhookError::BadRequest(format!("invalid JSON body: {error}"))
}

/// Publishes and waits for JetStream's acknowledgement; returns whether JetStream recognised a duplicate.
pub(crate) async fn publish(
    state: &AppState,
    subject: String,
    envelope: &EventEnvelope,
) -> Result<bool, WebhookError> {
    let span = tracing::info_span!(
        "publish",
        otel.name = %state.publish_span_name,
        otel.kind = "producer",
        messaging.system = "nats",
        messaging.operation.type = "send",
        messaging.destination.name = %subject,
        messaging.message.id = %envelope.event_key,
    );
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
    infra::telemetry::inject_nats(&span, &mut headers);
    let payload = Bytes::from(envelope.encode_to_vec());
    let js = &state.infra.jetstream;
    let publish = async move {
        let ack = js.publish_with_headers(subject, headers, payload).await?;
        ack.await
    };
    match tokio::time::timeout(state.config.publish_timeout, publish.instrument(span)).await {
        Ok(Ok(ack)) => Ok(ack.duplicate),
        Ok(Err(error)) if stream_is_full(&error) => {
            tracing::warn!(%error, "event stream full");
            Err(WebhookError::Unavailable(
                "event stream is full, retry later",
            ))
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "publish not acknowledged");
            Err(WebhookError::Unavailable(
                "event stream unavailable, retry later",
            ))
        }
        Err(_) => {
            tracing::warn!("publish timed out");
            Err(WebhookError::Unavailable(
                "event stream did not acknowledge in time, retry later",
            ))
        }
    }
}

/// A discard-new stream at its limits refuses the publish with a JetStream error; async-nats passes it on as the
/// source of a generic publish error, so it is recognised by its code or, for codes shared with other storage
/// failures, its description ("maximum bytes exceeded", "maximum messages exceeded").
fn stream_is_full(error: &async_nats::jetstream::context::PublishError) -> bool {
    use async_nats::jetstream::ErrorCode;
    let Some(js) = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<async_nats::jetstream::Error>())
    else {
        return false;
    };
    js.error_code() == ErrorCode::STORAGE_RESOURCES_EXCEEDED || js.to_string().contains("exceeded")
}

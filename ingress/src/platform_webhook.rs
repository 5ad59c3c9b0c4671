//! `POST /webhooks/{platform}/{tenant}` for platforms other than Chatwoot: the same checks as Chatwoot's route
//! (size, type, tenant, signature on the raw bytes), then the platform's adapter reads the customer's message and
//! the ingress publishes it as the Chatwoot-shaped `message_created` the worker reads, keyed by the platform's
//! message id so a repeated delivery is one event.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use infra::Platform;
use platforms::{Inbound, InboundError, VerifyContext};
use proto::EventEnvelope;
use serde_json::{json, Value};
use tracing::Instrument;

use crate::error::WebhookError;
use crate::metrics::WebhookOutcome;
use crate::webhook::{self, Accepted};
use crate::AppState;

pub(crate) async fn receive(
    State(state): State<AppState>,
    Path((platform, tenant)): Path<(String, String)>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), WebhookError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let span = tracing::info_span!(
        "webhook",
        otel.name = "POST /webhooks/{platform}/{tenant}",
        otel.kind = "server",
        http.request.method = "POST",
        http.route = "/webhooks/{platform}/{tenant}",
        http.response.status_code = tracing::field::Empty,
        platform = %platform,
        tenant = %tenant,
        event_key = tracing::field::Empty,
    );
    infra::telemetry::set_parent_from_http(&span, headers);
    let started = std::time::Instant::now();
    let parsed = Platform::parse(&platform)
        .ok()
        .filter(|p| *p != Platform::Chatwoot);
    let result = match parsed {
        Some(platform) => {
            handle(&state, platform, &tenant, headers, body, &span)
                .instrument(span.clone())
                .await
        }
        None => Err(WebhookError::UnknownPlatform(platform.clone())),
    };
    let outcome = match &result {
        Ok(Handled::Published(accepted)) if accepted.duplicate => WebhookOutcome::duplicate,
        Ok(Handled::Published(_)) => WebhookOutcome::accepted,
        Ok(Handled::Ignored(_)) => WebhookOutcome::ignored,
        Err(error) => error.outcome(),
    };
    state
        .metrics
        .observe(outcome, started.elapsed().as_secs_f64());
    state.metrics.platform(parsed, outcome);
    let answer = match result {
        Ok(Handled::Published(accepted)) => {
            let answer = Ok((StatusCode::ACCEPTED, Json(accepted)));
            webhook::audit(&state, &tenant, headers, &answer);
            answer.map(|(status, Json(accepted))| {
                (
                    status,
                    Json(serde_json::to_value(accepted).unwrap_or(Value::Null)),
                )
            })
        }
        Ok(Handled::Ignored(reason)) => Ok((
            StatusCode::OK,
            Json(json!({ "status": "ignored", "reason": reason })),
        )),
        Err(error) => {
            let refused: Result<(StatusCode, Json<Accepted>), WebhookError> = Err(error);
            webhook::audit(&state, &tenant, headers, &refused);
            refused.map(|_| (StatusCode::OK, Json(Value::Null)))
        }
    };
    let status = match &answer {
        Ok((status, _)) => *status,
        Err(error) => error.status(),
    };
    span.record("http.response.status_code", status.as_u16());
    answer
}

enum Handled {
    Published(Accepted),
    Ignored(String),
}

async fn handle(
    state: &AppState,
    platform: Platform,
    tenant_id: &str,
    headers: &HeaderMap,
    body: Body,
    span: &tracing::Span,
) -> Result<Handled, WebhookError> {
    let Some(adapter) = platforms::adapter(platform) else {
        return Err(WebhookError::UnknownPlatform(platform.to_string()));
    };
    crate::limits::check_headers(
        headers,
        state.config.max_headers,
        state.config.max_header_bytes,
    )?;
    webhook::require_json(headers)?;
    let limit = state.config.max_body_bytes;
    if webhook::content_length(headers).is_some_and(|len| len > limit) {
        return Err(WebhookError::TooLarge { limit });
    }
    let tenant = webhook::lookup_tenant(state, tenant_id).await?;
    // A tenant answers on its own platform's route only: another route's signature scheme must not be tried
    // with its secret.
    if tenant.platform != platform {
        return Err(WebhookError::UnknownTenant(format!(
            "{tenant_id} (not a {platform} tenant)"
        )));
    }
    let body = axum::body::to_bytes(body, limit).await.map_err(|error| {
        if webhook::is_length_limit(&error) {
            WebhookError::TooLarge { limit }
        } else if infra::http::is_body_timeout(&error) {
            WebhookError::Timeout(infra::http::BodyTimeout {
                limit: state.config.http.body_read_timeout,
            })
        } else {
            WebhookError::BadRequest(format!("cannot read body: {error}"))
        }
    })?;
    let context = VerifyContext {
        tenant: &tenant,
        headers,
        now: chrono::Utc::now().timestamp(),
        tolerance_secs: i64::try_from(state.config.signature_tolerance.as_secs()).unwrap_or(300),
    };
    adapter.verify(&context, &body).map_err(inbound_error)?;
    crate::limits::check_depth(&body, state.config.max_json_depth)?;
    let message = match adapter.parse(headers, &body).map_err(inbound_error)? {
        Inbound::Message(message) => message,
        Inbound::Ignored(reason) => return Ok(Handled::Ignored(reason)),
    };
    let tenant = tenant.id.as_str();
    let conversation_id = if platform.numeric_ids() {
        message.conversation.parse::<u64>().map_err(|_| {
            WebhookError::BadRequest(format!(
                "{platform} conversation id `{}` is not a number",
                message.conversation
            ))
        })?
    } else {
        infra::platform::conversation_id(&state.infra.pool, tenant, platform, &message.conversation)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "conversation id not mapped");
                WebhookError::Unavailable("conversation registry unavailable, retry later")
            })?
    };
    let event_key = format!("{tenant}:{platform}:message:{}", message.message_id);
    span.record("event_key", event_key.as_str());
    let Ok(_permit) = state.in_flight.try_acquire() else {
        return Err(WebhookError::Unavailable(
            "too many webhooks in flight, retry later",
        ));
    };
    let partition = infra::topology::conversation_partition(tenant, conversation_id);
    let envelope = EventEnvelope {
        tenant: tenant.to_owned(),
        event: "message_created".into(),
        delivery_id: message.delivery_id.clone().unwrap_or_default(),
        event_key,
        received_at_ms: chrono::Utc::now().timestamp_millis(),
        signed: true,
        conversation_id: Some(conversation_id),
        body: platforms::chatwoot_shaped(platform, &message, conversation_id).into(),
        replay: None,
    };
    let subject = state.infra.topology.event_subject(tenant, partition);
    let duplicate = webhook::publish(state, subject, &envelope).await?;
    Ok(Handled::Published(Accepted {
        duplicate,
        event_key: envelope.event_key,
        status: "accepted",
        event: envelope.event,
        conversation_id: Some(conversation_id),
    }))
}

fn inbound_error(error: InboundError) -> WebhookError {
    match error {
        InboundError::Unauthorized(reason) => WebhookError::Unauthorized(reason),
        InboundError::BadRequest(reason) => WebhookError::BadRequest(reason),
    }
}

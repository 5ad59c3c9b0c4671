//! Middleware in front of every Chatwoot route: records the request, applies
//! the configured delay and injected faults, and stores the outcome.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use http::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::faults::{self, FaultBehaviour};
use crate::routes::App;
use crate::server::ConnectionKill;
use crate::state::RecordedRequest;

/// Larger than anything the pipeline sends; Chatwoot's own limit is higher still.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn record(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/__sim" || path.starts_with("/__sim/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let (body, too_large) = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Default::default(), true),
    };
    let mut headers = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let seq = app.sim.record(RecordedRequest {
        seq: 0,
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: body.clone(),
        received_at: Utc::now(),
        status: None,
        fault: false,
    });

    // Decide on arrival so `Times(n)` faults hit the first n requests to arrive.
    let fault = app.sim.take_fault(&parts.method, parts.uri.path());
    if fault.is_some() {
        app.sim.finish(seq, None, true);
    }
    if let Some(delay) = app.sim.request_delay() {
        sleep_unless_shutdown(delay, &app.shutdown).await;
    }
    let response = match fault {
        None if too_large => faults::status_response(StatusCode::PAYLOAD_TOO_LARGE.as_u16()),
        None => next.run(Request::from_parts(parts, Body::from(body))).await,
        Some(FaultBehaviour::Status(status)) => faults::status_response(status),
        Some(FaultBehaviour::Status429WithRetryAfter(secs)) => faults::rate_limited(Some(secs)),
        Some(FaultBehaviour::Timeout(hold)) => {
            sleep_unless_shutdown(hold, &app.shutdown).await;
            faults::nginx_page(StatusCode::GATEWAY_TIMEOUT)
        }
        Some(FaultBehaviour::TimeoutAfterApplying(hold)) => {
            let applied = next.run(Request::from_parts(parts, Body::from(body))).await;
            tracing::debug!(status = %applied.status(), "applied, answer withheld");
            sleep_unless_shutdown(hold, &app.shutdown).await;
            faults::nginx_page(StatusCode::GATEWAY_TIMEOUT)
        }
        Some(FaultBehaviour::CloseConnection) => match parts.extensions.get::<ConnectionKill>() {
            Some(kill) => {
                kill.0.cancel();
                // The connection task drops this future along with the socket.
                std::future::pending::<Response>().await
            }
            // Not served by our accept loop (e.g. a test calling the router
            // directly): the closest observable behaviour is a proxy error.
            None => faults::status_response(StatusCode::BAD_GATEWAY.as_u16()),
        },
    };
    app.sim
        .finish(seq, Some(response.status().as_u16()), fault.is_some());
    response
}

/// Shutdown must not wait for long simulated delays.
async fn sleep_unless_shutdown(duration: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        () = tokio::time::sleep(duration) => {}
        () = shutdown.cancelled() => {}
    }
}

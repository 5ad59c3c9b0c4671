//! The API's metrics: requests by route template and status class, commands accepted by kind, and the
//! server-sent-events subscribers (open, events sent, how streams ended). Labels are closed sets.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// How an SSE stream ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum SseEnd {
    /// The client went away.
    Client,
    /// Its buffer stayed full for SSE_SLOW_TIMEOUT: disconnected, it resumes with Last-Event-ID.
    Slow,
    /// The service is stopping.
    Shutdown,
    /// Reading the activity stream failed.
    Error,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndLabel {
    reason: SseEnd,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    /// The matched route template (`/api/v1/conversations/{id}`), or `unmatched`.
    route: String,
    method: String,
    /// `2xx`, `4xx`, `5xx`...
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabel {
    command: String,
}

#[derive(Clone)]
pub struct ApiMetrics {
    requests: Family<RouteLabel, Counter>,
    duration: Family<RouteLabel, Histogram>,
    commands: Family<CommandLabel, Counter>,
    sse_open: Gauge,
    sse_events: Counter,
    sse_ended: Family<EndLabel, Counter>,
}

impl ApiMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(infra::metrics::latency_histogram),
            commands: Family::default(),
            sse_open: Gauge::default(),
            sse_events: Counter::default(),
            sse_ended: Family::default(),
        };
        registry.register(
            "api_requests",
            "API requests by route and status class",
            metrics.requests.clone(),
        );
        registry.register(
            "api_request_duration_seconds",
            "Time to answer an API request (to the first byte of a stream)",
            metrics.duration.clone(),
        );
        registry.register(
            "api_commands",
            "Commands accepted and published, by kind",
            metrics.commands.clone(),
        );
        registry.register(
            "api_sse_subscribers",
            "Server-sent-events streams open",
            metrics.sse_open.clone(),
        );
        registry.register(
            "api_sse_events",
            "Activity records sent to SSE subscribers",
            metrics.sse_events.clone(),
        );
        registry.register(
            "api_sse_ended",
            "SSE streams ended, by reason",
            metrics.sse_ended.clone(),
        );
        metrics
    }

    pub fn command(&self, name: &'static str) {
        self.commands
            .get_or_create(&CommandLabel {
                command: name.to_owned(),
            })
            .inc();
    }

    pub fn sse_subscribed(&self) -> Subscriber {
        self.sse_open.inc();
        Subscriber {
            metrics: self.clone(),
        }
    }
}

/// One open SSE stream; the gauge goes down when it is dropped.
pub struct Subscriber {
    metrics: ApiMetrics,
}

impl Subscriber {
    pub fn sent(&self) {
        self.metrics.sse_events.inc();
    }

    pub fn ended(&self, reason: SseEnd) {
        self.metrics
            .sse_ended
            .get_or_create(&EndLabel { reason })
            .inc();
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.metrics.sse_open.dec();
    }
}

/// Counts and times every request by its route template (never the raw path: ids would open the label set).
pub async fn track(State(metrics): State<ApiMetrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let label = RouteLabel {
        route,
        method,
        status: format!("{}xx", response.status().as_u16() / 100),
    };
    metrics.requests.get_or_create(&label).inc();
    metrics
        .duration
        .get_or_create(&label)
        .observe(started.elapsed().as_secs_f64());
    response
}

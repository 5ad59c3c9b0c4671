//! The ingress: `POST /webhooks/chatwoot/{tenant}` verifies a Chatwoot webhook on its raw bytes, publishes it
//! to JetStream with a `Nats-Msg-Id` that makes Chatwoot's re-deliveries and duplicate `message_created`
//! deliveries collapse, and answers 2xx only after JetStream has acknowledged the publish.
//! `POST /webhooks/{platform}/{tenant}` does the same for the generic webhook, Intercom, Zendesk and Freshchat.

mod config;
mod error;
mod identity;
mod limits;
pub mod metrics;
mod platform_webhook;
mod webhook;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use infra::{BootstrapArgs, Infra, Supervisor, TenantCache};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use error::WebhookError;
pub use identity::{event_key, partition_key, EventIds};
pub use limits::check_depth;
pub use webhook::{parse_route, parse_webhook};

#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error(transparent)]
    Bootstrap(#[from] infra::BootstrapError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error(transparent)]
    Task(#[from] infra::TaskFailed),
}

/// Shared by every request; axum clones it for each one, so what is costly to clone (the NATS clients and
/// pools in `Infra`) sits behind an `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub(crate) infra: Arc<Infra>,
    pub(crate) tenants: Arc<TenantCache>,
    pub(crate) config: Arc<Config>,
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) metrics: metrics::IngressMetrics,
    /// `send <events stream>`, the publish span's name, formatted once.
    pub(crate) publish_span_name: Arc<str>,
}

/// The HTTP routes, factored out so tests can drive them without a socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/chatwoot/{tenant}", post(webhook::receive))
        // Static `chatwoot` wins over the parameter, so Chatwoot keeps its own handler.
        .route(
            "/webhooks/{platform}/{tenant}",
            post(platform_webhook::receive),
        )
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match infra::bootstrap::ready(&state.infra).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        ),
    }
}

/// Pending connections the kernel may queue for `accept`. Linux caps it at `net.core.somaxconn` (4096 by default).
/// tokio's default of 1,024 overflowed under a burst of new connections, and every connection the kernel drops
/// costs its client a one-second SYN retransmit (seen as a 1 s p99.9 at 10k webhooks/s).
const LISTEN_BACKLOG: u32 = 4096;

/// The webhook listener on `addr` (`host:port`, the first address it resolves to), with a backlog that absorbs
/// bursts of new connections.
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let addr = tokio::net::lookup_host(addr).await?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{addr} resolves to no address"),
        )
    })?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Binds `METRICS_ADDR` and runs the ingress on `listener`.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), IngressError> {
    let metrics_listener = TcpListener::bind(&config.metrics_addr).await?;
    run_with_metrics_listener(config, listener, metrics_listener, shutdown).await
}

/// Connects, creates the topology and serves webhooks on `listener` and `/metrics` on `metrics_listener` until
/// `shutdown` is cancelled, then lets in-flight requests finish for up to the drain timeout. The webhook port is
/// served by [`infra::http::serve`], which bounds what slow and idle clients can hold (issue 18).
pub async fn run_with_metrics_listener(
    config: Config,
    listener: TcpListener,
    metrics_listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), IngressError> {
    let infra = infra::bootstrap(BootstrapArgs {
        service: "ingress",
        nats: &config.nats,
        database: &config.database,
        secrets: &config.secrets,
        seed: &config.tenant,
    })
    .await?;
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = metrics::IngressMetrics::register(&mut registry);
    let connections = infra::http::ConnectionMetrics::register(&mut registry);
    // The tasks stop on `stop`: the caller's shutdown, or a task that failed for good.
    let stop = shutdown.child_token();
    let mut supervisor = Supervisor::new(
        stop.clone(),
        infra.readiness.clone(),
        config.supervision.policy(),
    );
    supervisor.critical(
        "metrics endpoint",
        infra::health::serve(
            metrics_listener,
            infra::metrics::router(Arc::new(registry)),
            stop.clone(),
        ),
    );
    let state = AppState {
        metrics,
        publish_span_name: format!("send {}", infra.topology.events_stream()).into(),
        tenants: Arc::new(TenantCache::new(
            infra.tenants.clone(),
            config.tenant_cache_ttl,
        )),
        in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
        infra: Arc::new(infra),
        config: Arc::new(config),
    };
    let drain = state.config.drain_timeout;
    let limits = state.config.http.limits(state.config.max_body_bytes);
    tracing::info!(addr = %listener.local_addr()?, ?limits, "ingress listening");
    // The webhook server drains on `stop`, which a failed task also cancels (the ingress then answers 503 on
    // /readyz until it is gone); when serving ends, the other tasks stop too.
    let serving = async {
        infra::http::serve(
            listener,
            app(state),
            limits,
            connections,
            stop.clone(),
            drain,
        )
        .await;
        stop.cancel();
    };
    let failed = async {
        let outcome = supervisor.watch().await;
        stop.cancel();
        outcome
    };
    let ((), outcome) = tokio::join!(serving, failed);
    supervisor.drain(drain).await;
    tracing::info!("ingress stopped");
    outcome.map_err(IngressError::Task)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn bind_listens_on_the_address_given() {
        let listener = super::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (client, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        let client = client.expect("connect");
        assert_eq!(client.peer_addr().expect("peer address"), addr);
        assert!(accepted.is_ok());
    }

    #[tokio::test]
    async fn bind_refuses_an_address_without_a_port() {
        assert!(super::bind("127.0.0.1").await.is_err());
    }
}

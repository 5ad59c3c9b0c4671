//! The API: an HTTP service over the state the worker keeps in PostgreSQL and the activity stream on JetStream.
//! Stateless (any number of replicas): reads go to PostgreSQL and JetStream, writes become commands on the
//! events stream that the worker carries out in each conversation's order; the API never calls Chatwoot (but
//! for the profile check that opens a console session) and never writes a decision itself.

pub mod activity;
pub mod approvals;
pub mod auth;
pub mod commands;
mod config;
pub mod conversations;
pub mod digests;
pub mod error;
pub mod history;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod params;
pub mod reports;
pub mod session;
mod sql;
pub mod webhooks;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use infra::{BootstrapArgs, Infra, Supervisor};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, MAX_BODY_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum ApiServiceError {
    #[error(transparent)]
    Bootstrap(#[from] infra::BootstrapError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error(transparent)]
    Task(#[from] infra::TaskFailed),
}

/// Shared by every request (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub infra: Arc<Infra>,
    pub config: Arc<Config>,
    pub session_key: auth::SessionKey,
    /// For Chatwoot's profile API only.
    pub http: reqwest::Client,
    pub metrics: metrics::ApiMetrics,
    /// Ends the server-sent-events streams when the service stops.
    pub shutdown: CancellationToken,
}

/// The routes, factored out so tests can drive them without a socket.
pub fn app(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/conversations", get(conversations::list))
        .route(
            "/conversations/{id}",
            get(conversations::show).patch(conversations::update),
        )
        .route(
            "/conversations/{id}/messages",
            get(conversations::messages).post(conversations::post_message),
        )
        .route(
            "/conversations/{id}/escalate",
            post(conversations::escalate),
        )
        .route("/messages", get(history::list))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{id}", get(approvals::show))
        .route("/approvals/{id}/decision", post(approvals::decide))
        .route("/commands/{key}", get(commands::status))
        .route("/activity", get(activity::activity))
        .route("/webhooks", get(webhooks::list))
        .route("/reports/digests", get(digests::list))
        .route("/reports/digests/{id}", get(digests::show))
        .route("/reports/summary", get(reports::summary))
        .route("/reports/timeseries", get(reports::timeseries))
        .route("/reports/breakdown", get(reports::breakdown))
        .route("/reports/peak-hours", get(reports::peak_hours))
        .route("/reports/top-issues", get(reports::top_issues))
        .route("/reports/distribution", get(reports::distribution))
        .route("/session", post(session::open))
        .route("/me", get(session::me))
        .fallback(|| async { error::ApiError::NotFound("route".into()) });
    let metrics = state.metrics.clone();
    Router::new()
        .nest("/api/v1", v1)
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    openapi::document(),
                )
            }),
        )
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        )
        .route("/livez", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/readyz", get(readyz))
        .with_state(state.clone())
        // The review console: static assets of its own, a client of the routes above.
        .merge(console::router_with(&state.config.console.console))
        .layer(middleware::from_fn_with_state(metrics, metrics::track))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match infra::bootstrap::ready(&state.infra).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        ),
    }
}

/// The API's listener on `addr` (`host:port`).
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Binds `API_METRICS_ADDR` and runs the API on `listener`.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ApiServiceError> {
    let metrics_listener = TcpListener::bind(&config.api_metrics_addr).await?;
    run_with_metrics_listener(config, listener, metrics_listener, shutdown).await
}

/// Connects (creating the topology and migrating, like every service), then serves the API on `listener`
/// and `/metrics`, `/healthz`, `/readyz` on `metrics_listener` until `shutdown`. Requests in progress get the
/// drain timeout; server-sent-events streams end at once (their clients resume with Last-Event-ID).
pub async fn run_with_metrics_listener(
    config: Config,
    listener: TcpListener,
    metrics_listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ApiServiceError> {
    let infra = infra::bootstrap(BootstrapArgs {
        service: "api",
        nats: &config.nats,
        database: &config.database,
        secrets: &config.secrets,
        seed: &config.tenant,
    })
    .await?;
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = metrics::ApiMetrics::register(&mut registry);
    let connections = infra::http::ConnectionMetrics::register(&mut registry);
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
            infra::health::router(infra.clone(), infra::metrics::router(Arc::new(registry))),
            stop.clone(),
        ),
    );
    let state = AppState {
        session_key: auth::SessionKey::new(
            config.session_secret.as_deref(),
            &config.secrets.secrets_key,
        ),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default(),
        metrics,
        shutdown: stop.clone(),
        infra: Arc::new(infra),
        config: Arc::new(config),
    };
    let drain = state.config.drain_timeout;
    let limits = state.config.http.limits(MAX_BODY_BYTES);
    tracing::info!(addr = %listener.local_addr()?, ?limits, "api listening");
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
    tracing::info!("api stopped");
    outcome.map_err(ApiServiceError::Task)
}

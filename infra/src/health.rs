//! `/healthz` and `/readyz` for the services without a public HTTP API (worker, dispatcher).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::Infra;

/// `/healthz` answers while the process runs; `/readyz` checks NATS and PostgreSQL. `extra` adds routes
/// (metrics) to the same port.
pub fn router(infra: Infra, extra: Router) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(readyz))
        .with_state(infra)
        .merge(extra)
}

async fn readyz(State(infra): State<Infra>) -> (StatusCode, Json<serde_json::Value>) {
    match crate::bootstrap::ready(&infra).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        ),
    }
}

/// Serves `router` until `shutdown`; a task for the service's supervisor (it ends early only if serving fails).
pub async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(error) = result {
        tracing::error!(%error, "health endpoint stopped");
    }
}

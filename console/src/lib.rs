//! The review console: one page (plain HTML, CSS and JavaScript modules, no build step) that agents use to
//! review AI drafts, browse conversations, watch the pipeline live and read the reports. It is a client of the
//! API service's `/api/v1` endpoints and is served by that service under `/console/`, so it needs no CORS and its
//! CSP can restrict every connection to its own origin.
//!
//! The page works full-width on its own and inside Chatwoot as a Dashboard App (a narrow iframe). Chatwoot
//! frames it from whatever origin the Chatwoot instance has, hence `frame-ancestors` defaults to `*` and can be
//! narrowed with `CONSOLE_FRAME_ANCESTORS` ([`ConsoleArgs`]). Framing grants nothing: every API call needs a credential
//! (see the README's "Review console").

mod assets;
mod config;
mod serve;

pub use config::{ConsoleArgs, ConsoleConfig, FrameAncestorsError};

use axum::routing::get;
use axum::Router;

/// The console under `/console/`, framable by any origin.
pub fn router() -> Router {
    router_with(&ConsoleConfig::default())
}

/// The console under `/console/` with a chosen `frame-ancestors` list.
pub fn router_with(config: &ConsoleConfig) -> Router {
    let page = serve::Page::new(config);
    Router::new()
        .route("/console", get(serve::redirect))
        .route("/console/", get(serve::index))
        .route("/console/index.html", get(serve::index))
        .route("/console/v/{version}/{*path}", get(serve::asset))
        .with_state(page)
}

/// This build's asset version (part of every asset URL).
pub fn version() -> &'static str {
    &assets::VERSION
}

//! Chatwoot REST API simulator for tests of the pipeline.
//!
//! Serves the subset of Chatwoot's API a bot/integration uses (messages,
//! labels, assignments, status, priority, profile, health), with the response
//! and error shapes of `fixtures/chatwoot/api/`. Every request is
//! recorded with its headers and body, and faults (status codes, rate limits,
//! timeouts, dropped connections) can be injected.
//!
//! ```no_run
//! # async fn demo() {
//! use chatwoot_sim::{Fault, FaultBehaviour, Matcher, SimConfig};
//! let sim = chatwoot_sim::spawn(SimConfig::default()).await;
//! sim.inject(Fault::new(Matcher::path("/messages"), FaultBehaviour::Status(503)).times(2));
//! // … point the dispatcher at sim.base_url() with token "demo-token" …
//! assert!(sim.messages(3, 1042).len() <= 1);
//! # }
//! ```
//!
//! Behaviour worth knowing (all as in Chatwoot 4.13):
//! - auth is the `api_access_token` header; failures are 401 with the exact
//!   bodies Chatwoot sends, unknown accounts and conversations 404;
//! - conversations exist as soon as they are used, starting as
//!   [`SimConfig::initial_status`] (`pending`);
//! - bot tokens ([`SimAccount::bot_tokens`]) may not call `GET …/messages` or
//!   `/api/v1/profile` (401), and a bot moving `pending` → `open` gets
//!   `"success":null` (bot handoff); a user token opening an unassigned
//!   conversation auto-assigns its agent;
//! - dashboard apps (`POST`/`GET …/dashboard_apps`) are stored per account;
//! - `GET …/messages` returns only the latest 20 messages (`before`/`after`
//!   ids page like Chatwoot's `MessageFinder`);
//! - `GET /api/v1/accounts/{id}/conversations` lists conversations 25 per page
//!   (`status`, `sort_by`, `page`), e.g. a history seeded with
//!   [`SimState::seed_history`] or `POST /__sim/accounts/{id}/history`;
//! - the HTTP control API is documented in [`control`];
//! - the reply endpoints of Intercom, Zendesk, Freshchat and a generic webhook receiver are served too
//!   (see `platforms.rs`), recorded and faulted like Chatwoot's.

mod config;
pub mod control;
mod dashboard_apps;
mod faults;
mod history;
mod model;
mod platform_threads;
mod platforms;
mod recorder;
mod request;
mod routes;
mod server;
mod state;
mod views;

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::{SimAccount, SimAgent, SimAgentBot, SimConfig, SimTeam};
pub use faults::{Fault, FaultBehaviour, FaultCount, Matcher};
pub use history::{SeedConversation, SeedMessage, CONVERSATIONS_PAGE};
pub use http::Method;
pub use state::{RecordedRequest, SimState, Stats};

/// Serves a fresh simulator for `config` on `listener` until `shutdown` is cancelled.
pub async fn run(
    config: SimConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> io::Result<()> {
    serve(SimState::new(config), listener, shutdown).await
}

/// Like [`run`], on existing state, so the caller keeps a handle on it.
pub async fn serve(
    state: SimState,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let app = routes::App {
        sim: state,
        shutdown: shutdown.clone(),
    };
    server::serve(routes::router(app), listener, shutdown).await
}

/// Starts a simulator on `127.0.0.1:<random port>` in a background task.
///
/// # Panics
/// If no loopback port can be bound; use [`try_spawn`] to handle that.
pub async fn spawn(config: SimConfig) -> Simulator {
    try_spawn(config)
        .await
        .expect("binding 127.0.0.1:0 for the Chatwoot simulator")
}

/// Fallible [`spawn`].
pub async fn try_spawn(config: SimConfig) -> io::Result<Simulator> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let state = SimState::new(config);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(state.clone(), listener, shutdown.clone()));
    Ok(Simulator {
        state,
        addr,
        shutdown,
        task: Some(task),
    })
}

/// A running simulator. Dereferences to its [`SimState`], so
/// `sim.requests()`, `sim.inject(…)` etc. work directly. Stops when dropped.
#[derive(Debug)]
pub struct Simulator {
    state: SimState,
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Simulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A cloneable handle on the state, usable from other tasks and threads.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Deref for Simulator {
    type Target = SimState;

    fn deref(&self) -> &SimState {
        &self.state
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

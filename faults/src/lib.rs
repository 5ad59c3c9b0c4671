//! The fault suite's harness: a private NATS server and PostgreSQL instance the suite may kill and restart
//! without disturbing anything else on the machine, and the pipeline's services as real processes (the
//! `pipeline-node` binary) that it SIGKILLs, SIGTERMs and starts again.
//!
//! The suite itself is `tests/suite.rs`; the README's resilience section (docs/resilience.md) describes what it
//! shows.

pub mod node;
pub mod servers;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

pub use node::{Node, Role};
pub use servers::{NatsServer, Postgres};

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{what} not found: {hint}")]
    Missing { what: &'static str, hint: String },
    #[error("`{command}` failed ({status}): {output}")]
    Command {
        command: String,
        status: String,
        output: String,
    },
    #[error("{0}")]
    NotReady(String),
}

/// A port nobody listens on right now (the OS picks it; it stays free until someone binds it).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls until something accepts connections on `addr`.
pub async fn wait_for_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The last `lines` lines of a log file (empty when it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Whether this process runs as root (PostgreSQL's initdb and postgres refuse to).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Sends a signal by name (`TERM`, `KILL`) with the system's `kill`: the workspace forbids `unsafe`, which a
/// direct `kill(2)` would need.
pub fn signal(pid: u32, name: &str) -> io::Result<()> {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -{name} {pid}: {status}")))
    }
}

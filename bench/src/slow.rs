//! Slow clients (issue 18): while thousands of connections hold the ingress with partial request heads (a header
//! line every interval) and trickled bodies (a byte every interval), signed webhooks are sent at a fixed rate and
//! their latency measured, with the ingress's RSS before, during and after.
//!
//! Each slow connection reconnects when the ingress cuts it (header timeout, 408 on the body timeout, shed at
//! the connection cap), so the flood keeps its size for as long as it runs, as an attacker's would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::load::LoadRun;
use crate::procfs::Memory;

/// What the slow-clients phase measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlowReport {
    /// Slow connections the flood keeps open: half partial heads, half trickled bodies.
    pub target_connections: usize,
    /// A header line or body byte per connection every this many seconds.
    pub interval_s: f64,
    /// Slow connections open when the webhooks started, and the fewest and most seen while they were sent.
    pub held_at_start: u64,
    pub held_min: u64,
    pub held_max: u64,
    /// Connections the flood opened in all (reconnects included), and how many the ingress cut.
    pub opened: u64,
    pub cut_by_server: u64,
    pub connect_errors: u64,
    /// Signed webhooks at a fixed rate while the flood is held.
    pub webhooks: LoadRun,
    /// Ingress RSS before the flood, while it was held (highest sample), and some seconds after it ended.
    pub memory_before: Option<Memory>,
    pub memory_during: Option<Memory>,
    pub memory_after: Option<Memory>,
    /// Seconds between the end of the flood and `memory_after`.
    pub after_s: f64,
    /// The ingress's `http_connections_dropped_total` by reason at the end.
    pub ingress_dropped: BTreeMap<String, f64>,
}

/// The flood's shared counters.
#[derive(Debug, Default)]
pub struct FloodStats {
    pub held: AtomicU64,
    pub opened: AtomicU64,
    pub cut: AtomicU64,
    pub connect_errors: AtomicU64,
}

/// A running flood; [`Flood::stop`] closes its connections.
pub struct Flood {
    pub stats: Arc<FloodStats>,
    stop: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A request head that never ends: a header line every interval.
    Head,
    /// A complete head announcing 3,000 bytes of body, then one byte every interval.
    Body,
}

impl Flood {
    /// Opens `connections` slow connections to `addr`, at most `per_second` new ones a second (the listen backlog
    /// is 4,096; a dropped SYN costs a second), and keeps them open.
    pub async fn start(
        addr: SocketAddr,
        path: &str,
        connections: usize,
        interval: Duration,
        per_second: usize,
    ) -> Self {
        let stats = Arc::new(FloodStats::default());
        let stop = CancellationToken::new();
        let mut tasks = tokio::task::JoinSet::new();
        let batch = (per_second / 10).max(1);
        for i in 0..connections {
            let kind = if i % 2 == 0 { Kind::Head } else { Kind::Body };
            tasks.spawn(hold(
                addr,
                path.to_owned(),
                kind,
                interval,
                stats.clone(),
                stop.clone(),
            ));
            if (i + 1) % batch == 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Self { stats, stop, tasks }
    }

    /// Waits until `count` connections are held, or `timeout`.
    pub async fn wait_held(&self, count: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.stats.held.load(Ordering::Relaxed) < count {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    pub async fn stop(mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn hold(
    addr: SocketAddr,
    path: String,
    kind: Kind,
    interval: Duration,
    stats: Arc<FloodStats>,
    stop: CancellationToken,
) {
    let head = match kind {
        Kind::Head => format!("POST {path} HTTP/1.1\r\nhost: ingress\r\n"),
        Kind::Body => format!(
            "POST {path} HTTP/1.1\r\nhost: ingress\r\ncontent-type: application/json\r\n\
             content-length: 3000\r\n\r\n{{"
        ),
    };
    let mut line = 0u64;
    while !stop.is_cancelled() {
        let stream = tokio::select! {
            () = stop.cancelled() => return,
            stream = TcpStream::connect(addr) => stream,
        };
        let Ok(stream) = stream else {
            stats.connect_errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        stats.opened.fetch_add(1, Ordering::Relaxed);
        let (mut reader, mut writer) = stream.into_split();
        if writer.write_all(head.as_bytes()).await.is_err() {
            stats.cut.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        stats.held.fetch_add(1, Ordering::Relaxed);
        // The first write of each connection at a random point of the interval, so the writes spread out.
        let mut next =
            tokio::time::Instant::now() + interval.mul_f64(rand::thread_rng().gen_range(0.0..1.0));
        let mut buf = [0u8; 512];
        let stopped = loop {
            tokio::select! {
                () = stop.cancelled() => break true,
                read = reader.read(&mut buf) => match read {
                    // An answer (the 408) is read; the close that follows ends the connection.
                    Ok(n) if n > 0 => {}
                    _ => break false,
                },
                () = tokio::time::sleep_until(next) => {
                    next += interval;
                    line += 1;
                    let more = match kind {
                        Kind::Head => format!("x-slow-{line}: 1\r\n"),
                        Kind::Body => " ".to_owned(),
                    };
                    if writer.write_all(more.as_bytes()).await.is_err() {
                        break false;
                    }
                }
            }
        };
        stats.held.fetch_sub(1, Ordering::Relaxed);
        if stopped {
            return;
        }
        stats.cut.fetch_add(1, Ordering::Relaxed);
    }
}

/// `http_connections_dropped_total` by reason from an ingress's Prometheus text.
pub fn dropped_by_reason(metrics: &str) -> BTreeMap<String, f64> {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("http_connections_dropped_total{reason=\""))
        .filter_map(|rest| {
            let (reason, value) = rest.split_once("\"} ")?;
            Some((reason.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_drop_reasons() {
        let text = "# TYPE x counter\nhttp_connections_dropped_total{reason=\"shed\"} 3\n\
                    http_connections_dropped_total{reason=\"header_timeout\"} 12\nother 1\n";
        let reasons = super::dropped_by_reason(text);
        assert_eq!(reasons.get("shed"), Some(&3.0));
        assert_eq!(reasons.get("header_timeout"), Some(&12.0));
        assert_eq!(reasons.len(), 2);
    }
}

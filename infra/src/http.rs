//! The HTTP/1.1 serving loop of the public services (the ingress; the API and web console next), hardened
//! against clients that hold connections without finishing requests.
//!
//! Issue 18: 19,000 connections that each sent a partial request header, one line every 10 s, were all kept
//! open (axum's `serve` has no header read timeout), grew the ingress from 17 MiB to 339 MiB and used 19,000 of
//! its 20,000 file descriptors; one more and Chatwoot's webhooks would have been refused. [`serve`] bounds, per
//! connection ([`ServeLimits`]):
//!
//! - **the request head**: complete within `header_read_timeout` of the accept, or of the first byte after a
//!   keep-alive pause; otherwise the connection is closed;
//! - **the request body**: complete within `body_read_timeout` of its head. A first request with a
//!   `Content-Length` of at most `buffered_body_bytes` is read in full before the router sees it, and answered
//!   `408` (JSON reason, `Connection: close`) when it is late; any other body fails with [`BodyTimeout`] while
//!   the handler reads it, and the handler answers (the ingress: `408`); hyper then closes the connection,
//!   whose body was not read to its end;
//! - **keep-alive**: a connection with no request in progress is closed after `idle_timeout`;
//!
//! and for the process, at most `max_connections` open connections (lowered to fit the file-descriptor limit):
//! at the cap a new connection first sheds the newest connection with no request in progress (a keep-alive
//! pause or a head still arriving), and is refused only when every connection has a request in progress. The
//! newest go first because a flood is made of new connections, while the connections that have been open longest
//! have proved themselves with complete requests; a connection in its first second that is still waiting for its
//! first head is passed over, as its request is most likely on the way.
//!
//! Memory: a connection whose first request is still arriving is not handed to hyper yet. Its bytes go to a
//! buffer the size of what arrived (hyper reserves 8 KiB for every read it starts), so a slow client costs about
//! what it sent plus its task.
//!
//! Kept from `axum::serve`: TCP_NODELAY on every connection, graceful shutdown (requests in progress finish within
//! the drain timeout, then connections are dropped).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use bytes::{Buf, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

/// What a connection may cost the server. [`ServeArgs`] reads them from flags and the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time for a request head to arrive, from the accept or from the first byte after a keep-alive pause.
    pub header_read_timeout: Duration,
    /// Time for a request body to arrive, from the end of its head.
    pub body_read_timeout: Duration,
    /// How long a connection with no request in progress is kept open.
    pub idle_timeout: Duration,
    /// Most connections open at once (further lowered to fit the process's file-descriptor limit).
    pub max_connections: usize,
    /// Bodies with a `Content-Length` up to this size are read in full before the router sees them (in a buffer
    /// that grows as they arrive); larger ones are streamed to the handler. The ingress's largest body.
    pub buffered_body_bytes: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 16_384,
            buffered_body_bytes: 1 << 20,
        }
    }
}

/// The connection limits as flags and environment variables, flattened into a public service's `Config`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Time for a request head to arrive, from the accept or from the first byte after a keep-alive pause; a
    /// slower client is disconnected (slow-header floods).
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = crate::config::parse_duration)]
    pub header_read_timeout: Duration,
    /// Time for a request body to arrive after its head; a slower one is answered 408 and disconnected
    /// (trickled bodies). 1 MiB in 30 s is 35 KB/s.
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "30s", value_parser = crate::config::parse_duration)]
    pub body_read_timeout: Duration,
    /// How long a keep-alive connection with no request in progress stays open.
    #[arg(long, env = "KEEP_ALIVE_TIMEOUT", default_value = "60s", value_parser = crate::config::parse_duration)]
    pub keep_alive_timeout: Duration,
    /// Most connections open at once; at the cap the newest connection with no request in progress is closed
    /// for a new one, and a new one is refused when all are busy. Lowered at start to fit the file-descriptor
    /// limit (which is raised to its hard limit first). A slow connection costs about 3 KiB, so the default
    /// holds a 10,000-connection flood with room for real traffic in well under 64 MiB.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
}

impl ServeArgs {
    /// The limits, with bodies up to `buffered_body_bytes` read before the handler runs.
    pub fn limits(&self, buffered_body_bytes: usize) -> ServeLimits {
        ServeLimits {
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            idle_timeout: self.keep_alive_timeout,
            max_connections: self.max_connections,
            buffered_body_bytes,
        }
    }
}

/// Why the server closed a connection on its own. A closed set: the `reason` label.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum DropReason {
    /// Closed at the connection cap to admit a newer connection (it had no request in progress).
    shed,
    /// Not admitted: the cap was reached and every connection had a request in progress.
    refused,
    header_timeout,
    body_timeout,
    idle_timeout,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabel {
    pub reason: DropReason,
}

/// `http_connections_open` and `http_connections_dropped_total{reason}`.
#[derive(Debug, Clone, Default)]
pub struct ConnectionMetrics {
    pub open: Gauge,
    pub dropped: Family<DropLabel, Counter>,
}

impl ConnectionMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "http_connections_open",
            "HTTP connections open on the public port",
            metrics.open.clone(),
        );
        registry.register(
            "http_connections_dropped",
            "HTTP connections the server closed or refused on its own, by reason",
            metrics.dropped.clone(),
        );
        metrics
    }

    fn dropped(&self, reason: DropReason) {
        self.dropped.get_or_create(&DropLabel { reason }).inc();
    }
}

/// The error a request body yields when it has not arrived within the body read timeout.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within {}s", .limit.as_secs_f64())]
pub struct BodyTimeout {
    pub limit: Duration,
}

/// Whether `error` (or one of its sources) is a [`BodyTimeout`].
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<BodyTimeout>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// File descriptors kept for what is not a connection: NATS, the PostgreSQL pool, the metrics port, logs.
const FD_RESERVE: u64 = 256;
/// Most bytes of a request head read before it is handed to hyper, which answers 431 beyond its buffer size.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long a new connection waiting for its first request head is passed over when one is shed.
const SHED_GRACE: Duration = Duration::from_secs(1);
/// How long to pause accepting after an error other than a failed connection (out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// Raises the soft limit of open files to the hard limit (as Go's runtime does at start) and returns the soft
/// limit now in force, or `None` where it cannot be read.
pub fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown`, then lets requests in progress finish for up
/// to `drain` and drops what is left.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    metrics: ConnectionMetrics,
    shutdown: CancellationToken,
    drain: Duration,
) {
    let mut limits = limits;
    if let Some(fds) = raise_fd_limit() {
        let fit = usize::try_from(fds.saturating_sub(FD_RESERVE).max(1)).unwrap_or(usize::MAX);
        if fit < limits.max_connections {
            tracing::warn!(
                max_connections = limits.max_connections,
                open_files_limit = fds,
                lowered_to = fit,
                "connection cap lowered to fit the open files limit"
            );
            limits.max_connections = fit;
        }
    }
    let mut http = hyper::server::conn::http1::Builder::new();
    // The head timeout is ours (it must not also cut keep-alive pauses, which hyper's does); 64 KiB bounds the
    // read buffer of a connection, and a head beyond it gets 431.
    http.header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let server = Arc::new(Server {
        limits,
        metrics,
        http,
        router,
        epoch: Instant::now(),
        connections: Mutex::new(BTreeMap::new()),
        next_id: AtomicU64::new(0),
        shutdown: shutdown.clone(),
        abort: CancellationToken::new(),
    });
    let tracker = TaskTracker::new();
    let mut warned_at: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors: close an idle connection to make room, then retry (logged at most
                // once a second: this repeats every pause while it lasts).
                if warned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                    tracing::warn!(%error, "accept failed");
                    warned_at = Some(Instant::now());
                }
                server.shed_one();
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        // Without TCP_NODELAY a response can wait for the client's delayed ACK of the previous one.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let Some(conn) = server.admit() else {
            server.metrics.dropped(DropReason::refused);
            drop(stream);
            continue;
        };
        tracker.spawn(connection(server.clone(), conn, stream));
    }
    drop(listener);
    tracker.close();
    if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
        tracing::warn!("drain timeout reached with requests still in flight");
        server.abort.cancel();
        tracker.wait().await;
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

struct Server {
    limits: ServeLimits,
    metrics: ConnectionMetrics,
    http: hyper::server::conn::http1::Builder,
    router: Router,
    epoch: Instant,
    /// Open connections by accept order, so the newest are found from the end.
    connections: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    shutdown: CancellationToken,
    /// Cancelled when the drain timeout is over: connections still open are dropped.
    abort: CancellationToken,
}

impl Server {
    /// Registers a new connection, shedding the newest one without a request in progress at the cap.
    fn admit(&self) -> Option<Arc<Conn>> {
        let mut connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if connections.len() >= self.limits.max_connections
            && !shed_newest_idle(&mut connections, self.now_ms())
        {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(id, self.now_ms()));
        connections.insert(id, conn.clone());
        self.metrics.open.inc();
        Some(conn)
    }

    fn shed_one(&self) {
        let mut connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shed_newest_idle(&mut connections, self.now_ms());
    }

    fn release(&self, conn: &Conn) {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&conn.id);
        self.metrics.open.dec();
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// When the connection must have moved on from its current phase, and what it is dropped for if not.
    fn deadline(&self, conn: &Conn) -> Option<(Instant, DropReason)> {
        let since = self.epoch + Duration::from_millis(conn.since_ms.load(Ordering::Relaxed));
        match conn.phase.load(Ordering::Relaxed) {
            HEAD => Some((
                since + self.limits.header_read_timeout,
                DropReason::header_timeout,
            )),
            BODY => Some((
                since + self.limits.body_read_timeout,
                DropReason::body_timeout,
            )),
            IDLE => Some((since + self.limits.idle_timeout, DropReason::idle_timeout)),
            _ => None,
        }
    }
}

/// Marks the newest connection without a request in progress to be closed, and forgets it (its task closes it
/// at once). A scan from the newest end: at the cap the newest are the likeliest to be idle. A connection still
/// within [`SHED_GRACE`] of its accept and waiting for its first head is passed over: its request is most likely
/// on the way (a legitimate client sends it at once), and without the grace a flood reconnecting at the cap would
/// shed every new connection before its request arrived (seen in the benchmark at 10,000 slow connections).
fn shed_newest_idle(connections: &mut BTreeMap<u64, Arc<Conn>>, now_ms: u64) -> bool {
    let grace = u64::try_from(SHED_GRACE.as_millis()).unwrap_or(u64::MAX);
    let victim = connections
        .iter()
        .rev()
        .find(|(_, conn)| conn.is_idle() && !conn.is_new(now_ms, grace))
        .map(|(id, _)| *id);
    let Some(conn) = victim.and_then(|id| connections.remove(&id)) else {
        return false;
    };
    conn.shed.store(true, Ordering::Relaxed);
    conn.changed.notify_one();
    true
}

/// Phases of a connection. Only `BUSY` has a request in progress; the others have a deadline.
const HEAD: u8 = 0;
const BODY: u8 = 1;
const BUSY: u8 = 2;
const IDLE: u8 = 3;

/// What the watchdog, the reads and the request guard of one connection share. All of them run on the
/// connection's task, so relaxed atomics suffice.
struct Conn {
    id: u64,
    /// Milliseconds from the server's epoch at which the connection was accepted.
    accepted_ms: u64,
    phase: AtomicU8,
    /// Milliseconds from the server's epoch at which the phase began.
    since_ms: AtomicU64,
    /// Requests in progress (hyper serves one at a time; a count keeps the guard simple).
    busy: AtomicU32,
    shed: AtomicBool,
    /// Wakes the watchdog when a deadline moves earlier (a head starts after a pause) or the connection is shed.
    changed: tokio::sync::Notify,
}

impl Conn {
    fn new(id: u64, now_ms: u64) -> Self {
        Self {
            id,
            accepted_ms: now_ms,
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(now_ms),
            busy: AtomicU32::new(0),
            shed: AtomicBool::new(false),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn is_idle(&self) -> bool {
        matches!(self.phase.load(Ordering::Relaxed), HEAD | IDLE)
            && !self.shed.load(Ordering::Relaxed)
    }

    /// Accepted less than `grace_ms` ago and still waiting for its first request head.
    fn is_new(&self, now_ms: u64, grace_ms: u64) -> bool {
        self.phase.load(Ordering::Relaxed) == HEAD
            && self.since_ms.load(Ordering::Relaxed) == self.accepted_ms
            && now_ms.saturating_sub(self.accepted_ms) < grace_ms
    }

    fn enter(&self, phase: u8, now_ms: u64) {
        self.since_ms.store(now_ms, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
        self.changed.notify_one();
    }
}

/// Resolves when the connection is past its deadline or shed.
async fn watchdog(server: &Server, conn: &Conn) -> DropReason {
    loop {
        if conn.shed.load(Ordering::Relaxed) {
            return DropReason::shed;
        }
        let Some((deadline, reason)) = server.deadline(conn) else {
            conn.changed.notified().await;
            continue;
        };
        if Instant::now() >= deadline {
            return reason;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = conn.changed.notified() => {}
        }
    }
}

/// One connection: its first request read into a right-sized buffer, then hyper, each under the watchdog.
async fn connection(server: Arc<Server>, conn: Arc<Conn>, mut stream: TcpStream) {
    let dropped = tokio::select! {
        biased;
        // Nothing has been handed to the router yet, so there is nothing to finish.
        () = server.shutdown.cancelled() => None,
        reason = watchdog(&server, &conn) => Some(reason),
        read = read_first_request(&server, &conn, &stream) => match read {
            Ok(Some(prefix)) => {
                // Boxed: hyper's connection state is allocated only once a request has arrived, not held in
                // every slow connection's task.
                Box::pin(serve_http(&server, &conn, stream, prefix)).await;
                server.release(&conn);
                return;
            }
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(%error, "connection failed before its first request");
                None
            }
        },
    };
    if let Some(reason) = dropped {
        server.metrics.dropped(reason);
        if reason == DropReason::body_timeout {
            // The client is still sending, so it may read an answer; it gets one JSON reason like every other
            // refusal, and no more time than one write.
            let _ = tokio::time::timeout(
                Duration::from_millis(100),
                stream.write_all(&request_timeout_response(server.limits.body_read_timeout)),
            )
            .await;
        }
    }
    server.release(&conn);
}

fn request_timeout_response(limit: Duration) -> Vec<u8> {
    let body = serde_json::json!({
        "error": "timeout",
        "message": BodyTimeout { limit }.to_string(),
    })
    .to_string();
    format!(
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads the connection's first request head, and its body when it has a small enough `Content-Length`, into a
/// buffer that grows with what arrives. `None`: the client closed first.
async fn read_first_request(
    server: &Server,
    conn: &Conn,
    stream: &TcpStream,
) -> io::Result<Option<Bytes>> {
    let mut buf: Vec<u8> = Vec::new();
    let mut searched = 0;
    // Where the request ends once its head is known (head only, when the body is not ours to read).
    let mut end: Option<usize> = None;
    loop {
        if let Some(end) = end {
            if buf.len() >= end {
                return Ok(Some(Bytes::from(buf)));
            }
        }
        stream.readable().await?;
        if buf.capacity() - buf.len() < 512 {
            // Grows with what arrived (Vec doubles), so a client trickling bytes costs about what it sent.
            buf.reserve(1024);
        }
        match stream.try_read_buf(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            Err(error) => return Err(error),
        }
        if end.is_some() {
            continue;
        }
        match head_end(&buf, searched) {
            Some(head_len) => {
                let body = match body_to_buffer(&buf[..head_len]) {
                    Some(len) if len <= server.limits.buffered_body_bytes => len,
                    // Streamed (chunked, `Expect: 100-continue`, too large) or unparsable: hyper takes over
                    // and answers.
                    _ => return Ok(Some(Bytes::from(buf))),
                };
                conn.enter(BODY, server.now_ms());
                end = Some(head_len + body);
            }
            None if buf.len() > MAX_HEAD_BYTES => return Ok(Some(Bytes::from(buf))),
            None => searched = buf.len().saturating_sub(3),
        }
    }
}

/// The length of the request head (through its empty line) if `buf` holds all of it; lines may end in CRLF or
/// a bare LF, as hyper accepts both. `from`: where the previous search of the same, shorter buffer stopped less
/// 3 bytes, so a terminator split across reads is still found. Public for the fuzz target (`fuzz/`).
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.min(buf.len());
    buf[start..]
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .find_map(|(i, _)| {
            let at = start + i;
            match buf.get(..at) {
                Some([.., b'\n']) => Some(at + 1),
                Some([.., b'\n', b'\r']) => Some(at + 1),
                _ => None,
            }
        })
}

/// The body length to read before handing the request on: `Some(n)` for a plain `Content-Length` (0 without a
/// body), `None` when hyper must stream it (chunked, `Expect`) or judge the head (unparsable). Public for the
/// fuzz target.
pub fn body_to_buffer(head: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    let mut length = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding")
            || header.name.eq_ignore_ascii_case("expect")
        {
            return None;
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value: usize = std::str::from_utf8(header.value)
                .ok()?
                .trim()
                .parse()
                .ok()?;
            if length.is_some_and(|l| l != value) {
                return None;
            }
            length = Some(value);
        }
    }
    Some(length.unwrap_or(0))
}

/// hyper serves the rest of the connection; `prefix` is what was read before.
async fn serve_http(server: &Arc<Server>, conn: &Arc<Conn>, stream: TcpStream, prefix: Bytes) {
    let io = TokioIo::new(TrackedIo {
        prefix,
        stream,
        conn: conn.clone(),
        server: server.clone(),
    });
    let service = ConnService {
        server: server.clone(),
        conn: conn.clone(),
    };
    let connection = server.http.serve_connection(io, service);
    tokio::pin!(connection);
    let dropped = tokio::select! {
        biased;
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            None
        }
        reason = watchdog(server, conn) => Some(reason),
        () = server.shutdown.cancelled() => {
            if conn.phase.load(Ordering::Relaxed) == BUSY {
                // Finish the request in progress, then close; the drain deadline bounds the wait.
                connection.as_mut().graceful_shutdown();
                tokio::select! {
                    _ = connection.as_mut() => {}
                    () = server.abort.cancelled() => {}
                }
            }
            None
        }
    };
    if let Some(reason) = dropped {
        server.metrics.dropped(reason);
    }
}

/// The socket, with what was read before hyper took over in front, telling the watchdog when a new request
/// head starts arriving after a keep-alive pause.
struct TrackedIo {
    prefix: Bytes,
    stream: TcpStream,
    conn: Arc<Conn>,
    server: Arc<Server>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            if this.prefix.is_empty() {
                // An empty view still holds the whole buffer; a keep-alive connection would carry it for life.
                this.prefix = Bytes::new();
            }
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before && this.conn.phase.load(Ordering::Relaxed) == IDLE {
            this.conn.enter(HEAD, this.server.now_ms());
        }
        result
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Calls the router with the body under its deadline, and keeps the connection busy until the response body
/// has been written.
#[derive(Clone)]
struct ConnService {
    server: Arc<Server>,
    conn: Arc<Conn>,
}

type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<GuardedBody>, Infallible>> + Send>>;

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = Response<GuardedBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let guard = BusyGuard::enter(self.server.clone(), self.conn.clone());
        let limit = self.server.limits.body_read_timeout;
        let metrics = self.server.metrics.clone();
        let request: Request = request.map(|body| {
            Body::new(TimedBody {
                inner: body,
                deadline: Instant::now() + limit,
                limit,
                sleep: None,
                metrics,
            })
        });
        let router = self.server.router.clone();
        Box::pin(async move {
            let response = router.oneshot(request).await?;
            Ok(response.map(|body| GuardedBody {
                inner: body,
                _guard: guard,
            }))
        })
    }
}

/// A request in progress on its connection, from the router's call until its response body is dropped (written
/// out, or the connection gone).
struct BusyGuard {
    server: Arc<Server>,
    conn: Arc<Conn>,
}

impl BusyGuard {
    fn enter(server: Arc<Server>, conn: Arc<Conn>) -> Self {
        conn.busy.fetch_add(1, Ordering::Relaxed);
        conn.enter(BUSY, server.now_ms());
        Self { server, conn }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        if self.conn.busy.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.conn.enter(IDLE, self.server.now_ms());
        }
    }
}

/// The response body, holding its connection busy until hyper has written it.
struct GuardedBody {
    inner: Body,
    _guard: BusyGuard,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The request body under the body read timeout: it fails with [`BodyTimeout`] at the deadline. The timer is
/// only armed when the body is not already there (the usual case for a webhook, read before the router ran).
struct TimedBody<B> {
    inner: B,
    deadline: Instant,
    limit: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    metrics: ConnectionMetrics,
}

impl<B> http_body::Body for TimedBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.metrics.dropped(DropReason::body_timeout);
            return Poll::Ready(Some(Err(Box::new(BodyTimeout { limit: this.limit }))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_empty_line() {
        let head = b"POST / HTTP/1.1\r\nhost: x\r\n\r\nbody";
        assert_eq!(head_end(head, 0), Some(head.len() - 4));
        assert_eq!(head_end(b"GET / HTTP/1.1\nhost: x\n\nrest", 0), Some(24));
        assert_eq!(head_end(b"POST / HTTP/1.1\r\nhost: x\r\n", 0), None);
        // A search resumed a few bytes back still finds a terminator split across reads.
        let split = b"POST / HTTP/1.1\r\nhost: x\r\n\r\n";
        assert_eq!(head_end(split, split.len() - 4), Some(split.len()));
    }

    #[test]
    fn only_plain_content_lengths_are_buffered() {
        let head = |extra: &str| format!("POST /x HTTP/1.1\r\nhost: a\r\n{extra}\r\n");
        assert_eq!(
            body_to_buffer(head("content-length: 12\r\n").as_bytes()),
            Some(12)
        );
        assert_eq!(body_to_buffer(head("").as_bytes()), Some(0));
        assert_eq!(
            body_to_buffer(head("transfer-encoding: chunked\r\n").as_bytes()),
            None
        );
        assert_eq!(
            body_to_buffer(head("content-length: 5\r\nexpect: 100-continue\r\n").as_bytes()),
            None
        );
        assert_eq!(
            body_to_buffer(head("content-length: 5\r\ncontent-length: 6\r\n").as_bytes()),
            None
        );
        assert_eq!(
            body_to_buffer(head("content-length: -1\r\n").as_bytes()),
            None
        );
        assert_eq!(body_to_buffer(b"\x00garbage\r\n\r\n"), None);
    }

    #[test]
    fn the_newest_idle_connection_is_shed_and_new_arrivals_get_a_grace() {
        // Accepted at 0, 100, 200, 300 and 1900 ms; at 2000 ms.
        let mut connections: BTreeMap<u64, Arc<Conn>> = [0, 100, 200, 300, 1900]
            .into_iter()
            .enumerate()
            .map(|(id, at)| (id as u64, Arc::new(Conn::new(id as u64, at))))
            .collect();
        connections[&2].enter(BUSY, 500);
        connections[&3].enter(BUSY, 500);
        connections[&3].enter(IDLE, 600);
        // 4 is newest but still within its first second, waiting for its head; 3 is in a keep-alive pause.
        assert!(shed_newest_idle(&mut connections, 2000));
        assert!(!connections.contains_key(&3));
        // 2 has a request in progress, so 1 goes next, then 0.
        assert!(shed_newest_idle(&mut connections, 2000));
        assert!(!connections.contains_key(&1));
        assert!(shed_newest_idle(&mut connections, 2000));
        assert!(!connections.contains_key(&0));
        // Only the busy one and the new arrival are left: nothing to shed, the next connection is refused.
        assert!(!shed_newest_idle(&mut connections, 2000));
        // Once past its grace the arrival that never sent a head is fair game.
        assert!(shed_newest_idle(&mut connections, 2900));
        assert!(!connections.contains_key(&4));
        assert_eq!(connections.keys().copied().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn the_timeout_answer_is_json_and_closes() {
        let response =
            String::from_utf8(request_timeout_response(Duration::from_secs(30))).expect("utf-8");
        assert!(response.starts_with("HTTP/1.1 408 "), "{response}");
        assert!(response.contains("connection: close\r\n"));
        let body = response.split("\r\n\r\n").nth(1).expect("body");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"], "timeout");
        assert!(response.contains(&format!("content-length: {}\r\n", body.len())));
    }
}

//! The load generator: signed webhooks over keep-alive HTTP/1.1 connections (hyper's client connection, no pool
//! machinery), open loop at a fixed rate or closed loop over N connections.
//!
//! Open loop measures from the time a request was *scheduled*, not from when it could be sent, so a stalled server
//! is charged for the requests that queued behind the stall (no coordinated omission). The schedule is kept with
//! tokio's 1 ms timer: each wake-up sends what is due within the next millisecond, and a request sent ahead of its
//! slot is measured from its actual send time, so early sends never flatter the figures.
//!
//! The generator shares the machine with what it measures, so a request costs it as little as it can: webhooks
//! are signed before a run starts, headers are built from constants, and answers are counted without
//! allocating.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::hist::{self, Latency};
use crate::payload::{delivery_id, Payloads, Signed};

type Sender = SendRequest<Full<Bytes>>;

const DELIVERY: HeaderName = HeaderName::from_static("x-chatwoot-delivery");
const TIMESTAMP: HeaderName = HeaderName::from_static("x-chatwoot-timestamp");
const SIGNATURE: HeaderName = HeaderName::from_static("x-chatwoot-signature");

/// Requests per second a closed-loop run is signed for in advance, a little above the best the ingress reached
/// on a 2-core machine: past it the rest are signed as they are sent, and what a run leaves is sent by the next
/// ([`Payloads::stock_up`]). Signing is charged to the run that signs, so more would only move the cost.
const PRESIGNED_PER_SECOND: f64 = 20_000.0;

/// Where the webhooks go.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub path: String,
    uri: hyper::Uri,
}

impl Target {
    pub fn webhook(addr: SocketAddr, tenant: &str) -> Self {
        let path = format!("/webhooks/chatwoot/{tenant}");
        Self {
            addr,
            uri: path.parse().expect("a tenant id is a valid path segment"),
            path,
        }
    }
}

/// Wall-clock times (to compare with the simulator's `received_at`) derived from a monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    instant: Instant,
    wall_us: i64,
}

impl Clock {
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            wall_us: chrono::Utc::now().timestamp_micros(),
        }
    }

    pub fn wall_us(&self, at: Instant) -> i64 {
        let delta = i64::try_from(at.saturating_duration_since(self.instant).as_micros())
            .unwrap_or(i64::MAX);
        self.wall_us + delta
    }
}

/// One request: which message, when it counts as sent and when its answer came (wall clock, µs) and the HTTP
/// status (0: no answer).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub message_id: u64,
    pub sent_wall_us: i64,
    pub answered_wall_us: i64,
    pub status: u16,
}

/// What a load run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadRun {
    pub mode: String,
    pub target_rate: Option<f64>,
    pub connections: Option<usize>,
    /// How long requests were being sent.
    pub seconds: f64,
    pub sent: u64,
    pub accepted: u64,
    pub accepted_per_s: f64,
    /// Responses by status (`"0"`: connection error, no response).
    pub statuses: BTreeMap<String, u64>,
    /// Webhook answered, from the scheduled (open loop) or actual (closed loop) send time.
    pub latency: Latency,
    /// How late the open-loop generator sent requests relative to their schedule.
    pub generator_lag: Option<Latency>,
    #[serde(skip)]
    pub samples: Vec<Sample>,
}

#[derive(Default)]
struct Collector {
    histogram: Option<Histogram<u64>>,
    samples: Vec<Sample>,
    statuses: BTreeMap<u16, u64>,
}

impl Collector {
    fn record(&mut self, sample: Sample, latency: Duration) {
        if sample.status == 202 {
            hist::record(
                self.histogram.get_or_insert_with(hist::new_histogram),
                latency,
            );
        }
        *self.statuses.entry(sample.status).or_default() += 1;
        self.samples.push(sample);
    }

    fn merge(&mut self, other: Collector) {
        if let Some(h) = other.histogram {
            let mine = self.histogram.get_or_insert_with(hist::new_histogram);
            let _ = mine.add(&h);
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.samples.extend(other.samples);
    }

    fn finish(self, mode: &str, seconds: f64) -> LoadRun {
        let accepted = self.samples.iter().filter(|s| s.status == 202).count() as u64;
        LoadRun {
            mode: mode.to_owned(),
            target_rate: None,
            connections: None,
            seconds,
            sent: self.samples.len() as u64,
            accepted,
            accepted_per_s: if seconds > 0.0 {
                accepted as f64 / seconds
            } else {
                0.0
            },
            statuses: self
                .statuses
                .into_iter()
                .map(|(status, count)| (status.to_string(), count))
                .collect(),
            latency: self.histogram.as_ref().map(Latency::of).unwrap_or_default(),
            generator_lag: None,
            samples: self.samples,
        }
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Idle keep-alive connections for the open loop, which needs as many as there are requests in flight.
struct Connections {
    addr: SocketAddr,
    idle: Mutex<Vec<Sender>>,
}

impl Connections {
    async fn get(&self) -> anyhow::Result<Sender> {
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(sender) if !sender.is_closed() => return Ok(sender),
                Some(_) => continue,
                None => return connect(self.addr).await,
            }
        }
    }

    /// Opens `count` connections up front: a connection opened mid-run under load can lose its SYN and wait out
    /// the kernel's 1 s retransmission, which would be charged to the server.
    async fn warm(&self, count: usize) {
        for _ in 0..count {
            if let Ok(sender) = connect(self.addr).await {
                self.put(sender);
            }
        }
    }

    fn put(&self, sender: Sender) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sender);
        }
    }
}

/// Signs `count` webhooks before a run, off the runtime's threads.
async fn stock_up(payloads: &Arc<Payloads>, count: usize) {
    let payloads = payloads.clone();
    let _ = tokio::task::spawn_blocking(move || payloads.stock_up(count)).await;
}

/// Posts one signed webhook on `sender`; the status, 0 when the connection failed.
async fn post(sender: &mut Sender, target: &Target, payloads: &Payloads, webhook: Signed) -> u16 {
    let Ok(request) = request(target, payloads, webhook) else {
        return 0;
    };
    if sender.ready().await.is_err() {
        return 0;
    }
    match sender.send_request(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            // Read the body to the end so the connection can carry the next request.
            let mut body = response.into_body();
            while let Some(frame) = body.frame().await {
                if frame.is_err() {
                    return 0;
                }
            }
            status
        }
        Err(_) => 0,
    }
}

fn request(
    target: &Target,
    payloads: &Payloads,
    webhook: Signed,
) -> Result<hyper::Request<Full<Bytes>>, hyper::header::InvalidHeaderValue> {
    let body = payloads.body(webhook.message_id, webhook.conversation_id);
    let mut request = hyper::Request::new(Full::new(body));
    *request.method_mut() = hyper::Method::POST;
    *request.uri_mut() = target.uri.clone();
    let headers = request.headers_mut();
    headers.insert(HOST, HeaderValue::from_static("ingress"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        DELIVERY,
        HeaderValue::try_from(delivery_id(webhook.message_id))?,
    );
    headers.insert(TIMESTAMP, HeaderValue::from(webhook.timestamp));
    headers.insert(SIGNATURE, HeaderValue::try_from(webhook.signature)?);
    Ok(request)
}

/// What every request of an open-loop run shares.
struct OpenLoop {
    target: Arc<Target>,
    payloads: Arc<Payloads>,
    connections: Connections,
    collector: Mutex<Collector>,
    clock: Clock,
}

/// Sends `rate` webhooks per second for `duration`, each on an idle connection (a new one when none is idle), at
/// most `max_in_flight` at once.
pub async fn open_loop(
    target: Arc<Target>,
    payloads: Arc<Payloads>,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
) -> LoadRun {
    let total = (rate * duration.as_secs_f64()).round() as u64;
    stock_up(&payloads, total as usize).await;
    let shared = Arc::new(OpenLoop {
        connections: Connections {
            addr: target.addr,
            idle: Mutex::new(Vec::new()),
        },
        target,
        payloads,
        collector: Mutex::new(Collector::default()),
        clock: Clock::now(),
    });
    // Enough for 5 ms of traffic at the rate, as a server answering in a few milliseconds needs.
    shared
        .connections
        .warm(((rate * 0.005) as usize).clamp(8, 256).min(max_in_flight))
        .await;
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let start = Instant::now() + Duration::from_millis(5);
    let pacer = {
        let (shared, slots, runtime) = (
            shared.clone(),
            slots.clone(),
            tokio::runtime::Handle::current(),
        );
        std::thread::spawn(move || pace(&shared, &slots, &runtime, start, interval, total))
    };
    let lag = tokio::task::spawn_blocking(move || pacer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(hist::new_histogram);
    let sending = start.elapsed().as_secs_f64();
    let all = u32::try_from(max_in_flight).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    let collected = std::mem::take(
        &mut *shared
            .collector
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    let mut run = collected.finish("open", sending.max(duration.as_secs_f64()));
    run.target_rate = Some(rate);
    run.generator_lag = Some(Latency::of(&lag));
    run
}

/// Requests due within this are sent together, early (and timed from their actual send): one wake-up of the pacer
/// per request at 10k/s took enough CPU from the services to show in their latency.
const PACER_BURST: Duration = Duration::from_micros(250);

/// Starts request `i` at `start + i × interval`, from a thread of its own: the runtime's timer wakes up to a
/// millisecond late, which an open-loop latency (counted from the schedule) would charge to the server. A thread
/// sleeping to each send time is late by tens of microseconds. Returns how late each request was started.
fn pace(
    shared: &Arc<OpenLoop>,
    slots: &Arc<Semaphore>,
    runtime: &tokio::runtime::Handle,
    start: Instant,
    interval: Duration,
    total: u64,
) -> Histogram<u64> {
    let mut lag = hist::new_histogram();
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        if let Some(ahead) = scheduled.checked_duration_since(Instant::now()) {
            if ahead > PACER_BURST {
                std::thread::sleep(ahead);
            }
        }
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => match runtime.block_on(slots.clone().acquire_owned()) {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let now = Instant::now();
        hist::record(&mut lag, now.saturating_duration_since(scheduled));
        let counted_from = scheduled.min(now);
        let webhook = shared.payloads.take_signed();
        let shared = shared.clone();
        runtime.spawn(async move {
            let message_id = webhook.message_id;
            let status = match shared.connections.get().await {
                Ok(mut sender) => {
                    let status = post(&mut sender, &shared.target, &shared.payloads, webhook).await;
                    shared.connections.put(sender);
                    status
                }
                Err(_) => 0,
            };
            let latency = counted_from.elapsed();
            let sent_wall_us = shared.clock.wall_us(counted_from);
            let sample = Sample {
                message_id,
                sent_wall_us,
                answered_wall_us: sent_wall_us + i64::try_from(latency.as_micros()).unwrap_or(0),
                status,
            };
            shared
                .collector
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(sample, latency);
            drop(permit);
        });
    }
    lag
}

/// Keeps the pipeline's backlog bounded: a closed-loop sender waits while `accepted - replies >= window`.
#[derive(Clone)]
pub struct Gate {
    pub replies: Arc<AtomicU64>,
    pub accepted: Arc<AtomicU64>,
    pub window: u64,
}

/// `connections` senders, each sending its next webhook as soon as the previous one is answered (and, with a
/// gate, as soon as the pipeline has room), for `duration`.
pub async fn closed_loop(
    target: Arc<Target>,
    payloads: Arc<Payloads>,
    connections: usize,
    duration: Duration,
    gate: Option<Gate>,
) -> anyhow::Result<LoadRun> {
    // A gated run is bound by the pipeline, whose events cost about a thousand times what signing does.
    if gate.is_none() {
        stock_up(
            &payloads,
            (PRESIGNED_PER_SECOND * duration.as_secs_f64()) as usize,
        )
        .await;
    }
    let clock = Clock::now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let mut sender = connect(target.addr).await?;
        let (target, payloads, gate) = (target.clone(), payloads.clone(), gate.clone());
        tasks.spawn(async move {
            let mut collector = Collector::default();
            while started.elapsed() < duration {
                if let Some(gate) = &gate {
                    while gate.accepted.load(Ordering::Relaxed)
                        >= gate.replies.load(Ordering::Relaxed) + gate.window
                        && started.elapsed() < duration
                    {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                let webhook = payloads.take_signed();
                let message_id = webhook.message_id;
                let sent = Instant::now();
                let status = post(&mut sender, &target, &payloads, webhook).await;
                if status == 0 {
                    // The server closed the connection: reconnect once, count the failure.
                    if let Ok(fresh) = connect(target.addr).await {
                        sender = fresh;
                    }
                }
                if status == 202 {
                    if let Some(gate) = &gate {
                        gate.accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let latency = sent.elapsed();
                let sent_wall_us = clock.wall_us(sent);
                collector.record(
                    Sample {
                        message_id,
                        sent_wall_us,
                        answered_wall_us: sent_wall_us
                            + i64::try_from(latency.as_micros()).unwrap_or(0),
                        status,
                    },
                    latency,
                );
            }
            collector
        });
    }
    let mut all = Collector::default();
    while let Some(result) = tasks.join_next().await {
        all.merge(result?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut run = all.finish("closed", seconds);
    run.connections = Some(connections);
    Ok(run)
}

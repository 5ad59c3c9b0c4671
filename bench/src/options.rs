use std::path::PathBuf;
use std::time::Duration;

use infra::config::parse_duration;

/// Measures the pipeline against the ceilings of this machine, measured in the same run: raw JetStream publishing,
/// PostgreSQL ledger commits, the ingress alone (open and closed loop) and the whole pipeline (webhook to the
/// simulated Chatwoot receiving the reply), with CPU per event and peak memory of each service.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "bench", version)]
pub struct Options {
    /// A run of seconds that only shows the benchmark still works: services in-process (no release build), tiny
    /// rates and durations. Its figures are not the machine's.
    #[arg(long)]
    pub quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Length of each load phase, ingress and pipeline (default 10s; quick: 1500ms).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Length of each ceiling measurement, JetStream and PostgreSQL (default 5s; quick: 500ms).
    #[arg(long, value_parser = parse_duration)]
    pub ceiling_duration: Option<Duration>,
    /// Open-loop rates for the ingress in webhooks/s (default 1000,2000,5000; quick: 100); half of the measured
    /// closed-loop maximum is added.
    #[arg(long, value_delimiter = ',')]
    pub rates: Option<Vec<f64>>,
    /// Keep-alive connections of the closed-loop ingress run (default 64; quick: 8).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Open-loop rates for the whole pipeline in events/s (default 1000; quick: 50), end-to-end latency measured at each (before the
    /// maximum run, so the services' peak RSS is read at the first of them); half of the measured maximum is
    /// run after it.
    #[arg(long, value_delimiter = ',')]
    pub pipeline_rates: Option<Vec<f64>>,
    /// Connections of the pipeline's maximum-throughput run (default 32; quick: 4).
    #[arg(long)]
    pub pipeline_connections: Option<usize>,
    /// Largest backlog (accepted, not yet replied) the pipeline's maximum run allows before senders wait
    /// (default 2000; quick: 200).
    #[arg(long)]
    pub pipeline_window: Option<u64>,
    /// Messages per conversation in the generated load (1: every webhook opens a new conversation). With more,
    /// 1,000 conversations are open at a time and take turns, each getting every 1,000th webhook.
    #[arg(long, default_value_t = 1)]
    pub messages_per_conversation: u64,
    /// Most requests in flight in open loop (beyond it the schedule slips, and is charged to the latency).
    #[arg(long, default_value_t = 4096)]
    pub max_in_flight: usize,
    /// Which parts to run: any of `ceilings`, `ingress`, `slow`, `pipeline`, `api`, `reports` (all by default).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ceilings,ingress,slow,pipeline,api,reports"
    )]
    pub phases: Vec<String>,
    /// Conversations (10 messages each, over 90 days) the `reports` phase rolls up (default 1000000; quick:
    /// 20000).
    #[arg(long)]
    pub reports_conversations: Option<u64>,
    /// Conversations (with 10 messages each) the `api` phase seeds (default 1000000; quick: 2000).
    #[arg(long)]
    pub api_conversations: Option<u64>,
    /// Requests per conversation-list scenario of the `api` phase (default 400; quick: 16).
    #[arg(long)]
    pub api_requests: Option<usize>,
    /// Concurrent SSE subscribers of the `api` phase (default 1000; quick: 10).
    #[arg(long)]
    pub api_subscribers: Option<usize>,
    /// Activity records published to the SSE subscribers, at 50/s (default 200; quick: 10).
    #[arg(long)]
    pub api_events: Option<usize>,
    /// Subscribers that drop their connection halfway and resume with Last-Event-ID (default 50; quick: 3).
    #[arg(long)]
    pub api_resumers: Option<usize>,
    /// Slow connections the `slow` phase holds against the ingress, half partial request heads, half trickled
    /// bodies (default 10000; quick: 200). Needs twice as many open files on one machine (raised to the hard
    /// limit at start; `ulimit -n` shows it).
    #[arg(long)]
    pub slow_connections: Option<usize>,
    /// How often each slow connection sends one more header line or body byte (default 10s; quick: 500ms).
    #[arg(long, value_parser = parse_duration)]
    pub slow_interval: Option<Duration>,
    /// Signed webhooks per second sent while the slow connections are held (default 200; quick: 50).
    #[arg(long)]
    pub slow_rate: Option<f64>,
    /// Extra environment for the service processes, e.g. `--service-env DATABASE_POOL_SIZE=32` (repeatable;
    /// `SERVICE:KEY=VALUE` for one service only, e.g. `worker:DATABASE_POOL_SIZE=32`).
    #[arg(long, value_name = "[SERVICE:]KEY=VALUE")]
    pub service_env: Vec<String>,
    /// Run the services as tasks of this process (e2e harness) instead of their release binaries.
    #[arg(long)]
    pub in_process: bool,
    /// Run the services from this directory's `ingress`, `worker` and `dispatcher` instead of `target/release`
    /// (nothing is built): compares two builds on the same machine.
    #[arg(long, env = "BENCH_BIN_DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Compare this directory's `ingress`, `worker` and `dispatcher` (the baseline, e.g. today's main) with the
    /// build under test (`--bin-dir`, or `target/release`): the `ingress` and `pipeline` phases run every step
    /// for both builds in this one run, on the same NATS server and PostgreSQL, interleaved, each run on fresh
    /// services with a database and streams of its own, and report them side by side
    /// (`scripts/bench-compare.sh` builds a git ref into one).
    #[arg(long, env = "BENCH_BASELINE_BIN_DIR", value_name = "DIR")]
    pub baseline_bin_dir: Option<PathBuf>,
    /// With `--baseline-bin-dir`: rounds of each step, every build once per round, the first build of a round
    /// alternating (2: baseline, candidate, candidate, baseline; the next step the other way round).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub compare_rounds: u32,
    /// Do not run `cargo build --release -p ingress -p worker -p dispatcher` first.
    #[arg(long)]
    pub no_build: bool,
    /// NATS to use. Unset: a private `nats-server` (own port and store directory) when one is on PATH, else
    /// TEST_NATS_URL or nats://127.0.0.1:4222. The quick mode uses TEST_NATS_URL or the default.
    #[arg(long, env = "BENCH_NATS_URL")]
    pub nats_url: Option<String>,
    /// PostgreSQL administrative URL; the run creates its own database there and drops it at the end.
    #[arg(
        long,
        env = "TEST_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        hide_env_values = true
    )]
    pub database_url: String,
}

/// The options with the defaults of the chosen mode filled in.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub duration: Duration,
    pub ceiling_duration: Duration,
    pub rates: Vec<f64>,
    pub connections: usize,
    pub pipeline_rates: Vec<f64>,
    pub pipeline_connections: usize,
    pub pipeline_window: u64,
    pub jetstream_window: usize,
    pub max_in_flight: usize,
    pub pg_batch_size: usize,
    pub warmup: Duration,
    pub slow_connections: usize,
    pub slow_interval: Duration,
    pub slow_rate: f64,
    /// How long after the slow connections close the ingress's memory is read again.
    pub slow_after: Duration,
    /// Size limit of every stream: JetStream reserves it on the disk, so the quick run in the test suite keeps it
    /// small; a full run keeps far more history than the services' 1 GiB default.
    pub stream_max_bytes: i64,
    pub api_conversations: u64,
    pub api_requests: usize,
    pub api_subscribers: usize,
    pub api_events: usize,
    pub api_event_rate: f64,
    pub api_resumers: usize,
    pub reports_conversations: u64,
}

impl Options {
    pub fn plan(&self) -> Plan {
        let quick = self.quick;
        Plan {
            quick,
            duration: self.duration.unwrap_or(if quick {
                Duration::from_millis(1500)
            } else {
                Duration::from_secs(10)
            }),
            ceiling_duration: self.ceiling_duration.unwrap_or(if quick {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(5)
            }),
            rates: self.rates.clone().unwrap_or_else(|| {
                if quick {
                    vec![100.0]
                } else {
                    vec![1000.0, 2000.0, 5000.0]
                }
            }),
            connections: self.connections.unwrap_or(if quick { 8 } else { 64 }),
            pipeline_rates: self.pipeline_rates.clone().unwrap_or_else(|| {
                if quick {
                    vec![50.0]
                } else {
                    vec![1000.0]
                }
            }),
            pipeline_connections: self
                .pipeline_connections
                .unwrap_or(if quick { 4 } else { 32 }),
            pipeline_window: self
                .pipeline_window
                .unwrap_or(if quick { 200 } else { 2000 }),
            jetstream_window: 4096,
            max_in_flight: self.max_in_flight.max(1),
            pg_batch_size: 1000,
            warmup: if quick {
                Duration::from_millis(200)
            } else {
                Duration::from_secs(1)
            },
            slow_connections: self
                .slow_connections
                .unwrap_or(if quick { 200 } else { 10_000 }),
            slow_interval: self.slow_interval.unwrap_or(if quick {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(10)
            }),
            slow_rate: self.slow_rate.unwrap_or(if quick { 50.0 } else { 200.0 }),
            slow_after: if quick {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(10)
            },
            stream_max_bytes: if quick { 256 << 20 } else { 4 << 30 },
            api_conversations: self.api_conversations.unwrap_or(if quick {
                2_000
            } else {
                1_000_000
            }),
            api_requests: self.api_requests.unwrap_or(if quick { 16 } else { 400 }),
            api_subscribers: self
                .api_subscribers
                .unwrap_or(if quick { 10 } else { 1000 }),
            api_events: self.api_events.unwrap_or(if quick { 10 } else { 200 }),
            api_event_rate: 50.0,
            api_resumers: self.api_resumers.unwrap_or(if quick { 3 } else { 50 }),
            reports_conversations: self.reports_conversations.unwrap_or(if quick {
                20_000
            } else {
                1_000_000
            }),
        }
    }
}

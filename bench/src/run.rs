//! One benchmark run: ceilings, the ingress alone, the whole pipeline, then the table.

mod ab;
mod phases;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::ceiling;
use crate::compare::{BuildRuns, Comparison};
use crate::load::{self, Target};
use crate::options::{Options, Plan};
use crate::payload::Payloads;
use crate::pipeline;
use crate::procfs::{self, CpuSnapshot};
use crate::report::{ms, per_s, Report, Row, RunInfo};
use crate::services::{self, Launch, PrivateNats, Role, Stack};
use crate::slow::{self, Flood, SlowReport};

/// Targets from the benchmark issue, shown beside the figures they apply to.
const TARGET_INGRESS_P99_MS: f64 = 5.0;
const TARGET_PIPELINE_PER_S: f64 = 5000.0;
const TARGET_E2E_P99_MS: f64 = 50.0;
const TARGET_RSS_MIB: f64 = 64.0;
/// Issue 18: signed webhooks while 10,000 slow connections are held.
const TARGET_SLOW_P99_MS: f64 = 10.0;
/// Durable commits per event on the happy path: the worker's transaction, the dispatcher's claim and its
/// settle (`worker/src/process.rs`, `dispatcher/src/ledger.rs`).
const COMMITS_PER_EVENT: f64 = 3.0;

/// Runs everything `options` asks for and returns the report (also printed as it goes).
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let plan = options.plan();
    if options.baseline_bin_dir.is_some() && (plan.quick || options.in_process) {
        bail!(
            "--baseline-bin-dir compares two builds' binaries: it cannot run with --quick or --in-process, \
             whose services are this process's own code"
        );
    }
    let begun = Instant::now();
    // The slow-clients phase holds thousands of sockets in this process (and as many in the ingress).
    infra::http::raise_fd_limit();
    let ticks = procfs::clock_ticks();
    let run_id = format!("{:08x}", rand::thread_rng().gen::<u32>());
    let work = tempfile::Builder::new()
        .prefix("bench-")
        .tempdir()
        .context("work directory")?;
    // Kept after the run: the services' logs are where a surprising figure is explained.
    let log_dir = std::env::temp_dir().join(format!("bench-{run_id}"));

    let extra_env: Vec<_> = options
        .service_env
        .iter()
        .map(|e| services::parse_service_env(e))
        .collect::<anyhow::Result<_>>()?;
    let launch = if plan.quick || options.in_process {
        Launch::InProcess
    } else {
        Launch::Processes {
            bin_dir: match &options.bin_dir {
                Some(dir) => services::check_binaries(dir.clone())?,
                None => services::release_dir(!options.no_build)?,
            },
            log_dir: log_dir.clone(),
            extra_env: extra_env.clone(),
        }
    };
    // The build `launch` runs is the candidate; the baseline's binaries get the same configuration.
    let baseline = match &options.baseline_bin_dir {
        Some(dir) => Some(Launch::Processes {
            bin_dir: services::check_binaries(dir.clone())
                .with_context(|| format!("--baseline-bin-dir {}", dir.display()))?,
            log_dir: log_dir.clone(),
            extra_env,
        }),
        None => None,
    };
    std::fs::create_dir_all(&log_dir)?;
    let private_nats = match (&options.nats_url, plan.quick) {
        (None, false) if which("nats-server") => {
            let store = work.path().join("jetstream");
            std::fs::create_dir_all(&store)?;
            Some(PrivateNats::start("nats-server", &store, &log_dir).await?)
        }
        _ => None,
    };
    let nats_url = match (&private_nats, &options.nats_url) {
        (Some(nats), _) => nats.url.clone(),
        (None, Some(url)) => url.clone(),
        (None, None) => {
            std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
        }
    };
    // The harness reads where PostgreSQL and NATS are from these.
    std::env::set_var("TEST_DATABASE_URL", &options.database_url);
    std::env::set_var("TEST_NATS_URL", &nats_url);
    let mut env = e2e::Env::new().await;
    env.nats_url = nats_url.clone();

    let payloads = Arc::new(Payloads::new(
        e2e::TENANT,
        e2e::WEBHOOK_SECRET,
        1_000_000,
        options.messages_per_conversation,
    )?);
    let mut report = Report {
        run: RunInfo {
            started_at: chrono::Utc::now().to_rfc3339(),
            quick: plan.quick,
            services: match launch {
                Launch::InProcess => "in-process".into(),
                Launch::Processes { .. } => "processes".into(),
            },
            nats: if private_nats.is_some() {
                "private nats-server".into()
            } else {
                nats_url.clone()
            },
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            duration_s: plan.duration.as_secs_f64(),
            ceiling_duration_s: plan.ceiling_duration.as_secs_f64(),
            webhook_bytes: payloads.next().body.len(),
            messages_per_conversation: options.messages_per_conversation,
            seconds_total: 0.0,
            loadavg_start: loadavg(),
            loadavg_end: String::new(),
        },
        ..Report::default()
    };
    eprintln!(
        "bench: run {run_id}, services {}, NATS {}, logs in {}",
        report.run.services,
        report.run.nats,
        log_dir.display()
    );

    let wants = |phase: &str| options.phases.iter().any(|p| p == phase);
    let rig = phases::Rig {
        plan: &plan,
        payloads: &payloads,
        ticks,
        nats: private_nats.as_ref(),
    };
    let mut ab = baseline.as_ref().map(|baseline| {
        ab::Ab::new(
            rig,
            [baseline, &launch],
            &options.database_url,
            &run_id,
            options.compare_rounds as usize,
        )
    });
    let mut compared: [BuildRuns; 2] = Default::default();
    let result = async {
        if wants("ceilings") {
            report.ceilings = ceilings(&plan, &env, &payloads, &nats_url, &run_id).await?;
        }
        if wants("ingress") {
            match &mut ab {
                Some(ab) => {
                    let shared = env.database_url.clone();
                    let runs = ab.ingress(&mut env).await;
                    env.database_url = shared;
                    let [base, cand] = runs?;
                    (compared[0].ingress, compared[1].ingress) = (base, cand);
                }
                None => report.ingress = phases::ingress(&rig, &mut env, &launch, &run_id).await?,
            }
        }
        if wants("slow") {
            report.slow = Some(slow_clients(&plan, &mut env, &launch, &payloads, &run_id).await?);
        }
        if wants("pipeline") {
            match &mut ab {
                Some(ab) => {
                    let shared = env.database_url.clone();
                    let runs = ab.pipeline(&mut env).await;
                    env.database_url = shared;
                    let [base, cand] = runs?;
                    (compared[0].pipeline, compared[1].pipeline) = (base, cand);
                }
                None => {
                    report.pipeline =
                        phases::whole_pipeline(&rig, &mut env, &launch, &run_id).await?;
                }
            }
        }
        if wants("api") {
            eprintln!("bench: api");
            report.api = Some(crate::api::run(&plan, &env, &launch).await?);
        }
        if wants("reports") {
            eprintln!("bench: reports");
            report.reports =
                Some(crate::reports::run(plan.reports_conversations, &env.pool().await).await?);
        }
        anyhow::Ok(())
    }
    .await;
    let ab = ab.map(|ab| (ab.rounds, ab.order));
    if result.is_err() {
        eprintln!("bench: failed; logs in {}", log_dir.display());
    }
    env.cleanup().await;
    if let Some(nats) = private_nats {
        nats.stop().await;
    }
    // Only removed when empty: an in-process run writes no logs there.
    let _ = std::fs::remove_dir(&log_dir);
    result?;
    if let (Some((rounds, order)), Some(baseline)) = (ab, &baseline) {
        let [mut base, mut cand] = compared;
        base.bin_dir = bin_dir_of(baseline);
        cand.bin_dir = bin_dir_of(&launch);
        report.compare = Some(Comparison::new(rounds, order, base, cand));
    }
    report.run.seconds_total = begun.elapsed().as_secs_f64();
    report.run.loadavg_end = loadavg();
    report.table = table(&report);
    Ok(report)
}

fn bin_dir_of(launch: &Launch) -> String {
    match launch {
        Launch::Processes { bin_dir, .. } => bin_dir.display().to_string(),
        Launch::InProcess => "in-process".into(),
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn which(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

async fn ceilings(
    plan: &Plan,
    env: &e2e::Env,
    payloads: &Payloads,
    nats_url: &str,
    run_id: &str,
) -> anyhow::Result<ceiling::Ceilings> {
    let client = async_nats::connect(nats_url).await.context("NATS")?;
    let js = async_nats::jetstream::new(client);
    let topology = infra::Topology::new(&format!("b{run_id}raw"));
    let limits = infra::StreamLimits {
        max_bytes: plan.stream_max_bytes,
        activity_max_bytes: plan.stream_max_bytes,
        ..infra::StreamLimits::default()
    };
    topology.ensure_streams(&js, &limits).await?;
    let pool = ceiling::envelope_pool(payloads, &topology, 1024);
    eprintln!("bench: ceiling: JetStream pipelined publish");
    let pipelined =
        ceiling::jetstream_pipelined(&js, &pool, plan.ceiling_duration, plan.jetstream_window)
            .await?;
    let _ = js.get_stream(topology.events_stream()).await?.purge().await;
    eprintln!("bench: ceiling: JetStream publish + ack, one at a time");
    let sync = ceiling::jetstream_sync(&js, &pool, plan.ceiling_duration, 1 << 40).await?;
    delete_streams(&js, &topology).await;
    eprintln!("bench: ceiling: PostgreSQL ledger inserts");
    let (pg1, pg8, batched) =
        ceiling::postgres(&env.database_url, plan.ceiling_duration, plan.pg_batch_size).await?;
    Ok(ceiling::Ceilings {
        envelope_bytes: pool.first().map_or(0, |(_, p)| p.len()),
        jetstream_pipelined: pipelined,
        jetstream_window: plan.jetstream_window,
        jetstream_sync: sync,
        pg_commit_1: pg1,
        pg_commit_8: pg8,
        pg_batched: batched,
        pg_batch_size: plan.pg_batch_size,
    })
}

async fn delete_streams(js: &async_nats::jetstream::Context, topology: &infra::Topology) {
    for stream in topology.streams() {
        let _ = js.delete_stream(&stream).await;
    }
}

async fn purge_events(env: &e2e::Env) {
    if let Ok(stream) = env
        .jetstream()
        .await
        .get_stream(env.topology().events_stream())
        .await
    {
        let _ = stream.purge().await;
    }
}

/// CPU seconds of the services, the private NATS server, this run's PostgreSQL backends and the rest of the
/// machine between two points.
struct CpuProbe {
    before: CpuSnapshot,
    pids: Vec<(String, u32, f64)>,
    backends: BTreeMap<u32, f64>,
    database_url: String,
    ticks: f64,
}

/// PostgreSQL backends serving the run's database (the services' pooled connections live through a phase).
async fn backend_pids(database_url: &str) -> Vec<u32> {
    let Ok((client, connection)) =
        tokio_postgres::connect(database_url, tokio_postgres::NoTls).await
    else {
        return Vec::new();
    };
    let driver = tokio::spawn(connection);
    let pids = client
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .map(|rows| {
            rows.iter()
                .filter_map(|r| u32::try_from(r.get::<_, i32>(0)).ok())
                .collect()
        })
        .unwrap_or_default();
    drop(client);
    let _ = driver.await;
    pids
}

impl CpuProbe {
    async fn start(
        stack: &Stack,
        nats: Option<&PrivateNats>,
        database_url: &str,
        ticks: f64,
    ) -> Self {
        let mut pids: Vec<(String, u32)> = stack
            .pids()
            .into_iter()
            .map(|(role, pid)| (role.name().to_owned(), pid))
            .collect();
        if let Some(nats) = nats {
            pids.push(("nats-server".into(), nats.pid));
        }
        pids.push(("bench (load + simulator)".into(), std::process::id()));
        let cpu = |pid: u32| procfs::cpu_seconds(pid, ticks).map_or(0.0, |(_, s)| s);
        let pids = pids
            .into_iter()
            .map(|(name, pid)| (name, pid, cpu(pid)))
            .collect();
        let backends = backend_pids(database_url)
            .await
            .into_iter()
            .map(|pid| (pid, cpu(pid)))
            .collect();
        Self {
            before: CpuSnapshot::take(ticks),
            pids,
            backends,
            database_url: database_url.to_owned(),
            ticks,
        }
    }

    /// Milliseconds per event: each tracked process, this run's PostgreSQL backends, the rest of PostgreSQL (its
    /// background writers and other databases), and the whole machine.
    async fn per_event(&self, events: u64) -> BTreeMap<String, f64> {
        let events = events.max(1) as f64;
        let mut out = BTreeMap::new();
        for (name, pid, before) in &self.pids {
            if let Some((_, now)) = procfs::cpu_seconds(*pid, self.ticks) {
                out.insert(name.clone(), (now - before) * 1000.0 / events);
            }
        }
        let mut backends = 0.0;
        for pid in backend_pids(&self.database_url).await {
            if let Some((_, now)) = procfs::cpu_seconds(pid, self.ticks) {
                backends += now - self.backends.get(&pid).copied().unwrap_or(0.0);
            }
        }
        out.insert(
            "postgres (this run's backends)".into(),
            backends * 1000.0 / events,
        );
        let delta = CpuSnapshot::take(self.ticks).since(&self.before);
        if let Some(seconds) = delta.get("postgres") {
            out.insert(
                "postgres (rest of the server)".into(),
                (seconds - backends).max(0.0) * 1000.0 / events,
            );
        }
        if !out.contains_key("nats-server") {
            if let Some(seconds) = delta.get("nats-server") {
                out.insert("nats-server (shared)".into(), seconds * 1000.0 / events);
            }
        }
        if let Some(seconds) = delta.get("(machine)") {
            let machine = seconds * 1000.0 / events;
            // What this run did not do: other builds and tests sharing the machine.
            let tracked: f64 = out.values().sum();
            out.insert("machine (all processes)".into(), machine);
            out.insert("others on the machine".into(), (machine - tracked).max(0.0));
        }
        out
    }
}

fn memory_of(stack: &Stack) -> BTreeMap<String, procfs::Memory> {
    stack
        .pids()
        .into_iter()
        .filter_map(|(role, pid)| procfs::memory(pid).map(|m| (role.name().to_owned(), m)))
        .collect()
}

/// Issue 18: the ingress (default configuration) while `slow_connections` slow clients hold it, half with
/// partial request heads and half with trickled bodies, each reconnecting when cut: signed webhooks at
/// `slow_rate`, latency measured as in the ingress's open loop, and the ingress's RSS before, during and after.
async fn slow_clients(
    plan: &Plan,
    env: &mut e2e::Env,
    launch: &Launch,
    payloads: &Arc<Payloads>,
    run_id: &str,
) -> anyhow::Result<SlowReport> {
    let prefix = format!("b{run_id}slow");
    let stack = Stack::start(
        env,
        launch,
        &prefix,
        &[Role::Ingress],
        plan.stream_max_bytes,
    )
    .await?;
    let result = async {
        let addr = stack.ingress.context("ingress address")?;
        let target = Arc::new(Target::webhook(addr, e2e::TENANT));
        load::closed_loop(target.clone(), payloads.clone(), 4, plan.warmup, None).await?;
        purge_events(env).await;
        let pid = stack
            .pids()
            .into_iter()
            .find(|(role, _)| *role == Role::Ingress)
            .map(|(_, pid)| pid);
        let memory_before = pid.and_then(procfs::memory);

        eprintln!(
            "bench: slow clients: holding {} slow connections",
            plan.slow_connections
        );
        let flood = Flood::start(
            addr,
            &target.path,
            plan.slow_connections,
            plan.slow_interval,
            2000,
        )
        .await;
        let target_held = plan.slow_connections as u64 * 99 / 100;
        if !flood.wait_held(target_held, Duration::from_secs(60)).await {
            eprintln!(
                "bench: slow clients: only {} of {} held",
                flood.stats.held.load(Ordering::Relaxed),
                plan.slow_connections
            );
        }
        tokio::time::sleep(plan.warmup).await;
        let held_at_start = flood.stats.held.load(Ordering::Relaxed);
        // Held connections and ingress memory sampled while the webhooks are sent.
        let sampling = CancellationToken::new();
        let sampler = {
            let (stats, sampling) = (flood.stats.clone(), sampling.clone());
            tokio::spawn(async move {
                let (mut low, mut high) = (u64::MAX, 0u64);
                let mut memory: Option<procfs::Memory> = None;
                loop {
                    let held = stats.held.load(Ordering::Relaxed);
                    low = low.min(held);
                    high = high.max(held);
                    if let Some(now) = pid.and_then(procfs::memory) {
                        if memory.is_none_or(|m| now.rss_mib > m.rss_mib) {
                            memory = Some(now);
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(250)) => {}
                        () = sampling.cancelled() => return (low, high, memory),
                    }
                }
            })
        };
        eprintln!(
            "bench: slow clients: signed webhooks at {}/s while {held_at_start} are held",
            plan.slow_rate
        );
        let webhooks = load::open_loop(
            target.clone(),
            payloads.clone(),
            plan.slow_rate,
            plan.duration,
            plan.max_in_flight,
        )
        .await;
        sampling.cancel();
        let (held_min, held_max, memory_during) = sampler.await.unwrap_or((0, 0, None));
        let stats = &flood.stats;
        let (opened, cut_by_server, connect_errors) = (
            stats.opened.load(Ordering::Relaxed),
            stats.cut.load(Ordering::Relaxed),
            stats.connect_errors.load(Ordering::Relaxed),
        );
        flood.stop().await;
        tokio::time::sleep(plan.slow_after).await;
        let memory_after = pid.and_then(procfs::memory);
        let ingress_dropped = match stack.ingress_metrics {
            Some(metrics) => reqwest::get(format!("http://{metrics}/metrics"))
                .await?
                .text()
                .await
                .map(|text| slow::dropped_by_reason(&text))?,
            None => BTreeMap::new(),
        };
        purge_events(env).await;
        anyhow::Ok(SlowReport {
            target_connections: plan.slow_connections,
            interval_s: plan.slow_interval.as_secs_f64(),
            held_at_start,
            held_min,
            held_max,
            opened,
            cut_by_server,
            connect_errors,
            webhooks,
            memory_before,
            memory_during,
            memory_after,
            after_s: plan.slow_after.as_secs_f64(),
            ingress_dropped,
        })
    }
    .await;
    stack.stop().await;
    delete_streams(&env.jetstream().await, &env.topology()).await;
    result
}

/// PostgreSQL counters of the run's database, and the server's WAL.
async fn pg_counters(database_url: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Ok((client, connection)) =
        tokio_postgres::connect(database_url, tokio_postgres::NoTls).await
    else {
        return out;
    };
    let driver = tokio::spawn(connection);
    if let Ok(row) = client
        .query_one(
            "SELECT xact_commit::float8, (tup_inserted + tup_updated + tup_deleted)::float8,
                    pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8
             FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
    {
        out.insert("transactions".into(), row.get(0));
        out.insert("rows written".into(), row.get(1));
        out.insert("WAL bytes (server)".into(), row.get(2));
    }
    if let Ok(row) = client
        .query_one("SELECT wal_sync::float8 FROM pg_stat_wal", &[])
        .await
    {
        out.insert("WAL syncs (server)".into(), row.get(0));
    }
    drop(client);
    let _ = driver.await;
    out
}

async fn nats_counters(nats: Option<&PrivateNats>) -> BTreeMap<String, f64> {
    match nats {
        Some(nats) => nats.counters().await,
        None => BTreeMap::new(),
    }
}

fn per_event_delta(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    events: u64,
) -> BTreeMap<String, f64> {
    let events = events.max(1) as f64;
    after
        .iter()
        .filter_map(|(k, v)| before.get(k).map(|b| (k.clone(), (v - b) / events)))
        .collect()
}

/// Backlog drain allowance: a phase above capacity leaves a queue behind, drained at whatever rate the
/// pipeline has; replies are missing only when none arrives for 20 s (the dispatcher's retries are shorter).
fn drain_timeout(accepted: u64) -> (Duration, Duration) {
    (
        Duration::from_secs(20),
        Duration::from_secs(120 + accepted / 50),
    )
}

/// The one table: each figure beside the ceiling measured in this run, or the target.
fn table(report: &Report) -> Vec<Row> {
    let c = &report.ceilings;
    let mut rows = Vec::new();
    if c.envelope_bytes > 0 {
        rows.extend([
            Row::new(
                "JetStream publish, pipelined (ceiling)",
                per_s(c.jetstream_pipelined.per_second),
            )
            .note(format!(
                "{} B envelopes, Nats-Msg-Id, {} acks outstanding",
                c.envelope_bytes, c.jetstream_window
            )),
            Row::new(
                "JetStream publish + ack, one at a time (ceiling)",
                per_s(c.jetstream_sync.per_second),
            )
            .note(
                c.jetstream_sync
                    .latency
                    .map(|l| format!("round trip p50/p99 {} / {}", ms(l.p50_ms), ms(l.p99_ms)))
                    .unwrap_or_default(),
            ),
            Row::new(
                "PostgreSQL ledger insert, own commit, 1 connection (ceiling)",
                per_s(c.pg_commit_1.per_second),
            )
            .note(
                c.pg_commit_1
                    .latency
                    .map(|l| format!("commit p50/p99 {} / {}", ms(l.p50_ms), ms(l.p99_ms)))
                    .unwrap_or_default(),
            ),
            Row::new(
                "PostgreSQL ledger insert, own commit, 8 connections (ceiling)",
                per_s(c.pg_commit_8.per_second),
            )
            .against(
                "1 connection",
                c.pg_commit_8.per_second / c.pg_commit_1.per_second,
            ),
            Row::new(
                format!(
                    "PostgreSQL batched insert, {} keys/statement (ceiling)",
                    c.pg_batch_size
                ),
                format!("{} keys", per_s(c.pg_batched.per_second)),
            )
            .note("INSERT … SELECT unnest(…)"),
        ]);
    }

    // Phases that did not run (or ran as a comparison, in its own table) have no rows.
    if report.ingress.closed_loop.sent > 0 {
        let ingress = &report.ingress;
        let closed = &ingress.closed_loop;
        rows.push(
            Row::new(
                format!(
                    "Ingress accepted, closed loop, {} connections",
                    closed.connections.unwrap_or_default()
                ),
                format!(
                    "{} (p99 {})",
                    per_s(closed.accepted_per_s),
                    ms(closed.latency.p99_ms)
                ),
            )
            .against(
                format!(
                    "pipelined publish {} (target ≥ 0.5)",
                    per_s(c.jetstream_pipelined.per_second)
                ),
                closed.accepted_per_s / c.jetstream_pipelined.per_second,
            ),
        );
        let sync_p50 = c.jetstream_sync.latency.map_or(f64::NAN, |l| l.p50_ms);
        for run in &ingress.open_loop {
            let rate = run.target_rate.unwrap_or_default();
            let half = (closed.accepted_per_s / 2.0 / 100.0).round() * 100.0;
            let target = if (rate - half).abs() < 1.0 {
                format!("; half of max: target p99 < {TARGET_INGRESS_P99_MS} ms")
            } else {
                String::new()
            };
            rows.push(
                Row::new(
                    format!("Ingress at {}, p50/p90/p99/p99.9", per_s(rate)),
                    format!("{}{}", run.latency.short(), errors(run)),
                )
                .against(
                    format!("p50 ÷ publish+ack p50 {}{target}", ms(sync_p50)),
                    run.latency.p50_ms / sync_p50,
                ),
            );
        }
        for rate in &ingress.skipped_rates {
            rows.push(
                Row::new(format!("Ingress at {}", per_s(*rate)), "skipped")
                    .note("above the closed-loop maximum"),
            );
        }
        if let Some(cpu) = ingress.cpu_ms_per_request.get("ingress") {
            let nats = ingress
                .cpu_ms_per_request
                .get("nats-server")
                .map(|n| format!(" (nats-server {} ms)", fmt3(*n)))
                .unwrap_or_default();
            rows.push(
                Row::new(
                    "Ingress CPU per webhook",
                    format!("{} ms{nats}", fmt3(*cpu)),
                )
                .note("closed-loop run"),
            );
        }
        if let Some(memory) = ingress.memory {
            rows.push(
                Row::new(
                    "Ingress peak RSS (after its max run)",
                    format!("{:.1} MiB", memory.peak_rss_mib),
                )
                .against(
                    format!("target {TARGET_RSS_MIB} MiB"),
                    memory.peak_rss_mib / TARGET_RSS_MIB,
                ),
            );
        }
    }

    if let Some(slow) = &report.slow {
        let run = &slow.webhooks;
        rows.push(
            Row::new(
                format!(
                    "Ingress at {} while {} slow connections are held, p50/p90/p99/p99.9",
                    per_s(run.target_rate.unwrap_or_default()),
                    slow.held_at_start
                ),
                format!("{}{}", run.latency.short(), errors(run)),
            )
            .against(
                format!("target p99 < {TARGET_SLOW_P99_MS} ms"),
                run.latency.p99_ms / TARGET_SLOW_P99_MS,
            ),
        );
        let mib =
            |m: Option<procfs::Memory>| m.map_or("–".to_owned(), |m| format!("{:.1}", m.rss_mib));
        if let Some(during) = slow.memory_during {
            rows.push(
                Row::new(
                    format!(
                        "Ingress RSS before / while {} slow connections are held / {:.0} s after",
                        slow.held_at_start, slow.after_s
                    ),
                    format!(
                        "{} / {} / {} MiB",
                        mib(slow.memory_before),
                        mib(Some(during)),
                        mib(slow.memory_after)
                    ),
                )
                .against(
                    format!("target {TARGET_RSS_MIB} MiB while held"),
                    during.rss_mib / TARGET_RSS_MIB,
                ),
            );
        }
        let drops: Vec<String> = slow
            .ingress_dropped
            .iter()
            .map(|(reason, n)| format!("{reason} {n:.0}"))
            .collect();
        rows.push(
            Row::new(
                "Slow connections cut by the ingress",
                format!(
                    "{} of {} opened (held {}–{})",
                    slow.cut_by_server, slow.opened, slow.held_min, slow.held_max
                ),
            )
            .note(drops.join(", ")),
        );
    }

    if report.pipeline.max.load.sent > 0 {
        let pipeline = &report.pipeline;
        let max = &pipeline.max;
        let commit_bound = c.pg_commit_8.per_second / COMMITS_PER_EVENT;
        rows.push(
            Row::new(
                "Pipeline sustained, webhook → reply",
                format!(
                    "{} events/s, {}",
                    per_s(max.events_per_s).trim_end_matches("/s"),
                    loss(&max.delivery)
                ),
            )
            .against(
                format!(
                    "8-conn commits ÷ {COMMITS_PER_EVENT} = {} (target {})",
                    per_s(commit_bound),
                    per_s(TARGET_PIPELINE_PER_S)
                ),
                max.events_per_s / commit_bound,
            ),
        );
        if let Some(machine) = max.cpu_ms_per_event.get("machine (all processes)") {
            let cores = report.run.cores as f64;
            let cpu_bound = cores * 1000.0 / machine;
            rows.push(
                Row::new(
                    "Pipeline CPU per event, whole machine",
                    format!("{} ms", fmt3(*machine)),
                )
                .against(
                    format!("{cores} cores ⇒ CPU-bound {}", per_s(cpu_bound)),
                    max.events_per_s / cpu_bound,
                ),
            );
        }
        rows.push(
            Row::new(
                "Pipeline e2e at max (backlog-bound)",
                max.delivery.e2e.short(),
            )
            .note(format!(
                "{} connections, at most {} events between accept and reply",
                max.load.connections.unwrap_or_default(),
                pipeline.window
            )),
        );
        for phase in &pipeline.fixed_rate {
            let rate = phase.load.target_rate.unwrap_or_default();
            rows.push(
                Row::new(
                    format!("Pipeline e2e at {}, p50/p90/p99/p99.9", per_s(rate)),
                    format!(
                        "{}; replies at {} over the run; {}",
                        phase.delivery.e2e.short(),
                        per_s(
                            phase.delivery.replied_once as f64
                                / phase.delivery.span_seconds.max(0.001)
                        ),
                        loss(&phase.delivery)
                    ),
                )
                .against(
                    format!("target p99 < {TARGET_E2E_P99_MS} ms"),
                    phase.delivery.e2e.p99_ms / TARGET_E2E_P99_MS,
                ),
            );
        }
        if let Some(first) = pipeline.fixed_rate.first() {
            let rate = per_s(first.load.target_rate.unwrap_or_default());
            for (service, memory) in &first.memory {
                rows.push(
                    Row::new(
                        format!("{service} peak RSS at {rate}"),
                        format!("{:.1} MiB", memory.peak_rss_mib),
                    )
                    .against(
                        format!("target {TARGET_RSS_MIB} MiB"),
                        memory.peak_rss_mib / TARGET_RSS_MIB,
                    ),
                );
            }
            let cpu: Vec<String> = first
                .cpu_ms_per_event
                .iter()
                .map(|(k, v)| format!("{k} {}", fmt3(*v)))
                .collect();
            rows.push(Row::new(
                format!("CPU ms per event at {rate}"),
                cpu.join(", "),
            ));
        }
        for (service, memory) in &max.memory {
            rows.push(
                Row::new(
                    format!("{service} peak RSS after the max run"),
                    format!("{:.1} MiB", memory.peak_rss_mib),
                )
                .against(
                    format!("target {TARGET_RSS_MIB} MiB"),
                    memory.peak_rss_mib / TARGET_RSS_MIB,
                ),
            );
        }
        let cpu: Vec<String> = max
            .cpu_ms_per_event
            .iter()
            .map(|(k, v)| format!("{k} {}", fmt3(*v)))
            .collect();
        rows.push(Row::new("CPU ms per event at max", cpu.join(", ")));
        let pg: Vec<String> = max
            .postgres_per_event
            .iter()
            .map(|(k, v)| format!("{k} {v:.1}"))
            .collect();
        if !pg.is_empty() {
            rows.push(Row::new("PostgreSQL per event at max", pg.join(", ")));
        }
        let nats: Vec<String> = max
            .nats_per_event
            .iter()
            .filter(|(k, _)| !k.ends_with("bytes"))
            .map(|(k, v)| format!("{k} {v:.1}"))
            .collect();
        if !nats.is_empty() {
            rows.push(
                Row::new("NATS per event at max", nats.join(", ")).note(format!(
                    "ingress alone: {}",
                    report
                        .ingress
                        .nats_per_request
                        .iter()
                        .filter(|(k, _)| !k.ends_with("bytes"))
                        .map(|(k, v)| format!("{k} {v:.1}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    if let Some(reports) = &report.reports {
        rows.extend(crate::reports::rows(reports));
    }
    if let Some(api) = &report.api {
        rows.extend(crate::api::rows(api));
    }
    rows
}

fn fmt3(value: f64) -> String {
    format!("{value:.3}")
}

fn errors(run: &load::LoadRun) -> String {
    let failed: u64 = run
        .statuses
        .iter()
        .filter(|(status, _)| status.as_str() != "202")
        .map(|(_, n)| n)
        .sum();
    if failed == 0 {
        String::new()
    } else {
        format!(" ({failed} not accepted: {:?})", run.statuses)
    }
}

fn loss(delivery: &pipeline::Delivery) -> String {
    let order = match delivery.order_violations {
        0 => "in order".to_owned(),
        n => format!("{n} out of order"),
    };
    if delivery.exact() {
        format!("{} accepted, all replied once, {order}", delivery.accepted)
    } else {
        format!(
            "{} accepted, {} missing, {} duplicated, {} unexpected, {order}",
            delivery.accepted, delivery.missing, delivery.duplicates, delivery.unexpected
        )
    }
}

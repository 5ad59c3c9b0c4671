//! The ingress and pipeline phases as sessions: services started and warmed up, then any number of
//! measurements on them. A plain run measures every step on one session; a comparison of two builds
//! (`super::ab`) starts a session of its own for each build's run of each step.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tokio_util::sync::CancellationToken;

use super::{
    delete_streams, drain_timeout, memory_of, nats_counters, per_event_delta, pg_counters,
    purge_events, CpuProbe,
};
use crate::load::{self, Gate, LoadRun, Target};
use crate::options::Plan;
use crate::payload::Payloads;
use crate::pipeline;
use crate::procfs::Memory;
use crate::report::{IngressReport, PipelinePhase, PipelineReport};
use crate::services::{Launch, PrivateNats, Role, Stack};

/// What every measurement of a run shares.
#[derive(Clone, Copy)]
pub(super) struct Rig<'a> {
    pub plan: &'a Plan,
    pub payloads: &'a Arc<Payloads>,
    pub ticks: f64,
    pub nats: Option<&'a PrivateNats>,
}

/// Where a session's services keep their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Database {
    /// The run's database, migrated and given its tenant by the harness (this build's schema).
    Shared,
    /// `env.database_url` names a database that does not exist yet: the first service creates it, applies its
    /// own build's migrations (a build refuses a database carrying a migration it does not know, so two builds
    /// cannot share one) and registers the tenant from its environment; the tenant's settings are written
    /// before the other services start.
    Fresh,
}

/// The settings `e2e::Env::add_tenant` gives the tenant: the template responder, its answer sent at once (a
/// tenant seeded from the environment has none, and would only draft).
const TENANT_SETTINGS: &str = r#"{"responder": "template", "mode": "auto"}"#;

async fn write_tenant_settings(database_url: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .context("connecting to the session's database")?;
    let driver = tokio::spawn(connection);
    let updated = client
        .execute(
            "UPDATE tenants SET settings = $1::text::jsonb WHERE id = $2",
            &[&TENANT_SETTINGS, &e2e::TENANT],
        )
        .await;
    drop(client);
    let _ = driver.await;
    match updated.context("writing the tenant's settings")? {
        1 => Ok(()),
        n => bail!(
            "{n} tenants {} after the first service started",
            e2e::TENANT
        ),
    }
}

async fn start_stack(
    env: &mut e2e::Env,
    launch: &Launch,
    prefix: &str,
    roles: &[Role],
    plan: &Plan,
    database: Database,
) -> anyhow::Result<Stack> {
    let max_bytes = plan.stream_max_bytes;
    if database == Database::Shared {
        return Stack::start(env, launch, prefix, roles, max_bytes).await;
    }
    let (first, rest) = roles.split_first().context("no services to start")?;
    let mut stack = Stack::start(env, launch, prefix, &[*first], max_bytes).await?;
    let more = match write_tenant_settings(&env.database_url).await {
        Ok(()) => stack.add(env, launch, prefix, rest, max_bytes).await,
        Err(error) => Err(error),
    };
    match more {
        Ok(()) => Ok(stack),
        Err(error) => {
            stack.stop().await;
            Err(error)
        }
    }
}

/// The ingress alone, started and warmed up.
pub(super) struct IngressRun {
    stack: Stack,
    target: Arc<Target>,
}

impl IngressRun {
    pub async fn start(
        rig: &Rig<'_>,
        env: &mut e2e::Env,
        launch: &Launch,
        prefix: &str,
        database: Database,
    ) -> anyhow::Result<Self> {
        let stack = start_stack(env, launch, prefix, &[Role::Ingress], rig.plan, database).await?;
        let Some(addr) = stack.ingress else {
            stack.stop().await;
            bail!("the ingress has no address");
        };
        let target = Arc::new(Target::webhook(addr, e2e::TENANT));
        // Warm-up: connections, tenant cache, JetStream.
        let warm = load::closed_loop(
            target.clone(),
            rig.payloads.clone(),
            4,
            rig.plan.warmup,
            None,
        )
        .await;
        if let Err(error) = warm {
            stack.stop().await;
            return Err(error);
        }
        purge_events(env).await;
        Ok(Self { stack, target })
    }

    /// The closed loop on `plan.connections`: the maximum, with CPU and NATS counters per accepted webhook.
    pub async fn closed(
        &self,
        rig: &Rig<'_>,
        env: &e2e::Env,
    ) -> anyhow::Result<(LoadRun, BTreeMap<String, f64>, BTreeMap<String, f64>)> {
        eprintln!(
            "bench: ingress: closed loop, {} connections",
            rig.plan.connections
        );
        let probe = CpuProbe::start(&self.stack, rig.nats, &env.database_url, rig.ticks).await;
        let nats_before = nats_counters(rig.nats).await;
        let closed = load::closed_loop(
            self.target.clone(),
            rig.payloads.clone(),
            rig.plan.connections,
            rig.plan.duration,
            None,
        )
        .await?;
        let cpu = probe.per_event(closed.accepted).await;
        let nats_per_request = per_event_delta(
            &nats_before,
            &nats_counters(rig.nats).await,
            closed.accepted,
        );
        purge_events(env).await;
        Ok((closed, cpu, nats_per_request))
    }

    pub async fn open(&self, rig: &Rig<'_>, env: &e2e::Env, rate: f64) -> LoadRun {
        eprintln!("bench: ingress: open loop at {rate}/s");
        let run = load::open_loop(
            self.target.clone(),
            rig.payloads.clone(),
            rate,
            rig.plan.duration,
            rig.plan.max_in_flight,
        )
        .await;
        purge_events(env).await;
        run
    }

    pub fn memory(&self) -> Option<Memory> {
        memory_of(&self.stack).remove("ingress")
    }

    pub async fn stop(self, env: &e2e::Env) {
        self.stack.stop().await;
        delete_streams(&env.jetstream().await, &env.topology()).await;
    }
}

/// The ingress's open-loop rates for a closed-loop maximum of `max`: the asked ones and half the maximum,
/// sorted; and those skipped because they exceed the maximum.
pub(super) fn ingress_rates(plan: &Plan, max: f64) -> (Vec<f64>, Vec<f64>) {
    let half = (max / 2.0 / 100.0).round().max(1.0) * 100.0;
    let mut rates = plan.rates.clone();
    if !plan.quick || half < 400.0 {
        rates.push(half);
    }
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    rates.into_iter().partition(|rate| *rate <= max)
}

/// The ingress alone on one session: closed loop, then the open-loop rates.
pub(super) async fn ingress(
    rig: &Rig<'_>,
    env: &mut e2e::Env,
    launch: &Launch,
    run_id: &str,
) -> anyhow::Result<IngressReport> {
    let prefix = format!("b{run_id}ing");
    let session = IngressRun::start(rig, env, launch, &prefix, Database::Shared).await?;
    let env = &*env;
    let result = async {
        let (closed, cpu, nats_per_request) = session.closed(rig, env).await?;
        let (rates, skipped) = ingress_rates(rig.plan, closed.accepted_per_s);
        let mut open = Vec::new();
        for rate in rates {
            open.push(session.open(rig, env, rate).await);
        }
        anyhow::Ok(IngressReport {
            closed_loop: closed,
            open_loop: open,
            skipped_rates: skipped,
            cpu_ms_per_request: cpu,
            nats_per_request,
            memory: session.memory(),
        })
    }
    .await;
    session.stop(env).await;
    result
}

/// Ingress, worker and dispatcher, started and warmed up.
pub(super) struct PipelineRun {
    stack: Stack,
    target: Arc<Target>,
    sim: e2e::chatwoot_sim::SimState,
}

impl PipelineRun {
    pub async fn start(
        rig: &Rig<'_>,
        env: &mut e2e::Env,
        launch: &Launch,
        prefix: &str,
        database: Database,
    ) -> anyhow::Result<Self> {
        let roles = [Role::Ingress, Role::Worker, Role::Dispatcher];
        let stack = start_stack(env, launch, prefix, &roles, rig.plan, database).await?;
        let Some(addr) = stack.ingress else {
            stack.stop().await;
            bail!("the ingress has no address");
        };
        let target = Arc::new(Target::webhook(addr, e2e::TENANT));
        let sim = env.sim.state().clone();
        // The simulator outlives sessions (a comparison runs many): the warm-up's replies must be its own.
        sim.reset();
        // Warm-up: every partition consumer, the pools, the tenant caches.
        let warm = load::open_loop(
            target.clone(),
            rig.payloads.clone(),
            200.0,
            rig.plan.warmup,
            256,
        )
        .await;
        pipeline::drain_and_match(&sim, &warm.samples, drain_timeout(warm.accepted), &|id| {
            rig.payloads.conversation_of(id)
        })
        .await;
        // Stats of the warm-up reach pg_stat_database within a second.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        Ok(Self { stack, target, sim })
    }

    /// One open-loop run at `rate`, drained and matched.
    pub async fn fixed(&self, rig: &Rig<'_>, env: &e2e::Env, rate: f64) -> PipelinePhase {
        self.sim.reset();
        eprintln!("bench: pipeline: open loop at {rate}/s");
        let database_url = &env.database_url;
        let probe = CpuProbe::start(&self.stack, rig.nats, database_url, rig.ticks).await;
        let pg_before = pg_counters(database_url).await;
        let nats_before = nats_counters(rig.nats).await;
        let run = load::open_loop(
            self.target.clone(),
            rig.payloads.clone(),
            rate,
            rig.plan.duration,
            rig.plan.max_in_flight,
        )
        .await;
        let delivery = pipeline::drain_and_match(
            &self.sim,
            &run.samples,
            drain_timeout(run.accepted),
            &|id| rig.payloads.conversation_of(id),
        )
        .await;
        let cpu = probe.per_event(run.accepted).await;
        let nats_per_event =
            per_event_delta(&nats_before, &nats_counters(rig.nats).await, run.accepted);
        let memory = memory_of(&self.stack);
        // Backends report their statistics to pg_stat_database within a second of going idle.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let pg = per_event_delta(&pg_before, &pg_counters(database_url).await, run.accepted);
        PipelinePhase {
            events_per_s: run.accepted_per_s,
            load: run,
            delivery,
            cpu_ms_per_event: cpu,
            memory,
            postgres_per_event: pg,
            nats_per_event,
        }
    }

    /// The maximum: closed loop on `plan.pipeline_connections`, at most `plan.pipeline_window` events between
    /// accept and reply; the rate is the replies counted between the end of the warm-up and the end of sending.
    pub async fn max(&self, rig: &Rig<'_>, env: &e2e::Env) -> anyhow::Result<PipelinePhase> {
        let plan = rig.plan;
        self.sim.reset();
        eprintln!(
            "bench: pipeline: maximum, {} connections, backlog window {}",
            plan.pipeline_connections, plan.pipeline_window
        );
        let replies = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let counter =
            pipeline::spawn_reply_counter(self.sim.clone(), replies.clone(), stop.clone());
        let probe = CpuProbe::start(&self.stack, rig.nats, &env.database_url, rig.ticks).await;
        let pg_before = pg_counters(&env.database_url).await;
        let nats_before = nats_counters(rig.nats).await;
        let gate = Gate {
            replies: replies.clone(),
            accepted: Arc::new(AtomicU64::new(0)),
            window: plan.pipeline_window,
        };
        let steady = {
            let replies = replies.clone();
            let (warmup, duration) = (plan.warmup, plan.duration);
            tokio::spawn(async move {
                tokio::time::sleep(warmup).await;
                let (t0, r0) = (Instant::now(), replies.load(Ordering::Relaxed));
                tokio::time::sleep(duration.saturating_sub(warmup)).await;
                let (t1, r1) = (Instant::now(), replies.load(Ordering::Relaxed));
                (r1 - r0) as f64 / (t1 - t0).as_secs_f64()
            })
        };
        let run = load::closed_loop(
            self.target.clone(),
            rig.payloads.clone(),
            plan.pipeline_connections,
            plan.duration,
            Some(gate),
        )
        .await;
        let events_per_s = steady.await.unwrap_or(0.0);
        let run = match run {
            Ok(run) => run,
            Err(error) => {
                stop.cancel();
                let _ = counter.await;
                return Err(error);
            }
        };
        let delivery = pipeline::drain_and_match(
            &self.sim,
            &run.samples,
            drain_timeout(run.accepted),
            &|id| rig.payloads.conversation_of(id),
        )
        .await;
        stop.cancel();
        let _ = counter.await;
        let cpu = probe.per_event(run.accepted).await;
        let nats_per_event =
            per_event_delta(&nats_before, &nats_counters(rig.nats).await, run.accepted);
        let memory = memory_of(&self.stack);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let pg = per_event_delta(
            &pg_before,
            &pg_counters(&env.database_url).await,
            run.accepted,
        );
        Ok(PipelinePhase {
            load: run,
            delivery,
            events_per_s,
            cpu_ms_per_event: cpu,
            memory,
            postgres_per_event: pg,
            nats_per_event,
        })
    }

    pub async fn stop(self, env: &e2e::Env) {
        self.stack.stop().await;
        delete_streams(&env.jetstream().await, &env.topology()).await;
    }
}

/// Below capacity, the latency the pipeline has when it keeps up: half of a maximum of `max_per_s`, unless
/// too low or already among the asked rates.
pub(super) fn half_rate(plan: &Plan, max_per_s: f64) -> Option<f64> {
    let half = (max_per_s / 2.0 / 10.0).floor() * 10.0;
    (half >= 10.0 && !plan.pipeline_rates.contains(&half)).then_some(half)
}

/// The whole pipeline on one session: the fixed rates, the maximum, then half of it.
pub(super) async fn whole_pipeline(
    rig: &Rig<'_>,
    env: &mut e2e::Env,
    launch: &Launch,
    run_id: &str,
) -> anyhow::Result<PipelineReport> {
    let prefix = format!("b{run_id}p");
    let session = PipelineRun::start(rig, env, launch, &prefix, Database::Shared).await?;
    let env = &*env;
    let result = async {
        let mut fixed = Vec::new();
        for &rate in &rig.plan.pipeline_rates {
            fixed.push(session.fixed(rig, env, rate).await);
        }
        let max = session.max(rig, env).await?;
        if let Some(half) = half_rate(rig.plan, max.events_per_s) {
            fixed.push(session.fixed(rig, env, half).await);
        }
        anyhow::Ok(PipelineReport {
            window: rig.plan.pipeline_window,
            fixed_rate: fixed,
            max,
        })
    }
    .await;
    session.stop(env).await;
    result
}

//! Two builds compared in one run (`--baseline-bin-dir`). Every step of the ingress and pipeline phases (a
//! closed loop, an open-loop rate, the pipeline's maximum) runs once per build and round, in the order of
//! [`compare::order`], on the same NATS server, PostgreSQL and simulator. Each of those runs gets services started
//! for it, streams under a prefix of its own and a database of its own created and migrated by that build's
//! services (a build refuses a database carrying migrations it does not know, and neither build inherits the
//! other's table sizes or JetStream history), all removed when it ends. Steps whose rate follows from a maximum
//! (half of it) take the lower of the two builds' maxima, so both run the same rate.

use anyhow::Context as _;

use super::phases::{half_rate, ingress_rates, Database, IngressRun, PipelineRun, Rig};
use crate::compare;
use crate::report::{per_s, IngressReport, PipelinePhase, PipelineReport};
use crate::services::Launch;

/// One step of the pipeline phase.
#[derive(Debug, Clone, Copy)]
enum PipelineStep {
    Fixed(f64),
    Max,
}

impl std::fmt::Display for PipelineStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(rate) => write!(f, "pipeline at {}", per_s(*rate)),
            Self::Max => f.write_str("pipeline maximum"),
        }
    }
}

/// One step of the ingress phase.
#[derive(Debug, Clone, Copy)]
enum IngressStep {
    Closed,
    Open(f64),
}

impl std::fmt::Display for IngressStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Closed => f.write_str("ingress closed loop"),
            Self::Open(rate) => write!(f, "ingress at {}", per_s(*rate)),
        }
    }
}

pub(super) struct Ab<'a> {
    pub rig: Rig<'a>,
    /// Indexed by [`Build::index`].
    pub launches: [&'a Launch; 2],
    /// Where the sessions' databases are created and dropped.
    pub admin_url: &'a str,
    pub run_id: &'a str,
    pub rounds: usize,
    sessions: usize,
    /// Every run, in the order it ran.
    pub order: Vec<String>,
}

impl<'a> Ab<'a> {
    pub fn new(
        rig: Rig<'a>,
        launches: [&'a Launch; 2],
        admin_url: &'a str,
        run_id: &'a str,
        rounds: usize,
    ) -> Self {
        Self {
            rig,
            launches,
            admin_url,
            run_id,
            rounds,
            sessions: 0,
            order: Vec::new(),
        }
    }

    /// Names the next run's database (in `env.database_url`, for its services to create) and stream prefix, and
    /// records the run.
    fn next_session(&mut self, env: &mut e2e::Env, label: String, tag: &str) -> (String, String) {
        self.sessions += 1;
        let n = self.sessions;
        eprintln!("bench: compare: {label}");
        self.order.push(label);
        let database = format!("bench_{}_{tag}{n}", self.run_id);
        env.database_url = with_database(self.admin_url, &database);
        (format!("b{}{tag}{n}", self.run_id), database)
    }

    /// Drops a run's database and streams, whatever state its services left them in.
    async fn release(&self, env: &e2e::Env, prefix: &str, database: &str) {
        e2e::release(
            &env.nats_url,
            &infra::Topology::new(prefix).streams(),
            self.admin_url,
            database,
        )
        .await;
    }

    /// The ingress phase for both builds: one report per build and round.
    pub async fn ingress(&mut self, env: &mut e2e::Env) -> anyhow::Result<[Vec<IngressReport>; 2]> {
        let mut reports: [Vec<IngressReport>; 2] =
            std::array::from_fn(|_| vec![IngressReport::default(); self.rounds]);
        self.ingress_step(env, 0, IngressStep::Closed, &mut reports)
            .await?;
        let slower = lower_mean(&reports, |r| r.closed_loop.accepted_per_s);
        let (rates, skipped) = ingress_rates(self.rig.plan, slower);
        for report in reports.iter_mut().flatten() {
            report.skipped_rates.clone_from(&skipped);
        }
        for (i, rate) in rates.into_iter().enumerate() {
            self.ingress_step(env, i + 1, IngressStep::Open(rate), &mut reports)
                .await?;
        }
        Ok(reports)
    }

    async fn ingress_step(
        &mut self,
        env: &mut e2e::Env,
        step_index: usize,
        step: IngressStep,
        reports: &mut [Vec<IngressReport>; 2],
    ) -> anyhow::Result<()> {
        for (round, build) in compare::order(step_index, self.rounds) {
            let label = format!("{step}, round {}: {build}", round + 1);
            let (prefix, database) = self.next_session(env, label, "i");
            let launch = self.launches[build.index()];
            let rig = self.rig;
            let outcome = async {
                let session =
                    IngressRun::start(&rig, env, launch, &prefix, Database::Fresh).await?;
                let measured = match step {
                    IngressStep::Closed => session
                        .closed(&rig, env)
                        .await
                        .map(|closed| (Some(closed), None, session.memory())),
                    IngressStep::Open(rate) => {
                        Ok((None, Some(session.open(&rig, env, rate).await), None))
                    }
                };
                session.stop(env).await;
                measured
            }
            .await;
            self.release(env, &prefix, &database).await;
            let (closed, open, memory) =
                outcome.with_context(|| format!("{step}, {build} build"))?;
            let report = &mut reports[build.index()][round];
            if let Some((closed, cpu, nats)) = closed {
                report.closed_loop = closed;
                report.cpu_ms_per_request = cpu;
                report.nats_per_request = nats;
                report.memory = memory;
            }
            report.open_loop.extend(open);
        }
        Ok(())
    }

    /// The pipeline phase for both builds: one report per build and round.
    pub async fn pipeline(
        &mut self,
        env: &mut e2e::Env,
    ) -> anyhow::Result<[Vec<PipelineReport>; 2]> {
        let plan = self.rig.plan;
        let empty = PipelineReport {
            window: plan.pipeline_window,
            ..PipelineReport::default()
        };
        let mut reports: [Vec<PipelineReport>; 2] =
            std::array::from_fn(|_| vec![empty.clone(); self.rounds]);
        let mut step = 0;
        for &rate in &plan.pipeline_rates {
            self.pipeline_step(env, step, PipelineStep::Fixed(rate), &mut reports)
                .await?;
            step += 1;
        }
        self.pipeline_step(env, step, PipelineStep::Max, &mut reports)
            .await?;
        step += 1;
        let slower = lower_mean(&reports, |r| r.max.events_per_s);
        if let Some(half) = half_rate(plan, slower) {
            self.pipeline_step(env, step, PipelineStep::Fixed(half), &mut reports)
                .await?;
        }
        Ok(reports)
    }

    async fn pipeline_step(
        &mut self,
        env: &mut e2e::Env,
        step_index: usize,
        step: PipelineStep,
        reports: &mut [Vec<PipelineReport>; 2],
    ) -> anyhow::Result<()> {
        for (round, build) in compare::order(step_index, self.rounds) {
            let label = format!("{step}, round {}: {build}", round + 1);
            let (prefix, database) = self.next_session(env, label, "p");
            let launch = self.launches[build.index()];
            let rig = self.rig;
            let outcome: anyhow::Result<PipelinePhase> = async {
                let session =
                    PipelineRun::start(&rig, env, launch, &prefix, Database::Fresh).await?;
                let phase = match step {
                    PipelineStep::Fixed(rate) => Ok(session.fixed(&rig, env, rate).await),
                    PipelineStep::Max => session.max(&rig, env).await,
                };
                session.stop(env).await;
                phase
            }
            .await;
            self.release(env, &prefix, &database).await;
            let phase = outcome.with_context(|| format!("{step}, {build} build"))?;
            let report = &mut reports[build.index()][round];
            match step {
                PipelineStep::Fixed(_) => report.fixed_rate.push(phase),
                PipelineStep::Max => report.max = phase,
            }
        }
        Ok(())
    }
}

/// The lower of the two builds' means of `figure` over their rounds.
fn lower_mean<T>(reports: &[Vec<T>; 2], figure: impl Fn(&T) -> f64) -> f64 {
    reports
        .iter()
        .map(|rounds| rounds.iter().map(&figure).sum::<f64>() / rounds.len().max(1) as f64)
        .fold(f64::INFINITY, f64::min)
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{database}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_database_keeps_the_server_and_its_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "bench_1_p1"),
            "postgres://postgres@127.0.0.1:5432/bench_1_p1"
        );
        assert_eq!(
            with_database("postgres://u:p@db/admin?sslmode=disable", "x"),
            "postgres://u:p@db/x?sslmode=disable"
        );
    }

    #[test]
    fn derived_rates_follow_the_slower_build() {
        let reports = [vec![1000.0, 1200.0], vec![1500.0, 1500.0]];
        assert_eq!(lower_mean(&reports, |v| *v), 1100.0);
    }
}

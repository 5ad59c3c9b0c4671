//! Two builds in one run (`--baseline-bin-dir`): the order their runs take, and the table that sets each figure
//! of the candidate beside the baseline's, so that every "faster" is a ratio measured on one machine in one run.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::hist::{fmt_ms, Latency};
use crate::pipeline::Delivery;
use crate::report::{per_s, IngressReport, PipelinePhase, PipelineReport};

/// Which of the two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Build {
    Baseline,
    Candidate,
}

impl Build {
    pub fn other(self) -> Self {
        match self {
            Self::Baseline => Self::Candidate,
            Self::Candidate => Self::Baseline,
        }
    }

    /// Position in per-build arrays.
    pub fn index(self) -> usize {
        match self {
            Self::Baseline => 0,
            Self::Candidate => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Candidate => "candidate",
        }
    }
}

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The runs of step `step` (0-based, in the order the steps run): `rounds` rounds, each build once per round, the
/// build that goes first alternating from round to round and from step to step. Two rounds run baseline,
/// candidate, candidate, baseline, and the next step candidate, baseline, baseline, candidate: a drift of the
/// machine during the run (other work, caches, PostgreSQL's background writers) falls on both builds alike, and
/// neither always runs right after the other's load.
pub fn order(step: usize, rounds: usize) -> Vec<(usize, Build)> {
    (0..rounds)
        .flat_map(|round| {
            let first = if (step + round).is_multiple_of(2) {
                Build::Baseline
            } else {
                Build::Candidate
            };
            [(round, first), (round, first.other())]
        })
        .collect()
}

/// One build's measurements.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildRuns {
    /// Where its `ingress`, `worker` and `dispatcher` came from.
    pub bin_dir: String,
    /// The ingress phase, one report per round (empty when the phase did not run).
    pub ingress: Vec<IngressReport>,
    /// The pipeline phase, one report per round (empty when the phase did not run).
    pub pipeline: Vec<PipelineReport>,
}

/// Both builds and the side-by-side table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    pub rounds: usize,
    /// Every run, in the order it ran (`pipeline 1000/s, round 1: baseline`, …).
    pub order: Vec<String>,
    pub baseline: BuildRuns,
    pub candidate: BuildRuns,
    pub table: Vec<CompareRow>,
}

/// One line of the side-by-side table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompareRow {
    pub figure: String,
    pub baseline: String,
    pub candidate: String,
    /// The figure's numbers (several for a row of percentiles), each the mean over the rounds; NaN (`null`)
    /// where a build did not measure it.
    pub baseline_values: Vec<f64>,
    pub candidate_values: Vec<f64>,
    /// Candidate ÷ baseline, number by number.
    pub ratio: Vec<Option<f64>>,
}

impl Comparison {
    pub fn new(
        rounds: usize,
        order: Vec<String>,
        baseline: BuildRuns,
        candidate: BuildRuns,
    ) -> Self {
        let mut comparison = Self {
            rounds,
            order,
            baseline,
            candidate,
            table: Vec::new(),
        };
        comparison.table = table(&comparison);
        comparison
    }

    /// The table as GitHub markdown, after a line saying how it was measured.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let runs = match self.rounds {
            1 => "each step ran once per build, the first build alternating from step to step".to_owned(),
            n => format!(
                "each step ran {n} rounds per build (baseline, candidate, candidate, baseline, …; the next step \
                 the other way round); figures are the mean of the rounds, (lowest–highest) beside single figures"
            ),
        };
        let _ = writeln!(
            out,
            "Baseline against candidate in one run: {runs}; every run on freshly started services with a \
             database and streams of its own, on the same NATS server and PostgreSQL."
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| figure | baseline | candidate | candidate ÷ baseline |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for row in &self.table {
            let ratio = if row.ratio.iter().all(Option::is_none) {
                "–".to_owned()
            } else {
                row.ratio
                    .iter()
                    .map(|r| r.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}")))
                    .collect::<Vec<_>>()
                    .join("/")
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {ratio} |",
                row.figure, row.baseline, row.candidate
            );
        }
        out
    }
}

/// How a row's numbers are written.
#[derive(Debug, Clone, Copy)]
enum Unit {
    PerS,
    Ms,
    Mib,
    CpuMs,
    Count,
}

impl Unit {
    fn bare(self, value: f64) -> String {
        if !value.is_finite() {
            return "–".into();
        }
        match self {
            Self::PerS => per_s(value).trim_end_matches("/s").to_owned(),
            Self::Ms => fmt_ms(value),
            Self::Mib | Self::Count => format!("{value:.1}"),
            Self::CpuMs => format!("{value:.3}"),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::PerS => "/s",
            Self::Ms | Self::CpuMs => " ms",
            Self::Mib => " MiB",
            Self::Count => "",
        }
    }
}

/// The numbers of one figure over a build's rounds.
struct Rounds {
    /// Mean over the rounds that measured it, per number (NaN where none did).
    mean: Vec<f64>,
    /// Lowest and highest round, for a single number measured in more than one round.
    range: Option<(f64, f64)>,
}

impl Rounds {
    fn of(per_round: &[Vec<f64>], width: usize) -> Self {
        let mean = (0..width)
            .map(|i| {
                let values: Vec<f64> = per_round.iter().filter_map(|r| r.get(i).copied()).collect();
                if values.is_empty() {
                    f64::NAN
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                }
            })
            .collect();
        let singles: Vec<f64> = per_round
            .iter()
            .filter(|r| r.len() == 1)
            .map(|r| r[0])
            .collect();
        let range = (width == 1 && singles.len() > 1).then(|| {
            singles
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                })
        });
        Self { mean, range }
    }

    fn text(&self, unit: Unit) -> String {
        if self.mean.iter().all(|v| !v.is_finite()) {
            return "–".into();
        }
        let numbers: Vec<String> = self.mean.iter().map(|v| unit.bare(*v)).collect();
        let mut text = format!("{}{}", numbers.join("/"), unit.suffix());
        if let Some((lo, hi)) = self.range {
            let _ = write!(text, " ({}–{})", unit.bare(lo), unit.bare(hi));
        }
        text
    }
}

#[derive(Default)]
struct Rows(Vec<CompareRow>);

impl Rows {
    /// A row read from every round of both builds by `values` (`None`: not measured in that round).
    fn numbers<T>(
        &mut self,
        figure: impl Into<String>,
        unit: Unit,
        base: &[T],
        cand: &[T],
        values: impl Fn(&T) -> Option<Vec<f64>>,
    ) {
        let base: Vec<Vec<f64>> = base.iter().filter_map(&values).collect();
        let cand: Vec<Vec<f64>> = cand.iter().filter_map(&values).collect();
        let width = base.iter().chain(&cand).map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return;
        }
        let (base, cand) = (Rounds::of(&base, width), Rounds::of(&cand, width));
        let ratio = base
            .mean
            .iter()
            .zip(&cand.mean)
            .map(|(b, c)| {
                let r = c / b;
                (*b != 0.0 && r.is_finite()).then_some(r)
            })
            .collect();
        self.0.push(CompareRow {
            figure: figure.into(),
            baseline: base.text(unit),
            candidate: cand.text(unit),
            baseline_values: base.mean,
            candidate_values: cand.mean,
            ratio,
        });
    }

    fn text(
        &mut self,
        figure: impl Into<String>,
        baseline: impl Into<String>,
        candidate: impl Into<String>,
    ) {
        self.0.push(CompareRow {
            figure: figure.into(),
            baseline: baseline.into(),
            candidate: candidate.into(),
            ..CompareRow::default()
        });
    }
}

fn percentiles(latency: &Latency) -> Vec<f64> {
    vec![
        latency.p50_ms,
        latency.p90_ms,
        latency.p99_ms,
        latency.p999_ms,
    ]
}

/// Every key any round of either build has, in order.
fn keys<'a, T: 'a>(
    base: &'a [T],
    cand: &'a [T],
    of: impl Fn(&'a T) -> Vec<&'a String>,
) -> BTreeSet<String> {
    base.iter()
        .chain(cand)
        .flat_map(of)
        .filter(|k| !k.ends_with("bytes"))
        .cloned()
        .collect()
}

fn table(comparison: &Comparison) -> Vec<CompareRow> {
    let (base, cand) = (&comparison.baseline, &comparison.candidate);
    let mut rows = Rows::default();
    rows.text("binaries", &base.bin_dir, &cand.bin_dir);
    ingress_rows(&mut rows, &base.ingress, &cand.ingress);
    pipeline_rows(&mut rows, &base.pipeline, &cand.pipeline);
    rows.0
}

fn ingress_rows(rows: &mut Rows, base: &[IngressReport], cand: &[IngressReport]) {
    let Some(first) = base.first().or(cand.first()) else {
        return;
    };
    rows.numbers(
        format!(
            "Ingress accepted, closed loop, {} connections",
            first.closed_loop.connections.unwrap_or_default()
        ),
        Unit::PerS,
        base,
        cand,
        |r| Some(vec![r.closed_loop.accepted_per_s]),
    );
    rows.numbers(
        "Ingress closed loop, p50/p90/p99/p99.9",
        Unit::Ms,
        base,
        cand,
        |r| Some(percentiles(&r.closed_loop.latency)),
    );
    for (i, run) in first.open_loop.iter().enumerate() {
        rows.numbers(
            format!(
                "Ingress at {}, p50/p90/p99/p99.9",
                per_s(run.target_rate.unwrap_or_default())
            ),
            Unit::Ms,
            base,
            cand,
            |r| r.open_loop.get(i).map(|run| percentiles(&run.latency)),
        );
    }
    let refused = |reports: &[IngressReport]| {
        let refused: u64 = reports
            .iter()
            .flat_map(|r| std::iter::once(&r.closed_loop).chain(&r.open_loop))
            .flat_map(|run| &run.statuses)
            .filter(|(status, _)| status.as_str() != "202")
            .map(|(_, n)| n)
            .sum();
        match refused {
            0 => "every webhook accepted".to_owned(),
            n => format!("{n} not accepted"),
        }
    };
    rows.text(
        "Ingress answers other than 202 (all steps, all rounds)",
        refused(base),
        refused(cand),
    );
    for process in keys(base, cand, |r| r.cpu_ms_per_request.keys().collect()) {
        rows.numbers(
            format!("Ingress CPU ms per webhook, closed loop: {process}"),
            Unit::CpuMs,
            base,
            cand,
            |r| r.cpu_ms_per_request.get(&process).map(|v| vec![*v]),
        );
    }
    rows.numbers(
        "Ingress peak RSS (after its closed loop)",
        Unit::Mib,
        base,
        cand,
        |r| r.memory.map(|m| vec![m.peak_rss_mib]),
    );
    for key in keys(base, cand, |r| r.nats_per_request.keys().collect()) {
        rows.numbers(
            format!("NATS per webhook, ingress alone: {key}"),
            Unit::Count,
            base,
            cand,
            |r| r.nats_per_request.get(&key).map(|v| vec![*v]),
        );
    }
}

/// Whether every accepted webhook of every step and round got exactly one reply.
fn delivery_summary(reports: &[PipelineReport]) -> String {
    let mut total = Delivery::default();
    for delivery in reports
        .iter()
        .flat_map(|r| r.fixed_rate.iter().chain(std::iter::once(&r.max)))
        .map(|phase| &phase.delivery)
    {
        total.accepted += delivery.accepted;
        total.missing += delivery.missing;
        total.duplicates += delivery.duplicates;
        total.unexpected += delivery.unexpected;
        total.order_violations += delivery.order_violations;
    }
    let order = match total.order_violations {
        0 => String::new(),
        n => format!(", {n} out of order"),
    };
    if total.exact() {
        format!("yes: {} accepted, all replied once{order}", total.accepted)
    } else {
        format!(
            "no: {} accepted, {} missing, {} duplicated, {} unexpected{order}",
            total.accepted, total.missing, total.duplicates, total.unexpected
        )
    }
}

fn pipeline_rows(rows: &mut Rows, base: &[PipelineReport], cand: &[PipelineReport]) {
    let Some(first) = base.first().or(cand.first()) else {
        return;
    };
    rows.numbers(
        "Pipeline sustained, webhook → reply (events/s)",
        Unit::PerS,
        base,
        cand,
        |r| Some(vec![r.max.events_per_s]),
    );
    rows.text(
        "Pipeline: every accepted webhook replied once (all steps, all rounds)",
        delivery_summary(base),
        delivery_summary(cand),
    );
    rows.numbers(
        "Pipeline CPU per event at max, whole machine",
        Unit::CpuMs,
        base,
        cand,
        |r| {
            r.max
                .cpu_ms_per_event
                .get("machine (all processes)")
                .map(|v| vec![*v])
        },
    );
    rows.numbers(
        format!(
            "Pipeline e2e at max ({} connections, backlog ≤ {}), p50/p90/p99/p99.9",
            first.max.load.connections.unwrap_or_default(),
            first.window
        ),
        Unit::Ms,
        base,
        cand,
        |r| Some(percentiles(&r.max.delivery.e2e)),
    );
    for (i, phase) in first.fixed_rate.iter().enumerate() {
        rows.numbers(
            format!(
                "Pipeline e2e at {}, p50/p90/p99/p99.9",
                per_s(phase.load.target_rate.unwrap_or_default())
            ),
            Unit::Ms,
            base,
            cand,
            |r| r.fixed_rate.get(i).map(|p| percentiles(&p.delivery.e2e)),
        );
    }
    if let Some(phase) = first.fixed_rate.first() {
        let rate = per_s(phase.load.target_rate.unwrap_or_default());
        let (base_first, cand_first): (Vec<&PipelinePhase>, Vec<&PipelinePhase>) = (
            base.iter().filter_map(|r| r.fixed_rate.first()).collect(),
            cand.iter().filter_map(|r| r.fixed_rate.first()).collect(),
        );
        phase_rows(rows, &format!("at {rate}"), &base_first, &cand_first);
    }
    let (base_max, cand_max): (Vec<&PipelinePhase>, Vec<&PipelinePhase>) = (
        base.iter().map(|r| &r.max).collect(),
        cand.iter().map(|r| &r.max).collect(),
    );
    phase_rows(rows, "at max", &base_max, &cand_max);
    for key in keys(&base_max, &cand_max, |p| {
        p.postgres_per_event.keys().collect()
    }) {
        rows.numbers(
            format!("PostgreSQL per event at max: {key}"),
            Unit::Count,
            &base_max,
            &cand_max,
            |p| p.postgres_per_event.get(&key).map(|v| vec![*v]),
        );
    }
    for key in keys(&base_max, &cand_max, |p| p.nats_per_event.keys().collect()) {
        rows.numbers(
            format!("NATS per event at max: {key}"),
            Unit::Count,
            &base_max,
            &cand_max,
            |p| p.nats_per_event.get(&key).map(|v| vec![*v]),
        );
    }
}

/// Peak RSS of each service and CPU per event of each process, for one step of every round.
fn phase_rows(rows: &mut Rows, when: &str, base: &[&PipelinePhase], cand: &[&PipelinePhase]) {
    for service in keys(base, cand, |p| p.memory.keys().collect()) {
        rows.numbers(
            format!("{service} peak RSS {when}"),
            Unit::Mib,
            base,
            cand,
            |p| p.memory.get(&service).map(|m| vec![m.peak_rss_mib]),
        );
    }
    for process in keys(base, cand, |p| p.cpu_ms_per_event.keys().collect()) {
        rows.numbers(
            format!("CPU ms per event {when}: {process}"),
            Unit::CpuMs,
            base,
            cand,
            |p| p.cpu_ms_per_event.get(&process).map(|v| vec![*v]),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::load::LoadRun;
    use crate::procfs::Memory;

    use Build::{Baseline as B, Candidate as C};

    #[test]
    fn two_rounds_run_abba_and_the_next_step_baab() {
        assert_eq!(order(0, 2), [(0, B), (0, C), (1, C), (1, B)]);
        assert_eq!(order(1, 2), [(0, C), (0, B), (1, B), (1, C)]);
        assert_eq!(order(2, 2), order(0, 2));
    }

    #[test]
    fn one_round_alternates_from_step_to_step() {
        assert_eq!(order(0, 1), [(0, B), (0, C)]);
        assert_eq!(order(1, 1), [(0, C), (0, B)]);
    }

    #[test]
    fn every_round_runs_each_build_once() {
        for rounds in 1..5 {
            for step in 0..4 {
                let runs = order(step, rounds);
                assert_eq!(runs.len(), 2 * rounds);
                for round in 0..rounds {
                    let builds: Vec<Build> = runs
                        .iter()
                        .filter(|(r, _)| *r == round)
                        .map(|(_, b)| *b)
                        .collect();
                    assert!(builds.contains(&B) && builds.contains(&C), "{builds:?}");
                }
                // Over an even number of rounds, each build goes first as often as the other.
                if rounds.is_multiple_of(2) {
                    let firsts = runs.iter().step_by(2).filter(|(_, b)| *b == B).count();
                    assert_eq!(firsts, rounds / 2);
                }
            }
        }
    }

    fn latency(p50: f64) -> Latency {
        Latency {
            count: 100,
            p50_ms: p50,
            p90_ms: p50 * 2.0,
            p99_ms: p50 * 4.0,
            p999_ms: p50 * 8.0,
            ..Latency::default()
        }
    }

    fn phase(
        rate: Option<f64>,
        events_per_s: f64,
        p50: f64,
        worker_cpu: Option<f64>,
    ) -> PipelinePhase {
        let mut cpu =
            BTreeMap::from([("machine (all processes)".to_owned(), 1000.0 / events_per_s)]);
        if let Some(worker) = worker_cpu {
            cpu.insert("worker".into(), worker);
        }
        PipelinePhase {
            load: LoadRun {
                target_rate: rate,
                connections: rate.is_none().then_some(32),
                ..LoadRun::default()
            },
            delivery: Delivery {
                accepted: 1000,
                replied_once: 1000,
                e2e: latency(p50),
                ..Delivery::default()
            },
            events_per_s,
            cpu_ms_per_event: cpu,
            memory: BTreeMap::from([(
                "worker".to_owned(),
                Memory {
                    peak_rss_mib: 20.0,
                    rss_mib: 19.0,
                },
            )]),
            postgres_per_event: BTreeMap::from([("transactions".to_owned(), 0.8)]),
            nats_per_event: BTreeMap::from([
                ("in_msgs".to_owned(), 5.0),
                ("in_bytes".to_owned(), 9000.0),
            ]),
        }
    }

    fn pipeline(max_per_s: f64, p50: f64, worker_cpu: Option<f64>) -> PipelineReport {
        PipelineReport {
            window: 2000,
            fixed_rate: vec![phase(Some(1000.0), 1000.0, p50, worker_cpu)],
            max: phase(None, max_per_s, p50 * 10.0, worker_cpu),
        }
    }

    fn comparison() -> Comparison {
        Comparison::new(
            2,
            vec![],
            BuildRuns {
                bin_dir: "/main/target/release".into(),
                ingress: vec![],
                pipeline: vec![pipeline(900.0, 10.0, None), pipeline(1100.0, 14.0, None)],
            },
            BuildRuns {
                bin_dir: "target/release".into(),
                ingress: vec![],
                pipeline: vec![
                    pipeline(1500.0, 6.0, Some(0.2)),
                    pipeline(1500.0, 6.0, Some(0.3)),
                ],
            },
        )
    }

    fn row<'a>(comparison: &'a Comparison, figure: &str) -> &'a CompareRow {
        comparison
            .table
            .iter()
            .find(|r| r.figure == figure)
            .unwrap_or_else(|| panic!("no row {figure:?} in {:#?}", comparison.table))
    }

    #[test]
    fn figures_are_the_mean_of_the_rounds_and_the_ratio_is_candidate_over_baseline() {
        let comparison = comparison();
        let sustained = row(
            &comparison,
            "Pipeline sustained, webhook → reply (events/s)",
        );
        assert_eq!(sustained.baseline_values, [1000.0]);
        assert_eq!(sustained.candidate_values, [1500.0]);
        assert_eq!(sustained.ratio, [Some(1.5)]);
        assert_eq!(sustained.baseline, "1000/s (900–1100)");
        assert_eq!(sustained.candidate, "1500/s (1500–1500)");

        let e2e = row(&comparison, "Pipeline e2e at 1000/s, p50/p90/p99/p99.9");
        assert_eq!(e2e.baseline_values, [12.0, 24.0, 48.0, 96.0]);
        assert_eq!(e2e.baseline, "12.0/24.0/48.0/96.0 ms");
        assert_eq!(e2e.ratio, [Some(0.5); 4]);
    }

    #[test]
    fn a_figure_one_build_lacks_has_no_ratio() {
        let comparison = comparison();
        let worker = row(&comparison, "CPU ms per event at max: worker");
        assert_eq!(worker.baseline, "–");
        assert_eq!(worker.candidate, "0.250 ms (0.200–0.300)");
        assert_eq!(worker.ratio, [None]);
        // Byte counters are left to the JSON.
        assert!(!comparison.table.iter().any(|r| r.figure.contains("bytes")));
    }

    #[test]
    fn a_lost_reply_shows_in_the_delivery_row() {
        let mut comparison = comparison();
        comparison.candidate.pipeline[1].max.delivery.missing = 3;
        let comparison = Comparison::new(2, vec![], comparison.baseline, comparison.candidate);
        let delivery = row(
            &comparison,
            "Pipeline: every accepted webhook replied once (all steps, all rounds)",
        );
        assert_eq!(delivery.baseline, "yes: 4000 accepted, all replied once");
        assert!(delivery
            .candidate
            .starts_with("no: 4000 accepted, 3 missing"));
    }

    #[test]
    fn markdown_has_one_line_per_row_under_the_side_by_side_header() {
        let comparison = comparison();
        let markdown = comparison.markdown();
        assert!(markdown.contains("| figure | baseline | candidate | candidate ÷ baseline |"));
        assert!(markdown.contains(
            "| Pipeline e2e at 1000/s, p50/p90/p99/p99.9 | 12.0/24.0/48.0/96.0 ms | 6.00/12.0/24.0/48.0 ms | 0.50/0.50/0.50/0.50 |"
        ));
        let table_lines = markdown.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(table_lines, comparison.table.len() + 1);
    }
}

//! What a run measured, as JSON and as one table that sets each figure beside the ceiling (or target) it is
//! bounded by.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::ceiling::Ceilings;
use crate::hist::fmt_ms;
use crate::load::LoadRun;
use crate::pipeline::Delivery;
use crate::procfs::Memory;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub ceilings: Ceilings,
    pub ingress: IngressReport,
    pub slow: Option<crate::slow::SlowReport>,
    pub pipeline: PipelineReport,
    pub api: Option<crate::api::ApiReport>,
    pub reports: Option<crate::reports::ReportsReport>,
    /// Two builds side by side (`--baseline-bin-dir`); `ingress` and `pipeline` above are then empty.
    pub compare: Option<crate::compare::Comparison>,
    pub table: Vec<Row>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunInfo {
    pub started_at: String,
    pub quick: bool,
    /// `processes` (release binaries) or `in-process` (e2e harness).
    pub services: String,
    /// `private nats-server` or the URL of a shared one.
    pub nats: String,
    pub cores: usize,
    pub duration_s: f64,
    pub ceiling_duration_s: f64,
    pub webhook_bytes: usize,
    pub messages_per_conversation: u64,
    pub seconds_total: f64,
    /// `/proc/loadavg` at the start and at the end: other work on the machine skews every figure.
    pub loadavg_start: String,
    pub loadavg_end: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngressReport {
    pub closed_loop: LoadRun,
    pub open_loop: Vec<LoadRun>,
    /// Rates not run because they exceed the closed-loop maximum.
    pub skipped_rates: Vec<f64>,
    /// CPU milliseconds per accepted webhook in the closed-loop run, by process.
    pub cpu_ms_per_request: BTreeMap<String, f64>,
    /// NATS server counters per accepted webhook (private server only).
    pub nats_per_request: BTreeMap<String, f64>,
    pub memory: Option<Memory>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelinePhase {
    pub load: LoadRun,
    pub delivery: Delivery,
    /// Replies per second while the load ran (after the warm-up, for the maximum run).
    pub events_per_s: f64,
    /// CPU milliseconds per event by process, sending and draining included.
    pub cpu_ms_per_event: BTreeMap<String, f64>,
    /// Peak and current RSS of each service after the phase.
    pub memory: BTreeMap<String, Memory>,
    /// PostgreSQL work per event in the run's database: transactions, rows written, WAL bytes and syncs
    /// (the last two are server-wide).
    pub postgres_per_event: BTreeMap<String, f64>,
    /// NATS server counters per event: messages in and out, subscriptions made and removed (private server
    /// only).
    pub nats_per_event: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelineReport {
    /// Most events allowed between accept and reply in the maximum run.
    pub window: u64,
    pub fixed_rate: Vec<PipelinePhase>,
    pub max: PipelinePhase,
}

/// One line of the table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    pub figure: String,
    pub value: String,
    /// What the figure is compared with: a ceiling measured in this run, or a target.
    pub reference: String,
    pub ratio: Option<f64>,
}

impl Row {
    pub fn new(figure: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            figure: figure.into(),
            value: value.into(),
            ..Self::default()
        }
    }

    pub fn against(mut self, reference: impl Into<String>, ratio: f64) -> Self {
        self.reference = reference.into();
        self.ratio = ratio.is_finite().then_some(ratio);
        self
    }

    pub fn note(mut self, reference: impl Into<String>) -> Self {
        self.reference = reference.into();
        self
    }
}

pub fn per_s(rate: f64) -> String {
    if rate >= 10_000.0 {
        format!("{:.1}k/s", rate / 1000.0)
    } else {
        format!("{rate:.0}/s")
    }
}

pub fn ms(value: f64) -> String {
    format!("{} ms", fmt_ms(value))
}

impl Report {
    /// The table as GitHub markdown (also readable in a terminal).
    pub fn table_markdown(&self) -> String {
        let mut out = String::new();
        if !self.table.is_empty() {
            let _ = writeln!(out, "| figure | measured | reference (same run) | ratio |");
            let _ = writeln!(out, "|---|---|---|---|");
        }
        for row in &self.table {
            let ratio = row
                .ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "–".into());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.figure, row.value, row.reference, ratio
            );
        }
        if let Some(compare) = &self.compare {
            if !out.is_empty() {
                let _ = writeln!(out);
            }
            out.push_str(&compare.markdown());
        }
        out
    }
}

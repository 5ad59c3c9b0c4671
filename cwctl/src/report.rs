//! `cwctl report`: how the AI drafts fare with the agents, per tenant, over a period (drafts created in
//! `[--since, --until)`).
//!
//! * **drafts**: answers drafted for review (pending, approved, rejected or stale); answers sent in auto mode are
//!   counted apart (`auto`).
//! * **approval rate**: approved / (approved + rejected), the share of decided drafts that went out.
//! * **grades**: the mean of each `tone=`, `accuracy=`, `policy=` grade given (1-5).
//! * **edit distance**: over approved drafts, the mean normalised Levenshtein distance between the draft and the
//!   text sent: 0 when sent as drafted, 1 when rewritten entirely.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use crate::output::{parse_instant, table, timestamp};
use crate::{CliError, Context, Exit};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    /// Support analytics instead of the drafts report.
    #[command(subcommand)]
    pub analytics: Option<crate::report_analytics::AnalyticsCommand>,
    /// Only this tenant.
    #[arg(long, value_name = "T")]
    pub tenant: Option<String>,
    /// Drafts created at or after: RFC 3339 or a duration ago (`7d`, `12h`). Default: all.
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Drafts created before: RFC 3339 or a duration ago. Default: now.
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub until: Option<DateTime<Utc>>,
    #[arg(long)]
    pub json: bool,
}

/// One tenant's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TenantReport {
    pub tenant: String,
    pub drafts: u64,
    pub pending: u64,
    pub approved: u64,
    pub rejected: u64,
    pub stale: u64,
    pub auto: u64,
    /// Approved drafts sent with another text than drafted.
    pub edited: u64,
    pub approval_rate: Option<f64>,
    pub mean_tone: Option<f64>,
    pub mean_accuracy: Option<f64>,
    pub mean_policy: Option<f64>,
    pub mean_edit_distance: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Report {
    since: Option<String>,
    until: String,
    tenants: Vec<TenantReport>,
}

pub async fn run(
    args: ReportArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    if let Some(command) = args.analytics {
        return crate::report_analytics::run(command, ctx, out).await;
    }
    let until = args.until.unwrap_or_else(Utc::now);
    if args.since.is_some_and(|since| since >= until) {
        return Err(CliError::Invalid("--since must be before --until".into()));
    }
    let pool = ctx.pool().await?;
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT tenant, status, draft_text, final_text, grade_tone, grade_accuracy, grade_policy
             FROM drafts
             WHERE ($1::text IS NULL OR tenant = $1) AND ($2::timestamptz IS NULL OR created_at >= $2)
               AND created_at < $3
             ORDER BY tenant",
            &[&args.tenant, &args.since, &until],
        )
        .await?;
    let mut builders: BTreeMap<String, Builder> = BTreeMap::new();
    for row in &rows {
        builders.entry(row.get(0)).or_default().add(&Row {
            status: row.get(1),
            draft_text: row.get(2),
            final_text: row.get(3),
            grades: [row.get(4), row.get(5), row.get(6)],
        });
    }
    let report = Report {
        since: args.since.map(timestamp),
        until: timestamp(until),
        tenants: builders
            .into_iter()
            .map(|(tenant, builder)| builder.finish(tenant))
            .collect(),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    writeln!(
        out,
        "drafts created {} .. {}",
        report.since.as_deref().unwrap_or("ever"),
        report.until
    )?;
    let rows: Vec<Vec<String>> = report
        .tenants
        .iter()
        .map(|t| {
            vec![
                t.tenant.clone(),
                t.drafts.to_string(),
                t.approved.to_string(),
                t.rejected.to_string(),
                t.stale.to_string(),
                t.pending.to_string(),
                t.approval_rate
                    .map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0)),
                grade(t.mean_tone),
                grade(t.mean_accuracy),
                grade(t.mean_policy),
                t.mean_edit_distance
                    .map_or_else(|| "-".into(), |d| format!("{d:.3}")),
                t.auto.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            "TENANT",
            "DRAFTS",
            "APPROVED",
            "REJECTED",
            "STALE",
            "PENDING",
            "APPROVAL",
            "TONE",
            "ACCURACY",
            "POLICY",
            "EDIT DIST",
            "AUTO",
        ],
        &rows,
    )?;
    if report.tenants.is_empty() {
        writeln!(out, "no drafts in this period")?;
    }
    Ok(Exit::Success)
}

fn grade(mean: Option<f64>) -> String {
    mean.map_or_else(|| "-".into(), |g| format!("{g:.2}"))
}

struct Row {
    status: String,
    draft_text: String,
    final_text: Option<String>,
    grades: [Option<i16>; 3],
}

#[derive(Default)]
struct Builder {
    report: TenantReport,
    grades: [(f64, u32); 3],
    distance: (f64, u32),
}

impl Builder {
    fn add(&mut self, row: &Row) {
        let r = &mut self.report;
        match row.status.as_str() {
            "auto" => {
                r.auto += 1;
                return;
            }
            "pending" => r.pending += 1,
            "approved" => r.approved += 1,
            "rejected" => r.rejected += 1,
            "stale" => r.stale += 1,
            _ => return,
        }
        r.drafts += 1;
        for (sum, grade) in self.grades.iter_mut().zip(row.grades) {
            if let Some(grade) = grade {
                sum.0 += f64::from(grade);
                sum.1 += 1;
            }
        }
        if let (true, Some(sent)) = (row.status == "approved", &row.final_text) {
            let distance = edit_distance(&row.draft_text, sent);
            if distance > 0.0 {
                r.edited += 1;
            }
            self.distance.0 += distance;
            self.distance.1 += 1;
        }
    }

    fn finish(mut self, tenant: String) -> TenantReport {
        let mean = |(sum, n): (f64, u32)| (n > 0).then(|| sum / f64::from(n));
        let decided = self.report.approved + self.report.rejected;
        self.report.tenant = tenant;
        self.report.approval_rate =
            (decided > 0).then(|| self.report.approved as f64 / decided as f64);
        self.report.mean_tone = mean(self.grades[0]);
        self.report.mean_accuracy = mean(self.grades[1]);
        self.report.mean_policy = mean(self.grades[2]);
        self.report.mean_edit_distance = mean(self.distance);
        self.report
    }
}

/// 0 for the same text, 1 for nothing in common (normalised Levenshtein over characters).
pub fn edit_distance(draft: &str, sent: &str) -> f64 {
    1.0 - strsim::normalized_levenshtein(draft, sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, draft: &str, sent: Option<&str>, grades: [Option<i16>; 3]) -> Row {
        Row {
            status: status.into(),
            draft_text: draft.into(),
            final_text: sent.map(str::to_owned),
            grades,
        }
    }

    #[test]
    fn figures_per_tenant() {
        let mut builder = Builder::default();
        builder.add(&row(
            "approved",
            "abcd",
            Some("abcd"),
            [Some(5), Some(4), None],
        ));
        builder.add(&row(
            "approved",
            "abcd",
            Some("abxy"),
            [Some(3), None, None],
        ));
        builder.add(&row("rejected", "abcd", None, [None, Some(1), Some(2)]));
        builder.add(&row("stale", "x", None, [None; 3]));
        builder.add(&row("auto", "x", Some("x"), [None; 3]));
        let report = builder.finish("acme".into());
        assert_eq!(report.drafts, 4);
        assert_eq!(
            (report.approved, report.rejected, report.stale, report.auto),
            (2, 1, 1, 1)
        );
        assert_eq!(report.edited, 1);
        assert_eq!(report.approval_rate, Some(2.0 / 3.0));
        assert_eq!(report.mean_tone, Some(4.0));
        assert_eq!(report.mean_accuracy, Some(2.5));
        assert_eq!(report.mean_policy, Some(2.0));
        assert_eq!(report.mean_edit_distance, Some(0.25));
    }

    #[test]
    fn edit_distance_is_normalised() {
        assert_eq!(edit_distance("same", "same"), 0.0);
        assert_eq!(edit_distance("abc", "xyz"), 1.0);
        assert!((edit_distance("kitten", "sitting") - 3.0 / 7.0).abs() < 1e-9);
    }
}

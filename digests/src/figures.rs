//! The figures a report shows, for its period and the one before. Stored as JSON with the report, so what a
//! report said stays readable even after the rollups it came from are pruned or recomputed.

use serde::{Deserialize, Serialize};

/// Count, average and tail of one duration metric, in seconds (`None` without values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    pub count: u64,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

impl From<&reports::query::Timing> for Durations {
    fn from(t: &reports::query::Timing) -> Self {
        Self {
            count: t.count,
            avg: t.wall.avg,
            p50: t.wall.p50,
            p90: t.wall.p90,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Csat {
    pub surveys_sent: u64,
    pub responses: i64,
    /// Share of responses rated 4 or 5, in percent.
    pub score: Option<f64>,
}

/// The bot's drafts and the pipeline's own counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    pub drafts: u64,
    pub approved: u64,
    pub edited: u64,
    pub rejected: u64,
    pub stale: u64,
    pub auto: u64,
    pub escalations: u64,
    pub sla_breaches: u64,
}

impl Bot {
    /// Drafts approved as they were or after an edit, among the drafts an agent decided on, in percent.
    pub fn approval_rate(&self) -> Option<f64> {
        let decided = self.approved + self.edited + self.rejected;
        (decided > 0).then(|| 100.0 * (self.approved + self.edited) as f64 / decided as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deliveries {
    pub sent: u64,
    pub retried: u64,
    pub dead_lettered: u64,
}

/// A count by key (a triage category, an escalation reason, a label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

/// Everything one report shows about one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodFigures {
    pub conversations: u64,
    pub incoming_messages: u64,
    pub outgoing_messages: u64,
    pub resolutions: u64,
    pub bot_resolutions: u64,
    pub bot_handoffs: u64,
    pub first_response: Durations,
    pub reply_time: Durations,
    pub resolution_time: Durations,
    pub csat: Csat,
    pub bot: Bot,
    pub deliveries: Deliveries,
    /// Triage categories, most frequent first.
    pub categories: Vec<Count>,
    /// New conversations by local weekday (Monday = 0) × local hour.
    pub peak_hours: [[u64; 24]; 7],
}

impl PeriodFigures {
    /// The Chatwoot-compatible part, from the `reports` crate; the pipeline's own counters start empty.
    pub fn from_reports(f: &reports::Figures) -> Self {
        Self {
            conversations: f.conversations_count,
            incoming_messages: f.incoming_messages_count,
            outgoing_messages: f.outgoing_messages_count,
            resolutions: f.resolutions_count,
            bot_resolutions: f.bot_resolutions_count,
            bot_handoffs: f.bot_handoffs_count,
            first_response: (&f.first_response).into(),
            reply_time: (&f.reply_time).into(),
            resolution_time: (&f.resolution).into(),
            csat: Csat {
                surveys_sent: f.csat.surveys_sent,
                responses: f.csat.responses,
                score: f.csat.score,
            },
            ..Self::default()
        }
    }

    /// The busiest local hour of the day over the period (summed over weekdays) and its count; `None` when the
    /// period had no conversation. Ties go to the earlier hour.
    pub fn peak_hour(&self) -> Option<(u32, u64)> {
        let by_hour = self.hours();
        let (hour, count) = by_hour
            .iter()
            .enumerate()
            .max_by(|(ha, a), (hb, b)| a.cmp(b).then(hb.cmp(ha)))?;
        (*count > 0).then_some((hour as u32, *count))
    }

    /// New conversations by local hour of the day.
    pub fn hours(&self) -> [u64; 24] {
        let mut by_hour = [0; 24];
        for day in &self.peak_hours {
            for (sum, n) in by_hour.iter_mut().zip(day) {
                *sum += n;
            }
        }
        by_hour
    }

    pub fn category(&self, key: &str) -> u64 {
        self.categories
            .iter()
            .find(|c| c.key == key)
            .map_or(0, |c| c.count)
    }
}

/// A report's figures: the period and the same-length period just before it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub current: PeriodFigures,
    pub previous: PeriodFigures,
}

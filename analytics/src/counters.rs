//! Our own additive hourly counters: what the pipeline decides and delivers, next to Chatwoot's figures.
//!
//! A counter is `(metric, key)` per tenant-local hour with a `count` and a `sum` of values (seconds,
//! characters). Metrics used by the pipeline are the constants below; `key` narrows one (a triage category, a
//! label, a grade), or is empty. Time to decision is also kept as a log-scale histogram
//! ([`DECISION_BINS`]), so its median is within ±2.5 % however many drafts there are.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use reports::Rollup;

use crate::{batch_shard, AnalyticsError, Calendar};

pub const TRIAGE_CATEGORY: &str = "triage_category";
pub const ESCALATION: &str = "escalation";
pub const HANDOFF: &str = "handoff";
pub const SLA_BREACH: &str = "sla_breach";
pub const LABEL: &str = "label";
pub const DRAFT_CREATED: &str = "draft_created";
pub const DRAFT_APPROVED: &str = "draft_approved";
pub const DRAFT_EDITED: &str = "draft_edited";
pub const DRAFT_REJECTED: &str = "draft_rejected";
pub const DRAFT_STALE: &str = "draft_stale";
/// A reply the bot sent on its own, without a draft to approve.
pub const DRAFT_AUTO: &str = "draft_auto";
/// Seconds from a draft's creation to its approval, edit or rejection (`sum`), binned in `key`.
pub const DECISION_SECONDS: &str = "decision_seconds";
/// Characters changed by an edited approval (`sum`).
pub const EDIT_DISTANCE: &str = "edit_distance";
/// A draft's grade, by grade in `key`.
pub const GRADE: &str = "grade";
pub const DELIVERY_SENT: &str = "delivery_sent";
pub const DELIVERY_RETRIED: &str = "delivery_retried";
pub const DELIVERY_DEAD_LETTERED: &str = "delivery_dead_lettered";

/// Log-scale bins of the decision-time histogram: bin `i` holds `(γ^(i-1), γ^i]` seconds, γ = 1.05.
pub const DECISION_BINS: f64 = 1.05;

/// One increment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterInc {
    pub tenant: String,
    pub conversation: u64,
    pub at: DateTime<Utc>,
    pub metric: &'static str,
    pub key: String,
    pub count: i64,
    pub sum: i64,
}

impl CounterInc {
    pub fn one(
        tenant: &str,
        conversation: u64,
        at: DateTime<Utc>,
        metric: &'static str,
        key: &str,
    ) -> Self {
        CounterInc {
            tenant: tenant.to_owned(),
            conversation,
            at,
            metric,
            key: key.to_owned(),
            count: 1,
            sum: 0,
        }
    }

    /// A decision after `seconds`: the sum feeds the average, the bin the median.
    pub fn decision(tenant: &str, conversation: u64, at: DateTime<Utc>, seconds: i64) -> Self {
        let v = seconds.max(0);
        let bin = if v == 0 {
            0
        } else {
            ((v as f64).ln() / DECISION_BINS.ln()).ceil().max(0.0) as i64 + 1
        };
        CounterInc {
            sum: v,
            ..Self::one(tenant, conversation, at, DECISION_SECONDS, &bin.to_string())
        }
    }
}

/// Adds increments to their hourly rows in one statement, in the caller's transaction. The rows go to the call's
/// shard ([`batch_shard`]) with their keys sorted, so concurrent callers neither queue on one row nor deadlock.
pub async fn add_counters(
    client: &impl GenericClient,
    calendars: &std::collections::HashMap<String, Calendar>,
    increments: &[CounterInc],
) -> Result<(), AnalyticsError> {
    if increments.is_empty() {
        return Ok(());
    }
    let default = Calendar::default();
    let shard = batch_shard(
        increments
            .iter()
            .map(|inc| (inc.tenant.as_str(), inc.conversation)),
    );
    // (tenant, hour, metric, key, shard) → (count, sum)
    type Row<'a> = (String, i64, &'a str, &'a str, i16);
    let mut rows: BTreeMap<Row<'_>, (i64, i64)> = BTreeMap::new();
    for inc in increments {
        let tz = calendars.get(&inc.tenant).unwrap_or(&default).timezone;
        let hour = Rollup::new(tz).hour_key(inc.at);
        let row = rows
            .entry((
                inc.tenant.clone(),
                hour,
                inc.metric,
                inc.key.as_str(),
                shard,
            ))
            .or_default();
        row.0 += inc.count;
        row.1 += inc.sum;
    }
    let statement = client.prepare_cached(ADD_COUNTERS).await?;
    let mut cols = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for ((tenant, hour, metric, key, shard), (count, sum)) in &rows {
        cols.0.push(tenant.as_str());
        cols.1.push(*hour);
        cols.2.push(*metric);
        cols.3.push(*key);
        cols.4.push(*shard);
        cols.5.push(*count);
        cols.6.push(*sum);
    }
    client
        .execute(
            &statement,
            &[
                &cols.0, &cols.1, &cols.2, &cols.3, &cols.4, &cols.5, &cols.6,
            ],
        )
        .await?;
    Ok(())
}

/// The end of every insert into `analytics_counters AS c`: a row that exists is added to. A macro, so that
/// statements of other crates that write counters inline (the dispatcher's settle) can `concat!` it.
#[macro_export]
macro_rules! add_to_existing_counters {
    () => {
        "
    ON CONFLICT (tenant, hour, metric, key, shard)
    DO UPDATE SET count = c.count + EXCLUDED.count, sum = c.sum + EXCLUDED.sum"
    };
}

/// Adds a batch's increments to their hourly rows.
pub const ADD_COUNTERS: &str = concat!(
    "
    INSERT INTO analytics_counters AS c (tenant, hour, metric, key, shard, count, sum)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int2[], $6::bigint[],
                         $7::bigint[])",
    add_to_existing_counters!()
);

/// The hour of `at` that [`add_counters`] files an increment under for a tenant without a calendar (UTC).
pub fn default_hour(at: DateTime<Utc>) -> i64 {
    Rollup::new(Calendar::default().timezone).hour_key(at)
}

/// One counter's total over some hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub sum: i64,
}

/// A tenant's counters over a period, per hour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// `(metric, key)` → hour key → total.
    pub hourly: BTreeMap<(String, String), BTreeMap<i64, Total>>,
}

impl Counters {
    /// A metric's total over every key and hour.
    pub fn total(&self, metric: &str) -> Total {
        self.hourly
            .iter()
            .filter(|((m, _), _)| m == metric)
            .flat_map(|(_, hours)| hours.values())
            .fold(Total::default(), |a, t| Total {
                count: a.count + t.count,
                sum: a.sum + t.sum,
            })
    }

    /// A metric's count per key, largest first (ties by key).
    pub fn by_key(&self, metric: &str) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = self
            .hourly
            .iter()
            .filter(|((m, _), _)| m == metric)
            .map(|((_, k), hours)| (k.clone(), hours.values().map(|t| t.count).sum()))
            .filter(|(_, c)| *c != 0)
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// A metric's count per hour key.
    pub fn hourly_counts(&self, metric: &str) -> BTreeMap<i64, i64> {
        let mut out = BTreeMap::new();
        for ((m, _), hours) in &self.hourly {
            if m == metric {
                for (hour, t) in hours {
                    *out.entry(*hour).or_default() += t.count;
                }
            }
        }
        out
    }

    /// The mean of one grade (`tone`, `accuracy`, `policy`) over its `name:grade` keys; `None` without grades.
    pub fn mean_grade(&self, name: &str) -> Option<f64> {
        let total = self
            .hourly
            .iter()
            .filter(|((m, k), _)| m == GRADE && k.split_once(':').is_some_and(|(n, _)| n == name))
            .flat_map(|(_, hours)| hours.values())
            .fold(Total::default(), |a, t| Total {
                count: a.count + t.count,
                sum: a.sum + t.sum,
            });
        (total.count > 0).then(|| total.sum as f64 / total.count as f64)
    }

    /// The median time to decision from the histogram (nearest rank), in seconds.
    pub fn median_decision_seconds(&self) -> Option<f64> {
        let mut bins: Vec<(i64, i64)> = self
            .by_key(DECISION_SECONDS)
            .into_iter()
            .filter_map(|(k, c)| Some((k.parse().ok()?, c)))
            .collect();
        bins.sort_unstable();
        let n: i64 = bins.iter().map(|(_, c)| c).sum();
        if n <= 0 {
            return None;
        }
        let rank = (n + 1) / 2;
        let mut seen = 0;
        for (bin, count) in bins {
            seen += count;
            if seen >= rank {
                if bin == 0 {
                    return Some(0.0);
                }
                // The middle of (γ^(i-1), γ^i], like the reports crate's sketch bins.
                let upper = DECISION_BINS.powi(i32::try_from(bin - 1).unwrap_or(i32::MAX));
                return Some((2.0 * upper / (DECISION_BINS + 1.0)).round());
            }
        }
        None
    }
}

/// The tenant's counters for the local hours starting in `[since, until)`, shards merged.
pub async fn load_counters(
    client: &impl GenericClient,
    tenant: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Counters, AnalyticsError> {
    let statement = client
        .prepare_cached(
            "SELECT metric, key, hour, sum(count)::bigint, sum(sum)::bigint FROM analytics_counters
             WHERE tenant = $1 AND hour >= $2 AND hour < $3
             GROUP BY metric, key, hour",
        )
        .await?;
    let rows = client
        .query(
            &statement,
            &[&tenant, &since.timestamp(), &until.timestamp()],
        )
        .await?;
    let mut counters = Counters::default();
    for row in rows {
        counters
            .hourly
            .entry((row.get(0), row.get(1)))
            .or_default()
            .insert(
                row.get(2),
                Total {
                    count: row.get(3),
                    sum: row.get(4),
                },
            );
    }
    Ok(counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metric names are stored and compared as they are: a stray character would split a counter in two (V18
    /// repairs the rows written while the names began with a newline and an indent).
    #[test]
    fn metric_names_are_plain_identifiers() {
        for metric in [
            TRIAGE_CATEGORY,
            ESCALATION,
            HANDOFF,
            SLA_BREACH,
            LABEL,
            DRAFT_CREATED,
            DRAFT_APPROVED,
            DRAFT_EDITED,
            DRAFT_REJECTED,
            DRAFT_STALE,
            DRAFT_AUTO,
            DECISION_SECONDS,
            EDIT_DISTANCE,
            GRADE,
            DELIVERY_SENT,
            DELIVERY_RETRIED,
            DELIVERY_DEAD_LETTERED,
        ] {
            assert!(
                !metric.is_empty() && metric.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{metric:?}"
            );
        }
    }
}

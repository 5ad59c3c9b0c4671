//! The figures as the REST API and `cwctl report` show them: one JSON shape for both (see CONTRACT.md), built
//! from a loaded [`Rollup`] and [`Counters`].

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use reports::query::{Distribution, Timing};
use reports::{Figures, Granularity, Group, Rollup, Volume};
use serde::Serialize;
use utoipa::ToSchema;

use crate::counters::{self, Counters};

/// Average and nearest-rank percentiles, in seconds; `null` without values.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

impl Stats {
    fn of(d: &Distribution) -> Self {
        Stats {
            avg: d.avg,
            p50: d.p50,
            p90: d.p90,
            p95: d.p95,
            p99: d.p99,
        }
    }
}

/// A duration metric: the top-level values are wall-clock seconds, or business-hours seconds when asked with
/// `business_hours=true`; `business` always holds the business-hours ones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DurationFigures {
    pub count: u64,
    #[serde(flatten)]
    pub stats: Stats,
    pub business: Stats,
}

impl DurationFigures {
    fn of(t: &Timing, business_hours: bool) -> Self {
        DurationFigures {
            count: t.count,
            stats: Stats::of(if business_hours { &t.business } else { &t.wall }),
            business: Stats::of(&t.business),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsatFigures {
    pub surveys_sent: u64,
    pub responses: i64,
    /// Responses by rating 1..5.
    pub ratings: Vec<i64>,
    /// Share of ratings 4-5 among responses, in percent.
    pub score: Option<f64>,
    /// Responses / surveys sent, in percent.
    pub response_rate: Option<f64>,
}

/// What the pipeline's bot did: its drafts and what agents decided, its handoffs and escalations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BotFigures {
    pub drafts: i64,
    /// Approved drafts, edited ones included.
    pub approved: i64,
    pub edited: i64,
    pub rejected: i64,
    pub stale: i64,
    /// Replies sent without approval.
    pub auto: i64,
    /// approved / (approved + rejected), in percent.
    pub approval_rate: Option<f64>,
    pub handoffs: i64,
    pub escalations: i64,
    pub sla_breaches: i64,
    pub median_decision_seconds: Option<f64>,
    /// Mean grades agents gave the drafts they decided (1-5); `null` without grades.
    pub grades: GradeFigures,
    /// Mean characters an agent changed in an edited approval; `null` without edits.
    pub mean_edit_distance: Option<f64>,
}

/// Mean grade per aspect of a draft.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeFigures {
    pub tone: Option<f64>,
    pub accuracy: Option<f64>,
    pub policy: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryFigures {
    pub sent: i64,
    pub retried: i64,
    pub dead_lettered: i64,
}

/// Every figure of one group and period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    pub conversations: u64,
    pub incoming_messages: u64,
    pub outgoing_messages: u64,
    /// Every resolution counts (Chatwoot's `resolutions_count`).
    pub resolutions: u64,
    pub bot_resolutions: u64,
    /// Chatwoot's bot handoffs: once per conversation.
    pub bot_handoffs: u64,
    pub first_response: DurationFigures,
    /// Chatwoot's "customer waiting time".
    pub reply_time: DurationFigures,
    pub resolution_time: DurationFigures,
    pub csat: CsatFigures,
    /// The tenant's, whatever the group.
    pub bot: BotFigures,
    pub deliveries: DeliveryFigures,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

impl FiguresView {
    pub fn of(f: &Figures, counters: &Counters, business_hours: bool) -> Self {
        let total = |metric| counters.total(metric).count;
        let approved = total(counters::DRAFT_APPROVED) + total(counters::DRAFT_EDITED);
        let rejected = total(counters::DRAFT_REJECTED);
        FiguresView {
            conversations: f.conversations_count,
            incoming_messages: f.incoming_messages_count,
            outgoing_messages: f.outgoing_messages_count,
            resolutions: f.resolutions_count,
            bot_resolutions: f.bot_resolutions_count,
            bot_handoffs: f.bot_handoffs_count,
            first_response: DurationFigures::of(&f.first_response, business_hours),
            reply_time: DurationFigures::of(&f.reply_time, business_hours),
            resolution_time: DurationFigures::of(&f.resolution, business_hours),
            csat: CsatFigures {
                surveys_sent: f.csat.surveys_sent,
                responses: f.csat.responses,
                ratings: f.csat.ratings.to_vec(),
                score: f.csat.score,
                response_rate: f.csat.response_rate,
            },
            bot: BotFigures {
                drafts: total(counters::DRAFT_CREATED),
                approved,
                edited: total(counters::DRAFT_EDITED),
                rejected,
                stale: total(counters::DRAFT_STALE),
                auto: total(counters::DRAFT_AUTO),
                approval_rate: rate(approved, approved + rejected),
                handoffs: total(counters::HANDOFF),
                escalations: total(counters::ESCALATION),
                sla_breaches: total(counters::SLA_BREACH),
                median_decision_seconds: counters.median_decision_seconds(),
                grades: GradeFigures {
                    tone: counters.mean_grade("tone"),
                    accuracy: counters.mean_grade("accuracy"),
                    policy: counters.mean_grade("policy"),
                },
                mean_edit_distance: {
                    let edits = counters.total(counters::EDIT_DISTANCE);
                    (edits.count > 0).then(|| edits.sum as f64 / edits.count as f64)
                },
            },
            deliveries: DeliveryFigures {
                sent: total(counters::DELIVERY_SENT),
                retried: total(counters::DELIVERY_RETRIED),
                dead_lettered: total(counters::DELIVERY_DEAD_LETTERED),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryView {
    pub tenant: String,
    pub timezone: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub current: FiguresView,
    /// The same-length period just before `since`, like Chatwoot's v2 summary.
    pub previous: FiguresView,
    pub previous_since: DateTime<Utc>,
    pub previous_until: DateTime<Utc>,
}

/// The period asked for and the one before it: load the rollup and counters over `[previous_since, until)`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Period {
    pub fn previous(self) -> Period {
        let length = self.until - self.since;
        Period {
            since: self.since - length,
            until: self.since,
        }
    }
}

/// Only the counters of hours in `period`.
pub fn counters_in(counters: &Counters, period: Period) -> Counters {
    let (since, until) = (period.since.timestamp(), period.until.timestamp());
    Counters {
        hourly: counters
            .hourly
            .iter()
            .map(|(k, hours)| {
                let kept = hours.range(since..until).map(|(h, t)| (*h, *t)).collect();
                (k.clone(), kept)
            })
            .collect(),
    }
}

pub fn summary(
    tenant: &str,
    rollup: &Rollup,
    counters: &Counters,
    group: &Group,
    period: Period,
    business_hours: bool,
) -> SummaryView {
    let s = reports::summary(rollup, group, period.since, period.until);
    let previous = period.previous();
    SummaryView {
        tenant: tenant.to_owned(),
        timezone: rollup.timezone().name().to_owned(),
        since: period.since,
        until: period.until,
        current: FiguresView::of(&s.current, &counters_in(counters, period), business_hours),
        previous: FiguresView::of(
            &s.previous,
            &counters_in(counters, previous),
            business_hours,
        ),
        previous_since: previous.since,
        previous_until: previous.until,
    }
}

/// The metrics a time series can show.
pub const METRICS: [&str; 10] = [
    "conversations",
    "incoming_messages",
    "outgoing_messages",
    "resolutions",
    "first_response",
    "reply_time",
    "resolution_time",
    "csat_score",
    "bot_handoffs",
    "drafts",
];
pub const STATS: [&str; 6] = ["count", "avg", "p50", "p90", "p95", "p99"];
pub const DURATIONS: [&str; 3] = ["first_response", "reply_time", "resolution_time"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Point {
    /// The period's local start, with the tenant's UTC offset.
    pub start: String,
    /// 0 for counts without events; `null` for durations (and the CSAT score) without values.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeseriesView {
    pub metric: String,
    pub stat: String,
    pub granularity: String,
    pub timezone: String,
    pub points: Vec<Point>,
}

/// The default statistic of a metric: the count for counts, p50 for durations.
pub fn default_stat(metric: &str) -> &'static str {
    if DURATIONS.contains(&metric) {
        "p50"
    } else {
        "count"
    }
}

fn stat_of(t: &Timing, stat: &str, business_hours: bool) -> Option<f64> {
    let d = if business_hours { &t.business } else { &t.wall };
    match stat {
        "count" => Some(t.count as f64),
        "avg" => d.avg,
        "p90" => d.p90,
        "p95" => d.p95,
        "p99" => d.p99,
        _ => d.p50,
    }
}

/// What a time series shows; `metric` and `stat` must be among [`METRICS`] and [`STATS`].
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub metric: &'a str,
    pub stat: &'a str,
    pub granularity: Granularity,
    pub business_hours: bool,
}

/// One value per period of `[since, until)`.
pub fn timeseries(
    rollup: &Rollup,
    counters: &Counters,
    group: &Group,
    period: Period,
    series_of: Series<'_>,
) -> TimeseriesView {
    let Series {
        metric,
        stat,
        granularity,
        business_hours,
    } = series_of;
    let series = reports::timeseries(rollup, group, period.since, period.until, granularity);
    let drafts = counters.hourly_counts(counters::DRAFT_CREATED);
    let points = series
        .iter()
        .enumerate()
        .map(|(i, (start, f))| {
            let value = match metric {
                "conversations" => Some(f.conversations_count as f64),
                "incoming_messages" => Some(f.incoming_messages_count as f64),
                "outgoing_messages" => Some(f.outgoing_messages_count as f64),
                "resolutions" => Some(f.resolutions_count as f64),
                "bot_handoffs" => Some(f.bot_handoffs_count as f64),
                "csat_score" => f.csat.score,
                "first_response" => stat_of(&f.first_response, stat, business_hours),
                "reply_time" => stat_of(&f.reply_time, stat, business_hours),
                "resolution_time" => stat_of(&f.resolution, stat, business_hours),
                _ => {
                    let from = start.timestamp();
                    let to = series
                        .get(i + 1)
                        .map_or(period.until.timestamp(), |(s, _)| s.timestamp());
                    Some(drafts.range(from..to).map(|(_, c)| *c).sum::<i64>() as f64)
                }
            };
            Point {
                start: start.to_rfc3339(),
                value,
            }
        })
        .collect();
    TimeseriesView {
        metric: metric.to_owned(),
        stat: stat.to_owned(),
        granularity: match granularity {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
        }
        .to_owned(),
        timezone: rollup.timezone().name().to_owned(),
        points,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreakdownRow {
    /// e.g. `agent:12`, `channel:Channel::WebWidget`.
    pub group: String,
    pub id: String,
    /// Not known to the pipeline yet: always `null`.
    pub name: Option<String>,
    pub figures: FiguresView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreakdownView {
    pub dimension: String,
    pub rows: Vec<BreakdownRow>,
}

pub fn breakdown(
    rollup: &Rollup,
    counters: &Counters,
    dimension: reports::Dimension,
    period: Period,
    business_hours: bool,
) -> BreakdownView {
    let counters = counters_in(counters, period);
    let rows = reports::breakdown(rollup, dimension, period.since, period.until)
        .into_iter()
        .map(|(group, f)| {
            let key = group.to_string();
            BreakdownRow {
                id: key.split_once(':').map_or("", |(_, id)| id).to_owned(),
                group: key,
                name: None,
                figures: FiguresView::of(&f, &counters, business_hours),
            }
        })
        .collect();
    BreakdownView {
        dimension: dimension.as_str().to_owned(),
        rows,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeakHoursView {
    pub timezone: String,
    pub weekdays: Vec<String>,
    /// 7 rows (Monday first) of 24 local hours.
    pub grid: Vec<Vec<u64>>,
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn peak_hours(rollup: &Rollup, group: &Group, period: Period, volume: Volume) -> PeakHoursView {
    let grid = reports::peak_hours(rollup, group, period.since, period.until, volume);
    PeakHoursView {
        timezone: rollup.timezone().name().to_owned(),
        weekdays: WEEKDAYS.map(String::from).to_vec(),
        grid: grid.iter().map(|row| row.to_vec()).collect(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Issue {
    pub key: String,
    pub count: i64,
    pub previous: i64,
    /// (count − previous) / previous; `null` when there was none before.
    pub change: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopIssuesView {
    pub categories: Vec<Issue>,
    pub escalations: Vec<Issue>,
    pub labels: Vec<Issue>,
}

pub fn top_issues(counters: &Counters, period: Period) -> TopIssuesView {
    let current = counters_in(counters, period);
    let previous = counters_in(counters, period.previous());
    let issues = |metric: &str| {
        let before = previous.by_key(metric);
        current
            .by_key(metric)
            .into_iter()
            .map(|(key, count)| {
                let previous = before
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(0, |(_, c)| *c);
                Issue {
                    change: (previous > 0).then(|| (count - previous) as f64 / previous as f64),
                    key,
                    count,
                    previous,
                }
            })
            .collect()
    };
    TopIssuesView {
        categories: issues(counters::TRIAGE_CATEGORY),
        escalations: issues(counters::ESCALATION),
        labels: issues(counters::LABEL),
    }
}

/// Histogram edges in seconds; the last bucket (`le: null`) holds the rest.
pub const EDGES: [u64; 7] = [60, 300, 900, 1800, 3600, 14400, 86400];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionBucket {
    /// Upper edge in seconds (inclusive); `null`: above the last edge.
    pub le: Option<u64>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistributionView {
    pub metric: String,
    pub buckets: Vec<DistributionBucket>,
}

pub fn distribution(
    rollup: &Rollup,
    group: &Group,
    period: Period,
    metric: &str,
    business_hours: bool,
) -> DistributionView {
    let mut total = reports::Bucket::default();
    rollup
        .buckets(group, period.since, period.until)
        .for_each(|(_, b)| total.merge(b));
    let stats = match metric {
        "reply_time" => &total.reply_time,
        "resolution_time" => &total.resolution,
        _ => &total.first_response,
    };
    let sketch = if business_hours {
        &stats.values_business
    } else {
        &stats.values
    };
    let mut below = 0;
    let mut buckets: Vec<DistributionBucket> = EDGES
        .iter()
        .map(|&edge| {
            let at_most = sketch.count_at_most(edge);
            let count = at_most - below;
            below = at_most;
            DistributionBucket {
                le: Some(edge),
                count,
            }
        })
        .collect();
    buckets.push(DistributionBucket {
        le: None,
        count: sketch.count() - below,
    });
    DistributionView {
        metric: metric.to_owned(),
        buckets,
    }
}

/// The local time zone's name, for views that have no rollup.
pub fn zone_name(tz: Tz) -> String {
    tz.name().to_owned()
}

//! Figures read from a [`Rollup`]: summary with the previous period, time series, breakdowns, peak hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::rollup::{Bucket, Dimension, Group, Rollup, Stats};

/// Percentiles reported for every duration metric.
pub const PERCENTILES: [f64; 4] = [50.0, 90.0, 95.0, 99.0];

/// Average and nearest-rank percentiles of one set of durations, in seconds; `None` without values.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

/// A duration metric by the clock and in business hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub count: u64,
    pub wall: Distribution,
    pub business: Distribution,
}

impl Timing {
    fn of(stats: &Stats) -> Self {
        let dist = |sum: i64, sketch: &crate::sketch::Sketch| Distribution {
            avg: (stats.count > 0).then(|| sum as f64 / stats.count as f64),
            p50: sketch.percentile(PERCENTILES[0]),
            p90: sketch.percentile(PERCENTILES[1]),
            p95: sketch.percentile(PERCENTILES[2]),
            p99: sketch.percentile(PERCENTILES[3]),
        };
        Timing {
            count: stats.count,
            wall: dist(stats.sum, &stats.values),
            business: dist(stats.sum_business, &stats.values_business),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Csat {
    pub surveys_sent: u64,
    pub responses: i64,
    /// Responses by rating 1..=5.
    pub ratings: [i64; 5],
    /// Share of responses rated 4 or 5, in percent (Chatwoot's satisfaction score).
    pub score: Option<f64>,
    /// Responses / surveys sent, in percent.
    pub response_rate: Option<f64>,
}

/// Chatwoot's summary keys plus percentiles, bot and CSAT figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub conversations_count: u64,
    pub incoming_messages_count: u64,
    pub outgoing_messages_count: u64,
    pub first_response: Timing,
    /// Chatwoot's "customer waiting time".
    pub reply_time: Timing,
    pub resolution: Timing,
    pub resolutions_count: u64,
    pub bot_resolutions_count: u64,
    pub bot_handoffs_count: u64,
    pub csat: Csat,
}

impl Figures {
    pub fn of(b: &Bucket) -> Self {
        let responses: i64 = b.csat_ratings.iter().sum();
        let positive = b.csat_ratings[3] + b.csat_ratings[4];
        Figures {
            conversations_count: b.conversations,
            incoming_messages_count: b.incoming_messages,
            outgoing_messages_count: b.outgoing_messages,
            first_response: Timing::of(&b.first_response),
            reply_time: Timing::of(&b.reply_time),
            resolution: Timing::of(&b.resolution),
            resolutions_count: b.resolution.count,
            bot_resolutions_count: b.bot_resolutions,
            bot_handoffs_count: b.bot_handoffs,
            csat: Csat {
                surveys_sent: b.csat_surveys_sent,
                responses,
                ratings: b.csat_ratings,
                score: (responses > 0).then(|| 100.0 * positive as f64 / responses as f64),
                response_rate: (b.csat_surveys_sent > 0)
                    .then(|| 100.0 * responses as f64 / b.csat_surveys_sent as f64),
            },
        }
    }
}

/// Like Chatwoot's v2 summary: the period and the same-length period just before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub current: Figures,
    pub previous: Figures,
}

fn total(rollup: &Rollup, group: &Group, since: DateTime<Utc>, until: DateTime<Utc>) -> Bucket {
    let mut sum = Bucket::default();
    rollup
        .buckets(group, since, until)
        .for_each(|(_, b)| sum.merge(b));
    sum
}

pub fn summary(
    rollup: &Rollup,
    group: &Group,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Summary {
    let length = until - since;
    Summary {
        current: Figures::of(&total(rollup, group, since, until)),
        previous: Figures::of(&total(rollup, group, since - length, since)),
    }
}

/// Figures per group of one dimension over a period, groups in key order.
pub fn breakdown(
    rollup: &Rollup,
    dimension: Dimension,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(Group, Figures)> {
    rollup
        .groups(dimension)
        .map(|g| (g.clone(), Figures::of(&total(rollup, g, since, until))))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
    /// Weeks start on Monday, like PostgreSQL's `date_trunc('week')` that Chatwoot groups with.
    Week,
}

/// The local start of the period holding a bucket's hour.
fn period_start(tz: Tz, key: i64, granularity: Granularity) -> DateTime<Tz> {
    let local = DateTime::from_timestamp(key, 0)
        .unwrap_or_default()
        .with_timezone(&tz);
    let midnight = |date: NaiveDate| {
        // Midnight can be skipped by DST in a few zones; the day then starts at its first existing instant.
        (0..24)
            .find_map(|h| {
                tz.from_local_datetime(&date.and_hms_opt(h, 0, 0)?)
                    .earliest()
            })
            .unwrap_or(local)
    };
    match granularity {
        Granularity::Hour => local,
        Granularity::Day => midnight(local.date_naive()),
        Granularity::Week => {
            let date = local.date_naive();
            midnight(date - Duration::days(i64::from(date.weekday().num_days_from_monday())))
        }
    }
}

/// Figures per period in `[since, until)`, in order. Every period with a local hour in the range is present,
/// empty ones with zero counts, so charts need no gap filling.
pub fn timeseries(
    rollup: &Rollup,
    group: &Group,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    granularity: Granularity,
) -> Vec<(DateTime<Tz>, Figures)> {
    let tz = rollup.timezone();
    let mut periods: Vec<(DateTime<Tz>, Bucket)> = Vec::new();
    let mut push = |start: DateTime<Tz>, bucket: Option<&Bucket>| {
        if periods.last().is_none_or(|(s, _)| *s != start) {
            periods.push((start, Bucket::default()));
        }
        if let (Some((_, sum)), Some(b)) = (periods.last_mut(), bucket) {
            sum.merge(b);
        }
    };
    let mut buckets = rollup.buckets(group, since, until).peekable();
    // Walk every local hour of the range: a real hour each step, so the repeated autumn hour appears twice.
    let mut hour = rollup.hour_key(since);
    while hour < until.timestamp() {
        let start = period_start(tz, hour, granularity);
        push(start, None);
        while let Some((_, b)) = buckets.next_if(|(k, _)| *k < hour + 3600) {
            push(start, Some(b));
        }
        hour += 3600;
    }
    periods
        .into_iter()
        .map(|(s, b)| (s, Figures::of(&b)))
        .collect()
}

/// What the peak-hours grid counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    Conversations,
    IncomingMessages,
    OutgoingMessages,
}

/// Counts by local weekday (Monday = 0) × local hour in the tenant's time zone.
pub fn peak_hours(
    rollup: &Rollup,
    group: &Group,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    volume: Volume,
) -> [[u64; 24]; 7] {
    let tz = rollup.timezone();
    let mut grid = [[0; 24]; 7];
    for (key, b) in rollup.buckets(group, since, until) {
        let local = DateTime::from_timestamp(key, 0)
            .unwrap_or_default()
            .with_timezone(&tz);
        let count = match volume {
            Volume::Conversations => b.conversations,
            Volume::IncomingMessages => b.incoming_messages,
            Volume::OutgoingMessages => b.outgoing_messages,
        };
        grid[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += count;
    }
    grid
}

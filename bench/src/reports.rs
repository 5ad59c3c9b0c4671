//! The `reports` phase: the analytics figures over `--reports-conversations` conversations (1M) with 10
//! messages each (10M) spread over 90 days.
//!
//! Each conversation's events go through the per-conversation [`reports::Tracker`] (what recording does for
//! every event as it flows) into hourly [`reports::Rollup`] buckets per group (account, agent, team, inbox,
//! channel); the figures are then read from the buckets the way the API reads them: `summary` over 30 days with
//! the previous 30, `timeseries` by day and by hour (durations with their percentiles), `breakdown` by agent.
//! What a read costs depends on the number of buckets in the range, not on the number of conversations: that
//! is the point of keeping the rollup up to date as events flow.
//!
//! Measured: records derived and rolled up per second (the CPU cost recording adds per event, in-process), the
//! rollup's size, and p50/p99 of each read over `REPEATS` runs. Not measured here: the PostgreSQL store of the
//! rollup (see BENCHMARKS.md).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use reports::{
    BusinessHours, ConversationInfo, Dimension, Event, Granularity, Group, Rollup, Sender, Status,
    Timed, Tracker,
};
use serde::Serialize;

use crate::hist::{self, Latency};
use crate::report::Row;

/// Issue 15's target for summary and time series.
const TARGET_MS: f64 = 1000.0;
const REPEATS: usize = 30;
const DAYS: i64 = 90;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportsReport {
    pub conversations: u64,
    pub messages: u64,
    /// Every record the trackers produced (messages, reporting events, CSAT).
    pub records: u64,
    pub record_seconds: f64,
    /// Hourly buckets over every group.
    pub buckets: u64,
    pub reads: Vec<(String, Latency)>,
}

pub fn run(conversations: u64) -> anyhow::Result<ReportsReport> {
    let tz: Tz = "Europe/Berlin"
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hours = BusinessHours::parse(
        "Europe/Berlin",
        &["mon", "tue", "wed", "thu", "fri"],
        "09:00-17:00",
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let end = Utc
        .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let start = end - chrono::Duration::days(DAYS);
    let mut rollup = Rollup::new(tz);
    let mut report = ReportsReport {
        conversations,
        ..ReportsReport::default()
    };
    let began = Instant::now();
    let spacing = (DAYS * 86_400) as f64 / conversations.max(1) as f64;
    for n in 0..conversations {
        let created = start + chrono::Duration::seconds((n as f64 * spacing) as i64);
        let (messages, records) = conversation(n, created, &hours, &mut rollup)?;
        report.messages += messages;
        report.records += records;
    }
    report.record_seconds = began.elapsed().as_secs_f64();
    report.buckets = [
        Dimension::Account,
        Dimension::Agent,
        Dimension::Team,
        Dimension::Inbox,
        Dimension::Channel,
    ]
    .iter()
    .flat_map(|d| rollup.groups(*d).cloned().collect::<Vec<_>>())
    .map(|g| rollup.buckets(&g, start, end).count() as u64)
    .sum();

    let since = end - chrono::Duration::days(30);
    let mut time = |name: &str, read: &dyn Fn() -> usize| {
        let mut histogram = hist::new_histogram();
        for _ in 0..REPEATS {
            let began = Instant::now();
            std::hint::black_box(read());
            hist::record(&mut histogram, began.elapsed());
        }
        report
            .reads
            .push((name.to_owned(), Latency::of(&histogram)));
    };
    time("summary, 30 days + previous 30", &|| {
        let s = reports::summary(&rollup, &Group::Account, since, end);
        usize::from(s.current.first_response.wall.p99.is_some())
    });
    time("timeseries by day, 30 days", &|| {
        reports::timeseries(&rollup, &Group::Account, since, end, Granularity::Day).len()
    });
    time("timeseries by hour, 30 days", &|| {
        reports::timeseries(&rollup, &Group::Account, since, end, Granularity::Hour).len()
    });
    time("timeseries by day, 90 days", &|| {
        reports::timeseries(&rollup, &Group::Account, start, end, Granularity::Day).len()
    });
    time("breakdown by agent, 30 days", &|| {
        reports::breakdown(&rollup, Dimension::Agent, since, end).len()
    });
    Ok(report)
}

/// One conversation of 10 messages: the customer asks, the bot answers, hands off, an agent replies, they
/// talk, it is resolved (one in five is reopened and resolved again), a CSAT survey is sent and answered.
fn conversation(
    n: u64,
    created: DateTime<Utc>,
    hours: &BusinessHours,
    rollup: &mut Rollup,
) -> anyhow::Result<(u64, u64)> {
    let agent = 1 + n % 50;
    let info = ConversationInfo {
        id: n + 1,
        inbox: 1 + n % 10,
        channel: ["Channel::WebWidget", "Channel::Email", "Channel::Whatsapp"][(n % 3) as usize]
            .to_owned(),
        inbox_has_bot: true,
        created_at: created,
        status: Status::Pending,
        assignee: None,
        team: Some(1 + n % 5),
    };
    let (mut tracker, record) = Tracker::created(info, Some(hours.clone()));
    rollup.record(&record);
    let mut records = 1;
    // Seconds after creation, varied per conversation so the percentiles have something to rank.
    let jitter =
        |k: u64| i64::try_from((n.wrapping_mul(2_654_435_761) >> (k * 3)) % 1_800).unwrap_or(0);
    let steps: Vec<(i64, Event)> = vec![
        (
            5,
            Event::Message {
                sender: Sender::Contact,
                private: false,
            },
        ),
        (
            8,
            Event::Message {
                sender: Sender::Bot,
                private: false,
            },
        ),
        (
            60,
            Event::Message {
                sender: Sender::Contact,
                private: false,
            },
        ),
        (70, Event::BotHandoff),
        (71, Event::Assigned(Some(agent))),
        (
            120 + jitter(1),
            Event::Message {
                sender: Sender::Agent(agent),
                private: false,
            },
        ),
        (
            900 + jitter(2),
            Event::Message {
                sender: Sender::Contact,
                private: false,
            },
        ),
        (
            1_900 + jitter(3),
            Event::Message {
                sender: Sender::Agent(agent),
                private: false,
            },
        ),
        (
            2_400 + jitter(4),
            Event::Message {
                sender: Sender::Contact,
                private: false,
            },
        ),
        (
            3_000 + jitter(5),
            Event::Message {
                sender: Sender::Agent(agent),
                private: false,
            },
        ),
        (
            3_100 + jitter(5),
            Event::Message {
                sender: Sender::Agent(agent),
                private: true,
            },
        ),
        (3_600 + jitter(6), Event::Status(Status::Resolved)),
        (3_601 + jitter(6), Event::CsatSurveySent { message_id: n }),
        (
            4_000 + jitter(6),
            Event::CsatResponse {
                message_id: n,
                rating: 1 + (n % 5) as u8,
                feedback: None,
            },
        ),
    ];
    let mut steps = steps;
    if n.is_multiple_of(5) {
        steps.push((86_400, Event::Status(Status::Open)));
        steps.push((90_000, Event::Status(Status::Resolved)));
    }
    let mut messages = 0;
    for (after, event) in steps {
        messages += u64::from(matches!(event, Event::Message { .. }));
        let timed = Timed {
            at: created + chrono::Duration::seconds(after),
            event,
        };
        for record in tracker.apply(&timed)? {
            rollup.record(&record);
            records += 1;
        }
    }
    Ok((messages, records))
}

pub fn rows(r: &ReportsReport) -> Vec<Row> {
    let per_record = Duration::from_secs_f64(r.record_seconds / r.records.max(1) as f64);
    let mut rows = vec![Row::new(
        "Reports: history rolled up",
        format!(
            "{} conversations, {} messages, {} records into {} hourly buckets",
            r.conversations, r.messages, r.records, r.buckets
        ),
    )
    .note(format!(
        "{:.1} s, {:.2} µs per record (tracker + rollup, one core)",
        r.record_seconds,
        per_record.as_secs_f64() * 1e6
    ))];
    for (name, latency) in &r.reads {
        rows.push(
            Row::new(format!("Reports: {name} p50/p90/p99"), latency.short()).against(
                format!("target < {TARGET_MS} ms"),
                latency.p99_ms / TARGET_MS,
            ),
        );
    }
    rows
}

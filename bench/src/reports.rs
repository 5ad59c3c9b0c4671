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
//! The buckets are then written to the `analytics` store (PostgreSQL, compacted shard: what the worker's
//! compaction leaves for past hours) and the same figures are read the way the API's `/api/v1/reports/*` reads
//! them: `analytics::load_rollup` for the period, then the `reports` query.
//!
//! Measured: records derived and rolled up per second in-process; the store's size; p50/p99 of each read, in
//! memory and through PostgreSQL, over `REPEATS` runs; and what recording adds per event in the worker's
//! transaction: `analytics::record` of one event of one conversation (its tracker read and written, its bucket
//! rows added), timed and counted in statements and rows.

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
    pub store_seconds: f64,
    pub store_mib: f64,
    pub reads: Vec<(String, Latency)>,
    /// `analytics::record` of one event, in its own transaction.
    pub per_event: Latency,
    pub per_event_statements: f64,
    pub per_event_bucket_rows: f64,
}

const TENANT: &str = "bench";

/// Builds the history in memory (blocking), stores it, reads it back and measures one event's recording.
pub async fn run(
    conversations: u64,
    pool: &deadpool_postgres::Pool,
) -> anyhow::Result<ReportsReport> {
    let (mut report, rollup, window) =
        tokio::task::spawn_blocking(move || build(conversations)).await??;
    let (start, end) = window;
    let client = pool.get().await?;
    let calendar = analytics::Calendar {
        timezone: rollup.timezone(),
        business_days: ["mon", "tue", "wed", "thu", "fri"]
            .map(String::from)
            .to_vec(),
        business_hours: "09:00-17:00".into(),
    };
    analytics::store_calendar(&client, TENANT, &calendar).await?;
    let began = Instant::now();
    store(&client, &rollup).await?;
    report.store_seconds = began.elapsed().as_secs_f64();
    client.execute("ANALYZE analytics_buckets", &[]).await?;
    let bytes: i64 = client
        .query_one("SELECT pg_total_relation_size('analytics_buckets')", &[])
        .await?
        .get(0);
    report.store_mib = bytes as f64 / (1 << 20) as f64;
    let since = end - chrono::Duration::days(30);
    let previous = since - chrono::Duration::days(30);
    for (name, from, dims, read) in [
        (
            "summary, 30 days + previous 30, via PostgreSQL",
            previous,
            vec![],
            Read::Summary,
        ),
        (
            "timeseries by day, 30 days, via PostgreSQL",
            since,
            vec![],
            Read::Day,
        ),
        (
            "timeseries by hour, 30 days, via PostgreSQL",
            since,
            vec![],
            Read::Hour,
        ),
        (
            "timeseries by day, 90 days, via PostgreSQL",
            start,
            vec![],
            Read::Day,
        ),
        (
            "breakdown by agent, 30 days, via PostgreSQL",
            since,
            vec![Dimension::Agent],
            Read::Agents,
        ),
    ] {
        let mut histogram = hist::new_histogram();
        for _ in 0..REPEATS {
            let began = Instant::now();
            let loaded = analytics::load_rollup(&client, TENANT, from, end, &dims).await?;
            let n = match read {
                Read::Summary => usize::from(
                    reports::summary(&loaded, &Group::Account, since, end)
                        .current
                        .first_response
                        .wall
                        .p99
                        .is_some(),
                ),
                Read::Day => {
                    reports::timeseries(&loaded, &Group::Account, from, end, Granularity::Day).len()
                }
                Read::Hour => {
                    reports::timeseries(&loaded, &Group::Account, from, end, Granularity::Hour)
                        .len()
                }
                Read::Agents => reports::breakdown(&loaded, Dimension::Agent, from, end).len(),
            };
            std::hint::black_box(n);
            hist::record(&mut histogram, began.elapsed());
        }
        report
            .reads
            .push((name.to_owned(), Latency::of(&histogram)));
    }
    drop(client);
    per_event(pool, &calendar, end, &mut report).await?;
    Ok(report)
}

#[derive(Clone, Copy)]
enum Read {
    Summary,
    Day,
    Hour,
    Agents,
}

/// Writes every bucket as the compacted row of its group and hour, as `analytics` stores them.
async fn store(client: &deadpool_postgres::Client, rollup: &Rollup) -> anyhow::Result<()> {
    let rows: Vec<(&Group, i64, &reports::Bucket)> = rollup.iter().collect();
    for chunk in rows.chunks(5_000) {
        let dimensions: Vec<&str> = chunk
            .iter()
            .map(|(g, _, _)| g.dimension().as_str())
            .collect();
        let groups: Vec<String> = chunk.iter().map(|(g, _, _)| g.to_string()).collect();
        let hours: Vec<i64> = chunk.iter().map(|(_, h, _)| *h).collect();
        let buckets = chunk
            .iter()
            .map(|(_, _, b)| analytics::record::encode_bucket(b))
            .collect::<Result<Vec<_>, _>>()?;
        client
            .execute(
                "INSERT INTO analytics_buckets (tenant, dimension, hour, grp, shard, bin)
                 SELECT $1, d, h, g, $5, b FROM unnest($2::text[], $3::bigint[], $4::text[], $6::bytea[])
                      AS k(d, h, g, b)",
                &[&TENANT, &dimensions, &hours, &groups, &analytics::COMPACTED, &buckets],
            )
            .await?;
    }
    Ok(())
}

/// One event of one conversation recorded in its own transaction, as the worker does for a webhook (without
/// the ledger and state statements around it): a message in a conversation created a minute earlier.
async fn per_event(
    pool: &deadpool_postgres::Pool,
    calendar: &analytics::Calendar,
    end: DateTime<Utc>,
    report: &mut ReportsReport,
) -> anyhow::Result<()> {
    let calendars = std::collections::HashMap::from([(TENANT.to_owned(), calendar.clone())]);
    let mut client = pool.get().await?;
    let mut histogram = hist::new_histogram();
    let (mut statements, mut rows) = (0usize, 0usize);
    let samples = 500u64;
    for n in 0..samples * 2 {
        let conversation = 10_000_000 + n / 2;
        let at = end + chrono::Duration::seconds(i64::try_from(n).unwrap_or(0) * 30);
        let event = if n % 2 == 0 {
            Event::Message {
                sender: Sender::Contact,
                private: false,
            }
        } else {
            Event::Message {
                sender: Sender::Agent(1 + n % 50),
                private: false,
            }
        };
        let observation = analytics::Observation {
            tenant: TENANT.to_owned(),
            conversation,
            info: Some(ConversationInfo {
                id: conversation,
                inbox: 1 + n % 10,
                channel: "Channel::WebWidget".into(),
                inbox_has_bot: true,
                created_at: at,
                status: Status::Open,
                assignee: None,
                team: None,
            }),
            events: vec![Timed { at, event }],
        };
        let began = Instant::now();
        let txn = client.transaction().await?;
        let summary =
            analytics::record(&txn, &calendars, std::slice::from_ref(&observation)).await?;
        txn.commit().await?;
        // The first event of each conversation creates its tracker; the second is a plain message.
        if n % 2 == 1 {
            hist::record(&mut histogram, began.elapsed());
            statements += summary.statements;
            rows += summary.bucket_rows;
        }
    }
    report.per_event = Latency::of(&histogram);
    report.per_event_statements = statements as f64 / samples as f64;
    report.per_event_bucket_rows = rows as f64 / samples as f64;
    Ok(())
}

type Built = (ReportsReport, Rollup, (DateTime<Utc>, DateTime<Utc>));

fn build(conversations: u64) -> anyhow::Result<Built> {
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
    time("summary, 30 days + previous 30, in memory", &|| {
        let s = reports::summary(&rollup, &Group::Account, since, end);
        usize::from(s.current.first_response.wall.p99.is_some())
    });
    time("timeseries by day, 30 days, in memory", &|| {
        reports::timeseries(&rollup, &Group::Account, since, end, Granularity::Day).len()
    });
    time("timeseries by hour, 30 days, in memory", &|| {
        reports::timeseries(&rollup, &Group::Account, since, end, Granularity::Hour).len()
    });
    time("timeseries by day, 90 days, in memory", &|| {
        reports::timeseries(&rollup, &Group::Account, start, end, Granularity::Day).len()
    });
    time("breakdown by agent, 30 days, in memory", &|| {
        reports::breakdown(&rollup, Dimension::Agent, since, end).len()
    });
    Ok((report, rollup, (start, end)))
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
    // Gaps between the steps; the times are their running sums, so the history stays in order.
    let agent_says = || Event::Message {
        sender: Sender::Agent(agent),
        private: false,
    };
    let customer_says = || Event::Message {
        sender: Sender::Contact,
        private: false,
    };
    let mut steps: Vec<(i64, Event)> = vec![
        (5, customer_says()),
        (
            3,
            Event::Message {
                sender: Sender::Bot,
                private: false,
            },
        ),
        (50, customer_says()),
        (10, Event::BotHandoff),
        (1, Event::Assigned(Some(agent))),
        (60 + jitter(1), agent_says()),
        (120 + jitter(2), customer_says()),
        (300 + jitter(3), agent_says()),
        (200 + jitter(4), customer_says()),
        (100 + jitter(5), agent_says()),
        (
            60,
            Event::Message {
                sender: Sender::Agent(agent),
                private: true,
            },
        ),
        (600 + jitter(6), Event::Status(Status::Resolved)),
        (1, Event::CsatSurveySent { message_id: n }),
        (
            300 + jitter(7),
            Event::CsatResponse {
                message_id: n,
                rating: 1 + (n % 5) as u8,
                feedback: None,
            },
        ),
    ];
    if n.is_multiple_of(5) {
        steps.push((86_400, Event::Status(Status::Open)));
        steps.push((3_600, Event::Status(Status::Resolved)));
    }
    let mut after = 0;
    let mut messages = 0;
    for (gap, event) in steps {
        after += gap;
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
    rows.push(
        Row::new(
            "Reports: rollup stored (compacted shard)",
            format!("{:.0} MiB in analytics_buckets", r.store_mib),
        )
        .note(format!("{:.1} s to write", r.store_seconds)),
    );
    rows.push(
        Row::new(
            "Reports: recording one event (analytics::record + commit) p50/p90/p99/p99.9",
            r.per_event.short(),
        )
        .note(format!(
            "{:.1} statements, {:.1} bucket rows per event",
            r.per_event_statements, r.per_event_bucket_rows
        )),
    );
    for (name, latency) in &r.reads {
        rows.push(
            Row::new(
                format!("Reports: {name} p50/p90/p99/p99.9"),
                latency.short(),
            )
            .against(
                format!("target < {TARGET_MS} ms"),
                latency.p99_ms / TARGET_MS,
            ),
        );
    }
    rows
}

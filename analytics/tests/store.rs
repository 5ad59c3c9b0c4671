//! The store against a real PostgreSQL (TEST_DATABASE_URL): what is recorded, loaded back and compacted equals
//! the reports crate's in-memory rollup of the same histories; a tracker carries a conversation across calls; the
//! cost of recording per event is printed (`--nocapture`) for BENCHMARKS.md. Rows still in the JSON of before V14
//! read back the same.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Instant;

use analytics::reports::{
    derive, summary, ConversationInfo, Dimension, Event, Group, History, Rollup, Sender, Status,
    Timed,
};
use analytics::{Calendar, Observation};
use chrono::{DateTime, Duration, TimeZone, Utc};

async fn database() -> (deadpool_postgres::Pool, String, String) {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("analytics_{}", std::process::id());
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("TEST_DATABASE_URL has no database"),
    };
    let pool = infra::db::connect_and_migrate(&url, 4).await.unwrap();
    (pool, admin, name)
}

async fn drop_database(pool: deadpool_postgres::Pool, admin: &str, name: &str) {
    drop(pool);
    let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}

fn t(hours: i64, minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 11, 8, 0, 0).unwrap()
        + Duration::hours(hours)
        + Duration::minutes(minutes)
}

/// A conversation with replies, a reopen and two resolutions; `n` varies times and agents.
fn history(n: u64) -> History {
    let start = t(
        i64::try_from(n % 30).unwrap(),
        i64::try_from(n % 7).unwrap(),
    );
    let m = |minutes: i64| start + Duration::minutes(minutes);
    let message = |sender| Event::Message {
        sender,
        private: false,
    };
    History {
        info: ConversationInfo {
            id: n,
            inbox: 7 + n % 2,
            channel: "Channel::WebWidget".into(),
            inbox_has_bot: true,
            created_at: start,
            status: Status::Pending,
            assignee: None,
            team: None,
        },
        events: vec![
            Timed {
                at: m(0),
                event: message(Sender::Contact),
            },
            Timed {
                at: m(1),
                event: message(Sender::Bot),
            },
            Timed {
                at: m(2),
                event: Event::Status(Status::Open),
            },
            Timed {
                at: m(2),
                event: Event::Assigned(Some(17 + n % 3)),
            },
            Timed {
                at: m(3 + i64::try_from(n % 11).unwrap()),
                event: message(Sender::Agent(17 + n % 3)),
            },
            Timed {
                at: m(20),
                event: message(Sender::Contact),
            },
            Timed {
                at: m(25 + i64::try_from(n % 5).unwrap()),
                event: message(Sender::Agent(17)),
            },
            Timed {
                at: m(40),
                event: Event::Status(Status::Resolved),
            },
            Timed {
                at: m(41),
                event: Event::CsatSurveySent { message_id: n * 10 },
            },
            Timed {
                at: m(42),
                event: Event::CsatResponse {
                    message_id: n * 10,
                    rating: 1 + (n % 5) as u8,
                    feedback: None,
                },
            },
            Timed {
                at: m(60),
                event: Event::Status(Status::Open),
            },
            Timed {
                at: m(90),
                event: Event::Status(Status::Resolved),
            },
        ],
    }
}

#[tokio::test]
async fn recorded_loaded_and_compacted_rollups_equal_the_in_memory_ones() {
    let (pool, admin, name) = database().await;
    let calendar = Calendar {
        timezone: chrono_tz::Europe::Berlin,
        ..Calendar::default()
    };
    let calendars: HashMap<String, Calendar> = [("acme".to_owned(), calendar.clone())].into();
    let mut client = pool.get().await.unwrap();
    analytics::store_calendar(&client, "acme", &calendar)
        .await
        .unwrap();

    let histories: Vec<History> = (1..=200).map(history).collect();
    let mut expected = Rollup::new(calendar.timezone);
    for h in &histories {
        // The pending → open change is the bot handoff `record` makes of it.
        let mut h = h.clone();
        for e in &mut h.events {
            if e.event == Event::Status(Status::Open)
                && e.at == h.info.created_at + Duration::minutes(2)
            {
                e.event = Event::BotHandoff;
            }
        }
        expected.record_all(&derive(&h, calendar.business().ok().as_ref()).unwrap());
    }

    // Event by event, one transaction per batch of 20 conversations' events, like the worker.
    let started = Instant::now();
    let mut events = 0;
    let longest = histories.iter().map(|h| h.events.len()).max().unwrap();
    for step in 0..=longest {
        for chunk in histories.chunks(20) {
            let observations: Vec<Observation> = chunk
                .iter()
                .filter_map(|h| {
                    let (info, events) = match step {
                        0 => (Some(h.info.clone()), Vec::new()),
                        s => (None, vec![h.events.get(s - 1)?.clone()]),
                    };
                    Some(Observation {
                        tenant: "acme".into(),
                        conversation: h.info.id,
                        info,
                        events,
                    })
                })
                .collect();
            events += observations.len();
            let txn = client.transaction().await.unwrap();
            analytics::record(&txn, &calendars, &observations)
                .await
                .unwrap();
            txn.commit().await.unwrap();
        }
    }
    let elapsed = started.elapsed();
    // The same number of transactions doing nothing: what the worker pays anyway.
    let started = Instant::now();
    for _ in 0..=longest {
        for _ in histories.chunks(20) {
            let txn = client.transaction().await.unwrap();
            txn.execute("SELECT 1", &[]).await.unwrap();
            txn.commit().await.unwrap();
        }
    }
    let baseline = started.elapsed();
    println!(
        "recorded {events} events in {elapsed:?} ({:.0} µs per event in batches of 20); empty transactions \
         {baseline:?}; recording adds {:.0} µs per event",
        elapsed.as_micros() as f64 / events as f64,
        (elapsed.as_micros() as f64 - baseline.as_micros() as f64) / events as f64
    );

    // Half of the rows as a database migrated to V14 holds them: JSON written before, not rewritten since.
    let rows = client
        .query("SELECT ctid::text, bin FROM analytics_buckets", &[])
        .await
        .unwrap();
    assert!(rows.len() > 1);
    for row in rows.iter().step_by(2) {
        let bucket: analytics::reports::Bucket = postcard::from_bytes(row.get(1)).unwrap();
        client
            .execute(
                "UPDATE analytics_buckets SET bucket = $2::text::jsonb, bin = NULL WHERE ctid = $1::text::tid",
                &[&row.get::<_, &str>(0), &serde_json::to_string(&bucket).unwrap()],
            )
            .await
            .unwrap();
    }

    let (since, until) = (t(-24, 0), t(48, 0));
    let all = [
        Dimension::Agent,
        Dimension::Inbox,
        Dimension::Team,
        Dimension::Channel,
    ];
    let loaded = analytics::load_rollup(&client, "acme", since, until, &all)
        .await
        .unwrap();
    let group = Group::Agent(17);
    assert_eq!(
        summary(&loaded, &Group::Account, since, until),
        summary(&expected, &Group::Account, since, until)
    );
    assert_eq!(
        summary(&loaded, &group, since, until),
        summary(&expected, &group, since, until)
    );

    // Compaction folds the shards and changes nothing.
    let shards: i64 = client
        .query_one(
            "SELECT count(*) FROM analytics_buckets WHERE shard >= 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(shards > 0);
    loop {
        let txn = client.transaction().await.unwrap();
        let n = analytics::compact(&txn, until.timestamp(), 500)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        if n == 0 {
            break;
        }
    }
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM analytics_buckets WHERE shard >= 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    let compacted = analytics::load_rollup(&client, "acme", since, until, &all)
        .await
        .unwrap();
    assert_eq!(
        summary(&compacted, &Group::Account, since, until),
        summary(&expected, &Group::Account, since, until)
    );
    assert_eq!(
        summary(&compacted, &group, since, until),
        summary(&expected, &group, since, until)
    );
    let started = Instant::now();
    analytics::load_rollup(&client, "acme", since, until, &[])
        .await
        .unwrap();
    println!(
        "loaded a compacted account rollup of 72 hours in {:?}",
        started.elapsed()
    );

    // Counters add up across shards and compaction.
    let now = t(1, 0);
    let incs: Vec<_> = (1..=50u64)
        .map(|c| {
            analytics::CounterInc::one(
                "acme",
                c,
                now,
                analytics::counters::TRIAGE_CATEGORY,
                "billing",
            )
        })
        .chain([analytics::CounterInc::decision("acme", 1, now, 95)])
        .collect();
    let txn = client.transaction().await.unwrap();
    analytics::add_counters(&txn, &calendars, &incs)
        .await
        .unwrap();
    analytics::compact(&txn, until.timestamp(), 10_000)
        .await
        .unwrap();
    analytics::add_counters(&txn, &calendars, &incs[..10])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let counters = analytics::load_counters(&client, "acme", since, until)
        .await
        .unwrap();
    assert_eq!(
        counters.by_key(analytics::counters::TRIAGE_CATEGORY),
        [("billing".to_owned(), 60)]
    );
    let median = counters.median_decision_seconds().unwrap();
    assert!((median - 95.0).abs() / 95.0 < 0.025, "{median}");
    drop(client);
    drop_database(pool, &admin, &name).await;
}

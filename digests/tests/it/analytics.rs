//! The service's source: figures recorded by the analytics store (as the worker records them) become the report.

use std::collections::HashMap;

use analytics::{Calendar, CounterInc, Observation};
use chrono::{DateTime, Duration, Utc};
use reports::{ConversationInfo, Event, Sender, Status, Timed};

use crate::{utc, Db, TENANT};

fn conversation(id: u64, created: DateTime<Utc>, reply_after: Duration) -> Observation {
    let info = ConversationInfo {
        id,
        inbox: 1,
        channel: "Channel::WebWidget".into(),
        inbox_has_bot: false,
        created_at: created,
        status: Status::Open,
        assignee: None,
        team: None,
    };
    let message = |at, sender| Timed {
        at,
        event: Event::Message {
            sender,
            private: false,
        },
    };
    Observation {
        tenant: TENANT.into(),
        conversation: id,
        info: Some(info),
        events: vec![
            message(created, Sender::Contact),
            message(created + reply_after, Sender::Agent(7)),
        ],
    }
}

#[tokio::test]
async fn the_report_shows_what_the_analytics_store_recorded() {
    let db = Db::new().await;
    let calendar = Calendar {
        timezone: chrono_tz::Europe::Berlin,
        ..Calendar::default()
    };
    let calendars: HashMap<String, Calendar> = [(TENANT.to_owned(), calendar.clone())].into();
    {
        let client = db.pool.get().await.expect("connection");
        analytics::store_calendar(&client, TENANT, &calendar)
            .await
            .expect("calendar");
        // 2 March (Berlin): one conversation, answered in 10 minutes; 3 March: three, one at 14:20 local.
        let observations = [
            conversation(1, utc("2026-03-02T09:00:00Z"), Duration::minutes(10)),
            conversation(2, utc("2026-03-03T08:00:00Z"), Duration::minutes(5)),
            conversation(3, utc("2026-03-03T13:20:00Z"), Duration::minutes(20)),
            conversation(4, utc("2026-03-03T13:40:00Z"), Duration::minutes(30)),
        ];
        analytics::record(&client, &calendars, &observations)
            .await
            .expect("record");
        let mut counters = vec![CounterInc::one(
            TENANT,
            1,
            utc("2026-03-02T09:00:00Z"),
            analytics::counters::TRIAGE_CATEGORY,
            "billing",
        )];
        for n in 0..5 {
            counters.push(CounterInc::one(
                TENANT,
                2 + n % 3,
                utc("2026-03-03T13:30:00Z"),
                analytics::counters::TRIAGE_CATEGORY,
                "billing",
            ));
        }
        counters.push(CounterInc::one(
            TENANT,
            3,
            utc("2026-03-03T13:30:00Z"),
            analytics::counters::DELIVERY_DEAD_LETTERED,
            "",
        ));
        analytics::add_counters(&client, &calendars, &counters)
            .await
            .expect("counters");
    }
    let digests = db
        .replica(digests::AnalyticsSource::new(db.pool.clone()), None)
        .await;
    let receiver = crate::webhook::Receiver::start(0).await;
    crate::enable(&digests, &[], Some(receiver.url())).await;
    let tick = digests
        .tick(utc("2026-03-04T08:00:00Z"))
        .await
        .expect("tick");
    assert_eq!((tick.generated.len(), tick.delivered.sent), (1, 1));
    let client = db.pool.get().await.expect("connection");
    let report = digests::store::get(&**client, TENANT, tick.generated[0])
        .await
        .expect("read")
        .expect("report");
    assert_eq!(report.timezone, "Europe/Berlin");
    assert_eq!(report.period_start, utc("2026-03-02T23:00:00Z"));
    let md = &report.markdown;
    assert!(md.contains("| New conversations | 3 | 1 | +200% |"), "{md}");
    assert!(
        md.contains("| First response, median | 20m | 10m | +100% |"),
        "{md}"
    );
    assert!(md.contains("| billing | 5 | 1 | +400% |"), "{md}");
    assert!(
        md.contains("\"billing\" (5 from 1) at least doubled"),
        "{md}"
    );
    assert!(
        md.contains("1 action(s) could not be delivered to Chatwoot"),
        "{md}"
    );
    assert!(
        md.contains(
            "Busiest hours (new conversations, local time): 14:00-15:00 (2), 09:00-10:00 (1)."
        ),
        "{md}"
    );
    assert_eq!(report.figures["current"]["conversations"], 3);
    assert_eq!(receiver.bodies(), [md.as_str()]);
    drop(client);
    db.drop_database().await;
}

//! Analytics end to end: signed webhooks of a fixture history through the ingress and the worker, figures read
//! back from the API equal to hand-computed values; a redelivered or duplicated webhook counts once; CSV; bad
//! parameters. Tenant: Europe/Berlin, Mon-Fri 09:00-17:00 (March 2024: UTC+1).
//!
//! Conversation 2 (Email, inbox 8) is created Friday 2024-03-08 16:50 and answered Monday 09:10, gets a
//! second reply, is resolved, rated 2 then 5 on one survey, reopened, answered by agent 23 and resolved again.
//! Conversation 1 (widget, inbox 7) starts pending with the bot, which answers, then hands off (pending → open)
//! at 09:05; agent 17 answers at 09:15; resolved at 09:20.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use e2e::{eventually, Env, Service, ACCOUNT_ID, TENANT};
use infra::api_keys::Scope;
use serde_json::{json, Value};

mod counters;

const RULES: &str = "[settings]\ntimezone = \"Europe/Berlin\"\nbusiness_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nbusiness_hours = \"09:00-17:00\"\n";

fn b(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    Berlin
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

struct Conv {
    id: u64,
    inbox: u64,
    channel: &'static str,
    created: DateTime<Utc>,
}

impl Conv {
    fn payload(&self, status: &str, assignee: Option<u64>) -> Value {
        json!({
            "id": self.id, "inbox_id": self.inbox, "channel": self.channel, "status": status,
            "created_at": self.created.timestamp(),
            "meta": {"sender": {"id": 5821, "type": "contact"},
                     "assignee": assignee.map(|id| json!({"id": id, "type": "user"})), "team": null},
        })
    }

    fn event(&self, event: &str, at: DateTime<Utc>, status: &str, assignee: Option<u64>) -> Value {
        let mut body = self.payload(status, assignee);
        body["event"] = json!(event);
        body["updated_at"] = json!(at.timestamp() as f64 + 0.25);
        body
    }

    fn message(
        &self,
        id: u64,
        at: DateTime<Utc>,
        kind: &str,
        sender: Value,
        assignee: Option<u64>,
    ) -> Value {
        json!({
            "event": "message_created", "id": id, "content": "Where is my parcel?", "content_type": "text",
            "message_type": kind, "private": false,
            "created_at": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "sender": sender, "account": {"id": ACCOUNT_ID, "name": "Acme"},
            "conversation": self.payload("open", assignee),
        })
    }
}

fn contact() -> Value {
    json!({"id": 5821, "name": "Maya Lindqvist"})
}

fn user(id: u64) -> Value {
    json!({"id": id, "name": "Agent", "type": "user"})
}

fn csat(c: &Conv, rating: u8, at: DateTime<Utc>) -> Value {
    json!({
        "event": "message_updated", "id": 101, "content_type": "input_csat", "message_type": "template",
        "content_attributes": {"submitted_values": {"csat_survey_response": {"rating": rating,
                               "feedback_message": "thanks"}}},
        "updated_at": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "account": {"id": ACCOUNT_ID}, "conversation": c.payload("resolved", Some(17)),
    })
}

fn history() -> Vec<Value> {
    let two = Conv {
        id: 2,
        inbox: 8,
        channel: "Channel::Email",
        created: b("2024-03-08 16:50"),
    };
    let one = Conv {
        id: 1,
        inbox: 7,
        channel: "Channel::WebWidget",
        created: b("2024-03-11 09:00"),
    };
    let mut survey = two.message(
        101,
        b("2024-03-11 10:00"),
        "template",
        Value::Null,
        Some(17),
    );
    survey["content_type"] = json!("input_csat");
    let mut note = two.message(1004, b("2024-03-11 09:25"), "outgoing", user(17), Some(17));
    note["private"] = json!(true);
    let mut pending = one.event("conversation_created", one.created, "pending", None);
    pending["updated_at"] = json!(one.created.timestamp());
    vec![
        two.event("conversation_created", two.created, "open", None),
        two.message(1001, b("2024-03-08 16:50"), "incoming", contact(), None),
        two.event(
            "conversation_updated",
            b("2024-03-11 09:05"),
            "open",
            Some(17),
        ),
        two.message(1002, b("2024-03-11 09:10"), "outgoing", user(17), Some(17)),
        two.message(1003, b("2024-03-11 09:20"), "incoming", contact(), Some(17)),
        note,
        two.message(1005, b("2024-03-11 09:30"), "outgoing", user(17), Some(17)),
        two.event(
            "conversation_status_changed",
            b("2024-03-11 10:00"),
            "resolved",
            Some(17),
        ),
        survey,
        csat(&two, 2, b("2024-03-11 10:05")),
        csat(&two, 5, b("2024-03-11 10:07")),
        two.event(
            "conversation_status_changed",
            b("2024-03-11 11:00"),
            "open",
            Some(17),
        ),
        two.message(1006, b("2024-03-11 11:00"), "incoming", contact(), Some(17)),
        two.message(1007, b("2024-03-11 11:30"), "outgoing", user(23), Some(17)),
        two.event(
            "conversation_status_changed",
            b("2024-03-11 12:00"),
            "resolved",
            Some(17),
        ),
        pending,
        one.message(2001, b("2024-03-11 09:00"), "incoming", contact(), None),
        one.message(
            2002,
            b("2024-03-11 09:01"),
            "outgoing",
            json!({"id": 4, "type": "agent_bot"}),
            None,
        ),
        one.message(2003, b("2024-03-11 09:02"), "incoming", contact(), None),
        one.event(
            "conversation_status_changed",
            b("2024-03-11 09:05"),
            "open",
            Some(17),
        ),
        one.message(2004, b("2024-03-11 09:15"), "outgoing", user(17), Some(17)),
        one.event(
            "conversation_status_changed",
            b("2024-03-11 09:20"),
            "resolved",
            Some(17),
        ),
    ]
}

struct Reports {
    env: Env,
    ingress: Service,
    worker: Service,
    api: Service,
    token: String,
    http: reqwest::Client,
    sent: i64,
}

impl Reports {
    async fn start() -> Self {
        let env = Env::new().await;
        env.write_rules(TENANT, RULES);
        let ingress = env.start_ingress(&[]).await;
        let worker = env.start_worker(&[]).await;
        let api = env.start_api(&[]).await;
        let token = env.api_key(TENANT, Scope::Read).await;
        Self {
            env,
            ingress,
            worker,
            api,
            token,
            http: reqwest::Client::new(),
            sent: 0,
        }
    }

    async fn send(&mut self, body: &Value, delivery: &str) {
        let bytes = serde_json::to_vec(body).unwrap();
        let (status, json) = self.env.send(&self.ingress, TENANT, &bytes, delivery).await;
        assert_eq!(status, 202, "{json}");
        if json["duplicate"].as_bool() != Some(true) {
            self.sent += 1;
        }
    }

    async fn settle(&self) {
        let n = self.sent;
        let done = eventually(Duration::from_secs(30), || async {
            self.env
                .count("SELECT count(*) FROM processed_events")
                .await
                >= n
        })
        .await;
        assert!(done, "{n} events were not processed in time");
    }

    async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let response = self
            .http
            .get(format!("{}/api/v1/reports/{path}", self.api.url()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let disposition = response
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, response.text().await.unwrap(), disposition)
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body, _) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn stop(self) {
        self.api.stop().await.unwrap();
        self.worker.stop().await.unwrap();
        self.ingress.stop().await.unwrap();
        self.env.cleanup().await;
    }
}

const PERIOD: &str = "since=2024-03-08T00:00:00%2B01:00&until=2024-03-12T00:00:00%2B01:00";

fn assert_figures(s: &Value) {
    let c = &s["current"];
    assert_eq!(s["timezone"], "Europe/Berlin");
    assert_eq!(
        (
            &c["conversations"],
            &c["incoming_messages"],
            &c["outgoing_messages"]
        ),
        (&json!(2), &json!(5), &json!(6)),
        "{c}"
    );
    assert_eq!(
        (&c["resolutions"], &c["bot_resolutions"], &c["bot_handoffs"]),
        (&json!(3), &json!(0), &json!(1))
    );
    // First response: conversation 2, Mon 09:10 − Fri 16:50 = 64 h 20 min = 231600 s (business: 10 + 10 min);
    // conversation 1, 09:15 − the handoff at 09:05 = 600 s. Nearest rank: p50 = 1st of 2, p90 = 2nd.
    let fr = &c["first_response"];
    assert_eq!(
        (&fr["count"], &fr["avg"], &fr["p50"], &fr["p90"]),
        (&json!(2), &json!(116100.0), &json!(600.0), &json!(231600.0)),
        "{fr}"
    );
    assert_eq!(
        (&fr["business"]["avg"], &fr["business"]["p90"]),
        (&json!(900.0), &json!(1200.0)),
        "{fr}"
    );
    // Reply time: 09:30 − 09:20 = 600 s, and after the reopen 11:30 − 11:00 = 1800 s (the first reply writes none).
    let rt = &c["reply_time"];
    assert_eq!(
        (&rt["count"], &rt["avg"], &rt["p50"], &rt["p90"]),
        (&json!(2), &json!(1200.0), &json!(600.0), &json!(1800.0))
    );
    // Resolutions: 65 h 10 min = 234600, 67 h 10 min = 241800 (both count), 20 min = 1200; business 70, 190, 20 min.
    let res = &c["resolution_time"];
    assert_eq!(
        (&res["count"], &res["avg"], &res["p50"]),
        (&json!(3), &json!(159200.0), &json!(234600.0))
    );
    assert_eq!(res["business"]["avg"], json!(5600.0));
    // The survey answered 2 then 5 is one response rated 5.
    let csat = &c["csat"];
    assert_eq!(
        (
            &csat["surveys_sent"],
            &csat["responses"],
            &csat["ratings"],
            &csat["score"],
            &csat["response_rate"]
        ),
        (
            &json!(1),
            &json!(1),
            &json!([0, 0, 0, 0, 1]),
            &json!(100.0),
            &json!(100.0)
        )
    );
    // The previous period (Mar 4-8) is empty.
    assert_eq!(s["previous"]["conversations"], json!(0));
    assert_eq!(s["previous_since"], json!("2024-03-03T23:00:00Z"));
}

#[tokio::test]
async fn figures_of_a_fixture_history_equal_the_hand_computed_ones_and_count_each_event_once() {
    let mut r = Reports::start().await;
    for (i, body) in history().iter().enumerate() {
        r.send(body, &format!("delivery-{i}")).await;
    }
    r.settle().await;
    let summary = r.json(&format!("summary?{PERIOD}")).await;
    assert_figures(&summary);

    // Business-hours durations on request.
    let business = r
        .json(&format!("summary?{PERIOD}&business_hours=true"))
        .await;
    assert_eq!(business["current"]["first_response"]["avg"], json!(900.0));

    // Chatwoot re-sending messages under new delivery ids, a redelivered status change and CSAT answer:
    // nothing moves.
    let history = history();
    for (i, body) in history.iter().enumerate() {
        r.send(body, &format!("again-{i}")).await;
    }
    for (i, body) in history.iter().enumerate().take(5) {
        r.send(body, &format!("delivery-{i}")).await;
    }
    r.settle().await;
    assert_figures(&r.json(&format!("summary?{PERIOD}")).await);

    // Agent 17 answered both first responses; agent 23 wrote one reply after the reopen.
    let breakdown = r.json(&format!("breakdown?dimension=agent&{PERIOD}")).await;
    let rows = breakdown["rows"].as_array().unwrap();
    let row = |g: &str| rows.iter().find(|row| row["group"] == g).unwrap()["figures"].clone();
    assert_eq!(row("agent:17")["first_response"]["count"], json!(2));
    assert_eq!(row("agent:23")["reply_time"]["avg"], json!(1800.0));
    let inbox = r.json(&format!("summary?{PERIOD}&group=inbox:7")).await;
    assert_eq!(inbox["current"]["bot_handoffs"], json!(1));
    assert_eq!(inbox["current"]["conversations"], json!(1));

    // One conversation on Friday at 16:00 and one on Monday at 09:00, Berlin time.
    let peak = r.json(&format!("peak-hours?{PERIOD}")).await;
    assert_eq!(peak["grid"][4][16], json!(1));
    assert_eq!(peak["grid"][0][9], json!(1));
    let series = r
        .json(&format!(
            "timeseries?metric=conversations&granularity=day&{PERIOD}"
        ))
        .await;
    let points: Vec<&Value> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["value"])
        .collect();
    assert_eq!(points, [&json!(1.0), &json!(0.0), &json!(0.0), &json!(1.0)]);
    assert_eq!(
        series["points"][0]["start"],
        json!("2024-03-08T00:00:00+01:00")
    );
    let p90 = r
        .json(&format!(
            "timeseries?metric=first_response&stat=p90&granularity=day&{PERIOD}"
        ))
        .await;
    assert_eq!(p90["points"][0]["value"], Value::Null);
    assert_eq!(p90["points"][3]["value"], json!(231600.0));
    let distribution = r
        .json(&format!("distribution?metric=resolution_time&{PERIOD}"))
        .await;
    let counts: Vec<&Value> = distribution["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["count"])
        .collect();
    assert_eq!(
        counts,
        [
            &json!(0),
            &json!(0),
            &json!(0),
            &json!(1),
            &json!(0),
            &json!(0),
            &json!(0),
            &json!(2)
        ]
    );

    // CSV: a header and one row per period.
    let (status, csv, disposition) = r
        .get(&format!(
            "timeseries?metric=conversations&{PERIOD}&format=csv"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition.as_deref(),
        Some("attachment; filename=\"timeseries.csv\"")
    );
    assert_eq!(
        csv,
        "start,conversations_count\n2024-03-08T00:00:00+01:00,1\n2024-03-09T00:00:00+01:00,0\n\
         2024-03-10T00:00:00+01:00,0\n2024-03-11T00:00:00+01:00,1\n"
    );
    let (_, csv, _) = r.get(&format!("summary?{PERIOD}&format=csv")).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with(
            "current,2024-03-07T23:00:00+00:00,2024-03-11T23:00:00+00:00,2,5,6,3,0,1,2,116100,"
        ),
        "{csv}"
    );
    assert_eq!(lines[0].split(',').count(), lines[1].split(',').count());
    let (_, csv, _) = r.get(&format!("peak-hours?{PERIOD}&format=csv")).await;
    assert_eq!(csv.lines().count(), 8);
    assert!(
        csv.lines()
            .nth(5)
            .unwrap()
            .starts_with("fri,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,"),
        "{csv}"
    );

    // Bad parameters answer 400 naming the parameter.
    for (query, field) in [
        ("timeseries?metric=nope", "metric"),
        ("timeseries", "metric"),
        ("timeseries?metric=conversations&stat=p42", "stat"),
        ("timeseries?metric=conversations&granularity=hour&since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z", "granularity"),
        ("summary?since=yesterday", "since"),
        ("summary?since=2024-03-12T00:00:00Z&until=2024-03-01T00:00:00Z", "since"),
        ("summary?group=agent:x", "group"),
        ("summary?business_hours=maybe", "business_hours"),
        ("summary?format=xml", "format"),
        ("breakdown?dimension=planet", "dimension"),
        ("peak-hours?volume=loud", "volume"),
        ("distribution?metric=conversations", "metric"),
    ] {
        let (status, body, _) = r.get(query).await;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, &body["error"]["field"]), (400, &json!(field)), "{query}: {body}");
    }
    r.stop().await;
}

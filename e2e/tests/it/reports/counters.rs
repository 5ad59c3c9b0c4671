//! Our own counters read back through `GET /api/v1/reports/summary`: deliveries (sent, retried, dead-lettered)
//! as the dispatcher settles them, draft decisions (approved, edited, rejected, time to decision, grades, edit
//! distance) as the worker decides them, and SLA breaches. Counters are recorded at the time they happen, so
//! the default period (the last 7 days ending now) holds them.

use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use e2e::{customer_message, eventually, fixture, Env, ACCOUNT_ID, TENANT};
use infra::api_keys::Scope;
use serde_json::{json, Value};

use crate::ai_support::AiPipeline;

async fn summary(api: &e2e::Service, token: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/reports/summary", api.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Polls the summary until `check` holds (counters commit with the settle, shortly after Chatwoot's answer);
/// returns the last one read.
async fn summary_when(api: &e2e::Service, token: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = summary(api, token).await;
        if check(&s) || std::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn deliveries_are_counted_sent_retried_and_dead_lettered_once_each() {
    let env = Env::new().await;
    // Conversation 1042's reply fails once with a 503 (retried, then sent); 1043's gets a 404 (dead-lettered).
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, "/conversations/1042/messages"),
            FaultBehaviour::Status(503),
        )
        .times(1),
    );
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, "/conversations/1043/messages"),
            FaultBehaviour::Status(404),
        )
        .times(1),
    );
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let api = env.start_api(&[]).await;
    let token = env.api_key(TENANT, Scope::Read).await;

    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &fixture("message_created_incoming_contact.json"),
            "d1",
        )
        .await;
    assert_eq!(status, 202);
    let other = customer_message("Where is my parcel?", 9_102, 1043, &[]);
    let (status, _) = env.send(&ingress, TENANT, &other, "d2").await;
    assert_eq!(status, 202);

    let settled = eventually(Duration::from_secs(30), || async {
        env.count("SELECT count(*) FROM dispatched_actions WHERE state = 'dead'")
            .await
            == 1
            && env
                .count(
                    "SELECT count(*) FROM processed_events, unnest(action_ids) AS a(action_id)
                     WHERE NOT EXISTS (SELECT 1 FROM dispatched_actions d
                                       WHERE d.action_id = a.action_id AND d.state IN ('delivered', 'dead'))",
                )
                .await
                == 0
    })
    .await;
    assert!(settled, "actions not settled: {:?}", env.sim.requests());
    let delivered = env
        .count("SELECT count(*) FROM dispatched_actions WHERE state = 'delivered'")
        .await;
    assert!(delivered >= 1);
    let s = summary_when(&api, &token, |s| {
        s["current"]["deliveries"]["sent"] == json!(delivered)
    })
    .await;
    assert_eq!(
        s["current"]["deliveries"],
        json!({"sent": delivered, "retried": 1, "dead_lettered": 1}),
        "{s}"
    );

    // A redelivered settle (the dispatcher restarted, JetStream hands the actions back) counts nothing more.
    dispatcher.stop().await.unwrap();
    let dispatcher = env.start_dispatcher(&[]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        summary(&api, &token).await["current"]["deliveries"],
        json!({"sent": delivered, "retried": 1, "dead_lettered": 1})
    );
    for service in [ingress, worker, dispatcher, api] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

#[tokio::test]
async fn draft_decisions_count_with_their_grades_edit_distance_and_time_to_decision() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    let api = p.env.start_api(&[]).await;
    let token = p.env.api_key(TENANT, Scope::Read).await;
    let question = "Hi, I was charged twice for my May invoice. Can you help?";
    for (message, conversation) in [(94_001, 9401), (94_011, 9402), (94_021, 9403)] {
        p.customer(question, message, conversation).await;
    }
    p.settle(3).await;
    let draft_text = p.drafts(9401).await[0].draft_text.clone();

    // Edited with two grades, approved as is with one, rejected without grades.
    let edited = "We refunded the second charge.";
    p.agent(
        &format!("/approve {edited} tone=5 accuracy=4"),
        94_002,
        9401,
    )
    .await;
    p.agent("/approve tone=3", 94_012, 9402).await;
    p.agent("/reject wrong invoice", 94_022, 9403).await;
    p.settle(6).await;
    let mut statuses = Vec::new();
    for conversation in [9401, 9402, 9403] {
        statuses.push(p.drafts(conversation).await[0].status.clone());
    }
    assert_eq!(statuses, ["approved", "approved", "rejected"]);

    let s = summary(&api, &token).await;
    let bot = &s["current"]["bot"];
    assert_eq!(
        (
            &bot["drafts"],
            &bot["approved"],
            &bot["edited"],
            &bot["rejected"],
            &bot["stale"],
            &bot["auto"]
        ),
        (
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(0),
            &json!(0)
        ),
        "{bot}"
    );
    let rate = bot["approval_rate"].as_f64().unwrap();
    assert!((rate - 200.0 / 3.0).abs() < 1e-9, "{bot}");
    assert_eq!(
        bot["grades"],
        json!({"tone": 4.0, "accuracy": 4.0, "policy": null})
    );
    let distance = strsim::levenshtein(&draft_text, edited) as f64;
    assert_eq!(bot["mean_edit_distance"], json!(distance), "{bot}");
    // Decided within the test's few seconds (the histogram's bins are ±2.5 %).
    let median = bot["median_decision_seconds"].as_f64().unwrap();
    assert!((0.0..60.0).contains(&median), "{bot}");

    // The same notes redelivered under new delivery ids decide nothing again.
    for (message, conversation) in [(94_002, 9401), (94_012, 9402), (94_022, 9403)] {
        let note = e2e::agent_note("/approve tone=1", message, conversation);
        p.send(&note, &format!("again-{message}")).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = summary(&api, &token).await;
    assert_eq!(again["current"]["bot"], s["current"]["bot"]);
    api.stop().await.unwrap();
    p.stop().await;
}

#[tokio::test]
async fn an_sla_breach_is_counted_once_with_two_workers() {
    let env = Env::new().await;
    let rules = crate::routing::default_rules(true)
        .replace("first_reply_sla = \"30m\"", "first_reply_sla = \"1s\"");
    env.write_rules(TENANT, &rules);
    let ingress = env.start_ingress(&[]).await;
    let workers = [env.start_worker(&[]).await, env.start_worker(&[]).await];
    let dispatcher = env.start_dispatcher(&[]).await;
    let api = env.start_api(&[]).await;
    let token = env.api_key(TENANT, Scope::Read).await;
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &customer_message("Where is my parcel?", 9_201, 2107, &[]),
            "s1",
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        eventually(Duration::from_secs(20), || async {
            env.sim
                .labels(ACCOUNT_ID, 2107)
                .iter()
                .any(|l| l == "sla-breached")
        })
        .await
    );
    let s = summary_when(&api, &token, |s| {
        s["current"]["bot"]["sla_breaches"] == json!(1)
    })
    .await;
    assert_eq!(s["current"]["bot"]["sla_breaches"], json!(1), "{s}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        summary(&api, &token).await["current"]["bot"]["sla_breaches"],
        json!(1)
    );
    for service in [ingress, dispatcher, api] {
        service.stop().await.unwrap();
    }
    for worker in workers {
        worker.stop().await.unwrap();
    }
    env.cleanup().await;
}

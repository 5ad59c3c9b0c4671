//! The `/__sim/` control API and the `run` entry point.

use std::time::Duration;

use chatwoot_sim::SimConfig;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::{client, post, sim, ACCOUNT, CONV, TOKEN};

#[tokio::test]
async fn control_api_drives_a_simulator() {
    let sim = sim().await;
    let base = sim.base_url();
    let http = client();

    let added = http
        .post(format!("{base}/__sim/faults"))
        .json(
            &json!({"method": "POST", "path_contains": "/messages", "times": 1,
                      "behaviour": {"kind": "status", "status": 503}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    assert_eq!(added.json::<Value>().await.unwrap(), json!({"faults": 1}));
    let listed: Value = http
        .get(format!("{base}/__sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed[0]["behaviour"],
        json!({"kind": "status", "status": 503})
    );

    let invalid = http
        .post(format!("{base}/__sim/faults"))
        .json(&json!({"behaviour": {"kind": "status", "status": 503}, "probability": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);

    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "one"}))
            .await
            .0,
        503
    );
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "two"}))
            .await
            .0,
        200
    );

    let requests: Value = http
        .get(format!("{base}/__sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 2, "control calls are not recorded");
    assert_eq!(requests[0]["fault"], true);
    assert_eq!(requests[1]["status"], 200);
    assert_eq!(requests[1]["body"], r#"{"content":"two"}"#);
    assert_eq!(requests[1]["headers"]["api_access_token"], TOKEN);

    let stats: Value = http
        .get(format!("{base}/__sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 2);
    assert_eq!(
        stats["by_route"]["POST /api/v1/accounts/{account_id}/conversations/{id}/messages"],
        json!({"200": 1, "503": 1})
    );

    let conv: Value = http
        .get(format!(
            "{base}/__sim/accounts/{ACCOUNT}/conversations/{CONV}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conv["messages"].as_array().unwrap().len(), 1);
    assert_eq!(conv["status"], "pending");

    let rotated = http
        .put(format!("{base}/__sim/accounts/{ACCOUNT}/tokens"))
        .json(&json!(["rotated"]))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 204);
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "x"}))
            .await
            .0,
        401
    );
    assert_eq!(
        post(&sim, "/messages", "rotated", json!({"content": "x"}))
            .await
            .0,
        200
    );
    let unknown = http
        .put(format!("{base}/__sim/accounts/404/tokens"))
        .json(&json!({"api_tokens": ["a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let many = http
        .post(format!("{base}/__sim/faults"))
        .json(
            &json!([{"behaviour": {"kind": "status_429_with_retry_after", "retry_after_secs": 1}}]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(many.status(), 201);
    assert_eq!(
        post(&sim, "/labels", TOKEN, json!({"labels": []})).await.0,
        429
    );
    assert_eq!(
        http.delete(format!("{base}/__sim/faults"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );

    assert_eq!(
        http.post(format!("{base}/__sim/reset"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(sim.requests().is_empty());
    assert!(sim.messages(ACCOUNT, CONV).is_empty());
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "after reset"}))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn control_api_seeds_conversations() {
    let sim = sim().await;
    let base = sim.base_url();
    let http = client();
    let created = http
        .post(format!(
            "{base}/__sim/accounts/{ACCOUNT}/conversations/{CONV}/incoming"
        ))
        .json(&json!({"content": "hello from the widget"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["message_type"], 0);

    http.post(format!(
        "{base}/__sim/accounts/{ACCOUNT}/conversations/7/missing"
    ))
    .send()
    .await
    .unwrap();
    let missing = http
        .get(format!("{base}/api/v1/accounts/{ACCOUNT}/conversations/7"))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    http.put(format!("{base}/__sim/delay"))
        .json(&json!({"ms": 50}))
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    http.get(format!("{base}/health")).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn run_serves_until_cancelled() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(chatwoot_sim::run(
        SimConfig::default(),
        listener,
        shutdown.clone(),
    ));
    let health = client()
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_is_not_blocked_by_held_requests() {
    let sim = sim().await;
    sim.inject(chatwoot_sim::Fault::new(
        chatwoot_sim::Matcher::any(),
        chatwoot_sim::FaultBehaviour::Timeout(Duration::from_secs(30)),
    ));
    let url = format!("{}/health", sim.base_url());
    let held = tokio::spawn(async move { client().get(url).send().await });
    assert!(
        sim.wait_for(|r| !r.is_empty(), Duration::from_secs(2))
            .await
    );
    tokio::time::timeout(Duration::from_secs(2), sim.shutdown())
        .await
        .unwrap()
        .unwrap();
    let _ = held.await;
}

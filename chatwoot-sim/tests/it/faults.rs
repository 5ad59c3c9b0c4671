//! Injected faults: bodies, counts, timing, and that they change no state.

use std::time::{Duration, Instant};

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method, SimConfig};
use serde_json::json;

use crate::{client, conv_url, fixture_text, get, post, sim, ACCOUNT, CONV, TOKEN};

#[tokio::test]
async fn rate_limit_429_has_no_retry_after() {
    let sim = sim().await;
    sim.inject(Fault::new(Matcher::path("/messages"), FaultBehaviour::Status(429)).times(1));
    let response = client()
        .post(conv_url(&sim, "/messages"))
        .header("api_access_token", TOKEN)
        .json(&json!({"content": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(
        response.text().await.unwrap(),
        fixture_text!("error_429_rate_limited.txt")
    );
    assert_eq!(fixture_text!("error_429_rate_limited.txt"), "Retry later\n");
    assert!(sim.messages(ACCOUNT, CONV).is_empty());
    let recorded = sim.requests();
    assert!(recorded[0].fault);
    assert_eq!(recorded[0].status, Some(429));
}

#[tokio::test]
async fn proxy_429_sends_retry_after() {
    let sim = sim().await;
    sim.inject(Fault::new(
        Matcher::any(),
        FaultBehaviour::Status429WithRetryAfter(7),
    ));
    let response = client().get(conv_url(&sim, "")).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
}

#[tokio::test]
async fn status_fault_n_times_then_success() {
    let sim = sim().await;
    sim.inject(
        Fault::new(
            Matcher::new(Method::POST, "/messages"),
            FaultBehaviour::Status(503),
        )
        .times(2),
    );
    // A GET on the same path is not matched.
    assert_eq!(get(&sim, "/messages", TOKEN).await.0, 200);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            post(&sim, "/messages", TOKEN, json!({"content": "retry me"}))
                .await
                .0,
        );
    }
    assert_eq!(statuses, vec![503, 503, 200]);
    assert_eq!(sim.messages(ACCOUNT, CONV).len(), 1);
    assert!(sim.faults().is_empty());

    let stats = sim.stats();
    assert_eq!(stats.total, 4);
    assert_eq!(stats.faults, 2);
    let route = &stats.by_route["POST /api/v1/accounts/{account_id}/conversations/{id}/messages"];
    assert_eq!(route["503"], 2);
    assert_eq!(route["200"], 1);
}

#[tokio::test]
async fn status_fault_bodies() {
    let sim = sim().await;
    for (status, needle) in [
        (401, "Invalid Access Token"),
        (500, "Internal Server Error"),
        (502, "<html>"),
    ] {
        sim.inject(Fault::new(Matcher::any(), FaultBehaviour::Status(status)).times(1));
        let response = client().get(conv_url(&sim, "")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert!(response.text().await.unwrap().contains(needle));
    }
}

#[tokio::test]
async fn timeout_holds_the_request() {
    let sim = sim().await;
    sim.inject(
        Fault::new(
            Matcher::any(),
            FaultBehaviour::Timeout(Duration::from_millis(300)),
        )
        .times(2),
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = impatient.get(conv_url(&sim, "")).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");

    let started = Instant::now();
    let response = client().get(conv_url(&sim, "")).send().await.unwrap();
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(sim.requests().iter().all(|r| r.fault));
}

#[tokio::test]
async fn close_connection_sends_nothing() {
    let sim = sim().await;
    sim.inject(Fault::new(Matcher::path("/messages"), FaultBehaviour::CloseConnection).times(1));
    let err = post_err(&sim).await;
    assert!(!err.is_timeout(), "{err}");
    assert!(sim.messages(ACCOUNT, CONV).is_empty());
    let recorded = sim.requests();
    assert_eq!((recorded[0].status, recorded[0].fault), (None, true));
    // The next request goes through on a fresh connection.
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "again"}))
            .await
            .0,
        200
    );
}

async fn post_err(sim: &chatwoot_sim::Simulator) -> reqwest::Error {
    client()
        .post(conv_url(sim, "/messages"))
        .header("api_access_token", TOKEN)
        .json(&json!({"content": "lost"}))
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn probabilistic_faults_are_partial_and_seeded() {
    async fn faulted(seed: u64) -> Vec<bool> {
        let sim = chatwoot_sim::spawn(SimConfig {
            seed,
            ..SimConfig::default()
        })
        .await;
        sim.inject(Fault::new(Matcher::any(), FaultBehaviour::Status(500)).with_probability(0.5));
        for _ in 0..40 {
            client()
                .get(format!("{}/health", sim.base_url()))
                .send()
                .await
                .unwrap();
        }
        sim.requests().iter().map(|r| r.fault).collect()
    }
    let first = faulted(7).await;
    let hits = first.iter().filter(|f| **f).count();
    assert!((8..=32).contains(&hits), "{hits} of 40");
    assert_eq!(first, faulted(7).await);
}

#[tokio::test]
async fn until_fault_expires() {
    let sim = sim().await;
    sim.inject(
        Fault::new(Matcher::any(), FaultBehaviour::Status(503))
            .for_duration(Duration::from_millis(150)),
    );
    assert_eq!(get(&sim, "/labels", TOKEN).await.0, 503);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(&sim, "/labels", TOKEN).await.0, 200);
}

#[tokio::test]
async fn request_delay_and_wait_for() {
    let sim = chatwoot_sim::spawn(SimConfig {
        request_delay: Some(Duration::from_millis(100)),
        ..SimConfig::default()
    })
    .await;
    let url = conv_url(&sim, "/messages");
    let task = tokio::spawn(async move {
        client()
            .post(url)
            .header("api_access_token", TOKEN)
            .json(&json!({"content": "slow"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(
        sim.wait_for_requests("POST", "/messages", 1, Duration::from_secs(2))
            .await
    );
    assert_eq!(task.await.unwrap(), 200);
    assert!(
        !sim.wait_for(|reqs| reqs.len() > 1, Duration::from_millis(60))
            .await
    );
}

//! After an end-to-end run each service's /metrics shows the counters with the right values.

use std::time::Duration;

use e2e::{eventually, fixture, Env, TENANT};

fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_what_happened() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let body = fixture("message_created_incoming_contact.json");
    env.send(&ingress, TENANT, &body, "m1").await;
    env.send(&ingress, TENANT, &body, "m1").await;
    env.post(
        &ingress,
        TENANT,
        body.clone(),
        &[("content-type", "application/json")],
    )
    .await;
    env.send(
        &ingress,
        TENANT,
        &fixture("message_created_private_note.json"),
        "m2",
    )
    .await;
    assert!(
        env.sim
            .wait_for_requests(
                "POST",
                "/conversations/1042/messages",
                1,
                Duration::from_secs(20)
            )
            .await
    );

    let ok = eventually(Duration::from_secs(10), || async {
        let m = dispatcher.metrics().await;
        value(
            &m,
            r#"actions_delivered_total{platform="chatwoot",kind="send_message",outcome="delivered"}"#,
        ) == 1.0
    })
    .await;
    assert!(ok, "{}", dispatcher.metrics().await);
    let m = dispatcher.metrics().await;
    assert_eq!(
        value(
            &m,
            r#"chatwoot_request_duration_seconds_count{endpoint="/conversations/{id}/messages",status_class="2xx"}"#
        ),
        1.0,
        "{m}"
    );

    let m = ingress.metrics().await;
    assert_eq!(
        value(&m, r#"webhooks_received_total{outcome="accepted"}"#),
        2.0,
        "{m}"
    );
    assert_eq!(
        value(&m, r#"webhooks_received_total{outcome="duplicate"}"#),
        1.0,
        "{m}"
    );
    assert_eq!(
        value(&m, r#"webhooks_received_total{outcome="unauthorized"}"#),
        1.0,
        "{m}"
    );
    assert_eq!(
        value(&m, "webhook_request_duration_seconds_count"),
        4.0,
        "{m}"
    );

    let ok = eventually(Duration::from_secs(10), || async {
        let m = worker.metrics().await;
        value(&m, r#"events_processed_total{outcome="acted"}"#) == 1.0
            && value(&m, r#"events_processed_total{outcome="recorded"}"#) == 1.0
    })
    .await;
    assert!(ok, "{}", worker.metrics().await);
    let m = worker.metrics().await;
    assert!(m.contains("consumer_pending_messages"), "{m}");
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

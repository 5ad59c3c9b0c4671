//! One trace covers webhook -> ingress -> worker -> dispatcher -> the Chatwoot call.

use std::time::Duration;

use e2e::{fixture, Env, TENANT};

#[tokio::test]
async fn one_trace_spans_every_service_and_reaches_chatwoot() {
    let spans = infra::telemetry::testing::capture_spans();
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    env.send(
        &ingress,
        TENANT,
        &fixture("message_created_incoming_contact.json"),
        "trace-1",
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
    let request = &env
        .sim
        .requests_matching("POST", "/conversations/1042/messages")[0];
    let traceparent = request
        .header("traceparent")
        .expect("traceparent sent to Chatwoot");
    let trace_id = traceparent.split('-').nth(1).unwrap().to_owned();
    assert_ne!(trace_id, "0".repeat(32));

    let wanted = [
        "POST /webhooks/chatwoot/{tenant}",
        "send",
        "process worker-p",
        "process actions",
        "POST /conversations/{id}/messages",
    ];
    let found = e2e::eventually(Duration::from_secs(10), || {
        let spans = spans.clone();
        let trace_id = trace_id.clone();
        async move {
            let names: Vec<String> = spans
                .get_finished_spans()
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.span_context.trace_id().to_string() == trace_id)
                .map(|s| s.name.to_string())
                .collect();
            wanted
                .iter()
                .all(|w| names.iter().any(|n| n.starts_with(w)))
        }
    })
    .await;
    let names: Vec<String> = spans
        .get_finished_spans()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.span_context.trace_id().to_string() == trace_id)
        .map(|s| s.name.to_string())
        .collect();
    assert!(
        found,
        "trace {trace_id} has spans {names:?}, wanted {wanted:?}"
    );
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

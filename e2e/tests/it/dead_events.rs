//! An accepted event the worker cannot process is kept as a dead letter, never dropped, and a redrive after the
//! fix processes it once.

use std::time::Duration;

use clap::Parser;
use e2e::{customer_message, eventually, Env, TENANT};

async fn cwctl(env: &Env, args: &[&str]) -> String {
    let mut argv = vec![
        "cwctl".to_owned(),
        "--nats-url".into(),
        env.nats_url.clone(),
        "--nats-prefix".into(),
        env.prefix.clone(),
        "--database-url".into(),
        env.database_url.clone(),
        "--secrets-key".into(),
        env.secrets_key.clone(),
    ];
    argv.extend(args.iter().map(|s| s.to_string()));
    let mut out = Vec::new();
    let exit = cwctl::run(cwctl::Cli::try_parse_from(argv).unwrap(), &mut out)
        .await
        .unwrap();
    assert_eq!(exit.code(), 0, "{}", String::from_utf8_lossy(&out));
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn an_unprocessable_event_is_dead_lettered_and_redriven_once() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &customer_message("Where is my order?", 51_001, 5100, &[]),
            "d1",
        )
        .await;
    assert_eq!(status, 202);
    // The tenant disappears (a bad deployment) before the worker gets to the event.
    env.tenants().await.delete(TENANT).await.unwrap();
    let worker = env.start_worker(&["--tenant-cache-ttl", "100ms"]).await;
    let dispatcher = env.start_dispatcher(&["--tenant-cache-ttl", "100ms"]).await;
    let dlq = env.topology().dead_letter_stream();
    assert!(
        eventually(Duration::from_secs(20), || async {
            env.stream_len(&dlq).await == 1
        })
        .await
    );

    let listed = cwctl(&env, &["dlq", "list", "--json"]).await;
    assert!(
        listed.contains("\"kind\":\"event\"") || listed.contains("\"kind\": \"event\""),
        "{listed}"
    );
    assert!(listed.contains("unknown tenant"), "{listed}");

    env.add_tenant(TENANT, Some(e2e::WEBHOOK_SECRET), false)
        .await;
    // The services cache tenants (also their absence) for TENANT_CACHE_TTL.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let redriven = cwctl(&env, &["dlq", "redrive", "--all"]).await;
    assert!(!redriven.trim().is_empty());
    assert!(
        env.sim
            .wait_for_requests(
                "POST",
                "/conversations/5100/messages",
                1,
                Duration::from_secs(30)
            )
            .await,
        "the redriven event was not processed"
    );
    assert_eq!(env.stream_len(&dlq).await, 0);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        env.sim
            .requests_matching("POST", "/conversations/5100/messages")
            .len(),
        1
    );
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

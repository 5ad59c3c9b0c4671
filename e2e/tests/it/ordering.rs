//! Events of one conversation are processed in arrival order and never concurrently, whatever the number of
//! workers.

use std::time::Duration;

use e2e::{customer_message, eventually, Env, TENANT};

#[tokio::test]
async fn three_workers_keep_each_conversations_events_in_arrival_order() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let workers = vec![
        env.start_worker(&[]).await,
        env.start_worker(&[]).await,
        env.start_worker(&[]).await,
    ];
    let conversations = [3101u64, 3102, 3103, 3104];
    let per_conversation = 25u64;
    let mut sends = Vec::new();
    for i in 0..per_conversation {
        for (c, conversation) in conversations.iter().enumerate() {
            let id = 100_000 + i * 10 + c as u64;
            sends.push((id, *conversation));
        }
    }
    // Sequential sends fix the arrival order the test expects back.
    for (id, conversation) in &sends {
        let body = customer_message(&format!("message {id}"), *id, *conversation, &[]);
        let (status, _) = env.send(&ingress, TENANT, &body, &format!("o{id}")).await;
        assert_eq!(status, 202);
    }
    let total = sends.len() as i64;
    assert!(
        eventually(Duration::from_secs(30), || async {
            env.count("SELECT count(*) FROM processed_events").await == total
        })
        .await
    );
    let pool = env.pool().await;
    let client = pool.get().await.unwrap();
    for conversation in conversations {
        // Each event's transaction commits before the next one of its partition is delivered, so the commit
        // order (the ledger's sequence of processed_at) must follow the stream order.
        let rows = client
            .query(
                "SELECT stream_seq, processed_at FROM processed_events WHERE conversation_id = $1 ORDER BY processed_at, stream_seq",
                &[&(conversation as i64)],
            )
            .await
            .unwrap();
        let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        assert_eq!(seqs.len() as u64, per_conversation);
        assert_eq!(
            seqs, sorted,
            "conversation {conversation} processed out of order"
        );
        let times: Vec<chrono::DateTime<chrono::Utc>> = rows.iter().map(|r| r.get(1)).collect();
        assert!(
            times.windows(2).all(|w| w[0] < w[1]),
            "two events of {conversation} overlapped"
        );
    }
    ingress.stop().await.unwrap();
    for worker in workers {
        worker.stop().await.unwrap();
    }
    env.cleanup().await;
}

/// The message ids the replies answered, in the order Chatwoot accepted the replies (from the `source_id` the
/// dispatcher sets: `cwp:{tenant}:message_created:{id}#{position}`).
fn answered_in_order(env: &Env, conversation: u64) -> Vec<u64> {
    env.sim
        .requests_matching("POST", &format!("/conversations/{conversation}/messages"))
        .iter()
        .filter(|r| r.status == Some(200))
        .filter_map(|r| r.body_json())
        .filter_map(|b| {
            let source = b["source_id"].as_str()?.to_owned();
            source
                .split(":message_created:")
                .nth(1)?
                .split('#')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test]
async fn a_retried_reply_holds_the_later_replies_of_its_conversation_and_only_those() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    // Two dispatchers: the held reply may be fetched by either.
    let dispatchers = vec![
        env.start_dispatcher(&[]).await,
        env.start_dispatcher(&[]).await,
    ];
    // The first reply in conversation 3201 fails twice (503), so it is retried with backoff.
    env.sim.inject(
        e2e::chatwoot_sim::Fault::new(
            e2e::chatwoot_sim::Matcher::new(
                e2e::chatwoot_sim::Method::POST,
                "/conversations/3201/messages",
            ),
            e2e::chatwoot_sim::FaultBehaviour::Status(503),
        )
        .times(2),
    );
    for (id, conversation) in [
        (300_001u64, 3201u64),
        (300_002, 3201),
        (300_003, 3201),
        (300_004, 3202),
    ] {
        let body = customer_message(&format!("message {id}"), id, conversation, &[]);
        let (status, _) = env.send(&ingress, TENANT, &body, &format!("r{id}")).await;
        assert_eq!(status, 202);
    }
    assert!(
        eventually(Duration::from_secs(30), || async {
            answered_in_order(&env, 3201).len() == 3
        })
        .await,
        "{:?}",
        answered_in_order(&env, 3201)
    );
    assert_eq!(
        answered_in_order(&env, 3201),
        vec![300_001, 300_002, 300_003]
    );
    // The other conversation was not held: answered while 3201's first reply waited for its retries.
    let first_success = |conversation: u64| {
        env.sim
            .requests_matching("POST", &format!("/conversations/{conversation}/messages"))
            .iter()
            .find(|r| r.status == Some(200))
            .map(|r| r.seq)
    };
    assert!(first_success(3202).is_some());
    assert!(first_success(3202) < first_success(3201));
    ingress.stop().await.unwrap();
    worker.stop().await.unwrap();
    for dispatcher in dispatchers {
        dispatcher.stop().await.unwrap();
    }
    env.cleanup().await;
}

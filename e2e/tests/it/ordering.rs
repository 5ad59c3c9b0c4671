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

//! Several replicas ticking at the same instant make one report per period and deliver it once per channel.

use std::sync::atomic::Ordering;

use crate::webhook::Receiver;
use crate::{enable, utc, Db, FixedSource};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replicas_generate_and_deliver_once() {
    let db = Db::new().await;
    let receiver = Receiver::start(0).await;
    let source = FixedSource::default();
    let mut replicas = Vec::new();
    for _ in 0..4 {
        replicas.push(db.replica(source.clone(), None).await);
    }
    enable(&replicas[0], &[], Some(receiver.url())).await;
    // 09:00 in Berlin on 4 March: the report of 3 March is due. Every replica ticks three times at once.
    let now = utc("2026-03-04T08:00:00Z");
    let ticks = replicas
        .iter()
        .flat_map(|r| (0..3).map(move |_| r.tick(now)));
    // Polled together: they interleave at every await, each on its own connections, like replicas racing.
    let results = futures::future::join_all(ticks).await;
    let generated: usize = results
        .iter()
        .map(|t| t.as_ref().expect("tick").generated.len())
        .sum();
    let sent: usize = results
        .iter()
        .map(|t| t.as_ref().expect("tick").delivered.sent)
        .sum();
    assert_eq!(generated, 1, "one report for the period");
    assert_eq!(sent, 1, "one delivery");
    assert_eq!(db.count("SELECT count(*) FROM digests").await, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM digest_deliveries WHERE status = 'sent' AND attempts = 1")
            .await,
        1
    );
    // The period and the previous one were read once: the other replicas never computed it.
    assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    assert_eq!(receiver.bodies().len(), 1, "the chat got the report once");
    // Later ticks, the same day, change nothing.
    for r in &replicas {
        let tick = r.tick(utc("2026-03-04T15:00:00Z")).await.expect("tick");
        assert!(tick.generated.is_empty());
    }
    assert_eq!(receiver.bodies().len(), 1);
    db.drop_database().await;
}

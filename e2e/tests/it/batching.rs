//! The worker processes the waiting events of different partitions in one batch: each event still gets its own
//! outcome, and one bad event neither fails nor duplicates the others.

use std::sync::Arc;
use std::time::Duration;

use e2e::{customer_message, Env, TENANT};
use proto::EventEnvelope;
use worker::process::{Job, Outcome, ProcessError, Processor};

fn job(tenant: &str, message_id: u64, conversation_id: u64, seq: u64) -> Job {
    Job {
        envelope: EventEnvelope {
            tenant: tenant.to_owned(),
            event: "message_created".into(),
            event_key: format!("{tenant}:message_created:{message_id}"),
            conversation_id: Some(conversation_id),
            body: customer_message("Where is my order?", message_id, conversation_id, &[]).into(),
            delivery_id: String::new(),
            received_at_ms: 0,
            signed: true,
            replay: None,
            historical: None,
        },
        stream_seq: seq,
        span: tracing::Span::none(),
    }
}

#[tokio::test]
async fn a_batch_gives_each_event_its_own_outcome_and_records_each_once() {
    let env = Env::new().await;
    // The ingress creates the streams the processor publishes to.
    let ingress = env.start_ingress(&[]).await;
    let processor = Processor::new(
        env.pool().await,
        Arc::new(infra::TenantCache::new(
            env.tenants().await,
            Duration::from_secs(10),
        )),
        Arc::new(worker::responder::TemplateResponder::new("Hi {name}")),
        Arc::new(worker::decide::Brain::new(
            triage::Triager::default(),
            worker::rules::RuleBook::new(Some(env.rules_dir.path().to_owned()), Duration::ZERO),
        )),
        env.jetstream().await,
        env.topology(),
    );
    let mut undecodable = job(TENANT, 7003, 3003, 3);
    undecodable.envelope.body = b"{not json".to_vec().into();
    let jobs = vec![
        job(TENANT, 7001, 3001, 1),
        job("nobody", 7002, 3002, 2),
        undecodable,
        job(TENANT, 7004, 3004, 4),
        // The same event twice in one batch: recorded once, the second copy only republishes.
        job(TENANT, 7001, 3001, 5),
    ];
    let results = processor.process_batch(&jobs).await;
    let summary: Vec<String> = results
        .iter()
        .map(|result| match result {
            Ok(outcome) => outcome.as_str().to_owned(),
            Err(ProcessError::Permanent(_)) => "permanent".to_owned(),
            Err(ProcessError::Transient(reason)) => format!("transient: {reason}"),
        })
        .collect();
    assert_eq!(
        summary,
        ["acted", "permanent", "permanent", "acted", "duplicate"]
    );
    assert_eq!(env.count("SELECT count(*) FROM processed_events").await, 2);
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE triage IS NOT NULL")
            .await,
        2
    );
    let actions = env
        .count("SELECT count(*) FROM processed_events, unnest(action_ids)")
        .await;
    assert!(actions >= 2, "each customer message gets a reply action");
    // Published once per action: the copies carry the same ids and are dropped by the stream.
    assert_eq!(
        env.stream_len(&env.topology().actions_stream()).await,
        u64::try_from(actions).unwrap()
    );

    // Both messages carry the same sender: the batch writes the contact once, in one statement (which may
    // change a row only once).
    assert_eq!(env.count("SELECT count(*) FROM contacts").await, 1);
    let version = "SELECT xmin::text::bigint FROM contacts";
    let written = env.count(version).await;

    // Processing the whole batch again only republishes.
    let again = processor.process_batch(&jobs).await;
    assert!(matches!(again[0], Ok(Outcome::Duplicate)));
    assert!(matches!(again[3], Ok(Outcome::Duplicate)));
    assert_eq!(env.count("SELECT count(*) FROM processed_events").await, 2);

    // A later message whose sender did not change leaves the contact's row version alone.
    let later = processor.process_batch(&[job(TENANT, 7005, 3005, 6)]).await;
    assert!(matches!(later[0], Ok(Outcome::Acted)), "{later:?}");
    assert_eq!(env.count(version).await, written);
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

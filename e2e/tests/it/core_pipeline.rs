//! A signed webhook becomes exactly one Chatwoot call, whatever is duplicated, retried or redelivered.

use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use e2e::{eventually, fixture, Env, TENANT};

const MESSAGES: &str = "/conversations/1042/messages";

async fn replies(env: &Env) -> usize {
    env.sim
        .requests_matching("POST", MESSAGES)
        .iter()
        .filter(|r| r.status == Some(200))
        .count()
}

async fn wait_processed(env: &Env, n: i64) {
    let done = eventually(Duration::from_secs(20), || async {
        env.count("SELECT count(*) FROM processed_events").await >= n
    })
    .await;
    assert!(done, "{n} events were not processed in time");
}

#[tokio::test]
async fn a_signed_message_becomes_exactly_one_reply_despite_duplicates() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let body = fixture("message_created_incoming_contact.json");

    let (status, json) = env
        .send(
            &ingress,
            TENANT,
            &body,
            "3b0c5f5e-8d0a-4c27-9b61-0f4e2a9d7c15",
        )
        .await;
    assert_eq!(status, 202, "{json}");
    assert!(
        env.sim
            .wait_for_requests("POST", MESSAGES, 1, Duration::from_secs(20))
            .await
    );
    // Chatwoot re-sending the same delivery, and the same message under another delivery id.
    let (status, json) = env
        .send(
            &ingress,
            TENANT,
            &body,
            "3b0c5f5e-8d0a-4c27-9b61-0f4e2a9d7c15",
        )
        .await;
    assert_eq!((status, json["duplicate"].as_bool()), (202, Some(true)));
    let (status, _) = env
        .send(&ingress, TENANT, &body, "another-delivery-id")
        .await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(replies(&env).await, 1);
    let reply = &env.sim.requests_matching("POST", MESSAGES)[0];
    let sent = reply.body_json().unwrap();
    assert_eq!(sent["message_type"], "outgoing");
    assert_eq!(sent["private"], false);
    assert!(sent["content"].as_str().unwrap().contains("Maya"), "{sent}");
    assert_eq!(reply.header("api_access_token"), Some(e2e::API_TOKEN));
    assert_eq!(env.stream_len(&env.topology().events_stream()).await, 1);

    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

#[tokio::test]
async fn agent_messages_private_notes_and_the_bots_own_echo_get_no_reply() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    for (i, name) in [
        "message_created_outgoing_agent.json",
        "message_created_private_note.json",
        "message_created_bot_echo.json",
    ]
    .iter()
    .enumerate()
    {
        let (status, _) = env
            .send(&ingress, TENANT, &fixture(name), &format!("d{i}"))
            .await;
        assert_eq!(status, 202, "{name}");
    }
    wait_processed(&env, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(env.sim.requests().is_empty(), "{:?}", env.sim.requests());
    assert_eq!(env.stream_len(&env.topology().actions_stream()).await, 0);
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

#[tokio::test]
async fn chatwoot_503_twice_then_200_posts_the_reply_once() {
    let env = Env::new().await;
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, "/messages"),
            FaultBehaviour::Status(503),
        )
        .times(2),
    );
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &fixture("message_created_incoming_contact.json"),
            "d1",
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        eventually(Duration::from_secs(20), || async {
            replies(&env).await == 1
        })
        .await,
        "reply not delivered: {:?}",
        env.sim.requests()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = env.sim.requests_matching("POST", MESSAGES);
    assert_eq!(
        calls.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![Some(503), Some(503), Some(200)]
    );
    assert_eq!(env.sim.messages(e2e::ACCOUNT_ID, 1042).len(), 1);
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

#[tokio::test]
async fn chatwoot_401_is_not_retried_and_dead_letters_the_action_with_the_error() {
    let env = Env::new().await;
    env.sim.inject(Fault::new(
        Matcher::new(Method::POST, "/messages"),
        FaultBehaviour::Status(401),
    ));
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    env.send(
        &ingress,
        TENANT,
        &fixture("message_created_incoming_contact.json"),
        "d1",
    )
    .await;
    let dlq = env.topology().dead_letter_stream();
    assert!(
        eventually(Duration::from_secs(20), || async {
            env.stream_len(&dlq).await == 1
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        env.sim.requests_matching("POST", MESSAGES).len(),
        1,
        "a 401 must not be retried"
    );

    let js = env.jetstream().await;
    let stream = js.get_stream(&dlq).await.unwrap();
    let dead = stream.get_raw_message(1).await.unwrap();
    let letter = proto::DeadLetter::decode(&dead.payload).unwrap();
    assert_eq!(letter.status, Some(401));
    assert!(
        letter.reason.contains("Invalid Access Token"),
        "{}",
        letter.reason
    );
    assert_eq!(letter.attempts, 1);
    let proto::DeadItem::Action(action) = letter.item else {
        panic!("an action dead letter");
    };
    assert_eq!(action.kind.name(), "send_message");
    assert_eq!(
        env.count(
            "SELECT count(*) FROM dispatched_actions WHERE state = 'dead' AND last_status = 401"
        )
        .await,
        1
    );
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

/// A worker that dies after publishing the reply action but before acking: JetStream redelivers the event, and
/// the redelivery must not produce a second reply.
#[tokio::test]
async fn a_worker_dying_between_publish_and_ack_causes_no_second_reply() {
    use async_nats::jetstream::consumer::PullConsumer;
    use futures::StreamExt;

    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let js = env.jetstream().await;
    let topology = env.topology();
    let consumers = topology
        .ensure_worker_consumers(&js, Duration::from_secs(1))
        .await
        .unwrap();
    env.send(
        &ingress,
        TENANT,
        &fixture("message_created_incoming_contact.json"),
        "d1",
    )
    .await;

    // The "dying" worker: process the event for real, then never ack.
    let partition = infra::topology::partition_for(TENANT, "conversation:1042");
    let consumer: &PullConsumer = &consumers[partition as usize];
    let mut batch = consumer
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .unwrap();
    let message = batch.next().await.unwrap().unwrap();
    let envelope = proto::EventEnvelope::decode(&message.payload).unwrap();
    let pool = env.pool().await;
    let processor = worker::process::Processor::new(
        pool.clone(),
        std::sync::Arc::new(infra::TenantCache::new(
            env.tenants().await,
            Duration::from_secs(10),
        )),
        std::sync::Arc::new(worker::responder::TemplateResponder::new("Hi {name}")),
        std::sync::Arc::new(worker::decide::Brain::new(
            triage::Triager::default(),
            worker::rules::RuleBook::new(Some(env.rules_dir.path().to_owned()), Duration::ZERO),
        )),
        js.clone(),
        topology.clone(),
    );
    let outcome = processor.process(&envelope, 1).await.unwrap();
    assert_eq!(outcome, worker::process::Outcome::Acted);
    drop(batch);
    drop(message);

    let dispatcher = env.start_dispatcher(&[]).await;
    assert!(
        env.sim
            .wait_for_requests("POST", MESSAGES, 1, Duration::from_secs(20))
            .await
    );
    // A real worker now receives the redelivery once the ack wait runs out.
    let worker = env.start_worker(&["--ack-wait", "1s"]).await;
    let redelivered = eventually(Duration::from_secs(20), || async {
        let mut consumer = consumer.clone();
        consumer.info().await.is_ok_and(|i| {
            i.num_ack_pending == 0
                && i.num_pending == 0
                && i.num_redelivered == 0
                && i.ack_floor.stream_sequence == 1
        })
    })
    .await;
    assert!(redelivered, "the redelivered event was not settled");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(replies(&env).await, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM dispatched_actions").await,
        1
    );
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

/// With a user API token, Chatwoot echoes the bot's own replies as messages from that user. They carry the
/// pipeline's `source_id`, so they must not count as an agent taking over.
#[tokio::test]
async fn the_bots_own_echo_through_a_user_token_does_not_silence_it() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let first = e2e::customer_message("Where is my order?", 41_001, 1042, &[]);
    env.send(&ingress, TENANT, &first, "u1").await;
    assert!(
        env.sim
            .wait_for_requests("POST", MESSAGES, 1, Duration::from_secs(20))
            .await
    );
    let source_id = env.sim.requests_matching("POST", MESSAGES)[0]
        .body_json()
        .unwrap()["source_id"]
        .clone();
    assert!(source_id
        .as_str()
        .unwrap()
        .starts_with(chatwoot::OWN_SOURCE_PREFIX));

    let mut echo: serde_json::Value =
        serde_json::from_slice(&fixture("message_created_outgoing_agent.json")).unwrap();
    echo["id"] = 41_002.into();
    echo["source_id"] = source_id;
    env.send(&ingress, TENANT, &serde_json::to_vec(&echo).unwrap(), "u2")
        .await;
    wait_processed(&env, 2).await;
    let second = e2e::customer_message("Hello? Any news?", 41_003, 1042, &[]);
    env.send(&ingress, TENANT, &second, "u3").await;
    assert!(
        env.sim
            .wait_for_requests("POST", MESSAGES, 2, Duration::from_secs(20))
            .await,
        "the bot went silent after its own echo"
    );

    // A real agent's public reply does silence it.
    let mut agent: serde_json::Value =
        serde_json::from_slice(&fixture("message_created_outgoing_agent.json")).unwrap();
    agent["id"] = 41_004.into();
    env.send(&ingress, TENANT, &serde_json::to_vec(&agent).unwrap(), "u4")
        .await;
    wait_processed(&env, 4).await;
    env.send(
        &ingress,
        TENANT,
        &e2e::customer_message("Thanks!", 41_005, 1042, &[]),
        "u5",
    )
    .await;
    wait_processed(&env, 5).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(replies(&env).await, 2);
    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

//! API commands carried out by the worker, in the conversation's order, once per idempotency key; and the
//! activity records every step leaves on the activity stream (with the webhook audit trail).

use std::time::Duration;

use e2e::{eventually, ACCOUNT_ID, TENANT};
use futures::StreamExt;
use infra::activity::{Activity, ActivityKind};
use proto::{
    Actor, ActorKind, Command, CommandKind, ConversationStatus, ConversationUpdate, DraftDecision,
    Priority,
};
use serde_json::json;

use crate::ai_support::AiPipeline;

fn command(key: &str, conversation: u64, kind: CommandKind) -> Command {
    Command {
        idempotency_key: key.into(),
        tenant: TENANT.into(),
        conversation_id: conversation,
        actor: Actor {
            kind: ActorKind::Agent,
            id: "21".into(),
            name: "Ana Lima".into(),
        },
        requested_at_ms: chrono::Utc::now().timestamp_millis(),
        request_hash: key.as_bytes().to_vec(),
        kind,
    }
}

fn approve(key: &str, conversation: u64, draft_id: i64, text: Option<&str>) -> Command {
    command(
        key,
        conversation,
        CommandKind::DecideDraft(DraftDecision {
            draft_id,
            approve: true,
            text: text.map(str::to_owned),
            grades: [Some(5), Some(4), None],
        }),
    )
}

async fn command_row(p: &AiPipeline, key: &str) -> Option<(String, Option<String>)> {
    p.env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query_opt(
            "SELECT status, detail FROM commands WHERE tenant = $1 AND idempotency_key = $2",
            &[&TENANT, &key],
        )
        .await
        .unwrap()
        .map(|row| (row.get(0), row.get(1)))
}

async fn wait_for_command(p: &AiPipeline, key: &str) -> (String, Option<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(row) = command_row(p, key).await {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "command {key} not processed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every record of the activity stream, oldest first.
async fn activity(p: &AiPipeline) -> Vec<(u64, Activity)> {
    let js = p.env.jetstream().await;
    let stream = js
        .get_stream(p.env.topology().activity_stream())
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let pending = stream.cached_info().state.messages;
    let mut records = Vec::new();
    if pending == 0 {
        return records;
    }
    let mut messages = consumer.messages().await.unwrap();
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(2), messages.next()).await
    {
        let seq = message.info().unwrap().stream_sequence;
        records.push((seq, serde_json::from_slice(&message.payload).unwrap()));
        if records.len() as u64 >= pending {
            break;
        }
    }
    records
}

fn kinds_of(records: &[(u64, Activity)], conversation: u64) -> Vec<ActivityKind> {
    records
        .iter()
        .filter(|(_, r)| r.conversation_id == conversation)
        .map(|(_, r)| r.kind)
        .collect()
}

#[tokio::test]
async fn a_draft_approved_through_the_api_and_in_chatwoot_at_once_is_sent_once() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        91_001,
        9101,
    )
    .await;
    p.settle(1).await;
    let draft = p.drafts(9101).await[0].id;

    // The agent approves in Chatwoot while an integrator approves through the API, with an edit.
    let api = approve(
        "approve-1",
        9101,
        draft,
        Some("We refunded the second charge."),
    );
    let (_, duplicate) = tokio::join!(p.agent("/approve", 91_002, 9101), p.env.send_command(&api));
    assert!(!duplicate);
    p.settle(2).await;
    assert_eq!(p.public(9101).len(), 1, "one reply: {:?}", p.public(9101));
    let decided = &p.drafts(9101).await[0];
    assert_eq!(decided.status, "approved");

    // Whichever came second was told the draft was decided already.
    let (status, detail) = wait_for_command(&p, "approve-1").await;
    match status.as_str() {
        "applied" => {
            assert_eq!(
                p.public(9101),
                vec!["We refunded the second charge.".to_owned()]
            );
            assert!(p
                .notes(9101)
                .iter()
                .any(|n| n.contains("was already approved by Ana Lima")));
        }
        "refused" => {
            assert!(detail
                .unwrap_or_default()
                .contains("already approved by Jonas Berg"));
        }
        other => panic!("unexpected status {other}"),
    }

    // The same request again changes nothing (JetStream drops it; the ledger would too).
    assert!(p.env.send_command(&api).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(p.public(9101).len(), 1);
    assert_eq!(
        p.env
            .count("SELECT count(*) FROM commands WHERE idempotency_key = 'approve-1'")
            .await,
        1
    );
    p.stop().await;
}

#[tokio::test]
async fn commands_post_change_and_escalate_in_the_conversations_order() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        92_001,
        9201,
    )
    .await;
    p.settle(1).await;

    p.env
        .send_command(&command(
            "post-1",
            9201,
            CommandKind::PostMessage {
                content: "Your parcel left our warehouse today.".into(),
                private: false,
            },
        ))
        .await;
    p.env
        .send_command(&command(
            "update-1",
            9201,
            CommandKind::UpdateConversation(ConversationUpdate {
                status: Some((ConversationStatus::Open, None)),
                priority: Some(Priority::High),
                assignee: Some(Some(17)),
                team: Some(Some(2)),
                labels: Some(vec!["shipping".into(), "vip".into()]),
            }),
        ))
        .await;
    p.env
        .send_command(&command(
            "escalate-1",
            9201,
            CommandKind::Escalate {
                reason: "asks about a lost parcel for the third time".into(),
            },
        ))
        .await;
    for key in ["post-1", "update-1", "escalate-1"] {
        assert_eq!(wait_for_command(&p, key).await.0, "applied", "{key}");
    }
    p.settle(4).await;
    assert_eq!(
        p.public(9201),
        vec!["Your parcel left our warehouse today.".to_owned()]
    );
    let sim = &p.env.sim;
    assert_eq!(sim.priority(ACCOUNT_ID, 9201).as_deref(), Some("urgent"));
    assert_eq!(sim.assignee(ACCOUNT_ID, 9201), Some(17));
    assert_eq!(sim.team(ACCOUNT_ID, 9201), Some(2));
    let labels = sim.labels(ACCOUNT_ID, 9201);
    for label in ["shipping", "vip", "escalation"] {
        assert!(labels.iter().any(|l| l == label), "{labels:?}");
    }
    assert!(p
        .notes(9201)
        .iter()
        .any(|n| n.starts_with("Escalated by Ana Lima: asks about a lost parcel")));

    // An agent answered publicly and the conversation is escalated: the bot stays silent.
    p.customer("Thanks! And how do I reset my password?", 92_002, 9201)
        .await;
    p.settle(5).await;
    assert_eq!(p.public(9201).len(), 1);
    let state: String = p
        .env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT bot_state FROM conversations WHERE conversation_id = 9201",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "handed_off");

    // A command for a conversation the pipeline never saw, or a draft that does not exist, is refused.
    p.env
        .send_command(&approve("approve-missing", 9201, 999_999, None))
        .await;
    let (status, detail) = wait_for_command(&p, "approve-missing").await;
    assert_eq!(status, "refused");
    assert!(detail.unwrap().contains("no AI draft #999999"));
    p.env
        .send_command(&command(
            "post-unknown",
            9299,
            CommandKind::PostMessage {
                content: "hi".into(),
                private: true,
            },
        ))
        .await;
    assert_eq!(wait_for_command(&p, "post-unknown").await.0, "refused");
    p.stop().await;
}

#[tokio::test]
async fn every_step_leaves_an_activity_record_and_every_webhook_an_audit_row() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        93_001,
        9301,
    )
    .await;
    p.settle(1).await;
    p.agent("/approve tone=5", 93_002, 9301).await;
    p.settle(2).await;
    // A refused webhook: wrong signature.
    let (status, _) = p
        .env
        .post(
            &p.ingress,
            TENANT,
            e2e::customer_message("hi", 93_003, 9301, &[]),
            &[
                ("content-type", "application/json"),
                ("x-chatwoot-delivery", "bad-1"),
                (
                    "x-chatwoot-timestamp",
                    &chrono::Utc::now().timestamp().to_string(),
                ),
                ("x-chatwoot-signature", "sha256=00"),
            ],
        )
        .await;
    assert_eq!(status, 401);

    // The draft note and the approved reply.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let records = loop {
        let records = activity(&p).await;
        let sent = kinds_of(&records, 9301)
            .iter()
            .filter(|k| **k == ActivityKind::ActionSent)
            .count();
        if sent >= 2 {
            break records;
        }
        assert!(std::time::Instant::now() < deadline, "{records:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let kinds = kinds_of(&records, 9301);
    for expected in [
        ActivityKind::WebhookReceived,
        ActivityKind::MessageRecorded,
        ActivityKind::Triaged,
        ActivityKind::DraftCreated,
        ActivityKind::DraftDecided,
        ActivityKind::ActionSent,
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} missing from {kinds:?}"
        );
    }
    let triaged = records
        .iter()
        .find(|(_, r)| r.kind == ActivityKind::Triaged)
        .unwrap();
    assert_eq!(triaged.1.data["triage"]["categories"], json!(["billing"]));
    let decided = records
        .iter()
        .find(|(_, r)| r.kind == ActivityKind::DraftDecided)
        .unwrap();
    assert_eq!(decided.1.data["decided_by"]["name"], "Jonas Berg");
    assert_eq!(decided.1.data["via"], "chatwoot");
    // Ids are unique: a republished step would have been stored once.
    let mut ids: Vec<&str> = records.iter().map(|(_, r)| r.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before);

    // The audit trail holds both accepted webhooks and the refused one, with what became of them.
    assert!(
        eventually(Duration::from_secs(20), || async {
            p.env.count("SELECT count(*) FROM webhook_audit").await >= 3
        })
        .await
    );
    assert_eq!(
        p.env
            .count(
                "SELECT count(*) FROM webhook_audit w JOIN processed_events e USING (event_key)
                 WHERE w.status = 202 AND e.outcome = 'acted'"
            )
            .await,
        2
    );
    assert_eq!(
        p.env
            .count(
                "SELECT count(*) FROM webhook_audit WHERE status = 401 AND delivery_id = 'bad-1'"
            )
            .await,
        1
    );
    // Conversations know what they are about.
    let categories: Vec<String> = p
        .env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT categories FROM conversations WHERE conversation_id = 9301",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(categories, vec!["billing".to_owned()]);
    p.stop().await;
}

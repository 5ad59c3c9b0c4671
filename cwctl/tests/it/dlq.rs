use async_nats::jetstream;
use bytes::Bytes;
use cwctl::{CliError, Exit};
use proto::{Action, ActionKind, Priority};

use crate::support::{header, messages, TestEnv};

fn action(id: &str, tenant: &str, kind: ActionKind) -> Action {
    Action {
        action_id: id.to_owned(),
        tenant: tenant.to_owned(),
        conversation_id: 1042,
        event_key: format!("{tenant}:message_created:1"),
        created_at_ms: 1_778_577_267_000,
        conversation_seq: 0,
        kind,
    }
}

impl TestEnv {
    /// What the dispatcher does when it gives up: a ledger row in `dead` (or `ledger_state`) and a dead letter.
    async fn dead_letter(&self, action: &Action, status: Option<u16>, ledger_state: &str) -> u64 {
        self.ledger_row(action, status, ledger_state).await;
        self.typed_dead_letter(action, status).await
    }

    async fn ledger_row(&self, action: &Action, status: Option<u16>, ledger_state: &str) {
        let payload = action.encode_to_vec();
        self.pool
            .get()
            .await
            .expect("connection")
            .execute(
                "INSERT INTO dispatched_actions (action_id, tenant, conversation_id, kind, state, attempts,
                                                 last_status, last_error, payload)
                 VALUES ($1, $2, 1042, $3, $4, 3, $5, 'Chatwoot answered 422', $6)",
                &[
                    &action.action_id,
                    &action.tenant,
                    &action.kind.name(),
                    &ledger_state,
                    &status.map(i32::from),
                    &payload,
                ],
            )
            .await
            .expect("ledger row");
    }

    async fn typed_dead_letter(&self, action: &Action, status: Option<u16>) -> u64 {
        let letter = proto::DeadLetter {
            item: proto::DeadItem::Action(action.clone()),
            reason: "Chatwoot answered 422: invalid conversation".into(),
            status,
            attempts: 3,
            subject: self.topology.action_subject(&action.tenant),
            dead_at_ms: 1_778_577_267_000,
        };
        self.publish_dead_letter(&action.tenant, letter.encode_to_vec(), Vec::new())
            .await
    }

    /// A dead letter as the dispatcher wrote them before `proto::DeadLetter`: the bare action with `Cw-*`
    /// headers. Such letters may still sit in a DLQ after an upgrade.
    async fn legacy_dead_letter(&self, action: &Action, status: Option<u16>) -> u64 {
        self.ledger_row(action, status, "dead").await;
        let status = status.map(|s| s.to_string()).unwrap_or_default();
        let headers = vec![
            ("Cw-Action-Id", action.action_id.clone()),
            ("Cw-Kind", action.kind.name().to_owned()),
            ("Cw-Attempts", "3".to_owned()),
            ("Cw-Status", status),
            (
                "Cw-Error",
                "Chatwoot answered 422: invalid conversation".to_owned(),
            ),
        ];
        self.publish_dead_letter(&action.tenant, action.encode_to_vec(), headers)
            .await
    }

    async fn publish_dead_letter(
        &self,
        tenant: &str,
        payload: Vec<u8>,
        extra: Vec<(&str, String)>,
    ) -> u64 {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("dlq:{}", uuid::Uuid::new_v4()).as_str(),
        );
        for (name, value) in extra {
            headers.insert(name, value.as_str());
        }
        self.js
            .publish_with_headers(
                self.topology.dead_letter_subject(tenant),
                headers,
                Bytes::from(payload),
            )
            .await
            .expect("publish")
            .await
            .expect("ack")
            .sequence
    }

    async fn ledger_state(&self, action_id: &str) -> Option<String> {
        self.query_one_string(
            "SELECT state || ':' || attempts FROM dispatched_actions WHERE action_id = $1",
            action_id,
        )
        .await
    }
}

#[tokio::test]
async fn dead_letters_are_listed_and_redriven_exactly_once() {
    let env = TestEnv::new().await;
    // On a fresh prefix the CLI creates the topology itself.
    let out = env.ok(&["dlq", "list"]).await;
    assert!(out.contains("no dead letters"), "{out}");
    for stream in [
        env.topology.events_stream(),
        env.topology.actions_stream(),
        env.topology.dead_letter_stream(),
    ] {
        env.stream(&stream).await;
    }

    let a1 = action(
        "acme:message_created:1#0",
        "acme",
        ActionKind::SendMessage {
            content: "hi".into(),
        },
    );
    let a2 = action(
        "globex:message_created:9#0",
        "globex",
        ActionKind::SetPriority(Priority::High),
    );
    let a3 = action(
        "acme:message_created:2#0",
        "acme",
        ActionKind::PrivateNote {
            content: "n".into(),
        },
    );
    let s1 = env.dead_letter(&a1, Some(422), "dead").await;
    // Written in the format of earlier versions: still listed and redriven.
    let s2 = env.legacy_dead_letter(&a2, None).await;
    // A stale dead letter whose action was delivered meanwhile.
    let s3 = env.dead_letter(&a3, Some(500), "delivered").await;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Cw-Error", "undecodable action: invalid protobuf");
    let s4 = env
        .js
        .publish_with_headers(
            env.topology.dead_letter_subject("_invalid"),
            headers,
            Bytes::from_static(b"\xff\xff"),
        )
        .await
        .expect("publish")
        .await
        .expect("ack")
        .sequence;

    // list, without a key
    let (result, table) = env.run_with_key(None, &["dlq", "list"]).await;
    assert_eq!(result.expect("list"), Exit::Success);
    let line = table
        .lines()
        .find(|l| l.contains(&a1.action_id))
        .expect("a1 listed");
    for cell in [
        &s1.to_string(),
        "acme",
        "send_message",
        "3",
        "422",
        "Chatwoot answered 422",
    ] {
        assert!(line.contains(cell), "{cell} in {line}");
    }
    assert!(
        table.contains(&a2.action_id) && table.contains("_invalid"),
        "{table}"
    );
    let json = env.ok(&["dlq", "list", "--tenant", "acme", "--json"]).await;
    let listed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2, "{json}");
    assert_eq!(listed[0]["seq"], s1);
    assert_eq!(listed[0]["action_id"], a1.action_id.as_str());
    assert_eq!(listed[0]["attempts"], 3);
    assert_eq!(listed[0]["status"], 422);
    assert_eq!(listed[0]["conversation_id"], 1042);
    assert_eq!(
        listed[0]["error"],
        "Chatwoot answered 422: invalid conversation"
    );
    let limited = env.ok(&["dlq", "list", "--limit", "1"]).await;
    assert!(limited.contains("raise --limit"), "{limited}");

    let dlq = env.stream(&env.topology.dead_letter_stream()).await;
    let actions = env.stream(&env.topology.actions_stream()).await;
    let all_actions = format!("{}.actions.>", env.prefix);

    // dry run: nothing changes, no key needed
    let (result, out) = env
        .run_with_key(
            None,
            &[
                "dlq",
                "redrive",
                "--tenant",
                "acme",
                "--status",
                "422",
                "--dry-run",
            ],
        )
        .await;
    assert_eq!(result.expect("dry run"), Exit::Success);
    assert!(
        out.contains(&format!("would redrive seq={s1}")) && !out.contains(&a3.action_id),
        "{out}"
    );
    assert_eq!(
        env.ledger_state(&a1.action_id).await.as_deref(),
        Some("dead:3")
    );
    assert!(messages(&actions, &all_actions).await.is_empty());

    // redriving needs the key
    let (result, _) = env
        .run_with_key(None, &["dlq", "redrive", "--seq", &s1.to_string()])
        .await;
    assert!(matches!(result, Err(CliError::Unauthorized(_))));

    let out = env
        .ok(&["dlq", "redrive", "--tenant", "acme", "--status", "422"])
        .await;
    assert!(out.contains(&format!("redriven seq={s1}")), "{out}");
    assert_eq!(
        env.ledger_state(&a1.action_id).await.as_deref(),
        Some("retrying:0")
    );
    let published = messages(&actions, &all_actions).await;
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject.as_str(),
        env.topology.action_subject("acme")
    );
    assert_eq!(
        header(&published[0], "Nats-Msg-Id"),
        Some(format!("redrive:{}:{s1}", a1.action_id).as_str())
    );
    assert_eq!(Action::decode(&published[0].payload).expect("action"), a1);
    assert!(
        dlq.get_raw_message(s1).await.is_err(),
        "dead letter removed"
    );

    // a second redrive of the same dead letter does nothing
    let out = env.ok(&["dlq", "redrive", "--seq", &s1.to_string()]).await;
    assert!(
        out.contains("no such dead letter") && out.contains("no dead letters match"),
        "{out}"
    );
    let out = env
        .ok(&["dlq", "redrive", "--action-id", &a1.action_id])
        .await;
    assert!(out.contains("no dead letters match"), "{out}");
    assert_eq!(messages(&actions, &all_actions).await.len(), 1);

    // everything else: a2 redriven, a3 already delivered (removed, not republished), the undecodable one kept
    let (result, out) = env.run(&["dlq", "redrive", "--all"]).await;
    assert_eq!(result.expect("redrive all"), Exit::Incomplete, "{out}");
    assert!(out.contains(&format!("redriven seq={s2}")), "{out}");
    assert!(
        out.contains(&format!("already delivered, dead letter removed: seq={s3}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "cannot redrive (undecodable payload, left in the DLQ): seq={s4}"
        )),
        "{out}"
    );
    assert!(
        out.contains("redriven 1, already delivered 1, skipped 1"),
        "{out}"
    );
    assert_eq!(
        env.ledger_state(&a2.action_id).await.as_deref(),
        Some("retrying:0")
    );
    assert_eq!(
        env.ledger_state(&a3.action_id).await.as_deref(),
        Some("delivered:3")
    );
    let published = messages(&actions, &all_actions).await;
    assert_eq!(published.len(), 2);
    assert_eq!(Action::decode(&published[1].payload).expect("action"), a2);
    let left = messages(&dlq, &format!("{}.dlq.>", env.prefix)).await;
    assert_eq!(
        left.iter().map(|m| m.sequence).collect::<Vec<_>>(),
        vec![s4]
    );
}

#[tokio::test]
async fn an_interrupted_redrive_is_finished_by_running_it_again_and_publishes_once() {
    let env = TestEnv::new().await;
    env.ensure_streams().await;
    let a1 = action(
        "acme:message_created:5#0",
        "acme",
        ActionKind::SendMessage {
            content: "hi".into(),
        },
    );
    let seq = env.dead_letter(&a1, Some(503), "dead").await;
    // The first run re-armed the row and published, then died before deleting the dead letter.
    env.pool
        .get()
        .await
        .expect("connection")
        .execute(
            "UPDATE dispatched_actions SET state = 'retrying', attempts = 0 WHERE action_id = $1",
            &[&a1.action_id],
        )
        .await
        .expect("re-arm");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        "Nats-Msg-Id",
        format!("redrive:{}:{seq}", a1.action_id).as_str(),
    );
    env.js
        .publish_with_headers(
            env.topology.action_subject("acme"),
            headers,
            Bytes::from(a1.encode_to_vec()),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");

    let out = env.ok(&["dlq", "redrive", "--seq", &seq.to_string()]).await;
    assert!(out.contains("already republished earlier"), "{out}");
    let actions = env.stream(&env.topology.actions_stream()).await;
    assert_eq!(
        messages(&actions, &format!("{}.actions.>", env.prefix))
            .await
            .len(),
        1
    );
    let dlq: jetstream::stream::Stream = env.stream(&env.topology.dead_letter_stream()).await;
    assert!(dlq.get_raw_message(seq).await.is_err());
    assert_eq!(
        env.ledger_state(&a1.action_id).await.as_deref(),
        Some("retrying:0")
    );
}

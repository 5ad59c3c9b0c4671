//! An event's outbox lives in its ledger row since V16; rows written before keep theirs in `event_actions` and
//! `event_activity`. A redelivery of either kind republishes what was recorded, in order.

use e2e::Env;

#[tokio::test]
async fn a_redelivered_event_finds_its_outbox_in_the_ledger_row_or_in_the_tables_of_before() {
    let env = Env::new().await;
    let pool = env.pool().await;
    let client = pool.get().await.unwrap();
    // As a worker before V16 left it.
    client
        .batch_execute(
            "INSERT INTO processed_events (event_key, tenant, event, conversation_id, stream_seq, outcome)
                 VALUES ('acme:message_created:1', 'acme', 'message_created', 7, 1, 'acted');
             INSERT INTO event_actions (action_id, event_key, position, kind, payload) VALUES
                 ('acme:message_created:1#1', 'acme:message_created:1', 1, 'add_labels', '\\x02'),
                 ('acme:message_created:1#0', 'acme:message_created:1', 0, 'send_message', '\\x01');
             INSERT INTO event_activity (event_key, position, payload) VALUES
                 ('acme:message_created:1', 0, convert_to('{\"id\":\"old\",\"kind\":\"triaged\",\"tenant\":\"acme\",\"conversation_id\":7,\"at_ms\":1,\"data\":{}}', 'UTF8'));",
        )
        .await
        .unwrap();
    // As the worker writes it now.
    let mut record = infra::activity::Activity::new(
        "acme:message_created:2#triaged",
        infra::activity::ActivityKind::Triaged,
        "acme",
        8,
        serde_json::json!({}),
    );
    record.event_key = Some("acme:message_created:2".into());
    let txn_client = pool.get().await.unwrap();
    let claimed = worker::ledger::claim(
        &txn_client,
        &[worker::ledger::LedgerEntry {
            event_key: "acme:message_created:2",
            tenant: "acme",
            event: "message_created",
            conversation_id: Some(8),
            stream_seq: 2,
            outcome: "acted",
            action_ids: vec!["acme:message_created:2#0", "acme:message_created:2#1"],
            actions: infra::outbox::encode([&b"\x03"[..], &b"\x04"[..]]),
            activity: infra::outbox::encode([record.to_json()]),
        }],
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);

    let keys = [
        "acme:message_created:1",
        "acme:message_created:2",
        "acme:message_created:3",
    ];
    let actions = worker::ledger::stored_actions(&client, &keys)
        .await
        .unwrap();
    assert_eq!(actions.len(), 2, "an event never processed has no entry");
    assert_eq!(
        actions["acme:message_created:1"],
        vec![&b"\x01"[..], &b"\x02"[..]]
    );
    assert_eq!(
        actions["acme:message_created:2"],
        vec![&b"\x03"[..], &b"\x04"[..]]
    );
    let activity = worker::activity::stored(&client, &keys).await.unwrap();
    assert_eq!(activity["acme:message_created:1"][0].id, "old");
    assert_eq!(activity["acme:message_created:2"][0].id, record.id);
    // The dispatcher's ledger is joined on the ids SQL can see.
    let ids: Vec<String> = client
        .query(
            "SELECT unnest(action_ids) FROM processed_events WHERE event_key = 'acme:message_created:2'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        ids,
        ["acme:message_created:2#0", "acme:message_created:2#1"]
    );
    env.cleanup().await;
}

use bytes::Bytes;
use chrono::SecondsFormat;
use cwctl::CliError;
use infra::topology::partition_for;
use proto::{EventEnvelope, Replay};

use crate::support::{header, messages, TestEnv};

fn envelope(tenant: &str, key: &str, conversation: u64) -> EventEnvelope {
    EventEnvelope {
        tenant: tenant.to_owned(),
        event: "message_created".into(),
        delivery_id: String::new(),
        event_key: format!("{tenant}:{key}"),
        received_at_ms: 1_778_577_267_000,
        body: Bytes::from_static(br#"{"event":"message_created"}"#),
        signed: true,
        conversation_id: Some(conversation),
        replay: None,
        historical: None,
    }
}

impl TestEnv {
    /// What the ingress does: one envelope on its tenant's partition subject, the event key as Nats-Msg-Id.
    async fn ingest(&self, envelope: &EventEnvelope) -> u64 {
        let partition = partition_for(
            &envelope.tenant,
            &envelope.conversation_id.unwrap_or_default().to_string(),
        );
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
        self.js
            .publish_with_headers(
                self.topology.event_subject(&envelope.tenant, partition),
                headers,
                envelope.encode_to_vec().into(),
            )
            .await
            .expect("publish")
            .await
            .expect("ack")
            .sequence
    }
}

#[tokio::test]
async fn a_tenants_range_is_replayed_once_per_replay_id_and_other_tenants_stay_untouched() {
    let env = TestEnv::new().await;
    env.ensure_streams().await;
    let e1 = envelope("acme", "m1", 1);
    let g1 = envelope("globex", "m1", 1);
    let e2 = envelope("acme", "m2", 2);
    let g2 = envelope("globex", "m2", 2);
    let e3 = envelope("acme", "m3", 3);
    let mut seqs = Vec::new();
    for e in [&e1, &g1, &e2, &g2, &e3] {
        seqs.push(env.ingest(e).await);
    }
    let events = env.stream(&env.topology.events_stream()).await;
    let all = format!("{}.events.>", env.prefix);
    let acme_filter = env.topology.tenant_events_filter("acme");
    let globex_filter = env.topology.tenant_events_filter("globex");
    let originals = messages(&events, &acme_filter).await;

    // dry run: lists, publishes nothing, needs no key
    let (result, out) = env
        .run_with_key(
            None,
            &["replay", "--tenant", "acme", "--from-seq", "1", "--dry-run"],
        )
        .await;
    result.expect("dry run");
    for e in [&e1, &e2, &e3] {
        assert!(out.contains(&e.event_key), "{out}");
    }
    assert!(!out.contains("globex"), "{out}");
    assert!(out.contains("matched 3, published 0"), "{out}");
    assert_eq!(messages(&events, &all).await.len(), 5);

    // by time: exactly e2
    let at = events
        .get_raw_message(seqs[2])
        .await
        .expect("e2 stored")
        .time;
    let at = cwctl::output::from_nats_time(at).to_rfc3339_opts(SecondsFormat::Nanos, true);
    let out = env
        .ok(&[
            "replay",
            "--tenant",
            "acme",
            "--since",
            &at,
            "--until",
            &at,
            "--dry-run",
        ])
        .await;
    assert!(
        out.contains(&e2.event_key) && !out.contains(&e1.event_key) && !out.contains(&e3.event_key),
        "{out}"
    );
    assert!(out.contains("matched 1"), "{out}");

    // replaying needs the key and a registered tenant
    let (result, _) = env
        .run_with_key(None, &["replay", "--tenant", "acme", "--from-seq", "1"])
        .await;
    assert!(matches!(result, Err(CliError::Unauthorized(_))));
    let (result, _) = env
        .run(&["replay", "--tenant", "acme", "--from-seq", "1"])
        .await;
    assert!(matches!(result, Err(CliError::NotFound(_))));
    env.ok(&[
        "tenants",
        "add",
        "acme",
        "--chatwoot-url",
        "https://chat.acme.test",
        "--account-id",
        "1",
        "--api-token",
        "t",
    ])
    .await;

    let out = env
        .ok(&[
            "replay",
            "--tenant",
            "acme",
            "--from-seq",
            "1",
            "--replay-id",
            "r1",
        ])
        .await;
    assert!(
        out.contains(
            "replay r1 (tenant acme, mode ledger): matched 3, published 3, already published 0"
        ),
        "{out}"
    );
    let acme = messages(&events, &acme_filter).await;
    assert_eq!(acme.len(), 6);
    for (original, copy) in originals.iter().zip(&acme[3..]) {
        assert_eq!(copy.subject, original.subject, "same partition subject");
        let mut expected = EventEnvelope::decode(&original.payload).expect("original");
        let replayed = EventEnvelope::decode(&copy.payload).expect("copy");
        assert_eq!(
            header(copy, "Nats-Msg-Id"),
            Some(format!("{}#replay:r1", expected.event_key).as_str())
        );
        expected.replay = Some(Replay {
            replay_id: "r1".into(),
            reprocess: false,
        });
        assert_eq!(replayed, expected);
    }
    let globex = messages(&events, &globex_filter).await;
    assert_eq!(globex.len(), 2, "other tenant untouched");
    assert!(globex.iter().all(|m| EventEnvelope::decode(&m.payload)
        .expect("envelope")
        .replay
        .is_none()));

    // The same replay id again (its copies now in range too): nothing new.
    let out = env
        .ok(&[
            "replay",
            "--tenant",
            "acme",
            "--from-seq",
            "1",
            "--replay-id",
            "r1",
        ])
        .await;
    assert!(
        out.contains("matched 3, published 0, already published 3"),
        "{out}"
    );
    assert_eq!(messages(&events, &all).await.len(), 8);

    // Reprocess a sequence range: e2 only (seq 3; seq 2 is globex's).
    let out = env
        .ok(&[
            "replay",
            "--tenant",
            "acme",
            "--from-seq",
            &seqs[1].to_string(),
            "--to-seq",
            &seqs[2].to_string(),
            "--reprocess",
        ])
        .await;
    assert!(
        out.contains("mode reprocess): matched 1, published 1"),
        "{out}"
    );
    let acme = messages(&events, &acme_filter).await;
    let last = acme.last().expect("copy");
    let replayed = EventEnvelope::decode(&last.payload).expect("copy");
    assert_eq!(replayed.event_key, e2.event_key);
    let replay = replayed.replay.expect("marked as replay");
    assert!(replay.reprocess);
    assert_eq!(replay.replay_id.len(), 12, "generated id");
    assert_eq!(
        header(last, "Nats-Msg-Id"),
        Some(format!("{}#replay:{}", e2.event_key, replay.replay_id).as_str())
    );
    assert_eq!(messages(&events, &globex_filter).await.len(), 2);

    // The replay's consumers are gone; the stream has none left behind.
    let mut events = env.stream(&env.topology.events_stream()).await;
    assert_eq!(events.info().await.expect("info").state.consumer_count, 0);
}

//! The message history API over a real Intercom conversation (a customer's message and the pipeline's reply,
//! through ingress, worker and dispatcher) plus ledger and message rows written as the services write them
//! (a reply that failed, one still pending, an agent's reply, another tenant's): every filter, paging and
//! the tenant's confinement.

use std::collections::HashSet;

use e2e::TENANT;
use infra::api_keys::Scope;
use infra::Platform;
use serde_json::{json, Value};

use super::PlatformPipeline;

const CLIENT_SECRET: &str = "intercom-client-secret";

fn replied() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "notification_event", "topic": "conversation.user.replied", "id": "notif_h1",
        "data": { "item": {
            "type": "conversation", "id": "41",
            "conversation_parts": { "conversation_parts": [
                { "type": "conversation_part", "id": "h1", "part_type": "comment", "body": "<p>Where is my parcel?</p>",
                  "author": { "type": "user", "id": "5f1", "name": "Maya Lindqvist" } }
            ] } } }
    }))
    .unwrap()
}

fn action(tenant: &str, id: &str, conversation: u64, content: &str) -> Vec<u8> {
    proto::Action {
        action_id: id.into(),
        tenant: tenant.into(),
        conversation_id: conversation,
        event_key: id.into(),
        created_at_ms: 0,
        conversation_seq: 0,
        kind: proto::ActionKind::SendMessage {
            content: content.into(),
        },
    }
    .encode_to_vec()
}

#[tokio::test]
async fn the_message_history_filters_pages_and_stays_within_the_tenant() {
    let p = PlatformPipeline::start(
        Platform::Intercom,
        "",
        CLIENT_SECRET,
        json!({ "admin_id": "814860" }),
        None,
    )
    .await;
    let body = replied();
    let signature = platforms::sign::intercom(CLIENT_SECRET, &body);
    let (status, answer) = p.post(&body, &[("x-hub-signature", signature)]).await;
    assert_eq!(status, 202, "{answer}");
    assert!(p.wait_delivered("POST", "/conversations/41/reply", 1).await);
    assert!(
        e2e::eventually(std::time::Duration::from_secs(10), || async {
            p.action_states().await == ["delivered"]
        })
        .await
    );

    let pool = p.env.pool().await;
    let db = pool.get().await.unwrap();
    let ledger = "INSERT INTO dispatched_actions (action_id, tenant, conversation_id, kind, state, attempts, \
                  last_error, payload, created_at) VALUES ($1, $2, $3, 'send_message', $4, $5, $6, $7, $8)";
    let old: chrono::DateTime<chrono::Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    let now = chrono::Utc::now();
    for (tenant, id, conversation, state, attempts, error, at) in [
        (
            TENANT,
            "acme:h:dead#0",
            41_i64,
            "dead",
            10,
            Some("HTTP 404"),
            old,
        ),
        (
            TENANT,
            "acme:h:pending#0",
            42,
            "retrying",
            2,
            Some("HTTP 503"),
            now,
        ),
        ("other", "other:h:1#0", 41, "delivered", 1, None, now),
    ] {
        db.execute(
            ledger,
            &[
                &id,
                &tenant,
                &conversation,
                &state,
                &attempts,
                &error,
                &action(tenant, id, conversation as u64, "Hello from us"),
                &at,
            ],
        )
        .await
        .unwrap();
    }
    let message = "INSERT INTO messages (tenant, message_id, conversation_id, message_type, private, sender_kind, \
                   content, created_at, own) VALUES ($1, $2, $3, $4, false, $5, $6, now(), $7)";
    for (tenant, id, conversation, kind, sender, content, own) in [
        (
            TENANT,
            9001_i64,
            42_i64,
            "outgoing",
            "user",
            "An agent here",
            false,
        ),
        // The pipeline's own reply echoed back: its ledger row is what the history shows.
        (TENANT, 9002, 42, "outgoing", "user", "Echo", true),
        ("other", 9003, 41, "incoming", "contact", "Not yours", false),
    ] {
        db.execute(
            message,
            &[&tenant, &id, &conversation, &kind, &sender, &content, &own],
        )
        .await
        .unwrap();
    }

    let api = p.env.start_api(&[]).await;
    let key = p.env.api_key(TENANT, Scope::Read).await;
    let http = reqwest::Client::new();
    let get = |query: String, key: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/messages?{query}", api.url());
        async move {
            let response = http.get(url).bearer_auth(key).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, all) = get(String::new(), key.clone()).await;
    assert_eq!(status, 200, "{all}");
    let data = all["data"].as_array().unwrap();
    assert_eq!(data.len(), 5, "{all}");
    assert!(data.iter().all(|m| m["platform"] == "intercom"), "{all}");
    // Newest first; the one from 2020 last.
    assert_eq!(data[4]["id"], "a:acme:h:dead#0");
    let incoming = data.iter().find(|m| m["direction"] == "incoming").unwrap();
    assert_eq!(
        (
            &incoming["status"],
            &incoming["content"],
            &incoming["conversation_id"]
        ),
        (
            &json!("received"),
            &json!("Where is my parcel?"),
            &json!(41)
        )
    );
    let reply = data
        .iter()
        .find(|m| m["direction"] == "outgoing" && m["status"] == "sent")
        .unwrap();
    assert!(
        reply["content"].as_str().unwrap().contains("Maya"),
        "{reply}"
    );

    for (query, expected) in [
        ("direction=incoming", 1),
        ("direction=outgoing", 3),
        ("direction=agent_outgoing", 1),
        ("status=received", 1),
        ("status=sent", 2),
        ("status=pending", 1),
        ("status=failed", 1),
        ("direction=incoming&status=sent", 0),
        ("direction=outgoing&status=failed", 1),
        ("conversation_id=42", 2),
        ("since=2021-01-01T00:00:00Z", 4),
        ("until=2021-01-01T00:00:00Z", 1),
        ("platform=intercom", 5),
        ("platform=zendesk", 0),
    ] {
        let (status, page) = get(query.to_owned(), key.clone()).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(
            page["data"].as_array().unwrap().len(),
            expected,
            "{query}: {page}"
        );
    }
    let (_, failed) = get("status=failed".into(), key.clone()).await;
    assert_eq!(
        (&failed["data"][0]["error"], &failed["data"][0]["attempts"]),
        (&json!("HTTP 404"), &json!(10))
    );

    // Pages of two walk the same five in the same order, each once.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let (status, page) = get(query, key.clone()).await;
        assert_eq!(status, 200, "{page}");
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ids(&all));
    assert_eq!(walked.iter().collect::<HashSet<_>>().len(), 5);

    // Another tenant's key sees only that tenant's messages.
    p.env
        .tenants()
        .await
        .upsert(&infra::tenants::NewTenant {
            id: infra::TenantId::parse("other").unwrap(),
            chatwoot_base_url: p.env.sim.base_url(),
            account_id: 0,
            api_token: "t".into(),
            webhook_secret: None,
            allow_unsigned: false,
            settings: None,
        })
        .await
        .unwrap();
    let other = p.env.api_key("other", Scope::Read).await;
    let (_, theirs) = get(String::new(), other).await;
    assert_eq!(
        ids(&theirs).into_iter().collect::<HashSet<_>>(),
        HashSet::from([
            "a:other:h:1#0".to_owned(),
            "m:00000000000000009003".to_owned()
        ]),
        "{theirs}"
    );
    assert_eq!(theirs["data"][0]["platform"], "chatwoot");

    for (query, field) in [
        ("direction=sideways", "direction"),
        ("status=lost", "status"),
        ("platform=myspace", "platform"),
        ("since=yesterday", "since"),
        (
            "since=2024-01-02T00:00:00Z&until=2024-01-01T00:00:00Z",
            "since",
        ),
        ("conversation_id=-1", "conversation_id"),
        ("limit=0", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let (status, body) = get(query.to_owned(), key.clone()).await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (400, &json!(field)),
            "{query}: {body}"
        );
    }
    api.stop().await.unwrap();
    p.stop().await;
}

//! A seeded history served by the listing endpoints with Chatwoot's shapes, pages and faults.

use serde_json::{json, Value};

use crate::{assert_same_keys, client, fixture, sim, ACCOUNT, BOT_TOKEN, TOKEN};

/// 30 conversations; each: the contact asks, agent 17 answers, an activity message resolves it.
fn history() -> Value {
    let conversations: Vec<Value> = (0..30)
        .map(|n| {
            let at = 1_778_000_000 + n * 3_600;
            json!({"id": 2001 + n, "created_at": at, "status": "resolved", "assignee_id": 17,
                   "labels": ["billing"], "messages": [
                {"message_type": 0, "content": "help", "created_at": at + 10, "sender_type": "contact"},
                {"message_type": 1, "content": "done", "created_at": at + 60, "sender_type": "user", "sender_id": 17},
                {"message_type": 2, "content": "Conversation was marked resolved by Jonas Berg", "created_at": at + 90}
            ]})
        })
        .collect();
    json!({ "conversations": conversations })
}

async fn list(base: &str, query: &str, token: &str) -> (u16, Value) {
    let response = client()
        .get(format!(
            "{base}/api/v1/accounts/{ACCOUNT}/conversations?{query}"
        ))
        .header("api_access_token", token)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_seeded_history_is_listed_25_a_page_oldest_first_with_chatwoots_shapes() {
    let sim = sim().await;
    let base = sim.base_url();
    let seeded = client()
        .post(format!("{base}/__sim/accounts/{ACCOUNT}/history"))
        .json(&history())
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status().as_u16(), 201);

    let (status, page) = list(&base, "status=all&sort_by=created_at_asc&page=1", TOKEN).await;
    assert_eq!(status, 200);
    let mut expected = fixture!("list_conversations_200.json");
    // One seeded conversation against the fixture's: only the shape is compared.
    expected["data"]["payload"][0]["meta"]["team"] = Value::Null;
    let mut first = page.clone();
    first["data"]["payload"] = json!([page["data"]["payload"][0].clone()]);
    first["data"]["payload"][0]["meta"]["team"] = Value::Null;
    assert_same_keys(&first, &expected);
    let ids: Vec<u64> = page["data"]["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (2001..2026).collect::<Vec<_>>());
    assert_eq!(
        page["data"]["meta"],
        json!({"mine_count": 30, "assigned_count": 30, "unassigned_count": 0, "all_count": 30})
    );
    let (_, second) = list(&base, "status=all&sort_by=created_at_asc&page=2", TOKEN).await;
    assert_eq!(second["data"]["payload"].as_array().unwrap().len(), 5);
    let (_, third) = list(&base, "status=all&sort_by=created_at_asc&page=3", TOKEN).await;
    assert_eq!(third["data"]["payload"], json!([]));
    // Chatwoot's default status filter is `open`.
    let (_, open) = list(&base, "page=1", TOKEN).await;
    assert_eq!(open["data"]["meta"]["all_count"], 0);

    let messages: Value = client()
        .get(format!(
            "{base}/api/v1/accounts/{ACCOUNT}/conversations/2001/messages?after=0"
        ))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut chat = messages.clone();
    // The fixture holds an incoming and an outgoing message; the activity message has no sender.
    chat["payload"] = json!([
        messages["payload"][0].clone(),
        messages["payload"][1].clone()
    ]);
    assert_same_keys(&chat, &fixture!("list_messages_200.json"));
    assert_eq!(messages["payload"][2]["message_type"], 2);
    assert!(messages["payload"][2].get("sender").is_none());
    assert_eq!(messages["payload"][0]["created_at"], 1_778_000_010);

    // Bots may not list conversations; the listing takes faults like every endpoint.
    assert_eq!(list(&base, "page=1", BOT_TOKEN).await.0, 401);
    sim.inject(
        chatwoot_sim::Fault::new(
            chatwoot_sim::Matcher::path("/conversations"),
            chatwoot_sim::FaultBehaviour::Status(429),
        )
        .times(1),
    );
    assert_eq!(list(&base, "page=1", TOKEN).await.0, 429);
    assert_eq!(list(&base, "page=1", TOKEN).await.0, 200);
    let bad = client()
        .post(format!("{base}/__sim/accounts/{ACCOUNT}/history"))
        .json(&json!({"conversations": [{"id": 1, "created_at": 1, "status": "closed"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("unknown status `closed`"));
}

//! Chatwoot endpoints: shapes and state changes.

use serde_json::{json, Value};

use crate::{assert_same_keys, client, fixture, get, post, sim, ACCOUNT, BOT_TOKEN, CONV, TOKEN};

#[tokio::test]
async fn health_and_api_info_need_no_auth() {
    let sim = sim().await;
    let health = client()
        .get(format!("{}/health", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), r#"{"status":"woot"}"#);
    let info: Value = client()
        .get(format!("{}/api", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_same_keys(&info, &fixture!("api_info_200.json"));
}

#[tokio::test]
async fn create_message_returns_chatwoot_shape_and_is_stored() {
    let sim = sim().await;
    let (status, first) = post(&sim, "/messages", TOKEN, json!({"content": "Hello"})).await;
    assert_eq!(status, 200);
    assert_same_keys(&first, &fixture!("create_message_outgoing_200.json"));
    assert_eq!(first["message_type"], 1);
    assert_eq!(first["conversation_id"], CONV);
    assert_eq!(first["sender"]["type"], "user");
    assert!(first["created_at"].as_i64().unwrap() > 1_700_000_000);

    let (status, second) = post(
        &sim,
        "/messages",
        TOKEN,
        json!({
            "content": "Second",
            "message_type": "outgoing",
            "echo_id": "echo-1",
            "source_id": "pipeline:abc",
            "content_attributes": "{\"k\":\"v\"}",
        }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(second["id"].as_u64() > first["id"].as_u64());
    assert_eq!(second["echo_id"], "echo-1");
    assert_eq!(second["source_id"], "pipeline:abc");
    assert_eq!(second["content_attributes"], json!({"k": "v"}));

    let stored = sim.messages(ACCOUNT, CONV);
    assert_eq!(stored, vec![first, second]);
}

#[tokio::test]
async fn private_note_and_bot_message_shapes() {
    let sim = sim().await;
    let (status, note) = post(
        &sim,
        "/messages",
        TOKEN,
        json!({"content": "internal", "private": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(note["private"], true);
    assert_same_keys(&note, &fixture!("create_private_note_200.json"));

    let (status, bot) = post(
        &sim,
        "/messages",
        BOT_TOKEN,
        json!({"content": "from the bot", "echo_id": "e", "source_id": "s"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_same_keys(&bot, &fixture!("create_message_agent_bot_200.json"));
    assert_eq!(bot["sender"]["type"], "agent_bot");
}

#[tokio::test]
async fn invalid_messages_get_422_and_change_nothing() {
    let sim = sim().await;
    let (status, body) = post(
        &sim,
        "/messages",
        TOKEN,
        json!({"content": "hi", "message_type": "incoming"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body, fixture!("error_422_create_message.json"));
    let (status, body) = post(&sim, "/messages", TOKEN, json!({"content": "  "})).await;
    assert_eq!(status, 422);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .starts_with("Validation failed"));
    let (status, _) = post(
        &sim,
        "/messages",
        TOKEN,
        json!({"content": "x", "message_type": "bogus"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(sim.messages(ACCOUNT, CONV).is_empty());
}

#[tokio::test]
async fn message_rate_limit_when_configured() {
    let sim = chatwoot_sim::spawn(chatwoot_sim::SimConfig {
        message_limit_per_minute: Some(2),
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            post(&sim, "/messages", TOKEN, json!({"content": "x"}))
                .await
                .0,
            200
        );
    }
    let (status, body) = post(&sim, "/messages", TOKEN, json!({"content": "x"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"error": "Validation failed: Too many messages"})
    );
}

#[tokio::test]
async fn list_messages_oldest_first_latest_twenty() {
    let sim = sim().await;
    sim.add_incoming_message(ACCOUNT, CONV, "question");
    for i in 0..22 {
        post(
            &sim,
            "/messages",
            TOKEN,
            json!({"content": format!("m{i}"), "source_id": format!("src-{i}")}),
        )
        .await;
    }
    let (status, body) = get(&sim, "/messages", TOKEN).await;
    assert_eq!(status, 200);
    let payload = body["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 20);
    assert_eq!(payload[0]["content"], "m2");
    assert_eq!(payload[19]["source_id"], "src-21");
    assert!(payload.iter().all(|m| m.get("echo_id").is_none()));
    assert!(body["meta"]["labels"].is_array());

    let oldest = payload[0]["id"].as_u64().unwrap();
    let (_, older) = get(&sim, &format!("/messages?before={oldest}"), TOKEN).await;
    let older = older["payload"].as_array().unwrap();
    assert_eq!(older.len(), 3);
    assert_eq!(older[0]["message_type"], 0);

    // Chatwoot does not let bots list messages.
    let (status, body) = get(&sim, "/messages", BOT_TOKEN).await;
    assert_eq!(status, 401);
    assert_eq!(body, fixture!("error_401_bot_endpoint_not_allowed.json"));
}

#[tokio::test]
async fn get_conversation_reflects_state() {
    let sim = sim().await;
    post(
        &sim,
        "/labels",
        TOKEN,
        json!({"labels": ["billing", "refund"]}),
    )
    .await;
    post(&sim, "/assignments", TOKEN, json!({"assignee_id": 17})).await;
    post(&sim, "/messages", TOKEN, json!({"content": "public"})).await;
    post(
        &sim,
        "/messages",
        TOKEN,
        json!({"content": "note", "private": true}),
    )
    .await;
    post(&sim, "/toggle_status", TOKEN, json!({"status": "resolved"})).await;

    let (status, conv) = get(&sim, "", BOT_TOKEN).await;
    assert_eq!(status, 200);
    let mut expected = fixture!("get_conversation_200.json");
    // The fixture's last message is a system activity, which has no sender.
    expected["messages"][0]["sender"] = expected["last_non_activity_message"]["sender"].clone();
    assert_same_keys(&conv, &expected);
    assert_eq!(conv["labels"], json!(["billing", "refund"]));
    assert_eq!(conv["status"], "resolved");
    assert_eq!(conv["meta"]["assignee"]["id"], 17);
    assert_eq!(conv["messages"][0]["content"], "note");
    assert_eq!(conv["messages"][0]["message_type"], 1);
    assert!(conv["first_reply_created_at"].as_i64().unwrap() > 0);
    assert!(conv["updated_at"].is_f64());
}

#[tokio::test]
async fn labels_replace_the_set() {
    let sim = sim().await;
    let (status, body) = post(
        &sim,
        "/labels",
        TOKEN,
        json!({"labels": ["billing", "refund"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, fixture!("labels_create_200.json"));
    let (_, body) = post(&sim, "/labels", TOKEN, json!({"labels": ["vip"]})).await;
    assert_eq!(body, json!({"payload": ["vip"]}));
    assert_eq!(sim.labels(ACCOUNT, CONV), vec!["vip".to_owned()]);
    let (status, body) = get(&sim, "/labels", TOKEN).await;
    assert_eq!((status, body), (200, json!({"payload": ["vip"]})));
}

#[tokio::test]
async fn assignments_to_agent_team_and_unknown() {
    let sim = sim().await;
    let (status, agent) = post(&sim, "/assignments", TOKEN, json!({"assignee_id": 17})).await;
    assert_eq!(status, 200);
    assert_same_keys(&agent, &fixture!("assignment_agent_200.json"));
    assert_eq!(sim.assignee(ACCOUNT, CONV), Some(17));

    let (_, team) = post(&sim, "/assignments", BOT_TOKEN, json!({"team_id": 2})).await;
    assert_same_keys(&team, &fixture!("assignment_team_200.json"));
    assert_eq!(sim.team(ACCOUNT, CONV), Some(2));

    let (status, body) = post(&sim, "/assignments", TOKEN, json!({"assignee_id": 999})).await;
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(sim.assignee(ACCOUNT, CONV), None);

    let (_, bot) = post(
        &sim,
        "/assignments",
        TOKEN,
        json!({"assignee_id": 4, "assignee_type": "AgentBot"}),
    )
    .await;
    assert_eq!(bot["assignee_type"], "AgentBot");
    assert_eq!(sim.assignee(ACCOUNT, CONV), Some(4));
}

#[tokio::test]
async fn toggle_status_variants() {
    let sim = sim().await;
    // New conversations start pending; a bot opening one is a handoff.
    let (status, body) = post(&sim, "/toggle_status", BOT_TOKEN, json!({"status": "open"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["payload"]["success"], Value::Null);
    assert_same_keys(&body, &fixture!("toggle_status_bot_handoff_200.json"));
    assert_eq!(sim.status(ACCOUNT, CONV).as_deref(), Some("open"));
    assert_eq!(sim.assignee(ACCOUNT, CONV), None);

    let (_, body) = post(&sim, "/toggle_status", TOKEN, json!({"status": "resolved"})).await;
    assert_eq!(body["payload"]["success"], true);
    assert_eq!(body["payload"]["current_status"], "resolved");

    let (_, body) = post(
        &sim,
        "/toggle_status",
        TOKEN,
        json!({"status": "snoozed", "snoozed_until": 1_778_659_200}),
    )
    .await;
    assert_eq!(body, fixture!("toggle_status_snoozed_200.json"));

    // No status: toggles back to open, and the opening agent is auto-assigned.
    let (_, body) = post(&sim, "/toggle_status", TOKEN, json!({})).await;
    assert_eq!(body["payload"]["current_status"], "open");
    assert_eq!(body["payload"]["snoozed_until"], Value::Null);
    assert_eq!(sim.assignee(ACCOUNT, CONV), Some(17));

    let (status, _) = post(&sim, "/toggle_status", TOKEN, json!({"status": "closed"})).await;
    assert_eq!(status, 500);
    assert_eq!(sim.status(ACCOUNT, CONV).as_deref(), Some("open"));
}

#[tokio::test]
async fn toggle_priority_sets_and_clears() {
    let sim = sim().await;
    let response = client()
        .post(crate::conv_url(&sim, "/toggle_priority"))
        .header("api_access_token", TOKEN)
        .json(&json!({"priority": "urgent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(sim.priority(ACCOUNT, CONV).as_deref(), Some("urgent"));

    let (status, _) = post(
        &sim,
        "/toggle_priority",
        TOKEN,
        json!({"priority": "critical"}),
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(sim.priority(ACCOUNT, CONV).as_deref(), Some("urgent"));

    post(&sim, "/toggle_priority", TOKEN, json!({"priority": null})).await;
    assert_eq!(sim.priority(ACCOUNT, CONV), None);
}

#[tokio::test]
async fn profile_for_users_only() {
    let sim = sim().await;
    let url = format!("{}/api/v1/profile", sim.base_url());
    let user = client()
        .get(&url)
        .header("api_access_token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 200);
    let user: Value = user.json().await.unwrap();
    assert_same_keys(&user, &fixture!("profile_200.json"));
    assert_eq!(user["access_token"], TOKEN);
    assert_eq!(user["accounts"][0]["id"], ACCOUNT);

    let bot = client()
        .get(&url)
        .header("api_access_token", BOT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bot.status(), 401);
    assert_eq!(
        bot.json::<Value>().await.unwrap(),
        fixture!("error_401_bot_endpoint_not_allowed.json")
    );
}

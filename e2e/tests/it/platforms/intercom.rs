use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use infra::Platform;
use serde_json::{json, Value};

use super::{assert_unauthorized, PlatformPipeline};

const CLIENT_SECRET: &str = "intercom-client-secret";
const REPLY: &str = "/conversations/41/reply";

/// A `conversation.user.replied` notification (Intercom's webhook model) with the customer's new part.
fn replied(part_id: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "notification_event", "app_id": "a86dr8yl", "topic": "conversation.user.replied",
        "id": format!("notif_{part_id}"), "created_at": 1_778_577_267, "delivery_attempts": 1,
        "data": { "type": "notification_event_data", "item": {
            "type": "conversation", "id": "41",
            "source": { "type": "conversation", "id": "100", "body": "<p>Hello</p>",
                        "author": { "type": "user", "id": "5f1", "name": "Maya Lindqvist" } },
            "conversation_parts": { "type": "conversation_part.list", "conversation_parts": [
                { "type": "conversation_part", "id": part_id, "part_type": "comment", "body": format!("<p>{text}</p>"),
                  "author": { "type": "user", "id": "5f1", "name": "Maya Lindqvist", "email": "maya@example.com" } }
            ] } } }
    }))
    .unwrap()
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        "x-hub-signature",
        platforms::sign::intercom(CLIENT_SECRET, body),
    )]
}

async fn intercom(settings: Value) -> PlatformPipeline {
    let p = PlatformPipeline::start(
        Platform::Intercom,
        "",
        CLIENT_SECRET,
        json!({ "admin_id": "814860" }),
        None,
    )
    .await;
    p.env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .execute("UPDATE tenants SET settings = $1", &[&settings])
        .await
        .unwrap();
    p
}

#[tokio::test]
async fn an_intercom_reply_is_answered_once_as_the_admin_despite_duplicates_a_500_and_a_429() {
    let p = intercom(json!({ "responder": "template", "mode": "auto" })).await;
    for status in [500, 429] {
        p.env.sim.inject(
            Fault::new(
                Matcher::new(Method::POST, REPLY),
                FaultBehaviour::Status(status),
            )
            .times(1),
        );
    }
    let body = replied("201", "Where is my parcel?");
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["event_key"], "acme:intercom:message:201");
    // Intercom retrying the notification.
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (202, Some(true)));
    assert!(p.wait_delivered("POST", REPLY, 1).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(p.delivered("POST", REPLY).len(), 1);
    assert_eq!(
        p.env.sim.requests_matching("POST", REPLY).len(),
        3,
        "500, 429, then 200"
    );
    let reply = &p.delivered("POST", REPLY)[0];
    let sent = reply.body_json().unwrap();
    assert_eq!(sent["message_type"], "comment");
    assert_eq!(sent["type"], "admin");
    assert_eq!(sent["admin_id"], "814860");
    assert!(sent["body"].as_str().unwrap().contains("Maya"), "{sent}");
    assert_eq!(reply.header("authorization"), Some("Bearer demo-token"));
    assert!(reply.header("intercom-version").is_some());

    // The admin's own reply comes back as another topic: verified, ignored, nothing published.
    let echo = String::from_utf8(replied("202", "Hi Maya"))
        .unwrap()
        .replace("conversation.user.replied", "conversation.admin.replied");
    let (status, answer) = p.post(echo.as_bytes(), &signed(echo.as_bytes())).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("ignored")),
        "{answer}"
    );

    // A signature made with another secret, or none.
    let forged = [("x-hub-signature", platforms::sign::intercom("guess", &body))];
    assert_unauthorized(p.post(&body, &forged).await);
    assert_unauthorized(p.post(&body, &[]).await);
    p.stop().await;
}

#[tokio::test]
async fn an_intercom_draft_is_a_note_and_its_approval_in_the_api_replies_in_intercom() {
    let p = intercom(json!({ "responder": "template", "mode": "draft" })).await;
    let api = p.env.start_api(&[]).await;
    let key = p
        .env
        .api_key(e2e::TENANT, infra::api_keys::Scope::Write)
        .await;
    let body = replied("301", "Where is my parcel?");
    let (status, _) = p.post(&body, &signed(&body)).await;
    assert_eq!(status, 202);
    assert!(p.wait_delivered("POST", REPLY, 1).await, "the draft note");
    let note = p.delivered("POST", REPLY)[0].body_json().unwrap();
    assert_eq!(note["message_type"], "note", "{note}");

    let http = reqwest::Client::new();
    let pending: Value = http
        .get(format!("{}/api/v1/approvals?status=pending", api.url()))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let draft = pending["data"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{pending}"));
    let response = http
        .post(format!("{}/api/v1/approvals/{draft}/decision", api.url()))
        .bearer_auth(&key)
        .header("Idempotency-Key", "approve-301")
        .json(&json!({ "decision": "approve" }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    assert!(
        p.wait_delivered("POST", REPLY, 2).await,
        "the approved reply"
    );
    let replies: Vec<Value> = p
        .delivered("POST", REPLY)
        .iter()
        .map(|r| r.body_json().unwrap())
        .filter(|b| b["message_type"] == "comment")
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    api.stop().await.unwrap();
    p.stop().await;
}

#[tokio::test]
async fn an_intercom_reply_whose_answer_was_lost_is_found_not_sent_twice() {
    let p = intercom(json!({ "responder": "template", "mode": "auto" })).await;
    let first = replied("501", "Where is my parcel?");
    let second = replied("502", "Where is my parcel now?");
    super::exactly_once_when_answers_are_lost(
        &p,
        (Method::POST, REPLY),
        ("intercom", "41"),
        (first.clone(), signed(&first)),
        (second.clone(), signed(&second)),
    )
    .await;
    p.stop().await;
}

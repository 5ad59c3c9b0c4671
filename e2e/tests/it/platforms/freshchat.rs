use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use infra::Platform;
use serde_json::json;

use super::{assert_unauthorized, PlatformPipeline};

const PRIVATE: &str = include_str!("../../../../fixtures/platforms/freshchat_test_private.pem");
const PUBLIC: &str = include_str!("../../../../fixtures/platforms/freshchat_test_public.pem");
const CONVERSATION: &str = "4a2bbd8e-71c5-4c1f-8f5d-2a9b0cb7d0aa";

/// A `message_create` by the user, as courier's Freshchat handler receives it.
fn message(id: &str, actor_type: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "actor": { "actor_type": actor_type, "actor_id": "882f3926" },
        "action": "message_create", "action_time": "2026-05-12T09:14:27.000Z",
        "data": { "message": {
            "message_parts": [{ "text": { "content": text } }], "app_id": "55ee2a38", "actor_id": "882f3926",
            "id": id, "channel_id": "52fbd8e1", "conversation_id": CONVERSATION, "message_type": "normal",
            "actor_type": actor_type, "created_time": "2026-05-12T09:14:27.000Z" } }
    }))
    .unwrap()
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        "x-freshchat-signature",
        platforms::sign::freshchat(PRIVATE, body),
    )]
}

#[tokio::test]
async fn a_freshchat_message_is_answered_once_as_the_agent_after_a_429_and_a_503() {
    let p = PlatformPipeline::start(
        Platform::Freshchat,
        "",
        PUBLIC,
        json!({ "agent_id": "a-1" }),
        None,
    )
    .await;
    let path = format!("/v2/conversations/{CONVERSATION}/messages");
    for status in [429, 503] {
        p.env.sim.inject(
            Fault::new(
                Matcher::new(Method::POST, &path),
                FaultBehaviour::Status(status),
            )
            .times(1),
        );
    }
    let body = message("m-1", "user", "Where is my parcel?");
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (202, Some(true)));
    // Our own reply comes back as the agent's: ignored.
    let echo = message("m-2", "agent", "Hi");
    let (status, answer) = p.post(&echo, &signed(&echo)).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("ignored")));
    assert!(p.wait_delivered("POST", &path, 1).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let posts = p.delivered("POST", &path);
    assert_eq!(posts.len(), 1);
    assert_eq!(
        p.env.sim.requests_matching("POST", &path).len(),
        3,
        "429, 503, then 200"
    );
    let sent = posts[0].body_json().unwrap();
    assert_eq!(
        (sent["actor_type"].as_str(), sent["actor_id"].as_str()),
        (Some("agent"), Some("a-1"))
    );
    assert_eq!(sent["message_type"], "normal");
    assert_eq!(posts[0].header("authorization"), Some("Bearer demo-token"));

    // An HMAC (what some guides claim) or a signature of another body is refused.
    let other = message("m-3", "user", "Hello");
    assert_unauthorized(p.post(&body, &signed(&other)).await);
    assert_unauthorized(p.post(&body, &[]).await);
    p.stop().await;
}

#[tokio::test]
async fn a_freshchat_reply_whose_answer_was_lost_is_found_not_sent_twice() {
    let p = PlatformPipeline::start(
        Platform::Freshchat,
        "",
        PUBLIC,
        json!({ "agent_id": "a-1" }),
        None,
    )
    .await;
    let path = format!("/v2/conversations/{CONVERSATION}/messages");
    let first = message("m-11", "user", "Where is my parcel?");
    let second = message("m-12", "user", "Where is my parcel now?");
    super::exactly_once_when_answers_are_lost(
        &p,
        (chatwoot_sim::Method::POST, &path),
        ("freshchat", CONVERSATION),
        (first.clone(), signed(&first)),
        (second.clone(), signed(&second)),
    )
    .await;
    p.stop().await;
}

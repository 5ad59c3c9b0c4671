use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use infra::Platform;
use serde_json::{json, Value};

use super::{assert_unauthorized, PlatformPipeline};

const INBOUND: &str = "generic-inbound-secret";
const SIGNING: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HOOK: &str = "/hooks/replies";

fn message(text: &str, conversation: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "user_id": "u-7", "username": "Maya Lindqvist", "message": text, "platform": "shop-chat",
        "conversation_id": conversation, "timestamp": "2026-05-12T09:14:27Z", "metadata": { "order": "A-1" }
    }))
    .unwrap()
}

fn bearer() -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {INBOUND}"))]
}

#[tokio::test]
async fn a_generic_webhook_becomes_one_signed_post_to_the_outgoing_webhook() {
    let p = PlatformPipeline::start(
        Platform::Generic,
        HOOK,
        INBOUND,
        json!({ "headers": { "X-Team": "support" }, "timeout_ms": 3000, "retries": 4 }),
        Some(SIGNING),
    )
    .await;
    let body = message("Where is my parcel?", "c-9");
    let (status, answer) = p.post(&body, &bearer()).await;
    assert_eq!(status, 202, "{answer}");
    assert!(p.wait_delivered("POST", HOOK, 1).await);
    // The same body again (the sender retrying) is the same message.
    let (status, answer) = p.post(&body, &bearer()).await;
    assert_eq!(
        (status, answer["duplicate"].as_bool()),
        (202, Some(true)),
        "{answer}"
    );
    // Signed the Standard Webhooks way with the inbound secret instead of a bearer token.
    let signed = message("And my invoice?", "c-9");
    let now = chrono::Utc::now().timestamp();
    let signature = platforms::sign::standard_webhooks(INBOUND, "msg_2", now, &signed);
    let (status, answer) = p
        .post(
            &signed,
            &[
                ("webhook-id", "msg_2".into()),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", signature),
            ],
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    assert!(p.wait_delivered("POST", HOOK, 2).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let posts = p.delivered("POST", HOOK);
    assert_eq!(posts.len(), 2, "one reply per message");
    let post = &posts[0];
    let sent: Value = post.body_json().unwrap();
    assert_eq!(sent["type"], "message");
    assert_eq!(sent["conversation_id"], "c-9");
    assert!(
        sent["data"]["message"].as_str().unwrap().contains("Maya"),
        "{sent}"
    );
    platforms::standard_webhooks::verify(
        SIGNING,
        post.header("webhook-id").unwrap(),
        post.header("webhook-timestamp").unwrap(),
        post.header("webhook-signature").unwrap(),
        &post.body,
        chrono::Utc::now().timestamp(),
        60,
    )
    .expect("the reply verifies with the tenant's signing secret");
    assert_eq!(post.header("authorization"), Some("Bearer demo-token"));
    assert_eq!(post.header("x-team"), Some("support"));
    // Both messages are one conversation.
    assert_eq!(
        p.env
            .count("SELECT count(*) FROM platform_conversations")
            .await,
        1
    );

    // Refused: a wrong token, no credentials, an unknown platform.
    let wrong = [("authorization", "Bearer nope".to_owned())];
    assert_unauthorized(p.post(&body, &wrong).await);
    assert_unauthorized(p.post(&body, &[]).await);
    let missing = p
        .post(br#"{"user_id":"u-7","message":"hi"}"#, &bearer())
        .await;
    assert_eq!(missing.0, 400, "{}", missing.1);
    assert!(missing.1["message"]
        .as_str()
        .unwrap()
        .contains("conversation_id"));
    let response = p
        .env
        .http
        .post(format!("{}/webhooks/slack/acme", p.ingress.url()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    p.stop().await;
}

#[tokio::test]
async fn generic_replies_are_retried_on_429_and_5xx_with_one_webhook_id_and_dead_lettered_on_404() {
    let p =
        PlatformPipeline::start(Platform::Generic, HOOK, INBOUND, json!({}), Some(SIGNING)).await;
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, HOOK),
            FaultBehaviour::Status(429),
        )
        .times(1),
    );
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, HOOK),
            FaultBehaviour::Status(503),
        )
        .times(1),
    );
    let (status, _) = p
        .post(&message("Where is my parcel?", "c-1"), &bearer())
        .await;
    assert_eq!(status, 202);
    assert!(
        p.wait_delivered("POST", HOOK, 1).await,
        "retried until delivered"
    );
    let attempts = p.env.sim.requests_matching("POST", HOOK);
    assert_eq!(attempts.len(), 3, "429, 503, then 200");
    let ids: Vec<_> = attempts
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one webhook-id across retries: {ids:?}"
    );

    // A 404 is permanent: one attempt, then the dead letter.
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, HOOK),
            FaultBehaviour::Status(404),
        )
        .times(1),
    );
    p.post(&message("Hello?", "c-2"), &bearer()).await;
    assert!(
        e2e::eventually(Duration::from_secs(20), || async {
            p.action_states().await.contains(&"dead".to_owned())
        })
        .await
    );
    assert_eq!(p.env.sim.requests_matching("POST", HOOK).len(), 4);
    p.stop().await;
}

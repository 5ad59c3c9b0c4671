use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use infra::Platform;
use serde_json::json;

use super::{assert_unauthorized, PlatformPipeline};

const SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
const TICKET: &str = "/api/v2/tickets/141.json";

/// The body of a trigger written as the README shows (Zendesk fills the placeholders).
fn comment(comment_id: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "ticket_id": "141", "comment_id": comment_id, "message": text, "author_role": "end-user",
        "requester_id": "372", "requester_name": "Maya Lindqvist", "requester_email": "maya@example.com"
    }))
    .unwrap()
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    vec![
        (
            "x-zendesk-webhook-signature",
            platforms::sign::zendesk(SIGNING_SECRET, &timestamp, body),
        ),
        ("x-zendesk-webhook-signature-timestamp", timestamp),
        (
            "x-zendesk-webhook-invocation-id",
            format!("inv-{}", body.len()),
        ),
    ]
}

#[tokio::test]
async fn a_zendesk_comment_is_answered_once_with_a_public_comment_after_a_429_and_a_503() {
    let p = PlatformPipeline::start(
        Platform::Zendesk,
        "",
        SIGNING_SECRET,
        json!({ "email": "bot@acme.example" }),
        None,
    )
    .await;
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::PUT, TICKET),
            FaultBehaviour::Status(429),
        )
        .times(1),
    );
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::PUT, TICKET),
            FaultBehaviour::Status(503),
        )
        .times(1),
    );
    let body = comment("9001", "Where is my parcel?");
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = p.post(&body, &signed(&body)).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (202, Some(true)));
    assert!(p.wait_delivered("PUT", TICKET, 1).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let puts = p.delivered("PUT", TICKET);
    assert_eq!(puts.len(), 1);
    let sent = puts[0].body_json().unwrap();
    assert_eq!(sent["ticket"]["comment"]["public"], true, "{sent}");
    assert!(sent["ticket"]["comment"]["body"]
        .as_str()
        .unwrap()
        .contains("Maya"));
    assert!(puts[0]
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(
        p.env.sim.requests_matching("PUT", TICKET).len(),
        3,
        "429, 503, then 200"
    );

    let forged = [
        (
            "x-zendesk-webhook-signature",
            platforms::sign::zendesk("other", "2026-01-01T00:00:00Z", &body),
        ),
        (
            "x-zendesk-webhook-signature-timestamp",
            "2026-01-01T00:00:00Z".to_owned(),
        ),
    ];
    assert_unauthorized(p.post(&body, &forged).await);
    p.stop().await;
}

#[tokio::test]
async fn a_zendesk_422_is_permanent_and_dead_lettered_after_one_attempt() {
    let p = PlatformPipeline::start(
        Platform::Zendesk,
        "",
        SIGNING_SECRET,
        json!({ "email": "bot@acme.example" }),
        None,
    )
    .await;
    p.env.sim.inject(
        Fault::new(
            Matcher::new(Method::PUT, TICKET),
            FaultBehaviour::Status(422),
        )
        .times(1),
    );
    let body = comment("9101", "Where is my parcel?");
    assert_eq!(p.post(&body, &signed(&body)).await.0, 202);
    assert!(
        e2e::eventually(Duration::from_secs(20), || async {
            p.action_states().await == vec!["dead".to_owned()]
        })
        .await
    );
    assert_eq!(p.env.sim.requests_matching("PUT", TICKET).len(), 1);
    p.stop().await;
}

#[tokio::test]
async fn a_zendesk_comment_whose_answer_was_lost_is_found_not_sent_twice() {
    let p = PlatformPipeline::start(
        Platform::Zendesk,
        "",
        SIGNING_SECRET,
        json!({ "email": "bot@acme.example" }),
        None,
    )
    .await;
    let first = comment("9101", "Where is my parcel?");
    let second = comment("9102", "Where is my parcel now?");
    super::exactly_once_when_answers_are_lost(
        &p,
        (Method::PUT, TICKET),
        ("zendesk", "141"),
        (first.clone(), signed(&first)),
        (second.clone(), signed(&second)),
    )
    .await;
    p.stop().await;
}

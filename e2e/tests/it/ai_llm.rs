//! The LLM responder against a local OpenAI-compatible server that records what it is asked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use e2e::ACCOUNT_ID;
use serde_json::{json, Value};

use crate::ai_support::{AiPipeline, HANDOFF_EN};

/// How the fake model answers.
#[derive(Clone)]
enum Behaviour {
    Answer(&'static str),
    Sleep(Duration),
    Status(u16),
}

#[derive(Clone)]
struct FakeLlm {
    requests: Arc<Mutex<Vec<Value>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl FakeLlm {
    async fn spawn(behaviour: Behaviour) -> (Self, String) {
        let llm = Self {
            requests: Arc::default(),
            behaviour: Arc::new(Mutex::new(behaviour)),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(llm.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (llm, url)
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }
}

async fn complete(State(llm): State<FakeLlm>, Json(request): Json<Value>) -> Response {
    llm.requests.lock().unwrap().push(request);
    let behaviour = llm.behaviour.lock().unwrap().clone();
    match behaviour {
        Behaviour::Answer(text) => Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }]
        }))
        .into_response(),
        Behaviour::Sleep(delay) => {
            tokio::time::sleep(delay).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
    }
}

fn settings(url: &str, mode: &str) -> Value {
    json!({
        "responder": "llm",
        "mode": mode,
        "auto_min_confidence": 0.0,
        "llm": {
            "base_url": url,
            "model": "acme-small",
            "system_prompt": "You are Acme's support assistant. PROMPT-MARKER",
            "timeout_ms": 400,
            "max_attempts": 2,
            "max_tokens": 300,
            "history_messages": 10
        }
    })
}

/// The bot's own public message, as Chatwoot echoes it to the account webhook.
fn bot_echo(content: &str, message_id: u64, conversation: u64) -> Vec<u8> {
    let mut hook: Value =
        serde_json::from_slice(&e2e::fixture("message_created_bot_echo.json")).unwrap();
    hook["content"] = content.into();
    hook["id"] = message_id.into();
    hook["conversation"]["id"] = conversation.into();
    serde_json::to_vec(&hook).unwrap()
}

#[tokio::test]
async fn the_llm_gets_the_prompt_history_and_articles_and_auto_mode_posts_publicly() {
    let (llm, url) = FakeLlm::spawn(Behaviour::Answer(
        "We refund duplicate charges within 5 days.",
    ))
    .await;
    let p = AiPipeline::start(settings(&url, "auto")).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        8001,
        4001,
    )
    .await;
    p.settle(1).await;
    p.send(
        &bot_echo("Could you share the invoice number?", 8002, 4001),
        "b8002",
    )
    .await;
    p.agent("Internal: check Stripe first", 8003, 4001).await;
    p.customer(
        "It is INV-2291, can the refund go to my other card?",
        8004,
        4001,
    )
    .await;
    p.settle(4).await;

    assert_eq!(
        p.public(4001),
        [
            "We refund duplicate charges within 5 days.",
            "We refund duplicate charges within 5 days."
        ],
        "auto mode answers publicly"
    );
    assert!(p.notes(4001).is_empty(), "{:?}", p.messages(4001));
    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first["model"], "acme-small");
    assert_eq!(first["max_tokens"], 300);
    assert!(first["temperature"].is_number());
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(
        messages[0],
        json!({ "role": "system", "content": "You are Acme's support assistant. PROMPT-MARKER" })
    );
    let context = messages[1]["content"].as_str().unwrap();
    assert!(
        context.contains(
            "[billing-double-charge] I was charged twice (duplicate charge on my invoice)"
        ),
        "the retrieved article is in the context: {context}"
    );
    assert_eq!(
        messages.last().unwrap(),
        &json!({ "role": "user", "content": "Hi, I was charged twice for my May invoice. Can you help?" })
    );

    // The second request carries the conversation so far, in order, without the private note.
    let turns: Vec<(String, String)> = requests[1]["messages"].as_array().unwrap()[2..]
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        turns,
        [
            (
                "user".to_owned(),
                "Hi, I was charged twice for my May invoice. Can you help?".to_owned()
            ),
            (
                "assistant".to_owned(),
                "Could you share the invoice number?".to_owned()
            ),
            (
                "user".to_owned(),
                "It is INV-2291, can the refund go to my other card?".to_owned()
            ),
        ]
    );
    let rows = p.drafts(4001).await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.status == "auto" && r.responder == "llm"),
        "{rows:?}"
    );
    assert!(
        rows[0]
            .sources
            .contains(&"billing-double-charge".to_owned()),
        "{rows:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn an_llm_timeout_or_5xx_falls_back_to_the_knowledge_base_or_hands_off() {
    let (llm, url) = FakeLlm::spawn(Behaviour::Sleep(Duration::from_secs(3))).await;
    let p = AiPipeline::start(settings(&url, "draft")).await;

    p.customer("How do I reset my password?", 8101, 4101).await;
    p.settle(1).await;
    assert_eq!(llm.requests().len(), 2, "max_attempts attempts");
    let rows = p.drafts(4101).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].responder, "knowledge_base");
    assert_eq!(rows[0].sources, ["password-reset"]);
    assert_eq!(
        rows[0].fallback_reason.as_deref(),
        Some("LLM timed out after 400 ms")
    );
    let notes = p.notes(4101);
    assert!(
        notes[0].starts_with("🤖 AI draft #") && notes[0].contains("Resetting your password"),
        "{notes:?}"
    );
    assert!(p.public(4101).is_empty());

    llm.set(Behaviour::Status(503));
    p.customer("Where is my order? I need the tracking number", 8102, 4102)
        .await;
    p.settle(2).await;
    assert_eq!(llm.requests().len(), 4);
    let rows = p.drafts(4102).await;
    assert_eq!(rows[0].sources, ["shipping-tracking"]);
    assert_eq!(rows[0].fallback_reason.as_deref(), Some("LLM HTTP 503"));

    // Nothing in the knowledge base either: a person takes over rather than silence.
    llm.set(Behaviour::Status(500));
    p.customer("Do you sell gift cards for my grandmother?", 8103, 4103)
        .await;
    p.settle(3).await;
    assert_eq!(p.messages(4103), [(false, HANDOFF_EN.to_owned())]);
    assert_eq!(p.env.sim.labels(ACCOUNT_ID, 4103), ["handoff"]);
    assert!(p.drafts(4103).await.is_empty());
    p.stop().await;
}

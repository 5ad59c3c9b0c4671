//! LLM triage against a local OpenAI-compatible server that records what it is asked.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use assist::triage_llm::{LlmTriage, Source};
use assist::{LlmSettings, TriageLlmSettings};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use triage::{Escalation, Triager};

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

fn llm(url: &str) -> LlmSettings {
    serde_json::from_value(json!({ "base_url": url, "model": "acme-large" })).unwrap()
}

/// `unsure_margin` 0.5 asks about nearly any message, 0 about none.
fn settings(margin: f64) -> TriageLlmSettings {
    TriageLlmSettings {
        enabled: true,
        unsure_margin: margin,
        timeout_ms: 300,
        model: Some("acme-small".into()),
    }
}

const ANSWER: &str = "```json\n{\"categories\": [\"orders\", \"loyalty\"], \"urgent\": true, \"escalate\": \"fraud\", \
                      \"handoff\": false, \"sentiment\": \"negative\"}\n```";

const TEXT: &str = "A payment to you shows on my card from yesterday. No idea what it is.";

#[tokio::test]
async fn an_unsure_triage_is_refined_once_then_cached() {
    let (fake, url) = FakeLlm::spawn(Behaviour::Answer(ANSWER)).await;
    let triager = Triager::default();
    let analysis = triager.analyze(TEXT);
    let client = LlmTriage::new();
    let categories = triager.categories();

    let refined = client
        .refine(&llm(&url), &settings(0.5), &categories, TEXT, &analysis)
        .await;
    assert_eq!(refined.source, Source::Llm);
    assert!(!refined.unsure.is_empty());
    assert_eq!(
        refined.triage.language, analysis.triage.language,
        "language stays embedded"
    );
    assert!(
        refined.triage.escalate == Some(Escalation::Fraud),
        "{refined:?}"
    );
    assert!(
        !refined.triage.categories.contains(&"loyalty".to_string()),
        "names outside the taxonomy are dropped: {refined:?}"
    );

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["model"], "acme-small",
        "the triage model, not the responder's"
    );
    assert_eq!(requests[0]["temperature"], 0);
    let messages = requests[0]["messages"].as_array().unwrap();
    assert!(messages[0]["content"]
        .as_str()
        .unwrap()
        .contains("orders, returns, billing"));
    assert_eq!(messages[1], json!({ "role": "user", "content": TEXT }));

    let again = client
        .refine(&llm(&url), &settings(0.5), &categories, TEXT, &analysis)
        .await;
    assert_eq!(again.source, Source::Cache);
    assert_eq!(again.triage, refined.triage);
    assert_eq!(fake.requests().len(), 1, "answered from the cache");
}

#[tokio::test]
async fn a_sure_triage_asks_nobody() {
    let (fake, url) = FakeLlm::spawn(Behaviour::Answer(ANSWER)).await;
    let triager = Triager::default();
    let text = "I will sue you, my lawyer has the papers ready.";
    let analysis = triager.analyze(text);
    let refined = LlmTriage::new()
        .refine(
            &llm(&url),
            &settings(0.0),
            &triager.categories(),
            text,
            &analysis,
        )
        .await;
    assert_eq!(refined.source, Source::Embedded);
    assert_eq!(refined.triage, analysis.triage);
    assert!(fake.requests().is_empty());

    let mut off = settings(0.5);
    off.enabled = false;
    let refined = LlmTriage::new()
        .refine(&llm(&url), &off, &triager.categories(), text, &analysis)
        .await;
    assert_eq!(refined.source, Source::Embedded);
    assert!(fake.requests().is_empty(), "disabled never asks");
}

#[tokio::test]
async fn any_failure_keeps_the_embedded_triage() {
    let triager = Triager::default();
    let analysis = triager.analyze(TEXT);
    let categories = triager.categories();
    for (behaviour, reason) in [
        (
            Behaviour::Sleep(Duration::from_secs(2)),
            "timed out after 300 ms",
        ),
        (Behaviour::Status(503), "HTTP 503"),
        (
            Behaviour::Answer("Sorry, I can't classify that."),
            "no JSON object",
        ),
        (
            Behaviour::Answer("{\"categories\": \"orders\"}"),
            "unexpected answer",
        ),
    ] {
        let (fake, url) = FakeLlm::spawn(behaviour).await;
        let client = LlmTriage::new();
        let started = std::time::Instant::now();
        let refined = client
            .refine(&llm(&url), &settings(0.5), &categories, TEXT, &analysis)
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "bounded by the timeout"
        );
        assert_eq!(refined.triage, analysis.triage);
        match &refined.source {
            Source::Fallback(why) => assert!(why.contains(reason), "{why}"),
            other => panic!("expected a fallback, got {other:?}"),
        }
        assert_eq!(fake.requests().len(), 1, "one attempt");
        // Failures are not cached: the next message asks again.
        client
            .refine(&llm(&url), &settings(0.5), &categories, TEXT, &analysis)
            .await;
        assert_eq!(fake.requests().len(), 2);
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_or_missing_key_falls_back() {
    let triager = Triager::default();
    let analysis = triager.analyze(TEXT);
    let refined = LlmTriage::new()
        .refine(
            &llm("http://127.0.0.1:9/v1"),
            &settings(0.5),
            &triager.categories(),
            TEXT,
            &analysis,
        )
        .await;
    assert!(matches!(refined.source, Source::Fallback(ref why) if why.contains("cannot reach")));

    let keyed: LlmSettings = serde_json::from_value(json!({
        "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "LLM_API_KEY_TRIAGE_TEST_UNSET"
    }))
    .unwrap();
    let refined = LlmTriage::new()
        .refine(
            &keyed,
            &settings(0.5),
            &triager.categories(),
            TEXT,
            &analysis,
        )
        .await;
    assert!(
        matches!(refined.source, Source::Fallback(ref why) if why.contains("LLM_API_KEY_TRIAGE_TEST_UNSET"))
    );
    assert_eq!(refined.triage, analysis.triage);
}

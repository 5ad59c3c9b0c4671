//! HTTP control API under `/__sim/`, so a simulator running as its own
//! process can be driven by scripts and by other processes. Control requests
//! are neither recorded nor subject to faults or delay.
//!
//! | Call | Body | Answer |
//! |---|---|---|
//! | `GET /__sim/requests` | | 200, list of recorded requests (below) |
//! | `DELETE /__sim/requests` | | 204, forgets recorded requests only |
//! | `POST /__sim/reset` | | 204, same as `SimState::reset` |
//! | `GET /__sim/faults` | | 200, list of active faults (fault form below) |
//! | `POST /__sim/faults` | a fault, or a list of faults | 201 `{"faults": <active count>}`; 400 `{"error"}` if invalid |
//! | `DELETE /__sim/faults` | | 204 |
//! | `PUT /__sim/accounts/{id}/tokens` | `["tok1","tok2"]` (user tokens) or `{"api_tokens":[…],"bot_tokens":[…]}` (either key optional) | 204; 404 unknown account |
//! | `GET /__sim/stats` | | 200 `{"total":n,"faults":n,"by_route":{"POST /api/v1/accounts/{account_id}/conversations/{id}/messages":{"200":3,"503":1}}}` (status `"none"` = no response yet / connection closed) |
//! | `PUT /__sim/delay` | `{"ms": 250}` or `{"ms": null}` | 204 |
//! | `GET /__sim/accounts/{id}/conversations/{conv}` | | 200 `{"labels","status","priority","assignee_id","team_id","messages","conversation"}`; 404 if never used |
//! | `POST /__sim/accounts/{id}/conversations/{conv}/missing` | | 204; the conversation now answers 404 |
//! | `POST /__sim/accounts/{id}/conversations/{conv}/incoming` | `{"content":"…"}` | 201, the contact message created |
//! | `POST /__sim/accounts/{id}/history` | `{"conversations":[{"id":1,"created_at":<unix s>,"status":"resolved","assignee_id":17,"messages":[{"message_type":0,"content":"…","created_at":<unix s>,"sender_type":"contact"}]}]}` (see `SeedConversation`) | 201 `{"conversations":n}`; 400 `{"error"}` naming what is wrong |
//!
//! A recorded request:
//! ```json
//! {"seq":1,"method":"POST","path":"/api/v1/accounts/3/conversations/1042/messages",
//!  "query":null,"headers":{"api_access_token":"demo-token","traceparent":"00-…"},
//!  "body":"{\"content\":\"hi\"}","body_base64":null,
//!  "received_at":"2026-05-12T09:31:10.123456Z","status":200,"fault":false}
//! ```
//! `body` is the body as a string when it is valid UTF-8, else `null` with the
//! bytes in `body_base64`.
//!
//! A fault (`method`, `path_contains` optional and matching anything when
//! absent; `times` or `for_ms` bound it, neither means until cleared;
//! `probability` defaults to 1):
//! ```json
//! {"method":"POST","path_contains":"/messages","times":3,"probability":0.5,
//!  "behaviour":{"kind":"status","status":503}}
//! ```
//! Other behaviours: `{"kind":"status_429_with_retry_after","retry_after_secs":5}`,
//! `{"kind":"timeout","ms":2000}`, `{"kind":"close_connection"}`.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use base64::Engine as _;
use chrono::SecondsFormat;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::FaultSpec;
use crate::request::{json_response, ApiError};
use crate::routes::App;
use crate::state::RecordedRequest;

pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/requests", get(requests).delete(clear_requests))
        .route("/reset", post(reset))
        .route(
            "/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/accounts/{id}/tokens", put(set_tokens))
        .route("/stats", get(stats))
        .route("/delay", put(set_delay))
        .route("/accounts/{id}/conversations/{conv}", get(conversation))
        .route(
            "/accounts/{id}/conversations/{conv}/missing",
            post(mark_missing),
        )
        .route(
            "/accounts/{id}/conversations/{conv}/incoming",
            post(add_incoming),
        )
        .route("/accounts/{id}/history", post(seed_history))
}

fn bad_request(message: impl std::fmt::Display) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        json!({ "error": message.to_string() }),
    )
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(bad_request)
}

fn request_json(r: &RecordedRequest) -> Value {
    let text = r.body_text();
    json!({
        "seq": r.seq,
        "method": r.method.as_str(),
        "path": r.path,
        "query": r.query,
        "headers": r.headers,
        "body": text,
        "body_base64": if text.is_none() {
            Some(base64::engine::general_purpose::STANDARD.encode(&r.body))
        } else {
            None
        },
        "received_at": r.received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "status": r.status,
        "fault": r.fault,
    })
}

async fn requests(State(app): State<App>) -> Response {
    let list: Vec<Value> = app.sim.requests().iter().map(request_json).collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

async fn clear_requests(State(app): State<App>) -> StatusCode {
    app.sim.lock().requests.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(app): State<App>) -> StatusCode {
    app.sim.reset();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(app): State<App>) -> Response {
    let list: Vec<FaultSpec> = app.sim.faults().iter().map(FaultSpec::from_fault).collect();
    json_response(StatusCode::OK, &json!(list))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<FaultSpec>),
    One(FaultSpec),
}

async fn add_faults(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let specs = match parse::<OneOrMany>(&body)? {
        OneOrMany::Many(specs) => specs,
        OneOrMany::One(spec) => vec![spec],
    };
    // Validate all before injecting any, so a bad list changes nothing.
    let faults = specs
        .into_iter()
        .map(FaultSpec::into_fault)
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_request)?;
    for fault in faults {
        app.sim.inject(fault);
    }
    let count = app.sim.faults().len();
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "faults": count }),
    ))
}

async fn clear_faults(State(app): State<App>) -> StatusCode {
    app.sim.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TokensBody {
    List(Vec<String>),
    Split {
        #[serde(default)]
        api_tokens: Option<Vec<String>>,
        #[serde(default)]
        bot_tokens: Option<Vec<String>>,
    },
}

async fn set_tokens(
    State(app): State<App>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (api, bot) = match parse::<TokensBody>(&body)? {
        TokensBody::List(list) => (Some(list), None),
        TokensBody::Split {
            api_tokens,
            bot_tokens,
        } => (api_tokens, bot_tokens),
    };
    if !app.sim.lock().accounts.contains_key(&id) {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown account" }),
        ));
    }
    if let Some(api) = api {
        app.sim.set_tokens(id, api);
    }
    if let Some(bot) = bot {
        app.sim.set_bot_tokens(id, bot);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn stats(State(app): State<App>) -> Response {
    json_response(StatusCode::OK, &json!(app.sim.stats()))
}

#[derive(Deserialize)]
struct DelayBody {
    ms: Option<u64>,
}

async fn set_delay(State(app): State<App>, body: Bytes) -> Result<StatusCode, ApiError> {
    let delay = parse::<DelayBody>(&body)?;
    app.sim
        .set_request_delay(delay.ms.map(Duration::from_millis));
    Ok(StatusCode::NO_CONTENT)
}

async fn conversation(State(app): State<App>, Path((id, conv)): Path<(u64, u64)>) -> Response {
    let sim = &app.sim;
    match sim.conversation(id, conv) {
        Some(conversation) => json_response(
            StatusCode::OK,
            &json!({
                "labels": sim.labels(id, conv),
                "status": sim.status(id, conv),
                "priority": sim.priority(id, conv),
                "assignee_id": sim.assignee(id, conv),
                "team_id": sim.team(id, conv),
                "messages": sim.messages(id, conv),
                "conversation": conversation,
            }),
        ),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such conversation" }),
        ),
    }
}

async fn mark_missing(State(app): State<App>, Path((id, conv)): Path<(u64, u64)>) -> StatusCode {
    app.sim.mark_missing_conversation(id, conv);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct IncomingBody {
    content: String,
}

async fn add_incoming(
    State(app): State<App>,
    Path((id, conv)): Path<(u64, u64)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let incoming = parse::<IncomingBody>(&body)?;
    let message = app.sim.add_incoming_message(id, conv, &incoming.content);
    Ok(json_response(StatusCode::CREATED, &message))
}

#[derive(Deserialize)]
struct HistoryBody {
    conversations: Vec<crate::SeedConversation>,
}

async fn seed_history(
    State(app): State<App>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let history = parse::<HistoryBody>(&body)?;
    let count = app
        .sim
        .seed_history(id, history.conversations)
        .map_err(bad_request)?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "conversations": count }),
    ))
}

//! The reply endpoints of the other platforms the pipeline serves, on the same server, recorder and faults as
//! Chatwoot's: Intercom (`POST /conversations/{id}/reply` and `/parts`), Zendesk
//! (`PUT /api/v2/tickets/{id}.json`, `PUT|POST /api/v2/tickets/{id}/tags.json`), Freshchat
//! (`POST /v2/conversations/{id}/messages`, `PUT /v2/conversations/{id}`) and a generic webhook receiver
//! (`POST /hooks/{name}`). Authentication accepts any token of the simulated accounts (so token rotation works
//! as for Chatwoot); errors have each platform's shape: Intercom's `error.list`, Zendesk's
//! `{"error","description"}`, Freshchat's `{"code","status","message"}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::platform_threads::{self, now_iso, store};
use crate::request::json_response;
use crate::routes::App;

pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/conversations/{id}/reply", post(intercom_reply))
        .route("/conversations/{id}/parts", post(intercom_part))
        .route("/api/v2/tickets/{file}", put(zendesk_ticket))
        .route(
            "/api/v2/tickets/{id}/tags.json",
            put(zendesk_tags).post(zendesk_tags),
        )
        .route(
            "/v2/conversations/{id}/messages",
            post(freshchat_message).get(platform_threads::freshchat_messages),
        )
        .route("/v2/conversations/{id}", put(freshchat_conversation))
        .route("/hooks/{name}", post(generic_hook))
        .merge(platform_threads::router())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

fn known_token(app: &App, token: &str) -> bool {
    app.sim.lock().token_owner(token).is_some()
}

fn json_body(body: &Bytes) -> Option<Value> {
    serde_json::from_slice(body).ok().filter(Value::is_object)
}

fn intercom_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({ "type": "error.list", "request_id": "sim", "errors": [{ "code": code, "message": message }] }),
    )
}

/// The refusal, if the request is not authenticated.
pub(crate) fn intercom_auth(app: &App, headers: &HeaderMap) -> Option<Response> {
    match bearer(headers) {
        Some(token) if known_token(app, &token) => None,
        _ => Some(intercom_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Access Token Invalid",
        )),
    }
}

async fn intercom_reply(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = intercom_auth(&app, &headers) {
        return refused;
    }
    let Some(body) = json_body(&body) else {
        return intercom_error(StatusCode::BAD_REQUEST, "parameter_invalid", "Invalid JSON");
    };
    let message_type = body.get("message_type").and_then(Value::as_str);
    if !matches!(message_type, Some("comment" | "note" | "quick_reply")) {
        return intercom_error(
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "message_type must be comment, note or quick_reply",
        );
    }
    if body.get("type").and_then(Value::as_str) != Some("admin") || body.get("admin_id").is_none() {
        return intercom_error(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "admin_id not found",
        );
    }
    if body
        .get("body")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return intercom_error(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "body not found",
        );
    }
    // Intercom keeps bodies as HTML.
    let text = body["body"].as_str().unwrap_or_default();
    let part = store(
        &app,
        "intercom",
        &id,
        json!({ "type": "conversation_part", "part_type": message_type,
                "body": format!("<p>{}</p>", html_escape(text)),
                "created_at": chrono::Utc::now().timestamp(),
                "author": { "type": "admin", "id": body["admin_id"] } }),
    );
    json_response(
        StatusCode::OK,
        &json!({ "type": "conversation", "id": id, "state": "open",
                 "conversation_parts": { "type": "conversation_part.list", "conversation_parts": [part] } }),
    )
}

async fn intercom_part(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = intercom_auth(&app, &headers) {
        return refused;
    }
    let Some(body) = json_body(&body) else {
        return intercom_error(StatusCode::BAD_REQUEST, "parameter_invalid", "Invalid JSON");
    };
    let state = match body.get("message_type").and_then(Value::as_str) {
        Some("close") => "closed",
        Some("open" | "assignment") => "open",
        Some("snoozed") => "snoozed",
        _ => {
            return intercom_error(
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
                "message_type must be close, snoozed, open or assignment",
            )
        }
    };
    json_response(
        StatusCode::OK,
        &json!({ "type": "conversation", "id": id, "state": state, "admin_assignee_id": body.get("assignee_id") }),
    )
}

/// The refusal, if the request is not authenticated.
pub(crate) fn zendesk_auth(app: &App, headers: &HeaderMap) -> Option<Response> {
    // `{email}/token:{api_token}`, base64 in a Basic header.
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| pair.split_once("/token:").map(|(_, t)| t.to_owned()));
    match token {
        Some(token) if known_token(app, &token) => None,
        _ => Some(json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "error": "Couldn't authenticate you" }),
        )),
    }
}

fn zendesk_invalid(description: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "error": "RecordInvalid", "description": "Record validation errors",
                 "details": { "base": [{ "description": description }] } }),
    )
}

async fn zendesk_ticket(
    State(app): State<App>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(id) = file
        .strip_suffix(".json")
        .filter(|id| id.parse::<u64>().is_ok())
    else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": "InvalidEndpoint", "description": "Not found" }),
        );
    };
    if let Some(refused) = zendesk_auth(&app, &headers) {
        return refused;
    }
    let Some(ticket) = json_body(&body).and_then(|b| b.get("ticket").cloned()) else {
        return zendesk_invalid("ticket is required");
    };
    if let Some(comment) = ticket.get("comment") {
        let Some(text) = comment
            .get("body")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
        else {
            return zendesk_invalid("Comment: cannot be blank");
        };
        // The API token's user is the author unless the request names another.
        let author = comment.get("author_id").cloned().unwrap_or(json!(900));
        store(
            &app,
            "zendesk",
            id,
            json!({ "type": "Comment", "body": text, "html_body": format!("<div><p>{}</p></div>", html_escape(text)),
                    "public": comment.get("public").and_then(Value::as_bool).unwrap_or(true),
                    "author_id": author, "created_at": now_iso() }),
        );
    }
    json_response(
        StatusCode::OK,
        &json!({ "ticket": { "id": id.parse::<u64>().unwrap_or_default(), "status": ticket.get("status").cloned().unwrap_or(json!("open")) },
                 "audit": { "events": [ticket] } }),
    )
}

async fn zendesk_tags(
    State(app): State<App>,
    Path(_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = zendesk_auth(&app, &headers) {
        return refused;
    }
    match json_body(&body).and_then(|b| b.get("tags").cloned()) {
        Some(tags @ Value::Array(_)) => json_response(StatusCode::OK, &json!({ "tags": tags })),
        _ => zendesk_invalid("tags must be a list"),
    }
}

fn freshchat_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({ "code": status.as_u16(), "status": code, "message": message }),
    )
}

/// The refusal, if the request is not authenticated.
pub(crate) fn freshchat_auth(app: &App, headers: &HeaderMap) -> Option<Response> {
    match bearer(headers) {
        Some(token) if known_token(app, &token) => None,
        _ => Some(freshchat_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid token",
        )),
    }
}

async fn freshchat_message(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = freshchat_auth(&app, &headers) {
        return refused;
    }
    let Some(body) = json_body(&body) else {
        return freshchat_error(StatusCode::BAD_REQUEST, "INVALID_VALUE", "invalid JSON");
    };
    let parts = body.get("message_parts").and_then(Value::as_array);
    if parts.is_none_or(Vec::is_empty) {
        return freshchat_error(
            StatusCode::BAD_REQUEST,
            "INVALID_VALUE",
            "message_parts must not be empty",
        );
    }
    if !matches!(
        body.get("actor_type").and_then(Value::as_str),
        Some("agent" | "user")
    ) || body.get("actor_id").is_none()
    {
        return freshchat_error(
            StatusCode::BAD_REQUEST,
            "INVALID_VALUE",
            "actor_type and actor_id are required",
        );
    }
    let mut message = body;
    message["conversation_id"] = json!(id);
    message["created_time"] = json!(now_iso());
    let message = store(&app, "freshchat", &id, message);
    json_response(StatusCode::OK, &message)
}

async fn freshchat_conversation(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = freshchat_auth(&app, &headers) {
        return refused;
    }
    let status = json_body(&body).and_then(|b| b.get("status").cloned());
    json_response(
        StatusCode::OK,
        &json!({ "conversation_id": id, "status": status }),
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A generic webhook receiver: takes anything (the tests check the recorded request's signature themselves).
async fn generic_hook(Path(name): Path<String>) -> Response {
    json_response(StatusCode::OK, &json!({ "received": true, "hook": name }))
}

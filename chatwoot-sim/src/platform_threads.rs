//! What the other platforms' write endpoints store, and the listing endpoints that read it back: Intercom's
//! `GET /conversations/{id}` (its conversation parts), Zendesk's `GET /api/v2/tickets/{id}/comments.json` and
//! Freshchat's `GET /v2/conversations/{id}/messages`. The dispatcher reads them to tell whether a reply whose
//! answer it never got did arrive. Also the "who am I" reads `cwctl doctor` checks credentials with: Intercom
//! `GET /me`, Zendesk `GET /api/v2/users/me.json`, Freshchat `GET /v2/agents/{id}`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{SecondsFormat, Utc};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

use crate::platforms::{freshchat_auth, intercom_auth, zendesk_auth};
use crate::request::json_response;
use crate::routes::App;

pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/conversations/{id}", get(intercom_conversation))
        .route("/api/v2/tickets/{id}/comments.json", get(zendesk_comments))
        .route("/me", get(intercom_me))
        .route("/api/v2/users/me.json", get(zendesk_me))
        .route("/v2/agents/{id}", get(freshchat_agent))
}

async fn intercom_me(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(refused) = intercom_auth(&app, &headers) {
        return refused;
    }
    json_response(
        StatusCode::OK,
        &json!({ "type": "admin", "id": "814860", "name": "Sim Admin", "email": "admin@sim.example" }),
    )
}

async fn zendesk_me(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(refused) = zendesk_auth(&app, &headers) {
        return refused;
    }
    json_response(
        StatusCode::OK,
        &json!({ "user": { "id": 900, "name": "Sim Agent", "role": "agent" } }),
    )
}

async fn freshchat_agent(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = freshchat_auth(&app, &headers) {
        return refused;
    }
    json_response(
        StatusCode::OK,
        &json!({ "id": id, "first_name": "Sim", "availability_status": "AVAILABLE" }),
    )
}

/// Appends `item` to the thread, with a fresh id under `id_key`; returns it as stored.
pub(crate) fn store(app: &App, platform: &str, conversation: &str, mut item: Value) -> Value {
    let mut inner = app.sim.lock();
    let id = inner.next_message_id();
    item["id"] = match platform {
        // Zendesk's ids are numbers, the others' strings.
        "zendesk" => json!(id),
        _ => json!(id.to_string()),
    };
    inner
        .platform_threads
        .entry(format!("{platform}:{conversation}"))
        .or_default()
        .push(item.clone());
    item
}

fn thread(app: &App, platform: &str, conversation: &str) -> Vec<Value> {
    app.sim.platform_messages(platform, conversation)
}

pub(crate) fn now_iso() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Intercom returns the conversation with (up to 500 of) its parts, oldest first.
async fn intercom_conversation(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = intercom_auth(&app, &headers) {
        return refused;
    }
    let parts = thread(&app, "intercom", &id);
    json_response(
        StatusCode::OK,
        &json!({ "type": "conversation", "id": id, "state": "open",
                 "conversation_parts": { "type": "conversation_part.list", "total_count": parts.len(),
                                         "conversation_parts": parts } }),
    )
}

/// Zendesk lists comments oldest first unless `sort_order=desc`, 100 a page (`page[size]`), with cursor links
/// the simulator never needs (`has_more` is false: threads stay short in tests).
async fn zendesk_comments(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = zendesk_auth(&app, &headers) {
        return refused;
    }
    let mut comments = thread(&app, "zendesk", &id);
    if query.get("sort_order").map(String::as_str) == Some("desc") {
        comments.reverse();
    }
    let size = query
        .get("page[size]")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(100);
    comments.truncate(size);
    json_response(
        StatusCode::OK,
        &json!({ "comments": comments, "meta": { "has_more": false }, "links": { "next": null } }),
    )
}

/// Freshchat lists a conversation's messages newest first, `items_per_page` (default 10) a page.
pub(crate) async fn freshchat_messages(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = freshchat_auth(&app, &headers) {
        return refused;
    }
    let mut messages = thread(&app, "freshchat", &id);
    messages.reverse();
    let size = query
        .get("items_per_page")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(10);
    messages.truncate(size);
    json_response(
        StatusCode::OK,
        &json!({ "messages": messages, "link": null }),
    )
}

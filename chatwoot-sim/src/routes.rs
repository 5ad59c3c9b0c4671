//! The Chatwoot REST endpoints: validation and state changes in the order
//! Chatwoot's controllers apply them.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{middleware, Router};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::model::{Actor, Assignee, StoredMessage, PRIORITIES, STATUSES};
use crate::request::{
    authenticate, authorize, bool_param, error, id_param, json_response, no_route, not_found,
    params, rails_exception, str_param, text_param, ApiResult,
};
use crate::state::SimState;
use crate::{control, recorder, views};

/// State shared by every handler.
#[derive(Clone)]
pub(crate) struct App {
    pub sim: SimState,
    pub shutdown: CancellationToken,
}

const CONV: &str = "/api/v1/accounts/{account_id}/conversations/{id}";

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route(CONV, get(show_conversation))
        .route(
            &format!("{CONV}/messages"),
            get(list_messages).post(create_message),
        )
        .route(&format!("{CONV}/labels"), get(list_labels).post(set_labels))
        .route(&format!("{CONV}/assignments"), post(assign))
        .route(&format!("{CONV}/toggle_status"), post(toggle_status))
        .route(&format!("{CONV}/toggle_priority"), post(toggle_priority))
        .route("/api/v1/profile", get(profile))
        .route(
            "/health",
            get(|| async { json_response(StatusCode::OK, &json!({"status": "woot"})) }),
        )
        .route(
            "/api",
            get(|| async { json_response(StatusCode::OK, &views::api_info()) }),
        )
        .merge(crate::dashboard_apps::router())
        .merge(crate::platforms::router())
        .nest("/__sim", control::router())
        // Rails has no notion of 405: a known path with another verb is no route.
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            recorder::record,
        ))
        .with_state(app)
}

type PathIds = Path<(String, String)>;
type Params = Query<HashMap<String, String>>;

async fn show_conversation(
    State(app): State<App>,
    Path((account, id)): PathIds,
    headers: HeaderMap,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    Ok(json_response(StatusCode::OK, &views::conversation(conv)))
}

const CONTENT_TYPES: [&str; 13] = [
    "text",
    "input_text",
    "input_textarea",
    "input_email",
    "input_select",
    "cards",
    "form",
    "article",
    "incoming_email",
    "input_csat",
    "integrations",
    "sticker",
    "voice_call",
];

const MAX_CONTENT_CHARS: usize = 150_000;

async fn create_message(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let p = params(query, &headers, &body)?;
    let message_type = match p.get("message_type") {
        None | Some(Value::Null) => 1,
        Some(v) => match v
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
            .as_str()
        {
            "outgoing" | "1" => 1,
            "activity" | "2" => 2,
            "template" | "3" => 3,
            // The simulated inbox is a web widget, not an API inbox.
            "incoming" | "0" => {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Incoming messages are only allowed in Api inboxes",
                ))
            }
            other => {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("'{other}' is not a valid message_type"),
                ))
            }
        },
    };
    let content_type = str_param(&p, "content_type").unwrap_or("text").to_owned();
    if !CONTENT_TYPES.contains(&content_type.as_str()) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("'{content_type}' is not a valid content_type"),
        ));
    }
    let content = match p.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if content.trim().is_empty() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Content can't be blank",
        ));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Content is too long (maximum is 150000 characters)",
        ));
    }
    // Chatwoot accepts content_attributes as an object or as a JSON string.
    let content_attributes = match p.get("content_attributes") {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => json!({}),
        },
        _ => json!({}),
    };
    let sender = if str_param(&p, "sender_type") == Some("AgentBot") {
        let bot = inner
            .accounts
            .get(&caller.account_id)
            .map(|a| a.agent_bot.clone());
        bot.filter(|b| id_param(&p, "sender_id").is_none_or(|id| id == b.id))
            .map_or(caller.actor.clone(), Actor::Bot)
    } else {
        caller.actor.clone()
    };
    let limit = inner.config.message_limit_per_minute;
    if !inner
        .conversation(caller.account_id, caller.conversation_id)
        .admit_message(limit)
    {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Too many messages",
        ));
    }
    let (created_at, updated_at) = crate::model::now();
    let message = StoredMessage {
        id: inner.next_message_id(),
        content,
        message_type,
        content_type,
        content_attributes,
        private: bool_param(&p, "private"),
        source_id: text_param(&p, "source_id"),
        echo_id: p.get("echo_id").filter(|v| !v.is_null()).cloned(),
        created_at,
        updated_at,
        sender,
    };
    let response = views::message(&message, caller.conversation_id, true);
    inner
        .conversation(caller.account_id, caller.conversation_id)
        .push_message(message);
    Ok(json_response(StatusCode::OK, &response))
}

/// Page size of Chatwoot's `MessageFinder`.
const PAGE: usize = 20;

async fn list_messages(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
) -> ApiResult {
    let mut inner = app.sim.lock();
    // Bots may not list messages in Chatwoot (not in BOT_ACCESSIBLE_ENDPOINTS).
    let caller = authorize(&inner, &headers, &account, &id, false)?;
    let before = query.get("before").and_then(|v| v.parse::<u64>().ok());
    let after = query.get("after").and_then(|v| v.parse::<u64>().ok());
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    let all = conv.messages.iter();
    let page: Vec<&StoredMessage> = match (after, before) {
        (Some(a), Some(b)) => all.filter(|m| m.id >= a && m.id < b).take(1000).collect(),
        (Some(a), None) => all.filter(|m| m.id > a).take(100).collect(),
        (None, b) => {
            let older: Vec<&StoredMessage> = all.filter(|m| b.is_none_or(|b| m.id < b)).collect();
            older[older.len().saturating_sub(PAGE)..].to_vec()
        }
    };
    Ok(json_response(
        StatusCode::OK,
        &views::messages_index(conv, &page),
    ))
}

async fn list_labels(
    State(app): State<App>,
    Path((account, id)): PathIds,
    headers: HeaderMap,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "payload": conv.labels }),
    ))
}

async fn set_labels(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let p = params(query, &headers, &body)?;
    let mut labels: Vec<String> = Vec::new();
    if let Some(Value::Array(items)) = p.get("labels") {
        for label in items.iter().filter_map(Value::as_str).map(str::trim) {
            if !label.is_empty() && !labels.iter().any(|l| l == label) {
                labels.push(label.to_owned());
            }
        }
    }
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    conv.labels = labels;
    conv.touch();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "payload": conv.labels }),
    ))
}

async fn assign(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let p = params(query, &headers, &body)?;
    let Some(account) = inner.accounts.get(&caller.account_id).cloned() else {
        return Err(not_found());
    };
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    let body = if p.contains_key("assignee_id") {
        let wanted = id_param(&p, "assignee_id");
        if str_param(&p, "assignee_type") == Some("AgentBot") {
            let bot = Some(account.agent_bot.clone()).filter(|b| Some(b.id) == wanted);
            conv.assignee = bot.clone().map(Assignee::Bot);
            bot.as_ref().map_or(Value::Null, views::agent_bot_slim)
        } else {
            let agent = account
                .agents
                .iter()
                .find(|a| Some(a.id) == wanted)
                .cloned();
            conv.assignee = agent.clone().map(Assignee::Agent);
            agent.map_or(Value::Null, |a| views::agent(&a, account.account_id))
        }
    } else if p.contains_key("team_id") {
        let wanted = id_param(&p, "team_id");
        let team = account.teams.iter().find(|t| Some(t.id) == wanted).cloned();
        conv.team = team.clone();
        team.map_or(Value::Null, |t| views::team(&t, account.account_id))
    } else {
        Value::Null
    };
    conv.touch();
    Ok(json_response(StatusCode::OK, &body))
}

async fn toggle_status(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let p = params(query, &headers, &body)?;
    let status = text_param(&p, "status");
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        // Assigning an unknown enum value raises ArgumentError in Rails.
        return Err(rails_exception(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let snoozed_until = id_param(&p, "snoozed_until").and_then(|s| i64::try_from(s).ok());
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    let bot_handoff = matches!(caller.actor, Actor::Bot(_))
        && conv.status == "pending"
        && status.as_deref() == Some("open");
    conv.set_status(status.as_deref(), snoozed_until);
    // Chatwoot auto-assigns an agent who opens an unassigned conversation.
    if let Actor::Agent(agent) = &caller.actor {
        if conv.status == "open" && conv.assignee.is_none() {
            conv.assignee = Some(Assignee::Agent(agent.clone()));
        }
    }
    // `bot_handoff!` skips the assignment of @status, so the view renders null.
    let success = if bot_handoff { None } else { Some(true) };
    Ok(json_response(
        StatusCode::OK,
        &views::toggle_status(conv, success),
    ))
}

async fn toggle_priority(
    State(app): State<App>,
    Path((account, id)): PathIds,
    Query(query): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let caller = authorize(&inner, &headers, &account, &id, true)?;
    let p = params(query, &headers, &body)?;
    let priority = text_param(&p, "priority");
    if priority
        .as_deref()
        .is_some_and(|s| !PRIORITIES.contains(&s))
    {
        return Err(rails_exception(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let conv = inner.conversation(caller.account_id, caller.conversation_id);
    conv.priority = priority;
    conv.touch();
    // `head :ok`
    Ok((StatusCode::OK, Body::empty()).into_response())
}

async fn profile(State(app): State<App>, headers: HeaderMap) -> ApiResult {
    let inner = app.sim.lock();
    let owner = authenticate(&inner, &headers, false)?;
    let token = headers
        .get("api_access_token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let accounts: Vec<_> = owner
        .accounts
        .iter()
        .filter_map(|id| inner.accounts.get(id))
        .collect();
    // `authenticate` already turned bots away.
    let Actor::Agent(user) = owner.actor else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Access to this endpoint is not authorized for bots",
        ));
    };
    Ok(json_response(
        StatusCode::OK,
        &views::profile(&user, &token, &accounts),
    ))
}

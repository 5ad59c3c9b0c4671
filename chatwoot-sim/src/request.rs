//! Request plumbing shared by the Chatwoot handlers: Rails-style responses,
//! authentication and parameter parsing.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use crate::model::Actor;
use crate::state::{Inner, TokenOwner};

/// Serialises like Rails' `render json:`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An error answer: a status and its JSON body.
#[derive(Debug)]
pub(crate) struct ApiError(pub StatusCode, pub Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.0, &self.1)
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

pub(crate) fn error(status: StatusCode, message: &str) -> ApiError {
    ApiError(status, json!({ "error": message }))
}

pub(crate) fn not_found() -> ApiError {
    error(StatusCode::NOT_FOUND, "Resource could not be found")
}

/// What Rails' public exception handler renders for a JSON request.
pub(crate) fn rails_exception(status: StatusCode) -> ApiError {
    ApiError(
        status,
        json!({ "status": status.as_u16(), "error": status.canonical_reason().unwrap_or("Error") }),
    )
}

pub(crate) async fn no_route() -> ApiError {
    rails_exception(StatusCode::NOT_FOUND)
}

/// Who is calling and on which conversation.
pub(crate) struct Caller {
    pub actor: Actor,
    pub account_id: u64,
    pub conversation_id: u64,
}

/// Authentication the way `Api::V1::Accounts::BaseController` chains it:
/// token presence, token validity, bot endpoint allow-list, account
/// existence, account membership, then the conversation lookup.
pub(crate) fn authorize(
    inner: &Inner,
    headers: &HeaderMap,
    account: &str,
    conversation: &str,
    bots_allowed: bool,
) -> Result<Caller, ApiError> {
    let owner = authenticate(inner, headers, bots_allowed)?;
    let account_id = account
        .parse::<u64>()
        .ok()
        .filter(|id| inner.accounts.contains_key(id))
        .ok_or_else(not_found)?;
    if !owner.accounts.contains(&account_id) {
        let message = match owner.actor {
            Actor::Bot(_) => "Bot is not authorized to access this account",
            _ => "You are not authorized to access this account",
        };
        return Err(error(StatusCode::UNAUTHORIZED, message));
    }
    let conversation_id = conversation
        .parse::<u64>()
        .ok()
        .filter(|id| !inner.missing.contains(&(account_id, *id)))
        .ok_or_else(not_found)?;
    Ok(Caller {
        actor: owner.actor,
        account_id,
        conversation_id,
    })
}

pub(crate) fn authenticate(
    inner: &Inner,
    headers: &HeaderMap,
    bots_allowed: bool,
) -> Result<TokenOwner, ApiError> {
    let token = headers
        .get("api_access_token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        // devise_token_auth's answer, hence the different key.
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            json!({"errors": ["You need to sign in or sign up before continuing."]}),
        ));
    };
    let owner = inner
        .token_owner(&token)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Invalid Access Token"))?;
    if matches!(owner.actor, Actor::Bot(_)) && !bots_allowed {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Access to this endpoint is not authorized for bots",
        ));
    }
    Ok(owner)
}

/// Rails merges query and body parameters; the body wins.
pub(crate) fn params(
    query: HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, ApiError> {
    let mut out: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    // Like Rails, a body in another format is not parsed as JSON.
    if is_json && !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => out.extend(map),
            Ok(_) => {}
            Err(_) => return Err(rails_exception(StatusCode::BAD_REQUEST)),
        }
    }
    Ok(out)
}

pub(crate) fn str_param<'a>(p: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str)
}

/// ActiveModel boolean casting.
pub(crate) fn bool_param(p: &Map<String, Value>, key: &str) -> bool {
    match p.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "1" | "t" | "true" | "on")
        }
        _ => false,
    }
}

pub(crate) fn id_param(p: &Map<String, Value>, key: &str) -> Option<u64> {
    match p.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `params[:x].present?` for scalars, rendered as text.
pub(crate) fn text_param(p: &Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

//! Dashboard apps: the pages Chatwoot frames in a conversation's tabs (Settings → Integrations → Dashboard
//! apps). `POST` stores one and `GET` lists them, in the shape of Chatwoot's `_dashboard_app` partial
//! (`id`, `title`, `content`, `created_at`, `show_on_sidebar`). Chatwoot checks `content` against a schema: a
//! non-empty array of `{"type": "frame", "url": "http(s)://…"}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::request::{authenticate, error, json_response, not_found, ApiError, ApiResult};
use crate::routes::App;
use crate::state::Inner;

pub(crate) fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/accounts/{account_id}/dashboard_apps",
        get(list).post(create),
    )
}

/// Token, then account membership, as `Api::V1::Accounts::BaseController` does; bots may not manage apps.
fn account(inner: &Inner, headers: &HeaderMap, account: &str) -> Result<u64, ApiError> {
    let owner = authenticate(inner, headers, false)?;
    let id = account
        .parse::<u64>()
        .ok()
        .filter(|id| inner.accounts.contains_key(id))
        .ok_or_else(not_found)?;
    if !owner.accounts.contains(&id) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "You are not authorized to access this account",
        ));
    }
    Ok(id)
}

async fn list(
    State(app): State<App>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let inner = app.sim.lock();
    let id = account(&inner, &headers, &account_id)?;
    let apps: Vec<Value> = inner
        .dashboard_apps
        .iter()
        .filter(|(account, _)| *account == id)
        .map(|(_, app)| app.clone())
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(apps)))
}

async fn create(
    State(app): State<App>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let mut inner = app.sim.lock();
    let id = account(&inner, &headers, &account_id)?;
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let fields = &params["dashboard_app"];
    let title = fields["title"].as_str().map(str::trim).unwrap_or_default();
    if title.is_empty() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Title can't be blank",
        ));
    }
    let content = &fields["content"];
    if !valid_content(content) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Content : Invalid data",
        ));
    }
    let app_id = inner.dashboard_apps.len() as u64 + 1;
    let created = json!({
        "id": app_id,
        "title": title,
        "content": content,
        "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "show_on_sidebar": fields["show_on_sidebar"].as_bool().unwrap_or(false),
    });
    inner.dashboard_apps.push((id, created.clone()));
    Ok(json_response(StatusCode::OK, &created))
}

fn valid_content(content: &Value) -> bool {
    content.as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|item| {
                item["type"] == "frame"
                    && item["url"].as_str().is_some_and(|url| {
                        url.starts_with("https://") || url.starts_with("http://")
                    })
            })
    })
}

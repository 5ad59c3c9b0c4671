//! Console sessions: an agent proves who they are with their own Chatwoot access token, which the API checks
//! against the tenant's Chatwoot (`GET /api/v1/profile`); the answer is a signed, expiring token whose commands
//! record that agent as their actor. `GET /api/v1/me` says who a token speaks for.

use axum::extract::State;
use axum::Json;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::model::{ActorView, Me};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The agent's Chatwoot access token (Profile settings → Access token).
    #[schema(pattern = "^[!-~]{1,200}$")]
    pub chatwoot_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agent {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionToken {
    /// Use as `Authorization: Bearer <token>`; it carries the API key's scope.
    pub token: String,
    pub agent: Agent,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    id: u64,
    #[serde(default)]
    available_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    accounts: Vec<Membership>,
}

#[derive(Debug, Deserialize)]
struct Membership {
    id: u64,
}

/// `POST /api/v1/session`
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SessionRequest,
    responses((status = 200, body = SessionToken),
              (status = 400, body = ErrorBody, description = "Bad body, or Chatwoot refused the token (field `chatwoot_token`)"),
              (status = 401, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Json<SessionToken>> {
    let request: SessionRequest = crate::params::json_body(&body)?;
    let token = request.chatwoot_token.trim();
    if token.is_empty() || token.len() > 200 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "chatwoot_token",
            "1-200 visible ASCII characters",
        ));
    }
    let tenant = state
        .infra
        .tenants
        .get(&caller.tenant)
        .await
        .map_err(|e| ApiError::Unavailable(format!("tenant registry: {e}")))?
        .ok_or_else(|| ApiError::Unauthorized("the key's tenant is gone".into()))?;
    let url = format!(
        "{}/api/v1/profile",
        tenant.chatwoot_base_url.trim_end_matches('/')
    );
    let response = state
        .http
        .get(&url)
        .header("api_access_token", token)
        .timeout(state.config.chatwoot_profile_timeout)
        .send()
        .await
        .map_err(|error| {
            tracing::warn!(%error, "Chatwoot profile check failed");
            ApiError::Unavailable("Chatwoot did not answer the profile check, retry later".into())
        })?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(chatwoot_refused("Chatwoot refused this access token"));
    }
    if !status.is_success() {
        tracing::warn!(%status, "Chatwoot profile check answered an error");
        return Err(ApiError::Unavailable(format!(
            "Chatwoot answered the profile check with {status}, retry later"
        )));
    }
    let profile: Profile = response.json().await.map_err(|error| {
        tracing::warn!(%error, "Chatwoot profile unreadable");
        ApiError::Unavailable("Chatwoot's profile answer was unreadable".into())
    })?;
    // The token must belong to an agent of this tenant's Chatwoot account, not merely of the same server.
    if !profile.accounts.iter().any(|a| a.id == tenant.account_id) {
        return Err(chatwoot_refused(
            "this agent is not a member of the tenant's Chatwoot account",
        ));
    }
    let name = profile
        .available_name
        .or(profile.name)
        .unwrap_or_else(|| format!("agent {}", profile.id));
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.config.session_ttl)
            .unwrap_or(chrono::Duration::hours(12));
    let session = Session {
        key: caller.key_id.clone(),
        tenant: caller.tenant.clone(),
        agent_id: profile.id,
        agent_name: name.clone(),
        agent_email: profile.email.clone(),
        expires_at: expires_at.timestamp(),
    };
    Ok(Json(SessionToken {
        token: state.session_key.sign(&session),
        agent: Agent {
            id: profile.id,
            name,
            email: profile.email,
        },
        expires_at: DateTime::from_timestamp(expires_at.timestamp(), 0).unwrap_or(expires_at),
    }))
}

fn chatwoot_refused(message: &str) -> ApiError {
    ApiError::Invalid {
        field: Some("chatwoot_token".into()),
        message: message.to_owned(),
    }
}

/// `GET /api/v1/me`
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        tenant: caller.tenant,
        scope: caller.scope.as_str().to_owned(),
        actor: ActorView {
            kind: caller.actor.kind.as_str().to_owned(),
            id: caller.actor.id,
            name: Some(caller.actor.name),
        },
    })
}

//! Who is calling: an API key (`cwk_<id>_<secret>`) or a console session token (`cws_<payload>.<mac>`) made by
//! `POST /api/v1/session` for an agent Chatwoot vouched for. Every handler takes a [`Caller`]; every query it
//! runs is confined to `caller.tenant`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use infra::api_keys::{self, Scope};
use proto::{Actor, ActorKind};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;
use crate::AppState;

const SESSION_PREFIX: &str = "cws_";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    pub scope: Scope,
    /// The API key itself, or the agent of a console session (recorded as the actor of its commands).
    pub actor: Actor,
    pub key_id: String,
}

impl Caller {
    pub fn require_write(&self) -> Result<(), ApiError> {
        match self.scope {
            Scope::Write => Ok(()),
            Scope::Read => Err(ApiError::Forbidden(
                "this token is read-only; writes need a key with scope write".into(),
            )),
        }
    }
}

/// What a session token carries, signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    /// The API key the session was opened with: revoking it ends the session.
    pub key: String,
    pub tenant: String,
    pub agent_id: u64,
    pub agent_name: String,
    pub agent_email: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Signs and checks session tokens with the server's secret.
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

impl SessionKey {
    /// From `SESSION_SECRET`, or else derived from `SECRETS_KEY` (shared by every replica already).
    pub fn new(session_secret: Option<&str>, secrets_key: &str) -> Self {
        match session_secret {
            Some(secret) if !secret.is_empty() => Self(secret.as_bytes().to_vec()),
            _ => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secrets_key.as_bytes())
                    .expect("HMAC takes keys of any length");
                mac.update(b"chatwoot-pipeline api session tokens");
                Self(mac.finalize().into_bytes().to_vec())
            }
        }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    pub fn sign(&self, session: &Session) -> String {
        let payload = serde_json::to_vec(session).unwrap_or_default();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!(
            "{SESSION_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The session a token carries, if this server signed it and it has not expired.
    pub fn open(&self, token: &str, now: i64) -> Option<Session> {
        let (payload, tag) = token.strip_prefix(SESSION_PREFIX)?.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&payload).verify_slice(&tag).ok()?;
        let session: Session = serde_json::from_slice(&payload).ok()?;
        (session.expires_at > now).then_some(session)
    }
}

/// The bearer token of a request: `Authorization: Bearer <token>`.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks a token against the keys (and the session signature).
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let refused = || ApiError::Unauthorized("unknown, revoked or expired token".into());
    let now = chrono::Utc::now().timestamp();
    let session = if token.starts_with(SESSION_PREFIX) {
        Some(state.session_key.open(token, now).ok_or_else(refused)?)
    } else {
        None
    };
    let client = state.infra.pool.get().await?;
    let key = match &session {
        Some(session) => api_keys::by_id(&client, &session.key).await?,
        None => api_keys::verify(&client, token).await?,
    }
    .ok_or_else(refused)?;
    touch(state, &key);
    if let Some(session) = session {
        if session.tenant != key.tenant {
            return Err(refused());
        }
        return Ok(Caller {
            tenant: key.tenant,
            scope: key.scope,
            actor: Actor {
                kind: ActorKind::Agent,
                id: session.agent_id.to_string(),
                name: session.agent_name,
            },
            key_id: key.id,
        });
    }
    Ok(Caller {
        tenant: key.tenant,
        scope: key.scope,
        actor: Actor {
            kind: ActorKind::ApiKey,
            id: key.id.clone(),
            name: key.name,
        },
        key_id: key.id,
    })
}

/// Records when a key was last used, at most once a minute per key (a write per request would be a write per
/// read); not waited for.
fn touch(state: &AppState, key: &api_keys::ApiKey) {
    let fresh = key
        .last_used_at
        .is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::minutes(1));
    if fresh {
        return;
    }
    let (pool, id) = (state.infra.pool.clone(), key.id.clone());
    tokio::spawn(async move {
        if let Ok(client) = pool.get().await {
            let _ = client
                .execute(
                    "UPDATE api_keys SET last_used_at = now() WHERE id = $1",
                    &[&id],
                )
                .await;
        }
    });
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Unauthorized("missing `Authorization: Bearer <token>`".into())
        })?;
        authenticate(state, token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_at: i64) -> Session {
        Session {
            key: "0123456789abcdef".into(),
            tenant: "acme".into(),
            agent_id: 17,
            agent_name: "Jonas Berg".into(),
            agent_email: None,
            expires_at,
        }
    }

    #[test]
    fn sessions_open_only_when_signed_by_us_and_unexpired() {
        let key = SessionKey::new(None, "k1");
        let token = key.sign(&session(2000));
        assert_eq!(key.open(&token, 1000), Some(session(2000)));
        assert_eq!(key.open(&token, 2000), None, "expired");
        assert_eq!(SessionKey::new(None, "k2").open(&token, 1000), None);
        assert_eq!(SessionKey::new(Some("s"), "k1").open(&token, 1000), None);
        // A payload changed after signing fails the check.
        let (_, tag) = token.split_once('.').unwrap_or_default();
        let forged = format!(
            "{SESSION_PREFIX}{}.{tag}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&session(9999)).unwrap_or_default())
        );
        assert_eq!(key.open(&forged, 1000), None);
    }
}

//! Every write becomes a command event (`proto::Command`) on the conversation's partition of the events stream,
//! carried out by the worker in the conversation's order like a webhook. The API never calls Chatwoot and never
//! writes a decision itself: it claims the idempotency key, publishes, and answers 202 with where to follow it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use proto::{Command, CommandKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The answer to every write.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Accepted {
    /// Always `accepted`: the command is on the events stream; its outcome is at `follow`.
    pub status: &'static str,
    pub idempotency_key: String,
    /// The worker's ledger key: `{tenant}:command:{idempotency key}`.
    pub event_key: String,
    /// `post_message`, `update_conversation`, `escalate`, `approve_draft` or `reject_draft`.
    pub command: String,
    pub conversation_id: u64,
    /// `/api/v1/commands/{idempotency key}`.
    pub follow: String,
}

/// What became of a command.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandStatus {
    /// `pending` (not carried out yet), `applied` or `refused` (`detail` says why).
    pub status: &'static str,
    pub detail: Option<String>,
    pub idempotency_key: String,
    pub command: String,
    pub conversation_id: u64,
    pub event_key: String,
    pub actor: Option<crate::model::ActorView>,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    pub processed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The `Idempotency-Key` header: 1-200 visible ASCII characters (it becomes part of a NATS message id).
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let field = "Idempotency-Key";
    let value = headers
        .get(IDEMPOTENCY_HEADER)
        .ok_or_else(|| ApiError::invalid(field, "writes need an Idempotency-Key header"))?;
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| ApiError::invalid(field, "1-200 visible ASCII characters, no spaces"))?;
    Ok(key.to_owned())
}

/// SHA-256 of what is asked: the command, its conversation and its fields (not who asks).
pub fn request_hash(kind: &str, conversation_id: u64, request: &impl Serialize) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    hasher.update(b"\n");
    hasher.update(conversation_id.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(request).unwrap_or_default());
    hasher.finalize().to_vec()
}

/// Claims the key, publishes the command and answers 202. The same key with the same request is published
/// again (JetStream's duplicate window and the worker's ledger keep one event), so a crash between claim and
/// publish is healed by the client's retry; the same key with another request is 409.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    conversation_id: u64,
    kind: CommandKind,
    request: &impl Serialize,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    caller.require_write()?;
    let key = idempotency_key(headers)?;
    let name = kind.name();
    let hash = request_hash(name, conversation_id, request);
    claim(state, caller, &key, &hash, name, conversation_id).await?;
    let command = Command {
        idempotency_key: key.clone(),
        tenant: caller.tenant.clone(),
        conversation_id,
        actor: caller.actor.clone(),
        requested_at_ms: chrono::Utc::now().timestamp_millis(),
        request_hash: hash,
        kind,
    };
    publish(state, &command).await?;
    state.metrics.command(name);
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "accepted",
            event_key: command.event_key(),
            command: name.to_owned(),
            conversation_id,
            follow: format!("/api/v1/commands/{}", url_segment(&key)),
            idempotency_key: key,
        }),
    ))
}

/// The key as a path segment (it may hold `/`, `?`, `%`...).
fn url_segment(key: &str) -> String {
    url::form_urlencoded::byte_serialize(key.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn claim(
    state: &AppState,
    caller: &Caller,
    key: &str,
    hash: &[u8],
    name: &str,
    conversation_id: u64,
) -> ApiResult<()> {
    let client = state.infra.pool.get().await?;
    let conversation = i64::try_from(conversation_id).unwrap_or(i64::MAX);
    let statement = client
        .prepare_cached(
            "INSERT INTO api_requests (tenant, idempotency_key, request_hash, command, conversation_id)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .await?;
    let inserted = client
        .execute(
            &statement,
            &[&caller.tenant, &key, &hash, &name, &conversation],
        )
        .await?;
    if inserted == 1 {
        return Ok(());
    }
    let statement = client
        .prepare_cached(
            "SELECT request_hash FROM api_requests WHERE tenant = $1 AND idempotency_key = $2",
        )
        .await?;
    let stored: Vec<u8> = client
        .query_one(&statement, &[&caller.tenant, &key])
        .await?
        .get(0);
    if stored == hash {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "Idempotency-Key `{key}` was used for another request"
        )))
    }
}

async fn publish(state: &AppState, command: &Command) -> ApiResult<()> {
    let envelope = command.envelope(chrono::Utc::now().timestamp_millis());
    let partition =
        infra::topology::conversation_partition(&command.tenant, command.conversation_id);
    let subject = state
        .infra
        .topology
        .event_subject(&command.tenant, partition);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
    let js = &state.infra.jetstream;
    let payload = envelope.encode_to_vec();
    let publish = async move {
        js.publish_with_headers(subject, headers, payload.into())
            .await?
            .await
    };
    match tokio::time::timeout(state.config.api_publish_timeout, publish).await {
        Ok(Ok(_ack)) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "command not acknowledged");
            Err(ApiError::Unavailable(
                "events stream unavailable, retry with the same Idempotency-Key".into(),
            ))
        }
        Err(_) => Err(ApiError::Unavailable(
            "events stream did not acknowledge in time, retry with the same Idempotency-Key".into(),
        )),
    }
}

/// `GET /api/v1/commands/{key}`
#[utoipa::path(get, path = "/api/v1/commands/{key}", tag = "commands",
    params(("key" = String, Path, description = "The Idempotency-Key of the write")),
    responses(
        (status = 200, body = CommandStatus),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> ApiResult<Json<CommandStatus>> {
    // A key no write could have been given (a NUL, which PostgreSQL text cannot hold, among them) is unknown.
    if !((1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(ApiError::NotFound(format!(
            "command `{}`",
            key.escape_debug()
        )));
    }
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT status, detail, kind, conversation_id, event_key, actor_kind, actor_id, actor_name,
                    requested_at, processed_at
             FROM commands WHERE tenant = $1 AND idempotency_key = $2",
        )
        .await?;
    if let Some(row) = client
        .query_opt(&statement, &[&caller.tenant, &key])
        .await?
    {
        let status: String = row.get(0);
        return Ok(Json(CommandStatus {
            status: if status == "applied" {
                "applied"
            } else {
                "refused"
            },
            detail: row.get(1),
            command: row.get(2),
            conversation_id: u64::try_from(row.get::<_, i64>(3)).unwrap_or(0),
            event_key: row.get(4),
            actor: Some(crate::model::ActorView {
                kind: row.get(5),
                id: row.get(6),
                name: row.get(7),
            }),
            requested_at: row.get(8),
            processed_at: row.get(9),
            idempotency_key: key,
        }));
    }
    let statement = client
        .prepare_cached(
            "SELECT command, conversation_id, requested_at FROM api_requests
             WHERE tenant = $1 AND idempotency_key = $2",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&caller.tenant, &key])
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("command `{key}`")))?;
    Ok(Json(CommandStatus {
        status: "pending",
        detail: None,
        command: row.get(0),
        conversation_id: u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
        event_key: format!("{}:command:{key}", caller.tenant),
        actor: None,
        requested_at: row.get(2),
        processed_at: None,
        idempotency_key: key,
    }))
}

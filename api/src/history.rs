//! Message history across platforms: what customers sent (`incoming`, `received`), what the pipeline sent
//! (`outgoing`: its replies and notes, `pending` until the dispatcher's ledger says `sent` or `failed`) and what
//! the team's agents sent (`agent_outgoing`, as their platform reported it). Read from what is already stored:
//! `messages` (the pipeline's own messages echoed back are left out there: its ledger holds them) and
//! `dispatched_actions`. A tenant lives on one platform, so every row carries the tenant's.
//!
//! Keyset-paged newest first on (time, key); the key is `m:<message id, 20 digits>` or `a:<action id>`, so the
//! two sources interleave in one order that a cursor can resume.

use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use proto::{Action, ActionKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::params::Params;
use crate::sql::Sql;
use crate::AppState;

const DIRECTIONS: [&str; 3] = ["incoming", "outgoing", "agent_outgoing"];
const STATUSES: [&str; 4] = ["received", "pending", "sent", "failed"];

/// The history's filters (documentation of the query string, which [`Params`] reads).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct HistoryFilters {
    /// chatwoot, generic, intercom, zendesk or freshchat: messages of another platform than the tenant's are none.
    #[param(pattern = "^(chatwoot|generic|intercom|zendesk|freshchat)$")]
    platform: Option<String>,
    /// incoming (customers), outgoing (the pipeline), agent_outgoing (the team's agents).
    #[param(pattern = "^(incoming|outgoing|agent_outgoing)$")]
    direction: Option<String>,
    /// received (incoming), pending, sent or failed (outgoing; an agent's message is sent).
    #[param(pattern = "^(received|pending|sent|failed)$")]
    status: Option<String>,
    #[param(minimum = 0)]
    conversation_id: Option<i64>,
    /// RFC 3339; messages at or after.
    since: Option<String>,
    /// RFC 3339; messages before.
    until: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// One message of the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryMessage {
    /// `m:<message id>` for a message the platform reported, `a:<action id>` for one the pipeline sent.
    pub id: String,
    pub platform: String,
    /// `incoming`, `outgoing` or `agent_outgoing`.
    pub direction: String,
    /// `received`, `pending`, `sent` or `failed`.
    pub status: String,
    pub conversation_id: u64,
    /// Internal note (a draft awaiting approval is one) rather than a reply the customer sees.
    pub private: bool,
    pub content: Option<String>,
    /// For the pipeline's messages: attempts so far, and the last error of a pending or failed one.
    pub attempts: Option<u32>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A page of the history; `next_cursor` is null on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub data: Vec<HistoryMessage>,
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/messages`
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(HistoryFilters),
    responses((status = 200, body = HistoryPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<HistoryPage>> {
    let platform = params.one_of("platform", &infra::Platform::ALL.map(|p| p.as_str()))?;
    let direction = params.one_of("direction", &DIRECTIONS)?;
    let status = params.one_of("status", &STATUSES)?;
    let conversation = params.id("conversation_id")?;
    let since = params.time("since")?;
    let until = params.time("until")?;
    if let (Some(since), Some(until)) = (since, until) {
        if since >= until {
            return Err(ApiError::invalid("since", "must be before until"));
        }
    }
    let limit = params.limit()?;
    let cursor = params
        .str("cursor")
        .map(|c| {
            decode_cursor(c)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave"))
        })
        .transpose()?;
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached("SELECT platform FROM tenants WHERE id = $1")
        .await?;
    let tenant_platform: String = client
        .query_opt(&statement, &[&caller.tenant])
        .await?
        .map_or_else(|| "chatwoot".to_owned(), |row| row.get(0));
    if platform.is_some_and(|p| p != tenant_platform) {
        return Ok(Json(HistoryPage {
            data: Vec::new(),
            next_cursor: None,
        }));
    }

    let mut sql = Sql::new("");
    let tenant = sql.param(caller.tenant.clone());
    let n = sql.param(limit + 1);
    let time = |sql: &mut Sql, column: &str, key: &str| {
        let mut where_ = String::new();
        if let Some(since) = since {
            where_ += &format!(" AND {column} >= {}", sql.param(since));
        }
        if let Some(until) = until {
            where_ += &format!(" AND {column} < {}", sql.param(until));
        }
        if let Some((at, after)) = &cursor {
            let at = sql.param(*at);
            let after = sql.param(after.clone());
            where_ += &format!(" AND ({column}, {key}) < ({at}, {after})");
        }
        if let Some(id) = conversation {
            where_ += &format!(" AND conversation_id = {}", sql.param(id));
        }
        where_
    };
    let mut branches = Vec::new();
    // Customers' and agents' messages, as the platform reported them.
    let message_types = match (direction, status) {
        (Some("incoming"), None | Some("received")) | (None, Some("received")) => vec!["incoming"],
        (Some("agent_outgoing"), None | Some("sent")) => vec!["outgoing"],
        (None, None) => vec!["incoming", "outgoing"],
        (None, Some("sent")) => vec!["outgoing"],
        _ => vec![],
    };
    if !message_types.is_empty() {
        let key = "'m:' || lpad(message_id::text, 20, '0')";
        let filters = time(&mut sql, "created_at", key);
        let types = sql.param(
            message_types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>(),
        );
        branches.push(format!(
            "(SELECT {key} AS key, created_at AS at, message_type, private, content, conversation_id,
                     NULL::text AS state, NULL::int AS attempts, NULL::text AS error, NULL::bytea AS payload
              FROM messages
              WHERE tenant = {tenant} AND message_type = ANY({types}) AND created_at IS NOT NULL
                AND NOT own AND (message_type = 'incoming' OR sender_kind = 'user'){filters}
              ORDER BY at DESC, key DESC LIMIT {n})"
        ));
    }
    // The pipeline's replies and notes, by the ledger's state.
    let states: Option<&[&str]> = match (direction, status) {
        (Some("outgoing") | None, None) => {
            Some(&["sending", "retrying", "uncertain", "delivered", "dead"])
        }
        (Some("outgoing") | None, Some("pending")) => Some(&["sending", "retrying", "uncertain"]),
        (Some("outgoing") | None, Some("sent")) => Some(&["delivered"]),
        (Some("outgoing") | None, Some("failed")) => Some(&["dead"]),
        _ => None,
    };
    if let Some(states) = states {
        let key = "'a:' || action_id";
        let filters = time(&mut sql, "created_at", key);
        let states = sql.param(states.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        branches.push(format!(
            "(SELECT {key} AS key, created_at AS at, 'action' AS message_type, kind = 'private_note' AS private,
                     NULL::text AS content, conversation_id, state, attempts, last_error AS error, payload
              FROM dispatched_actions
              WHERE tenant = {tenant} AND kind IN ('send_message', 'private_note') AND state = ANY({states})
                {filters}
              ORDER BY at DESC, key DESC LIMIT {n})"
        ));
    }
    if branches.is_empty() {
        return Ok(Json(HistoryPage {
            data: Vec::new(),
            next_cursor: None,
        }));
    }
    sql.push(&format!(
        "SELECT * FROM ({}) h ORDER BY at DESC, key DESC LIMIT {n}",
        branches.join(" UNION ALL ")
    ));
    let rows = sql.query(&client).await?;
    let mut data: Vec<HistoryMessage> = rows
        .iter()
        .map(|row| history_message(row, &tenant_platform))
        .collect();
    let next_cursor = if data.len() > usize::try_from(limit).unwrap_or(50) {
        data.truncate(usize::try_from(limit).unwrap_or(50));
        data.last().map(|m| encode_cursor(m.at, &m.id))
    } else {
        None
    };
    Ok(Json(HistoryPage { data, next_cursor }))
}

fn history_message(row: &tokio_postgres::Row, platform: &str) -> HistoryMessage {
    let key: String = row.get("key");
    let message_type: String = row.get("message_type");
    let conversation_id = u64::try_from(row.get::<_, i64>("conversation_id")).unwrap_or(0);
    let (direction, status, content, attempts) = match message_type.as_str() {
        "incoming" => ("incoming", "received", row.get("content"), None),
        "outgoing" => ("agent_outgoing", "sent", row.get("content"), None),
        _ => {
            let status = match row.get::<_, &str>("state") {
                "delivered" => "sent",
                "dead" => "failed",
                _ => "pending",
            };
            let content =
                row.get::<_, Option<&[u8]>>("payload")
                    .and_then(|p| Action::decode(p).ok())
                    .and_then(|a| match a.kind {
                        ActionKind::SendMessage { content }
                        | ActionKind::PrivateNote { content } => Some(content),
                        _ => None,
                    });
            let attempts = row
                .get::<_, Option<i32>>("attempts")
                .map(|a| u32::try_from(a).unwrap_or(0));
            ("outgoing", status, content, attempts)
        }
    };
    HistoryMessage {
        id: key,
        platform: platform.to_owned(),
        direction: direction.to_owned(),
        status: status.to_owned(),
        conversation_id,
        private: row.get("private"),
        content,
        attempts,
        error: if status == "sent" {
            None
        } else {
            row.get("error")
        },
        at: row.get("at"),
    }
}

fn encode_cursor(at: DateTime<Utc>, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{key}", at.timestamp_micros()))
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, String)> {
    let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (at, key) = raw.split_once('|')?;
    if !(key.starts_with("m:") || key.starts_with("a:")) {
        return None;
    }
    Some((
        DateTime::from_timestamp_micros(at.parse().ok()?)?,
        key.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cursors_round_trip_and_refuse_others() {
        let at = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default();
        let cursor = super::encode_cursor(at, "a:acme:message_created:1#0");
        assert_eq!(
            super::decode_cursor(&cursor),
            Some((at, "a:acme:message_created:1#0".to_owned()))
        );
        assert_eq!(super::decode_cursor("bm9wZQ"), None);
    }
}

//! Conversations: the list (filters, full-text search over messages, keyset pagination newest first), one
//! conversation with its triage, its messages, and the writes (post a message, change it, escalate), which
//! become commands.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;
use proto::{CommandKind, ConversationStatus, ConversationUpdate, Priority};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commands::{self, Accepted};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::model::{
    to_u64, Contact, Conversation, ConversationDetail, ConversationPage, LastMessage, Message,
    MessagePage, Sender,
};
use crate::params::{json_body, parse_id, Cursor, Params};
use crate::sql::Sql;
use crate::AppState;

const STATUSES: [&str; 4] = ["open", "resolved", "pending", "snoozed"];
const PRIORITIES: [&str; 5] = ["urgent", "high", "medium", "low", "none"];

/// The conversation list's filters (documentation of the query string, which [`Params`] reads).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ConversationFilters {
    /// open, resolved, pending or snoozed.
    #[param(pattern = "^(open|resolved|pending|snoozed)$")]
    status: Option<String>,
    /// urgent, high, medium, low or none.
    #[param(pattern = "^(urgent|high|medium|low|none)$")]
    priority: Option<String>,
    #[param(minimum = 0)]
    assignee_id: Option<i64>,
    #[param(minimum = 0)]
    team_id: Option<i64>,
    #[param(minimum = 0)]
    inbox_id: Option<i64>,
    label: Option<String>,
    /// A triage category (orders, billing, ...).
    category: Option<String>,
    /// legal, fraud, or any (escalated at all).
    #[param(pattern = "^(legal|fraud|any)$")]
    escalation: Option<String>,
    /// Words searched in the conversation's messages (all of them, as written).
    q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The page parameters of lists without other filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

const CONVERSATION_COLUMNS: &str = "
    SELECT c.conversation_id, c.inbox_id, c.status, c.priority, c.assignee_id, c.team_id, c.labels, c.categories,
           c.escalation, c.language, c.bot_state, c.last_event_at, c.created_at,
           ct.contact_id, ct.name, ct.email,
           lm.message_id, lm.content, lm.message_type, lm.created_at,
           (SELECT count(*) FROM drafts d
            WHERE d.tenant = c.tenant AND d.conversation_id = c.conversation_id AND d.status = 'pending'),
           (SELECT t.platform FROM tenants t WHERE t.id = c.tenant)
    FROM conversations c
    LEFT JOIN contacts ct ON ct.tenant = c.tenant AND ct.contact_id = c.contact_id
    LEFT JOIN LATERAL (SELECT m.message_id, m.content, m.message_type, m.created_at FROM messages m
                       WHERE m.tenant = c.tenant AND m.conversation_id = c.conversation_id
                       ORDER BY m.created_at DESC, m.message_id DESC LIMIT 1) lm ON true
    WHERE c.tenant = ";

fn conversation(row: &tokio_postgres::Row) -> Conversation {
    let bot_state: String = row.get(10);
    Conversation {
        id: to_u64(row.get(0)),
        inbox_id: row.get::<_, Option<i64>>(1).map(to_u64),
        status: row.get(2),
        priority: row.get(3),
        assignee_id: row.get::<_, Option<i64>>(4).map(to_u64),
        team_id: row.get::<_, Option<i64>>(5).map(to_u64),
        labels: row.get(6),
        categories: row.get(7),
        escalation: row.get(8),
        language: row.get(9),
        bot_silenced: bot_state != "active",
        last_event_at: row.get(11),
        created_at: row.get(12),
        contact: row.get::<_, Option<i64>>(13).map(|id| Contact {
            id: to_u64(id),
            name: row.get(14),
            email: row.get(15),
        }),
        last_message: row.get::<_, Option<i64>>(16).map(|id| LastMessage {
            id: to_u64(id),
            content: row.get(17),
            message_type: row.get(18),
            created_at: row.get(19),
        }),
        pending_drafts: row.get(20),
        platform: row
            .get::<_, Option<String>>(21)
            .unwrap_or_else(|| "chatwoot".to_owned()),
    }
}

/// `GET /api/v1/conversations`
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationFilters),
    responses((status = 200, body = ConversationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<ConversationPage>> {
    let limit = params.limit()?;
    let cursor = params.cursor()?;
    let mut sql = Sql::new(CONVERSATION_COLUMNS);
    let tenant = sql.param(caller.tenant.clone());
    sql.push(&tenant);
    // The predicate of `conversations_recent` (V19); every conversation has a last event.
    sql.push(" AND c.last_event_at IS NOT NULL");
    if let Some(status) = params.one_of("status", &STATUSES)? {
        let p = sql.param(status);
        sql.push(&format!(" AND c.status = {p}"));
    }
    match params.one_of("priority", &PRIORITIES)? {
        Some("none") => sql.push(" AND (c.priority IS NULL OR c.priority = 'none')"),
        Some(priority) => {
            let p = sql.param(priority);
            sql.push(&format!(" AND c.priority = {p}"));
        }
        None => {}
    }
    for (name, column) in [
        ("assignee_id", "assignee_id"),
        ("team_id", "team_id"),
        ("inbox_id", "inbox_id"),
    ] {
        if let Some(id) = params.id(name)? {
            let p = sql.param(id);
            sql.push(&format!(" AND c.{column} = {p}"));
        }
    }
    for (name, column) in [("label", "labels"), ("category", "categories")] {
        if let Some(value) = params.text(name, 255)? {
            let p = sql.param(vec![value.to_owned()]);
            sql.push(&format!(" AND c.{column} @> {p}::text[]"));
        }
    }
    match params.one_of("escalation", &["legal", "fraud", "any"])? {
        Some("any") => sql.push(" AND c.escalation IS NOT NULL"),
        Some(kind) => {
            let p = sql.param(kind);
            sql.push(&format!(" AND c.escalation = {p}"));
        }
        None => {}
    }
    let client = state.infra.pool.get().await?;
    let q = params.text("q", 500)?;
    if let Some(q) = q {
        let p = sql.param(q.to_owned());
        if estimated_matches(&client, q).await? < RARE_SEARCH_CONVERSATIONS {
            // Few conversations match (or none): find them all through the search index, then page them.
            sql.prepend(&format!(
                "WITH hits AS MATERIALIZED (SELECT h.conversation_id FROM conversations h
                                            WHERE h.tenant = {tenant} AND h.search @@ plainto_tsquery('simple', {p}))"
            ));
            sql.push(" AND c.conversation_id IN (SELECT conversation_id FROM hits)");
        } else {
            // Many match: walk the conversations newest first; a page is found after a few of them.
            sql.push(&format!(" AND c.search @@ plainto_tsquery('simple', {p})"));
        }
    }
    if let Some(cursor) = cursor {
        // Written so that the first condition is an index bound of `conversations_recent`.
        let at = sql.param(cursor.at());
        let id = sql.param(cursor.id);
        sql.push(&format!(
            " AND c.last_event_at <= {at} AND (c.last_event_at < {at} OR c.conversation_id < {id})"
        ));
    }
    let n = sql.param(limit + 1);
    sql.push(&format!(
        " ORDER BY c.last_event_at DESC, c.conversation_id DESC LIMIT {n}"
    ));
    let rows = sql.query(&client).await?;
    let mut data: Vec<Conversation> = rows.iter().map(conversation).collect();
    let next_cursor = page_end(&mut data, limit, |c| {
        Cursor::new(c.last_event_at, i64::try_from(c.id).unwrap_or(0))
    });
    Ok(Json(ConversationPage { data, next_cursor }))
}

/// Below this many matching conversations (as PostgreSQL's statistics estimate them) a search starts from the
/// search index and sorts what it found; above it, it walks the conversations newest first and stops at a page.
/// Measured on 1M conversations: 15 µs per conversation found against 1.4 µs per conversation walked, even at
/// about 2,000 matches (BENCHMARKS.md). A word PostgreSQL's statistics do not list (statistics target 1,000 on
/// the column: the 10,000 most common words are listed) is rarer than all listed ones, and starts from the index.
const RARE_SEARCH_CONVERSATIONS: f64 = 2_000.0;

/// How many conversations PostgreSQL's statistics say contain every word of `q`: the least frequent word's share
/// in `most_common_elems` (0 for a word not listed) times the table's rows.
async fn estimated_matches(client: &deadpool_postgres::Client, q: &str) -> ApiResult<f64> {
    let statement = client
        .prepare_cached(
            "SELECT COALESCE(min(COALESCE(
                        (SELECT s.most_common_elem_freqs[array_position(s.most_common_elems::text::text[], lex)]
                         FROM pg_stats s
                         WHERE s.schemaname = current_schema() AND s.tablename = 'conversations'
                           AND s.attname = 'search'), 0)), 0)::float8
                    * (SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'conversations'::regclass)::float8
             FROM unnest(tsvector_to_array(to_tsvector('simple', $1))) AS lex",
        )
        .await?;
    Ok(client.query_one(&statement, &[&q]).await?.get(0))
}

/// Cuts the extra row a query fetched beyond `limit`; its presence means there is a next page.
pub fn page_end<T>(data: &mut Vec<T>, limit: i64, cursor: impl Fn(&T) -> Cursor) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if data.len() <= limit {
        return None;
    }
    data.truncate(limit);
    data.last().map(|last| cursor(last).encode())
}

/// A conversation id from the path.
pub fn path_id(id: &str) -> ApiResult<i64> {
    parse_id("id", id)
}

async fn load(state: &AppState, tenant: &str, id: i64) -> ApiResult<Conversation> {
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached(&format!(
            "{CONVERSATION_COLUMNS} $1 AND c.conversation_id = $2"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&tenant, &id])
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("conversation {id}")))?;
    Ok(conversation(&row))
}

/// `GET /api/v1/conversations/{id}`
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = u64, Path, maximum = 9223372036854775807_u64, description = "Chatwoot's conversation display id")),
    responses((status = 200, body = ConversationDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationDetail>> {
    let id = path_id(&id)?;
    let conversation = load(&state, &caller.tenant, id).await?;
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT triage FROM messages WHERE tenant = $1 AND conversation_id = $2 AND triage IS NOT NULL
             ORDER BY created_at DESC, message_id DESC LIMIT 1",
        )
        .await?;
    let triage = client
        .query_opt(&statement, &[&caller.tenant, &id])
        .await?
        .map(|row| row.get(0));
    Ok(Json(ConversationDetail {
        conversation,
        triage,
    }))
}

/// `GET /api/v1/conversations/{id}/messages`
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = u64, Path, maximum = 9223372036854775807_u64, description = "Chatwoot's conversation display id"), PageParams),
    responses((status = 200, body = MessagePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<MessagePage>> {
    let id = path_id(&id)?;
    let limit = params.limit()?;
    let cursor = params.cursor()?;
    exists(&state, &caller.tenant, id).await?;
    let mut sql = Sql::new(
        "SELECT message_id, message_type, private, content_type, content, sender_kind, sender_id, sender_name,
                own, triage, created_at
         FROM messages WHERE tenant = $1 AND conversation_id = $2",
    );
    sql.param(caller.tenant.clone());
    sql.param(id);
    if let Some(cursor) = cursor {
        let at = sql.param(cursor.at());
        let after = sql.param(cursor.id);
        sql.push(&format!(
            " AND created_at >= {at} AND (created_at > {at} OR message_id > {after})"
        ));
    }
    let n = sql.param(limit + 1);
    sql.push(&format!(" ORDER BY created_at, message_id LIMIT {n}"));
    let client = state.infra.pool.get().await?;
    let rows = sql.query(&client).await?;
    let mut data: Vec<Message> = rows
        .iter()
        .map(|row| {
            let kind: String = row.get(5);
            Message {
                id: to_u64(row.get(0)),
                message_type: row.get(1),
                private: row.get(2),
                content_type: row
                    .get::<_, Option<String>>(3)
                    .unwrap_or_else(|| "text".to_owned()),
                content: row.get(4),
                sender: Sender {
                    kind: (kind != "unknown").then_some(kind),
                    id: row.get::<_, Option<i64>>(6).map(to_u64),
                    name: row.get(7),
                },
                own: row.get(8),
                triage: row.get(9),
                created_at: row.get(10),
            }
        })
        .collect();
    let next_cursor = page_end(&mut data, limit, |m| {
        Cursor::new(m.created_at, i64::try_from(m.id).unwrap_or(0))
    });
    Ok(Json(MessagePage { data, next_cursor }))
}

/// 404 unless the caller's tenant has this conversation.
pub async fn exists(state: &AppState, tenant: &str, id: i64) -> ApiResult<()> {
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached("SELECT 1 FROM conversations WHERE tenant = $1 AND conversation_id = $2")
        .await?;
    match client.query_opt(&statement, &[&tenant, &id]).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("conversation {id}"))),
    }
}

/// `POST /api/v1/conversations/{id}/messages`
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// 1-150,000 characters, not only spaces.
    #[schema(min_length = 1, max_length = 150000, pattern = "\\S")]
    pub content: String,
    /// A private note (only agents see it) rather than a reply to the customer.
    #[serde(default)]
    pub private: bool,
}

/// `PATCH /api/v1/conversations/{id}`: only the members given change; null clears priority, assignee, team.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationChange {
    /// open, resolved, pending or snoozed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(open|resolved|pending|snoozed)$")]
    pub status: Option<String>,
    /// With status snoozed: until when (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<chrono::DateTime<chrono::Utc>>,
    /// urgent, high, medium, low, none; null clears it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, pattern = "^(urgent|high|medium|low|none)$")]
    pub priority: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 9223372036854775807_u64)]
    pub assignee_id: Option<Option<u64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 9223372036854775807_u64)]
    pub team_id: Option<Option<u64>>,
    /// The whole set of labels (replaces the current one): at most 100, each 1-255 characters without spaces
    /// or commas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 100, inline, value_type = Option<Vec<Label>>)]
    pub labels: Option<Vec<String>>,
}

/// A label: 1-255 characters, no spaces or commas.
#[derive(ToSchema)]
#[schema(pattern = "^[^\\s,]{1,255}$")]
#[allow(dead_code)]
pub struct Label(String);

/// A member that is present (even as null) is `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `POST /api/v1/conversations/{id}/escalate`
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Why, 1-1,000 characters (written in the private note).
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
}

pub fn check_text(field: &str, text: &str, max: usize) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

fn to_update(change: &ConversationChange) -> ApiResult<ConversationUpdate> {
    let status = match change.status.as_deref() {
        None => {
            if change.snoozed_until.is_some() {
                return Err(ApiError::invalid(
                    "snoozed_until",
                    "only with status snoozed",
                ));
            }
            None
        }
        Some(status) => {
            let status = match status {
                "open" => ConversationStatus::Open,
                "resolved" => ConversationStatus::Resolved,
                "pending" => ConversationStatus::Pending,
                "snoozed" => ConversationStatus::Snoozed,
                other => {
                    return Err(ApiError::invalid(
                        "status",
                        format!("`{other}` is not one of {}", STATUSES.join(", ")),
                    ))
                }
            };
            if change.snoozed_until.is_some() && status != ConversationStatus::Snoozed {
                return Err(ApiError::invalid(
                    "snoozed_until",
                    "only with status snoozed",
                ));
            }
            Some((status, change.snoozed_until.map(|t| t.timestamp())))
        }
    };
    let priority = match &change.priority {
        None => None,
        Some(None) => Some(Priority::None),
        Some(Some(p)) => Some(match p.as_str() {
            "none" => Priority::None,
            "low" => Priority::Low,
            "medium" => Priority::Medium,
            "high" => Priority::High,
            "urgent" => Priority::Urgent,
            other => {
                return Err(ApiError::invalid(
                    "priority",
                    format!("`{other}` is not one of {}", PRIORITIES.join(", ")),
                ))
            }
        }),
    };
    if let Some(labels) = &change.labels {
        if labels.len() > 100 {
            return Err(ApiError::invalid("labels", "at most 100 labels"));
        }
        for (i, label) in labels.iter().enumerate() {
            let ok = (1..=255).contains(&label.chars().count())
                && !label.chars().any(|c| c.is_whitespace() || c == ',');
            if !ok {
                return Err(ApiError::invalid(
                    &format!("labels[{i}]"),
                    "1-255 characters, no spaces or commas",
                ));
            }
        }
    }
    for (field, id) in [
        ("assignee_id", change.assignee_id),
        ("team_id", change.team_id),
    ] {
        if id
            .flatten()
            .is_some_and(|id| id == 0 || i64::try_from(id).is_err())
        {
            return Err(ApiError::invalid(field, "a positive id, or null to clear"));
        }
    }
    let update = ConversationUpdate {
        status,
        priority,
        assignee: change.assignee_id,
        team: change.team_id,
        labels: change.labels.clone(),
    };
    if update == ConversationUpdate::default() {
        return Err(ApiError::invalid("body", "nothing to change"));
    }
    Ok(update)
}

/// `POST /api/v1/conversations/{id}/messages`
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = u64, Path, maximum = 9223372036854775807_u64, description = "Chatwoot's conversation display id"),
           ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "1-200 visible ASCII characters; the same key and request again changes nothing")),
    request_body = NewMessage,
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let id = path_id(&id)?;
    caller.require_write()?;
    commands::idempotency_key(&headers)?;
    let message: NewMessage = json_body(&body)?;
    check_text("content", &message.content, 150_000)?;
    exists(&state, &caller.tenant, id).await?;
    let kind = CommandKind::PostMessage {
        content: message.content.clone(),
        private: message.private,
    };
    commands::submit(&state, &caller, &headers, to_u64(id), kind, &message).await
}

/// `PATCH /api/v1/conversations/{id}`
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = u64, Path, maximum = 9223372036854775807_u64, description = "Chatwoot's conversation display id"),
           ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "1-200 visible ASCII characters; the same key and request again changes nothing")),
    request_body = ConversationChange,
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let id = path_id(&id)?;
    caller.require_write()?;
    commands::idempotency_key(&headers)?;
    let change: ConversationChange = json_body(&body)?;
    let update = to_update(&change)?;
    exists(&state, &caller.tenant, id).await?;
    let kind = CommandKind::UpdateConversation(update);
    commands::submit(&state, &caller, &headers, to_u64(id), kind, &change).await
}

/// `POST /api/v1/conversations/{id}/escalate`
#[utoipa::path(post, path = "/api/v1/conversations/{id}/escalate", tag = "conversations",
    params(("id" = u64, Path, maximum = 9223372036854775807_u64, description = "Chatwoot's conversation display id"),
           ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "1-200 visible ASCII characters; the same key and request again changes nothing")),
    request_body = Escalation,
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let id = path_id(&id)?;
    caller.require_write()?;
    commands::idempotency_key(&headers)?;
    let escalation: Escalation = json_body(&body)?;
    check_text("reason", &escalation.reason, 1000)?;
    exists(&state, &caller.tenant, id).await?;
    let kind = CommandKind::Escalate {
        reason: escalation.reason.clone(),
    };
    commands::submit(&state, &caller, &headers, to_u64(id), kind, &escalation).await
}

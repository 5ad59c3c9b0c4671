//! Approvals: the AI drafts, listed with filters, one with its sources and history, and the decision, which
//! becomes a command carried out by the worker through the same code as an agent's `/approve` note.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;
use proto::{CommandKind, DraftDecision};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commands::{self, Accepted};
use crate::conversations::{check_text, page_end};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::model::{to_u64, DecidedBy, Draft, DraftDetail, DraftPage, Grades, Source};
use crate::params::{parse_id, Cursor, Params};
use crate::sql::Sql;
use crate::AppState;

const STATUSES: [&str; 5] = ["pending", "approved", "rejected", "stale", "auto"];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DraftFilters {
    /// pending, approved, rejected, stale or auto.
    #[param(pattern = "^(pending|approved|rejected|stale|auto)$")]
    status: Option<String>,
    #[param(minimum = 0)]
    conversation_id: Option<i64>,
    /// Drafted more than this many seconds ago.
    #[param(minimum = 0)]
    older_than: Option<i64>,
    /// Drafted less than this many seconds ago.
    #[param(minimum = 0)]
    newer_than: Option<i64>,
    /// newest (default) or oldest first.
    #[param(pattern = "^(newest|oldest)$")]
    order: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

const DRAFT_COLUMNS: &str = "
    SELECT d.id, d.conversation_id, d.source_message_id, d.status, d.draft_text, d.final_text, m.content,
           d.sources, d.confidence, d.fallback_reason, d.responder, d.model, d.created_at, d.decided_at,
           d.decided_by_id, d.decided_by_name, d.reason, d.grade_tone, d.grade_accuracy, d.grade_policy,
           ARRAY(SELECT json_build_object('id', a.external_id, 'title', a.title, 'url', a.url)::text
                 FROM kb_articles a WHERE a.tenant = d.tenant AND a.external_id = ANY(d.sources))
    FROM drafts d
    LEFT JOIN messages m ON m.tenant = d.tenant AND m.message_id = d.source_message_id
    WHERE d.tenant = ";

fn draft(row: &tokio_postgres::Row) -> Draft {
    let ids: Vec<String> = row.get(7);
    let articles: Vec<serde_json::Value> = row
        .get::<_, Vec<String>>(20)
        .iter()
        .filter_map(|a| serde_json::from_str(a).ok())
        .collect();
    let sources = ids
        .into_iter()
        .map(|id| {
            let article = articles.iter().find(|a| a["id"] == id.as_str());
            let text = |key: &str| article.and_then(|a| a[key].as_str()).map(str::to_owned);
            Source {
                title: text("title"),
                url: text("url"),
                score: None,
                id,
            }
        })
        .collect();
    let text: String = row.get(4);
    let final_text: Option<String> = row.get(5);
    let decided_by_id: Option<i64> = row.get(14);
    let decided_by_name: Option<String> = row.get(15);
    let grades: [Option<i16>; 3] = [row.get(17), row.get(18), row.get(19)];
    Draft {
        id: row.get(0),
        conversation_id: to_u64(row.get(1)),
        message_id: to_u64(row.get(2)),
        status: row.get(3),
        edited: final_text.as_ref().is_some_and(|f| *f != text),
        text,
        final_text,
        customer_message: row.get(6),
        sources,
        confidence: row.get(8),
        fallback_reason: row.get(9),
        responder: row.get(10),
        model: row.get(11),
        created_at: row.get(12),
        decided_at: row.get(13),
        decided_by: (decided_by_id.is_some() || decided_by_name.is_some()).then(|| DecidedBy {
            id: decided_by_id.map(|id| id.to_string()),
            name: decided_by_name,
        }),
        reason: row.get(16),
        grades: grades.iter().any(Option::is_some).then_some(Grades {
            tone: grades[0],
            accuracy: grades[1],
            policy: grades[2],
        }),
    }
}

/// `GET /api/v1/approvals`
#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals", params(DraftFilters),
    responses((status = 200, body = DraftPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<DraftPage>> {
    let limit = params.limit()?;
    let cursor = params.cursor()?;
    let oldest = params.one_of("order", &["newest", "oldest"])? == Some("oldest");
    let mut sql = Sql::new(DRAFT_COLUMNS);
    let tenant = sql.param(caller.tenant.clone());
    sql.push(&tenant);
    if let Some(status) = params.one_of("status", &STATUSES)? {
        let p = sql.param(status);
        sql.push(&format!(" AND d.status = {p}"));
    }
    if let Some(id) = params.id("conversation_id")? {
        let p = sql.param(id);
        sql.push(&format!(" AND d.conversation_id = {p}"));
    }
    for (name, op) in [("older_than", "<"), ("newer_than", ">")] {
        if let Some(secs) = params.id(name)? {
            let at = chrono::Utc::now() - chrono::Duration::seconds(secs.min(100 * 365 * 86_400));
            let p = sql.param(at);
            sql.push(&format!(" AND d.created_at {op} {p}"));
        }
    }
    if let Some(cursor) = cursor {
        let at = sql.param(cursor.at());
        let id = sql.param(cursor.id);
        let (cmp, strict) = if oldest { (">=", ">") } else { ("<=", "<") };
        sql.push(&format!(
            " AND d.created_at {cmp} {at} AND (d.created_at {strict} {at} OR d.id {strict} {id})"
        ));
    }
    let n = sql.param(limit + 1);
    let direction = if oldest { "ASC" } else { "DESC" };
    sql.push(&format!(
        " ORDER BY d.created_at {direction}, d.id {direction} LIMIT {n}"
    ));
    let client = state.infra.pool.get().await?;
    let rows = sql.query(&client).await?;
    let mut data: Vec<Draft> = rows.iter().map(draft).collect();
    let next_cursor = page_end(&mut data, limit, |d| Cursor::new(Some(d.created_at), d.id));
    Ok(Json(DraftPage { data, next_cursor }))
}

async fn load(state: &AppState, tenant: &str, id: &str) -> ApiResult<Draft> {
    let id = parse_id("id", id)?;
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached(&format!("{DRAFT_COLUMNS} $1 AND d.id = $2"))
        .await?;
    let row = client
        .query_opt(&statement, &[&tenant, &id])
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("draft {id}")))?;
    Ok(draft(&row))
}

/// `GET /api/v1/approvals/{id}`
#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "approvals",
    params(("id" = i64, Path, minimum = 0, description = "The draft's id")),
    responses((status = 200, body = DraftDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DraftDetail>> {
    let draft = load(&state, &caller.tenant, &id).await?;
    let history = crate::activity::draft_history(&state, &caller.tenant, &draft).await?;
    Ok(Json(DraftDetail { draft, history }))
}

/// `POST /api/v1/approvals/{id}/decision`
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// approve or reject.
    #[schema(pattern = "^(approve|reject)$")]
    pub decision: String,
    /// Approve only: the text to send instead of the draft's (1-150,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 150000, pattern = "\\S")]
    pub text: Option<String>,
    /// Reject only: why (1-1,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grades: Option<GradesInput>,
}

/// Each 1-5.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradesInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub tone: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub accuracy: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub policy: Option<u8>,
}

fn to_decision(draft_id: i64, decision: &Decision) -> ApiResult<DraftDecision> {
    let approve = match decision.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ApiError::invalid(
                "decision",
                format!("`{other}` is not approve or reject"),
            ))
        }
    };
    let text = match (approve, &decision.text, &decision.reason) {
        (true, _, Some(_)) => {
            return Err(ApiError::invalid("reason", "only when rejecting"));
        }
        (false, Some(_), _) => {
            return Err(ApiError::invalid("text", "only when approving"));
        }
        (true, Some(text), None) => {
            check_text("text", text, 150_000)?;
            Some(text.clone())
        }
        (false, None, Some(reason)) => {
            check_text("reason", reason, 1000)?;
            Some(reason.clone())
        }
        (_, None, None) => None,
    };
    let grades = decision.grades.as_ref();
    let mut out = [None; 3];
    for (i, (name, grade)) in [
        ("grades.tone", grades.and_then(|g| g.tone)),
        ("grades.accuracy", grades.and_then(|g| g.accuracy)),
        ("grades.policy", grades.and_then(|g| g.policy)),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(grade) = grade {
            if !(1..=5).contains(&grade) {
                return Err(ApiError::invalid(name, "a grade from 1 to 5"));
            }
            out[i] = Some(grade);
        }
    }
    Ok(DraftDecision {
        draft_id,
        approve,
        text,
        grades: out,
    })
}

/// `POST /api/v1/approvals/{id}/decision`. A draft already decided is accepted and then refused by the worker
/// (the command's status says by whom).
#[utoipa::path(post, path = "/api/v1/approvals/{id}/decision", tag = "approvals",
    params(("id" = i64, Path, minimum = 0, description = "The draft's id"),
           ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "1-200 visible ASCII characters; the same key and request again changes nothing")),
    request_body = Decision,
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let draft_id = parse_id("id", &id)?;
    caller.require_write()?;
    commands::idempotency_key(&headers)?;
    let decision: Decision = crate::params::json_body(&body)?;
    let command = to_decision(draft_id, &decision)?;
    let client = state.infra.pool.get().await?;
    let statement = client
        .prepare_cached("SELECT conversation_id FROM drafts WHERE tenant = $1 AND id = $2")
        .await?;
    let conversation: i64 = client
        .query_opt(&statement, &[&caller.tenant, &draft_id])
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("draft {draft_id}")))?
        .get(0);
    drop(client);
    let kind = CommandKind::DecideDraft(command);
    // The draft is part of what is asked: the same key for another draft is another request.
    let request = (draft_id, &decision);
    commands::submit(
        &state,
        &caller,
        &headers,
        to_u64(conversation),
        kind,
        &request,
    )
    .await
}

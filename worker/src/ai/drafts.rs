//! The `drafts` table: every AI answer with its provenance, and the agent's decision on it. Writes happen in the
//! event's transaction ([`DraftWrites::apply`]), so a draft exists exactly when its note was put in the outbox,
//! and a decision is recorded exactly when the approved message was.

use analytics::counters::{self, CounterInc};
use deadpool_postgres::GenericClient;
use proto::ActionKind;

use super::command::Grades;
use crate::process::ProcessError;
use crate::responder::Answer;
use crate::state::to_i64;

/// Marks the start of every draft note, and tells agents how to act on it.
pub const DRAFT_PREFIX: &str = "🤖 AI draft";

/// A draft as the approval commands need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDraft {
    pub id: i64,
    pub status: String,
    pub draft_text: String,
    pub decided_by_name: Option<String>,
}

/// An answer about to be recorded.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub id: i64,
    pub tenant: String,
    pub conversation_id: u64,
    pub source_message_id: u64,
    pub answer: Answer,
}

/// An agent's decision on a draft, applied only if the draft is still in the status it was read in.
#[derive(Debug, Clone)]
pub struct DraftDecision {
    pub id: i64,
    pub expected_status: String,
    pub approved: bool,
    /// Approved with a text of the agent's own instead of the draft's.
    pub edited: bool,
    pub final_text: Option<String>,
    pub reason: Option<String>,
    pub decided_by_id: Option<u64>,
    pub decided_by_name: Option<String>,
    pub decision_message_id: Option<u64>,
    pub grades: Grades,
}

/// What an event changes in `drafts`, committed with it.
#[derive(Debug, Clone, Default)]
pub struct DraftWrites {
    /// (tenant, conversation, message): a new customer message; older pending drafts become stale.
    pub stale_before: Option<(String, u64, u64)>,
    pub insert: Option<NewDraft>,
    pub decision: Option<DraftDecision>,
}

impl DraftWrites {
    /// Writes the changes; returns what they count for the reports (drafts created, stale, decided).
    pub async fn apply(
        &self,
        client: &impl GenericClient,
    ) -> Result<Vec<CounterInc>, ProcessError> {
        let now = chrono::Utc::now();
        let mut counted = Vec::new();
        if let Some((tenant, conversation, message)) = &self.stale_before {
            let stale = client
                .execute(
                    "UPDATE drafts SET status = 'stale'
                     WHERE tenant = $1 AND conversation_id = $2 AND status = 'pending' AND source_message_id <> $3",
                    &[tenant, &to_i64(*conversation), &to_i64(*message)],
                )
                .await?;
            if stale > 0 {
                counted.push(CounterInc {
                    count: i64::try_from(stale).unwrap_or(i64::MAX),
                    ..CounterInc::one(tenant, *conversation, now, counters::DRAFT_STALE, "")
                });
            }
        }
        if let Some(draft) = &self.insert {
            insert(client, draft).await?;
            let (tenant, conversation) = (&draft.tenant, draft.conversation_id);
            counted.push(CounterInc::one(
                tenant,
                conversation,
                now,
                counters::DRAFT_CREATED,
                "",
            ));
            if draft.answer.public {
                counted.push(CounterInc::one(
                    tenant,
                    conversation,
                    now,
                    counters::DRAFT_AUTO,
                    "",
                ));
            }
        }
        if let Some(decision) = &self.decision {
            let decided = decide(client, decision).await?;
            if let Some(row) = &decided {
                counted.extend(decision_counters(decision, row, now));
            }
            if decided.is_none() {
                // Another event decided it between our read and this write: plan again from the new state.
                return Err(ProcessError::Transient(format!(
                    "draft #{} changed while it was being decided",
                    decision.id
                )));
            }
        }
        Ok(counted)
    }
}

/// What the decided draft row says: its tenant, conversation, age in seconds and draft text.
struct Decided {
    tenant: String,
    conversation: u64,
    seconds: i64,
    draft_text: String,
}

/// A decision counts once, with the draft's age and, for an edited approval, how much the agent changed.
fn decision_counters(
    decision: &DraftDecision,
    row: &Decided,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<CounterInc> {
    let one = |metric, key: &str| CounterInc::one(&row.tenant, row.conversation, now, metric, key);
    let mut out = vec![
        one(
            if !decision.approved {
                counters::DRAFT_REJECTED
            } else if decision.edited {
                counters::DRAFT_EDITED
            } else {
                counters::DRAFT_APPROVED
            },
            "",
        ),
        CounterInc::decision(&row.tenant, row.conversation, now, row.seconds),
    ];
    if decision.approved && decision.edited {
        let edited = decision.final_text.as_deref().unwrap_or_default();
        let distance = strsim::levenshtein(&row.draft_text, edited);
        out.push(CounterInc {
            sum: i64::try_from(distance).unwrap_or(i64::MAX),
            ..one(counters::EDIT_DISTANCE, "")
        });
    }
    let grades = &decision.grades;
    for (name, grade) in [
        ("tone", grades.tone),
        ("accuracy", grades.accuracy),
        ("policy", grades.policy),
    ] {
        if let Some(grade) = grade {
            out.push(CounterInc {
                sum: i64::from(grade),
                ..one(counters::GRADE, &format!("{name}:{grade}"))
            });
        }
    }
    out
}

/// Reserves the draft's id (so the note can name it) and builds the action that shows or sends the answer.
pub async fn prepare(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    source_message_id: u64,
    answer: Answer,
) -> Result<(ActionKind, NewDraft), tokio_postgres::Error> {
    let id: i64 = client
        .query_one(
            "SELECT nextval(pg_get_serial_sequence('drafts', 'id'))",
            &[],
        )
        .await?
        .get(0);
    let action = if answer.public {
        ActionKind::SendMessage {
            content: answer.text.clone(),
        }
    } else {
        ActionKind::PrivateNote {
            content: note(id, &answer),
        }
    };
    Ok((
        action,
        NewDraft {
            id,
            tenant: tenant.to_owned(),
            conversation_id,
            source_message_id,
            answer,
        },
    ))
}

/// The private note showing a draft: the exact text `/approve` would send, then where it came from.
pub fn note(id: i64, answer: &Answer) -> String {
    let mut provenance = match &answer.model {
        Some(model) => format!("{} ({model})", answer.responder),
        None => answer.responder.replace('_', " "),
    };
    if !answer.sources.is_empty() {
        provenance.push_str(&format!(" · sources: {}", answer.sources.join(", ")));
    }
    if let Some(confidence) = answer.confidence {
        provenance.push_str(&format!(" · confidence {confidence:.2}"));
    }
    if let Some(reason) = &answer.fallback_reason {
        provenance.push_str(&format!(" · fallback: {reason}"));
    }
    format!(
        "{DRAFT_PREFIX} #{id} (reply /approve, /approve <edited text> or /reject <reason>):\n\n{}\n\n— {provenance}",
        answer.text
    )
}

async fn insert(
    client: &impl GenericClient,
    draft: &NewDraft,
) -> Result<(), tokio_postgres::Error> {
    let answer = &draft.answer;
    let status = if answer.public { "auto" } else { "pending" };
    client
        .execute(
            "INSERT INTO drafts (id, tenant, conversation_id, source_message_id, draft_text, sources, responder,
                                 model, confidence, fallback_reason, status, final_text)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11 = 'auto' THEN $5 END)",
            &[
                &draft.id,
                &draft.tenant,
                &to_i64(draft.conversation_id),
                &to_i64(draft.source_message_id),
                &answer.text,
                &answer.sources,
                &answer.responder,
                &answer.model,
                &answer.confidence,
                &answer.fallback_reason,
                &status,
            ],
        )
        .await?;
    Ok(())
}

async fn decide(
    client: &impl GenericClient,
    decision: &DraftDecision,
) -> Result<Option<Decided>, tokio_postgres::Error> {
    let status = if decision.approved {
        "approved"
    } else {
        "rejected"
    };
    let row = client
        .query_opt(
            "UPDATE drafts SET status = $3, final_text = $4, reason = $5, decided_by_id = $6, decided_by_name = $7,
                 decided_at = now(), decision_message_id = $8, grade_tone = $9, grade_accuracy = $10,
                 grade_policy = $11
             WHERE id = $1 AND status = $2
             RETURNING tenant, conversation_id, extract(epoch FROM now() - created_at)::bigint, draft_text",
            &[
                &decision.id,
                &decision.expected_status,
                &status,
                &decision.final_text,
                &decision.reason,
                &decision.decided_by_id.map(to_i64),
                &decision.decided_by_name,
                &decision.decision_message_id.map(to_i64),
                &decision.grades.tone,
                &decision.grades.accuracy,
                &decision.grades.policy,
            ],
        )
        .await?;
    Ok(row.map(|row| Decided {
        tenant: row.get(0),
        conversation: u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
        seconds: row.get(2),
        draft_text: row.get(3),
    }))
}

const COLUMNS: &str = "id, status, draft_text, decided_by_name";

fn stored(row: &tokio_postgres::Row) -> StoredDraft {
    StoredDraft {
        id: row.get(0),
        status: row.get(1),
        draft_text: row.get(2),
        decided_by_name: row.get(3),
    }
}

/// Draft `id`, if it belongs to this conversation (an agent cannot act on another conversation's draft).
pub async fn by_id(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    id: i64,
) -> Result<Option<StoredDraft>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM drafts WHERE tenant = $1 AND conversation_id = $2 AND id = $3"),
            &[&tenant, &to_i64(conversation_id), &id],
        )
        .await?;
    Ok(row.as_ref().map(stored))
}

/// The conversation's newest draft, only among pending ones when `pending_only`.
pub async fn newest(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    pending_only: bool,
) -> Result<Option<StoredDraft>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM drafts WHERE tenant = $1 AND conversation_id = $2
                   AND (status = 'pending' OR NOT $3)
                 ORDER BY id DESC LIMIT 1"
            ),
            &[&tenant, &to_i64(conversation_id), &pending_only],
        )
        .await?;
    Ok(row.as_ref().map(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_shows_the_text_and_its_provenance() {
        let answer = Answer {
            text: "Refunds\n\nWe refund within 5 days.".into(),
            sources: vec!["returns-refunds".into()],
            responder: "knowledge_base",
            model: None,
            confidence: Some(0.848),
            fallback_reason: Some("llm: timed out after 300 ms".into()),
            public: false,
        };
        assert_eq!(
            note(12, &answer),
            "🤖 AI draft #12 (reply /approve, /approve <edited text> or /reject <reason>):\n\n\
             Refunds\n\nWe refund within 5 days.\n\n\
             — knowledge base · sources: returns-refunds · confidence 0.85 · fallback: llm: timed out after 300 ms"
        );
        let llm = Answer {
            model: Some("small".into()),
            responder: "llm",
            sources: Vec::new(),
            confidence: None,
            fallback_reason: None,
            ..answer
        };
        assert!(
            note(3, &llm).ends_with("— llm (small)"),
            "{}",
            note(3, &llm)
        );
    }
}

//! The activity records of a processed event (see [`infra::activity`]): built when the event is planned,
//! committed with it in its ledger row (an outbox, like its actions) and published after the commit. A
//! redelivered event republishes the stored records; their ids make JetStream keep one copy of each.

use std::collections::HashMap;

use chatwoot::Webhook;
use deadpool_postgres::GenericClient;
use infra::activity::{Activity, ActivityKind};
use proto::Command;
use serde_json::{json, Value};

use crate::ai::drafts::DraftWrites;
use crate::commands::{actor_name, CommandPlan};
use crate::decide::Decision;

/// Collects one event's records; each gets the id `{ledger key}#{kind}` (numbered if a kind repeats).
pub struct Records<'a> {
    ledger_key: &'a str,
    tenant: &'a str,
    conversation_id: u64,
    records: Vec<Activity>,
}

impl<'a> Records<'a> {
    pub fn new(ledger_key: &'a str, tenant: &'a str, conversation_id: Option<u64>) -> Self {
        Self {
            ledger_key,
            tenant,
            conversation_id: conversation_id.unwrap_or(0),
            records: Vec::new(),
        }
    }

    fn push(&mut self, kind: ActivityKind, data: Value) {
        let repeats = self.records.iter().filter(|r| r.kind == kind).count();
        let id = match repeats {
            0 => format!("{}#{kind}", self.ledger_key),
            n => format!("{}#{kind}.{n}", self.ledger_key),
        };
        self.records.push(
            Activity::new(id, kind, self.tenant, self.conversation_id, data)
                .with_event_key(self.ledger_key),
        );
    }

    pub fn into_vec(self) -> Vec<Activity> {
        self.records
    }

    /// A webhook's records: the message or the conversation change it reports, and for a customer message its
    /// triage, the rules that fired, the draft and a handoff; for an agent's `/approve` note the decision.
    pub fn webhook(
        &mut self,
        hook: &Webhook,
        decision: Option<&Decision>,
        writes: &DraftWrites,
        handoff: Option<&str>,
    ) {
        if hook.is_message_event() && hook.id.is_some() {
            let sender = hook.sender.as_ref();
            self.push(
                ActivityKind::MessageRecorded,
                json!({
                    "message_id": hook.id,
                    "event": hook.event,
                    "message_type": hook.message_type,
                    "private": hook.private.unwrap_or(false),
                    "content_type": hook.content_type.as_deref().unwrap_or("text"),
                    "content": hook.content.as_ref().map(|_| hook.customer_text()),
                    "sender": {
                        "kind": hook.sender_kind().as_str(),
                        "id": sender.and_then(|s| s.id),
                        "name": sender.and_then(|s| s.name.as_deref()),
                    },
                    "own": hook.is_own_message(),
                }),
            );
        } else if hook.event.starts_with("conversation_") && !hook.event.contains("typing") {
            let meta = hook.conversation_meta();
            self.push(
                ActivityKind::ConversationUpdated,
                json!({
                    "event": hook.event,
                    "status": hook.status,
                    "priority": hook.priority,
                    "labels": hook.labels,
                    "assignee_id": meta.and_then(|m| m.assignee.as_ref()).and_then(|a| a.id),
                    "team_id": meta.and_then(|m| m.team.as_ref()).and_then(|t| t.id),
                }),
            );
        }
        if let Some(decision) = decision {
            self.push(
                ActivityKind::Triaged,
                json!({ "message_id": hook.id, "triage": decision.triage }),
            );
            if !decision.fired.is_empty() {
                self.push(
                    ActivityKind::RuleFired,
                    json!({ "message_id": hook.id, "rules": decision.fired }),
                );
            }
        }
        self.drafts(writes, "chatwoot");
        if let Some(reason) = handoff {
            self.push(ActivityKind::Handoff, json!({ "reason": reason }));
        }
    }

    /// A command's records: applied or refused, and what it did to a draft or the conversation.
    pub fn command(&mut self, command: &Command, plan: &CommandPlan) {
        let actor = json!({
            "kind": command.actor.kind.as_str(),
            "id": command.actor.id,
            "name": command.actor.name,
        });
        let (kind, detail) = match &plan.refused {
            Some(why) => (ActivityKind::CommandRefused, Some(why.as_str())),
            None => (ActivityKind::CommandApplied, None),
        };
        self.push(
            kind,
            json!({
                "idempotency_key": command.idempotency_key,
                "command": command.kind.name(),
                "actor": actor,
                "detail": detail,
            }),
        );
        self.drafts(&plan.writes, "api");
        if plan.refused.is_none() && matches!(command.kind, proto::CommandKind::Escalate { .. }) {
            self.push(
                ActivityKind::Handoff,
                json!({ "reason": format!("escalated by {}", actor_name(&command.actor)) }),
            );
        }
    }

    pub fn sla_breach(&mut self, breach: &crate::sla::SlaBreach) {
        self.push(
            ActivityKind::SlaBreached,
            json!({ "waiting_since_ms": breach.waiting_since_ms, "sla_secs": breach.sla_secs }),
        );
    }

    fn drafts(&mut self, writes: &DraftWrites, via: &str) {
        if let Some(draft) = &writes.insert {
            let answer = &draft.answer;
            self.push(
                ActivityKind::DraftCreated,
                json!({
                    "draft_id": draft.id,
                    "message_id": draft.source_message_id,
                    "status": if answer.public { "auto" } else { "pending" },
                    "text": answer.text,
                    "sources": answer.sources,
                    "responder": answer.responder,
                    "model": answer.model,
                    "confidence": answer.confidence,
                    "fallback_reason": answer.fallback_reason,
                }),
            );
        }
        if let Some(decision) = &writes.decision {
            self.push(
                ActivityKind::DraftDecided,
                json!({
                    "draft_id": decision.id,
                    "decision": if decision.approved { "approved" } else { "rejected" },
                    "edited": decision.edited,
                    "final_text": decision.final_text,
                    "reason": decision.reason,
                    "decided_by": { "id": decision.decided_by_id, "name": decision.decided_by_name },
                    "grades": {
                        "tone": decision.grades.tone,
                        "accuracy": decision.grades.accuracy,
                        "policy": decision.grades.policy,
                    },
                    "via": via,
                }),
            );
        }
    }
}

/// A row written before V16 has no `activity`; its records are read from `event_activity`. Public for the test
/// that checks the plans of the hot statements.
pub const STORED: &str = "
    SELECT pe.event_key, pe.activity,
           CASE WHEN pe.activity IS NULL THEN
               ARRAY(SELECT a.payload FROM event_activity a WHERE a.event_key = pe.event_key ORDER BY a.position)
           END
    FROM processed_events pe WHERE pe.event_key = ANY($1)";

/// The records stored for already processed events, to publish again.
pub async fn stored(
    client: &impl GenericClient,
    event_keys: &[&str],
) -> Result<HashMap<String, Vec<Activity>>, tokio_postgres::Error> {
    let statement = client.prepare_cached(STORED).await?;
    let rows = client.query(&statement, &[&event_keys]).await?;
    let mut stored: HashMap<String, Vec<Activity>> = HashMap::new();
    for row in rows {
        let records = crate::ledger::outbox_of(&row, "activity")
            .iter()
            .filter_map(|payload| serde_json::from_slice(payload).ok())
            .collect();
        stored.insert(row.get(0), records);
    }
    Ok(stored)
}

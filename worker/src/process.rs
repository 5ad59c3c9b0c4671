//! Processing one event: ledger, state, reply decision and outbox in one transaction, then the publish of the
//! recorded actions. The caller acks only after this returns `Ok`.

use std::sync::Arc;

use bytes::Bytes;
use chatwoot::Webhook;
use deadpool_postgres::Pool;
use infra::{Tenant, TenantCache, Topology};
use proto::{Action, ActionKind, EventEnvelope};
use tracing::Instrument;

use crate::ai::{self, drafts::DraftWrites};
use crate::decide::{Brain, Decision, MessageContext};
use crate::ledger::{self, LedgerEntry};
use crate::responder::{Reply, ReplyContext, Responder, ResponderError};
use crate::state;

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded and produced actions.
    Acted,
    /// Recorded; nothing to do (not a customer message, or the bot is silent in this conversation).
    Recorded,
    /// Already processed: its recorded actions were republished.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acted => "acted",
            Self::Recorded => "recorded",
            Self::Duplicate => "duplicate",
        }
    }
}

/// Why an event was not processed. Whether to retry is decided from this in `consume::disposition`.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("transient: {0}")]
    Transient(String),
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<tokio_postgres::Error> for ProcessError {
    fn from(error: tokio_postgres::Error) -> Self {
        let transient = infra::db::DbError::Postgres(error).is_transient();
        let message = "database error".to_owned();
        if transient {
            Self::Transient(message)
        } else {
            Self::Permanent(message)
        }
    }
}

impl From<deadpool_postgres::PoolError> for ProcessError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Transient(format!("no database connection: {error}"))
    }
}

impl From<ResponderError> for ProcessError {
    fn from(error: ResponderError) -> Self {
        Self::Transient(error.to_string())
    }
}

pub struct Processor {
    pub pool: Pool,
    pub tenants: Arc<TenantCache>,
    pub responder: Arc<dyn Responder>,
    pub brain: Arc<Brain>,
    pub jetstream: async_nats::jetstream::Context,
    pub topology: Topology,
}

impl Processor {
    pub async fn process(
        &self,
        envelope: &EventEnvelope,
        stream_seq: u64,
    ) -> Result<Outcome, ProcessError> {
        let ledger_key = ledger_key(envelope);
        let client = self.pool.get().await?;
        let stored = ledger::stored_actions(&client, &ledger_key).await?;
        // Never hold a pooled connection while something else may need one from the same pool (the tenant
        // lookup on a cache miss, the publish's wait for acks): with every connection held by a partition loop,
        // that wait would only end in the pool's timeout.
        drop(client);
        if let Some(stored) = stored {
            self.publish(&envelope.tenant, stored).await?;
            return Ok(Outcome::Duplicate);
        }
        let tenant = self
            .tenants
            .get(&envelope.tenant)
            .await
            .map_err(|e| ProcessError::Transient(e.to_string()))?
            .ok_or_else(|| {
                ProcessError::Permanent(format!("unknown tenant {}", envelope.tenant))
            })?;
        let hook = Webhook::parse(&envelope.body)
            .map_err(|e| ProcessError::Permanent(format!("unparseable webhook: {e}")))?;
        let mut client = self.pool.get().await?;

        let conversation = match hook.conversation_id() {
            Some(id) => state::load_conversation(&client, &envelope.tenant, id).await?,
            None => state::ConversationState::default(),
        };
        let (kinds, decision, draft_writes) = if hook.is_customer_message() {
            self.decide(&client, &tenant, &hook, &conversation).await?
        } else if let Some(command) = ai::approval::command_of(&hook) {
            let approval = ai::approval::plan(&client, &envelope.tenant, &hook, command).await?;
            (approval.actions, None, approval.writes)
        } else {
            (Vec::new(), None, DraftWrites::default())
        };
        let actions = build_actions(envelope, &ledger_key, hook.conversation_id(), kinds);
        let outcome = if actions.is_empty() {
            Outcome::Recorded
        } else {
            Outcome::Acted
        };

        let txn = client.transaction().await?;
        let entry = LedgerEntry {
            event_key: &ledger_key,
            tenant: &envelope.tenant,
            event: &hook.event,
            conversation_id: hook.conversation_id(),
            stream_seq,
            outcome: outcome.as_str(),
        };
        if !ledger::claim(&txn, &entry).await? {
            // A concurrent delivery (a replay racing the original) won; publish what it recorded.
            txn.rollback().await?;
            let stored = ledger::stored_actions(&client, &ledger_key)
                .await?
                .unwrap_or_default();
            drop(client);
            self.publish(&envelope.tenant, stored).await?;
            return Ok(Outcome::Duplicate);
        }
        state::record(&txn, &envelope.tenant, &hook).await?;
        if let (Some(decision), Some(conversation_id)) = (&decision, hook.conversation_id()) {
            let triage = serde_json::to_value(&decision.triage).unwrap_or_default();
            state::apply_decision(
                &txn,
                &envelope.tenant,
                conversation_id,
                hook.id,
                decision.bot_state,
                &decision.new_flags,
                &triage,
            )
            .await?;
        }
        draft_writes.apply(&txn).await?;
        ledger::record_actions(&txn, &ledger_key, &actions).await?;
        txn.commit().await?;
        drop(client);
        self.publish(
            &envelope.tenant,
            actions.into_iter().map(|(_, bytes)| bytes).collect(),
        )
        .await?;
        Ok(outcome)
    }

    /// Triage, rules, handoff and the responder for one customer message; an AI answer is returned as a draft
    /// to record with the event.
    async fn decide(
        &self,
        client: &deadpool_postgres::Client,
        tenant: &Tenant,
        hook: &Webhook,
        conversation: &state::ConversationState,
    ) -> Result<(Vec<ActionKind>, Option<Decision>, DraftWrites), ProcessError> {
        let text = hook.content.as_deref().unwrap_or_default();
        let conversation_meta = hook.conversation.as_ref();
        let assigned = hook
            .conversation_meta()
            .is_some_and(|m| m.assignee.as_ref().and_then(|a| a.id).is_some());
        let mut decision = self.brain.decide(&MessageContext {
            tenant: tenant.id.as_str(),
            text,
            inbox_id: conversation_meta.and_then(|c| c.inbox_id),
            channel: conversation_meta.and_then(|c| c.channel.as_deref()),
            contact_attributes: hook
                .sender
                .as_ref()
                .and_then(|s| s.custom_attributes.as_ref()),
            assigned,
            conversation,
            now: chrono::Utc::now(),
        });
        tracing::debug!(fired = ?decision.fired, language = %decision.triage.language, "rules evaluated");
        let mut rotation = Vec::new();
        if let Some((rule, agents)) = &decision.round_robin {
            if let Some(agent) =
                state::next_in_rotation(client, tenant.id.as_str(), rule, agents).await?
            {
                rotation.push(ActionKind::Assign(proto::AssignTarget::Agent(agent)));
            }
        }
        let conversation_id = hook.conversation_id().unwrap_or_default();
        let message_id = hook.id.unwrap_or_default();
        let mut writes = DraftWrites {
            stale_before: Some((tenant.id.to_string(), conversation_id, message_id)),
            ..DraftWrites::default()
        };
        let mut reply_actions = Vec::new();
        if decision.respond {
            let ctx = ReplyContext {
                tenant,
                conversation_id,
                message_id,
                content: text,
                contact_name: hook.sender.as_ref().and_then(|s| s.name.as_deref()),
                conversation,
                triage: Some(&decision.triage),
            };
            let reply = self
                .responder
                .reply(&ctx)
                .instrument(tracing::info_span!("respond"))
                .await?;
            match reply {
                Reply::Actions(actions) => reply_actions = actions,
                Reply::Answer(answer) => {
                    let (action, draft) = ai::drafts::prepare(
                        client,
                        tenant.id.as_str(),
                        conversation_id,
                        message_id,
                        answer,
                    )
                    .await?;
                    reply_actions.push(action);
                    writes.insert = Some(draft);
                }
                Reply::Handoff => decision.hand_off(conversation),
            }
        }
        let mut kinds = decision.actions.clone();
        kinds.extend(rotation);
        kinds.extend(reply_actions);
        Ok((kinds, Some(decision), writes))
    }

    /// Publishes the actions pipelined and waits for every acknowledgement. Ids come from the payload, so a
    /// republish is dropped by the stream's duplicate window and, beyond it, by the dispatcher's ledger.
    pub(crate) async fn publish(
        &self,
        tenant: &str,
        payloads: Vec<Bytes>,
    ) -> Result<(), ProcessError> {
        if payloads.is_empty() {
            return Ok(());
        }
        let subject = self.topology.action_subject(tenant);
        let span = tracing::info_span!(
            "publish actions",
            otel.name = %format!("send {}", self.topology.actions_stream()),
            otel.kind = "producer",
            messaging.system = "nats",
            messaging.operation.type = "send",
            messaging.destination.name = %subject,
            messaging.batch.message_count = payloads.len(),
        );
        async {
            let mut acks = Vec::with_capacity(payloads.len());
            for payload in payloads {
                let action = Action::decode(&payload).map_err(|e| {
                    ProcessError::Permanent(format!("stored action is corrupt: {e}"))
                })?;
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", action.action_id.as_str());
                infra::telemetry::inject_nats(&tracing::Span::current(), &mut headers);
                let ack = self
                    .jetstream
                    .publish_with_headers(subject.clone(), headers, payload)
                    .await
                    .map_err(|e| ProcessError::Transient(format!("publish action: {e}")))?;
                acks.push(ack);
            }
            for ack in acks {
                ack.await.map_err(|e| {
                    ProcessError::Transient(format!("action not acknowledged: {e}"))
                })?;
            }
            Ok(())
        }
        .instrument(span)
        .await
    }
}

/// Replays that re-process get their own ledger key, so the original processing stays recorded and a second
/// run of the same replay is still deduplicated.
fn ledger_key(envelope: &EventEnvelope) -> String {
    match &envelope.replay {
        Some(replay) if replay.reprocess => {
            format!("{}#replay:{}", envelope.event_key, replay.replay_id)
        }
        _ => envelope.event_key.clone(),
    }
}

fn build_actions(
    envelope: &EventEnvelope,
    ledger_key: &str,
    conversation_id: Option<u64>,
    kinds: Vec<ActionKind>,
) -> Vec<(Action, Bytes)> {
    let now = chrono::Utc::now().timestamp_millis();
    kinds
        .into_iter()
        .enumerate()
        .map(|(position, kind)| {
            let action = Action {
                action_id: format!("{ledger_key}#{position}"),
                tenant: envelope.tenant.clone(),
                conversation_id: conversation_id.unwrap_or_default(),
                event_key: ledger_key.to_owned(),
                created_at_ms: now,
                kind,
            };
            let bytes = Bytes::from(action.encode_to_vec());
            (action, bytes)
        })
        .collect()
}

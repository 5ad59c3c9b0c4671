//! Processing events: ledger, state, reply decision and outbox in one transaction per batch, then the publish of
//! the recorded actions. The caller acks an event only after its result is `Ok`.

use std::sync::Arc;

use bytes::Bytes;
use chatwoot::Webhook;
use deadpool_postgres::Pool;
use futures::future::{join_all, try_join_all};
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

/// One event handed to the processor.
#[derive(Debug)]
pub struct Job {
    pub envelope: EventEnvelope,
    pub stream_seq: u64,
    /// The event's own span: what is done for the event is recorded under it, whichever batch it rides in.
    pub span: tracing::Span,
}

pub type JobResult = Result<Outcome, ProcessError>;

/// What was decided about one event: its actions, the decision to record with a customer message, and the draft
/// rows to write with it.
type Plan = (Vec<ActionKind>, Option<Decision>, DraftWrites);

/// An event that still has to be recorded, with what was decided about it.
struct Planned<'j> {
    index: usize,
    job: &'j Job,
    ledger_key: &'j str,
    hook: Webhook,
    decided: Option<(Decision, serde_json::Value)>,
    draft_writes: DraftWrites,
    actions: Vec<(Action, Bytes)>,
}

impl Processor {
    /// Processes one event on its own (a batch of one).
    pub async fn process(&self, envelope: &EventEnvelope, stream_seq: u64) -> JobResult {
        let job = Job {
            envelope: envelope.clone(),
            stream_seq,
            span: tracing::Span::current(),
        };
        self.process_alone(&job).await
    }

    /// Processes events of different partitions (so of different conversations) together: one ledger lookup,
    /// one state read and one transaction for all of them, then the publish of every recorded action. Returns
    /// one result per job, in order. When the shared transaction fails, each event is processed alone so that
    /// one bad event gets its own error and does not hold the others back.
    pub async fn process_batch(&self, jobs: &[Job]) -> Vec<JobResult> {
        match self.process_together(jobs).await {
            Ok(results) => results,
            Err(error) if jobs.len() == 1 => vec![Err(error)],
            Err(error) => {
                tracing::debug!(%error, events = jobs.len(), "batch failed; processing its events one by one");
                let mut results = Vec::with_capacity(jobs.len());
                for job in jobs {
                    results.push(self.process_alone(job).await);
                }
                results
            }
        }
    }

    async fn process_alone(&self, job: &Job) -> JobResult {
        self.process_together(std::slice::from_ref(job))
            .await?
            .pop()
            .unwrap_or_else(|| Err(not_processed()))
    }

    async fn process_together(&self, jobs: &[Job]) -> Result<Vec<JobResult>, ProcessError> {
        // A claim lost to a concurrent delivery (a replay racing the original) rolls the batch back; the next
        // pass finds that event in the ledger and republishes what the other delivery recorded.
        for _ in 0..3 {
            if let Some(results) = self.attempt(jobs).await? {
                return Ok(results);
            }
        }
        Err(ProcessError::Transient(
            "event keys kept being claimed concurrently".into(),
        ))
    }

    /// `Ok(None)`: another delivery claimed one of the events first; nothing was written.
    async fn attempt(&self, jobs: &[Job]) -> Result<Option<Vec<JobResult>>, ProcessError> {
        let ledger_keys: Vec<String> = jobs.iter().map(|job| ledger_key(&job.envelope)).collect();
        let mut results: Vec<Option<JobResult>> = jobs.iter().map(|_| None).collect();
        // Parsed before a pooled connection is taken: a tenant-cache miss needs one from the same pool.
        let mut parsed = Vec::with_capacity(jobs.len());
        for job in jobs {
            parsed.push(self.parse(job).instrument(job.span.clone()).await);
        }
        let mut client = self.pool.get().await?;
        let keys: Vec<&str> = ledger_keys.iter().map(String::as_str).collect();
        let conversation_keys: Vec<(&str, u64)> = jobs
            .iter()
            .zip(&parsed)
            .filter_map(|(job, parsed)| {
                let (_, hook) = parsed.as_ref().ok()?;
                Some((job.envelope.tenant.as_str(), hook.conversation_id()?))
            })
            .collect();
        // Both in one round trip: the state of an event that turns out to be a duplicate is simply not used.
        let (mut stored, conversations) = futures::try_join!(
            ledger::stored_actions(&client, &keys),
            state::load_conversations(&client, &conversation_keys),
        )?;
        let mut republish = Vec::new();
        let mut fresh = Vec::new();
        for (index, ((job, key), parsed)) in jobs.iter().zip(&ledger_keys).zip(parsed).enumerate() {
            match (stored.remove(key.as_str()), parsed) {
                (Some(payloads), _) => republish.push((index, job, payloads)),
                (None, Ok((tenant, hook))) => fresh.push((index, job, key.as_str(), tenant, hook)),
                (None, Err(error)) => results[index] = Some(Err(error)),
            }
        }
        let parsed = fresh;
        let plans = join_all(parsed.into_iter().map(|(index, job, key, tenant, hook)| {
            let conversation = hook
                .conversation_id()
                .and_then(|id| conversations.get(&(job.envelope.tenant.clone(), id)))
                .cloned()
                .unwrap_or_default();
            let client = &client;
            async move {
                let plan = self.plan(client, &tenant, &hook, &conversation).await;
                (index, job, key, hook, plan)
            }
            .instrument(job.span.clone())
        }))
        .await;
        let mut planned = Vec::with_capacity(plans.len());
        for (index, job, ledger_key, hook, plan) in plans {
            match plan {
                Ok((kinds, decision, draft_writes)) => {
                    let actions =
                        build_actions(&job.envelope, ledger_key, hook.conversation_id(), kinds);
                    let decided = decision.map(|decision| {
                        let triage = serde_json::to_value(&decision.triage).unwrap_or_default();
                        (decision, triage)
                    });
                    planned.push(Planned {
                        index,
                        job,
                        ledger_key,
                        hook,
                        decided,
                        draft_writes,
                        actions,
                    });
                }
                Err(error) => results[index] = Some(Err(error)),
            }
        }

        if !planned.is_empty() {
            let txn = client.transaction().await?;
            let entries: Vec<LedgerEntry<'_>> = planned
                .iter()
                .map(|p| LedgerEntry {
                    event_key: p.ledger_key,
                    tenant: &p.job.envelope.tenant,
                    event: &p.hook.event,
                    conversation_id: p.hook.conversation_id(),
                    stream_seq: p.job.stream_seq,
                    outcome: outcome_of(p).as_str(),
                })
                .collect();
            let claimed = ledger::claim(&txn, &entries).await?;
            if claimed.len() < entries.len() {
                txn.rollback().await?;
                return Ok(None);
            }
            // Pipelined on the one connection: the statements of different events go out without waiting for
            // each other's round trip.
            try_join_all(planned.iter().map(|p| async {
                let decided = p.decided.as_ref().map(|(decision, triage)| state::Decided {
                    triage,
                    bot_state: decision.bot_state,
                    new_flags: &decision.new_flags,
                });
                state::record(&txn, &p.job.envelope.tenant, &p.hook, decided).await?;
                p.draft_writes.apply(&txn).await
            }))
            .await?;
            let mut actions = Vec::new();
            for p in &planned {
                for (position, (action, bytes)) in p.actions.iter().enumerate() {
                    actions.push((position, action, bytes));
                }
            }
            ledger::record_actions(&txn, &actions).await?;
            txn.commit().await?;
        }
        drop(client);

        // Never hold a pooled connection while waiting for publish acknowledgements.
        let republished = join_all(republish.into_iter().map(|(index, job, payloads)| {
            async move {
                let result = self.publish(&job.envelope.tenant, payloads).await;
                (index, result.map(|()| Outcome::Duplicate))
            }
            .instrument(job.span.clone())
        }));
        let published = join_all(planned.into_iter().map(|p| {
            let span = p.job.span.clone();
            async move {
                let outcome = outcome_of(&p);
                let payloads = p.actions.into_iter().map(|(_, bytes)| bytes).collect();
                let result = self.publish(&p.job.envelope.tenant, payloads).await;
                (p.index, result.map(|()| outcome))
            }
            .instrument(span)
        }));
        let (republished, published) = futures::join!(republished, published);
        for (index, result) in republished.into_iter().chain(published) {
            results[index] = Some(result);
        }
        Ok(Some(
            results
                .into_iter()
                .map(|result| result.unwrap_or_else(|| Err(not_processed())))
                .collect(),
        ))
    }

    async fn parse(&self, job: &Job) -> Result<(Arc<Tenant>, Webhook), ProcessError> {
        let envelope = &job.envelope;
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
        Ok((tenant, hook))
    }

    /// What to do about one event: the actions, and what to write with it.
    async fn plan(
        &self,
        client: &deadpool_postgres::Client,
        tenant: &Tenant,
        hook: &Webhook,
        conversation: &state::ConversationState,
    ) -> Result<Plan, ProcessError> {
        if hook.is_customer_message() {
            self.decide(client, tenant, hook, conversation).await
        } else if let Some(command) = ai::approval::command_of(hook) {
            let approval = ai::approval::plan(client, tenant.id.as_str(), hook, command).await?;
            Ok((approval.actions, None, approval.writes))
        } else {
            Ok((Vec::new(), None, DraftWrites::default()))
        }
    }

    /// Triage, rules, handoff and the responder for one customer message; an AI answer is returned as a draft
    /// to record with the event.
    async fn decide(
        &self,
        client: &deadpool_postgres::Client,
        tenant: &Tenant,
        hook: &Webhook,
        conversation: &state::ConversationState,
    ) -> Result<Plan, ProcessError> {
        let text = hook.content.as_deref().unwrap_or_default();
        let conversation_meta = hook.conversation.as_ref();
        let assigned = hook
            .conversation_meta()
            .is_some_and(|m| m.assignee.as_ref().and_then(|a| a.id).is_some());
        let context = MessageContext {
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
        };
        let mut decision = self.brain.decide_with_llm(&context, &tenant.settings).await;
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
            stale_before: conversation
                .pending_drafts
                .then(|| (tenant.id.to_string(), conversation_id, message_id)),
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

/// An event a batch returned no result for; cannot happen, but retrying is the safe answer.
fn not_processed() -> ProcessError {
    ProcessError::Transient("event not processed".into())
}

fn outcome_of(planned: &Planned<'_>) -> Outcome {
    if planned.actions.is_empty() {
        Outcome::Recorded
    } else {
        Outcome::Acted
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

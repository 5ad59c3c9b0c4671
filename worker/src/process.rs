//! Processing events: ledger, state, reply decision and outbox in one transaction per batch, then the publish of
//! the recorded actions. The caller acks an event only after its result is `Ok`.

use std::sync::Arc;

use bytes::Bytes;
use deadpool_postgres::Pool;
use futures::future::{join_all, try_join_all};
use futures::TryFutureExt;
use infra::activity::Activity;
use infra::{Tenant, TenantCache, Topology};
use proto::{Action, ActionKind, EventEnvelope};
use tracing::Instrument;

use crate::ai::drafts::DraftWrites;
use crate::commands::CommandPlan;
use crate::decide::{Brain, Decision};
use crate::incoming::Incoming;
use crate::ledger::{self, LedgerEntry};
use crate::plan::{Plan, Rotation};
use crate::responder::{Responder, ResponderError};
use crate::{activity, commands, state};

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
    /// The brain with the tenants' LLMs as a second opinion on unsure triage.
    pub triage: crate::triage_llm::TriageWithLlm,
    pub jetstream: async_nats::jetstream::Context,
    pub topology: Topology,
    /// Each tenant's reporting calendar as last written to PostgreSQL (for the API's reports).
    pub calendars: crate::reporting::Calendars,
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

/// An event that still has to be recorded, with what was decided about it.
struct Planned<'j> {
    index: usize,
    job: &'j Job,
    ledger_key: &'j str,
    incoming: Incoming,
    decided: Option<(Decision, serde_json::Value)>,
    draft_writes: DraftWrites,
    command: Option<CommandPlan>,
    kinds: Vec<ActionKind>,
    rotation: Option<Rotation>,
    /// Built in the transaction, once the rotation's agent is known.
    actions: Vec<(Action, Bytes)>,
    activity: Vec<Activity>,
    /// The conversation's last action sequence number before this event.
    action_seq: u64,
}

impl Processor {
    pub fn new(
        pool: Pool,
        tenants: Arc<TenantCache>,
        responder: Arc<dyn Responder>,
        brain: Arc<Brain>,
        jetstream: async_nats::jetstream::Context,
        topology: Topology,
    ) -> Self {
        Self {
            pool,
            tenants,
            responder,
            triage: crate::triage_llm::TriageWithLlm::new(brain.clone()),
            brain,
            jetstream,
            topology,
            calendars: Default::default(),
        }
    }

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
                let (_, incoming) = parsed.as_ref().ok()?;
                Some((job.envelope.tenant.as_str(), incoming.conversation_id()?))
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
                (None, Ok((tenant, incoming))) => {
                    fresh.push((index, job, key.as_str(), tenant, incoming))
                }
                (None, Err(error)) => results[index] = Some(Err(error)),
            }
        }
        let parsed = fresh;
        let plans = join_all(
            parsed
                .into_iter()
                .map(|(index, job, key, tenant, incoming)| {
                    let conversation = incoming
                        .conversation_id()
                        .and_then(|id| conversations.get(&(job.envelope.tenant.clone(), id)));
                    let client = &client;
                    async move {
                        // History is recorded, never acted on: no triage, reply, draft, rule action, approval
                        // command or activity record (see `cwctl backfill`).
                        let plan = if job.envelope.is_historical() {
                            Ok(Plan::default())
                        } else {
                            self.plan(client, &tenant, key, &incoming, conversation)
                                .await
                        };
                        (index, job, key, incoming, plan)
                    }
                    .instrument(job.span.clone())
                }),
        )
        .await;
        let mut planned = Vec::with_capacity(plans.len());
        for (index, job, ledger_key, incoming, plan) in plans {
            let action_seq = incoming
                .conversation_id()
                .and_then(|id| conversations.get(&(job.envelope.tenant.clone(), id)))
                .map_or(0, |c| c.action_seq);
            match plan {
                Ok(plan) => {
                    let decided = plan.decision.map(|decision| {
                        let triage = serde_json::to_value(&decision.triage).unwrap_or_default();
                        (decision, triage)
                    });
                    planned.push(Planned {
                        index,
                        job,
                        ledger_key,
                        incoming,
                        decided,
                        draft_writes: plan.writes,
                        command: plan.command,
                        kinds: plan.kinds,
                        rotation: plan.rotation,
                        actions: Vec::new(),
                        activity: plan.activity,
                        action_seq,
                    });
                }
                Err(error) => results[index] = Some(Err(error)),
            }
        }

        if !planned.is_empty() {
            let calendars = self
                .calendars
                .current(
                    &client,
                    self.brain.rules(),
                    planned.iter().map(|p| p.job.envelope.tenant.as_str()),
                )
                .await?;
            let txn = client.transaction().await?;
            assign_rotations(&txn, &mut planned).await?;
            for p in &mut planned {
                let kinds = std::mem::take(&mut p.kinds);
                p.actions = build_actions(
                    &p.job.envelope,
                    p.ledger_key,
                    p.incoming.conversation_id(),
                    p.action_seq,
                    kinds,
                );
            }
            // Pipelined on the one connection: the statements of different events go out without waiting for
            // each other's round trip.
            let rows = state::BatchRows::default();
            let written = try_join_all(planned.iter().map(|p| async {
                let tenant = p.job.envelope.tenant.as_str();
                let conversation = p.incoming.conversation_id();
                let last_seq = p.actions.last().map(|(last, _)| last.conversation_seq);
                // The conversation's row is written once per event: its last action's number goes into the
                // statement that records the event, and gets an update of its own only where none does.
                let seq_recorded = match &p.incoming {
                    Incoming::Webhook(hook) => {
                        let decided = p.decided.as_ref().map(|(decision, triage)| state::Decided {
                            triage,
                            bot_state: decision.bot_state,
                            new_flags: &decision.new_flags,
                        });
                        let historical = p.job.envelope.historical.as_ref().and_then(|h| {
                            chrono::DateTime::from_timestamp_millis(h.occurred_at_ms)
                        });
                        state::record(&txn, tenant, hook, decided, historical, last_seq, &rows)
                            .await?
                    }
                    Incoming::Command(command) => {
                        let outcome = p.command.as_ref();
                        let refused = outcome.and_then(|o| o.refused.as_deref());
                        commands::record(&txn, command, p.ledger_key, refused).await?;
                        match outcome.filter(|o| o.refused.is_none()) {
                            Some(outcome) => {
                                state::after_command(
                                    &txn,
                                    tenant,
                                    command.conversation_id,
                                    outcome.bot_state,
                                    outcome.human_reply,
                                    last_seq,
                                )
                                .await?;
                                true
                            }
                            None => false,
                        }
                    }
                    // The watch already marked the conversation as breached when it claimed the breach.
                    Incoming::SlaBreach(_) => false,
                };
                if let (false, Some(conversation), Some(last)) =
                    (seq_recorded, conversation, last_seq)
                {
                    state::record_action_seq(&txn, tenant, conversation, last).await?;
                }
                p.draft_writes.apply(&txn).await
            }))
            .await?;
            let (observations, mut increments) =
                crate::reporting::inputs(planned.iter().map(|p| {
                    crate::reporting::Processed {
                        envelope: &p.job.envelope,
                        incoming: &p.incoming,
                        decided: p.decided.as_ref().map(|(d, t)| (t, d.bot_state)),
                        before: p
                            .incoming
                            .conversation_id()
                            .and_then(|id| conversations.get(&(p.job.envelope.tenant.clone(), id))),
                    }
                }));
            increments.extend(written.into_iter().flatten());
            // The ledger rows, with each event's outbox, go out with the batch's other rows and its analytics,
            // pipelined: a key another delivery committed meanwhile rolls everything back, and the batch is run
            // again (finding that key recorded). Every batch sends these statements in one order (contacts,
            // messages, trackers, counters, ledger, then buckets), so concurrent batches lock rows in one order.
            let entries: Vec<LedgerEntry<'_>> = planned
                .iter()
                .map(|p| LedgerEntry {
                    event_key: p.ledger_key,
                    tenant: &p.job.envelope.tenant,
                    event: p.incoming.event(),
                    conversation_id: p.incoming.conversation_id(),
                    stream_seq: p.job.stream_seq,
                    outcome: if p.job.envelope.is_historical() {
                        HISTORICAL_OUTCOME
                    } else {
                        outcome_of(p).as_str()
                    },
                    action_ids: p
                        .actions
                        .iter()
                        .map(|(a, _)| a.action_id.as_str())
                        .collect(),
                    actions: infra::outbox::encode(p.actions.iter().map(|(_, bytes)| bytes)),
                    activity: infra::outbox::encode(p.activity.iter().map(Activity::to_json)),
                })
                .collect();
            let ((), (), claimed) = futures::try_join!(
                state::write_batch_rows(&txn, rows).map_err(ProcessError::from),
                crate::reporting::write(&txn, &calendars, &observations, &increments),
                ledger::claim(&txn, &entries).map_err(ProcessError::from),
            )?;
            if claimed.len() < entries.len() {
                txn.rollback().await?;
                return Ok(None);
            }
            txn.commit().await?;
        }
        // A redelivered event's activity records are published again too (a crash may have come between the
        // commit and their publish); only duplicates need this second look.
        let mut stored_activity = if republish.is_empty() {
            Default::default()
        } else {
            let keys: Vec<&str> = republish
                .iter()
                .map(|(index, _, _)| ledger_keys[*index].as_str())
                .collect();
            activity::stored(&client, &keys).await?
        };
        drop(client);

        // Never hold a pooled connection while waiting for publish acknowledgements.
        let republished = join_all(republish.into_iter().map(|(index, job, payloads)| {
            let records = stored_activity
                .remove(ledger_keys[index].as_str())
                .unwrap_or_default();
            async move {
                let result = self.publish(&job.envelope.tenant, payloads, &records).await;
                (index, result.map(|()| Outcome::Duplicate))
            }
            .instrument(job.span.clone())
        }));
        let published = join_all(planned.into_iter().map(|p| {
            let span = p.job.span.clone();
            async move {
                let outcome = outcome_of(&p);
                let payloads = p.actions.into_iter().map(|(_, bytes)| bytes).collect();
                let result = self
                    .publish(&p.job.envelope.tenant, payloads, &p.activity)
                    .await;
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

    async fn parse(&self, job: &Job) -> Result<(Arc<Tenant>, Incoming), ProcessError> {
        let envelope = &job.envelope;
        let tenant = self
            .tenants
            .get(&envelope.tenant)
            .await
            .map_err(|e| ProcessError::Transient(e.to_string()))?
            .ok_or_else(|| {
                ProcessError::Permanent(format!("unknown tenant {}", envelope.tenant))
            })?;
        Ok((tenant, Incoming::parse(envelope)?))
    }

    /// Publishes the actions and the activity records pipelined and waits for every acknowledgement. Ids come
    /// from the payloads, so a republish is dropped by the streams' duplicate window and, beyond it, by the
    /// dispatcher's ledger (an activity record published again after the window is a repeated record, never a
    /// repeated reply).
    pub(crate) async fn publish(
        &self,
        tenant: &str,
        payloads: Vec<Bytes>,
        records: &[Activity],
    ) -> Result<(), ProcessError> {
        // Together, not one after the other: one wait for acknowledgements on the event's path instead of two.
        // A record is never waited for by a reply, and a failure of either retries the event, which publishes
        // both again under the same ids.
        let records = async {
            if records.is_empty() {
                return Ok(());
            }
            infra::activity::publish(&self.jetstream, &self.topology, records)
                .await
                .map_err(|e| ProcessError::Transient(format!("publish activity: {e}")))
        };
        futures::try_join!(self.publish_actions(tenant, payloads), records)?;
        Ok(())
    }

    /// Publishes an event of the pipeline's own (an SLA breach) on its conversation's partition, so that it is
    /// processed in the conversation's order like a webhook; its key makes a repeated publish one event.
    pub(crate) async fn publish_event(
        &self,
        tenant: &str,
        envelope: &EventEnvelope,
    ) -> Result<(), ProcessError> {
        let partition =
            infra::topology::conversation_partition(tenant, envelope.conversation_id.unwrap_or(0));
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
        infra::telemetry::inject_nats(&tracing::Span::current(), &mut headers);
        self.jetstream
            .publish_with_headers(
                self.topology.event_subject(tenant, partition),
                headers,
                envelope.encode_to_vec().into(),
            )
            .await
            .map_err(|e| ProcessError::Transient(format!("publish event: {e}")))?
            .await
            .map_err(|e| ProcessError::Transient(format!("event not acknowledged: {e}")))?;
        Ok(())
    }

    async fn publish_actions(
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

/// The ledger's outcome of an event rebuilt from history: recorded, never acted on. The backfill tells which
/// conversations were seen live by it.
pub const HISTORICAL_OUTCOME: &str = "historical";

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
    if planned.actions.is_empty() && planned.kinds.is_empty() && planned.rotation.is_none() {
        Outcome::Recorded
    } else {
        Outcome::Acted
    }
}

/// Picks the agent of every rotation the batch asks for, in the batch's transaction: one statement per
/// (tenant, rule), taken in that order so that concurrent batches lock the rotation rows in the same order.
async fn assign_rotations(
    txn: &deadpool_postgres::Transaction<'_>,
    planned: &mut [Planned<'_>],
) -> Result<(), tokio_postgres::Error> {
    let mut keys: Vec<(String, String)> = planned
        .iter()
        .filter_map(|p| p.rotation.as_ref())
        .map(|r| (r.tenant.clone(), r.rule.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    for (tenant, rule) in keys {
        let waiting: Vec<usize> = planned
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.rotation
                    .as_ref()
                    .is_some_and(|r| r.tenant == tenant && r.rule == rule)
            })
            .map(|(i, _)| i)
            .collect();
        let first = state::advance_rotation(txn, &tenant, &rule, waiting.len()).await?;
        for (offset, i) in (0..).zip(waiting) {
            let p = &mut planned[i];
            if let Some(rotation) = p.rotation.take() {
                if let Some(agent) = state::pick(&rotation.agents, first + offset) {
                    let at = rotation.position.min(p.kinds.len());
                    p.kinds
                        .insert(at, ActionKind::Assign(proto::AssignTarget::Agent(agent)));
                }
            }
        }
    }
    Ok(())
}

/// The event's actions, numbered after the conversation's last one (`seq`) so the dispatcher keeps their order.
fn build_actions(
    envelope: &EventEnvelope,
    ledger_key: &str,
    conversation_id: Option<u64>,
    seq: u64,
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
                conversation_seq: if conversation_id.is_some() {
                    seq + position as u64 + 1
                } else {
                    0
                },
                kind,
            };
            let bytes = Bytes::from(action.encode_to_vec());
            (action, bytes)
        })
        .collect()
}

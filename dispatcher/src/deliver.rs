//! One action, end to end. [`Deliverer::attempt`] claims it in the ledger, reconciles an uncertain earlier attempt
//! and calls Chatwoot, and says how the attempt ended in one [`Verdict`]; [`Deliverer::settle`] is the one place
//! that carries a verdict out: the ledger write, the dead letter, the activity record, and how the consumer
//! settles the JetStream message.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chatwoot::client::calls;
use chatwoot::{ApiError, ApiRequest, ApiResponse, ChatwootClient};
use infra::{Platform, Tenant, TenantCache, Topology};
use proto::{Action, ActionKind, AssignTarget, DeadItem, DeadLetter};

mod platform;

use crate::ledger::{self, Claim, SettledState};
use crate::ratelimit::{Grant, Permit, RateLimitError, RateLimiter, Throttled};
use crate::retry::{is_auth_failure, is_rate_limited, may_have_arrived, Decision, RetryPolicy};
use crate::sequence::{Sequencer, Turn};

/// A delivery whose next rate-limit token is due within this waits for it in-process rather than going back to
/// JetStream (which costs a redelivery and, under a backlog, a busier consumer).
const INLINE_WAIT: Duration = Duration::from_millis(500);
/// Chatwoot's page of `GET …/messages`.
const RECONCILE_PAGE: usize = 20;
/// How far back an uncertain delivery looks for its earlier attempt before calling it undecidable.
const MAX_RECONCILE_PAGES: usize = 10;

/// How the consumer settles the JetStream message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    Ack,
    Nak(Duration),
}

/// A closed set of outcomes for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    AlreadyDelivered,
    Retrying,
    DeadLettered,
    Busy,
    /// No rate-limit token: back to JetStream, no attempt counted.
    Throttled,
    /// The conversation's previous action is not settled yet: back to JetStream, no attempt counted.
    Held,
    /// The tenant's platform has no equivalent of the action: settled without a call.
    Skipped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::AlreadyDelivered => "already_delivered",
            Self::Retrying => "retrying",
            Self::DeadLettered => "dead_lettered",
            Self::Busy => "busy",
            Self::Throttled => "throttled",
            Self::Held => "held",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

pub struct Deliverer {
    pub(crate) ledger: ledger::Ledger,
    pub(crate) tenants: Arc<TenantCache>,
    pub(crate) client: ChatwootClient,
    pub(crate) policy: RetryPolicy,
    pub(crate) lease: Duration,
    pub(crate) jetstream: async_nats::jetstream::Context,
    pub(crate) topology: Topology,
    pub(crate) metrics: crate::metrics::DispatcherMetrics,
    pub(crate) limiter: RateLimiter,
    /// Calls per minute for tenants without their own `rate_limit_per_minute` (0: unlimited).
    pub(crate) rate_per_minute: u32,
    pub(crate) sequencer: Sequencer,
    /// Maps the pipeline's conversation ids back to the platforms' own.
    pub(crate) pool: infra::db::Pool,
    /// Calls per minute per tenant on platforms other than Chatwoot, unless the tenant sets its own.
    pub(crate) platform_rate_per_minute: u32,
}

/// The ledger or the rate limit's table cannot be reached: nothing was called, try again shortly.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
    #[error("conversation mapping: {0}")]
    Platform(#[from] infra::db::DbError),
}

/// How an attempt ended, decided by [`Deliverer::attempt`] and carried out by [`Deliverer::settle`].
#[derive(Debug)]
enum Verdict {
    /// The tenant could not be looked up: nothing was claimed, look again shortly.
    TenantUnavailable,
    /// No rate-limit token, before anything was claimed.
    Throttled(Throttled),
    /// Another dispatcher holds the lease.
    Busy(Duration),
    /// An earlier delivery settled it: delivered, or (`delivered: false`) dead-lettered.
    Known { delivered: bool },
    /// The call was made (`status`), or an earlier uncertain attempt turned out to have arrived (`None`).
    Delivered { status: Option<u16> },
    /// Claimed, but no call that counts was made (a token ran out mid-way, the rate limit's table is
    /// unreachable): the claim is undone and the action keeps `state`.
    HandBack { state: SettledState, why: Held },
    /// Failed for a passing reason: try again after `delay`, the action in `state`.
    Retry {
        state: SettledState,
        delay: Duration,
        status: Option<u16>,
        error: String,
    },
    /// Failed for good, or out of attempts: dead-letter it.
    GiveUp { status: Option<u16>, reason: String },
    /// The tenant's platform has nothing this action could be.
    Unsupported(String),
}

/// Why a call was not (successfully) made.
#[derive(Debug)]
enum CallError {
    /// Chatwoot answered with an error, or did not answer.
    Api(ApiError),
    /// The call was not made.
    Held(Held),
}

#[derive(Debug)]
enum Held {
    Throttled(Throttled),
    Unavailable(RateLimitError),
}

impl From<ApiError> for CallError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// Chatwoot calls an action makes (when no earlier attempt needs checking); its tokens are taken up front.
fn calls_needed(kind: &ActionKind) -> u32 {
    match kind {
        ActionKind::AddLabels { .. } => 2,
        _ => 1,
    }
}

/// The `source_id` given to messages the pipeline posts: how a later attempt recognises that an earlier,
/// uncertain one did arrive.
pub fn source_id(action_id: &str) -> String {
    chatwoot::own_source_id(action_id)
}

impl Deliverer {
    /// Delivers the action in `payload`, the `delivered`-th time JetStream hands it out.
    pub async fn deliver(&self, payload: &Bytes, delivered: i64) -> (Outcome, Settle) {
        let action = match Action::decode(payload) {
            Ok(action) => action,
            Err(error) => return self.undecodable(payload, &error.to_string()).await,
        };
        // The cache answers this without a query almost always; `attempt` looks the tenant up again for its own
        // decision (a lookup that fails there is handled there).
        let platform = match self.tenants.get(&action.tenant).await {
            Ok(Some(tenant)) => tenant.platform.as_str(),
            _ => "unknown",
        };
        let turn = match self.sequencer.turn(&action).await {
            Ok(Turn::Go(turn)) => turn,
            Ok(Turn::Hold) => {
                self.metrics
                    .action(platform, action.kind.name(), Outcome::Held.as_str());
                return (Outcome::Held, Settle::Nak(self.policy.held(delivered)));
            }
            Err(error) => {
                tracing::warn!(%error, "cannot tell whether the conversation's previous action is settled");
                return (Outcome::Failed, Settle::Nak(self.policy.min_delay));
            }
        };
        let result = match self.attempt(&action, payload).await {
            Ok((verdict, attempt)) => self.settle(&action, attempt, verdict).await,
            Err(error) => Err(error),
        };
        let result = result.unwrap_or_else(|error| {
            tracing::warn!(%error, "delivery not attempted");
            (Outcome::Failed, Settle::Nak(self.policy.min_delay))
        });
        turn.finish(matches!(
            result.0,
            Outcome::Delivered
                | Outcome::AlreadyDelivered
                | Outcome::DeadLettered
                | Outcome::Skipped
        ));
        self.metrics
            .action(platform, action.kind.name(), result.0.as_str());
        result
    }

    /// Claims the action, reconciles an uncertain earlier attempt and makes the call; returns how it ended and
    /// the attempt's number. Writes nothing but the claim: [`Deliverer::settle`] records the end.
    async fn attempt(
        &self,
        action: &Action,
        payload: &Bytes,
    ) -> Result<(Verdict, u32), Unavailable> {
        let tenant = match self.tenants.get(&action.tenant).await {
            Ok(tenant) => tenant,
            Err(error) => {
                tracing::warn!(%error, tenant = %action.tenant, "tenant lookup failed");
                return Ok((Verdict::TenantUnavailable, 0));
            }
        };
        // Tokens before the claim, so a throttled delivery leaves the ledger untouched; a delivery that turns out
        // to need no call gives them back when the permit drops.
        let mut permit = match &tenant {
            Some(tenant) => match self.tokens(tenant, calls_needed(&action.kind)).await? {
                Ok(permit) => permit,
                Err(throttled) => return Ok((Verdict::Throttled(throttled), 0)),
            },
            None => Permit::unlimited(),
        };
        let (attempt, uncertain) = match self.ledger.claim(action, payload, self.lease).await? {
            Claim::AlreadyDelivered => return Ok((Verdict::Known { delivered: true }, 0)),
            Claim::AlreadyDead => return Ok((Verdict::Known { delivered: false }, 0)),
            Claim::Busy(wait) => return Ok((Verdict::Busy(wait), 0)),
            Claim::Go { attempt } => (attempt, false),
            Claim::Uncertain { attempt } => (attempt, true),
        };
        let Some(tenant) = tenant else {
            let reason = format!("unknown tenant {}", action.tenant);
            return Ok((
                Verdict::GiveUp {
                    status: None,
                    reason,
                },
                attempt,
            ));
        };
        let state_before = if uncertain {
            SettledState::Uncertain
        } else {
            SettledState::Retrying
        };
        if tenant.platform != Platform::Chatwoot {
            let verdict = self
                .platform_attempt(&tenant, action, attempt, state_before, &mut permit)
                .await?;
            return Ok((verdict, attempt));
        }
        if uncertain && !action.kind.is_idempotent() {
            match self.already_posted(&tenant, action, &mut permit).await {
                Ok(true) => {
                    tracing::info!(action_id = %action.action_id, "earlier uncertain attempt had arrived");
                    return Ok((Verdict::Delivered { status: None }, attempt));
                }
                Ok(false) => {}
                Err(CallError::Api(error)) => {
                    self.learn_from(&tenant, &error).await;
                    // A look that failed for a passing reason (5xx, 429, timeout) is tried again later, still
                    // uncertain; no call was made that could post twice.
                    let verdict = match self.policy.decide(&error, attempt) {
                        Decision::Retry(delay) => Verdict::Retry {
                            state: SettledState::Uncertain,
                            delay,
                            status: error.status(),
                            error: error.to_string(),
                        },
                        // Without a way to look (a bot token may not list messages) a resend could show the
                        // customer the reply twice; an operator decides with the dead letter's explanation.
                        Decision::GiveUp => Verdict::GiveUp {
                            status: error.status(),
                            reason: format!(
                                "delivery uncertain: an earlier attempt may have reached Chatwoot and it cannot \
                                 be checked ({error}); look at the conversation and redrive if the message is \
                                 missing"
                            ),
                        },
                    };
                    return Ok((verdict, attempt));
                }
                Err(CallError::Held(why)) => {
                    return Ok((
                        Verdict::HandBack {
                            state: SettledState::Uncertain,
                            why,
                        },
                        attempt,
                    ))
                }
            }
        }
        let verdict = match self.call(&tenant, action, &mut permit).await {
            Ok(status) => Verdict::Delivered {
                status: Some(status),
            },
            Err(CallError::Api(error)) => {
                self.learn_from(&tenant, &error).await;
                match self.policy.decide(&error, attempt) {
                    Decision::Retry(delay) => Verdict::Retry {
                        state: if may_have_arrived(&error) && !action.kind.is_idempotent() {
                            SettledState::Uncertain
                        } else {
                            SettledState::Retrying
                        },
                        delay,
                        status: error.status(),
                        error: error.to_string(),
                    },
                    Decision::GiveUp => Verdict::GiveUp {
                        status: error.status(),
                        reason: error.to_string(),
                    },
                }
            }
            // Every call that was made (a label read, a look for an earlier attempt) is idempotent, so the state
            // the action had before this attempt still describes it.
            Err(CallError::Held(why)) => Verdict::HandBack {
                state: state_before,
                why,
            },
        };
        Ok((verdict, attempt))
    }

    /// Carries a verdict out, the one place that does: the ledger's record of the attempt, the dead letter, the
    /// activity record, and how the JetStream message is settled.
    async fn settle(
        &self,
        action: &Action,
        attempt: u32,
        verdict: Verdict,
    ) -> Result<(Outcome, Settle), Unavailable> {
        let id = action.action_id.as_str();
        let record = self.activity(action, attempt, &verdict);
        let (outcome, settle) = match verdict {
            Verdict::TenantUnavailable => (Outcome::Retrying, Settle::Nak(self.policy.min_delay)),
            Verdict::Throttled(throttled) => (
                Outcome::Throttled,
                Settle::Nak(self.policy.throttled(throttled)),
            ),
            Verdict::Busy(wait) => (Outcome::Busy, Settle::Nak(wait)),
            Verdict::Known { .. } => (Outcome::AlreadyDelivered, Settle::Ack),
            Verdict::Unsupported(reason) => {
                tracing::info!(action_id = id, %reason, "action skipped");
                self.ledger
                    .settle(action, SettledState::Delivered, None, Some(&reason))
                    .await?;
                (Outcome::Skipped, Settle::Ack)
            }
            Verdict::Delivered { status } => {
                self.ledger
                    .settle(action, SettledState::Delivered, status, None)
                    .await?;
                let outcome = match status {
                    Some(_) => Outcome::Delivered,
                    None => Outcome::AlreadyDelivered,
                };
                (outcome, Settle::Ack)
            }
            Verdict::HandBack { state, why } => {
                // If this fails, the lease runs out and the next attempt reconciles: still never twice.
                self.ledger.release(id, state).await?;
                match why {
                    Held::Throttled(throttled) => (
                        Outcome::Throttled,
                        Settle::Nak(self.policy.throttled(throttled)),
                    ),
                    Held::Unavailable(error) => return Err(error.into()),
                }
            }
            Verdict::Retry {
                state,
                delay,
                status,
                error,
            } => {
                tracing::warn!(%error, attempt, ?delay, action_id = id, "will retry");
                self.ledger
                    .settle(action, state, status, Some(&error))
                    .await?;
                (Outcome::Retrying, Settle::Nak(delay))
            }
            Verdict::GiveUp { status, reason } => {
                tracing::error!(action_id = id, attempt, ?status, %reason, "action dead-lettered");
                let letter = DeadLetter {
                    item: DeadItem::Action(action.clone()),
                    reason: reason.chars().take(1000).collect(),
                    status,
                    attempts: attempt,
                    subject: self.topology.action_subject(&action.tenant),
                    dead_at_ms: chrono::Utc::now().timestamp_millis(),
                };
                let msg_id = format!("dlq:{id}:{attempt}");
                if let Err(error) = self
                    .publish_dead_letter(&action.tenant, &msg_id, &letter)
                    .await
                {
                    // Not dead-lettered yet, so not given up: the redelivery tries again.
                    tracing::warn!(%error, "dead-letter publish failed");
                    return Ok((Outcome::Failed, Settle::Nak(self.policy.min_delay)));
                }
                self.ledger
                    .settle(action, SettledState::Dead, status, Some(&reason))
                    .await?;
                (Outcome::DeadLettered, Settle::Ack)
            }
        };
        if let Some(record) = record {
            // Informational: a record lost here never costs a reply; its id makes a republish one record.
            if let Err(error) =
                infra::activity::publish(&self.jetstream, &self.topology, &[record]).await
            {
                tracing::warn!(%error, "activity record not published");
            }
        }
        Ok((outcome, settle))
    }

    /// The activity record of a settled attempt: sent, retried, failed for good, or out of attempts.
    fn activity(
        &self,
        action: &Action,
        attempt: u32,
        verdict: &Verdict,
    ) -> Option<infra::activity::Activity> {
        use infra::activity::{Activity, ActivityKind};
        let id = &action.action_id;
        let (kind, record_id, status, error) = match verdict {
            // Published again when a redelivery finds it delivered: a crash may have come before the record.
            Verdict::Known { delivered: true } | Verdict::Delivered { status: None } => {
                (ActivityKind::ActionSent, format!("{id}#sent"), None, None)
            }
            Verdict::Delivered { status } => (
                ActivityKind::ActionSent,
                format!("{id}#sent"),
                *status,
                None,
            ),
            Verdict::Retry { status, error, .. } => (
                ActivityKind::ActionRetried,
                format!("{id}#retried.{attempt}"),
                *status,
                Some(error.as_str()),
            ),
            Verdict::GiveUp { status, reason } => {
                let kind = if attempt >= self.policy.max_attempts {
                    ActivityKind::ActionDeadLettered
                } else {
                    ActivityKind::ActionFailed
                };
                (kind, format!("{id}#dead"), *status, Some(reason.as_str()))
            }
            Verdict::Known { delivered: false }
            | Verdict::Unsupported(_)
            | Verdict::TenantUnavailable
            | Verdict::Throttled(_)
            | Verdict::Busy(_)
            | Verdict::HandBack { .. } => return None,
        };
        let content = match &action.kind {
            ActionKind::SendMessage { content } | ActionKind::PrivateNote { content } => {
                Some(content.as_str())
            }
            _ => None,
        };
        Some(
            Activity::new(
                record_id,
                kind,
                action.tenant.as_str(),
                action.conversation_id,
                serde_json::json!({
                    "action_id": id,
                    "action": action.kind.name(),
                    "content": content,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                }),
            )
            .with_event_key(action.event_key.as_str()),
        )
    }

    /// A payload that is no action at all: kept as a dead letter for inspection, never retried.
    async fn undecodable(&self, payload: &Bytes, error: &str) -> (Outcome, Settle) {
        let letter = DeadLetter {
            item: DeadItem::Undecodable(payload.clone()),
            reason: format!("undecodable action: {error}"),
            status: None,
            attempts: 1,
            subject: String::new(),
            dead_at_ms: chrono::Utc::now().timestamp_millis(),
        };
        let msg_id = format!("dlq:undecodable:{}", hex_digest(payload));
        if let Err(error) = self.publish_dead_letter("_invalid", &msg_id, &letter).await {
            tracing::warn!(%error, "cannot dead-letter an undecodable action yet");
            return (Outcome::Failed, Settle::Nak(self.policy.min_delay));
        }
        self.metrics
            .action("unknown", "undecodable", Outcome::DeadLettered.as_str());
        (Outcome::DeadLettered, Settle::Ack)
    }

    async fn publish_dead_letter(
        &self,
        tenant: &str,
        msg_id: &str,
        letter: &DeadLetter,
    ) -> Result<(), async_nats::Error> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", msg_id);
        self.jetstream
            .publish_with_headers(
                self.topology.dead_letter_subject(tenant),
                headers,
                letter.encode_to_vec().into(),
            )
            .await?
            .await?;
        Ok(())
    }

    /// The tenant's calls per minute: its own setting, else the dispatcher's for its platform.
    fn rate_for(&self, tenant: &Tenant) -> u32 {
        let default = match tenant.platform {
            Platform::Chatwoot => self.rate_per_minute,
            _ => self.platform_rate_per_minute,
        };
        tenant
            .settings
            .get("rate_limit_per_minute")
            .and_then(serde_json::Value::as_u64)
            .map_or(default, |rate| u32::try_from(rate).unwrap_or(u32::MAX))
    }

    /// `n` tokens, waiting in-process when the next one is due within [`INLINE_WAIT`].
    async fn tokens(
        &self,
        tenant: &Tenant,
        n: u32,
    ) -> Result<Result<Permit, Throttled>, RateLimitError> {
        let rate = self.rate_for(tenant);
        let mut waited = false;
        loop {
            match self.limiter.acquire(&limit_key(tenant), rate, n).await? {
                Grant::Granted(permit) => return Ok(Ok(permit)),
                Grant::Throttled(throttled) if !waited && throttled.wait <= INLINE_WAIT => {
                    waited = true;
                    tokio::time::sleep(throttled.wait).await;
                }
                Grant::Throttled(throttled) => return Ok(Err(throttled)),
            }
        }
    }

    /// Spends a token of `permit` for a call about to be made, topping it up when it ran out or expired.
    async fn token(&self, tenant: &Tenant, permit: &mut Permit) -> Result<(), CallError> {
        if permit.spend() {
            return Ok(());
        }
        let more = self
            .tokens(tenant, 1)
            .await
            .map_err(|e| CallError::Held(Held::Unavailable(e)))?
            .map_err(|t| CallError::Held(Held::Throttled(t)))?;
        permit.absorb(more);
        permit.spend();
        Ok(())
    }

    async fn send(
        &self,
        tenant: &Tenant,
        permit: &mut Permit,
        request: &ApiRequest,
    ) -> Result<ApiResponse, CallError> {
        self.token(tenant, permit).await?;
        Ok(self.client.send(tenant, request).await?)
    }

    /// What a failed call teaches beyond this action: a 429 slows every replica down for the tenant; a refused
    /// token may have been rotated since it was cached.
    async fn learn_from(&self, tenant: &Tenant, error: &ApiError) {
        if is_rate_limited(error) {
            match self.limiter.slow_down(&limit_key(tenant)).await {
                Ok(factor) => {
                    tracing::warn!(tenant = %tenant.id, factor, "Chatwoot rate limit hit; slowing down")
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot record the 429 in the shared rate limit")
                }
            }
        }
        if is_auth_failure(error) {
            self.tenants.invalidate().await;
        }
    }

    /// Makes the action's Chatwoot call(s); returns the final HTTP status.
    async fn call(
        &self,
        tenant: &Tenant,
        action: &Action,
        permit: &mut Permit,
    ) -> Result<u16, CallError> {
        let conversation = action.conversation_id;
        let request = match &action.kind {
            ActionKind::SendMessage { content } => {
                calls::create_message(conversation, content, false, &source_id(&action.action_id))
            }
            ActionKind::PrivateNote { content } => {
                calls::create_message(conversation, content, true, &source_id(&action.action_id))
            }
            ActionKind::AddLabels {
                labels,
                known_labels,
            } => {
                let mut union = self
                    .current_labels(tenant, conversation, known_labels, permit)
                    .await?;
                for label in labels {
                    if !union.contains(label) {
                        union.push(label.clone());
                    }
                }
                calls::set_labels(conversation, &union)
            }
            ActionKind::Assign(AssignTarget::Agent(id)) => calls::assign_agent(conversation, *id),
            ActionKind::Assign(AssignTarget::Team(id)) => calls::assign_team(conversation, *id),
            ActionKind::SetStatus {
                status,
                snoozed_until,
            } => calls::toggle_status(conversation, status.as_str(), *snoozed_until),
            ActionKind::SetPriority(priority) => {
                calls::toggle_priority(conversation, priority.as_str())
            }
            ActionKind::SetLabels { labels } => calls::set_labels(conversation, labels),
        };
        Ok(self.send(tenant, permit, &request).await?.status)
    }

    /// Labels POST replaces the set, so start from Chatwoot's current labels; tokens that may not read them
    /// (agent bots before mid-2026) fall back to what the worker saw in the webhooks.
    async fn current_labels(
        &self,
        tenant: &Tenant,
        conversation: u64,
        known: &[String],
        permit: &mut Permit,
    ) -> Result<Vec<String>, CallError> {
        match self
            .send(tenant, permit, &calls::list_labels(conversation))
            .await
        {
            Ok(response) => Ok(response
                .json()
                .and_then(|mut v| serde_json::from_value(v.get_mut("payload")?.take()).ok())
                .unwrap_or_else(|| known.to_vec())),
            Err(CallError::Api(ApiError::Status {
                status: 401 | 403, ..
            })) => Ok(known.to_vec()),
            Err(error) => Err(error),
        }
    }

    /// Looks for the message an earlier attempt may have posted. Chatwoot lists the latest 20 messages a page,
    /// so a busy conversation is paged back (`before` the oldest id seen) until a page starts before the action
    /// was created: the reply cannot be older than that.
    async fn already_posted(
        &self,
        tenant: &Tenant,
        action: &Action,
        permit: &mut Permit,
    ) -> Result<bool, CallError> {
        let wanted = source_id(&action.action_id);
        // Chatwoot's clock may be behind ours.
        let not_before = action.created_at_ms / 1000 - 300;
        let mut before = None;
        for _ in 0..MAX_RECONCILE_PAGES {
            let mut request = calls::list_messages(action.conversation_id);
            if let Some(id) = before {
                request.path = format!("{}?before={id}", request.path);
            }
            let response = self.send(tenant, permit, &request).await?;
            let page = match response.json().as_mut().and_then(|v| v.get_mut("payload")) {
                Some(serde_json::Value::Array(page)) => std::mem::take(page),
                _ => Vec::new(),
            };
            if page
                .iter()
                .any(|m| m.get("source_id").and_then(|s| s.as_str()) == Some(wanted.as_str()))
            {
                return Ok(true);
            }
            let oldest = page
                .iter()
                .filter_map(|m| Some((m.get("id")?.as_u64()?, m.get("created_at")?.as_i64()?)))
                .min();
            match oldest {
                Some((id, created_at))
                    if page.len() >= RECONCILE_PAGE && created_at >= not_before =>
                {
                    before = Some(id);
                }
                _ => return Ok(false),
            }
        }
        Err(CallError::Api(ApiError::Transport(format!(
            "more than {MAX_RECONCILE_PAGES} pages of messages since the action was created"
        ))))
    }
}

/// The shared rate limit's bucket: the tenant's for Chatwoot (as before platforms existed), and per platform and
/// tenant for the others, so a tenant moved to another platform starts with that platform's budget.
fn limit_key(tenant: &Tenant) -> String {
    match tenant.platform {
        Platform::Chatwoot => tenant.id.as_str().to_owned(),
        platform => format!("{platform}:{}", tenant.id),
    }
}

/// A digest of an undecodable payload for its dead letter's id, so a redelivery is kept once. `DefaultHasher::new`
/// has fixed keys: every dispatcher computes the same one.
fn hex_digest(payload: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    payload.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

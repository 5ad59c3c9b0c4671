//! One action, end to end: claim in the ledger, reconcile an uncertain earlier attempt, call Chatwoot, record
//! the outcome and tell the consumer how to settle the message.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chatwoot::client::calls;
use chatwoot::{ApiError, ApiRequest, ApiResponse, ChatwootClient};
use infra::{Tenant, TenantCache, Topology};
use proto::{Action, ActionKind, AssignTarget};

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
}

/// The ledger or the rate limit's table cannot be reached: nothing was called, try again shortly.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
}

/// What an attempt learnt, for its activity record.
#[derive(Debug, Default)]
struct Report {
    attempt: u32,
    status: Option<u16>,
    error: Option<String>,
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
            Err(error) => {
                let reason = format!("undecodable action: {error}");
                self.dead_letter_raw(payload, &reason).await;
                self.metrics
                    .action("undecodable", Outcome::DeadLettered.as_str());
                return (Outcome::DeadLettered, Settle::Ack);
            }
        };
        let turn = match self.sequencer.turn(&action).await {
            Ok(Turn::Go(turn)) => Some(turn),
            Ok(Turn::Hold) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot tell whether the conversation's previous action is settled");
                return (Outcome::Failed, Settle::Nak(self.policy.min_delay));
            }
        };
        let Some(turn) = turn else {
            self.metrics
                .action(action.kind.name(), Outcome::Held.as_str());
            return (Outcome::Held, Settle::Nak(self.policy.held(delivered)));
        };
        let mut report = Report::default();
        let result = match self.try_deliver(&action, payload, &mut report).await {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(%error, "delivery not attempted");
                (Outcome::Failed, Settle::Nak(self.policy.min_delay))
            }
        };
        turn.finish(matches!(
            result.0,
            Outcome::Delivered | Outcome::AlreadyDelivered | Outcome::DeadLettered
        ));
        self.metrics.action(action.kind.name(), result.0.as_str());
        if let Some(record) = self.activity(&action, result.0, &report) {
            // Informational: a record lost here never costs a reply; its id makes a republish one record.
            if let Err(error) =
                infra::activity::publish(&self.jetstream, &self.topology, &[record]).await
            {
                tracing::warn!(%error, "activity record not published");
            }
        }
        result
    }

    /// The activity record of an attempt's outcome: sent, retried, failed for good, or out of attempts.
    fn activity(
        &self,
        action: &Action,
        outcome: Outcome,
        report: &Report,
    ) -> Option<infra::activity::Activity> {
        use infra::activity::{Activity, ActivityKind};
        let (kind, id) = match outcome {
            Outcome::Delivered | Outcome::AlreadyDelivered => (
                ActivityKind::ActionSent,
                format!("{}#sent", action.action_id),
            ),
            Outcome::Retrying => (
                ActivityKind::ActionRetried,
                format!("{}#retried.{}", action.action_id, report.attempt),
            ),
            Outcome::DeadLettered if report.attempt >= self.policy.max_attempts => (
                ActivityKind::ActionDeadLettered,
                format!("{}#dead", action.action_id),
            ),
            Outcome::DeadLettered => (
                ActivityKind::ActionFailed,
                format!("{}#dead", action.action_id),
            ),
            Outcome::Busy | Outcome::Throttled | Outcome::Held | Outcome::Failed => return None,
        };
        let content = match &action.kind {
            ActionKind::SendMessage { content } | ActionKind::PrivateNote { content } => {
                Some(content.as_str())
            }
            _ => None,
        };
        Some(
            Activity::new(
                id,
                kind,
                action.tenant.as_str(),
                action.conversation_id,
                serde_json::json!({
                    "action_id": action.action_id,
                    "action": action.kind.name(),
                    "content": content,
                    "attempt": report.attempt,
                    "status": report.status,
                    "error": report.error,
                }),
            )
            .with_event_key(action.event_key.as_str()),
        )
    }

    async fn try_deliver(
        &self,
        action: &Action,
        payload: &Bytes,
        report: &mut Report,
    ) -> Result<(Outcome, Settle), Unavailable> {
        let tenant = match self.tenants.get(&action.tenant).await {
            Ok(tenant) => tenant,
            // Nothing claimed yet, nothing to undo: look again shortly.
            Err(error) => {
                tracing::warn!(%error, tenant = %action.tenant, "tenant lookup failed");
                return Ok((Outcome::Retrying, Settle::Nak(self.policy.min_delay)));
            }
        };
        // Tokens before the claim, so a throttled delivery leaves the ledger untouched; a delivery that turns out
        // to need no call gives them back when the permit drops.
        let mut permit = match &tenant {
            Some(tenant) => match self.tokens(tenant, calls_needed(&action.kind)).await? {
                Ok(permit) => permit,
                Err(throttled) => {
                    return Ok((
                        Outcome::Throttled,
                        Settle::Nak(self.policy.throttled(throttled)),
                    ))
                }
            },
            None => Permit::unlimited(),
        };
        let claim = self.ledger.claim(action, payload, self.lease).await?;
        let (attempt, uncertain) = match claim {
            Claim::AlreadyDelivered | Claim::AlreadyDead => {
                return Ok((Outcome::AlreadyDelivered, Settle::Ack))
            }
            Claim::Busy(wait) => return Ok((Outcome::Busy, Settle::Nak(wait))),
            Claim::Go { attempt } => (attempt, false),
            Claim::Uncertain { attempt } => (attempt, true),
        };
        report.attempt = attempt;
        let Some(tenant) = tenant else {
            let reason = format!("unknown tenant {}", action.tenant);
            report.error = Some(reason.clone());
            return Ok(self
                .give_up(action, payload, attempt, None, &reason)
                .await?);
        };
        if uncertain && !action.kind.is_idempotent() {
            match self.already_posted(&tenant, action, &mut permit).await {
                Ok(true) => {
                    tracing::info!(action_id = %action.action_id, "earlier uncertain attempt had arrived");
                    self.ledger
                        .settle(&action.action_id, SettledState::Delivered, None, None)
                        .await?;
                    return Ok((Outcome::AlreadyDelivered, Settle::Ack));
                }
                Ok(false) => {}
                Err(CallError::Api(error)) => {
                    report.status = error.status();
                    report.error = Some(error.to_string());
                    self.learn_from(&tenant, &error).await;
                    // A look that failed for a passing reason (5xx, 429, timeout) is tried again later, still
                    // uncertain; no call was made that could post twice.
                    if let Decision::Retry(delay) = self.policy.decide(&error, attempt) {
                        tracing::warn!(%error, attempt, ?delay, action_id = %action.action_id, "cannot check an uncertain delivery yet");
                        self.ledger
                            .settle(
                                &action.action_id,
                                SettledState::Uncertain,
                                error.status(),
                                Some(&error.to_string()),
                            )
                            .await?;
                        return Ok((Outcome::Retrying, Settle::Nak(delay)));
                    }
                    // Without a way to look (a bot token may not list messages) a resend could show the customer
                    // the reply twice; an operator decides with the dead letter's explanation.
                    let reason = format!(
                        "delivery uncertain: an earlier attempt may have reached Chatwoot and it cannot be \
                         checked ({error}); look at the conversation and redrive if the message is missing"
                    );
                    return Ok(self
                        .give_up(action, payload, attempt, error.status(), &reason)
                        .await?);
                }
                Err(CallError::Held(held)) => {
                    return self.hand_back(action, SettledState::Uncertain, held).await
                }
            }
        }
        match self.call(&tenant, action, &mut permit).await {
            Ok(status) => {
                report.status = Some(status);
                self.ledger
                    .settle(
                        &action.action_id,
                        SettledState::Delivered,
                        Some(status),
                        None,
                    )
                    .await?;
                Ok((Outcome::Delivered, Settle::Ack))
            }
            Err(CallError::Api(error)) => {
                report.status = error.status();
                report.error = Some(error.to_string());
                self.learn_from(&tenant, &error).await;
                match self.policy.decide(&error, attempt) {
                    Decision::Retry(delay) => {
                        let state = if may_have_arrived(&error) && !action.kind.is_idempotent() {
                            SettledState::Uncertain
                        } else {
                            SettledState::Retrying
                        };
                        tracing::warn!(%error, attempt, ?delay, action_id = %action.action_id, "will retry");
                        self.ledger
                            .settle(
                                &action.action_id,
                                state,
                                error.status(),
                                Some(&error.to_string()),
                            )
                            .await?;
                        Ok((Outcome::Retrying, Settle::Nak(delay)))
                    }
                    Decision::GiveUp => Ok(self
                        .give_up(action, payload, attempt, error.status(), &error.to_string())
                        .await?),
                }
            }
            // Every call that was made (a label read, a look for an earlier attempt) is idempotent, so the state
            // the action had before this attempt still describes it.
            Err(CallError::Held(held)) => {
                let state = if uncertain {
                    SettledState::Uncertain
                } else {
                    SettledState::Retrying
                };
                self.hand_back(action, state, held).await
            }
        }
    }

    /// The tenant's calls per minute: its own setting, else the dispatcher's.
    fn rate_for(&self, tenant: &Tenant) -> u32 {
        tenant
            .settings
            .get("rate_limit_per_minute")
            .and_then(serde_json::Value::as_u64)
            .map_or(self.rate_per_minute, |rate| {
                u32::try_from(rate).unwrap_or(u32::MAX)
            })
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
            match self.limiter.acquire(tenant.id.as_str(), rate, n).await? {
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
            match self.limiter.slow_down(tenant.id.as_str()).await {
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

    /// Undoes the claim of an attempt that made no call it must not repeat (no token, or the rate limit's
    /// table unreachable) and sends the action back to JetStream.
    async fn hand_back(
        &self,
        action: &Action,
        state: SettledState,
        why: Held,
    ) -> Result<(Outcome, Settle), Unavailable> {
        match why {
            Held::Throttled(throttled) => {
                self.ledger.release(&action.action_id, state).await?;
                Ok((
                    Outcome::Throttled,
                    Settle::Nak(self.policy.throttled(throttled)),
                ))
            }
            Held::Unavailable(error) => {
                // If this fails too, the lease runs out and the next attempt reconciles: still never twice.
                self.ledger.release(&action.action_id, state).await?;
                Err(error.into())
            }
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

    async fn give_up(
        &self,
        action: &Action,
        payload: &Bytes,
        attempt: u32,
        status: Option<u16>,
        reason: &str,
    ) -> Result<(Outcome, Settle), ledger::LedgerError> {
        tracing::error!(action_id = %action.action_id, attempt, ?status, %reason, "action dead-lettered");
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("dlq:{}:{attempt}", action.action_id).as_str(),
        );
        headers.insert("Cw-Action-Id", action.action_id.as_str());
        headers.insert("Cw-Kind", action.kind.name());
        headers.insert("Cw-Attempts", attempt.to_string().as_str());
        headers.insert(
            "Cw-Status",
            status.map(|s| s.to_string()).unwrap_or_default().as_str(),
        );
        headers.insert("Cw-Error", one_line(reason).as_str());
        let subject = self.topology.dead_letter_subject(&action.tenant);
        if let Err(error) =
            publish_and_wait(&self.jetstream, subject, headers, payload.clone()).await
        {
            // Not dead-lettered yet, so not given up: the redelivery tries again.
            tracing::warn!(%error, "dead-letter publish failed");
            return Ok((Outcome::Failed, Settle::Nak(self.policy.min_delay)));
        }
        self.ledger
            .settle(&action.action_id, SettledState::Dead, status, Some(reason))
            .await?;
        Ok((Outcome::DeadLettered, Settle::Ack))
    }

    async fn dead_letter_raw(&self, payload: &Bytes, reason: &str) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Cw-Error", one_line(reason).as_str());
        let subject = self.topology.dead_letter_subject("_invalid");
        if let Err(error) =
            publish_and_wait(&self.jetstream, subject, headers, payload.clone()).await
        {
            tracing::error!(%error, "cannot dead-letter an undecodable action; dropping it");
        }
    }
}

async fn publish_and_wait(
    js: &async_nats::jetstream::Context,
    subject: String,
    headers: async_nats::HeaderMap,
    payload: Bytes,
) -> Result<(), async_nats::Error> {
    js.publish_with_headers(subject, headers, payload)
        .await?
        .await?;
    Ok(())
}

/// Header values cannot hold line breaks.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ").chars().take(1000).collect()
}

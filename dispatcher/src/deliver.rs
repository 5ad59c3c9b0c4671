//! One action, end to end: claim in the ledger, reconcile an uncertain earlier attempt, call Chatwoot, record
//! the outcome and tell the consumer how to settle the message.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chatwoot::client::calls;
use chatwoot::{ApiError, ChatwootClient};
use deadpool_postgres::Pool;
use infra::{Tenant, TenantCache, Topology};
use proto::{Action, ActionKind, AssignTarget};

use crate::ledger::{self, Claim, SettledState};
use crate::retry::{may_have_arrived, Decision, RetryPolicy};

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
            Self::Failed => "failed",
        }
    }
}

pub struct Deliverer {
    pub(crate) pool: Pool,
    pub(crate) tenants: Arc<TenantCache>,
    pub(crate) client: ChatwootClient,
    pub(crate) policy: RetryPolicy,
    pub(crate) lease: Duration,
    pub(crate) jetstream: async_nats::jetstream::Context,
    pub(crate) topology: Topology,
    pub(crate) metrics: crate::metrics::DispatcherMetrics,
}

/// The `source_id` given to messages the pipeline posts: how a later attempt recognises that an earlier,
/// uncertain one did arrive.
pub fn source_id(action_id: &str) -> String {
    format!("cwp:{action_id}")
}

impl Deliverer {
    pub async fn deliver(&self, payload: &Bytes) -> (Outcome, Settle) {
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
        let result = match self.try_deliver(&action, payload).await {
            Ok(result) => result,
            // The ledger is unreachable: nothing was called, try again shortly.
            Err(error) => {
                tracing::warn!(%error, "ledger unavailable");
                (Outcome::Failed, Settle::Nak(self.policy.min_delay))
            }
        };
        self.metrics.action(action.kind.name(), result.0.as_str());
        result
    }

    async fn try_deliver(
        &self,
        action: &Action,
        payload: &Bytes,
    ) -> Result<(Outcome, Settle), ledger::LedgerError> {
        let claim = ledger::claim(&self.pool, action, payload, self.lease).await?;
        let (attempt, uncertain) = match claim {
            Claim::AlreadyDelivered | Claim::AlreadyDead => {
                return Ok((Outcome::AlreadyDelivered, Settle::Ack))
            }
            Claim::Busy(wait) => return Ok((Outcome::Busy, Settle::Nak(wait))),
            Claim::Go { attempt } => (attempt, false),
            Claim::Uncertain { attempt } => (attempt, true),
        };
        let tenant = match self.tenants.get(&action.tenant).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => {
                let reason = format!("unknown tenant {}", action.tenant);
                return self.give_up(action, payload, attempt, None, &reason).await;
            }
            Err(error) => {
                ledger::settle(
                    &self.pool,
                    &action.action_id,
                    SettledState::Retrying,
                    None,
                    Some(&error.to_string()),
                )
                .await?;
                return Ok((Outcome::Retrying, Settle::Nak(self.policy.min_delay)));
            }
        };
        if uncertain && !action.kind.is_idempotent() {
            match self.already_posted(&tenant, action).await {
                Ok(true) => {
                    tracing::info!(action_id = %action.action_id, "earlier uncertain attempt had arrived");
                    ledger::settle(
                        &self.pool,
                        &action.action_id,
                        SettledState::Delivered,
                        None,
                        None,
                    )
                    .await?;
                    return Ok((Outcome::AlreadyDelivered, Settle::Ack));
                }
                Ok(false) => {}
                Err(error) => {
                    // Without a way to look (a bot token may not list messages) a resend could show the customer
                    // the reply twice; an operator decides with the dead letter's explanation.
                    let reason = format!(
                        "delivery uncertain: an earlier attempt may have reached Chatwoot and it cannot be \
                         checked ({error}); look at the conversation and redrive if the message is missing"
                    );
                    return self
                        .give_up(action, payload, attempt, error.status(), &reason)
                        .await;
                }
            }
        }
        match self.call(&tenant, action).await {
            Ok(status) => {
                ledger::settle(
                    &self.pool,
                    &action.action_id,
                    SettledState::Delivered,
                    Some(status),
                    None,
                )
                .await?;
                Ok((Outcome::Delivered, Settle::Ack))
            }
            Err(error) => match self.policy.decide(&error, attempt) {
                Decision::Retry(delay) => {
                    let state = if may_have_arrived(&error) && !action.kind.is_idempotent() {
                        SettledState::Uncertain
                    } else {
                        SettledState::Retrying
                    };
                    tracing::warn!(%error, attempt, ?delay, action_id = %action.action_id, "will retry");
                    ledger::settle(
                        &self.pool,
                        &action.action_id,
                        state,
                        error.status(),
                        Some(&error.to_string()),
                    )
                    .await?;
                    Ok((Outcome::Retrying, Settle::Nak(delay)))
                }
                Decision::GiveUp => {
                    self.give_up(action, payload, attempt, error.status(), &error.to_string())
                        .await
                }
            },
        }
    }

    /// Makes the action's Chatwoot call(s); returns the final HTTP status.
    async fn call(&self, tenant: &Tenant, action: &Action) -> Result<u16, ApiError> {
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
                    .current_labels(tenant, conversation, known_labels)
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
        };
        Ok(self.client.send(tenant, &request).await?.status)
    }

    /// Labels POST replaces the set, so start from Chatwoot's current labels; tokens that may not read them
    /// (agent bots before mid-2026) fall back to what the worker saw in the webhooks.
    async fn current_labels(
        &self,
        tenant: &Tenant,
        conversation: u64,
        known: &[String],
    ) -> Result<Vec<String>, ApiError> {
        match self
            .client
            .send(tenant, &calls::list_labels(conversation))
            .await
        {
            Ok(response) => Ok(response
                .json()
                .and_then(|v| v.get("payload").cloned())
                .and_then(|p| serde_json::from_value::<Vec<String>>(p).ok())
                .unwrap_or_else(|| known.to_vec())),
            Err(ApiError::Status {
                status: 401 | 403, ..
            }) => Ok(known.to_vec()),
            Err(error) => Err(error),
        }
    }

    async fn already_posted(&self, tenant: &Tenant, action: &Action) -> Result<bool, ApiError> {
        let response = self
            .client
            .send(tenant, &calls::list_messages(action.conversation_id))
            .await?;
        let wanted = source_id(&action.action_id);
        Ok(response
            .json()
            .and_then(|v| v.get("payload").and_then(|p| p.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .any(|m| m.get("source_id").and_then(|s| s.as_str()) == Some(wanted.as_str())))
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
        ledger::settle(
            &self.pool,
            &action.action_id,
            SettledState::Dead,
            status,
            Some(reason),
        )
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

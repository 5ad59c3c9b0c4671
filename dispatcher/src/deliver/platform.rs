//! An action for a tenant on another platform than Chatwoot: the platform's call, judged by the same retry
//! policy and settled in the same place as Chatwoot's. There is no look for an earlier uncertain attempt here
//! (the platforms offer no `source_id` to find it by): a generic webhook's receiver drops the repeat by its
//! `webhook-id`, the other platforms may show a reply twice after a timeout that hid its arrival.

use infra::Tenant;
use platforms::Outbound;
use proto::Action;

use super::{CallError, Deliverer, Unavailable, Verdict};
use crate::ledger::SettledState;
use crate::ratelimit::Permit;
use crate::retry::{may_have_arrived, Decision, RetryPolicy};

impl Deliverer {
    /// The retry policy for the tenant: the dispatcher's, with the generic webhook's own `retries` if set.
    fn policy_for(&self, tenant: &Tenant) -> RetryPolicy {
        let mut policy = self.policy.clone();
        if let Some(max) = platforms::max_attempts(tenant) {
            policy.max_attempts = max;
        }
        policy
    }

    pub(super) async fn platform_attempt(
        &self,
        tenant: &Tenant,
        action: &Action,
        attempt: u32,
        state_before: SettledState,
        permit: &mut Permit,
    ) -> Result<Verdict, Unavailable> {
        let platform = tenant.platform;
        let Some(conversation) = infra::platform::external_conversation(
            &self.pool,
            tenant.id.as_str(),
            platform,
            action.conversation_id,
        )
        .await?
        else {
            return Ok(Verdict::GiveUp {
                status: None,
                reason: format!(
                    "conversation {} never came from {platform}: no {platform} id to call",
                    action.conversation_id
                ),
            });
        };
        let call = match platforms::outbound_call(tenant, &conversation, action, chrono::Utc::now())
        {
            Ok(Outbound::Call(call)) => call,
            Ok(Outbound::Unsupported(reason)) => return Ok(Verdict::Unsupported(reason)),
            Err(error) => {
                return Ok(Verdict::GiveUp {
                    status: None,
                    reason: error.to_string(),
                })
            }
        };
        if let Err(CallError::Held(why)) = self.token(tenant, permit).await {
            return Ok(Verdict::HandBack {
                state: state_before,
                why,
            });
        }
        let error = match self.client.send_external(tenant.id.as_str(), &call).await {
            Ok(response) => {
                return Ok(Verdict::Delivered {
                    status: Some(response.status),
                })
            }
            Err(error) => error,
        };
        self.learn_from(tenant, &error).await;
        Ok(match self.policy_for(tenant).decide(&error, attempt) {
            Decision::Retry(delay) => Verdict::Retry {
                state: if may_have_arrived(&error) && !action.kind.is_idempotent() {
                    SettledState::Uncertain
                } else {
                    SettledState::Retrying
                },
                delay,
                status: error.status(),
                error: format!("{platform}: {error}"),
            },
            Decision::GiveUp => Verdict::GiveUp {
                status: error.status(),
                reason: format!("{platform}: {error}"),
            },
        })
    }
}

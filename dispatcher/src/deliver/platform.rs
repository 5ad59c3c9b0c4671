//! An action for a tenant on another platform than Chatwoot: the platform's call, judged by the same retry
//! policy and settled in the same place as Chatwoot's. A reply whose earlier attempt may have arrived is looked
//! for first (`platforms::lookup`: same author, visibility and text, recent enough, more of them than our other
//! delivered replies of that text) and not sent again when found; a generic webhook's receiver drops the repeat
//! by its `webhook-id`.

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
        if state_before == SettledState::Uncertain {
            let lookup = match platforms::lookup(tenant, &conversation, action) {
                Ok(lookup) => lookup,
                Err(error) => {
                    return Ok(Verdict::GiveUp {
                        status: None,
                        reason: error.to_string(),
                    })
                }
            };
            if let Some(lookup) = lookup {
                if let Some(verdict) = self
                    .earlier_attempt(tenant, action, attempt, &lookup, permit)
                    .await?
                {
                    return Ok(verdict);
                }
            }
        }
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

    /// Looks for the reply an uncertain earlier attempt may have posted: `Some(verdict)` when that settles the
    /// attempt (found: delivered; the look failed: retried later, still uncertain, or given up with an
    /// explanation), `None` when it certainly did not arrive and the call is to be made.
    async fn earlier_attempt(
        &self,
        tenant: &Tenant,
        action: &Action,
        attempt: u32,
        lookup: &platforms::Lookup,
        permit: &mut Permit,
    ) -> Result<Option<Verdict>, Unavailable> {
        let platform = tenant.platform;
        if let Err(CallError::Held(why)) = self.token(tenant, permit).await {
            return Ok(Some(Verdict::HandBack {
                state: SettledState::Uncertain,
                why,
            }));
        }
        let looked = self
            .client
            .send_external(tenant.id.as_str(), &lookup.call)
            .await
            .and_then(|response| {
                let listing = response.json().unwrap_or_default();
                lookup
                    .matches(&listing)
                    .map_err(|e| chatwoot::ApiError::Transport(e.to_string()))
            });
        let found = match looked {
            Ok(found) => found,
            Err(error) => {
                self.learn_from(tenant, &error).await;
                return Ok(Some(match self.policy_for(tenant).decide(&error, attempt) {
                    Decision::Retry(delay) => Verdict::Retry {
                        state: SettledState::Uncertain,
                        delay,
                        status: error.status(),
                        error: format!("{platform}: looking for the earlier attempt: {error}"),
                    },
                    Decision::GiveUp => Verdict::GiveUp {
                        status: error.status(),
                        reason: format!(
                            "delivery uncertain: an earlier attempt may have reached {platform} and it cannot be \
                             checked ({error}); look at the conversation and redrive if the reply is missing"
                        ),
                    },
                }));
            }
        };
        let twins = self
            .ledger
            .delivered_twins(action, lookup.not_before())
            .await?;
        if found > twins {
            tracing::info!(action_id = %action.action_id, %platform, "earlier uncertain attempt had arrived");
            return Ok(Some(Verdict::Delivered { status: None }));
        }
        Ok(None)
    }
}

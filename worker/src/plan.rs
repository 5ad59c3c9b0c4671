//! Planning one event: what it leads to (actions, state and draft writes, activity records), decided before the
//! batch's transaction and written in it.

use chatwoot::Webhook;
use infra::activity::Activity;
use infra::Tenant;
use proto::ActionKind;
use tracing::Instrument;

use crate::activity::Records;
use crate::ai::{self, drafts::DraftWrites};
use crate::commands::{self, CommandPlan};
use crate::decide::{Decision, MessageContext};
use crate::incoming::Incoming;
use crate::process::{ProcessError, Processor};
use crate::responder::{Reply, ReplyContext};
use crate::state::{self, BotState};

/// What was decided about one event: its actions, an agent still to pick from a round-robin rotation, the
/// decision to record with a customer message, the draft rows to write with it, an API command's outcome, and
/// the event's activity records.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub kinds: Vec<ActionKind>,
    pub rotation: Option<Rotation>,
    pub decision: Option<Decision>,
    pub writes: DraftWrites,
    pub command: Option<CommandPlan>,
    pub activity: Vec<Activity>,
}

/// An assignment to the next agent of a rotation shared by every worker. The agent is picked in the transaction
/// that records the event: a batch that rolls back (a lost claim, a failure) or is retried then leaves the
/// rotation where it was instead of skipping agents.
#[derive(Debug)]
pub(crate) struct Rotation {
    pub tenant: String,
    pub rule: String,
    pub agents: Vec<u64>,
    /// Where the assignment goes among the event's actions.
    pub position: usize,
}

impl Processor {
    /// What to do about one event: the actions, what to write with it, and its activity records.
    pub(crate) async fn plan(
        &self,
        client: &deadpool_postgres::Client,
        tenant: &Tenant,
        ledger_key: &str,
        incoming: &Incoming,
        stored: Option<&state::ConversationState>,
    ) -> Result<Plan, ProcessError> {
        let default_state = state::ConversationState::default();
        let conversation = stored.unwrap_or(&default_state);
        let mut records = Records::new(ledger_key, tenant.id.as_str(), incoming.conversation_id());
        let mut plan = match incoming {
            Incoming::Command(command) => {
                let escalation_team = self
                    .brain
                    .rules()
                    .get(tenant.id.as_str())
                    .settings
                    .escalation_team;
                let mut outcome = commands::plan(client, command, stored, escalation_team).await?;
                records.command(command, &outcome);
                Plan {
                    kinds: std::mem::take(&mut outcome.actions),
                    writes: std::mem::take(&mut outcome.writes),
                    command: Some(outcome),
                    ..Plan::default()
                }
            }
            Incoming::SlaBreach(breach) => {
                records.sla_breach(breach);
                Plan {
                    kinds: breach.actions(&conversation.labels),
                    ..Plan::default()
                }
            }
            Incoming::Webhook(hook) if hook.is_customer_message() => {
                let (plan, handoff) = self.decide(client, tenant, hook, conversation).await?;
                records.webhook(hook, plan.decision.as_ref(), &plan.writes, handoff);
                plan
            }
            Incoming::Webhook(hook) => {
                let mut plan = Plan::default();
                if let Some(command) = ai::approval::command_of(hook) {
                    let approval =
                        ai::approval::plan(client, tenant.id.as_str(), hook, command).await?;
                    plan.kinds = approval.actions;
                    plan.writes = approval.writes;
                }
                records.webhook(hook, None, &plan.writes, None);
                plan
            }
        };
        plan.activity = records.into_vec();
        Ok(plan)
    }

    /// Triage, rules, handoff and the responder for one customer message; an AI answer is returned as a draft
    /// to record with the event. Also says why the conversation was handed to people, if it was.
    async fn decide(
        &self,
        client: &deadpool_postgres::Client,
        tenant: &Tenant,
        hook: &Webhook,
        conversation: &state::ConversationState,
    ) -> Result<(Plan, Option<&'static str>), ProcessError> {
        let text = hook.customer_text();
        let conversation_meta = hook.conversation.as_ref();
        let assigned = hook
            .conversation_meta()
            .is_some_and(|m| m.assignee.as_ref().and_then(|a| a.id).is_some());
        let context = MessageContext {
            tenant: tenant.id.as_str(),
            text: &text,
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
        let mut decision = self.triage.decide(&context, &tenant.settings).await;
        tracing::debug!(fired = ?decision.fired, language = %decision.triage.language, "rules evaluated");
        let conversation_id = hook.conversation_id().unwrap_or_default();
        let message_id = hook.id.unwrap_or_default();
        let mut writes = DraftWrites {
            stale_before: conversation
                .pending_drafts
                .then(|| (tenant.id.to_string(), conversation_id, message_id)),
            ..DraftWrites::default()
        };
        let mut reply_actions = Vec::new();
        let mut answered_publicly = false;
        let mut handoff = false;
        if decision.respond {
            let ctx = ReplyContext {
                tenant,
                conversation_id,
                message_id,
                content: &text,
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
                    answered_publicly = answer.public;
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
                Reply::Handoff => handoff = true,
            }
        }
        decision.send_rule_replies(answered_publicly);
        if handoff {
            decision.hand_off(conversation);
        }
        let handed_off = (decision.bot_state == Some(BotState::HandedOff)
            && conversation.bot_state != BotState::HandedOff)
            .then(|| handoff_reason(&decision, handoff));
        let mut kinds = std::mem::take(&mut decision.actions);
        // The round-robin agent is picked inside the batch's transaction (see `Rotation`), between the rules'
        // actions and the answer.
        let rotation = decision.round_robin.take().map(|(rule, agents)| Rotation {
            tenant: tenant.id.to_string(),
            rule,
            agents,
            position: kinds.len(),
        });
        kinds.extend(reply_actions);
        let plan = Plan {
            kinds,
            rotation,
            decision: Some(decision),
            writes,
            ..Plan::default()
        };
        Ok((plan, handed_off))
    }
}

/// Why a customer message handed its conversation to people, for the activity record.
fn handoff_reason(decision: &Decision, responder_had_nothing: bool) -> &'static str {
    if responder_had_nothing {
        "nothing good enough to answer"
    } else if decision.triage.escalate.is_some() {
        "escalated by the rules"
    } else if decision.triage.handoff {
        "the customer asked for a person"
    } else {
        "a rule handed it over"
    }
}

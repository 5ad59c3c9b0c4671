//! API commands (`proto::Command`): what an agent or an integrator does through the API becomes actions for the
//! dispatcher and state written with the event, exactly as a webhook's would. A draft decision goes through the
//! same [`crate::ai::approval::decide`] as an agent's `/approve` note, so whichever of the two comes first in the
//! conversation's order decides, and the other is refused.

use deadpool_postgres::GenericClient;
use proto::{
    ActionKind, Actor, ActorKind, AssignTarget, Command, CommandKind, ConversationStatus, Priority,
};

use crate::ai::approval::{self, Decider};
use crate::ai::command::{self as note_command, Grades, Verb};
use crate::ai::drafts::DraftWrites;
use crate::decide::HANDOFF_LABEL;
use crate::state::{BotState, ConversationState};

/// The label an escalation through the API adds, as the escalation rule does.
pub const ESCALATION_LABEL: &str = "escalation";

/// What a command leads to.
#[derive(Debug, Default)]
pub struct CommandPlan {
    pub actions: Vec<ActionKind>,
    pub writes: DraftWrites,
    pub bot_state: Option<BotState>,
    /// `None`: applied. `Some(why)`: refused, nothing else happens.
    pub refused: Option<String>,
    /// A public message an agent wrote: a person answered, as when they reply in Chatwoot.
    pub human_reply: bool,
}

impl CommandPlan {
    fn refused(why: impl Into<String>) -> Self {
        Self {
            refused: Some(why.into()),
            ..Self::default()
        }
    }
}

/// Plans `command` against the conversation as stored (`None`: the pipeline has never seen it).
pub async fn plan(
    client: &impl GenericClient,
    command: &Command,
    conversation: Option<&ConversationState>,
    escalation_team: Option<u64>,
) -> Result<CommandPlan, tokio_postgres::Error> {
    let Some(conversation) = conversation else {
        return Ok(CommandPlan::refused(format!(
            "conversation {} is unknown",
            command.conversation_id
        )));
    };
    Ok(match &command.kind {
        CommandKind::PostMessage { content, private } => CommandPlan {
            actions: vec![if *private {
                ActionKind::PrivateNote {
                    content: content.clone(),
                }
            } else {
                ActionKind::SendMessage {
                    content: content.clone(),
                }
            }],
            // The reply comes back from Chatwoot as the pipeline's own message, so the person is noted here.
            human_reply: !private && command.actor.kind == ActorKind::Agent,
            bot_state: (!private
                && command.actor.kind == ActorKind::Agent
                && conversation.bot_state == BotState::Active)
                .then_some(BotState::Silenced),
            ..CommandPlan::default()
        },
        CommandKind::UpdateConversation(update) => {
            let mut actions = Vec::new();
            if let Some((status, snoozed_until)) = update.status {
                actions.push(ActionKind::SetStatus {
                    status,
                    snoozed_until,
                });
            }
            if let Some(priority) = update.priority {
                actions.push(ActionKind::SetPriority(priority));
            }
            // Chatwoot unassigns when the id is unknown: 0 is how an assignment is removed.
            if let Some(agent) = update.assignee {
                actions.push(ActionKind::Assign(AssignTarget::Agent(agent.unwrap_or(0))));
            }
            if let Some(team) = update.team {
                actions.push(ActionKind::Assign(AssignTarget::Team(team.unwrap_or(0))));
            }
            if let Some(labels) = &update.labels {
                actions.push(ActionKind::SetLabels {
                    labels: labels.clone(),
                });
            }
            if actions.is_empty() {
                return Ok(CommandPlan::refused("nothing to change"));
            }
            CommandPlan {
                actions,
                ..CommandPlan::default()
            }
        }
        CommandKind::Escalate { reason } => {
            escalate(reason, &command.actor, conversation, escalation_team)
        }
        CommandKind::DecideDraft(decision) => {
            let request = note_command::Command {
                verb: if decision.approve {
                    Verb::Approve
                } else {
                    Verb::Reject
                },
                draft_id: Some(decision.draft_id),
                text: decision.text.clone().unwrap_or_default(),
                grades: Grades {
                    tone: decision.grades[0].map(i16::from),
                    accuracy: decision.grades[1].map(i16::from),
                    policy: decision.grades[2].map(i16::from),
                },
            };
            let decider = Decider {
                id: match command.actor.kind {
                    ActorKind::Agent => command.actor.id.parse().ok(),
                    ActorKind::ApiKey => None,
                },
                name: Some(actor_name(&command.actor)),
                message_id: None,
            };
            match approval::decide(
                client,
                &command.tenant,
                command.conversation_id,
                &request,
                decider,
            )
            .await?
            {
                Ok(approval) => CommandPlan {
                    actions: approval.actions,
                    writes: approval.writes,
                    ..CommandPlan::default()
                },
                Err(why) => CommandPlan::refused(why),
            }
        }
    })
}

/// Hands the conversation to people as the escalation rule does: label, urgent priority, the escalation team, a
/// private note with who and why, and the bot silent until it is resolved.
fn escalate(
    reason: &str,
    actor: &Actor,
    conversation: &ConversationState,
    escalation_team: Option<u64>,
) -> CommandPlan {
    let mut labels = vec![ESCALATION_LABEL.to_owned()];
    if conversation.bot_state == BotState::Active {
        labels.push(HANDOFF_LABEL.to_owned());
    }
    let mut actions = vec![
        ActionKind::AddLabels {
            labels,
            known_labels: conversation.labels.clone(),
        },
        ActionKind::SetPriority(Priority::Urgent),
    ];
    if let Some(team) = escalation_team {
        actions.push(ActionKind::Assign(AssignTarget::Team(team)));
    }
    let why = if reason.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", reason.trim())
    };
    actions.push(ActionKind::PrivateNote {
        content: format!(
            "Escalated by {}{why}. The bot has stopped in this conversation; a person must take over.",
            actor_name(actor)
        ),
    });
    if conversation.bot_state == BotState::Active {
        actions.push(ActionKind::SetStatus {
            status: ConversationStatus::Open,
            snoozed_until: None,
        });
    }
    CommandPlan {
        actions,
        bot_state: Some(BotState::HandedOff),
        ..CommandPlan::default()
    }
}

/// How the actor is named in notes and decisions: the agent's name, or the API key's.
pub fn actor_name(actor: &Actor) -> String {
    match (actor.kind, actor.name.is_empty()) {
        (ActorKind::Agent, false) => actor.name.clone(),
        (ActorKind::Agent, true) => format!("agent {}", actor.id),
        (ActorKind::ApiKey, false) => format!("API key {}", actor.name),
        (ActorKind::ApiKey, true) => format!("API key {}", actor.id),
    }
}

/// Records the command's outcome, keyed by its idempotency key (the API reads it back).
pub async fn record(
    client: &impl GenericClient,
    command: &Command,
    event_key: &str,
    refused: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "INSERT INTO commands (tenant, idempotency_key, kind, conversation_id, request_hash, actor_kind,
                                   actor_id, actor_name, status, detail, event_key, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12::float8 / 1000))
             ON CONFLICT (tenant, idempotency_key) DO NOTHING",
        )
        .await?;
    let requested_at = command.requested_at_ms as f64;
    client
        .execute(
            &statement,
            &[
                &command.tenant,
                &command.idempotency_key,
                &command.kind.name(),
                &crate::state::to_i64(command.conversation_id),
                &command.request_hash,
                &command.actor.kind.as_str(),
                &command.actor.id,
                &command.actor.name,
                &if refused.is_some() {
                    "refused"
                } else {
                    "applied"
                },
                &refused,
                &event_key,
                &requested_at,
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> Actor {
        Actor {
            kind: ActorKind::Agent,
            id: "17".into(),
            name: "Jonas Berg".into(),
        }
    }

    #[test]
    fn an_escalation_hands_off_like_the_escalation_rule() {
        let conversation = ConversationState {
            labels: vec!["vip".into()],
            ..ConversationState::default()
        };
        let plan = escalate("threatens to sue", &agent(), &conversation, Some(2));
        assert_eq!(plan.bot_state, Some(BotState::HandedOff));
        assert_eq!(
            plan.actions,
            vec![
                ActionKind::AddLabels {
                    labels: vec![ESCALATION_LABEL.into(), HANDOFF_LABEL.into()],
                    known_labels: vec!["vip".into()],
                },
                ActionKind::SetPriority(Priority::Urgent),
                ActionKind::Assign(AssignTarget::Team(2)),
                ActionKind::PrivateNote {
                    content:
                        "Escalated by Jonas Berg: threatens to sue. The bot has stopped in this \
                              conversation; a person must take over."
                            .into()
                },
                ActionKind::SetStatus {
                    status: ConversationStatus::Open,
                    snoozed_until: None
                },
            ]
        );
        let handed_off = ConversationState {
            bot_state: BotState::HandedOff,
            ..ConversationState::default()
        };
        let again = escalate("", &agent(), &handed_off, None);
        assert_eq!(again.actions.len(), 3, "{:?}", again.actions);
    }

    #[test]
    fn actors_are_named_for_people() {
        assert_eq!(actor_name(&agent()), "Jonas Berg");
        let key = Actor {
            kind: ActorKind::ApiKey,
            id: "k1".into(),
            name: "crm-sync".into(),
        };
        assert_eq!(actor_name(&key), "API key crm-sync");
    }
}

//! What to do about one customer message: triage it, run the tenant's rules, hand off when the customer asks for
//! a person, and otherwise let the responder answer. Everything it decides becomes actions for the dispatcher and
//! state changes committed with the event.

use chrono::{DateTime, Utc};
use proto::{ActionKind, ConversationStatus};
use triage::{Triage, Triager};

use crate::rules::{evaluate, Evaluation, RuleBook, RuleInput};
use crate::state::{BotState, ConversationState};

/// The label every handoff carries, so teams can filter for them.
pub const HANDOFF_LABEL: &str = "handoff";

/// Triage plus rules, shared by every partition loop.
pub struct Brain {
    triager: Triager,
    rules: RuleBook,
}

/// The message and its surroundings.
#[derive(Debug)]
pub struct MessageContext<'a> {
    pub tenant: &'a str,
    pub text: &'a str,
    pub inbox_id: Option<u64>,
    pub channel: Option<&'a str>,
    pub contact_attributes: Option<&'a serde_json::Value>,
    pub assigned: bool,
    pub conversation: &'a ConversationState,
    pub now: DateTime<Utc>,
}

/// The outcome of [`Brain::decide`].
#[derive(Debug)]
pub struct Decision {
    pub triage: Triage,
    pub fired: Vec<String>,
    pub actions: Vec<ActionKind>,
    /// (rule, agents): an agent still to be picked from the shared rotation.
    pub round_robin: Option<(String, Vec<u64>)>,
    pub bot_state: Option<BotState>,
    pub new_flags: Vec<String>,
    /// The bot may still answer the message itself (no handoff, no rule reply, not silenced).
    pub respond: bool,
}

impl Brain {
    pub fn new(triager: Triager, rules: RuleBook) -> Self {
        Self { triager, rules }
    }

    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }

    pub fn triager(&self) -> &Triager {
        &self.triager
    }

    pub fn decide(&self, ctx: &MessageContext<'_>) -> Decision {
        let triage = self.triager.triage(ctx.text);
        let rules = self.rules.get(ctx.tenant);
        let eval = evaluate(
            &rules,
            &RuleInput {
                triage: &triage,
                text: ctx.text,
                inbox_id: ctx.inbox_id,
                channel: ctx.channel,
                contact_attributes: ctx.contact_attributes,
                assigned: ctx.assigned,
                now: ctx.now,
            },
        );
        let handoff_text = rules
            .message("handoff", &triage.language)
            .map(str::to_owned);
        plan(triage, eval, ctx.conversation, handoff_text)
    }
}

/// Turns the rules' evaluation into actions, in the order an agent would expect to see them.
fn plan(
    triage: Triage,
    eval: Evaluation,
    conversation: &ConversationState,
    handoff_text: Option<String>,
) -> Decision {
    let bot_active = conversation.bot_state == BotState::Active;
    let handoff = bot_active && !eval.stop_bot && (triage.handoff || eval.open);
    let mut labels = eval.labels.clone();
    if handoff && !labels.iter().any(|l| l == HANDOFF_LABEL) {
        labels.push(HANDOFF_LABEL.to_owned());
    }
    let mut actions = Vec::new();
    let mut bot_state = None;
    let mut new_flags = Vec::new();
    if !labels.is_empty() {
        actions.push(ActionKind::AddLabels {
            labels,
            known_labels: conversation.labels.clone(),
        });
    }
    if let Some(priority) = eval.priority {
        actions.push(ActionKind::SetPriority(priority));
    }
    if let Some(agent) = eval.assign_agent {
        actions.push(ActionKind::Assign(proto::AssignTarget::Agent(agent)));
    }
    if let Some(team) = eval.assign_team {
        actions.push(ActionKind::Assign(proto::AssignTarget::Team(team)));
    }
    for note in &eval.notes {
        actions.push(ActionKind::PrivateNote {
            content: note.clone(),
        });
    }
    let mut respond = bot_active && !eval.stop_bot;
    if handoff {
        // One short message in the customer's language, then the conversation belongs to the team.
        if let Some(text) = handoff_text {
            actions.push(ActionKind::SendMessage { content: text });
        }
        actions.push(open());
        bot_state = Some(BotState::HandedOff);
        respond = false;
    } else if eval.stop_bot {
        if bot_active {
            actions.push(open());
        }
        bot_state = Some(BotState::HandedOff);
    } else if bot_active {
        for (rule, text, once) in &eval.replies {
            let flag = format!("reply:{rule}");
            if *once && conversation.flags.contains(&flag) {
                continue;
            }
            if *once {
                new_flags.push(flag);
            }
            actions.push(ActionKind::SendMessage {
                content: text.clone(),
            });
            respond = false;
        }
    }
    Decision {
        triage,
        fired: eval.fired,
        actions,
        round_robin: eval.round_robin,
        bot_state,
        new_flags,
        respond,
    }
}

fn open() -> ActionKind {
    ActionKind::SetStatus {
        status: ConversationStatus::Open,
        snoozed_until: None,
    }
}

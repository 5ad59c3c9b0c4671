//! What to do about one customer message: triage it, run the tenant's rules, hand off when the customer asks for
//! a person, and otherwise let the responder answer. Everything it decides becomes actions for the dispatcher and
//! state changes committed with the event.

use chrono::{DateTime, Utc};
use proto::{ActionKind, ConversationStatus};
use triage::{Triage, Triager};

use crate::conversation::{BotState, ConversationState};
use crate::{evaluate, Evaluation, RuleBook, RuleInput, RuleSet};

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
    /// The bot may still answer the message itself (no handoff, not silenced).
    pub respond: bool,
    /// The rules' replies (the after-hours notice...), sent by [`Decision::send_rule_replies`] once the
    /// responder has answered.
    pub rule_replies: Vec<RuleReply>,
    /// The rules' `[messages.handoff]` in the customer's language, for [`Decision::hand_off`].
    pub handoff_text: Option<String>,
}

/// A reply a rule sends to the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleReply {
    pub text: String,
    /// Set for `once_per_conversation`: recorded when the reply is sent, so it is never sent again there.
    pub once_flag: Option<String>,
}

impl Decision {
    /// Sends the rules' replies next to what the responder did, after the rules' other actions. Only a
    /// confident answer sent in auto mode takes their place: the customer then has an answer, and a reply
    /// kept `once_per_conversation` stays unused for a later message that gets none. A draft, a handoff, an
    /// acknowledgement or no answer at all (mode `off`) go out together with them.
    pub fn send_rule_replies(&mut self, answered_publicly: bool) {
        if answered_publicly {
            self.rule_replies.clear();
            return;
        }
        for reply in self.rule_replies.drain(..) {
            self.new_flags.extend(reply.once_flag);
            self.actions.push(ActionKind::SendMessage {
                content: reply.text,
            });
        }
    }

    /// Hands the conversation to people: the `handoff` label, one short message in the customer's language,
    /// status open, and the bot silent until it is resolved. Used when the customer asks for a person and when
    /// the responder has nothing good enough to say.
    pub fn hand_off(&mut self, conversation: &ConversationState) {
        if self.bot_state == Some(BotState::HandedOff) {
            return;
        }
        let labels = self.actions.iter_mut().find_map(|action| match action {
            ActionKind::AddLabels { labels, .. } => Some(labels),
            _ => None,
        });
        match labels {
            Some(labels) if labels.iter().any(|l| l == HANDOFF_LABEL) => {}
            Some(labels) => labels.push(HANDOFF_LABEL.to_owned()),
            None => self.actions.insert(
                0,
                ActionKind::AddLabels {
                    labels: vec![HANDOFF_LABEL.to_owned()],
                    known_labels: conversation.labels.clone(),
                },
            ),
        }
        if let Some(text) = &self.handoff_text {
            self.actions.push(ActionKind::SendMessage {
                content: text.clone(),
            });
        }
        self.actions.push(open());
        self.bot_state = Some(BotState::HandedOff);
        self.respond = false;
    }
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
        let rules = self.rules.get(ctx.tenant);
        let triage = rules
            .triager
            .as_ref()
            .unwrap_or(&self.triager)
            .triage(ctx.text);
        self.decide_triaged(ctx, &rules, triage)
    }

    /// The rules and the plan for a message already triaged (by the embedded triage, or with a second opinion
    /// from the tenant's LLM, see the worker's `triage_llm`).
    pub fn decide_triaged(
        &self,
        ctx: &MessageContext<'_>,
        rules: &RuleSet,
        triage: Triage,
    ) -> Decision {
        let eval = evaluate(
            rules,
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
    let mut actions = Vec::new();
    let mut bot_state = None;
    if !eval.labels.is_empty() {
        actions.push(ActionKind::AddLabels {
            labels: eval.labels.clone(),
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
    let respond = bot_active && !eval.stop_bot;
    let mut rule_replies = Vec::new();
    // A handoff is done by `Decision::hand_off` below, the same path a responder's handoff takes.
    if handoff {
        // Nothing else is said: the handoff message is the bot's last word.
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
            rule_replies.push(RuleReply {
                text: text.clone(),
                once_flag: once.then_some(flag),
            });
        }
    }
    let mut decision = Decision {
        triage,
        fired: eval.fired,
        actions,
        round_robin: eval.round_robin,
        bot_state,
        new_flags: Vec::new(),
        respond,
        rule_replies,
        handoff_text,
    };
    if handoff {
        decision.hand_off(conversation);
    }
    decision
}

fn open() -> ActionKind {
    ActionKind::SetStatus {
        status: ConversationStatus::Open,
        snoozed_until: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(actions: Vec<ActionKind>, handoff_text: Option<&str>) -> Decision {
        Decision {
            triage: Triager::default().triage("hello"),
            fired: Vec::new(),
            actions,
            round_robin: None,
            bot_state: None,
            new_flags: Vec::new(),
            respond: true,
            rule_replies: Vec::new(),
            handoff_text: handoff_text.map(str::to_owned),
        }
    }

    #[test]
    fn a_handoff_adds_its_label_to_the_rules_labels_says_why_once_and_opens() {
        let conversation = ConversationState {
            labels: vec!["vip".into()],
            ..ConversationState::default()
        };
        let mut labelled = decision(
            vec![
                ActionKind::AddLabels {
                    labels: vec!["billing".into()],
                    known_labels: vec!["vip".into()],
                },
                ActionKind::SetPriority(proto::Priority::High),
            ],
            Some("Passing you on."),
        );
        labelled.hand_off(&conversation);
        labelled.hand_off(&conversation);
        assert_eq!(
            labelled.actions,
            vec![
                ActionKind::AddLabels {
                    labels: vec!["billing".into(), HANDOFF_LABEL.into()],
                    known_labels: vec!["vip".into()],
                },
                ActionKind::SetPriority(proto::Priority::High),
                ActionKind::SendMessage {
                    content: "Passing you on.".into()
                },
                open(),
            ]
        );
        assert_eq!(labelled.bot_state, Some(BotState::HandedOff));
        assert!(!labelled.respond);

        let mut bare = decision(Vec::new(), None);
        bare.hand_off(&conversation);
        assert_eq!(
            bare.actions,
            vec![
                ActionKind::AddLabels {
                    labels: vec![HANDOFF_LABEL.into()],
                    known_labels: vec!["vip".into()],
                },
                open(),
            ]
        );
    }
}

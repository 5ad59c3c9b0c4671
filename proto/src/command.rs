//! Commands: what an agent or an integrator asks through the API, carried out by the worker in the conversation's
//! order (see `Command` in `pipeline.proto`).

use prost::Message;

use crate::action::{priority_from_wire, priority_to_wire, status_from_wire, status_to_wire};
use crate::{wire, ConversationStatus, DecodeError, Priority};

/// The envelope's `event` for a command.
pub const COMMAND_EVENT: &str = "api_command";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub idempotency_key: String,
    pub tenant: String,
    pub conversation_id: u64,
    pub actor: Actor,
    pub requested_at_ms: i64,
    /// SHA-256 of what was asked.
    pub request_hash: Vec<u8>,
    pub kind: CommandKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The API key's id, or the agent's Chatwoot user id.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    ApiKey,
    Agent,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Agent => "agent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    PostMessage { content: String, private: bool },
    UpdateConversation(ConversationUpdate),
    Escalate { reason: String },
    DecideDraft(DraftDecision),
}

impl CommandKind {
    /// A stable, closed name for the ledger, logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PostMessage { .. } => "post_message",
            Self::UpdateConversation(_) => "update_conversation",
            Self::Escalate { .. } => "escalate",
            Self::DecideDraft(d) if d.approve => "approve_draft",
            Self::DecideDraft(_) => "reject_draft",
        }
    }
}

/// Only what is `Some` changes. `assignee: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationUpdate {
    pub status: Option<(ConversationStatus, Option<i64>)>,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<u64>>,
    pub team: Option<Option<u64>>,
    pub labels: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftDecision {
    pub draft_id: i64,
    pub approve: bool,
    /// Approve: the edited text (`None`: as drafted). Reject: the reason.
    pub text: Option<String>,
    /// tone, accuracy, policy: 1-5.
    pub grades: [Option<u8>; 3],
}

impl Command {
    /// The envelope's event key: the worker's ledger key and the `Nats-Msg-Id`, so a repeated request is one event.
    pub fn event_key(&self) -> String {
        format!("{}:command:{}", self.tenant, self.idempotency_key)
    }

    /// The event that carries it on the events stream (to the conversation's partition, with the event key as
    /// `Nats-Msg-Id`).
    pub fn envelope(&self, received_at_ms: i64) -> crate::EventEnvelope {
        crate::EventEnvelope {
            tenant: self.tenant.clone(),
            event: COMMAND_EVENT.to_owned(),
            delivery_id: String::new(),
            event_key: self.event_key(),
            received_at_ms,
            body: self.encode_to_vec().into(),
            signed: true,
            conversation_id: Some(self.conversation_id),
            replay: None,
            historical: None,
        }
    }

    pub fn encode_to_vec(&self) -> Vec<u8> {
        use wire::command::Kind;
        let kind = match &self.kind {
            CommandKind::PostMessage { content, private } => Kind::PostMessage(wire::PostMessage {
                content: content.clone(),
                private: *private,
            }),
            CommandKind::UpdateConversation(u) => {
                Kind::UpdateConversation(wire::UpdateConversation {
                    status: u
                        .status
                        .map_or(0, |(status, _)| status_to_wire(status) as i32),
                    snoozed_until: u.status.and_then(|(_, until)| until).unwrap_or(0),
                    set_priority: u.priority.is_some(),
                    priority: u.priority.map_or(0, |p| priority_to_wire(p) as i32),
                    set_assignee: u.assignee.is_some(),
                    assignee_id: u.assignee.flatten().unwrap_or(0),
                    set_team: u.team.is_some(),
                    team_id: u.team.flatten().unwrap_or(0),
                    set_labels: u.labels.is_some(),
                    labels: u.labels.clone().unwrap_or_default(),
                })
            }
            CommandKind::Escalate { reason } => Kind::Escalate(wire::EscalateConversation {
                reason: reason.clone(),
            }),
            CommandKind::DecideDraft(d) => Kind::DecideDraft(wire::DecideDraft {
                draft_id: d.draft_id,
                approve: d.approve,
                text: d.text.clone().unwrap_or_default(),
                tone: d.grades[0].map_or(0, u32::from),
                accuracy: d.grades[1].map_or(0, u32::from),
                policy: d.grades[2].map_or(0, u32::from),
            }),
        };
        wire::Command {
            idempotency_key: self.idempotency_key.clone(),
            tenant: self.tenant.clone(),
            conversation_id: self.conversation_id,
            actor: Some(wire::Actor {
                kind: self.actor.kind.as_str().to_owned(),
                id: self.actor.id.clone(),
                name: self.actor.name.clone(),
            }),
            requested_at_ms: self.requested_at_ms,
            request_hash: self.request_hash.clone(),
            kind: Some(kind),
        }
        .encode_to_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        use wire::command::Kind;
        let w = wire::Command::decode(buf)?;
        if w.idempotency_key.is_empty() {
            return Err(DecodeError::Missing("idempotency_key"));
        }
        let actor = w.actor.ok_or(DecodeError::Missing("actor"))?;
        let actor = Actor {
            kind: match actor.kind.as_str() {
                "api_key" => ActorKind::ApiKey,
                "agent" => ActorKind::Agent,
                _ => return Err(DecodeError::Missing("actor.kind")),
            },
            id: actor.id,
            name: actor.name,
        };
        let kind = match w.kind.ok_or(DecodeError::Missing("kind"))? {
            Kind::PostMessage(m) => CommandKind::PostMessage {
                content: m.content,
                private: m.private,
            },
            Kind::UpdateConversation(u) => CommandKind::UpdateConversation(ConversationUpdate {
                status: if u.status == 0 {
                    None
                } else {
                    Some((
                        status_from_wire(u.status)?,
                        (u.snoozed_until != 0).then_some(u.snoozed_until),
                    ))
                },
                priority: if u.set_priority {
                    Some(priority_from_wire(u.priority)?)
                } else {
                    None
                },
                assignee: u
                    .set_assignee
                    .then_some((u.assignee_id != 0).then_some(u.assignee_id)),
                team: u.set_team.then_some((u.team_id != 0).then_some(u.team_id)),
                labels: u.set_labels.then_some(u.labels),
            }),
            Kind::Escalate(e) => CommandKind::Escalate { reason: e.reason },
            Kind::DecideDraft(d) => CommandKind::DecideDraft(DraftDecision {
                draft_id: d.draft_id,
                approve: d.approve,
                text: (!d.text.is_empty()).then_some(d.text),
                grades: [d.tone, d.accuracy, d.policy]
                    .map(|g| u8::try_from(g).ok().filter(|g| (1..=5).contains(g))),
            }),
        };
        Ok(Self {
            idempotency_key: w.idempotency_key,
            tenant: w.tenant,
            conversation_id: w.conversation_id,
            actor,
            requested_at_ms: w.requested_at_ms,
            request_hash: w.request_hash,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: CommandKind) -> Command {
        Command {
            idempotency_key: "k-1".into(),
            tenant: "acme".into(),
            conversation_id: 1042,
            actor: Actor {
                kind: ActorKind::Agent,
                id: "17".into(),
                name: "Jonas Berg".into(),
            },
            requested_at_ms: 1_778_577_267_000,
            request_hash: vec![1, 2, 3],
            kind,
        }
    }

    #[test]
    fn every_kind_round_trips_through_the_wire() {
        let kinds = [
            CommandKind::PostMessage {
                content: "hi".into(),
                private: true,
            },
            CommandKind::UpdateConversation(ConversationUpdate::default()),
            CommandKind::UpdateConversation(ConversationUpdate {
                status: Some((ConversationStatus::Snoozed, Some(1_778_580_000))),
                priority: Some(Priority::None),
                assignee: Some(None),
                team: Some(Some(2)),
                labels: Some(vec!["billing".into()]),
            }),
            CommandKind::UpdateConversation(ConversationUpdate {
                status: Some((ConversationStatus::Resolved, None)),
                assignee: Some(Some(17)),
                labels: Some(Vec::new()),
                ..ConversationUpdate::default()
            }),
            CommandKind::Escalate {
                reason: "threatens to sue".into(),
            },
            CommandKind::DecideDraft(DraftDecision {
                draft_id: 12,
                approve: true,
                text: Some("Edited".into()),
                grades: [Some(5), None, Some(4)],
            }),
            CommandKind::DecideDraft(DraftDecision {
                draft_id: 12,
                approve: false,
                text: None,
                grades: [None; 3],
            }),
        ];
        for kind in kinds {
            let command = sample(kind);
            assert_eq!(
                Command::decode(&command.encode_to_vec()).expect("decodes"),
                command
            );
        }
        assert_eq!(
            sample(CommandKind::Escalate {
                reason: String::new()
            })
            .event_key(),
            "acme:command:k-1"
        );
    }
}

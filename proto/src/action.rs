use prost::Message;

use crate::{wire, DecodeError};

/// One Chatwoot API call the dispatcher must make exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Deterministic id: the dispatcher's ledger key and the `Nats-Msg-Id`.
    pub action_id: String,
    pub tenant: String,
    pub conversation_id: u64,
    /// The event that produced this action.
    pub event_key: String,
    pub created_at_ms: i64,
    /// Its place among its conversation's actions (1, 2, 3... without gaps); 0 for actions made before
    /// sequencing, which go in any order.
    pub conversation_seq: u64,
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// A public reply to the customer.
    SendMessage {
        content: String,
    },
    /// A note only agents see.
    PrivateNote {
        content: String,
    },
    /// Add labels; the dispatcher sends the union with the current set because Chatwoot replaces it.
    AddLabels {
        labels: Vec<String>,
        known_labels: Vec<String>,
    },
    Assign(AssignTarget),
    SetStatus {
        status: ConversationStatus,
        snoozed_until: Option<i64>,
    },
    SetPriority(Priority),
    /// The labels become exactly this set (an edit through the API); no union with the current ones.
    SetLabels {
        labels: Vec<String>,
    },
}

impl ActionKind {
    /// A stable, closed name for logs and metrics labels.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SendMessage { .. } => "send_message",
            Self::PrivateNote { .. } => "private_note",
            Self::AddLabels { .. } => "add_labels",
            Self::Assign(_) => "assign",
            Self::SetStatus { .. } => "set_status",
            Self::SetPriority(_) => "set_priority",
            Self::SetLabels { .. } => "set_labels",
        }
    }

    /// Posting a message twice shows the customer two messages; every other call sets state and is safe to repeat.
    pub fn is_idempotent(&self) -> bool {
        !matches!(self, Self::SendMessage { .. } | Self::PrivateNote { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignTarget {
    Agent(u64),
    Team(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    Open,
    Resolved,
    Pending,
    Snoozed,
}

impl ConversationStatus {
    /// Chatwoot's spelling in `toggle_status` and webhooks.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Pending => "pending",
            Self::Snoozed => "snoozed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    None,
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    /// Chatwoot's spelling in `toggle_priority`; `None` clears the priority.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Low => Some("low"),
            Self::Medium => Some("medium"),
            Self::High => Some("high"),
            Self::Urgent => Some("urgent"),
        }
    }
}

impl Action {
    pub fn encode_to_vec(&self) -> Vec<u8> {
        self.to_wire().encode_to_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::from_wire(wire::Action::decode(buf)?)
    }

    pub(crate) fn to_wire(&self) -> wire::Action {
        use wire::action::Kind;
        let kind = match &self.kind {
            ActionKind::SendMessage { content } => Kind::SendMessage(wire::SendMessage {
                content: content.clone(),
            }),
            ActionKind::PrivateNote { content } => Kind::PrivateNote(wire::SendMessage {
                content: content.clone(),
            }),
            ActionKind::AddLabels {
                labels,
                known_labels,
            } => Kind::AddLabels(wire::AddLabels {
                labels: labels.clone(),
                known_labels: known_labels.clone(),
            }),
            ActionKind::Assign(target) => Kind::Assign(wire::Assign {
                target: Some(match target {
                    AssignTarget::Agent(id) => wire::assign::Target::AgentId(*id),
                    AssignTarget::Team(id) => wire::assign::Target::TeamId(*id),
                }),
            }),
            ActionKind::SetStatus {
                status,
                snoozed_until,
            } => Kind::SetStatus(wire::SetStatus {
                status: status_to_wire(*status) as i32,
                snoozed_until: snoozed_until.unwrap_or(0),
            }),
            ActionKind::SetPriority(p) => Kind::SetPriority(wire::SetPriority {
                priority: priority_to_wire(*p) as i32,
            }),
            ActionKind::SetLabels { labels } => Kind::SetLabels(wire::SetLabels {
                labels: labels.clone(),
            }),
        };
        wire::Action {
            action_id: self.action_id.clone(),
            tenant: self.tenant.clone(),
            conversation_id: self.conversation_id,
            event_key: self.event_key.clone(),
            created_at_ms: self.created_at_ms,
            conversation_seq: self.conversation_seq,
            kind: Some(kind),
        }
    }

    pub(crate) fn from_wire(w: wire::Action) -> Result<Self, DecodeError> {
        use wire::action::Kind;
        if w.action_id.is_empty() {
            return Err(DecodeError::Missing("action_id"));
        }
        let kind = match w.kind.ok_or(DecodeError::Missing("kind"))? {
            Kind::SendMessage(m) => ActionKind::SendMessage { content: m.content },
            Kind::PrivateNote(m) => ActionKind::PrivateNote { content: m.content },
            Kind::AddLabels(l) => ActionKind::AddLabels {
                labels: l.labels,
                known_labels: l.known_labels,
            },
            Kind::Assign(a) => ActionKind::Assign(
                match a.target.ok_or(DecodeError::Missing("assign.target"))? {
                    wire::assign::Target::AgentId(id) => AssignTarget::Agent(id),
                    wire::assign::Target::TeamId(id) => AssignTarget::Team(id),
                },
            ),
            Kind::SetStatus(s) => ActionKind::SetStatus {
                status: status_from_wire(s.status)?,
                snoozed_until: (s.snoozed_until != 0).then_some(s.snoozed_until),
            },
            Kind::SetPriority(p) => ActionKind::SetPriority(priority_from_wire(p.priority)?),
            Kind::SetLabels(l) => ActionKind::SetLabels { labels: l.labels },
        };
        Ok(Self {
            action_id: w.action_id,
            tenant: w.tenant,
            conversation_id: w.conversation_id,
            event_key: w.event_key,
            created_at_ms: w.created_at_ms,
            conversation_seq: w.conversation_seq,
            kind,
        })
    }
}

pub(crate) fn status_to_wire(status: ConversationStatus) -> wire::ConversationStatus {
    match status {
        ConversationStatus::Open => wire::ConversationStatus::Open,
        ConversationStatus::Resolved => wire::ConversationStatus::Resolved,
        ConversationStatus::Pending => wire::ConversationStatus::Pending,
        ConversationStatus::Snoozed => wire::ConversationStatus::Snoozed,
    }
}

pub(crate) fn status_from_wire(value: i32) -> Result<ConversationStatus, DecodeError> {
    let unknown = DecodeError::UnknownEnum {
        field: "set_status.status",
        value,
    };
    match wire::ConversationStatus::try_from(value).map_err(|_| DecodeError::UnknownEnum {
        field: "set_status.status",
        value,
    })? {
        wire::ConversationStatus::Open => Ok(ConversationStatus::Open),
        wire::ConversationStatus::Resolved => Ok(ConversationStatus::Resolved),
        wire::ConversationStatus::Pending => Ok(ConversationStatus::Pending),
        wire::ConversationStatus::Snoozed => Ok(ConversationStatus::Snoozed),
        wire::ConversationStatus::Unspecified => Err(unknown),
    }
}

pub(crate) fn priority_to_wire(priority: Priority) -> wire::Priority {
    match priority {
        Priority::None => wire::Priority::None,
        Priority::Low => wire::Priority::Low,
        Priority::Medium => wire::Priority::Medium,
        Priority::High => wire::Priority::High,
        Priority::Urgent => wire::Priority::Urgent,
    }
}

pub(crate) fn priority_from_wire(value: i32) -> Result<Priority, DecodeError> {
    Ok(
        match wire::Priority::try_from(value).map_err(|_| DecodeError::UnknownEnum {
            field: "set_priority.priority",
            value,
        })? {
            wire::Priority::None => Priority::None,
            wire::Priority::Low => Priority::Low,
            wire::Priority::Medium => Priority::Medium,
            wire::Priority::High => Priority::High,
            wire::Priority::Urgent => Priority::Urgent,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: ActionKind) -> Action {
        Action {
            action_id: "a-1".into(),
            tenant: "acme".into(),
            conversation_id: 1042,
            event_key: "acme:message_created:918273".into(),
            created_at_ms: 1_778_577_267_000,
            conversation_seq: 7,
            kind,
        }
    }

    #[test]
    fn every_kind_round_trips_through_the_wire() {
        let kinds = [
            ActionKind::SendMessage {
                content: "hi".into(),
            },
            ActionKind::PrivateNote {
                content: "note".into(),
            },
            ActionKind::AddLabels {
                labels: vec!["billing".into()],
                known_labels: vec!["vip".into()],
            },
            ActionKind::Assign(AssignTarget::Agent(17)),
            ActionKind::Assign(AssignTarget::Team(2)),
            ActionKind::SetStatus {
                status: ConversationStatus::Snoozed,
                snoozed_until: Some(1_778_580_000),
            },
            ActionKind::SetStatus {
                status: ConversationStatus::Open,
                snoozed_until: None,
            },
            ActionKind::SetPriority(Priority::Urgent),
            ActionKind::SetPriority(Priority::None),
            ActionKind::SetLabels {
                labels: vec!["billing".into(), "vip".into()],
            },
            ActionKind::SetLabels { labels: Vec::new() },
        ];
        for kind in kinds {
            let action = sample(kind);
            let decoded = Action::decode(&action.encode_to_vec()).expect("decodes");
            assert_eq!(decoded, action);
        }
    }

    #[test]
    fn an_action_without_a_kind_is_rejected() {
        let bytes = wire::Action {
            action_id: "a".into(),
            ..Default::default()
        }
        .encode_to_vec();
        assert!(matches!(
            Action::decode(&bytes),
            Err(DecodeError::Missing("kind"))
        ));
    }
}

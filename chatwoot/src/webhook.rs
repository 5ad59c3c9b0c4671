//! Chatwoot webhook payloads. One lenient struct covers every event: the fields differ per event, Chatwoot adds
//! new ones over time, and a single parse keeps the hot path cheap. See the fixtures README for the shapes.

use serde::Deserialize;
use serde_json::Value;

/// A webhook body. Fields are present or absent depending on `event`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Webhook {
    pub event: String,
    /// Message id for `message_*`, conversation display id for `conversation_*`, contact id for `contact_*`,
    /// contact-inbox id for `webwidget_triggered`.
    pub id: Option<u64>,
    pub content: Option<String>,
    /// `incoming`, `outgoing`, `activity` or `template` (a string at the top level).
    pub message_type: Option<String>,
    pub private: Option<bool>,
    pub content_type: Option<String>,
    pub source_id: Option<String>,
    pub sender: Option<Sender>,
    pub conversation: Option<Conversation>,
    pub account: Option<IdRef>,
    pub inbox: Option<IdRef>,
    /// Conversation events carry the conversation at the top level.
    pub inbox_id: Option<u64>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub labels: Option<Vec<String>>,
    pub meta: Option<ConversationMeta>,
    pub channel: Option<String>,
    pub changed_attributes: Option<Value>,
    /// Contact events.
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    pub custom_attributes: Option<Value>,
    /// `webwidget_triggered`.
    pub contact: Option<Sender>,
    /// Typing events: the agent or contact who types.
    pub user: Option<Sender>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IdRef {
    pub id: Option<u64>,
    pub name: Option<String>,
}

/// A message's author. Contacts have no `type` in message webhooks (Chatwoot removed it in 2023); users say
/// `"user"`, bots `"agent_bot"`; `conversation.meta.sender` says `"contact"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Sender {
    pub id: Option<u64>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub custom_attributes: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Conversation {
    pub id: Option<u64>,
    pub inbox_id: Option<u64>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub labels: Option<Vec<String>>,
    pub meta: Option<ConversationMeta>,
    pub channel: Option<String>,
    pub custom_attributes: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConversationMeta {
    pub sender: Option<Sender>,
    pub assignee: Option<Sender>,
    pub assignee_type: Option<String>,
    pub team: Option<IdRef>,
}

/// Who wrote a message, as far as deciding whether the bot may answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderKind {
    Contact,
    User,
    AgentBot,
    Unknown,
}

impl SenderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::User => "user",
            Self::AgentBot => "agent_bot",
            Self::Unknown => "unknown",
        }
    }
}

impl Sender {
    pub fn kind(&self) -> SenderKind {
        match self.kind.as_deref() {
            None | Some("contact") if self.id.is_some() => SenderKind::Contact,
            Some("user") => SenderKind::User,
            Some("agent_bot") => SenderKind::AgentBot,
            _ => SenderKind::Unknown,
        }
    }
}

/// Prefix of the `source_id` the pipeline gives the messages it posts. Chatwoot keeps `source_id` and echoes it in
/// webhooks, which is how the pipeline recognises its own messages whatever token posted them (a user token makes
/// them look like an agent's).
pub const OWN_SOURCE_PREFIX: &str = "cwp:";

/// The `source_id` of the message posted for `action_id`.
pub fn own_source_id(action_id: &str) -> String {
    format!("{OWN_SOURCE_PREFIX}{action_id}")
}

/// A required field is missing or has the wrong type; the ingress answers 400 naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing or invalid field `{0}`")]
pub struct MissingField(pub &'static str);

impl Webhook {
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    pub fn is_message_event(&self) -> bool {
        self.event.starts_with("message_")
    }

    /// The conversation display id, wherever this event keeps it.
    pub fn conversation_id(&self) -> Option<u64> {
        if self.event.starts_with("conversation_") && !self.event.starts_with("conversation_typing")
        {
            self.id
        } else {
            self.conversation.as_ref().and_then(|c| c.id)
        }
    }

    pub fn contact_id(&self) -> Option<u64> {
        match self.event.as_str() {
            e if e.starts_with("contact_") => self.id,
            "webwidget_triggered" => self.contact.as_ref().and_then(|c| c.id),
            _ => self
                .conversation_meta()
                .and_then(|m| m.sender.as_ref())
                .and_then(|s| s.id),
        }
    }

    pub fn conversation_meta(&self) -> Option<&ConversationMeta> {
        self.meta
            .as_ref()
            .or_else(|| self.conversation.as_ref().and_then(|c| c.meta.as_ref()))
    }

    /// Checks the fields the pipeline relies on for this event, so a malformed webhook is refused at the door
    /// instead of failing later in the worker. Unknown events need only `event`.
    pub fn validate(&self) -> Result<(), MissingField> {
        if self.event.is_empty() {
            return Err(MissingField("event"));
        }
        match self.event.as_str() {
            "message_created" | "message_updated" => {
                self.id.ok_or(MissingField("id"))?;
                self.conversation
                    .as_ref()
                    .and_then(|c| c.id)
                    .ok_or(MissingField("conversation.id"))?;
                self.message_type
                    .as_ref()
                    .ok_or(MissingField("message_type"))?;
            }
            "conversation_typing_on" | "conversation_typing_off" => {
                self.conversation
                    .as_ref()
                    .and_then(|c| c.id)
                    .ok_or(MissingField("conversation.id"))?;
            }
            e if e.starts_with("conversation_") || e.starts_with("contact_") => {
                self.id.ok_or(MissingField("id"))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A message this pipeline posted itself (a reply, a note, an approved draft), echoed back by Chatwoot.
    pub fn is_own_message(&self) -> bool {
        self.source_id
            .as_deref()
            .is_some_and(|s| s.starts_with(OWN_SOURCE_PREFIX))
    }

    /// The sender of a message event.
    pub fn sender_kind(&self) -> SenderKind {
        self.sender
            .as_ref()
            .map_or(SenderKind::Unknown, Sender::kind)
    }

    /// Only an incoming, public message written by a contact may be answered: this is what stops the bot from
    /// looping on its own replies and from answering agents.
    pub fn is_customer_message(&self) -> bool {
        self.event == "message_created"
            && self.message_type.as_deref() == Some("incoming")
            && self.private != Some(true)
            && self.content_type.as_deref().is_none_or(|t| t == "text")
            && self.sender_kind() == SenderKind::Contact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Webhook {
        let path = format!(
            "{}/../../shared/fixtures/chatwoot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Webhook::parse(&std::fs::read(path).expect("fixture present")).expect("parses")
    }

    #[test]
    fn only_the_contacts_incoming_message_is_answerable() {
        assert!(fixture("message_created_incoming_contact.json").is_customer_message());
        assert!(fixture("agent_bot_message_created_incoming.json").is_customer_message());
        for name in [
            "message_created_outgoing_agent.json",
            "message_created_private_note.json",
            "message_created_bot_echo.json",
        ] {
            assert!(!fixture(name).is_customer_message(), "{name}");
        }
    }

    #[test]
    fn every_fixture_validates_and_exposes_its_ids() {
        let dir = format!(
            "{}/../../shared/fixtures/chatwoot",
            env!("CARGO_MANIFEST_DIR")
        );
        for entry in std::fs::read_dir(dir).expect("fixtures dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let hook = Webhook::parse(&std::fs::read(&path).expect("read")).expect("parses");
                assert_eq!(hook.validate(), Ok(()), "{}", path.display());
            }
        }
        let message = fixture("message_created_incoming_contact.json");
        assert_eq!(message.conversation_id(), Some(1042));
        assert_eq!(message.contact_id(), Some(5821));
        assert_eq!(
            fixture("conversation_status_changed_resolved.json").conversation_id(),
            Some(1042)
        );
        assert_eq!(
            fixture("conversation_typing_on_contact.json").conversation_id(),
            Some(1042)
        );
        assert_eq!(fixture("contact_updated.json").contact_id(), Some(5821));
        assert_eq!(fixture("webwidget_triggered.json").contact_id(), Some(5821));
    }

    #[test]
    fn the_pipelines_own_messages_are_recognised_by_source_id() {
        let mut echo = fixture("message_created_outgoing_agent.json");
        assert!(!echo.is_own_message());
        echo.source_id = Some(own_source_id("acme:message_created:1#0"));
        assert!(echo.is_own_message());
    }

    #[test]
    fn missing_fields_are_named() {
        let hook =
            Webhook::parse(br#"{"event":"message_created","id":1,"message_type":"incoming"}"#)
                .expect("parses");
        assert_eq!(hook.validate(), Err(MissingField("conversation.id")));
        let hook = Webhook::parse(br#"{"id":1}"#).expect("parses");
        assert_eq!(hook.validate(), Err(MissingField("event")));
    }
}

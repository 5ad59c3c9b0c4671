//! Chatwoot webhook payloads. One lenient struct covers every event: the fields differ per event, Chatwoot adds
//! new ones over time, and a single parse keeps the hot path cheap. See the fixtures README for the shapes.
//! [`WebhookRoute`] reads only what a webhook is routed by, for the ingress, which never needs the rest.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::content::ContentType;

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
    /// Per content type: `email` (headers, HTML, `auto_reply`) for `incoming_email`, `submitted_values` for the
    /// interactive types and the CSAT survey. Any JSON is accepted: the create API takes it as a string too.
    pub content_attributes: Option<Value>,
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
    /// When it happened, as Chatwoot writes it: an ISO-8601 string for messages, unix seconds for conversations.
    pub created_at: Option<Value>,
    /// Unix seconds with a fraction for conversations: the time of a status change.
    pub updated_at: Option<Value>,
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
    /// Unix seconds.
    pub created_at: Option<Value>,
    pub updated_at: Option<Value>,
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
        conversation_id_of(
            &self.event,
            self.id,
            self.conversation.as_ref().and_then(|c| c.id),
        )
    }

    pub fn contact_id(&self) -> Option<u64> {
        contact_id_of(
            &self.event,
            self.id,
            self.contact.as_ref().and_then(|c| c.id),
            || {
                self.conversation_meta()
                    .and_then(|m| m.sender.as_ref())
                    .and_then(|s| s.id)
            },
        )
    }

    pub fn conversation_meta(&self) -> Option<&ConversationMeta> {
        self.meta
            .as_ref()
            .or_else(|| self.conversation.as_ref().and_then(|c| c.meta.as_ref()))
    }

    /// Checks the fields the pipeline relies on for this event, so a malformed webhook is refused at the door
    /// instead of failing later in the worker. Unknown events need only `event`.
    pub fn validate(&self) -> Result<(), MissingField> {
        validate_fields(
            &self.event,
            self.id,
            self.conversation.as_ref().and_then(|c| c.id),
            self.message_type.is_some(),
        )
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

    /// Only an incoming, public message written by a contact, of a type the bot answers (text or e-mail, see
    /// [`ContentType::is_answerable`]), and not a mail server's automatic reply, may be answered: this is what
    /// stops the bot from looping on its own replies, on out-of-office mails and from answering agents.
    pub fn is_customer_message(&self) -> bool {
        self.event == "message_created"
            && self.message_type.as_deref() == Some("incoming")
            && self.private != Some(true)
            && self.content_kind().is_answerable()
            && !self.is_auto_reply()
            && self.sender_kind() == SenderKind::Contact
    }

    pub fn content_kind(&self) -> ContentType {
        ContentType::parse(self.content_type.as_deref())
    }

    /// A mail marked as sent automatically (`Auto-Submitted`, `X-Autoreply`: an out-of-office notice).
    pub fn is_auto_reply(&self) -> bool {
        self.content_attributes
            .as_ref()
            .and_then(|a| a.pointer("/email/auto_reply"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// What the customer wrote: the message's text, or for an e-mail the reply without its quoted history,
    /// signature or HTML. Empty when the message has no text (an attachment alone).
    pub fn customer_text(&self) -> Cow<'_, str> {
        let content = self.content.as_deref().unwrap_or_default();
        match self.content_kind() {
            ContentType::IncomingEmail => crate::content::email_reply_text(content),
            _ => Cow::Borrowed(content),
        }
    }
}

fn conversation_id_of(event: &str, id: Option<u64>, conversation: Option<u64>) -> Option<u64> {
    if event.starts_with("conversation_") && !event.starts_with("conversation_typing") {
        id
    } else {
        conversation
    }
}

fn contact_id_of(
    event: &str,
    id: Option<u64>,
    contact: Option<u64>,
    meta_sender: impl FnOnce() -> Option<u64>,
) -> Option<u64> {
    match event {
        e if e.starts_with("contact_") => id,
        "webwidget_triggered" => contact,
        _ => meta_sender(),
    }
}

fn validate_fields(
    event: &str,
    id: Option<u64>,
    conversation: Option<u64>,
    has_message_type: bool,
) -> Result<(), MissingField> {
    if event.is_empty() {
        return Err(MissingField("event"));
    }
    match event {
        "message_created" | "message_updated" => {
            id.ok_or(MissingField("id"))?;
            conversation.ok_or(MissingField("conversation.id"))?;
            if !has_message_type {
                return Err(MissingField("message_type"));
            }
        }
        "conversation_typing_on" | "conversation_typing_off" => {
            conversation.ok_or(MissingField("conversation.id"))?;
        }
        e if e.starts_with("conversation_") || e.starts_with("contact_") => {
            id.ok_or(MissingField("id"))?;
        }
        _ => {}
    }
    Ok(())
}

/// What a webhook is routed by (its event and ids), read from the body without building a [`Webhook`]: the
/// ingress needs nothing else, and the worker parses the whole model anyway.
///
/// It accepts and refuses exactly the bodies [`Webhook::parse`] does, with the same error messages, so the
/// ingress's answers do not depend on which one it uses: every field of the model is still type-checked, but
/// strings are borrowed or checked and dropped instead of copied. Keep its fields in step with [`Webhook`]'s;
/// the tests compare both on every fixture and on type-changed variants of every field.
#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "struct Webhook")]
// Most fields are only there to be type-checked as `Webhook` checks them.
#[allow(dead_code)]
pub struct WebhookRoute<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    id: Option<u64>,
    content: Option<Text>,
    message_type: Option<Text>,
    private: Option<bool>,
    content_type: Option<Text>,
    content_attributes: Option<Value>,
    source_id: Option<Text>,
    sender: Option<RouteSender>,
    conversation: Option<RouteConversation>,
    account: Option<RouteIdRef>,
    inbox: Option<RouteIdRef>,
    inbox_id: Option<u64>,
    status: Option<Text>,
    priority: Option<Text>,
    labels: Option<Texts>,
    meta: Option<RouteMeta>,
    channel: Option<Text>,
    // `Value` itself rather than a lighter look-alike: serde_json's `Value` gives one map key a special
    // meaning, and these maps are small.
    changed_attributes: Option<Value>,
    name: Option<Text>,
    email: Option<Text>,
    phone_number: Option<Text>,
    identifier: Option<Text>,
    custom_attributes: Option<Value>,
    contact: Option<RouteSender>,
    user: Option<RouteSender>,
    created_at: Option<Value>,
    updated_at: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "struct IdRef")]
#[allow(dead_code)]
struct RouteIdRef {
    id: Option<u64>,
    name: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "struct Sender")]
#[allow(dead_code)]
struct RouteSender {
    id: Option<u64>,
    name: Option<Text>,
    email: Option<Text>,
    phone_number: Option<Text>,
    identifier: Option<Text>,
    #[serde(rename = "type")]
    kind: Option<Text>,
    custom_attributes: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "struct Conversation")]
#[allow(dead_code)]
struct RouteConversation {
    id: Option<u64>,
    inbox_id: Option<u64>,
    status: Option<Text>,
    priority: Option<Text>,
    labels: Option<Texts>,
    meta: Option<RouteMeta>,
    channel: Option<Text>,
    custom_attributes: Option<Value>,
    created_at: Option<Value>,
    updated_at: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "struct ConversationMeta")]
#[allow(dead_code)]
struct RouteMeta {
    sender: Option<RouteSender>,
    assignee: Option<RouteSender>,
    assignee_type: Option<Text>,
    team: Option<RouteIdRef>,
}

/// A JSON string, checked as `String` checks it (same deserializer call, same expectation) and not kept.
#[derive(Debug)]
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        deserializer.deserialize_string(TextVisitor)
    }
}

/// A JSON array of strings, checked as `Vec<String>` checks it and not kept.
#[derive(Debug)]
struct Texts;

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextsVisitor;
        impl<'de> Visitor<'de> for TextsVisitor {
            type Value = Texts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                while seq.next_element::<Text>()?.is_some() {}
                Ok(Texts)
            }
        }
        deserializer.deserialize_seq(TextsVisitor)
    }
}

impl<'a> WebhookRoute<'a> {
    pub fn parse(body: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    pub fn event(&self) -> &str {
        &self.event
    }

    /// The event name, without a copy unless the body escaped it.
    pub fn into_event(self) -> Cow<'a, str> {
        self.event
    }

    /// As [`Webhook::id`].
    pub fn id(&self) -> Option<u64> {
        self.id
    }

    /// As [`Webhook::conversation_id`].
    pub fn conversation_id(&self) -> Option<u64> {
        conversation_id_of(
            &self.event,
            self.id,
            self.conversation.as_ref().and_then(|c| c.id),
        )
    }

    /// As [`Webhook::contact_id`].
    pub fn contact_id(&self) -> Option<u64> {
        contact_id_of(
            &self.event,
            self.id,
            self.contact.as_ref().and_then(|c| c.id),
            || {
                self.meta
                    .as_ref()
                    .or_else(|| self.conversation.as_ref().and_then(|c| c.meta.as_ref()))
                    .and_then(|m| m.sender.as_ref())
                    .and_then(|s| s.id)
            },
        )
    }

    /// As [`Webhook::validate`].
    pub fn validate(&self) -> Result<(), MissingField> {
        validate_fields(
            &self.event,
            self.id,
            self.conversation.as_ref().and_then(|c| c.id),
            self.message_type.is_some(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/chatwoot");

    fn fixture(name: &str) -> Webhook {
        let path = format!("{FIXTURES}/{name}");
        Webhook::parse(&std::fs::read(path).expect("fixture present")).expect("parses")
    }

    /// Every webhook fixture (the derived e-mail ones included), with its path and bytes.
    fn webhook_fixtures() -> Vec<(std::path::PathBuf, Vec<u8>)> {
        std::fs::read_dir(FIXTURES)
            .expect("fixtures dir")
            .chain(std::fs::read_dir(format!("{FIXTURES}/derived")).expect("derived fixtures dir"))
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .map(|path| {
                let raw = std::fs::read(&path).expect("read");
                (path, raw)
            })
            .collect()
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
    fn an_email_is_answered_with_the_customers_words_and_an_out_of_office_mail_is_not() {
        let mail = fixture("derived/message_created_incoming_email.json");
        assert!(mail.is_customer_message());
        assert_eq!(
            mail.customer_text(),
            "Hello,\n\nI was charged twice for my May invoice (INV-2026-0512). Could you refund the second charge?\n\nThanks,\nMaya"
        );
        assert!(
            !fixture("derived/message_created_incoming_email_auto_reply.json")
                .is_customer_message()
        );
    }

    #[test]
    fn a_contacts_message_of_a_type_the_bot_does_not_answer_is_not_a_customer_message() {
        let text = fixture("message_created_incoming_contact.json");
        for content_type in [
            "input_select",
            "input_csat",
            "cards",
            "form",
            "article",
            "input_email",
            "sticker",
        ] {
            let mut hook = text.clone();
            hook.content_type = Some(content_type.to_owned());
            assert!(!hook.is_customer_message(), "{content_type}");
        }
        let mut untyped = text.clone();
        untyped.content_type = None;
        assert!(untyped.is_customer_message());
        assert_eq!(
            untyped.customer_text(),
            text.content.as_deref().unwrap_or_default()
        );
    }

    #[test]
    fn every_fixture_validates_and_exposes_its_ids() {
        for (path, raw) in webhook_fixtures() {
            let hook = Webhook::parse(&raw).expect("parses");
            assert_eq!(hook.validate(), Ok(()), "{}", path.display());
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

    /// What the ingress takes from a body, by either parser: event, ids and validation, or the parse error's
    /// text.
    type Routing = (String, [Option<u64>; 3], Result<(), MissingField>);

    fn routed_by_model(body: &[u8]) -> Result<Routing, String> {
        let hook = Webhook::parse(body).map_err(|e| e.to_string())?;
        let ids = [hook.id, hook.conversation_id(), hook.contact_id()];
        Ok((hook.event.clone(), ids, hook.validate()))
    }

    fn routed_by_route(body: &[u8]) -> Result<Routing, String> {
        let route = WebhookRoute::parse(body).map_err(|e| e.to_string())?;
        let ids = [route.id(), route.conversation_id(), route.contact_id()];
        let validated = route.validate();
        Ok((route.into_event().into_owned(), ids, validated))
    }

    fn assert_same_routing(body: &[u8], what: &dyn fmt::Display) {
        assert_eq!(
            routed_by_route(body),
            routed_by_model(body),
            "{what}: {}",
            String::from_utf8_lossy(body)
        );
    }

    /// Every path to a value in `value`, as JSON pointers.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    pointers(child, format!("{at}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    pointers(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    #[test]
    fn the_route_agrees_with_the_model_on_every_fixture_and_every_retyped_field() {
        let replacements: Vec<Value> = [
            "null",
            "0",
            "7",
            "-1",
            "1.5",
            "1e3",
            "true",
            "\"x\"",
            "\"a\\\"b\"",
            "[]",
            "[\"x\"]",
            "[1]",
            "{}",
            r#"{"id":9}"#,
            r#"{"sender":{"id":4}}"#,
        ]
        .iter()
        .map(|json| serde_json::from_str(json).expect("replacement"))
        .collect();
        let fixtures = webhook_fixtures();
        for (path, raw) in &fixtures {
            assert_same_routing(raw, &path.display());
            for cut in (0..raw.len()).step_by(13) {
                assert_same_routing(
                    &raw[..cut],
                    &format_args!("{} cut at {cut}", path.display()),
                );
            }
            let value: Value = serde_json::from_slice(raw).expect("fixture is JSON");
            let mut paths = Vec::new();
            pointers(&value, String::new(), &mut paths);
            for pointer in paths.iter().filter(|p| !p.is_empty()) {
                for replacement in &replacements {
                    let mut changed = value.clone();
                    *changed.pointer_mut(pointer).expect("pointer") = replacement.clone();
                    let body = serde_json::to_vec(&changed).expect("serialize");
                    assert_same_routing(
                        &body,
                        &format_args!("{} {pointer} = {replacement}", path.display()),
                    );
                }
            }
        }
        assert!(fixtures.len() >= 10, "fixtures found: {}", fixtures.len());
    }

    #[test]
    fn the_route_agrees_with_the_model_on_odd_bodies() {
        let bodies: &[&[u8]] = &[
            b"",
            b"null",
            b"[]",
            b"7",
            b"\"message_created\"",
            br#"["conversation_created",5]"#,
            br#"["message_created",5,null,"incoming"]"#,
            br#"["message_created",5,null,"incoming",false,"text","s",null,{"id":2}]"#,
            br#"{"event":"message_created","event":"message_updated"}"#,
            br#"{"event":"conversation_\u0063reated","id":4}"#,
            br#"{"event":"contact_updated","id":4} x"#,
            br#"{"event":"contact_updated","id":18446744073709551616}"#,
            br#"{"event":"x","custom_attributes":{"a":1e400}}"#,
            br#"{"event":"x","custom_attributes":{"$serde_json::private::RawValue":"[1]"}}"#,
            br#"{"event":"x","custom_attributes":{"$serde_json::private::RawValue":5}}"#,
            br#"{"event":"x","labels":["a",1]}"#,
            br#"{"event":"x","content":"\ud800"}"#,
            b"{\"event\":\"x\",\"content\":\"\xff\"}",
            b"{\"event\":\"x\",\"unknown\":\"\xff\"}",
            br#"{"event":"message_created","id":1,"message_type":null,"conversation":{"id":2}}"#,
            br#"{"event":"message_created","conversation":{"id":2,"meta":{}},"meta":null}"#,
            br#"{"event":"message_created","meta":{},"conversation":{"meta":{"sender":{"id":3}}}}"#,
        ];
        for body in bodies {
            assert_same_routing(body, &"odd body");
        }
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

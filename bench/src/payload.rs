//! Unique, realistic webhooks: the `message_created_incoming_contact.json` fixture with its message, conversation
//! and contact ids replaced, signed as Chatwoot signs them.
//!
//! The fixture's raw bytes are cut once at the ids, so a body costs a few copies instead of a JSON round trip:
//! the load generator shares two cores with the services it measures, and every microsecond it spends is one the
//! services do not get.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{ensure, Context as _};
use bytes::Bytes;

/// The fixture the load is built from, and the ids it carries.
pub const FIXTURE: &str = "message_created_incoming_contact.json";
const FIXTURE_MESSAGE: &str = "918273";
const FIXTURE_CONVERSATION: &str = "1042";
const FIXTURE_CONTACT: &str = "5821";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Message,
    Conversation,
    Contact,
}

/// One webhook to send.
#[derive(Debug, Clone)]
pub struct Event {
    pub message_id: u64,
    pub conversation_id: u64,
    pub body: Bytes,
}

/// Generates webhooks with ids that are unique across a run (the worker's ledger and JetStream's duplicate window
/// would otherwise drop them), `messages_per_conversation` messages per conversation and one contact per
/// conversation (a shared contact row would serialise every worker transaction on its row lock).
#[derive(Debug)]
pub struct Payloads {
    segments: Vec<Vec<u8>>,
    slots: Vec<Slot>,
    tenant: String,
    secret: Vec<u8>,
    first_id: u64,
    next: AtomicU64,
    messages_per_conversation: u64,
}

impl Payloads {
    pub fn new(
        tenant: &str,
        secret: &str,
        first_id: u64,
        messages_per_conversation: u64,
    ) -> anyhow::Result<Self> {
        Self::from_fixture(
            &e2e::fixture(FIXTURE),
            tenant,
            secret,
            first_id,
            messages_per_conversation,
        )
    }

    fn from_fixture(
        raw: &[u8],
        tenant: &str,
        secret: &str,
        first_id: u64,
        messages_per_conversation: u64,
    ) -> anyhow::Result<Self> {
        let mut segments = Vec::new();
        let mut slots = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < raw.len() {
            let bounded = i == 0 || !raw[i - 1].is_ascii_digit();
            let matched = [
                (FIXTURE_MESSAGE, Slot::Message),
                (FIXTURE_CONVERSATION, Slot::Conversation),
                (FIXTURE_CONTACT, Slot::Contact),
            ]
            .into_iter()
            .find(|(digits, _)| {
                bounded
                    && raw[i..].starts_with(digits.as_bytes())
                    && !raw
                        .get(i + digits.len())
                        .is_some_and(|b| b.is_ascii_digit())
            });
            if let Some((digits, slot)) = matched {
                segments.push(raw[start..i].to_vec());
                slots.push(slot);
                i += digits.len();
                start = i;
            } else {
                i += 1;
            }
        }
        segments.push(raw[start..].to_vec());
        let payloads = Self {
            segments,
            slots,
            tenant: tenant.to_owned(),
            secret: secret.as_bytes().to_vec(),
            first_id,
            next: AtomicU64::new(first_id),
            messages_per_conversation: messages_per_conversation.max(1),
        };
        payloads.check()?;
        Ok(payloads)
    }

    /// The generated body must still be the fixture, with the new ids where the pipeline reads them.
    fn check(&self) -> anyhow::Result<()> {
        let event = self.build(7_000_001, 7_000_002);
        let hook: serde_json::Value =
            serde_json::from_slice(&event.body).context("generated body is not JSON")?;
        ensure!(hook["event"] == "message_created", "fixture event changed");
        ensure!(hook["id"] == 7_000_001, "message id not substituted");
        ensure!(
            hook["conversation"]["id"] == 7_000_002,
            "conversation id not substituted"
        );
        ensure!(
            hook["conversation"]["messages"][0]["id"] == 7_000_001,
            "last message id not substituted"
        );
        ensure!(
            hook["sender"]["id"] == contact_of(7_000_002),
            "contact id not substituted"
        );
        let parsed = chatwoot::Webhook::parse(&event.body).context("pipeline cannot parse it")?;
        ensure!(
            parsed.is_customer_message(),
            "generated webhook is not a customer message"
        );
        Ok(())
    }

    /// The next unique webhook.
    pub fn next(&self) -> Event {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conversation = 1_000_000 + (id - self.first_id) / self.messages_per_conversation;
        self.build(id, conversation)
    }

    fn build(&self, message_id: u64, conversation_id: u64) -> Event {
        let message = message_id.to_string();
        let conversation = conversation_id.to_string();
        let contact = contact_of(conversation_id).to_string();
        let mut body = Vec::with_capacity(self.segments.iter().map(Vec::len).sum::<usize>() + 64);
        for (segment, slot) in self.segments.iter().zip(&self.slots) {
            body.extend_from_slice(segment);
            body.extend_from_slice(match slot {
                Slot::Message => message.as_bytes(),
                Slot::Conversation => conversation.as_bytes(),
                Slot::Contact => contact.as_bytes(),
            });
        }
        if let Some(last) = self.segments.last() {
            body.extend_from_slice(last);
        }
        Event {
            message_id,
            conversation_id,
            body: Bytes::from(body),
        }
    }

    /// `X-Chatwoot-Signature` for `body` sent at `timestamp`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        chatwoot::sign(&self.secret, timestamp, body)
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The ingress's event key for a message (also the JetStream message id).
    pub fn event_key(&self, message_id: u64) -> String {
        format!("{}:message_created:{message_id}", self.tenant)
    }

    /// What the ingress publishes for `event`: the same envelope, subject and message id, for the raw ceiling.
    pub fn envelope(&self, event: &Event, topology: &infra::Topology) -> (String, String, Bytes) {
        let event_key = self.event_key(event.message_id);
        let partition = infra::topology::partition_for(
            &self.tenant,
            &format!("conversation:{}", event.conversation_id),
        );
        let envelope = proto::EventEnvelope {
            tenant: self.tenant.clone(),
            event: "message_created".into(),
            delivery_id: delivery_id(event.message_id),
            event_key: event_key.clone(),
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            body: event.body.clone(),
            signed: true,
            conversation_id: Some(event.conversation_id),
            replay: None,
        };
        (
            topology.event_subject(&self.tenant, partition),
            event_key,
            Bytes::from(envelope.encode_to_vec()),
        )
    }
}

/// The `source_id` of the reply the pipeline posts for a message (`cwp:<action id>`, action 0 of the event).
pub fn reply_source_id(tenant: &str, message_id: u64) -> String {
    format!("cwp:{tenant}:message_created:{message_id}#0")
}

/// The message id inside a reply's `source_id`, if it is one of ours.
pub fn message_of_source_id(source_id: &str) -> Option<u64> {
    let (_, rest) = source_id.split_once(":message_created:")?;
    rest.strip_suffix("#0")?.parse().ok()
}

/// A UUID-shaped `X-Chatwoot-Delivery`, unique per message.
pub fn delivery_id(message_id: u64) -> String {
    format!("b3c0f5e0-0000-4000-8000-{message_id:012x}")
}

fn contact_of(conversation_id: u64) -> u64 {
    10_000_000 + conversation_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_the_fixture_with_unique_ids() {
        let payloads = Payloads::new("acme", "secret", 500, 2).expect("fixture template");
        let a = payloads.next();
        let b = payloads.next();
        let c = payloads.next();
        assert_eq!((a.message_id, b.message_id, c.message_id), (500, 501, 502));
        assert_eq!(a.conversation_id, b.conversation_id);
        assert_ne!(b.conversation_id, c.conversation_id);
        let hook: serde_json::Value = serde_json::from_slice(&c.body).expect("json");
        assert_eq!(hook["id"], 502);
        assert_eq!(hook["conversation"]["id"], c.conversation_id);
        let fixture = e2e::fixture(FIXTURE);
        assert!(a.body.len().abs_diff(fixture.len()) < 32);
    }

    #[test]
    fn source_ids_round_trip() {
        let source = reply_source_id("acme", 42);
        assert_eq!(source, "cwp:acme:message_created:42#0");
        assert_eq!(message_of_source_id(&source), Some(42));
        assert_eq!(message_of_source_id("cwp:acme:delivery:x#0"), None);
    }
}

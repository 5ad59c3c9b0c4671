//! What makes two webhooks "the same event", and which conversation an event belongs to.

use chatwoot::Webhook;
use sha2::{Digest, Sha256};

/// The event's identity, used as `Nats-Msg-Id` (so JetStream drops duplicates within its window) and as the
/// worker's ledger key (so duplicates outside the window do nothing either).
///
/// `message_created` is keyed by message id: Chatwoot is known to deliver the same message twice under two
/// delivery ids (account webhook plus agent bot, or duplicate jobs). Everything else is keyed by
/// `X-Chatwoot-Delivery`, which Chatwoot reuses only for retries of one delivery; webhooks without one (automation
/// rules, old versions) by a hash of the body.
pub fn event_key(tenant: &str, hook: &Webhook, delivery_id: Option<&str>, body: &[u8]) -> String {
    match (hook.event.as_str(), hook.id, delivery_id) {
        ("message_created", Some(id), _) => format!("{tenant}:message_created:{id}"),
        (_, _, Some(delivery)) if !delivery.is_empty() => format!("{tenant}:delivery:{delivery}"),
        _ => {
            let digest = Sha256::digest(body);
            format!("{tenant}:body:{}", hex::encode(&digest[..16]))
        }
    }
}

/// What the partition is derived from: the conversation, so its events stay in order; for events without
/// one, the contact, so a contact's updates stay in order.
pub fn partition_key(hook: &Webhook, event_key: &str) -> String {
    match (hook.conversation_id(), hook.contact_id()) {
        (Some(conversation), _) => format!("conversation:{conversation}"),
        (None, Some(contact)) => format!("contact:{contact}"),
        (None, None) => event_key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(json: &str) -> Webhook {
        Webhook::parse(json.as_bytes()).expect("valid json")
    }

    #[test]
    fn message_created_is_keyed_by_message_whatever_the_delivery() {
        let h = hook(r#"{"event":"message_created","id":7,"conversation":{"id":1}}"#);
        assert_eq!(
            event_key("t", &h, Some("a"), b""),
            event_key("t", &h, Some("b"), b"")
        );
        assert_eq!(event_key("t", &h, None, b""), "t:message_created:7");
    }

    #[test]
    fn other_events_are_keyed_by_delivery_then_body() {
        let h = hook(r#"{"event":"conversation_updated","id":1}"#);
        assert_eq!(event_key("t", &h, Some("d1"), b"x"), "t:delivery:d1");
        assert_ne!(
            event_key("t", &h, None, b"x"),
            event_key("t", &h, None, b"y")
        );
        assert_eq!(
            event_key("t", &h, None, b"x"),
            event_key("t", &h, Some(""), b"x")
        );
    }

    #[test]
    fn events_of_one_conversation_share_a_partition_key() {
        let message = hook(r#"{"event":"message_created","id":7,"conversation":{"id":1042}}"#);
        let status = hook(r#"{"event":"conversation_status_changed","id":1042}"#);
        assert_eq!(partition_key(&message, "a"), partition_key(&status, "b"));
    }
}

//! What makes two webhooks "the same event", and which conversation an event belongs to.

use chatwoot::{Webhook, WebhookRoute};
use sha2::{Digest, Sha256};

/// What an event's key and partition are derived from. The ingress reads it with [`WebhookRoute`]; the full
/// [`Webhook`] gives the same answers (the fuzz target and the tests use it).
pub trait EventIds {
    fn event(&self) -> &str;
    fn id(&self) -> Option<u64>;
    fn conversation_id(&self) -> Option<u64>;
    fn contact_id(&self) -> Option<u64>;
}

impl EventIds for Webhook {
    fn event(&self) -> &str {
        &self.event
    }
    fn id(&self) -> Option<u64> {
        self.id
    }
    fn conversation_id(&self) -> Option<u64> {
        Webhook::conversation_id(self)
    }
    fn contact_id(&self) -> Option<u64> {
        Webhook::contact_id(self)
    }
}

impl EventIds for WebhookRoute<'_> {
    fn event(&self) -> &str {
        WebhookRoute::event(self)
    }
    fn id(&self) -> Option<u64> {
        WebhookRoute::id(self)
    }
    fn conversation_id(&self) -> Option<u64> {
        WebhookRoute::conversation_id(self)
    }
    fn contact_id(&self) -> Option<u64> {
        WebhookRoute::contact_id(self)
    }
}

/// The event's identity, used as `Nats-Msg-Id` (so JetStream drops duplicates within its window) and as the
/// worker's ledger key (so duplicates outside the window do nothing either).
///
/// `message_created` is keyed by message id: Chatwoot is known to deliver the same message twice under two
/// delivery ids (account webhook plus agent bot, or duplicate jobs). Everything else is keyed by
/// `X-Chatwoot-Delivery`, which Chatwoot reuses only for retries of one delivery; webhooks without one (automation
/// rules, old versions) by a hash of the body.
pub fn event_key(
    tenant: &str,
    hook: &impl EventIds,
    delivery_id: Option<&str>,
    body: &[u8],
) -> String {
    match (hook.event(), hook.id(), delivery_id) {
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
pub fn partition_key(hook: &impl EventIds, event_key: &str) -> String {
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
    fn the_route_keys_and_partitions_every_fixture_as_the_model_does() {
        let dir = format!("{}/../fixtures/chatwoot", env!("CARGO_MANIFEST_DIR"));
        let mut fixtures = 0;
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            fixtures += 1;
            let body = std::fs::read(&path).expect("read");
            let model = Webhook::parse(&body).expect("model parses");
            let route = WebhookRoute::parse(&body).expect("route parses");
            for delivery in [None, Some(""), Some("3b0c5f5e-8d0a-4c27-9b61-0f4e2a9d7c15")] {
                let key = event_key("acme", &route, delivery, &body);
                assert_eq!(
                    key,
                    event_key("acme", &model, delivery, &body),
                    "{}",
                    path.display()
                );
                assert_eq!(
                    partition_key(&route, &key),
                    partition_key(&model, &key),
                    "{}",
                    path.display()
                );
            }
            assert_eq!(route.conversation_id(), model.conversation_id());
        }
        assert!(fixtures >= 10, "fixtures found: {fixtures}");
    }

    #[test]
    fn events_of_one_conversation_share_a_partition_key() {
        let message = hook(r#"{"event":"message_created","id":7,"conversation":{"id":1042}}"#);
        let status = hook(r#"{"event":"conversation_status_changed","id":1042}"#);
        assert_eq!(partition_key(&message, "a"), partition_key(&status, "b"));
    }
}

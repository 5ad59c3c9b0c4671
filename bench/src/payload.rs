//! Unique, realistic webhooks: the `message_created_incoming_contact.json` fixture with its message, conversation
//! and contact ids replaced, signed as Chatwoot signs them.
//!
//! The fixture's raw bytes are cut once at the ids, so a body costs a few copies instead of a JSON round trip,
//! and the load generator signs its webhooks before a measured run ([`Payloads::stock_up`]): it shares two cores
//! with the services it measures, and every microsecond it spends is one the services do not get (an HMAC over
//! a 3 KB body is most of what building a request costs).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

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

/// A webhook signed ahead of its send: its ids and `X-Chatwoot-Timestamp`/`X-Chatwoot-Signature`. The body is
/// rebuilt when it is sent ([`Payloads::body`]), which costs a few copies, so a stock of these is small.
#[derive(Debug, Clone)]
pub struct Signed {
    pub message_id: u64,
    pub conversation_id: u64,
    pub timestamp: i64,
    pub signature: String,
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
    /// Webhooks signed ahead, oldest first. What one run leaves is sent by the next, so signing ahead for more
    /// than a run uses costs nothing in the end.
    stock: Mutex<VecDeque<Signed>>,
}

/// Conversations open at a time when a conversation has several messages (`--messages-per-conversation`).
pub const OPEN_CONVERSATIONS: u64 = 1000;

/// Pre-signed webhooks older than this are signed again when taken: the ingress refuses timestamps more than
/// 5 minutes away by default.
const SIGNED_FOR: Duration = Duration::from_secs(240);

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
            stock: Mutex::new(VecDeque::new()),
        };
        payloads.check()?;
        Ok(payloads)
    }

    /// The generated body must still be the fixture, with the new ids where the pipeline reads them.
    fn check(&self) -> anyhow::Result<()> {
        let event = Event {
            message_id: 7_000_001,
            conversation_id: 7_000_002,
            body: self.body(7_000_001, 7_000_002),
        };
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
        let (message_id, conversation_id) = self.next_ids();
        Event {
            message_id,
            conversation_id,
            body: self.body(message_id, conversation_id),
        }
    }

    fn next_ids(&self) -> (u64, u64) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        (id, self.conversation_of(id))
    }

    /// The conversation a message of this run belongs to. With several messages per conversation, the
    /// conversations take turns: [`OPEN_CONVERSATIONS`] are open at a time, each getting every
    /// `OPEN_CONVERSATIONS`th webhook, as customers write between their replies. Back to back, a conversation's
    /// messages would queue on its partition and the latencies would measure that queue.
    pub fn conversation_of(&self, message_id: u64) -> u64 {
        let k = message_id - self.first_id;
        let round = OPEN_CONVERSATIONS * self.messages_per_conversation;
        1_000_000 + (k / round) * OPEN_CONVERSATIONS + k % OPEN_CONVERSATIONS
    }

    /// Signs webhooks now, on every core, until at least `count` fresh ones are in stock (re-signing those that
    /// have grown stale): a run that then takes them ([`Payloads::take_signed`]) spends no HMAC per request.
    /// Blocks while it signs.
    pub fn stock_up(&self, count: usize) {
        let now = unix_now();
        let mut stock = self.stock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stale = Vec::new();
        while let Some(oldest) = stock.front() {
            if is_fresh(oldest, now) {
                break;
            }
            stale.push(oldest.message_id);
            stock.pop_front();
        }
        let missing = count.saturating_sub(stock.len() + stale.len());
        let first = self.next.fetch_add(missing as u64, Ordering::Relaxed);
        let stale_count = stale.len();
        let mut signed = self.sign_all(
            stale
                .into_iter()
                .chain(first..first + missing as u64)
                .collect(),
            now,
        );
        let new = signed.split_off(stale_count);
        for resigned in signed.into_iter().rev() {
            stock.push_front(resigned);
        }
        stock.extend(new);
    }

    /// The next webhook to send: from the stock, signed again if it has grown stale, or signed now when the
    /// stock is empty.
    pub fn take_signed(&self) -> Signed {
        let stocked = self
            .stock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let now = unix_now();
        match stocked {
            Some(signed) if is_fresh(&signed, now) => signed,
            Some(stale) => self.signed(stale.message_id, now),
            None => {
                let (message_id, _) = self.next_ids();
                self.signed(message_id, now)
            }
        }
    }

    fn signed(&self, message_id: u64, timestamp: i64) -> Signed {
        let conversation_id = self.conversation_of(message_id);
        let body = self.body(message_id, conversation_id);
        Signed {
            message_id,
            conversation_id,
            timestamp,
            signature: self.sign(timestamp, &body),
        }
    }

    /// These webhooks, in order, signed at `timestamp` on every core.
    fn sign_all(&self, ids: Vec<u64>, timestamp: i64) -> Vec<Signed> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = ids.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = ids
                .chunks(per_thread)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|&id| self.signed(id, timestamp))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("signing thread"))
                .collect()
        })
    }

    /// The body of the webhook with these ids (each message id always gets the same bytes).
    pub fn body(&self, message_id: u64, conversation_id: u64) -> Bytes {
        let mut digits = [[0u8; 20]; 3];
        let [message, conversation, contact] = &mut digits;
        let message = decimal(message_id, message);
        let conversation = decimal(conversation_id, conversation);
        let contact = decimal(contact_of(conversation_id), contact);
        let mut body = Vec::with_capacity(self.segments.iter().map(Vec::len).sum::<usize>() + 64);
        for (segment, slot) in self.segments.iter().zip(&self.slots) {
            body.extend_from_slice(segment);
            body.extend_from_slice(match slot {
                Slot::Message => message,
                Slot::Conversation => conversation,
                Slot::Contact => contact,
            });
        }
        if let Some(last) = self.segments.last() {
            body.extend_from_slice(last);
        }
        Bytes::from(body)
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
            historical: None,
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

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn is_fresh(signed: &Signed, now: i64) -> bool {
    now.abs_diff(signed.timestamp) < SIGNED_FOR.as_secs()
}

fn contact_of(conversation_id: u64) -> u64 {
    10_000_000 + conversation_id
}

/// `n` in decimal, written into `buf` without an allocation.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
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
        assert_ne!(a.conversation_id, b.conversation_id);
        assert_ne!(b.conversation_id, c.conversation_id);
        // Conversations take turns: the next message of `a`'s conversation comes a round later, and a
        // conversation has its two messages before the next round of conversations opens.
        assert_eq!(
            payloads.conversation_of(500 + OPEN_CONVERSATIONS),
            a.conversation_id
        );
        assert_ne!(
            payloads.conversation_of(500 + 2 * OPEN_CONVERSATIONS),
            a.conversation_id
        );
        let conversations: std::collections::HashSet<u64> = (500..500 + 2 * OPEN_CONVERSATIONS)
            .map(|id| payloads.conversation_of(id))
            .collect();
        assert_eq!(conversations.len() as u64, OPEN_CONVERSATIONS);
        let single = Payloads::new("acme", "secret", 7, 1).expect("fixture template");
        assert_eq!(single.conversation_of(7), 1_000_000);
        assert_eq!(single.conversation_of(1_007), 1_001_000);
        let hook: serde_json::Value = serde_json::from_slice(&c.body).expect("json");
        assert_eq!(hook["id"], 502);
        assert_eq!(hook["conversation"]["id"], c.conversation_id);
        let fixture = e2e::fixture(FIXTURE);
        assert!(a.body.len().abs_diff(fixture.len()) < 32);
    }

    #[test]
    fn stocked_webhooks_verify_and_are_unique() {
        let payloads = Payloads::new("acme", "secret", 900, 1).expect("fixture template");
        payloads.stock_up(5);
        payloads.stock_up(3);
        let signed: Vec<Signed> = (0..6).map(|_| payloads.take_signed()).collect();
        let ids: Vec<u64> = signed.iter().map(|s| s.message_id).collect();
        assert_eq!(ids, [900, 901, 902, 903, 904, 905], "the stock was enough");
        for s in &signed {
            let body = payloads.body(s.message_id, s.conversation_id);
            let timestamp = s.timestamp.to_string();
            let request = chatwoot::SignedRequest {
                timestamp: Some(&timestamp),
                signature: Some(&s.signature),
                body: &body,
            };
            assert_eq!(
                request.verify(b"secret", unix_now(), std::time::Duration::from_secs(5)),
                Ok(())
            );
        }
        assert_eq!(payloads.next().message_id, 906);
        for n in [0, 7, 10, 999, u64::MAX] {
            let mut buf = [0; 20];
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn source_ids_round_trip() {
        let source = reply_source_id("acme", 42);
        assert_eq!(source, "cwp:acme:message_created:42#0");
        assert_eq!(message_of_source_id(&source), Some(42));
        assert_eq!(message_of_source_id("cwp:acme:delivery:x#0"), None);
    }
}

use prost::Message;

use crate::{wire, DecodeError};

/// A verified webhook, as the ingress publishes it on the events stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEnvelope {
    pub tenant: String,
    /// The webhook's `event` field, e.g. `message_created`.
    pub event: String,
    /// `X-Chatwoot-Delivery`; empty when Chatwoot sent none.
    pub delivery_id: String,
    /// Semantic identity: the JetStream `Nats-Msg-Id` and the worker's ledger key.
    pub event_key: String,
    pub received_at_ms: i64,
    /// The raw body exactly as signed.
    pub body: bytes::Bytes,
    pub signed: bool,
    /// Conversation display id, if the event belongs to a conversation.
    pub conversation_id: Option<u64>,
    pub replay: Option<Replay>,
    /// Set only on events `cwctl backfill` rebuilt from Chatwoot's API: record them, act on none.
    pub historical: Option<Historical>,
}

/// Marks an event rebuilt from Chatwoot's history rather than received as a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Historical {
    /// When it happened in Chatwoot, Unix milliseconds.
    pub occurred_at_ms: i64,
    pub run_id: String,
}

/// Marks an event an operator re-published from history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub replay_id: String,
    /// Process again under a ledger key scoped to this replay instead of trusting the ledger.
    pub reprocess: bool,
}

impl EventEnvelope {
    pub fn encode_to_vec(&self) -> Vec<u8> {
        self.to_wire().encode_to_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::from_wire(wire::EventEnvelope::decode(buf)?)
    }

    pub(crate) fn to_wire(&self) -> wire::EventEnvelope {
        wire::EventEnvelope {
            tenant: self.tenant.clone(),
            event: self.event.clone(),
            delivery_id: self.delivery_id.clone(),
            event_key: self.event_key.clone(),
            received_at_ms: self.received_at_ms,
            body: self.body.to_vec(),
            signed: self.signed,
            conversation_id: self.conversation_id.unwrap_or(0),
            replay: self.replay.as_ref().map(|r| wire::Replay {
                replay_id: r.replay_id.clone(),
                reprocess: r.reprocess,
            }),
            historical: self.historical.as_ref().map(|h| wire::Historical {
                occurred_at_ms: h.occurred_at_ms,
                run_id: h.run_id.clone(),
            }),
        }
    }

    pub(crate) fn from_wire(w: wire::EventEnvelope) -> Result<Self, DecodeError> {
        if w.tenant.is_empty() {
            return Err(DecodeError::Missing("tenant"));
        }
        if w.event_key.is_empty() {
            return Err(DecodeError::Missing("event_key"));
        }
        Ok(Self {
            tenant: w.tenant,
            event: w.event,
            delivery_id: w.delivery_id,
            event_key: w.event_key,
            received_at_ms: w.received_at_ms,
            body: w.body.into(),
            signed: w.signed,
            conversation_id: (w.conversation_id != 0).then_some(w.conversation_id),
            replay: w.replay.map(|r| Replay {
                replay_id: r.replay_id,
                reprocess: r.reprocess,
            }),
            historical: w.historical.map(|h| Historical {
                occurred_at_ms: h.occurred_at_ms,
                run_id: h.run_id,
            }),
        })
    }

    /// Whether the event was rebuilt from history (see [`Historical`]).
    pub fn is_historical(&self) -> bool {
        self.historical.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_with_and_without_optional_parts() {
        let mut envelope = EventEnvelope {
            tenant: "acme".into(),
            event: "message_created".into(),
            delivery_id: "3b0c5f5e".into(),
            event_key: "message_created:918273".into(),
            received_at_ms: 42,
            body: bytes::Bytes::from_static(b"{\"event\":\"message_created\"}"),
            signed: true,
            conversation_id: Some(1042),
            replay: None,
            historical: None,
        };
        assert_eq!(
            EventEnvelope::decode(&envelope.encode_to_vec()).expect("decodes"),
            envelope
        );
        envelope.conversation_id = None;
        envelope.replay = Some(Replay {
            replay_id: "r1".into(),
            reprocess: true,
        });
        envelope.historical = Some(Historical {
            occurred_at_ms: 1_778_577_267_512,
            run_id: "b1".into(),
        });
        assert_eq!(
            EventEnvelope::decode(&envelope.encode_to_vec()).expect("decodes"),
            envelope
        );
    }
}

//! Dead letters (see `DeadLetter` in `pipeline.proto`): written by the worker and the dispatcher, read and
//! redriven by `cwctl dlq`, one typed format for all three.

use bytes::Bytes;
use prost::Message;

use crate::{wire, Action, DecodeError, EventEnvelope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub item: DeadItem,
    pub reason: String,
    /// The last Chatwoot HTTP status of an action.
    pub status: Option<u16>,
    pub attempts: u32,
    /// Where the item came from (and goes back to on a redrive).
    pub subject: String,
    pub dead_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadItem {
    Event(EventEnvelope),
    Action(Action),
    /// Bytes that decoded as neither; kept for inspection, never redriven.
    Undecodable(Bytes),
}

impl DeadItem {
    /// `event`, the action's kind, or `undecodable`: what `cwctl dlq list` shows.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Event(_) => "event",
            Self::Action(action) => action.kind.name(),
            Self::Undecodable(_) => "undecodable",
        }
    }

    /// The item's own encoding, as it was on its stream.
    pub fn encode_to_vec(&self) -> Vec<u8> {
        match self {
            Self::Event(envelope) => envelope.encode_to_vec(),
            Self::Action(action) => action.encode_to_vec(),
            Self::Undecodable(bytes) => bytes.to_vec(),
        }
    }
}

impl DeadLetter {
    pub fn encode_to_vec(&self) -> Vec<u8> {
        use wire::dead_letter::Item;
        let item = match &self.item {
            DeadItem::Event(envelope) => Item::Event(envelope.to_wire()),
            DeadItem::Action(action) => Item::Action(action.to_wire()),
            DeadItem::Undecodable(bytes) => Item::Undecodable(bytes.to_vec()),
        };
        wire::DeadLetter {
            item: Some(item),
            reason: self.reason.clone(),
            status: self.status.map_or(0, u32::from),
            attempts: self.attempts,
            subject: self.subject.clone(),
            dead_at_ms: self.dead_at_ms,
        }
        .encode_to_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        use wire::dead_letter::Item;
        let w = wire::DeadLetter::decode(buf)?;
        let item = match w.item.ok_or(DecodeError::Missing("item"))? {
            Item::Event(envelope) => DeadItem::Event(EventEnvelope::from_wire(envelope)?),
            Item::Action(action) => DeadItem::Action(Action::from_wire(action)?),
            Item::Undecodable(bytes) => DeadItem::Undecodable(bytes.into()),
        };
        Ok(Self {
            item,
            reason: w.reason,
            status: u16::try_from(w.status).ok().filter(|s| *s != 0),
            attempts: w.attempts,
            subject: w.subject,
            dead_at_ms: w.dead_at_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActionKind;

    #[test]
    fn every_item_round_trips_with_its_reason() {
        let action = Action {
            action_id: "acme:message_created:1#0".into(),
            tenant: "acme".into(),
            conversation_id: 1042,
            event_key: "acme:message_created:1".into(),
            created_at_ms: 1,
            conversation_seq: 3,
            kind: ActionKind::SendMessage {
                content: "hi".into(),
            },
        };
        let envelope = EventEnvelope {
            tenant: "acme".into(),
            event: "message_created".into(),
            delivery_id: "d".into(),
            event_key: "acme:message_created:1".into(),
            received_at_ms: 2,
            body: Bytes::from_static(b"{}"),
            signed: true,
            conversation_id: Some(1042),
            replay: None,
            historical: None,
        };
        for (item, status) in [
            (DeadItem::Action(action), Some(401)),
            (DeadItem::Event(envelope), None),
            (DeadItem::Undecodable(Bytes::from_static(b"\xff\x00")), None),
        ] {
            let letter = DeadLetter {
                item,
                reason: "401 Invalid Access Token".into(),
                status,
                attempts: 4,
                subject: "cw.actions.acme".into(),
                dead_at_ms: 1_778_577_267_000,
            };
            assert_eq!(
                DeadLetter::decode(&letter.encode_to_vec()).expect("decodes"),
                letter
            );
        }
    }
}

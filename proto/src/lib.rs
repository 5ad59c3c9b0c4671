//! The pipeline's wire format.
//!
//! The prost-generated types stay private: the rest of the workspace uses the domain types below, which make
//! illegal states unrepresentable (an action always has a kind) and convert to and from the wire with
//! [`EventEnvelope::decode`] / [`Action::decode`] and `encode_to_vec`.

mod action;
mod command;
mod dead_letter;
mod envelope;

pub use action::{Action, ActionKind, AssignTarget, ConversationStatus, Priority};
pub use command::{
    Actor, ActorKind, Command, CommandKind, ConversationUpdate, DraftDecision, COMMAND_EVENT,
};
pub use dead_letter::{DeadItem, DeadLetter};
pub use envelope::{EventEnvelope, Historical, Replay};

mod wire {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/pipeline.v1.rs"));
}

/// A message on a stream could not be understood. Such a message can never succeed, so consumers terminate it.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("unknown value {value} for `{field}`")]
    UnknownEnum { field: &'static str, value: i32 },
}

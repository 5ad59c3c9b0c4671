//! The input: one conversation's typed, ordered history, as the worker sees it from Chatwoot's webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who wrote a message. The direction follows from it: a contact writes incoming messages, everyone else outgoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sender {
    Contact,
    /// A human agent (Chatwoot `sender_type: User`), by user id.
    Agent(u64),
    /// An agent bot or Captain assistant.
    Bot,
    /// An automation rule or campaign: outgoing, but Chatwoot counts it neither as a human nor as a bot response.
    Automation,
}

/// Conversation status, as in Chatwoot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Open,
    Resolved,
    Pending,
    Snoozed,
}

/// What happened after the conversation was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message {
        sender: Sender,
        /// A private note; Chatwoot only lets agents write them.
        private: bool,
    },
    /// A status change (a change to the current status is ignored, like Rails' `saved_change_to_status?`).
    /// Open after resolved is a reopen.
    Status(Status),
    /// The bot hands the conversation to people. Like Chatwoot's `bot_handoff!`, this also opens it, so do not
    /// send a separate `Status(Open)` for the same handoff (it would be a no-op anyway).
    BotHandoff,
    /// The assignee changed (`None`: unassigned).
    Assigned(Option<u64>),
    /// The team changed.
    Team(Option<u64>),
    /// Chatwoot posted its `input_csat` survey message.
    CsatSurveySent { message_id: u64 },
    /// The customer answered the survey of `message_id` (`message_updated` with
    /// `content_attributes.submitted_values.csat_survey_response`). Answering again replaces the rating.
    CsatResponse {
        message_id: u64,
        rating: u8,
        feedback: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// What does not change over a conversation's life (or is taken as it was at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationInfo {
    pub id: u64,
    pub inbox: u64,
    /// Chatwoot channel type, e.g. `Channel::WebWidget`.
    pub channel: String,
    /// The inbox has an active agent bot: needed for `conversation_bot_resolved`.
    pub inbox_has_bot: bool,
    pub created_at: DateTime<Utc>,
    /// Usually `Open`, or `Pending` in an inbox with a bot.
    pub status: Status,
    pub assignee: Option<u64>,
    pub team: Option<u64>,
}

/// A conversation's whole history: creation, then events in time order (equal times keep their order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub info: ConversationInfo,
    pub events: Vec<Timed>,
}

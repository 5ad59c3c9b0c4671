//! What the API answers: its JSON shapes, described for the OpenAPI document (`api/openapi.json`, README "The API").

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub id: u64,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastMessage {
    pub id: u64,
    pub content: Option<String>,
    pub message_type: String,
    pub created_at: Option<DateTime<Utc>>,
}

/// A conversation as the pipeline knows it (from Chatwoot's webhooks and its own triage).
#[derive(Debug, Serialize, ToSchema)]
pub struct Conversation {
    pub id: u64,
    /// The support platform it lives on: `chatwoot`, `generic`, `intercom`, `zendesk` or `freshchat` (the
    /// tenant's).
    pub platform: String,
    pub inbox_id: Option<u64>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<u64>,
    pub team_id: Option<u64>,
    pub labels: Vec<String>,
    /// Triage categories of its customer messages, accumulated.
    pub categories: Vec<String>,
    /// `legal` or `fraud` once a customer message was escalated.
    pub escalation: Option<String>,
    pub language: Option<String>,
    /// The bot does not answer (an agent replied, or the conversation was handed off).
    pub bot_silenced: bool,
    pub contact: Option<Contact>,
    pub last_message: Option<LastMessage>,
    /// AI drafts waiting for a decision.
    pub pending_drafts: i64,
    pub last_event_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
}

/// One conversation, with the triage of its last triaged customer message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: Conversation,
    #[schema(value_type = Option<Object>)]
    pub triage: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sender {
    /// `contact`, `user`, `agent_bot` or null.
    pub kind: Option<String>,
    pub id: Option<u64>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: u64,
    /// `incoming`, `outgoing`, `activity` or `template`.
    pub message_type: String,
    pub private: bool,
    pub content_type: String,
    pub content: Option<String>,
    pub sender: Sender,
    /// Sent by this pipeline (the dispatcher), echoed back by Chatwoot.
    pub own: bool,
    #[schema(value_type = Option<Object>)]
    pub triage: Option<Value>,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Source {
    /// The knowledge-base article's external id.
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Not kept per draft: always null for now.
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecidedBy {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Grades {
    pub tone: Option<i16>,
    pub accuracy: Option<i16>,
    pub policy: Option<i16>,
}

/// An AI answer: drafted for review, decided, or sent without review (auto).
#[derive(Debug, Serialize, ToSchema)]
pub struct Draft {
    pub id: i64,
    pub conversation_id: u64,
    /// The customer message it answers.
    pub message_id: u64,
    /// `pending`, `approved`, `rejected`, `stale` or `auto`.
    pub status: String,
    pub text: String,
    pub final_text: Option<String>,
    pub customer_message: Option<String>,
    pub sources: Vec<Source>,
    pub confidence: Option<f64>,
    pub fallback_reason: Option<String>,
    pub responder: String,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<DecidedBy>,
    pub reason: Option<String>,
    pub grades: Option<Grades>,
    pub edited: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftDetail {
    #[serde(flatten)]
    pub draft: Draft,
    /// Its activity records (`draft_created`, `draft_decided`), oldest first.
    pub history: Vec<ActivityRecord>,
}

/// An activity record with its stream sequence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityRecord {
    /// The activity stream's sequence: the SSE event id, and the `after` of the next page.
    pub seq: u64,
    pub id: String,
    pub kind: String,
    pub tenant: String,
    pub conversation_id: u64,
    pub event_key: Option<String>,
    pub at_ms: i64,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A webhook the ingress accepted or refused, and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookRecord {
    /// The activity record's stream sequence.
    pub seq: i64,
    pub event: Option<String>,
    pub delivery_id: Option<String>,
    pub event_key: Option<String>,
    /// JetStream already had it (a re-delivery).
    pub duplicate: bool,
    /// The HTTP status the ingress answered.
    pub status: i32,
    pub reason: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The worker's outcome for its event (`acted`, `ignored`, ...); null while not processed, or refused.
    pub outcome: Option<String>,
    pub processed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    /// `api_key` or `agent`.
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub tenant: String,
    /// `read` or `write`.
    pub scope: String,
    pub actor: ActorView,
}

macro_rules! page {
    ($name:ident, $item:ty) => {
        /// A page of a list; `next_cursor` is null on the last page.
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    };
}

page!(ConversationPage, Conversation);
page!(MessagePage, Message);
page!(DraftPage, Draft);
page!(ActivityPage, ActivityRecord);
page!(WebhookPage, WebhookRecord);

pub fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

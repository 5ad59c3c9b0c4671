//! The simulated Chatwoot data: conversations and their messages.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::config::{SimAgent, SimAgentBot, SimTeam};

/// Inbox every simulated conversation lives in (the fixtures' web widget).
pub(crate) const INBOX_ID: u64 = 7;

/// Who wrote a message or holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actor {
    Agent(SimAgent),
    Bot(SimAgentBot),
    Contact,
    /// Chatwoot itself: activity messages have no sender.
    System,
}

/// Who a conversation is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Assignee {
    Agent(SimAgent),
    Bot(SimAgentBot),
}

impl Assignee {
    pub(crate) fn id(&self) -> u64 {
        match self {
            Self::Agent(a) => a.id,
            Self::Bot(b) => b.id,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub id: u64,
    pub content: String,
    /// Chatwoot's integer enum: 0 incoming, 1 outgoing, 2 activity, 3 template.
    pub message_type: u8,
    pub content_type: String,
    pub content_attributes: Value,
    pub private: bool,
    pub source_id: Option<String>,
    /// Transient in Chatwoot: only in the create response, never stored or listed.
    pub echo_id: Option<Value>,
    pub created_at: i64,
    pub updated_at: f64,
    pub sender: Actor,
}

#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub account_id: u64,
    pub display_id: u64,
    pub created_at: i64,
    pub updated_at: f64,
    pub last_activity_at: i64,
    pub status: String,
    pub snoozed_until: Option<i64>,
    pub priority: Option<String>,
    pub labels: Vec<String>,
    pub assignee: Option<Assignee>,
    pub team: Option<SimTeam>,
    pub messages: Vec<StoredMessage>,
    pub first_reply_created_at: Option<i64>,
    /// Creation times of recent messages, for the per-minute limit.
    pub recent_creates: VecDeque<Instant>,
}

pub(crate) const STATUSES: [&str; 4] = ["open", "resolved", "pending", "snoozed"];
pub(crate) const PRIORITIES: [&str; 4] = ["urgent", "high", "medium", "low"];

impl Conversation {
    pub(crate) fn new(account_id: u64, display_id: u64, status: &str) -> Self {
        let (secs, float) = now();
        Self {
            account_id,
            display_id,
            created_at: secs,
            updated_at: float,
            last_activity_at: secs,
            status: status.to_owned(),
            snoozed_until: None,
            priority: None,
            labels: Vec::new(),
            assignee: None,
            team: None,
            messages: Vec::new(),
            first_reply_created_at: None,
            recent_creates: VecDeque::new(),
        }
    }

    /// Deterministic stand-in for the conversation's uuid column.
    pub(crate) fn uuid(&self) -> String {
        format!(
            "00000000-{:04x}-4000-8000-{:012x}",
            self.account_id & 0xffff,
            self.display_id & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn touch(&mut self) {
        self.updated_at = now().1;
    }

    /// Records a creation against the per-minute limit; false when over it.
    pub(crate) fn admit_message(&mut self, limit: Option<u32>) -> bool {
        let Some(limit) = limit else { return true };
        let now = Instant::now();
        while self
            .recent_creates
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.recent_creates.pop_front();
        }
        if self.recent_creates.len() >= limit as usize {
            return false;
        }
        self.recent_creates.push_back(now);
        true
    }

    pub(crate) fn push_message(&mut self, message: StoredMessage) {
        self.last_activity_at = message.created_at;
        if message.message_type == 1 && !message.private && self.first_reply_created_at.is_none() {
            self.first_reply_created_at = Some(message.created_at);
        }
        self.messages.push(message);
        self.touch();
    }

    /// Applies a status change; `None` toggles like Chatwoot's
    /// `Conversation#toggle_status` (open → resolved, anything else → open).
    pub(crate) fn set_status(&mut self, status: Option<&str>, snoozed_until: Option<i64>) {
        let next = match status {
            Some(s) => s.to_owned(),
            None if self.status == "open" => "resolved".to_owned(),
            None => "open".to_owned(),
        };
        self.snoozed_until = if next == "snoozed" {
            snoozed_until
        } else {
            None
        };
        self.status = next;
        self.touch();
    }

    pub(crate) fn last_non_activity(&self) -> Option<&StoredMessage> {
        self.messages.iter().rev().find(|m| m.message_type != 2)
    }
}

/// Unix seconds, and the float Chatwoot uses for `updated_at`.
pub(crate) fn now() -> (i64, f64) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    // Rails keeps microseconds in the float.
    let float = since.as_micros() as f64 / 1_000_000.0;
    (secs, float)
}

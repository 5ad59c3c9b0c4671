//! What the reply decision needs to know of a conversation: whether the bot may speak, its labels and the facts
//! rules test once. The worker loads it from PostgreSQL with each event.

/// Whether the bot may speak in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BotState {
    #[default]
    Active,
    /// The bot handed the conversation to people; silent until it is resolved.
    HandedOff,
    /// A human agent replied publicly; the bot stays out of the way until it is resolved.
    Silenced,
}

impl BotState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::HandedOff => "handed_off",
            Self::Silenced => "silenced",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "handed_off" => Self::HandedOff,
            "silenced" => Self::Silenced,
            _ => Self::Active,
        }
    }
}

/// What the worker remembers of a conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationState {
    pub bot_state: BotState,
    pub labels: Vec<String>,
    pub status: Option<String>,
    /// Facts rules test once per conversation (see `conversation_flags`).
    pub flags: Vec<String>,
    /// An AI draft is waiting for an agent (a new customer message makes it stale).
    pub pending_drafts: bool,
    /// The sequence number of the conversation's last action; the next ones continue from it.
    pub action_seq: u64,
}

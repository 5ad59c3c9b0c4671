//! AI replies with a human in the loop, the parts the worker and `cwctl` share: each tenant's responder settings
//! ([`settings`]) and its knowledge base in PostgreSQL ([`kb`]): import from Markdown or JSON Lines, and
//! full-text search in the customer's language; and the optional LLM second opinion on triage
//! ([`triage_llm`]).

pub mod kb;
pub mod settings;
pub mod triage_llm;

pub use settings::{
    AiSettings, KbSettings, LlmSettings, Mode, ResponderKind, SettingsError, TriageLlmSettings,
};

//! Routing rules: per tenant, evaluated in priority order on each customer message, with conditions on the triage
//! result, keywords and regular expressions, inbox and channel, contact attributes and business hours, and
//! actions that become Chatwoot calls through the dispatcher; and the reply decision built on them
//! ([`decision`]). A library of its own so that `cwctl` checks and dry-runs rules exactly as the worker applies
//! them, without linking a service.

mod book;
mod compile;
pub mod conversation;
pub mod decision;
mod eval;
mod model;

pub use book::RuleBook;
pub use compile::{RuleSet, RulesError};
pub use eval::{evaluate, in_business_hours, Evaluation, RuleInput};

/// The default rule set (also the documentation of the format).
pub const DEFAULT_RULES: &str = include_str!("default.toml");

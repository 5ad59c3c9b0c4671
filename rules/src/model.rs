//! The rules file as written by people (TOML). `compile` turns it into something checked and fast.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// IANA time zone of the business hours, e.g. "Europe/Berlin".
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// "mon".."sun".
    #[serde(default = "default_days")]
    pub business_days: Vec<String>,
    /// "HH:MM-HH:MM" in the tenant's time zone.
    #[serde(default = "default_hours")]
    pub business_hours: String,
    #[serde(default)]
    pub escalation_team: Option<u64>,
    #[serde(default)]
    pub support_team: Option<u64>,
    #[serde(default)]
    pub support_agents: Vec<u64>,
    /// First public human reply expected within this duration ("30m", "2h").
    #[serde(default = "default_sla")]
    pub first_reply_sla: String,
}

fn default_timezone() -> String {
    "UTC".into()
}

fn default_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"]
        .map(String::from)
        .to_vec()
}

fn default_hours() -> String {
    "09:00-17:00".into()
}

fn default_sla() -> String {
    "30m".into()
}

/// Conditions: every one that is present must hold; a list holds when any of its values matches.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub escalate: Option<Vec<String>>,
    pub urgent: Option<bool>,
    pub handoff: Option<bool>,
    pub categories: Option<Vec<String>>,
    pub language: Option<Vec<String>>,
    pub sentiment: Option<Vec<String>>,
    /// Case-insensitive words or phrases.
    pub keywords: Option<Vec<String>>,
    pub regex: Option<String>,
    pub inbox: Option<Vec<u64>>,
    /// Chatwoot channel, e.g. "Channel::WebWidget".
    pub channel: Option<Vec<String>>,
    /// Contact custom attributes that must equal these values.
    pub contact: Option<BTreeMap<String, toml::Value>>,
    pub business_hours: Option<bool>,
    /// The conversation has no assignee yet.
    pub unassigned: Option<bool>,
}

/// A number, or the name of a setting holding it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IdOrSetting<T> {
    Value(T),
    Setting(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Then {
    /// `{escalate}`, `{language}` and `{categories}` are replaced.
    pub add_labels: Option<Vec<String>>,
    /// urgent, high, medium, low or none.
    pub priority: Option<String>,
    pub assign_agent: Option<IdOrSetting<u64>>,
    pub assign_team: Option<IdOrSetting<u64>>,
    pub round_robin: Option<IdOrSetting<Vec<u64>>>,
    /// Hand the conversation to people: open it, say the handoff message, and stay silent until resolved.
    pub open: Option<bool>,
    pub private_note: Option<String>,
    /// Text, or `@name` for a message of `[messages.name]` in the customer's language.
    pub reply: Option<String>,
    /// With `reply`: at most one such reply per conversation.
    pub once_per_conversation: Option<bool>,
    /// The bot stays silent in this conversation until it is resolved.
    pub stop_bot: Option<bool>,
    /// Lower-priority rules are not evaluated.
    pub stop: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    pub priority: i32,
    #[serde(default)]
    pub when: When,
    #[serde(default)]
    pub then: Then,
}

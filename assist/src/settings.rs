//! A tenant's AI reply settings, read from the `tenants.settings` JSON object (other keys of that object, such as
//! `reply_template`, belong to other features and are left alone).
//!
//! The LLM's API key is never stored in the settings or the database: `llm.api_key_env` names an environment
//! variable of the worker that holds it. The name must start with `LLM_API_KEY`, so settings can only select one of
//! the keys the deployment provisioned for this purpose and never point a tenant's model endpoint at another
//! secret of the process (`SECRETS_KEY`, `DATABASE_URL`...).

use std::fmt;

use infra::Secret;
use serde::{Deserialize, Serialize};

/// Which responder answers a customer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponderKind {
    /// The tenant's articles, searched with PostgreSQL full-text search (no network).
    #[default]
    KnowledgeBase,
    /// An OpenAI-compatible Chat Completions endpoint, grounded on the knowledge base.
    Llm,
    /// The fixed `reply_template` acknowledgement.
    Template,
}

impl ResponderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KnowledgeBase => "knowledge_base",
            Self::Llm => "llm",
            Self::Template => "template",
        }
    }
}

/// What happens to the responder's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A private note for an agent to approve, edit or reject.
    #[default]
    Draft,
    /// Sent to the customer at once when confident enough, otherwise drafted.
    Auto,
    /// No bot answer at all (rules and handoffs still run).
    Off,
}

/// The `ai` part of a tenant's settings, with defaults filled in and validated.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AiSettings {
    pub responder: ResponderKind,
    pub mode: Mode,
    /// In auto mode, answers less confident than this are drafted instead of sent (0-1).
    pub auto_min_confidence: f64,
    pub knowledge_base: KbSettings,
    pub llm: Option<LlmSettings>,
    /// A second opinion from the `llm` endpoint on messages the embedded triage is unsure about.
    pub triage_llm: Option<TriageLlmSettings>,
}

impl Default for AiSettings {
    fn default() -> Self {
        Self {
            responder: ResponderKind::default(),
            mode: Mode::default(),
            auto_min_confidence: 0.6,
            knowledge_base: KbSettings::default(),
            llm: None,
            triage_llm: None,
        }
    }
}

/// The `triage_llm` key: when enabled, messages whose embedded triage has a decision within `unsure_margin` of
/// flipping are also labelled by the tenant's `llm` endpoint (see [`crate::triage_llm`]).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriageLlmSettings {
    pub enabled: bool,
    /// A model decision whose score is closer than this to its threshold counts as unsure (0-0.5); 0 never
    /// asks, 0.5 asks about almost every message.
    pub unsure_margin: f64,
    /// One attempt, then the embedded triage stands; the message's partition waits meanwhile.
    pub timeout_ms: u64,
    /// Defaults to `llm.model`; a smaller model is usually enough for labelling.
    pub model: Option<String>,
}

impl Default for TriageLlmSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            unsure_margin: 0.15,
            timeout_ms: 2_000,
            model: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KbSettings {
    /// The least score (PostgreSQL `ts_rank_cd` normalised to 0-1 as rank/(rank+1)) an article needs to be used
    /// as an answer; below it the conversation is handed off.
    pub min_score: f64,
    /// The quoted passage is cut at this many characters.
    pub max_passage_chars: usize,
}

impl Default for KbSettings {
    fn default() -> Self {
        Self {
            min_score: 0.5,
            max_passage_chars: 700,
        }
    }
}

#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    /// Up to, not including, `/chat/completions`, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
    /// The worker's environment variable holding the API key (`LLM_API_KEY...`); none for keyless local servers.
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_system_prompt")]
    pub system_prompt: String,
    /// Per attempt. Keep `timeout_ms × max_attempts` well below the worker's ACK_WAIT.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Earlier messages of the conversation sent as history.
    #[serde(default = "default_history_messages")]
    pub history_messages: u32,
    /// Best knowledge-base articles sent as context.
    #[serde(default = "default_context_articles")]
    pub context_articles: u32,
}

// Hand-written so a future field holding something sensitive cannot leak by being added to a derive.
impl fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key_env", &self.api_key_env)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

fn default_system_prompt() -> String {
    "You are the customer support assistant of this company. Answer briefly and politely, in the customer's \
     language, using only the knowledge-base articles provided. If they do not answer the question, say that a \
     colleague will follow up; never invent policies, prices or dates."
        .to_owned()
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_max_attempts() -> u32 {
    2
}
fn default_max_tokens() -> u32 {
    400
}
fn default_temperature() -> f64 {
    0.2
}
fn default_history_messages() -> u32 {
    10
}
fn default_context_articles() -> u32 {
    3
}

/// Settings that do not parse or validate; `path` names the offending key (`llm.timeout_ms`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("settings{}: {message}", if path.is_empty() { String::new() } else { format!(".{path}") })]
pub struct SettingsError {
    pub path: String,
    pub message: String,
}

impl SettingsError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// The top-level keys this module owns in a tenant's settings object.
const KEYS: [&str; 6] = [
    "responder",
    "mode",
    "auto_min_confidence",
    "knowledge_base",
    "llm",
    "triage_llm",
];

impl AiSettings {
    /// Reads the AI keys of a tenant's settings object; absent keys take their defaults.
    pub fn from_tenant_settings(settings: &serde_json::Value) -> Result<Self, SettingsError> {
        let object = match settings {
            serde_json::Value::Object(object) => object,
            serde_json::Value::Null => return Ok(Self::default()),
            _ => return Err(SettingsError::new("", "must be a JSON object")),
        };
        let ours: serde_json::Map<String, serde_json::Value> = object
            .iter()
            .filter(|(key, _)| KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let parsed: Self = serde_path_to_error::deserialize(serde_json::Value::Object(ours))
            .map_err(|e| {
                let path = e.path().to_string();
                SettingsError::new(if path == "." { "" } else { &path }, e.inner().to_string())
            })?;
        parsed.validate()?;
        Ok(parsed)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        unit_interval("auto_min_confidence", self.auto_min_confidence)?;
        unit_interval("knowledge_base.min_score", self.knowledge_base.min_score)?;
        within(
            "knowledge_base.max_passage_chars",
            self.knowledge_base.max_passage_chars as u64,
            80,
            10_000,
        )?;
        if let Some(triage) = &self.triage_llm {
            triage.validate(self.llm.is_some())?;
        }
        match (&self.llm, self.responder) {
            (Some(llm), _) => llm.validate(),
            (None, ResponderKind::Llm) => Err(SettingsError::new(
                "llm",
                "required when responder is \"llm\" (at least base_url and model)",
            )),
            (None, _) => Ok(()),
        }
    }
}

impl TriageLlmSettings {
    fn validate(&self, has_llm: bool) -> Result<(), SettingsError> {
        if self.enabled && !has_llm {
            return Err(SettingsError::new(
                "triage_llm",
                "enabled needs the llm endpoint (at least llm.base_url and llm.model)",
            ));
        }
        if !(0.0..=0.5).contains(&self.unsure_margin) {
            return Err(SettingsError::new(
                "triage_llm.unsure_margin",
                format!("must be between 0 and 0.5 (got {})", self.unsure_margin),
            ));
        }
        within("triage_llm.timeout_ms", self.timeout_ms, 100, 10_000)?;
        if self.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(SettingsError::new("triage_llm.model", "must not be empty"));
        }
        Ok(())
    }
}

impl LlmSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|e| SettingsError::new("llm.base_url", format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SettingsError::new("llm.base_url", "must be http or https"));
        }
        if self.model.trim().is_empty() {
            return Err(SettingsError::new("llm.model", "must not be empty"));
        }
        if let Some(name) = &self.api_key_env {
            let valid = name.starts_with("LLM_API_KEY")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(SettingsError::new(
                    "llm.api_key_env",
                    format!(
                        "`{name}` must be an environment variable named LLM_API_KEY or LLM_API_KEY_<A-Z0-9_>"
                    ),
                ));
            }
        }
        if self.system_prompt.trim().is_empty() {
            return Err(SettingsError::new("llm.system_prompt", "must not be empty"));
        }
        within("llm.timeout_ms", self.timeout_ms, 100, 60_000)?;
        within("llm.max_attempts", u64::from(self.max_attempts), 1, 5)?;
        within("llm.max_tokens", u64::from(self.max_tokens), 1, 8_192)?;
        within(
            "llm.history_messages",
            u64::from(self.history_messages),
            0,
            50,
        )?;
        within(
            "llm.context_articles",
            u64::from(self.context_articles),
            0,
            10,
        )?;
        if !(0.0..=2.0).contains(&self.temperature) {
            return Err(SettingsError::new(
                "llm.temperature",
                format!("must be between 0 and 2 (got {})", self.temperature),
            ));
        }
        Ok(())
    }

    /// The API key from the environment variable named by `api_key_env` (`None` when no key is configured).
    pub fn api_key(&self) -> Result<Option<Secret>, SettingsError> {
        let Some(name) = &self.api_key_env else {
            return Ok(None);
        };
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => Ok(Some(Secret::new(value))),
            _ => Err(SettingsError::new(
                "llm.api_key_env",
                format!("the worker's environment has no {name}"),
            )),
        }
    }
}

fn unit_interval(path: &str, value: f64) -> Result<(), SettingsError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(SettingsError::new(
            path,
            format!("must be between 0 and 1 (got {value})"),
        ))
    }
}

fn within(path: &str, value: u64, min: u64, max: u64) -> Result<(), SettingsError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SettingsError::new(
            path,
            format!("must be between {min} and {max} (got {value})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: serde_json::Value) -> Result<AiSettings, SettingsError> {
        AiSettings::from_tenant_settings(&value)
    }

    #[test]
    fn empty_settings_mean_knowledge_base_drafts() {
        let settings = parse(json!({ "reply_template": "Hi {name}" })).expect("valid");
        assert_eq!(settings, AiSettings::default());
        assert_eq!(settings.responder, ResponderKind::KnowledgeBase);
        assert_eq!(settings.mode, Mode::Draft);
        assert_eq!(parse(serde_json::Value::Null), Ok(AiSettings::default()));
    }

    #[test]
    fn a_full_llm_configuration_parses_with_defaults_for_the_rest() {
        let settings = parse(json!({
            "responder": "llm",
            "mode": "auto",
            "auto_min_confidence": 0.7,
            "llm": { "base_url": "http://127.0.0.1:9/v1", "model": "small", "api_key_env": "LLM_API_KEY_ACME" }
        }))
        .expect("valid");
        assert_eq!(settings.mode, Mode::Auto);
        let llm = settings.llm.expect("llm");
        assert_eq!(llm.timeout_ms, 10_000);
        assert_eq!(llm.max_attempts, 2);
        assert_eq!(llm.history_messages, 10);
        assert!(!format!("{llm:?}").contains("system_prompt"));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (
                json!({ "responder": "gpt" }),
                "settings.responder: unknown variant `gpt`",
            ),
            (json!({ "mode": 3 }), "settings.mode: invalid type"),
            (
                json!({ "auto_min_confidence": 1.5 }),
                "settings.auto_min_confidence: must be between 0 and 1",
            ),
            (json!({ "responder": "llm" }), "settings.llm: required"),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m", "timeout": 5 } }),
                "settings.llm.timeout: unknown field `timeout`",
            ),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m", "timeout_ms": 5 } }),
                "settings.llm.timeout_ms: must be between 100 and 60000 (got 5)",
            ),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m", "max_attempts": "two" } }),
                "settings.llm.max_attempts: invalid type",
            ),
            (
                json!({ "llm": { "base_url": "ftp://x", "model": "m" } }),
                "settings.llm.base_url: must be http or https",
            ),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m", "api_key_env": "SECRETS_KEY" } }),
                "settings.llm.api_key_env: `SECRETS_KEY` must be",
            ),
            (
                json!({ "knowledge_base": { "min_score": -0.1 } }),
                "settings.knowledge_base.min_score: must be between 0 and 1",
            ),
            (
                json!(["not", "an", "object"]),
                "settings: must be a JSON object",
            ),
            (
                json!({ "triage_llm": { "enabled": true } }),
                "settings.triage_llm: enabled needs the llm endpoint",
            ),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m" }, "triage_llm": { "unsure_margin": 0.9 } }),
                "settings.triage_llm.unsure_margin: must be between 0 and 0.5",
            ),
            (
                json!({ "llm": { "base_url": "http://x", "model": "m" }, "triage_llm": { "timeout_ms": 60000 } }),
                "settings.triage_llm.timeout_ms: must be between 100 and 10000",
            ),
            (
                json!({ "triage_llm": { "enable": true } }),
                "settings.triage_llm.enable: unknown field `enable`",
            ),
        ];
        for (value, expected) in cases {
            let error = parse(value.clone()).expect_err("invalid").to_string();
            assert!(error.starts_with(expected), "{value}: {error}");
        }
    }

    #[test]
    fn triage_llm_is_off_unless_enabled_and_takes_defaults() {
        assert_eq!(parse(json!({})).expect("valid").triage_llm, None);
        let settings = parse(json!({
            "llm": { "base_url": "http://127.0.0.1:9/v1", "model": "big" },
            "triage_llm": { "enabled": true, "model": "small" }
        }))
        .expect("valid");
        let triage = settings.triage_llm.expect("set");
        assert!(triage.enabled);
        assert_eq!((triage.unsure_margin, triage.timeout_ms), (0.15, 2_000));
        assert_eq!(triage.model.as_deref(), Some("small"));
        assert_eq!(
            settings.responder,
            ResponderKind::KnowledgeBase,
            "independent of the responder"
        );
    }

    #[test]
    fn the_api_key_comes_from_the_named_variable_and_stays_redacted() {
        let llm: LlmSettings = serde_json::from_value(json!({
            "base_url": "http://x", "model": "m", "api_key_env": "LLM_API_KEY_UNIT_TEST_UNSET"
        }))
        .expect("parses");
        let error = llm.api_key().expect_err("unset").to_string();
        assert!(error.contains("LLM_API_KEY_UNIT_TEST_UNSET"), "{error}");
        let keyless: LlmSettings =
            serde_json::from_value(json!({ "base_url": "http://x", "model": "m" }))
                .expect("parses");
        assert_eq!(keyless.api_key(), Ok(None));
        assert_eq!(format!("{:?}", Secret::new("sk-123")), "<redacted>");
    }
}

//! A second opinion on triage from the tenant's OpenAI-compatible Chat Completions endpoint, asked only when
//! the embedded triage is unsure, and never required.
//!
//! "Unsure" comes from the embedded model's margins ([`triage::Analysis::unsure`]): a label the model decided
//! within `unsure_margin` of its threshold. Labels decided by rule cues or tenant keywords are never unsure, so
//! a legal threat with a lawyer in it never waits for a model. One attempt with the tenant's timeout; any
//! error (timeout, HTTP status, unparsable answer) keeps the embedded triage. Answers are cached in-process by
//! a hash of endpoint, model, taxonomy and text, so a redelivered or repeated message is not asked twice.
//!
//! The LLM replaces only the unsure labels, and for the costly ones it may only add: it can raise an
//! escalation or a handoff the embedded triage was unsure about, never clear one (a missed fraud report costs
//! more than a person reading a false alarm).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use triage::{Analysis, Escalation, Sentiment, Triage};

use crate::{LlmSettings, SettingsError, TriageLlmSettings};

/// Cached answers, all tenants together; about 200 bytes each.
const CACHE_ENTRIES: usize = 10_000;

/// What labelling needs from the model: a short JSON object.
const MAX_TOKENS: u32 = 200;

/// The LLM triage client: one per process, shared by every partition loop (it holds the cache).
pub struct LlmTriage {
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for LlmTriage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmTriage").finish_non_exhaustive()
    }
}

/// Where a refined triage came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The embedded triage was sure; nobody was asked.
    Embedded,
    /// The endpoint answered.
    Llm,
    /// The same question was answered before.
    Cache,
    /// Asking failed; the embedded triage stands. The reason never holds the API key.
    Fallback(String),
}

/// The triage to act on, and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Refined {
    pub triage: Triage,
    pub source: Source,
    /// The labels the embedded triage was unsure about (`handoff`, `legal`, `orders`, `sentiment`...).
    pub unsure: Vec<String>,
}

/// Why asking failed.
#[derive(Debug, thiserror::Error)]
pub enum TriageLlmError {
    #[error(transparent)]
    Key(#[from] SettingsError),
    #[error("timed out after {0} ms")]
    Timeout(u64),
    #[error("cannot reach the endpoint: {0}")]
    Connect(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("unexpected answer: {0}")]
    Answer(String),
}

/// The labels the model answers with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Labels {
    categories: Vec<String>,
    urgent: bool,
    escalate: Option<Escalation>,
    handoff: bool,
    sentiment: Sentiment,
}

#[derive(Default)]
struct Cache {
    answers: HashMap<[u8; 32], Labels>,
    order: VecDeque<[u8; 32]>,
}

impl Cache {
    fn get(&self, key: &[u8; 32]) -> Option<Labels> {
        self.answers.get(key).cloned()
    }

    /// Oldest entry out first: cheap, and repeated messages arrive close together.
    fn put(&mut self, key: [u8; 32], labels: Labels) {
        if self.answers.insert(key, labels).is_none() {
            self.order.push_back(key);
            while self.order.len() > CACHE_ENTRIES {
                if let Some(old) = self.order.pop_front() {
                    self.answers.remove(&old);
                }
            }
        }
    }
}

impl Default for LlmTriage {
    fn default() -> Self {
        Self::new()
    }
}

impl LlmTriage {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The triage to act on for `text`: `analysis` as it is when it is sure or when asking fails, otherwise
    /// with the unsure labels taken from the endpoint. `categories` is the tenant's taxonomy (the model may
    /// only answer with these).
    pub async fn refine(
        &self,
        llm: &LlmSettings,
        settings: &TriageLlmSettings,
        categories: &[&str],
        text: &str,
        analysis: &Analysis,
    ) -> Refined {
        let unsure: Vec<String> = analysis
            .unsure(settings.unsure_margin as f32)
            .iter()
            .map(|d| d.label.clone())
            .collect();
        let embedded = |source: Source, unsure: Vec<String>| Refined {
            triage: analysis.triage.clone(),
            source,
            unsure,
        };
        if !settings.enabled || unsure.is_empty() {
            return embedded(Source::Embedded, unsure);
        }
        let model = settings.model.as_deref().unwrap_or(&llm.model);
        let key = cache_key(&llm.base_url, model, categories, text);
        let cached = self.lock().get(&key);
        let (labels, source) = match cached {
            Some(labels) => (labels, Source::Cache),
            None => match self.ask(llm, settings, model, categories, text).await {
                Ok(labels) => {
                    self.lock().put(key, labels.clone());
                    (labels, Source::Llm)
                }
                Err(error) => return embedded(Source::Fallback(error.to_string()), unsure),
            },
        };
        Refined {
            triage: merge(&analysis.triage, &labels, &unsure, categories),
            source,
            unsure,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves a consistent map (each operation completes or not at all).
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn ask(
        &self,
        llm: &LlmSettings,
        settings: &TriageLlmSettings,
        model: &str,
        categories: &[&str],
        text: &str,
    ) -> Result<Labels, TriageLlmError> {
        let key = llm.api_key()?;
        let url = format!("{}/chat/completions", llm.base_url.trim_end_matches('/'));
        let body = serde_json::json!({
            "model": model,
            "messages": [
                { "role": "system", "content": instructions(categories) },
                { "role": "user", "content": text },
            ],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
        });
        let timeout_ms = settings.timeout_ms;
        let mut request = self
            .http
            .post(&url)
            .timeout(Duration::from_millis(timeout_ms))
            .json(&body);
        if let Some(key) = &key {
            request = request.bearer_auth(key.expose());
        }
        // reqwest's errors carry at most the URL, never headers, so the key cannot leak into the reason.
        let failed = |error: reqwest::Error| {
            if error.is_timeout() {
                TriageLlmError::Timeout(timeout_ms)
            } else if error.is_connect() || error.is_request() {
                TriageLlmError::Connect(error.to_string())
            } else {
                TriageLlmError::Answer(error.to_string())
            }
        };
        let response = request.send().await.map_err(failed)?;
        if !response.status().is_success() {
            return Err(TriageLlmError::Status(response.status().as_u16()));
        }
        let body: serde_json::Value = response.json().await.map_err(failed)?;
        let content = body
            .pointer("/choices/0/message/content")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| TriageLlmError::Answer("no choices[0].message.content".into()))?;
        parse(content)
    }
}

/// The system prompt: the label conventions of `triage/tests/data/README.md`, condensed.
fn instructions(categories: &[&str]) -> String {
    format!(
        "You label customer-support messages for an online auto-parts shop and a hotel chain. Reply with one \
         JSON object and nothing else: {{\"categories\": [..], \"urgent\": true|false, \"escalate\": \
         \"legal\"|\"fraud\"|null, \"handoff\": true|false, \"sentiment\": \"positive\"|\"neutral\"|\"negative\"}}.\n\
         categories: every one of [{}] that the message's intents touch; general is anything else (opening \
         hours, location, facilities, greetings, thanks, feedback).\n\
         urgent: time pressure or an emergency (a deadline, today, stranded); \"no rush\" is false.\n\
         escalate: legal when the customer threatens legal action, has a lawyer acting for them or complains to \
         a regulator or consumer body; fraud for an unauthorised or unrecognised charge, a stolen card, an \
         account taken over, phishing in the company's name, or a chargeback or bank dispute. A mention that \
         threatens nobody (\"my sister is a lawyer\", a stolen car part, a double charge without a dispute) is \
         null.\n\
         handoff: the customer asks for a human, agent, manager, specialist or a call back; mentioning one is \
         not asking.\n\
         sentiment: negative for dissatisfaction, anger, distress or sarcasm (polite complaints too), positive \
         for praise or thanks, neutral for questions and requests.",
        categories.join(", ")
    )
}

/// The labels in an answer; models like to wrap JSON in prose or code fences.
fn parse(content: &str) -> Result<Labels, TriageLlmError> {
    let start = content.find('{');
    let end = content.rfind('}');
    let json = match (start, end) {
        (Some(s), Some(e)) if s < e => &content[s..=e],
        _ => return Err(TriageLlmError::Answer("no JSON object".into())),
    };
    serde_json::from_str(json).map_err(|e| TriageLlmError::Answer(e.to_string()))
}

/// The embedded triage with its unsure labels taken from the model; escalation and handoff only rise.
fn merge(embedded: &Triage, labels: &Labels, unsure: &[String], categories: &[&str]) -> Triage {
    let is_unsure = |label: &str| unsure.iter().any(|u| u == label);
    let mut triage = embedded.clone();
    if categories.iter().any(|c| is_unsure(c)) {
        // Taxonomy order, names the tenant does not have dropped.
        let chosen: Vec<String> = categories
            .iter()
            .filter(|c| labels.categories.iter().any(|l| l == *c))
            .map(|c| (*c).to_string())
            .collect();
        if !chosen.is_empty() {
            triage.categories = chosen;
        }
    }
    if is_unsure("urgent") {
        triage.urgent = labels.urgent;
    }
    if is_unsure("sentiment") {
        triage.sentiment = labels.sentiment;
    }
    if is_unsure("handoff") {
        triage.handoff |= labels.handoff;
    }
    if (is_unsure("legal") || is_unsure("fraud")) && triage.escalate.is_none() {
        triage.escalate = labels.escalate;
    }
    triage
}

fn cache_key(base_url: &str, model: &str, categories: &[&str], text: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [base_url, model, &categories.join(","), text] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(categories: &[&str], escalate: Option<Escalation>, handoff: bool) -> Labels {
        Labels {
            categories: categories.iter().map(|c| (*c).to_string()).collect(),
            urgent: true,
            escalate,
            handoff,
            sentiment: Sentiment::Negative,
        }
    }

    fn embedded() -> Triage {
        Triage {
            language: "en".into(),
            categories: vec!["billing".into()],
            urgent: false,
            escalate: Some(Escalation::Fraud),
            handoff: true,
            sentiment: Sentiment::Neutral,
        }
    }

    #[test]
    fn answers_are_found_in_prose_and_fences() {
        let l = parse("Sure!\n```json\n{\"categories\":[\"orders\"],\"urgent\":false,\"escalate\":null,\"handoff\":true,\"sentiment\":\"neutral\"}\n```")
            .expect("parses");
        assert_eq!(l.categories, ["orders"]);
        assert!(l.handoff && l.escalate.is_none());
        assert!(parse("I cannot help with that").is_err());
        assert!(parse("{\"categories\": 3}").is_err());
    }

    #[test]
    fn only_unsure_labels_move_and_escalations_only_rise() {
        let cats = ["orders", "billing", "general"];
        let all: Vec<String> = ["billing", "urgent", "sentiment", "handoff", "fraud"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let t = merge(
            &embedded(),
            &labels(&["orders", "refunds"], None, false),
            &all,
            &cats,
        );
        assert_eq!(t.categories, ["orders"], "unknown names dropped");
        assert!(t.urgent);
        assert_eq!(t.sentiment, Sentiment::Negative);
        assert_eq!(t.escalate, Some(Escalation::Fraud), "never cleared");
        assert!(t.handoff, "never cleared");
        let only_sentiment = vec!["sentiment".to_string()];
        let t = merge(
            &embedded(),
            &labels(&["orders"], None, false),
            &only_sentiment,
            &cats,
        );
        assert_eq!(t.categories, ["billing"]);
        assert!(!t.urgent);
        let mut calm = embedded();
        calm.escalate = None;
        let t = merge(
            &calm,
            &labels(&["billing"], Some(Escalation::Legal), false),
            &all,
            &cats,
        );
        assert_eq!(t.escalate, Some(Escalation::Legal), "raised");
    }

    #[test]
    fn the_cache_keeps_the_newest_entries() {
        let mut cache = Cache::default();
        for i in 0..CACHE_ENTRIES + 5 {
            cache.put(
                cache_key("u", "m", &[], &i.to_string()),
                labels(&[], None, false),
            );
        }
        assert_eq!(cache.answers.len(), CACHE_ENTRIES);
        assert!(cache.get(&cache_key("u", "m", &[], "0")).is_none());
        assert!(cache
            .get(&cache_key("u", "m", &[], &(CACHE_ENTRIES + 4).to_string()))
            .is_some());
        assert_ne!(
            cache_key("u", "m", &["a"], "x"),
            cache_key("u", "m", &[], "x")
        );
    }
}

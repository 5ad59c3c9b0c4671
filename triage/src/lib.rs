//! Embedded, deterministic triage of customer support messages for an auto-parts shop and a hotel chain.
//!
//! A [`Triager`] is built once from a [`Taxonomy`] and then labels each message with its language, categories,
//! urgency, escalation (legal/fraud), human-handoff request and sentiment. Two halves decide together: a linear
//! model over word and character n-grams, trained at build time on the corpus in `triage/train/` and embedded
//! in the binary, reads the whole message; per-language phrase lexicons with negation scopes and trap masks
//! find the cues that must not be missed and the ones that must not count. No network, deterministic, well
//! under a millisecond per message. [`Triager::analyze`] returns the decisions behind each label.
//!
//! ```
//! use triage::{Escalation, Triager};
//! let triager = Triager::default();
//! let t = triager.triage("I'm not going to sue anyone, just want a refund for order 47719.");
//! assert_eq!(t.categories, ["returns"]);
//! assert_eq!(t.escalate, None);
//! let t = triager.triage("Quero falar com um atendente humano, o site só dá erro.");
//! assert_eq!((t.language.as_str(), t.handoff), ("pt", true));
//! assert_eq!(triager.triage("Someone used my card on your site!").escalate, Some(Escalation::Fraud));
//! ```

mod categories;
mod combine;
mod escalation;
pub mod eval;
mod explain;
mod handoff;
pub mod jsonl;
mod lang;
mod lexicon;
mod model;
mod negation;
mod normalize;
mod sentiment;
#[cfg(feature = "training")]
pub mod training;
mod urgency;

use serde::{Deserialize, Serialize};

pub use categories::{Taxonomy, DEFAULT_CATEGORIES};
pub use combine::{Analysis, Basis, LabelDecision};
pub use escalation::Evidence;
pub use lang::Lang;
use lexicon::handoff::Ask;
pub use lexicon::PatternError;

/// Labels of one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// ISO 639-1 code: en, es, de, fr, pt, it or nl.
    pub language: String,
    /// Non-empty, in taxonomy order (see [`Taxonomy::categories`]).
    pub categories: Vec<String>,
    /// Time pressure or an emergency.
    pub urgent: bool,
    /// Legal threat or fraud report, if any.
    pub escalate: Option<Escalation>,
    /// The customer asks for a human.
    pub handoff: bool,
    /// Overall tone.
    pub sentiment: Sentiment,
}

/// Why a message must go to a specialist queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Escalation {
    /// Threat of legal action, a lawyer acting for the customer, a regulator or consumer-body complaint.
    Legal,
    /// Fraud report, unauthorised charge, stolen card, account takeover, phishing, chargeback.
    Fraud,
}

/// Overall tone of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    /// Praise, thanks, enthusiasm.
    Positive,
    /// Factual questions and requests.
    Neutral,
    /// Dissatisfaction, anger, distress or sarcasm, polite complaints included.
    Negative,
}

/// A message prepared for the detectors: tokens, language and negation scope.
pub(crate) struct Message<'a> {
    pub raw: &'a str,
    pub doc: normalize::Doc,
    pub lang: Lang,
    /// Languages whose lexicons apply: the detected one, a close runner-up, and English, which customers
    /// mix in freely ("check-in", "tracking", "login").
    pub langs: lang::LangMask,
    pub scope: negation::Scope,
}

/// The compiled triage engine. Build it once and share it: it is `Send + Sync` and immutable.
pub struct Triager {
    detector: lang::LangDetector,
    negation: negation::NegationRules,
    categories: categories::CategoryRules,
    urgency: urgency::UrgencyRules,
    escalation: escalation::EscalationRules,
    handoff: handoff::HandoffRules,
    sentiment: sentiment::SentimentRules,
    model: model::Model,
    tuning: combine::Tuning,
}

impl std::fmt::Debug for Triager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Triager").finish_non_exhaustive()
    }
}

impl Default for Triager {
    fn default() -> Self {
        Triager::new(Taxonomy::default())
    }
}

impl Triager {
    /// Compiles every lexicon for `taxonomy`.
    pub fn new(taxonomy: Taxonomy) -> Self {
        Triager::with_model(taxonomy, model::Model::embedded())
    }

    fn with_model(taxonomy: Taxonomy, model: model::Model) -> Self {
        Triager {
            detector: lang::LangDetector::new(),
            negation: negation::NegationRules::new(),
            categories: categories::CategoryRules::new(&taxonomy),
            urgency: urgency::UrgencyRules::new(),
            escalation: escalation::EscalationRules::new(),
            handoff: handoff::HandoffRules::new(),
            sentiment: sentiment::SentimentRules::new(),
            model,
            tuning: combine::TUNING,
        }
    }

    /// The category names this triager can give, in output order (built-ins, tenant categories, `general`).
    pub fn categories(&self) -> Vec<&str> {
        self.categories.names()
    }

    /// Labels one message.
    pub fn triage(&self, text: &str) -> Triage {
        self.analyze(text).triage
    }

    /// Labels one message and keeps the decision behind each label: the model's score, whether a rule cue
    /// fired, and which of them decided.
    pub fn analyze(&self, text: &str) -> Analysis {
        let msg = self.prepare(text);
        combine::combine(
            msg.lang.code(),
            &self.findings(&msg),
            &self.model.scores(text),
            &self.tuning,
        )
    }

    fn findings(&self, msg: &Message) -> combine::RuleFindings {
        let escalate = self.escalation.detect(msg);
        let (handoff, handoff_defused) = self.handoff.findings(msg);
        let tone = self.sentiment.detect(msg, escalate, handoff);
        combine::RuleFindings {
            categories: self.categories.find(msg, tone, escalate.phishing),
            legal: escalate.legal,
            fraud: escalate.fraud,
            legal_defused: escalate.legal_defused,
            fraud_defused: escalate.fraud_defused,
            // Asking for someone senior or for a human by name is a request in any context; "anyone there?",
            // "phone support?" and call-backs can be mentions, which the model may veto.
            handoff: match handoff {
                Some(Ask::Senior | Ask::Human) => Evidence::Clear,
                Some(Ask::Agent | Ask::Callback) => Evidence::Word,
                None => Evidence::None,
            },
            handoff_defused,
            urgency: self.urgency.detect(msg),
            tone,
        }
    }

    fn prepare<'a>(&self, text: &'a str) -> Message<'a> {
        let mut doc = normalize::Doc::new(text);
        let (lang, runner_up) = self.detector.detect(text, &doc);
        let langs = lang.bit() | runner_up.map_or(0, Lang::bit) | Lang::En.bit();
        doc.split_conjunctions(lang.bit());
        // Negators are matched in the message's own language only: Portuguese "no" means "in the".
        let scope = self.negation.scope(&doc, lang.bit());
        Message {
            raw: text,
            doc,
            lang,
            langs,
            scope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triager_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Triager>();
    }

    #[test]
    fn serializes_like_the_contract() {
        let t = Triager::default().triage("Need a human. Not a bot. A HUMAN.");
        let json = serde_json::to_value(&t).expect("serializable");
        assert_eq!(json["sentiment"], "negative");
        assert_eq!(json["escalate"], serde_json::Value::Null);
        assert_eq!(json["handoff"], true);
        let legal = serde_json::to_value(Escalation::Legal).expect("serializable");
        assert_eq!(legal, "legal");
    }

    #[test]
    fn empty_and_odd_input() {
        let t = Triager::default();
        for text in ["", "   ", "🙂🙂", "????", "#48213", &"a".repeat(10_000)] {
            let r = t.triage(text);
            assert!(!r.categories.is_empty());
            assert_eq!(r.language.len(), 2);
        }
    }
}

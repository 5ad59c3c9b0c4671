//! Human-readable account of why each label was given, for operators asking "why was this tagged so?": the
//! rule cues that fired, the model's scores, and which of them decided.

use std::fmt::{Debug, Write};

use crate::combine::{Basis, LabelDecision};
use crate::lexicon::Lexicon;
use crate::{model, Message, Triager};

impl Triager {
    /// Lists the language, the matched cues of every rule detector (`!` marks negated ones), then one line per
    /// label: given or not, the model's score against its threshold, and what decided (model, rule, a rule the
    /// model vetoed, a keyword...), and the result. Meant for operator tooling and debugging; the format is
    /// not stable.
    pub fn explain(&self, text: &str) -> String {
        let msg = self.prepare(text);
        let mut out = String::new();
        let words: Vec<&str> = msg.doc.tokens.iter().map(|t| t.text.as_str()).collect();
        let _ = writeln!(
            out,
            "language: {} | tokens: {}",
            msg.lang.code(),
            words.join(" ")
        );
        let _ = writeln!(
            out,
            "model: {} features, trained on {} messages from {} hand-written units",
            model::info::FEATURES,
            model::info::MESSAGES,
            model::info::UNITS
        );
        section(&mut out, "categories", &self.categories.cues, &msg);
        section(&mut out, "general", &self.categories.intents, &msg);
        section(&mut out, "urgency", &self.urgency.cues, &msg);
        section(&mut out, "escalation", &self.escalation.cues, &msg);
        section(&mut out, "handoff", &self.handoff.cues, &msg);
        section(&mut out, "sentiment", &self.sentiment.cues, &msg);
        let analysis = self.analyze(text);
        for d in &analysis.decisions {
            let _ = writeln!(out, "{}", decision_line(d));
        }
        let _ = write!(
            out,
            "result: {}",
            serde_json::to_string(&analysis.triage).unwrap_or_default()
        );
        out
    }
}

/// `  + billing   model 0.83 >= 0.50, rule cue: rule and model`.
fn decision_line(d: &LabelDecision) -> String {
    let mark = if d.on { '+' } else { '-' };
    let label = match d.value {
        Some(v) => format!("{}={}", d.label, format!("{v:?}").to_lowercase()),
        None => d.label.clone(),
    };
    let score = match (d.score, d.threshold) {
        (Some(s), Some(t)) if d.label == "sentiment" => format!("model {s:.2} (runner-up {t:.2})"),
        (Some(s), Some(t)) => format!("model {s:.2} {} {t:.2}", if s >= t { ">=" } else { "<" }),
        _ => "model -".to_string(),
    };
    let cue = match (d.cue, d.evidence) {
        (true, Some(e)) => format!(", rule cue ({})", format!("{e:?}").to_lowercase()),
        (true, None) => ", rule cue".to_string(),
        (false, _) => String::new(),
    };
    let why = match d.basis {
        Basis::Model => "the model decided",
        Basis::Rule => "a rule cue decided, the model did not veto it",
        Basis::ClearRule => "a clear rule cue decided (never vetoed)",
        Basis::RuleAndModel => "rule and model agree",
        Basis::Vetoed => "the rule cue was vetoed: the model reads a mention, not the real thing",
        Basis::Overridden => "a rule overrode the model",
        Basis::Defused => "the rules found the cue only negated or masked (a mention)",
        Basis::Keyword => "a tenant keyword matched",
        Basis::Default => "no other category applies",
        Basis::None => "neither rule nor model",
    };
    format!("  {mark} {label:<20} {score}{cue}: {why}")
}

fn section<T: Copy + PartialEq + Debug>(
    out: &mut String,
    name: &str,
    lex: &Lexicon<T>,
    msg: &Message,
) {
    let hits: Vec<String> = lex
        .find(&msg.doc, msg.langs)
        .iter()
        .map(|h| {
            let span: Vec<&str> = msg.doc.tokens[h.start..h.end]
                .iter()
                .map(|t| t.text.as_str())
                .collect();
            let neg = if msg.scope.is_negated(&msg.doc, h.start, h.end) {
                "!"
            } else {
                ""
            };
            format!("{neg}{:?}[{}]", h.value, span.join(" "))
        })
        .collect();
    let _ = writeln!(out, "{name}: {}", hits.join(", "));
}

//! Human-readable account of which cues fired, for operators asking "why was this tagged so?".

use std::fmt::{Debug, Write};

use crate::lexicon::Lexicon;
use crate::{Message, Triager};

impl Triager {
    /// Lists the language, the matched cues of every detector (with `!` marking negated ones) and the result.
    /// Meant for operator tooling and debugging; the format is not stable.
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
        section(&mut out, "categories", &self.categories.cues, &msg);
        section(&mut out, "general", &self.categories.intents, &msg);
        section(&mut out, "urgency", &self.urgency.cues, &msg);
        section(&mut out, "escalation", &self.escalation.cues, &msg);
        section(&mut out, "handoff", &self.handoff.cues, &msg);
        section(&mut out, "sentiment", &self.sentiment.cues, &msg);
        let _ = write!(out, "result: {:?}", self.triage(text));
        out
    }
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

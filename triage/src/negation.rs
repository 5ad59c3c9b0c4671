//! Negation scope: which tokens sit under a "not", "kein", "pas", "nunca" ...
//!
//! Detectors ask whether the first token of a hit is negated, so "I'm not going to sue" and "no rush" defuse
//! their triggers, while negations that are part of a trigger ("charge I did NOT make") are written into the
//! trigger itself and stay positive.

use crate::lang::{Lang, LangMask};
use crate::lexicon::negation::{Reach, BREAKERS, CONDITIONALS, NEGATORS, SUBJECTS};
use crate::lexicon::Lexicon;
use crate::normalize::Doc;

/// How many tokens a plain negator reaches.
const NEAR_WINDOW: usize = 4;

/// Compiled negation lexicons.
pub(crate) struct NegationRules {
    negators: Lexicon<Reach>,
    breakers: Lexicon<()>,
    conditionals: Lexicon<()>,
    subjects: Lexicon<()>,
}

/// Per-token negation marks of one message.
pub(crate) struct Scope {
    negated: Vec<bool>,
    /// Negated inside a condition ("if it is not here by Friday"): the negation does not defuse deadlines.
    conditional: Vec<bool>,
    /// Starts of plain negators, for languages that negate after the verb ("ich verklage Sie nicht").
    negator_starts: Vec<bool>,
    post_verbal: bool,
}

impl NegationRules {
    pub(crate) fn new() -> Self {
        NegationRules {
            negators: Lexicon::build(&[NEGATORS], &[]),
            breakers: Lexicon::build(&[BREAKERS], &[]),
            conditionals: Lexicon::build(&[CONDITIONALS], &[]),
            subjects: Lexicon::build(&[SUBJECTS], &[]),
        }
    }

    /// Marks the tokens of `doc` that fall under a negator of the active languages.
    pub(crate) fn scope(&self, doc: &Doc, langs: LangMask) -> Scope {
        let n = doc.tokens.len();
        let marks = |lex: &Lexicon<()>| {
            let mut v = vec![false; n];
            lex.find(doc, langs).iter().for_each(|h| v[h.start] = true);
            v
        };
        let breaker = marks(&self.breakers);
        let conditional = marks(&self.conditionals);
        let subject = marks(&self.subjects);
        let mut negated = vec![false; n];
        let mut in_condition = vec![false; n];
        let mut negator_starts = vec![false; n];
        for hit in self.negators.find(doc, langs) {
            let clause = doc.tokens[hit.start].clause;
            let in_clause = |i: usize| i < n && doc.tokens[i].clause == clause;
            if hit.value == Reach::Clause {
                (hit.end..n)
                    .take_while(|&i| in_clause(i))
                    .for_each(|i| negated[i] = true);
                continue;
            }
            negator_starts[hit.start] = true;
            // In "if you don't pay, I ..." the negation belongs to the condition, not the consequence.
            let conditional_before = (0..hit.start)
                .rev()
                .take_while(|&i| in_clause(i))
                .any(|i| conditional[i]);
            for i in (hit.end..hit.end + NEAR_WINDOW).take_while(|&i| in_clause(i)) {
                if breaker[i] || (conditional_before && subject[i]) {
                    break;
                }
                negated[i] = true;
                in_condition[i] |= conditional_before;
            }
        }
        let post_verbal = langs & (Lang::De.bit() | Lang::Nl.bit()) != 0;
        Scope {
            negated,
            conditional: in_condition,
            negator_starts,
            post_verbal,
        }
    }
}

impl Scope {
    /// Whether the negation of a hit starting at `start` sits inside a condition ("if ... not ... by Friday").
    pub(crate) fn in_condition(&self, start: usize) -> bool {
        self.conditional.get(start).copied().unwrap_or(false)
    }

    /// Whether a hit spanning `start..end` is negated.
    pub(crate) fn is_negated(&self, doc: &Doc, start: usize, end: usize) -> bool {
        if self.negated.get(start).copied().unwrap_or(false) {
            return true;
        }
        // German and Dutch put "nicht"/"niet" after the verb and its object.
        self.post_verbal
            && (end..end + 2).any(|i| {
                i < doc.tokens.len()
                    && doc.tokens[i].clause == doc.tokens[start].clause
                    && self.negator_starts[i]
                    && doc
                        .tokens
                        .get(i + 1)
                        .is_none_or(|t| t.clause != doc.tokens[start].clause)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negated_words(text: &str, lang: Lang) -> Vec<String> {
        let mut doc = Doc::new(text);
        doc.split_conjunctions(lang.bit());
        let scope = NegationRules::new().scope(&doc, lang.bit());
        (0..doc.tokens.len())
            .filter(|&i| scope.is_negated(&doc, i, i + 1))
            .map(|i| doc.tokens[i].text.clone())
            .collect()
    }

    #[test]
    fn english_near_scope() {
        let w = negated_words("I'm not going to sue anyone, just want a refund", Lang::En);
        assert!(w.contains(&"sue".to_string()));
        assert!(!w.contains(&"refund".to_string()));
    }

    #[test]
    fn conditional_consequence_is_not_negated() {
        let w = negated_words("if you don't refund me I will sue", Lang::En);
        assert!(!w.contains(&"sue".to_string()), "{w:?}");
        assert!(w.contains(&"refund".to_string()));
    }

    #[test]
    fn disclaimers_reach_the_clause_end() {
        let w = negated_words("Not saying it's fraud, but please refund", Lang::En);
        assert!(w.contains(&"fraud".to_string()));
        assert!(!w.contains(&"refund".to_string()));
        let w = negated_words("I was about to call my bank and dispute it", Lang::En);
        assert!(w.contains(&"dispute".to_string()));
    }

    #[test]
    fn but_ends_scope() {
        let w = negated_words("no rush but I need it urgently", Lang::En);
        assert!(w.contains(&"rush".to_string()));
        assert!(!w.contains(&"urgently".to_string()));
    }

    #[test]
    fn each_language() {
        assert!(negated_words("No es urgente", Lang::Es).contains(&"urgente".to_string()));
        assert!(negated_words("Das ist nicht dringend", Lang::De).contains(&"dringend".to_string()));
        assert!(negated_words("Ich verklage Sie nicht", Lang::De).contains(&"verklage".to_string()));
        assert!(negated_words("je ne vais pas porter plainte", Lang::Fr)
            .contains(&"porter".to_string()));
        assert!(negated_words("não é urgente", Lang::Pt).contains(&"urgente".to_string()));
        assert!(negated_words("Non voglio fare causa", Lang::It).contains(&"fare".to_string()));
        assert!(negated_words("het is niet dringend", Lang::Nl).contains(&"dringend".to_string()));
    }
}

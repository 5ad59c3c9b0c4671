//! Phrase lexicons and the small pattern language they are written in.
//!
//! A pattern is a space-separated sequence of elements matched against folded tokens inside one clause:
//!
//! - `word` matches exactly; `refund*` matches any token starting with `refund`; `#` matches a number, in
//!   digits or as a small number word in any supported language ("in two hours", "zwei Stunden");
//! - `a|b|c*` matches any of the alternatives; a trailing `?` makes the element optional (`a|the?`);
//! - `~N` skips up to N tokens (`~` alone skips up to 3), so "speak to ~ manager" covers "speak to your
//!   store manager";
//! - `$` matches the end of the clause ("HUMAN." but not "human resources").
//!
//! Entries can also be masks: tokens covered by a mask ("emergency brake", "travel agent", "lawyer friend")
//! cannot take part in any other hit of the same lexicon, which is how keyword traps are defused without
//! special-casing each detector.

pub(crate) mod categories;
pub(crate) mod categories_intl;
pub(crate) mod clauses;
pub(crate) mod escalation;
pub(crate) mod fraud;
pub(crate) mod general;
pub(crate) mod handoff;
pub(crate) mod lang;
pub(crate) mod negation;
mod pattern;
pub(crate) mod sentiment;
pub(crate) mod urgency;

use std::collections::HashMap;

use crate::lang::LangMask;
use crate::normalize::Doc;
pub(crate) use pattern::Pattern;
pub use pattern::PatternError;
use pattern::{is_number, Alt};

/// A match of a lexicon entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit<T> {
    pub value: T,
    /// First token of the match.
    pub start: usize,
    /// One past the last token of the match.
    pub end: usize,
}

/// What an entry does when it matches.
#[derive(Debug, Clone, Copy)]
enum Kind<T> {
    Hit(T),
    /// Blocks overlapping hits: of one value (`Some`) or of every value (`None`).
    Mask(Option<T>),
}

struct Entry<T> {
    pattern: Pattern,
    langs: LangMask,
    kind: Kind<T>,
}

/// A compiled set of patterns with values of type `T`, indexed by their first element.
pub(crate) struct Lexicon<T> {
    entries: Vec<Entry<T>>,
    by_word: HashMap<Box<str>, Vec<usize>>,
    by_prefix: HashMap<Box<str>, Vec<usize>>,
    by_number: Vec<usize>,
}

impl<T: Copy + PartialEq> Default for Lexicon<T> {
    fn default() -> Self {
        Lexicon {
            entries: Vec::new(),
            by_word: HashMap::new(),
            by_prefix: HashMap::new(),
            by_number: Vec::new(),
        }
    }
}

/// Static lexicon data: languages, value, patterns separated by `;` or newlines.
pub(crate) type Table<T> = [(LangMask, T, &'static str)];

/// Language masks for the tables' first column (one bit per `Lang`, in `Lang::ALL` order).
pub(crate) const EN: LangMask = 1;
pub(crate) const ES: LangMask = 1 << 1;
pub(crate) const DE: LangMask = 1 << 2;
pub(crate) const FR: LangMask = 1 << 3;
pub(crate) const PT: LangMask = 1 << 4;
pub(crate) const IT: LangMask = 1 << 5;
pub(crate) const NL: LangMask = 1 << 6;

/// Static mask data: languages, scope (`None` = every value), patterns.
pub(crate) type Masks<T> = Table<Option<T>>;

/// Splits a `;`/newline separated pattern list.
pub(crate) fn patterns(list: &str) -> impl Iterator<Item = &str> {
    list.split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

impl<T: Copy + PartialEq> Lexicon<T> {
    /// Compiles static tables of hits and masks; bad patterns are programming errors caught by unit tests.
    pub(crate) fn build(hits: &[&Table<T>], masks: &[&Masks<T>]) -> Self {
        const CHECKED: &str = "built-in lexicon patterns are checked by unit tests";
        let mut lex = Lexicon::default();
        for (langs, value, list) in hits.iter().flat_map(|t| t.iter()) {
            for p in patterns(list) {
                lex.add(p, *langs, Kind::Hit(*value)).expect(CHECKED);
            }
        }
        for (langs, scope, list) in masks.iter().flat_map(|t| t.iter()) {
            for p in patterns(list) {
                lex.add(p, *langs, Kind::Mask(*scope)).expect(CHECKED);
            }
        }
        lex
    }

    /// Adds one hit pattern.
    pub(crate) fn add_hit(
        &mut self,
        pattern: &str,
        langs: LangMask,
        value: T,
    ) -> Result<(), PatternError> {
        self.add(pattern, langs, Kind::Hit(value))
    }

    fn add(&mut self, pattern: &str, langs: LangMask, kind: Kind<T>) -> Result<(), PatternError> {
        let pattern = Pattern::parse(pattern)?;
        let idx = self.entries.len();
        // Index by the first element so matching only tries entries that can start at a token.
        for alt in pattern.first_alts() {
            match alt {
                Alt::Word(w) => self.by_word.entry(w.clone()).or_default().push(idx),
                Alt::Prefix(p) => self.by_prefix.entry(p.clone()).or_default().push(idx),
                Alt::Number => self.by_number.push(idx),
            }
        }
        self.entries.push(Entry {
            pattern,
            langs,
            kind,
        });
        Ok(())
    }

    /// All non-masked hits for entries of the active languages, ordered by start.
    pub(crate) fn find(&self, doc: &Doc, langs: LangMask) -> Vec<Hit<T>> {
        self.find_with_masked(doc, langs).0
    }

    /// The non-masked hits, and the hits a mask blocked ("lawyer" in "my sister is a lawyer").
    pub(crate) fn find_with_masked(
        &self,
        doc: &Doc,
        langs: LangMask,
    ) -> (Vec<Hit<T>>, Vec<Hit<T>>) {
        let mut hits: Vec<Hit<T>> = Vec::new();
        let mut masks: Vec<Hit<Option<T>>> = Vec::new();
        let mut candidates = Vec::new();
        for (start, tok) in doc.tokens.iter().enumerate() {
            candidates.clear();
            if let Some(ids) = self.by_word.get(tok.text.as_str()) {
                candidates.extend_from_slice(ids);
            }
            for (cut, _) in tok
                .text
                .char_indices()
                .skip(1)
                .chain([(tok.text.len(), ' ')])
            {
                if let Some(ids) = self.by_prefix.get(&tok.text[..cut]) {
                    candidates.extend_from_slice(ids);
                }
            }
            if is_number(&tok.text) {
                candidates.extend_from_slice(&self.by_number);
            }
            candidates.sort_unstable();
            candidates.dedup();
            for &id in &candidates {
                let entry = &self.entries[id];
                if entry.langs & langs == 0 {
                    continue;
                }
                if let Some(end) = entry.pattern.match_at(doc, start) {
                    match entry.kind {
                        Kind::Hit(value) => hits.push(Hit { value, start, end }),
                        Kind::Mask(scope) => masks.push(Hit {
                            value: scope,
                            start,
                            end,
                        }),
                    }
                }
            }
        }
        let overlaps = |a: &Hit<T>, m: &Hit<Option<T>>| a.start < m.end && m.start < a.end;
        hits.into_iter().partition(|h| {
            !masks
                .iter()
                .any(|m| m.value.is_none_or(|v| v == h.value) && overlaps(h, m))
        })
    }

    /// Whether any entry of the active languages matches.
    #[cfg(test)]
    pub(crate) fn any(&self, doc: &Doc, langs: LangMask) -> bool {
        !self.find(doc, langs).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ANY;

    fn lex(patterns: &[&'static str]) -> Lexicon<u8> {
        let mut l = Lexicon::default();
        for p in patterns {
            l.add_hit(p, ANY, 1).expect("valid test pattern");
        }
        l
    }

    #[test]
    fn words_prefixes_options_gaps() {
        let l = lex(&[
            "speak|talk to|with ~ manager|human",
            "refund* me?",
            "order #",
        ]);
        let doc = Doc::new("I want to talk to your store manager. Refunded. order 4411");
        let hits = l.find(&doc, ANY);
        assert_eq!(hits.len(), 3);
        assert_eq!((hits[0].start, hits[0].end), (3, 8));
    }

    #[test]
    fn clause_end_anchor() {
        let l = lex(&["human $"]);
        assert!(l.any(&Doc::new("Not a bot. A HUMAN."), ANY));
        assert!(!l.any(&Doc::new("human resources"), ANY));
    }

    #[test]
    fn matches_stay_inside_a_clause() {
        let l = lex(&["speak to ~ manager"]);
        assert!(!l.any(&Doc::new("I speak to you. The manager is nice"), ANY));
    }

    #[test]
    fn masks_block_overlapping_hits() {
        let mut l = lex(&["emergency"]);
        l.add("emergency brake", ANY, Kind::Mask(None))
            .expect("valid mask");
        l.add_hit("brake", ANY, 2).expect("valid");
        l.add("brake cable", ANY, Kind::Mask(Some(2)))
            .expect("valid mask");
        assert!(!l.any(&Doc::new("the emergency brake cable"), ANY));
        assert!(l.any(&Doc::new("this is an emergency"), ANY));
        // A scoped mask only blocks its own value.
        let hits = l.find(&Doc::new("brake cable emergency"), ANY);
        assert_eq!(hits.iter().map(|h| h.value).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn language_gating() {
        let mut l: Lexicon<u8> = Lexicon::default();
        l.add_hit("mai", crate::lang::Lang::It.bit(), 1)
            .expect("valid");
        assert!(!l.any(&Doc::new("am 5. Mai"), crate::lang::Lang::De.bit()));
        assert!(l.any(&Doc::new("mai arrivato"), crate::lang::Lang::It.bit()));
    }

    /// Every built-in table parses, with the offending pattern named on failure.
    #[test]
    fn builtin_patterns_parse() {
        fn check<T>(name: &str, table: &Table<T>) {
            for (_, _, list) in table {
                for p in patterns(list) {
                    if let Err(e) = Pattern::parse(p) {
                        panic!("{name}: {e}");
                    }
                }
            }
        }
        check("categories", categories::CUES);
        check("categories masks", categories::MASKS);
        check("categories intl", categories_intl::CUES);
        check("categories intl masks", categories_intl::MASKS);
        check("general", general::INTENTS);
        check("general masks", general::MASKS);
        check("urgency", urgency::CUES);
        check("urgency masks", urgency::MASKS);
        check("legal", escalation::LEGAL);
        check("legal masks", escalation::LEGAL_MASKS);
        check("fraud", fraud::FRAUD);
        check("fraud halves", fraud::HALVES);
        check("fraud masks", fraud::FRAUD_MASKS);
        check("handoff", handoff::CUES);
        check("handoff masks", handoff::MASKS);
        check("sentiment", sentiment::CUES);
        check("sentiment masks", sentiment::MASKS);
        check("negators", negation::NEGATORS);
        check("breakers", negation::BREAKERS);
    }

    #[test]
    fn rejects_bad_patterns() {
        for bad in ["", "~2 word", "word ~", "a?", "a||b", "*", "$ a"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}

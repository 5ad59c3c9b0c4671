//! Language identification restricted to the seven languages the inboxes receive.
//!
//! whatlang's trigram model is good on long texts but unstable on the short chat lines that dominate support
//! traffic ("Need a human. Not a bot."), so its vote is blended with function-word and diacritic evidence, and
//! English wins when nothing speaks clearly: it is ~70% of the traffic.

use std::collections::HashMap;

use crate::lexicon::lang as data;
use crate::normalize::Doc;

/// One of the seven supported languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English.
    En,
    /// Spanish.
    Es,
    /// German.
    De,
    /// French.
    Fr,
    /// Portuguese.
    Pt,
    /// Italian.
    It,
    /// Dutch.
    Nl,
}

/// Bit set of [`Lang`]s, used to gate lexicon entries cheaply.
pub(crate) type LangMask = u8;

/// Every language: for entries that are language-agnostic.
pub(crate) const ANY: LangMask = 0x7f;

impl Lang {
    /// All supported languages, in a fixed order.
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Es,
        Lang::De,
        Lang::Fr,
        Lang::Pt,
        Lang::It,
        Lang::Nl,
    ];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Pt => "pt",
            Lang::It => "it",
            Lang::Nl => "nl",
        }
    }

    /// Parses an ISO 639-1 code (case-insensitive).
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }

    pub(crate) fn bit(self) -> LangMask {
        1 << (self as u8)
    }

    fn index(self) -> usize {
        self as usize
    }

    fn whatlang(self) -> whatlang::Lang {
        match self {
            Lang::En => whatlang::Lang::Eng,
            Lang::Es => whatlang::Lang::Spa,
            Lang::De => whatlang::Lang::Deu,
            Lang::Fr => whatlang::Lang::Fra,
            Lang::Pt => whatlang::Lang::Por,
            Lang::It => whatlang::Lang::Ita,
            Lang::Nl => whatlang::Lang::Nld,
        }
    }
}

/// Letters of text at which whatlang's vote gets its full weight.
const TRIGRAM_FULL_WEIGHT_LETTERS: f64 = 40.0;

/// Evidence a language other than English needs to win.
const MIN_FOREIGN_SCORE: f64 = 0.6;

/// Share of the winner's score at which the runner-up's lexicons apply too.
const RUNNER_UP_SHARE: f64 = 0.7;

/// Weight of a word only one language's training corpus uses (see `build.rs`): half a function word, since
/// the corpus is small and a shared word may simply not have come up in the other languages yet.
const CORPUS_WORD: f64 = 0.5;

mod corpus {
    include!(concat!(env!("OUT_DIR"), "/language-words.rs"));
}

/// Compiled detector: whatlang with an allowlist plus a function-word table.
pub(crate) struct LangDetector {
    detector: whatlang::Detector,
    /// Folded function word -> languages that use it.
    function_words: HashMap<&'static str, LangMask>,
    corpus_words: HashMap<&'static str, Lang>,
}

impl LangDetector {
    pub(crate) fn new() -> Self {
        let mut function_words: HashMap<&'static str, LangMask> = HashMap::new();
        for (lang, words) in data::FUNCTION_WORDS {
            for w in words.split_whitespace() {
                *function_words.entry(w).or_default() |= lang.bit();
            }
        }
        let allow = Lang::ALL.iter().map(|l| l.whatlang()).collect();
        LangDetector {
            detector: whatlang::Detector::with_allowlist(allow),
            function_words,
            corpus_words: corpus::CORPUS_WORDS
                .iter()
                .map(|&(w, i)| (w, Lang::ALL[i]))
                .collect(),
        }
    }

    /// The most likely language and, when it is a close call, the runner-up: close Romance languages share
    /// so much vocabulary that the lexicons of both should apply. `raw` keeps the diacritics that folding
    /// removed from `doc`.
    pub(crate) fn detect(&self, raw: &str, doc: &Doc) -> (Lang, Option<Lang>) {
        let mut score = [0f64; 7];
        for tok in &doc.tokens {
            if let Some(lang) = self.corpus_words.get(tok.text.as_str()) {
                if !self.function_words.contains_key(tok.text.as_str()) {
                    score[lang.index()] += CORPUS_WORD;
                }
            }
            if let Some(&mask) = self.function_words.get(tok.text.as_str()) {
                // A word shared by k languages says less about each of them.
                let share = 1.0 / f64::from(mask.count_ones());
                for lang in Lang::ALL {
                    if mask & lang.bit() != 0 {
                        score[lang.index()] += share;
                    }
                }
            }
        }
        for (lang, chars, weight) in data::DIACRITICS {
            let n = raw.chars().filter(|c| chars.contains(*c)).count().min(3);
            score[lang.index()] += weight * n as f64;
        }
        if let Some(info) = self.detector.detect(raw) {
            if let Some(lang) = Lang::ALL.into_iter().find(|l| l.whatlang() == info.lang()) {
                // Trigram statistics need text: on "refund??" they are noise, on a paragraph they are the best
                // evidence there is.
                let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
                let weight = 2.0 * (letters as f64 / TRIGRAM_FULL_WEIGHT_LETTERS).min(1.0);
                let bonus = if info.is_reliable() { 0.5 } else { 0.0 };
                score[lang.index()] += weight * info.confidence() + bonus;
            }
        }
        // English keeps ties and weak evidence: it is the default and by far the most frequent language.
        let mut best = Lang::En;
        for lang in Lang::ALL {
            if score[lang.index()] > score[best.index()] + 1e-9 {
                best = lang;
            }
        }
        if score[best.index()] < MIN_FOREIGN_SCORE {
            return (Lang::En, None);
        }
        let runner_up = Lang::ALL
            .into_iter()
            .filter(|l| *l != best && score[l.index()] >= RUNNER_UP_SHARE * score[best.index()])
            .max_by(|a, b| score[a.index()].total_cmp(&score[b.index()]));
        (best, runner_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> &'static str {
        let det = LangDetector::new();
        det.detect(text, &Doc::new(text)).0.code()
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("EN"), Some(Lang::En));
        assert_eq!(Lang::from_code("ru"), None);
    }

    #[test]
    fn each_language_short_text() {
        assert_eq!(detect("Need a human. Not a bot. A HUMAN."), "en");
        assert_eq!(detect("¿Tienen stock de pastillas de freno?"), "es");
        assert_eq!(detect("Wo bleibt meine Bestellung?"), "de");
        assert_eq!(detect("Où est ma commande ?"), "fr");
        assert_eq!(detect("Onde está o meu pedido?"), "pt");
        assert_eq!(detect("Dov'è il mio ordine?"), "it");
        assert_eq!(detect("Waar blijft mijn bestelling?"), "nl");
        assert_eq!(detect("Tenéis stock?"), "es");
        assert_eq!(detect("Posso annullare l'ordine?"), "it");
        assert_eq!(detect("pedido 4432 no llega"), "es");
        assert_eq!(detect("Bedankt!"), "nl");
        assert_eq!(detect("Grazie"), "it");
    }

    #[test]
    fn short_english_without_cues_stays_english() {
        assert_eq!(detect("refund??"), "en");
        assert_eq!(detect("HUMAN PLEASE"), "en");
        assert_eq!(detect("ok thanks"), "en");
    }

    #[test]
    fn empty_defaults_to_english() {
        assert_eq!(detect(""), "en");
        assert_eq!(detect("👍👍"), "en");
    }
}

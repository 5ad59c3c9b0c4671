//! Text normalisation: lowercasing, accent folding, tokenisation and clause segmentation.
//!
//! Everything downstream matches on folded tokens, so customers who type without accents ("nao", "reserva",
//! "Ruckerstattung") hit the same lexicon entries as those who do.

use crate::lang::LangMask;
use crate::lexicon::clauses::CONJUNCTIONS;

/// A word or number of the message, folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Lowercased, accent-folded text.
    pub text: String,
    /// Clause index: punctuation and contrastive conjunctions open a new clause, which bounds phrase matches
    /// and negation scope.
    pub clause: u16,
    /// Whether the customer typed the word in capitals (two letters or more): shouting.
    pub shouted: bool,
}

/// A tokenised message.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub tokens: Vec<Token>,
}

pub(crate) use crate::model::text::{fold, fold_char};

/// Punctuation that ends a clause. Commas count: negation and phrase matches rarely survive them.
fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | '!'
            | '?'
            | ';'
            | ':'
            | '('
            | ')'
            | '['
            | ']'
            | '\n'
            | '\r'
            | '¿'
            | '¡'
            | '•'
            | '–'
            | '—'
            | '"'
            | '“'
            | '”'
            | '«'
            | '»'
    )
}

/// Unit suffixes split off numbers so "48h" and "11pm" read like "48 h" and "11 pm".
const UNIT_SUFFIXES: &[&str] = &[
    "am", "pm", "h", "hr", "hrs", "hours", "min", "mins", "uhr", "st", "nd", "rd", "th",
];

impl Doc {
    /// Tokenises `text`; clauses are split on punctuation only until [`Doc::split_conjunctions`] runs.
    pub(crate) fn new(text: &str) -> Doc {
        let mut tokens = Vec::new();
        let mut clause: u16 = 0;
        let mut word = String::new();
        let mut raw_word = String::new();
        let mut after_apostrophe = false;
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if c.is_alphanumeric() {
                raw_word.push(c);
                fold_char(c, &mut word);
                continue;
            }
            let pending_apostrophe = after_apostrophe;
            let apostrophe = matches!(c, '\'' | '’' | '‘' | 'ʼ') && !word.is_empty();
            flush(
                &mut tokens,
                &mut word,
                &mut raw_word,
                clause,
                pending_apostrophe,
            );
            after_apostrophe = apostrophe;
            // Decimal points and thousands separators ("89,90", "2.99") are not clause ends.
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if is_boundary(c)
                && !between_digits
                && tokens.last().is_some_and(|t: &Token| t.clause == clause)
            {
                clause += 1;
            }
        }
        flush(
            &mut tokens,
            &mut word,
            &mut raw_word,
            clause,
            after_apostrophe,
        );
        Doc { tokens }
    }

    /// Opens a new clause at contrastive conjunctions ("but", "aber", "mais", ...) of the given languages, so
    /// "not urgent, but ..." and "no lawyer, but ..." do not leak across.
    pub(crate) fn split_conjunctions(&mut self, langs: LangMask) {
        let mut shift: u16 = 0;
        let mut prev_clause = None;
        for tok in &mut self.tokens {
            let conj = CONJUNCTIONS
                .iter()
                .any(|(mask, words)| mask & langs != 0 && words.contains(&tok.text.as_str()));
            if conj && prev_clause == Some(tok.clause) {
                shift += 1;
            }
            prev_clause = Some(tok.clause);
            tok.clause += shift;
        }
    }

    /// Token texts, for tests and debugging.
    #[cfg(test)]
    pub(crate) fn words(&self) -> Vec<&str> {
        self.tokens.iter().map(|t| t.text.as_str()).collect()
    }
}

fn flush(
    tokens: &mut Vec<Token>,
    word: &mut String,
    raw: &mut String,
    clause: u16,
    after_apostrophe: bool,
) {
    if word.is_empty() {
        return;
    }
    let shouted = raw.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !raw.chars().any(char::is_lowercase);
    let text = std::mem::take(word);
    raw.clear();
    let push = |tokens: &mut Vec<Token>, text: String| {
        tokens.push(Token {
            text,
            clause,
            shouted,
        })
    };

    if after_apostrophe {
        if let Some(expanded) = expand_contraction(tokens, &text) {
            push(tokens, expanded.to_string());
            return;
        }
    }
    if let Some((stem, expanded)) = split_glued_negation(&text) {
        push(tokens, stem.to_string());
        push(tokens, expanded.to_string());
        return;
    }
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < text.len() && UNIT_SUFFIXES.contains(&&text[digits..]) {
        push(tokens, text[..digits].to_string());
        push(tokens, text[digits..].to_string());
        return;
    }
    push(tokens, text);
}

/// English clitics after an apostrophe: "don't" -> "do not", "I'm" -> "i am". Romance elisions ("l'", "dell'")
/// come before the apostrophe and are left alone.
fn expand_contraction(tokens: &mut [Token], part: &str) -> Option<&'static str> {
    let prev = tokens.last_mut()?;
    match part {
        "t" if prev.text.ends_with('n') => {
            prev.text = match prev.text.as_str() {
                "can" => "can".to_string(),
                "won" => "will".to_string(),
                "ain" => "is".to_string(),
                other => other[..other.len() - 1].to_string(),
            };
            Some("not")
        }
        "m" => Some("am"),
        "re" => Some("are"),
        "ll" => Some("will"),
        "ve" => Some("have"),
        "d" => Some("would"),
        _ => None,
    }
}

/// Apostrophe-less English negations typed in chat ("dont", "cant", "didnt").
fn split_glued_negation(word: &str) -> Option<(&'static str, &'static str)> {
    let stem = match word {
        "dont" => "do",
        "cant" => "can",
        "wont" => "will",
        "didnt" => "did",
        "doesnt" => "does",
        "isnt" => "is",
        "arent" => "are",
        "wasnt" => "was",
        "werent" => "were",
        "havent" => "have",
        "hasnt" => "has",
        "hadnt" => "had",
        "couldnt" => "could",
        "wouldnt" => "would",
        "shouldnt" => "should",
        "aint" => "is",
        _ => return None,
    };
    Some((stem, "not"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_english_contractions() {
        let doc = Doc::new("I don't want it, I'm not going and it won't fit. dont cant");
        assert_eq!(
            doc.words(),
            [
                "i", "do", "not", "want", "it", "i", "am", "not", "going", "and", "it", "will",
                "not", "fit", "do", "not", "can", "not"
            ]
        );
    }

    #[test]
    fn keeps_romance_elisions() {
        let doc = Doc::new("Contesterò l'addebito, n'est pas arrivée");
        assert_eq!(
            doc.words(),
            ["contestero", "l", "addebito", "n", "est", "pas", "arrivee"]
        );
    }

    #[test]
    fn clauses_split_on_punctuation_not_decimals() {
        let doc = Doc::new("Rechnung über 89,90 € statt 79.90. Bitte prüfen");
        let clauses: Vec<u16> = doc.tokens.iter().map(|t| t.clause).collect();
        assert_eq!(
            doc.words(),
            ["rechnung", "uber", "89", "90", "statt", "79", "90", "bitte", "prufen"]
        );
        assert_eq!(clauses, [0, 0, 0, 0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn conjunctions_open_clauses_per_language() {
        let mut doc = Doc::new("no rush but send it");
        doc.split_conjunctions(crate::lang::Lang::En.bit());
        let clauses: Vec<u16> = doc.tokens.iter().map(|t| t.clause).collect();
        assert_eq!(clauses, [0, 0, 1, 1, 1]);
        // "ma" is Italian "but" yet French "my": only split for Italian.
        let mut fr = Doc::new("ma commande");
        fr.split_conjunctions(crate::lang::Lang::Fr.bit());
        assert_eq!(fr.tokens[1].clause, 0);
    }

    #[test]
    fn shouting_and_units() {
        let doc = Doc::new("WHERE is it? land at 11pm, 48h");
        assert!(doc.tokens[0].shouted);
        assert!(!doc.tokens[1].shouted);
        assert_eq!(doc.words()[3..], ["land", "at", "11", "pm", "48", "h"]);
    }
}

//! The pattern language of the lexicons (see the parent module for the syntax) and its matcher.

use crate::normalize::{fold, Doc, Token};

/// A pattern that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid lexicon pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The offending pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub(super) enum Alt {
    Word(Box<str>),
    Prefix(Box<str>),
    Number,
}

#[derive(Debug, Clone)]
enum Elem {
    Tok { alts: Vec<Alt>, optional: bool },
    Gap(usize),
    End,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    elems: Vec<Elem>,
}

impl Pattern {
    /// Alternatives of the first element, which is always a required word element.
    pub(super) fn first_alts(&self) -> &[Alt] {
        match self.elems.first() {
            Some(Elem::Tok { alts, .. }) => alts,
            _ => &[],
        }
    }

    pub(crate) fn parse(src: &str) -> Result<Pattern, PatternError> {
        let err = |reason| PatternError {
            pattern: src.to_string(),
            reason,
        };
        let mut elems = Vec::new();
        // Patterns are folded like messages, so lexicons may be written with accents.
        for raw in fold(src).split_whitespace() {
            if raw == "$" {
                elems.push(Elem::End);
                continue;
            }
            if let Some(n) = raw.strip_prefix('~') {
                let n = if n.is_empty() {
                    3
                } else {
                    n.parse().map_err(|_| err("gap length is not a number"))?
                };
                elems.push(Elem::Gap(n));
                continue;
            }
            let (body, optional) = match raw.strip_suffix('?') {
                Some(b) => (b, true),
                None => (raw, false),
            };
            let mut alts = Vec::new();
            for alt in body.split('|') {
                alts.push(match alt {
                    "" => return Err(err("empty alternative")),
                    "#" => Alt::Number,
                    _ => match alt.strip_suffix('*') {
                        Some("") => return Err(err("bare '*'")),
                        Some(p) => Alt::Prefix(p.into()),
                        None => Alt::Word(alt.into()),
                    },
                });
            }
            elems.push(Elem::Tok { alts, optional });
        }
        match elems.first() {
            None => Err(err("empty pattern")),
            Some(Elem::Gap(_) | Elem::End | Elem::Tok { optional: true, .. }) => {
                Err(err("a pattern must start with a required word"))
            }
            Some(_) => match elems.last() {
                Some(Elem::Gap(_)) => Err(err("a pattern cannot end with a gap")),
                _ => Ok(Pattern { elems }),
            },
        }
    }

    /// Returns the end (exclusive) of a match starting at token `start`, preferring the shortest.
    pub(super) fn match_at(&self, doc: &Doc, start: usize) -> Option<usize> {
        let clause = doc.tokens[start].clause;
        let limit = doc.tokens[start..]
            .iter()
            .take_while(|t| t.clause == clause)
            .count()
            + start;
        match_elems(&self.elems, &doc.tokens[..limit], start)
    }
}

/// Number words up to twelve (folded) in the seven languages; articles ("a", "un", "een") are left out.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "couple", "few", "several", "dos", "tres", "cuatro", "cinco", "seis", "siete",
    "ocho", "nueve", "diez", "doce", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht",
    "neun", "zehn", "zwolf", "deux", "trois", "quatre", "cinq", "sept", "huit", "neuf", "dix",
    "douze", "dois", "duas", "quatro", "sete", "oito", "nove", "dez", "doze", "due", "tre",
    "quattro", "cinque", "sei", "sette", "otto", "dieci", "dodici", "twee", "drie", "vijf", "zes",
    "zeven", "negen", "tien", "twaalf", "paar", "par",
];

pub(super) fn is_number(token: &str) -> bool {
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()))
        || NUMBER_WORDS.contains(&token)
}

fn alt_matches(alt: &Alt, token: &str) -> bool {
    match alt {
        Alt::Word(w) => token == &**w,
        Alt::Prefix(p) => token.starts_with(&**p),
        Alt::Number => is_number(token),
    }
}

fn match_elems(elems: &[Elem], tokens: &[Token], pos: usize) -> Option<usize> {
    let Some((first, rest)) = elems.split_first() else {
        return Some(pos);
    };
    match first {
        Elem::Gap(n) => (0..=*n).find_map(|skip| {
            let p = pos + skip;
            (p <= tokens.len())
                .then(|| match_elems(rest, tokens, p))
                .flatten()
        }),
        Elem::End => (pos == tokens.len()).then_some(pos),
        Elem::Tok { alts, optional } => {
            let here = tokens
                .get(pos)
                .filter(|t| alts.iter().any(|a| alt_matches(a, &t.text)))
                .and_then(|_| match_elems(rest, tokens, pos + 1));
            here.or_else(|| {
                if *optional {
                    match_elems(rest, tokens, pos)
                } else {
                    None
                }
            })
        }
    }
}

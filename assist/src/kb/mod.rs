//! A tenant's knowledge base: articles imported from a folder of Markdown files or a JSON Lines file
//! ([`source`]), stored and updated in place by external id ([`store`]), and searched with PostgreSQL full-text
//! search in the article's language ([`search`]).

pub mod search;
pub mod source;
pub mod store;

pub use search::{answer_text, search, Hit};
pub use source::{load, parse_jsonl, parse_markdown, SourceError};
pub use store::{import, list, ImportReport, StoredArticle};

/// One article as the source gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The source's id, stable across imports (the file name when a Markdown file has no `id`).
    pub id: String,
    pub title: String,
    pub body: String,
    /// ISO 639-1, lower case.
    pub language: String,
    pub url: Option<String>,
}

/// Languages with a PostgreSQL stemmer, as the migration's `kb_regconfig` maps them; others are searched with
/// the `simple` configuration (no stemming, no stop words).
pub const STEMMED_LANGUAGES: [(&str, &str); 7] = [
    ("en", "english"),
    ("es", "spanish"),
    ("de", "german"),
    ("fr", "french"),
    ("pt", "portuguese"),
    ("it", "italian"),
    ("nl", "dutch"),
];

/// `en`, `EN`, `en-GB`, `pt_BR` and `english` all become `en`; `None` for something that is not a language tag.
pub fn normalize_language(raw: &str) -> Option<String> {
    let lower = raw.trim().to_ascii_lowercase();
    if let Some((code, _)) = STEMMED_LANGUAGES.iter().find(|(_, name)| *name == lower) {
        return Some((*code).to_owned());
    }
    let primary = lower.split(['-', '_']).next().unwrap_or_default();
    let valid = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    valid.then(|| primary.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_normalise_to_their_primary_code() {
        for (raw, code) in [
            ("en", "en"),
            ("EN", "en"),
            ("en-GB", "en"),
            ("pt_BR", "pt"),
            ("Spanish", "es"),
            ("sv", "sv"),
        ] {
            assert_eq!(normalize_language(raw).as_deref(), Some(code), "{raw}");
        }
        for raw in ["", "e", "english!", "12"] {
            assert_eq!(normalize_language(raw), None, "{raw}");
        }
    }
}

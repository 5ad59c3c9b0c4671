//! Contrastive conjunctions that open a new clause ("no rush, but ...").

use super::{DE, EN, ES, FR, IT, NL, PT};
use crate::lang::{LangMask, ANY};

/// Folded conjunctions per language set. Ambiguous words are gated: "ma" is "but" only in Italian ("my" in
/// French), "mas" only in Portuguese ("more" in Spanish once accents are folded).
pub(crate) const CONJUNCTIONS: &[(LangMask, &[&str])] = &[
    (ANY, &["but"]),
    (EN, &["however", "although", "except"]),
    (ES, &["pero", "aunque", "sino"]),
    (DE, &["aber", "jedoch", "sondern", "obwohl", "trotzdem"]),
    (FR, &["mais", "pourtant", "cependant"]),
    (PT, &["mas", "porem", "embora"]),
    (IT, &["ma", "pero", "tuttavia", "invece"]),
    (NL, &["maar", "hoewel", "echter"]),
];

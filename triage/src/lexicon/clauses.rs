//! Contrastive conjunctions that open a new clause ("no rush, but ...").

use crate::lang::{LangMask, ANY};

const EN: LangMask = 1;
const ES: LangMask = 1 << 1;
const DE: LangMask = 1 << 2;
const FR: LangMask = 1 << 3;
const PT: LangMask = 1 << 4;
const IT: LangMask = 1 << 5;
const NL: LangMask = 1 << 6;

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

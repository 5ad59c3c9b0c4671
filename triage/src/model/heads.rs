//! The model's outputs ("heads"), one logistic score each. Std-only, shared with `build.rs`.

/// Number of heads.
pub(crate) const HEADS: usize = 15;

/// Head names in weight order: the eight built-in categories, then urgent, handoff, legal, fraud, and the three
/// sentiments.
pub(crate) const NAMES: [&str; HEADS] = [
    "orders",
    "returns",
    "billing",
    "inventory",
    "account",
    "technical",
    "booking",
    "general",
    "urgent",
    "handoff",
    "legal",
    "fraud",
    "positive",
    "neutral",
    "negative",
];

/// Index of the first category head; categories are `0..CATEGORIES` in `DEFAULT_CATEGORIES` order.
pub(crate) const CATEGORIES: usize = 8;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const ORDERS: usize = 0;
pub(crate) const GENERAL: usize = 7;
pub(crate) const URGENT: usize = 8;
pub(crate) const HANDOFF: usize = 9;
pub(crate) const LEGAL: usize = 10;
pub(crate) const FRAUD: usize = 11;
pub(crate) const POSITIVE: usize = 12;
pub(crate) const NEUTRAL: usize = 13;
pub(crate) const NEGATIVE: usize = 14;

/// Index of a head by name.
#[cfg_attr(not(test), allow(dead_code))] // the corpus parser in build.rs uses it
pub(crate) fn index(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

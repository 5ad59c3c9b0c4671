//! The training corpus: hand-written labelled units (`triage/train/<lang>.txt`) and the messages composed from
//! them. Std-only, shared with `build.rs`.
//!
//! Each unit is a sentence or two with one intent, written by hand in varied registers (formal, chatty, typos,
//! sarcasm, traps). Besides each unit alone, the corpus holds every unit framed by one of its language's
//! openers and closers, paired with another unit of the same language (multi-intent messages), and retyped
//! carelessly (lower case, no accents, a dropped letter, no punctuation). Pairs whose labels contradict each
//! other ("no rush" with "I need it today") are skipped. Composition is seeded, so the corpus, and with it the
//! model, is the same on every build.

use super::heads::{self, HEADS};

/// A training example: text and the heads that are on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Example {
    pub text: String,
    pub targets: u16,
}

/// Three-valued marks: on, off, or explicitly off (a mention that must not turn the label on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Off,
    On,
    Trap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escalate {
    None,
    Legal,
    Fraud,
    Trap,
}

/// One labelled unit of a language file.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    /// Category heads, without general unless general is an intent of its own (hours, location, facilities).
    categories: u16,
    /// Praise, thanks or feedback: general when alone, nothing next to a request.
    soft_general: bool,
    urgent: Mark,
    escalate: Escalate,
    handoff: Mark,
    sentiment: usize,
}

/// The parsed units of one language.
#[derive(Debug, Clone, Default)]
pub(crate) struct Language {
    units: Vec<Unit>,
    openers: Vec<String>,
    closers: Vec<String>,
}

fn bit(head: usize) -> u16 {
    1 << head
}

impl Language {
    /// Parses a unit file; errors name the line.
    pub(crate) fn parse(src: &str) -> Result<Language, String> {
        let mut lang = Language::default();
        for (n, line) in src.lines().enumerate() {
            let line = line.trim_end();
            let err = |what: &str| format!("line {}: {what}: {line}", n + 1);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(opener) = line.strip_prefix('>') {
                lang.openers.push(opener.trim().to_string());
                continue;
            }
            if let Some(closer) = line.strip_prefix('<') {
                lang.closers.push(closer.trim().to_string());
                continue;
            }
            let cols: Vec<&str> = line.splitn(6, '|').collect();
            let [cats, urgent, escalate, handoff, sentiment, text] = cols[..] else {
                return Err(err("expected 6 columns"));
            };
            let mut unit = Unit {
                text: text.trim().to_string(),
                categories: 0,
                soft_general: false,
                urgent: mark(urgent).ok_or_else(|| err("urgent is 0, 1 or c"))?,
                escalate: match escalate {
                    "-" => Escalate::None,
                    "L" => Escalate::Legal,
                    "F" => Escalate::Fraud,
                    "x" => Escalate::Trap,
                    _ => return Err(err("escalate is -, L, F or x")),
                },
                handoff: match handoff {
                    "n" => Mark::Trap,
                    other => mark(other).ok_or_else(|| err("handoff is 0, 1 or n"))?,
                },
                sentiment: match sentiment {
                    "pos" => heads::POSITIVE,
                    "neu" => heads::NEUTRAL,
                    "neg" => heads::NEGATIVE,
                    _ => return Err(err("sentiment is pos, neu or neg")),
                },
            };
            for cat in cats.split(',') {
                match cat {
                    "G" => unit.soft_general = true,
                    name => match heads::index(name) {
                        Some(h) if h < heads::CATEGORIES => unit.categories |= bit(h),
                        _ => return Err(err("unknown category")),
                    },
                }
            }
            if unit.text.is_empty() {
                return Err(err("empty text"));
            }
            lang.units.push(unit);
        }
        Ok(lang)
    }

    /// Appends another file's units, openers and closers (a language's corpus may span several files).
    pub(crate) fn extend(&mut self, other: Language) {
        self.units.extend(other.units);
        self.openers.extend(other.openers);
        self.closers.extend(other.closers);
    }

    /// Every text of the file: units, openers and closers.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.units
            .iter()
            .map(|u| u.text.as_str())
            .chain(self.openers.iter().map(String::as_str))
            .chain(self.closers.iter().map(String::as_str))
    }

    /// Number of hand-written units.
    pub(crate) fn units(&self) -> usize {
        self.units.len()
    }

    /// The units alone, framed, paired and retyped; `seed` fixes every choice.
    pub(crate) fn compose(&self, seed: u64) -> Vec<Example> {
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(self.units.len() * 4);
        let n = self.units.len();
        for (i, unit) in self.units.iter().enumerate() {
            out.push(Example {
                text: unit.text.clone(),
                targets: targets(&[unit]),
            });
            let mut framed = String::new();
            if !self.openers.is_empty() && rng.below(3) > 0 {
                framed.push_str(&self.openers[rng.below(self.openers.len())]);
                framed.push(if rng.below(2) == 0 { ' ' } else { '\n' });
            }
            framed.push_str(&unit.text);
            if !self.closers.is_empty() && rng.below(3) > 0 {
                framed.push(if rng.below(2) == 0 { ' ' } else { '\n' });
                framed.push_str(&self.closers[rng.below(self.closers.len())]);
            }
            out.push(Example {
                text: framed,
                targets: targets(&[unit]),
            });
            // A partner a few tries away; contradictory pairs are skipped, not forced.
            for _ in 0..4 {
                let j = rng.below(n);
                let other = &self.units[j];
                if j == i || !compatible(unit, other) {
                    continue;
                }
                let joiner = [" ", "\n", " ", "\n\n", " - "][rng.below(5)];
                out.push(Example {
                    text: format!("{}{joiner}{}", unit.text, other.text),
                    targets: targets(&[unit, other]),
                });
                break;
            }
            out.push(Example {
                text: retype(&unit.text, &mut rng),
                targets: targets(&[unit]),
            });
        }
        out
    }
}

fn mark(s: &str) -> Option<Mark> {
    match s {
        "0" => Some(Mark::Off),
        "1" => Some(Mark::On),
        "c" => Some(Mark::Trap),
        _ => None,
    }
}

/// Whether two units can share a message without contradicting each other.
fn compatible(a: &Unit, b: &Unit) -> bool {
    let marks =
        |x: Mark, y: Mark| !matches!((x, y), (Mark::On, Mark::Trap) | (Mark::Trap, Mark::On));
    let escalations = match (a.escalate, b.escalate) {
        (Escalate::None, _) | (_, Escalate::None) => true,
        (x, y) => x == y && x != Escalate::Trap || x == Escalate::Trap && y == Escalate::Trap,
    };
    let tones = !matches!(
        (a.sentiment, b.sentiment),
        (heads::POSITIVE, heads::NEGATIVE) | (heads::NEGATIVE, heads::POSITIVE)
    );
    marks(a.urgent, b.urgent) && marks(a.handoff, b.handoff) && escalations && tones
}

/// The labels of a message made of `units`.
fn targets(units: &[&Unit]) -> u16 {
    let mut t = units.iter().fold(0u16, |t, u| t | u.categories);
    if t == 0 {
        t |= bit(heads::GENERAL);
    }
    if units.iter().any(|u| u.urgent == Mark::On) {
        t |= bit(heads::URGENT);
    }
    if units.iter().any(|u| u.handoff == Mark::On) {
        t |= bit(heads::HANDOFF);
    }
    if units.iter().any(|u| u.escalate == Escalate::Fraud) {
        t |= bit(heads::FRAUD);
    } else if units.iter().any(|u| u.escalate == Escalate::Legal) {
        t |= bit(heads::LEGAL);
    }
    let has = |s: usize| units.iter().any(|u| u.sentiment == s);
    t |= bit(if has(heads::NEGATIVE) {
        heads::NEGATIVE
    } else if has(heads::POSITIVE) {
        heads::POSITIVE
    } else {
        heads::NEUTRAL
    });
    t
}

/// The unit as typed in a hurry: lower case, accents dropped, one letter missing, or no punctuation.
fn retype(text: &str, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => text.to_lowercase(),
        1 => super::text::fold(text),
        2 => {
            let words: Vec<&str> = text.split(' ').collect();
            let long: Vec<usize> = (0..words.len())
                .filter(|&i| words[i].chars().count() > 4)
                .collect();
            if long.is_empty() {
                return text.to_lowercase();
            }
            let pick = long[rng.below(long.len())];
            let word: Vec<char> = words[pick].chars().collect();
            let drop = 1 + rng.below(word.len() - 2);
            let typo: String = word
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != drop)
                .map(|(_, c)| *c)
                .collect();
            let mut out: Vec<String> = words.iter().map(|w| (*w).to_string()).collect();
            out[pick] = typo;
            out.join(" ")
        }
        _ => text
            .chars()
            .filter(|c| !matches!(c, '.' | ',' | '!' | '?' | '¿' | '¡' | ';' | ':'))
            .collect(),
    }
}

/// Whether head `h` is on in `targets`.
pub(crate) fn is_on(targets: u16, h: usize) -> bool {
    debug_assert!(h < HEADS);
    targets & bit(h) != 0
}

/// xorshift64*: small, seeded and the same everywhere, which is all composition and shuffling need.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant at these sizes.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "# comment\n> Hi,\n< Thanks.\n\
        orders|c|-|0|neu|No rush, where is my order?\n\
        orders|1|-|0|neg|I need it today!\n\
        G|0|-|0|pos|Great service!\n\
        billing|0|F|0|neg|A charge I do not recognise.\n\
        returns|0|x|0|neu|Not suing, just refund me.\n";

    #[test]
    fn parses_units_and_frames() {
        let lang = Language::parse(SRC).expect("valid");
        assert_eq!(lang.units(), 5);
        assert_eq!((lang.openers.len(), lang.closers.len()), (1, 1));
        assert_eq!(lang.texts().count(), 7, "units, openers and closers");
        assert!(Language::parse("orders|2|-|0|neu|x").is_err());
        assert!(Language::parse("nope|0|-|0|neu|x").is_err());
        let err = Language::parse("\norders|0|-|0|neu").expect_err("too few columns");
        assert!(err.starts_with("line 2"), "{err}");
    }

    #[test]
    fn an_authors_file_adds_to_its_language() {
        let mut lang = Language::parse(SRC).expect("valid");
        let author =
            Language::parse("> Hello there,\nG|0|-|0|pos|Lovely stay, thanks!\n").expect("valid");
        lang.extend(author);
        assert_eq!(lang.units(), 6);
        assert_eq!(lang.openers.len(), 2);
        assert_eq!(lang.texts().count(), 9);
    }

    #[test]
    fn praise_alone_is_general_and_disappears_next_to_a_request() {
        let lang = Language::parse(SRC).expect("valid");
        let praise = &lang.units[2];
        let order = &lang.units[0];
        assert!(is_on(targets(&[praise]), heads::GENERAL));
        let both = targets(&[praise, order]);
        assert!(!is_on(both, heads::GENERAL) && is_on(both, heads::ORDERS));
        assert!(is_on(both, heads::POSITIVE));
    }

    #[test]
    fn contradictions_are_never_paired() {
        let lang = Language::parse(SRC).expect("valid");
        let u = &lang.units;
        assert!(!compatible(&u[0], &u[1]), "no rush + today");
        assert!(!compatible(&u[3], &u[4]), "fraud + a defused mention");
        assert!(!compatible(&u[1], &u[2]), "angry + praise");
        assert!(compatible(&u[0], &u[3]));
        let examples = lang.compose(7);
        assert_eq!(examples, lang.compose(7), "composition is seeded");
        for e in &examples {
            assert!(!(is_on(e.targets, heads::LEGAL) && is_on(e.targets, heads::FRAUD)));
            let tones = [heads::POSITIVE, heads::NEUTRAL, heads::NEGATIVE];
            assert_eq!(tones.iter().filter(|&&s| is_on(e.targets, s)).count(), 1);
        }
    }
}

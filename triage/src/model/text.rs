//! Folding and the model's features. Std-only: `build.rs` compiles this file too, so the features the model is
//! trained on at build time are, by construction, the features it is queried with.

/// Lowercases `c` and strips the accents of the seven supported languages into `out`.
pub(crate) fn fold_char(c: char, out: &mut String) {
    for lc in c.to_lowercase() {
        match lc {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' | '‘' | '´' | '`' | 'ʼ' => out.push('\''),
            other => out.push(other),
        }
    }
}

/// Lowercases and strips the accents used by the seven supported languages.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Words that put the next few words under a negation, in any of the seven languages. Only the model's unigram
/// features use this ("!sue" is a different feature from "sue"); the rules keep their own, finer scopes.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nobody", "nothing", "without", "dont", "cant", "didnt", "wont", "isnt",
    "doesnt", "nunca", "nadie", "nada", "sin", "ni", "nicht", "kein", "keine", "keinen", "keinem",
    "keiner", "nie", "niemals", "niemand", "nichts", "ohne", "pas", "ne", "jamais", "rien", "sans",
    "aucun", "aucune", "nao", "ninguem", "sem", "nem", "non", "mai", "niente", "nessuno",
    "nessuna", "senza", "niet", "geen", "nooit", "niets", "zonder",
];

/// Words that end a negation's reach ("not urgent, but ...").
const BREAKERS: &[&str] = &[
    "but", "however", "pero", "sino", "aber", "sondern", "mais", "mas", "porem", "ma", "pero",
    "maar",
];

/// How many words a negator reaches.
const NEGATION_REACH: usize = 3;

/// One word of a message, as the featurizer sees it.
struct Word {
    text: String,
    negated: bool,
}

/// Splits folded text into words and clauses. Digits collapse to `0` so that order numbers and prices share
/// features; emojis and other symbols become words of their own (they carry tone).
fn words(text: &str) -> Vec<Word> {
    let folded = fold(text).replace("n't", " not").replace("n'", "ne ");
    let mut out: Vec<Word> = Vec::new();
    let mut current = String::new();
    let mut reach = 0usize;
    let flush = |current: &mut String, out: &mut Vec<Word>, reach: &mut usize| {
        if current.is_empty() {
            return;
        }
        let text = std::mem::take(current);
        if BREAKERS.contains(&text.as_str()) {
            *reach = 0;
        }
        let negated = *reach > 0;
        *reach = reach.saturating_sub(1);
        if NEGATORS.contains(&text.as_str()) {
            *reach = NEGATION_REACH;
        }
        out.push(Word { text, negated });
    };
    for c in folded.chars() {
        if c.is_alphabetic() {
            current.push(c);
        } else if c.is_ascii_digit() {
            if !current.ends_with('0') {
                current.push('0');
            }
        } else {
            flush(&mut current, &mut out, &mut reach);
            if matches!(c, '.' | ',' | '!' | '?' | ';' | ':' | '\n') {
                reach = 0;
                out.push(Word {
                    text: String::from("|"),
                    negated: false,
                });
            } else if !c.is_whitespace()
                && !c.is_ascii_punctuation()
                && !matches!(c, '¿' | '¡' | '«' | '»' | '€' | '£')
            {
                out.push(Word {
                    text: c.to_string(),
                    negated: false,
                });
            }
        }
    }
    flush(&mut current, &mut out, &mut reach);
    out
}

/// 64-bit FNV-1a, folded to 32 bits: stable across builds and platforms, unlike `std`'s hasher.
fn hash(kind: u8, parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(kind);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        part.bytes().for_each(&mut eat);
    }
    (h ^ (h >> 32)) as u32
}

/// The hashed features of `text`, sorted and deduplicated: word unigrams (negation-marked), word bigrams,
/// character 3-5-grams inside words, and a few shape features (question, exclamations, shouting, length).
pub(crate) fn features(text: &str, out: &mut Vec<u32>) {
    out.clear();
    let words = words(text);
    let mut prev = "|";
    let mut letters = 0usize;
    let mut upper = 0usize;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    for w in &words {
        let t = w.text.as_str();
        if t != "|" {
            out.push(hash(if w.negated { b'N' } else { b'W' }, &[t]));
            out.push(hash(b'B', &[prev, t]));
            char_grams(t, out);
        } else if prev != "|" {
            out.push(hash(b'B', &[prev, "|"]));
        }
        prev = t;
    }
    if prev != "|" {
        out.push(hash(b'B', &[prev, "|"]));
    }
    let shape = |name: &str, out: &mut Vec<u32>| out.push(hash(b'S', &[name]));
    if text.contains('?') {
        shape("question", out);
    }
    if text.contains("!!") || text.contains("?!") || text.contains("!?") {
        shape("exclaim", out);
    }
    if letters >= 8 && upper * 10 >= letters * 6 {
        shape("shout", out);
    }
    let count = words.iter().filter(|w| w.text != "|").count();
    shape(
        match count {
            0..=3 => "len:tiny",
            4..=10 => "len:short",
            11..=30 => "len:medium",
            _ => "len:long",
        },
        out,
    );
    out.sort_unstable();
    out.dedup();
}

/// Character 3-, 4- and 5-grams of `<word>`: they carry inflections, compounds and typos that whole words miss.
fn char_grams(word: &str, out: &mut Vec<u32>) {
    let chars: Vec<char> = std::iter::once('<')
        .chain(word.chars())
        .chain(std::iter::once('>'))
        .collect();
    let mut buf = String::new();
    for n in 3..=5 {
        for window in chars.windows(n) {
            buf.clear();
            buf.extend(window);
            out.push(hash(b'C', &[&buf]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(
            fold("Rückerstattung ÉTÉ São Straße Œuvre"),
            "ruckerstattung ete sao strasse oeuvre"
        );
    }

    #[test]
    fn negation_marks_the_next_words_of_the_clause_only() {
        let w = words("I'm not going to sue, but my lawyer will");
        let marked: Vec<&str> = w
            .iter()
            .filter(|w| w.negated)
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(marked, ["going", "to", "sue"]);
        let w = words("No es urgente pero necesito ayuda");
        let marked: Vec<&str> = w
            .iter()
            .filter(|w| w.negated)
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(marked, ["es", "urgente"]);
    }

    #[test]
    fn digits_collapse_and_emojis_are_words() {
        let w: Vec<String> = words("Order 48213 🙄")
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(w, ["order", "0", "🙄"]);
    }

    #[test]
    fn features_are_stable_sorted_and_unique() {
        let mut a = Vec::new();
        features("Where is my order??", &mut a);
        let mut b = Vec::new();
        features("Where is my ORDER??", &mut b);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        // Case does not change the words; only the shouting shape could, and two capitalised words are not shouting.
        assert_eq!(a, b);
        // Fixed hash: a change here changes every trained weight, so it must be deliberate.
        assert_eq!(hash(b'W', &["order"]), hash(b'W', &["order"]));
        assert_ne!(hash(b'W', &["order"]), hash(b'N', &["order"]));
    }
}

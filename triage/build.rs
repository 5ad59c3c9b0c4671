//! Trains the triage model from the corpus in `train/` and writes it to `$OUT_DIR/triage-model.bin`, which the
//! crate embeds. Nothing in `tests/data/` is trained on: the sample, `extra.jsonl`, the development set and the
//! frozen sets all stay held out. The corpus is composed with a fixed seed and trained
//! single-threaded in a fixed order, so every build of the same sources embeds the same model.

#![allow(dead_code)]

#[path = "src/model/corpus.rs"]
mod corpus;
#[path = "src/model/format.rs"]
mod format;
#[path = "src/model/heads.rs"]
mod heads;
#[path = "src/model/text.rs"]
mod text;
#[path = "src/model/train.rs"]
mod train;

use std::collections::HashMap;
use std::path::PathBuf;

/// Corpus files, in a fixed order (the seed of each language's composition is its position).
const LANGUAGES: [&str; 7] = ["en", "es", "de", "fr", "pt", "it", "nl"];

/// A feature must occur in this many training messages to get a weight: rarer ones are noise, and leaving them
/// out keeps the model small.
const MIN_COUNT: usize = 2;

/// A language's corpus files: `train/<lang>.txt`, then each author's `train/authors/<author>/<lang>.txt` in name
/// order. Authors write in files of their own so that their units can be told apart and added without conflicts.
fn sources(root: &std::path::Path, lang: &str) -> Vec<PathBuf> {
    let authors = root.join("train").join("authors");
    println!("cargo:rerun-if-changed={}", authors.display());
    let mut extra: Vec<PathBuf> = std::fs::read_dir(&authors)
        .map(|dir| {
            dir.filter_map(|entry| entry.ok().map(|e| e.path().join(format!("{lang}.txt"))))
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    extra.sort();
    std::iter::once(root.join("train").join(format!("{lang}.txt")))
        .chain(extra)
        .collect()
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for shared in ["corpus", "format", "heads", "text", "train"] {
        println!("cargo:rerun-if-changed=src/model/{shared}.rs");
    }
    let mut examples = Vec::new();
    let mut units = 0;
    let mut words: Vec<HashMap<String, usize>> = vec![HashMap::new(); LANGUAGES.len()];
    for (i, lang) in LANGUAGES.iter().enumerate() {
        let mut parsed = corpus::Language::default();
        for path in sources(&root, lang) {
            println!("cargo:rerun-if-changed={}", path.display());
            let src = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let part =
                corpus::Language::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            parsed.extend(part);
        }
        units += parsed.units();
        for t in parsed.texts() {
            for w in text::fold(t).split(|c: char| !c.is_alphabetic()) {
                if w.chars().count() >= 2 {
                    *words[i].entry(w.to_string()).or_default() += 1;
                }
            }
        }
        examples.extend(parsed.compose(0x7269_6167_6500 + i as u64));
    }
    // Features by hash, kept when frequent enough; dense indices in order of first sight.
    let mut hashed: Vec<Vec<u32>> = Vec::with_capacity(examples.len());
    let mut counts: HashMap<u32, usize> = HashMap::new();
    let mut buf = Vec::new();
    for e in &examples {
        text::features(&e.text, &mut buf);
        buf.iter().for_each(|&h| *counts.entry(h).or_default() += 1);
        hashed.push(buf.clone());
    }
    let mut index: HashMap<u32, u32> = HashMap::new();
    let mut kept: Vec<u32> = Vec::new();
    let rows: Vec<train::Row> = hashed
        .iter()
        .zip(&examples)
        .map(|(hs, e)| {
            let features = hs
                .iter()
                .filter(|h| counts[h] >= MIN_COUNT)
                .map(|&h| {
                    *index.entry(h).or_insert_with(|| {
                        kept.push(h);
                        (kept.len() - 1) as u32
                    })
                })
                .collect();
            (features, e.targets)
        })
        .collect();
    write_language_words(&words);
    let config = train::Config::for_rows(&rows);
    let weights = train::train(&rows, kept.len(), &config);
    let bytes = format::encode(&kept, &weights.weights, &weights.bias);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("triage-model.bin"), bytes).expect("write the model");
    std::fs::write(
        out.join("triage-model-info.rs"),
        format!(
            "/// Hand-written corpus units the model was trained on.\npub(crate) const UNITS: usize = {units};\n\
             /// Training messages (composed from the units, plus the team's labelled messages).\n\
             pub(crate) const MESSAGES: usize = {};\n/// Features with a weight.\npub(crate) const FEATURES: usize = {};\n",
            rows.len(),
            kept.len()
        ),
    )
    .expect("write the model info");
}

/// Words the corpus of one language uses at least [`LANGUAGE_WORD_MIN`] times and no other corpus uses at all
/// ("encomenda", "bestellung", "vuestro"): the language detector counts them next to its hand-written
/// function words, which covers the vocabulary of support messages that short texts are made of.
const LANGUAGE_WORD_MIN: usize = 2;

fn write_language_words(words: &[HashMap<String, usize>]) {
    let mut out: Vec<(&str, usize)> = Vec::new();
    for (i, own) in words.iter().enumerate() {
        for (w, &n) in own {
            let elsewhere = words
                .iter()
                .enumerate()
                .any(|(j, other)| j != i && other.contains_key(w));
            if n >= LANGUAGE_WORD_MIN && !elsewhere {
                out.push((w, i));
            }
        }
    }
    out.sort_unstable();
    let mut src = String::from(
        "/// Words only one language's training corpus uses, with that language's index in `Lang::ALL`.\n\
         pub(crate) const CORPUS_WORDS: &[(&str, usize)] = &[\n",
    );
    for (w, i) in out {
        src.push_str(&format!("    ({w:?}, {i}),\n"));
    }
    src.push_str("];\n");
    let dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dir.join("language-words.rs"), src).expect("write the language words");
}

//! Trains the triage model and writes it to `$OUT_DIR/triage-model.bin`, which the crate embeds. It learns from
//! the corpus in `train/`, and from the development sets `tests/data/dev*.jsonl` as whole labelled messages
//! when `fit::DEV_REPEAT` is above 0 (it is 0: cross-validation found no gain, see `src/model/fit.rs`). The
//! frozen sets (`tests/data/frozen/`), the sample and `extra.jsonl` are never trained on. The corpus is composed with a fixed seed and trained single-threaded in a fixed
//! order, so every build of the same sources embeds the same model.

#![allow(dead_code)]

#[path = "src/model/corpus.rs"]
mod corpus;
#[path = "src/model/fit.rs"]
mod fit;
#[path = "src/model/format.rs"]
mod format;
#[path = "src/model/heads.rs"]
mod heads;
#[path = "src/model/labelled.rs"]
mod labelled;
#[path = "src/model/text.rs"]
mod text;
#[path = "src/model/train.rs"]
mod train;

use std::collections::HashMap;
use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for shared in [
        "corpus", "fit", "format", "heads", "labelled", "text", "train",
    ] {
        println!("cargo:rerun-if-changed=src/model/{shared}.rs");
    }
    let corpus = fit::corpus(&root);
    for path in &corpus.read {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let mut examples = corpus.examples;
    // Read (and so checked) even when not trained on.
    for path in fit::dev_files(&root) {
        println!("cargo:rerun-if-changed={}", path.display());
        let src =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let messages =
            labelled::examples(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        examples.extend(
            std::iter::repeat_n(&messages, fit::DEV_REPEAT)
                .flatten()
                .cloned(),
        );
    }
    write_language_words(&corpus.words);
    let model = fit::fit(&examples, |_| {});
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("triage-model.bin"), &model.bytes).expect("write the model");
    std::fs::write(
        out.join("triage-model-info.rs"),
        format!(
            "/// Hand-written corpus units the model was trained on.\npub(crate) const UNITS: usize = {};\n\
             /// Training messages (composed from the units, plus any development messages).\n\
             pub(crate) const MESSAGES: usize = {};\n/// Features with a weight.\npub(crate) const FEATURES: usize = {};\n",
            corpus.units,
            model.messages,
            model.features
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

//! Cross-validation over the development sets, which the embedded model trains on:
//! `cargo run --release -p triage --features training --example cv -- [repeat=N] [folds=K] [lambda=X] [epochs=E] [mismatches]`.
//! Prints the pooled held-out figures, all sets together and per set, and per category over all sets.

use triage::training::{cross_validate, Settings};

fn main() {
    let mut settings = Settings::default();
    let mut mismatches = false;
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        match key {
            "repeat" => settings.dev_repeat = value.parse().expect("repeat=N"),
            "folds" => settings.folds = value.parse().expect("folds=K"),
            "lambda" => settings.lambda = Some(value.parse().expect("lambda=X")),
            "epochs" => settings.epochs = Some(value.parse().expect("epochs=E")),
            "mismatches" => mismatches = true,
            "weight" => {
                let (head, w) = value.split_once(':').expect("weight=HEAD:W");
                settings
                    .positive_weight
                    .push((head.to_string(), w.parse().expect("weight=HEAD:W")));
            }
            "category" => settings.tuning.category = value.parse().expect("category=X"),
            "with_cue" => settings.tuning.category_with_cue = value.parse().expect("with_cue=X"),
            "best" => settings.tuning.category_best = value.parse().expect("best=X"),
            "general" => settings.tuning.general = value.parse().expect("general=X"),
            "general_cue" => {
                settings.tuning.general_with_cue = value.parse().expect("general_cue=X")
            }
            "tone" => settings.tuning.tone_vote = value.parse().expect("tone=X"),
            other => panic!("unknown setting {other}"),
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let predictions = cross_validate(root, &settings).unwrap_or_else(|e| panic!("{e}"));
    println!("{settings:?}");
    let mut sets: Vec<&str> = predictions.iter().map(|p| p.set.as_str()).collect();
    sets.dedup();
    for set in std::iter::once("all").chain(sets) {
        let (gold, predicted): (Vec<_>, Vec<_>) = predictions
            .iter()
            .filter(|p| set == "all" || p.set == set)
            .map(|p| (p.gold.clone(), p.predicted.clone()))
            .unzip();
        let report = triage::eval::score(&gold, &predicted);
        println!("== {set} ({})", gold.len());
        if set == "all" && mismatches {
            println!("{report}");
        } else {
            println!("{}", report.aggregate());
        }
    }
}

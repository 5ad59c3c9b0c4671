//! Cross-validation over the development sets (feature `training`): the embedded model trains on the corpus and
//! on every development message, so those messages no longer measure it. Here each fold of them is held out in
//! turn: a model is trained on the corpus and the other folds, the full triage (rules and model) labels the
//! held-out fold, and the predictions of all folds together are scored. Settings are chosen on these figures.

use std::path::Path;

use crate::eval::Labelled;
use crate::model::{corpus::Rng, fit, labelled, train, Model};
use crate::{Taxonomy, Triage, Triager};

pub use crate::combine::Tuning;

/// What to vary.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Times each development message is trained on (0: the corpus alone, as in round 3).
    pub dev_repeat: usize,
    /// Number of folds; 0: one fold per development set (leave one author's set out).
    pub folds: usize,
    /// L2 strength, if not the embedded model's.
    pub lambda: Option<f32>,
    /// Epochs, if not the embedded model's.
    pub epochs: Option<usize>,
    /// Loss weights of positive examples, by head name (`general`, `negative`...), replacing the embedded
    /// model's.
    pub positive_weight: Vec<(String, f32)>,
    /// The combination's thresholds.
    pub tuning: Tuning,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dev_repeat: fit::DEV_REPEAT,
            folds: 5,
            lambda: None,
            epochs: None,
            positive_weight: Vec::new(),
            tuning: crate::combine::TUNING,
        }
    }
}

/// One held-out prediction.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// File name of the development set the message belongs to.
    pub set: String,
    pub gold: Labelled,
    pub predicted: Triage,
}

/// Predictions for every development message of the crate at `root`, each made by a model that never trained on
/// it (with `dev_repeat` 0 one model serves every fold: none trains on the development sets).
pub fn cross_validate(root: &Path, settings: &Settings) -> Result<Vec<Prediction>, String> {
    let corpus = fit::corpus(root);
    let mut dev = Vec::new();
    for path in fit::dev_files(root) {
        let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let examples = labelled::examples(&src).map_err(|e| format!("{}: {e}", path.display()))?;
        let set = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        for (line, example) in src.lines().filter(|l| !l.trim().is_empty()).zip(examples) {
            let gold: Labelled = serde_json::from_str(line).map_err(|e| e.to_string())?;
            dev.push((set.clone(), gold, example));
        }
    }
    // Folds by a seeded shuffle, so every fold mixes the sets and languages.
    let mut order: Vec<usize> = (0..dev.len()).collect();
    let mut rng = Rng::new(0xf01d);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut sets: Vec<&str> = dev.iter().map(|(s, _, _)| s.as_str()).collect();
    sets.dedup();
    let folds = match settings.folds {
        _ if settings.dev_repeat == 0 => 1,
        0 => sets.len(),
        k => k.max(2),
    };
    let mut fold_of = vec![0; dev.len()];
    for (k, &i) in order.iter().enumerate() {
        fold_of[i] = match settings.folds {
            _ if settings.dev_repeat == 0 => 0,
            0 => sets.iter().position(|s| *s == dev[i].0).unwrap_or(0),
            _ => k % folds,
        };
    }
    let mut out: Vec<Option<Prediction>> = vec![None; dev.len()];
    for fold in 0..folds {
        let mut examples = corpus.examples.clone();
        for _ in 0..settings.dev_repeat {
            examples.extend(
                dev.iter()
                    .zip(&fold_of)
                    .filter(|(_, &f)| f != fold)
                    .map(|((_, _, e), _)| e.clone()),
            );
        }
        let fitted = fit::fit(&examples, |c: &mut train::Config| {
            if let Some(l) = settings.lambda {
                c.lambda = l;
            }
            if let Some(e) = settings.epochs {
                c.epochs = e;
            }
            for (name, w) in &settings.positive_weight {
                if let Some(h) = crate::model::heads::index(name) {
                    c.positive_weight[h] = *w;
                }
            }
        });
        // A few megabytes per fold, for the life of a short cross-validation run.
        let bytes: &'static [u8] = Box::leak(fitted.bytes.into_boxed_slice());
        let model = Model::from_bytes(bytes).ok_or("the trained model does not decode")?;
        let mut triager = Triager::with_model(Taxonomy::default(), model);
        triager.tuning = settings.tuning;
        for (i, (set, gold, _)) in dev.iter().enumerate() {
            if fold_of[i] == fold {
                out[i] = Some(Prediction {
                    set: set.clone(),
                    gold: gold.clone(),
                    predicted: triager.triage(&gold.text),
                });
            }
        }
    }
    Ok(out.into_iter().flatten().collect())
}

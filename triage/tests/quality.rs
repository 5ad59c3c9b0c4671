//! Quality guards on every labelled set. The floors are the figures each set scored when it was last measured
//! (rounded down a little), so a change that makes triage worse fails here; they are never a reason to tune.
//! The frozen sets print aggregate figures only: their individual errors are not to be read (see
//! `tests/data/frozen/README.md`).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use triage::eval::{score, Labelled, Report};
use triage::Triager;

/// The least a set must score.
struct Floor {
    legal_recall: f64,
    fraud_recall: f64,
    /// Legal and fraud escalations where none was expected.
    false_alarms: usize,
    handoff_recall: f64,
    category_macro_f1: f64,
    sentiment: f64,
    language: f64,
}

fn data(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/")).join(path)
}

fn load(path: &PathBuf) -> Vec<Labelled> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn evaluate(name: &str, gold: &[Labelled], frozen: bool) -> Report {
    let triager = Triager::default();
    let start = Instant::now();
    let predicted: Vec<_> = gold.iter().map(|g| triager.triage(&g.text)).collect();
    let per_message = start.elapsed() / u32::try_from(gold.len().max(1)).unwrap();
    let report = score(gold, &predicted);
    let shown = if frozen {
        report.aggregate()
    } else {
        report.clone()
    };
    println!(
        "==== {name} ({} messages, {per_message:?} per message, unoptimised build) ====\n{shown}",
        gold.len()
    );
    report
}

fn check(name: &str, r: &Report, floor: &Floor) {
    let checks = [
        ("legal recall", r.legal.recall, floor.legal_recall),
        ("fraud recall", r.fraud.recall, floor.fraud_recall),
        ("handoff recall", r.handoff.recall, floor.handoff_recall),
        (
            "category macro-F1",
            r.category_macro_f1,
            floor.category_macro_f1,
        ),
        ("sentiment accuracy", r.sentiment_accuracy, floor.sentiment),
        ("language accuracy", r.language_accuracy, floor.language),
    ];
    for (what, got, least) in checks {
        assert!(got >= least, "{name}: {what} {got:.3} is below {least:.3}");
    }
    let false_alarms = r.legal.false_alarms + r.fraud.false_alarms;
    assert!(
        false_alarms <= floor.false_alarms,
        "{name}: {false_alarms} escalation false alarms, at most {}",
        floor.false_alarms
    );
}

#[test]
fn shared_sample() {
    let path = std::env::var_os("TRIAGE_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| data("examples.jsonl"));
    let gold = load(&path);
    assert!(!gold.is_empty(), "no examples in {}", path.display());
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.95,
        sentiment: 0.92,
        language: 1.0,
    };
    check("sample", &evaluate("shared sample", &gold, false), &floor);
}

/// The team's own set: the lexicons were widened on it, the model never saw it.
#[test]
fn own_set() {
    let gold = load(&data("extra.jsonl"));
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.90,
        sentiment: 0.90,
        language: 1.0,
    };
    check("extra", &evaluate("extra.jsonl", &gold, false), &floor);
}

/// The development set: thresholds and corpus were tuned on it, so its figures are optimistic. Round 3 (the
/// authors' corpus, tuned on all three development sets) kept its figures. Round 4 tried training the model on
/// the development sets too; cross-validation found no gain (`src/model/fit.rs`), so the model still does not
/// train on them and these remain measures of the rules' and thresholds' tuning, guarded by floors.
#[test]
fn development_set() {
    let gold = load(&data("dev.jsonl"));
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.90,
        sentiment: 0.94,
        language: 1.0,
    };
    check("dev", &evaluate("dev.jsonl", &gold, false), &floor);
}

/// The second development set (issue 17, round 2): written before round 2 changed anything and scored once
/// then (first sight: legal 30/31 with 7 false alarms, fraud 49/51, handoff 0.77, category macro-F1 0.832);
/// rounds 2 and 3 were tuned on it since, so these floors are optimistic.
#[test]
fn second_development_set() {
    let gold = load(&data("dev2.jsonl"));
    assert_eq!(gold.len(), 209);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.87,
        sentiment: 0.95,
        language: 1.0,
    };
    check("dev2", &evaluate("dev2.jsonl", &gold, false), &floor);
}

/// The third development set (issue 17, round 3): written blind from the label README by an author who saw no
/// classifier, scored once before round 3 changed anything but the corpus (first sight, round 2 as shipped:
/// legal 15/15 with 8 false alarms, fraud 20/22 with 2, handoff 0.962, category macro-F1 0.802, sentiment
/// 0.748; with the authors' corpus: 7 and 1 false alarms, handoff 1.0, 0.830, 0.810), tuned on since.
#[test]
fn third_development_set() {
    let gold = load(&data("dev3.jsonl"));
    assert_eq!(gold.len(), 210);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 1,
        handoff_recall: 1.0,
        category_macro_f1: 0.85,
        sentiment: 0.83,
        language: 1.0,
    };
    check("dev3", &evaluate("dev3.jsonl", &gold, false), &floor);
}

/// Written before scoring and never tuned on. The floors are its figures when last scored: after round 3 of
/// issue 17 (first sight, round 1: legal 0.81, fraud 0.89, 4 false alarms, macro-F1 0.915, sentiment 0.907).
#[test]
fn frozen_set() {
    let gold = load(&data("frozen/test.jsonl"));
    assert_eq!(gold.len(), 225);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 0.88,
        false_alarms: 2,
        handoff_recall: 0.96,
        category_macro_f1: 0.92,
        sentiment: 0.93,
        language: 1.0,
    };
    check(
        "frozen",
        &evaluate("frozen/test.jsonl", &gold, true),
        &floor,
    );
}

/// Written after round 1, before scoring. The floors are its figures when last scored, after round 3 of issue
/// 17: fraud recall 0.90 (0.95 at first sight and after round 2) and handoff recall 0.90 (1.0 after round 2)
/// went down; the floors record the drop rather than hide it (see `frozen/README.md`).
#[test]
fn after_batch() {
    let gold = load(&data("frozen/after.jsonl"));
    assert_eq!(gold.len(), 102);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 0.90,
        false_alarms: 0,
        handoff_recall: 0.90,
        category_macro_f1: 0.92,
        sentiment: 0.93,
        language: 1.0,
    };
    check(
        "after",
        &evaluate("frozen/after.jsonl", &gold, true),
        &floor,
    );
}

/// Written blind for round 2 (by an author who saw only the label definitions), committed before scoring. The
/// floors are its figures after round 3 (first sight, round 2: legal 13/14 with 4 false alarms, fraud 19/22
/// with 2, handoff 0.864, category macro-F1 0.789, sentiment 0.736).
#[test]
fn blind_batch() {
    let gold = load(&data("frozen/after2.jsonl"));
    assert_eq!(gold.len(), 140);
    let floor = Floor {
        legal_recall: 0.92,
        fraud_recall: 0.90,
        false_alarms: 1,
        handoff_recall: 0.90,
        category_macro_f1: 0.79,
        sentiment: 0.79,
        language: 1.0,
    };
    check(
        "after2",
        &evaluate("frozen/after2.jsonl", &gold, true),
        &floor,
    );
}

/// Written blind for round 3 by an author who saw only the label README, committed alone before anything ran on
/// it, and scored once, with round 3's final classifier. The floors are that first sight, rounded down; scored
/// again after round 4 (the same classifier: round 4 kept round 3's), with the same figures.
#[test]
fn third_blind_batch() {
    let gold = load(&data("frozen/after3.jsonl"));
    assert_eq!(gold.len(), 210);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 0.95,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.85,
        sentiment: 0.83,
        language: 1.0,
    };
    check(
        "after3",
        &evaluate("frozen/after3.jsonl", &gold, true),
        &floor,
    );
}

/// Written blind for round 4 by an author who saw only the label README, committed alone (3a6506c) before
/// anything ran on it, and scored once, with round 4's final classifier (round 3's, unchanged: cross-validation
/// found no gain in training on the development sets). First sight: legal 14/15 and fraud 22/23, no false
/// alarm, handoff 1.000 / 0.926, category macro-F1 0.869, sentiment 0.848, language 0.995. The floors are
/// those figures, rounded down.
#[test]
fn fourth_blind_batch() {
    let gold = load(&data("frozen/after4.jsonl"));
    assert_eq!(gold.len(), 210);
    let floor = Floor {
        legal_recall: 0.93,
        fraud_recall: 0.95,
        false_alarms: 0,
        handoff_recall: 1.0,
        category_macro_f1: 0.86,
        sentiment: 0.84,
        language: 0.99,
    };
    check(
        "after4",
        &evaluate("frozen/after4.jsonl", &gold, true),
        &floor,
    );
}

/// Written blind for round 5 by an author who saw only the label README, committed alone (4da6d83) before
/// anything ran on it, and scored once, with the classifier as shipped (round 3's: round 5's corpus alignment was
/// not kept). First sight: legal 18/18 and fraud 22/22 with one false alarm each, handoff 0.913 / 1.000, category
/// macro-F1 0.862, sentiment 0.871, language 1.000. The floors are those figures, rounded down.
#[test]
fn fifth_blind_batch() {
    let gold = load(&data("frozen/after5.jsonl"));
    assert_eq!(gold.len(), 210);
    let floor = Floor {
        legal_recall: 1.0,
        fraud_recall: 1.0,
        false_alarms: 2,
        handoff_recall: 0.91,
        category_macro_f1: 0.86,
        sentiment: 0.87,
        language: 1.0,
    };
    check(
        "after5",
        &evaluate("frozen/after5.jsonl", &gold, true),
        &floor,
    );
}

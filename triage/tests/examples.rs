//! Quality gates on the shared labelled sample and on our own held-out set.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use triage::eval::{score, Labelled, Report};
use triage::Triager;

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

fn evaluate(name: &str, gold: &[Labelled]) -> Report {
    let triager = Triager::default();
    let start = Instant::now();
    let predicted: Vec<_> = gold.iter().map(|g| triager.triage(&g.text)).collect();
    let per_message = start.elapsed() / u32::try_from(gold.len().max(1)).unwrap();
    let report = score(gold, &predicted);
    println!(
        "==== {name} ({} messages, {per_message:?} per message) ====\n{report}",
        gold.len()
    );
    report
}

fn assert_targets(name: &str, r: &Report) {
    assert_eq!(r.legal.recall, 1.0, "{name}: legal recall");
    assert_eq!(r.fraud.recall, 1.0, "{name}: fraud recall");
    assert_eq!(
        r.legal.false_alarms + r.fraud.false_alarms,
        0,
        "{name}: escalation false alarms"
    );
    assert!(
        r.handoff.recall >= 0.95,
        "{name}: handoff recall {}",
        r.handoff.recall
    );
    assert!(
        r.category_macro_f1 >= 0.85,
        "{name}: category macro-F1 {}",
        r.category_macro_f1
    );
    assert!(
        r.language_accuracy >= 0.95,
        "{name}: language accuracy {}",
        r.language_accuracy
    );
}

#[test]
fn shared_sample_meets_targets() {
    let path = std::env::var_os("TRIAGE_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/examples.jsonl"
            ))
        });
    let gold = load(&path);
    assert!(!gold.is_empty(), "no examples in {}", path.display());
    assert_targets("sample", &evaluate("shared sample", &gold));
}

#[test]
fn held_out_set_meets_targets() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/extra.jsonl"
    ));
    let gold = load(&path);
    assert!(gold.len() >= 60);
    assert_targets("held-out", &evaluate("held-out extra.jsonl", &gold));
}

//! Throughput check: `cargo run --release -p triage --example bench [-- FILE.jsonl]` triages every `text` of
//! the file (default: the held-out set) many times and prints the mean time per message.

use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/extra.jsonl").to_string()
    });
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let start = Instant::now();
    let triager = triage::Triager::default();
    println!("build: {:?}", start.elapsed());
    let rounds = 50;
    let start = Instant::now();
    let mut urgent = 0usize;
    for _ in 0..rounds {
        for t in &texts {
            urgent += usize::from(triager.triage(t).urgent);
        }
    }
    let n = u32::try_from(rounds * texts.len().max(1)).unwrap_or(u32::MAX);
    println!(
        "{} messages x {rounds}: {:?} per message ({urgent} urgent)",
        texts.len(),
        start.elapsed() / n
    );
}

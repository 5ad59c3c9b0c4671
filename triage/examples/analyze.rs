//! Prints `Triager::analyze` as one JSON object per input line: `cargo run --release -p triage --example
//! analyze -- FILE.jsonl` (reads `id` and `text` of each line). For tuning on the development set.

fn main() {
    let path = std::env::args().nth(1).expect("usage: analyze FILE.jsonl");
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let triager = triage::Triager::default();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}"));
        let text = v["text"].as_str().unwrap_or_default();
        let out = serde_json::json!({ "id": v["id"], "analysis": triager.analyze(text) });
        println!("{out}");
    }
}

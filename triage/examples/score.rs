//! Scores a labelled file: `cargo run --release -p triage --example score -- FILE.jsonl [--mismatches]`.
//! Only the aggregate figures are printed unless `--mismatches` is given; never pass it for a frozen set.

fn main() {
    let mut path = None;
    let mut mismatches = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--mismatches" => mismatches = true,
            other => path = Some(other.to_string()),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: score FILE.jsonl [--mismatches]");
        std::process::exit(2);
    };
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let gold: Vec<triage::eval::Labelled> = data
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1)))
        .collect();
    let triager = triage::Triager::default();
    let predicted: Vec<triage::Triage> = gold.iter().map(|g| triager.triage(&g.text)).collect();
    let report = triage::eval::score(&gold, &predicted);
    if mismatches {
        println!("{report}");
    } else {
        println!("{}", report.aggregate());
    }
}

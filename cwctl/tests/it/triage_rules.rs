//! The `triage` command over the labelled sample, and the `rules` commands.

use clap::Parser;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../triage/tests/data/examples.jsonl"
);

async fn cwctl(args: &[&str]) -> (u8, String) {
    let mut argv = vec!["cwctl"];
    argv.extend_from_slice(args);
    let cli = cwctl::Cli::try_parse_from(argv).expect("arguments");
    let mut out = Vec::new();
    let code = match cwctl::run(cli, &mut out).await {
        Ok(exit) => exit.code(),
        Err(error) => {
            out.extend_from_slice(error.to_string().as_bytes());
            error.exit_code()
        }
    };
    (code, String::from_utf8(out).expect("utf-8"))
}

/// Runs the command as an operator would and scores its JSON Lines output against the sample's labels.
#[tokio::test]
async fn the_triage_command_over_the_sample_meets_the_targets() {
    let sample = std::env::var("TRIAGE_EXAMPLES").unwrap_or_else(|_| SAMPLE.to_owned());
    let (code, output) = cwctl(&["triage", "--input", &sample]).await;
    assert_eq!(code, 0, "{output}");
    let predicted: Vec<triage::Triage> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let gold: Vec<triage::eval::Labelled> = std::fs::read_to_string(&sample)
        .expect("sample")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("labelled line"))
        .collect();
    assert_eq!(predicted.len(), gold.len());
    for (line, g) in output.lines().zip(&gold) {
        let value: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(value["id"], g.id.as_str(), "ids echoed in order");
    }
    let report = triage::eval::score(&gold, &predicted);
    println!("{report}");
    let json = serde_json::to_value(&report).expect("report is serializable");
    println!("{}", serde_json::to_string(&json).unwrap_or_default());
    let figure = |path: &str| {
        json.pointer(path)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(-1.0)
    };
    assert_eq!(figure("/legal/recall"), 1.0, "legal recall");
    assert_eq!(figure("/fraud/recall"), 1.0, "fraud recall");
    assert_eq!(
        figure("/legal/false_alarms") + figure("/fraud/false_alarms"),
        0.0,
        "no false alarms"
    );
    assert!(figure("/handoff/recall") >= 0.95, "handoff recall");
    assert!(figure("/category_macro_f1") >= 0.85, "category macro-F1");
    assert!(figure("/language_accuracy") >= 0.95, "language accuracy");

    let (code, scored) = cwctl(&["triage", "--input", &sample, "--score"]).await;
    assert_eq!(code, 0);
    assert!(!scored.trim().is_empty());
}

/// `--explain` says, per label, what the rules found, what the model scored and which decided.
#[tokio::test]
async fn the_triage_command_explains_each_label() {
    let (code, out) = cwctl(&[
        "triage",
        "--explain",
        "--text",
        "My lawyer friend recommended you. Is there a human I could talk to about a refund?",
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    let line = |label: &str| line_of(&out, label);
    assert!(out.contains("escalation: "), "rule cues listed: {out}");
    assert!(line("handoff").trim_start().starts_with('+'), "{out}");
    assert!(line("handoff").contains("model "), "{out}");
    assert!(line("legal").trim_start().starts_with('-'), "{out}");
    assert!(line("returns").trim_start().starts_with('+'), "{out}");
    assert!(line("sentiment=").contains("runner-up"), "{out}");
    assert!(out.contains("result: {"), "{out}");

    // The model reads a mention, not a threat: the rule's legal cue is vetoed or masked, never a label.
    let (code, out) = cwctl(&[
        "triage",
        "--explain",
        "--text",
        "As a solicitor myself I need the invoice addressed to my firm, please.",
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        line_of(&out, "legal").trim_start().starts_with('-'),
        "{out}"
    );

    let (code, out) = cwctl(&["triage", "--explain", "--input", SAMPLE]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("result: {").count(), 40, "{out}");
    assert!(out.contains("== t004 =="), "ids head each explanation");

    let (code, out) = cwctl(&["triage", "--text", "Where is my parcel?"]).await;
    assert_eq!(code, 0, "{out}");
    let t: triage::Triage = serde_json::from_str(out.trim()).expect("one triage as JSON");
    assert_eq!(t.categories, ["orders"]);
}

/// The decision line of `label` ("  + handoff   model 0.91 >= 0.50: ...").
fn line_of(out: &str, label: &str) -> String {
    out.lines()
        .map(str::trim_start)
        .find(|l| (l.starts_with("+ ") || l.starts_with("- ")) && l[2..].starts_with(label))
        .unwrap_or_else(|| panic!("no line for {label}: {out}"))
        .to_owned()
}

#[tokio::test]
async fn rules_check_and_dry_run() {
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("acme.toml");
    std::fs::write(&good, "[[rules]]\nname = \"vip\"\npriority = 5\nwhen.contact = { vip = true }\nthen.add_labels = [\"vip\"]\n")
        .expect("write");
    let (code, out) = cwctl(&["rules", "check", good.to_str().expect("path")]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 rules, valid"), "{out}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rules]]\nname = \"vip\"\npriority = 5\nthen.priority = \"asap\"\n",
    )
    .expect("write");
    let (code, out) = cwctl(&["rules", "check", bad.to_str().expect("path")]).await;
    assert_eq!(code, 2);
    assert!(
        out.contains("rule `vip`") && out.contains("then.priority"),
        "{out}"
    );

    let (code, out) = cwctl(&[
        "rules",
        "dry-run",
        "--tenant",
        "nobody-has-a-file",
        "--text",
        "I will sue you and my lawyer will call",
        "--at",
        "2026-11-18T20:00:00Z",
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("escalate-legal-and-fraud") && out.contains("after-hours"),
        "{out}"
    );
    assert!(
        out.contains("set priority urgent") && out.contains("private note"),
        "{out}"
    );
    assert!(out.contains("bot: handed_off"), "{out}");
}

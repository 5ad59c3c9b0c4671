//! `cwctl triage`: the embedded triage over JSON Lines, for checking it on a team's own messages.
//!
//! Reads `{"id": ..., "text": ...}` per line (other keys are ignored, so a labelled file can be fed as is) and
//! writes one line per input with `id`, `language`, `categories`, `urgent`, `escalate`, `handoff`, `sentiment`.
//! With `--score`, the input's own labels are compared with the output and per-label figures are printed instead.
//! With `--explain`, each message gets a readable account of why each label was given: the rule cues that fired,
//! the model's scores against their thresholds, and which decided (or a rule the model vetoed).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Args;

use crate::{CliError, Exit};

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// Read this file instead of standard input.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The input carries labels (the format of triage/tests/data/examples.jsonl): print per-label scores.
    #[arg(long, conflicts_with = "explain")]
    pub score: bool,
    /// Explain each label: rule cues, model scores and thresholds, and what decided.
    #[arg(long)]
    pub explain: bool,
    /// Triage this one message instead of reading JSON Lines.
    #[arg(long, conflicts_with_all = ["input", "score"])]
    pub text: Option<String>,
}

pub fn run(args: TriageArgs, out: &mut impl Write) -> Result<Exit, CliError> {
    let triager = triage::Triager::default();
    if let Some(text) = &args.text {
        if args.explain {
            writeln!(out, "{}", triager.explain(text))?;
        } else {
            let json = serde_json::to_string(&triager.triage(text))
                .map_err(|e| CliError::Invalid(e.to_string()))?;
            writeln!(out, "{json}")?;
        }
        return Ok(Exit::Success);
    }
    let reader: Box<dyn BufRead> = match &args.input {
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(
            |e| CliError::Invalid(format!("cannot open {}: {e}", path.display())),
        )?)),
        None => Box::new(std::io::stdin().lock()),
    };
    if args.explain {
        return explain(reader, out, &triager);
    }
    if !args.score {
        triage::jsonl::run(reader, out, &triager).map_err(|e| CliError::Invalid(e.to_string()))?;
        return Ok(Exit::Success);
    }
    let mut gold = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let labelled: triage::eval::Labelled = serde_json::from_str(&line)
            .map_err(|e| CliError::Invalid(format!("line {}: {e}", number + 1)))?;
        gold.push(labelled);
    }
    let predicted: Vec<triage::Triage> = gold.iter().map(|g| triager.triage(&g.text)).collect();
    let report = triage::eval::score(&gold, &predicted);
    writeln!(out, "{report}")?;
    Ok(Exit::Success)
}

/// `== <id> ==` and the explanation of each `{"id", "text"}` line; the first bad line stops with its number.
fn explain(
    reader: impl BufRead,
    out: &mut impl Write,
    triager: &triage::Triager,
) -> Result<Exit, CliError> {
    #[derive(serde::Deserialize)]
    struct Line {
        id: Option<serde_json::Value>,
        text: String,
    }
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line)
            .map_err(|e| CliError::Invalid(format!("line {}: {e}", number + 1)))?;
        let id = parsed.id.map_or_else(
            || (number + 1).to_string(),
            |id| match id {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            },
        );
        writeln!(out, "== {id} ==\n{}\n", triager.explain(&parsed.text))?;
    }
    Ok(Exit::Success)
}

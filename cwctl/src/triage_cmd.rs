//! `cwctl triage`: the embedded triage over JSON Lines, for checking it on a team's own messages.
//!
//! Reads `{"id": ..., "text": ...}` per line (other keys are ignored, so a labelled file can be fed as is) and
//! writes one line per input with `id`, `language`, `categories`, `urgent`, `escalate`, `handoff`, `sentiment`.
//! With `--score`, the input's own labels are compared with the output and per-label figures are printed instead.

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
    #[arg(long)]
    pub score: bool,
}

pub fn run(args: TriageArgs, out: &mut impl Write) -> Result<Exit, CliError> {
    let triager = triage::Triager::default();
    let reader: Box<dyn BufRead> = match &args.input {
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(
            |e| CliError::Invalid(format!("cannot open {}: {e}", path.display())),
        )?)),
        None => Box::new(std::io::stdin().lock()),
    };
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

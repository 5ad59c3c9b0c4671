//! JSON Lines batch mode: `{"id", "text"}` in, one triage object per line out.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::{Escalation, Sentiment, Triager};

/// Counts of one batch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// Lines read, blank ones included.
    pub lines: usize,
    /// Messages triaged and written.
    pub messages: usize,
    /// Blank lines skipped.
    pub blank: usize,
}

/// Why a batch run stopped.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    /// Reading input or writing output failed.
    #[error("I/O error at input line {line}: {source}")]
    Io {
        /// 1-based input line number.
        line: usize,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An input line is not a JSON object with a string `text` and an `id`.
    #[error("input line {line}: {message}")]
    BadLine {
        /// 1-based input line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

#[derive(Deserialize)]
struct Input {
    id: Option<serde_json::Value>,
    text: Option<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    id: &'a serde_json::Value,
    language: &'a str,
    categories: &'a [String],
    urgent: bool,
    escalate: Option<Escalation>,
    handoff: bool,
    sentiment: Sentiment,
}

/// Triages every `{"id": ..., "text": ...}` line of `input` (other keys are ignored) and writes one JSON
/// object per message to `output`, in input order. Blank lines are skipped. The first malformed line stops
/// the run with an error naming its line number; lines before it have already been written.
pub fn run(
    input: impl BufRead,
    mut output: impl Write,
    triager: &Triager,
) -> Result<RunStats, JsonlError> {
    let mut stats = RunStats::default();
    for (idx, line) in input.lines().enumerate() {
        let n = idx + 1;
        stats.lines = n;
        let line = line.map_err(|source| JsonlError::Io { line: n, source })?;
        if line.trim().is_empty() {
            stats.blank += 1;
            continue;
        }
        let bad = |message: String| JsonlError::BadLine { line: n, message };
        let parsed: Input =
            serde_json::from_str(&line).map_err(|e| bad(format!("invalid JSON object: {e}")))?;
        let id = parsed
            .id
            .filter(|v| !v.is_null())
            .ok_or_else(|| bad("missing \"id\"".to_string()))?;
        let text = parsed
            .text
            .ok_or_else(|| bad("missing string \"text\"".to_string()))?;
        let t = triager.triage(&text);
        let out = Output {
            id: &id,
            language: &t.language,
            categories: &t.categories,
            urgent: t.urgent,
            escalate: t.escalate,
            handoff: t.handoff,
            sentiment: t.sentiment,
        };
        let json = serde_json::to_string(&out)
            .map_err(|e| bad(format!("cannot serialise result: {e}")))?;
        writeln!(output, "{json}").map_err(|source| JsonlError::Io { line: n, source })?;
        stats.messages += 1;
    }
    output.flush().map_err(|source| JsonlError::Io {
        line: stats.lines,
        source,
    })?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip() {
        let input = "{\"id\":\"t1\",\"text\":\"Where is my parcel?\",\"lang\":\"x\"}\n\n{\"id\":7,\"text\":\"Hola\"}\n";
        let mut out = Vec::new();
        let stats = run(input.as_bytes(), &mut out, &Triager::default()).unwrap();
        assert_eq!(
            stats,
            RunStats {
                lines: 3,
                messages: 2,
                blank: 1
            }
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["id"], "t1");
        assert_eq!(lines[0]["categories"][0], "orders");
        assert_eq!(lines[0]["escalate"], serde_json::Value::Null);
        assert_eq!(lines[1]["id"], 7);
        let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7);
    }

    #[test]
    fn bad_lines_name_their_number() {
        for (input, needle) in [
            ("{\"id\":1,\"text\":\"ok\"}\nnot json\n", "input line 2"),
            ("{\"id\":1}\n", "missing string \"text\""),
            ("{\"text\":\"x\"}\n", "missing \"id\""),
            ("{\"id\":1,\"text\":5}\n", "input line 1"),
        ] {
            let err = run(input.as_bytes(), Vec::new(), &Triager::default()).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}

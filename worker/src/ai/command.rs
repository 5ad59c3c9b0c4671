//! The commands an agent writes as a private note to act on an AI draft:
//!
//! ```text
//! /approve                      send the newest pending draft as it is
//! /approve <edited text>        send this text instead
//! /approve #42 [text]           a specific draft, also a stale one
//! /reject <reason>              discard it
//! ```
//!
//! Grades `tone=`, `accuracy=`, `policy=` (1-5) may appear anywhere in the note; they are taken out of the text.

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Approve,
    Reject,
}

/// An agent's grades of a draft, 1-5 each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grades {
    pub tone: Option<i16>,
    pub accuracy: Option<i16>,
    pub policy: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub verb: Verb,
    /// `#42`: this draft rather than the newest pending one.
    pub draft_id: Option<i64>,
    /// The edited text (approve) or the reason (reject); empty when none was given.
    pub text: String,
    pub grades: Grades,
}

/// A note that is a command but cannot be carried out as written; the agent is told why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{0}`: grades are tone, accuracy or policy from 1 to 5, e.g. tone=4")]
    Grade(String),
    #[error("`{0}` is not a draft number (write e.g. #42)")]
    DraftId(String),
}

/// `None` when `content` is not an `/approve` or `/reject` command at all.
pub fn parse(content: &str) -> Option<Result<Command, CommandError>> {
    let trimmed = content.trim_start();
    let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let verb = match trimmed[..word_end].to_lowercase().as_str() {
        "/approve" => Verb::Approve,
        "/reject" => Verb::Reject,
        _ => return None,
    };
    Some(parse_rest(verb, &trimmed[word_end..]))
}

fn parse_rest(verb: Verb, rest: &str) -> Result<Command, CommandError> {
    let mut rest = rest.trim_start();
    let mut draft_id = None;
    if let Some(reference) = rest.strip_prefix('#') {
        let end = reference
            .find(char::is_whitespace)
            .unwrap_or(reference.len());
        let number = &reference[..end];
        draft_id = Some(
            number
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| CommandError::DraftId(format!("#{number}")))?,
        );
        rest = &reference[end..];
    }
    let mut grades = Grades::default();
    let mut removed = Vec::new();
    for (start, token) in tokens(rest) {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        let slot = match key.to_lowercase().as_str() {
            "tone" => &mut grades.tone,
            "accuracy" => &mut grades.accuracy,
            "policy" => &mut grades.policy,
            _ => continue,
        };
        let grade = value
            .parse::<i16>()
            .ok()
            .filter(|g| (1..=5).contains(g))
            .ok_or_else(|| CommandError::Grade(token.to_owned()))?;
        *slot = Some(grade);
        removed.push((start, start + token.len()));
    }
    Ok(Command {
        verb,
        draft_id,
        text: without(rest, &removed).trim().to_owned(),
        grades,
    })
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                found.push((s, &text[s..index]));
                start = None;
            }
            (false, None) => start = Some(index),
            _ => {}
        }
    }
    if let Some(s) = start {
        found.push((s, &text[s..]));
    }
    found
}

/// `text` without the `spans`, each taking one side's spaces along so no double space or indent is left.
fn without(text: &str, spans: &[(usize, usize)]) -> String {
    let blank = |c: char| c == ' ' || c == '\t';
    let mut out = String::new();
    let mut copied = 0;
    for &(start, end) in spans {
        let before = text[copied..start].trim_end_matches(blank);
        let at_line_start = (before.is_empty() && (copied == 0 || text[..copied].ends_with('\n')))
            || before.ends_with('\n');
        if at_line_start {
            out.push_str(&text[copied..start]);
            copied = end + (text[end..].len() - text[end..].trim_start_matches(blank).len());
        } else {
            out.push_str(before);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(content: &str) -> Command {
        parse(content).expect("a command").expect("valid")
    }

    #[test]
    fn plain_approve_and_reject() {
        assert_eq!(
            command("/approve"),
            Command {
                verb: Verb::Approve,
                draft_id: None,
                text: String::new(),
                grades: Grades::default(),
            }
        );
        let reject = command("  /REJECT   wrong article, the customer asked about invoices");
        assert_eq!(reject.verb, Verb::Reject);
        assert_eq!(
            reject.text,
            "wrong article, the customer asked about invoices"
        );
    }

    #[test]
    fn not_commands() {
        for content in [
            "approve",
            "/approved it already",
            "/approve-all",
            "Please /approve this",
            "🤖 AI draft #3 (reply /approve, ...)",
            "",
        ] {
            assert_eq!(parse(content), None, "{content}");
        }
    }

    #[test]
    fn grades_anywhere_are_taken_out_of_the_text() {
        let approve = command("/approve tone=5 Hi Maya,\nwe refunded the  duplicate charge. accuracy=4\npolicy=3 Thanks!");
        assert_eq!(
            approve.grades,
            Grades {
                tone: Some(5),
                accuracy: Some(4),
                policy: Some(3),
            }
        );
        assert_eq!(
            approve.text,
            "Hi Maya,\nwe refunded the  duplicate charge.\nThanks!"
        );
        let graded_only = command("/approve TONE=2 accuracy=1");
        assert_eq!(graded_only.text, "");
        assert_eq!(graded_only.grades.tone, Some(2));
        assert_eq!(graded_only.grades.policy, None);
        // Other key=value text is the agent's.
        assert_eq!(command("/approve use code=SAVE10").text, "use code=SAVE10");
    }

    #[test]
    fn a_draft_number_selects_the_draft() {
        let approve = command("/approve #42 tone=4 Edited answer");
        assert_eq!(approve.draft_id, Some(42));
        assert_eq!(approve.text, "Edited answer");
        assert_eq!(approve.grades.tone, Some(4));
        assert_eq!(command("/reject #7").draft_id, Some(7));
        // A number later in the text is text.
        assert_eq!(command("/approve Order #42 shipped").draft_id, None);
    }

    #[test]
    fn bad_grades_and_numbers_are_explained() {
        assert_eq!(
            parse("/approve tone=9"),
            Some(Err(CommandError::Grade("tone=9".into())))
        );
        assert_eq!(
            parse("/reject accuracy=bad"),
            Some(Err(CommandError::Grade("accuracy=bad".into())))
        );
        assert_eq!(
            parse("/approve #x12 text"),
            Some(Err(CommandError::DraftId("#x12".into())))
        );
        assert!(CommandError::Grade("tone=9".into())
            .to_string()
            .contains("from 1 to 5"));
    }
}

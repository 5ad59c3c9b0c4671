//! The team's labelled messages (`tests/data/*.jsonl`, the format of `tests/data/README.md`) as training
//! examples. Shared with `build.rs`.

use serde_json::Value;

use super::corpus::Example;
use super::heads::{self, CATEGORIES};

/// One labelled message as a training example. A message's labels are whole-message labels, so they map to the
/// heads directly: `general` is on whenever it is labelled, alone (greetings, thanks, feedback) or next to
/// another category (an intent of its own, such as opening hours), as the corpus's `targets` has it too.
pub(crate) fn example(line: &str) -> Result<Example, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let text = v["text"].as_str().ok_or("no text")?.to_string();
    let mut targets = 0u16;
    let on = |t: &mut u16, h: usize| *t |= 1 << h;
    for c in v["categories"].as_array().ok_or("no categories")? {
        let name = c.as_str().ok_or("a category is not a string")?;
        match heads::index(name) {
            Some(h) if h < CATEGORIES => on(&mut targets, h),
            _ => return Err(format!("unknown category {name}")),
        }
    }
    if targets == 0 {
        on(&mut targets, heads::GENERAL);
    }
    if v["urgent"].as_bool().ok_or("no urgent")? {
        on(&mut targets, heads::URGENT);
    }
    if v["handoff"].as_bool().ok_or("no handoff")? {
        on(&mut targets, heads::HANDOFF);
    }
    match v["escalate"].as_str() {
        Some("legal") => on(&mut targets, heads::LEGAL),
        Some("fraud") => on(&mut targets, heads::FRAUD),
        None if v["escalate"].is_null() => {}
        other => return Err(format!("escalate {other:?}")),
    }
    on(
        &mut targets,
        match v["sentiment"].as_str() {
            Some("positive") => heads::POSITIVE,
            Some("neutral") => heads::NEUTRAL,
            Some("negative") => heads::NEGATIVE,
            other => return Err(format!("sentiment {other:?}")),
        },
    );
    Ok(Example { text, targets })
}

/// Every message of a JSON Lines file; errors name the line.
pub(crate) fn examples(src: &str) -> Result<Vec<Example>, String> {
    src.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| example(l).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::corpus::is_on;

    #[test]
    fn labels_become_heads() {
        let e = example(
            r#"{"id":"d1","text":"Lovely stay!","language":"en","categories":["general"],"urgent":false,"escalate":null,"handoff":false,"sentiment":"positive"}"#,
        )
        .expect("valid");
        assert!(is_on(e.targets, heads::GENERAL) && is_on(e.targets, heads::POSITIVE));
        assert_eq!(e.targets.count_ones(), 2);
        let e = example(
            r#"{"id":"d2","text":"Charge I never made, call me","language":"en","categories":["billing","general"],"urgent":true,"escalate":"fraud","handoff":true,"sentiment":"negative"}"#,
        )
        .expect("valid");
        for h in [
            heads::GENERAL,
            heads::URGENT,
            heads::HANDOFF,
            heads::FRAUD,
            heads::NEGATIVE,
        ] {
            assert!(is_on(e.targets, h), "{h}");
        }
        assert!(!is_on(e.targets, heads::LEGAL));
        assert!(examples("{\"text\":\"x\"}\n")
            .expect_err("a message without labels")
            .starts_with("line 1"));
    }
}

//! Bounds on what a request may make the ingress do before it is trusted or parsed: how deeply its JSON nests
//! and how many header bytes it carries. Hyper refuses the grossest header floods itself (over 100 fields or
//! about 400 KB: 431 without a body); these tighter limits answer with a JSON reason.

use axum::http::HeaderMap;

use crate::error::WebhookError;

/// Refuses JSON nested deeper than `max_depth`, by a single pass over the raw bytes that tracks strings and
/// escapes, so the parser never recurses on hostile input. Chatwoot's payloads nest about 6 levels; serde_json
/// would stop at 128 with a less helpful message. Anything that is not JSON at all passes here and fails the
/// parser.
pub fn check_depth(body: &[u8], max_depth: usize) -> Result<(), WebhookError> {
    // Nesting never exceeds the number of `{` and `[` bytes, which a vectorised count finds ~50x faster than
    // the scan below; real webhooks have about 30 (the default limit is 64), so most never need the scan.
    if opening_brackets(body) <= max_depth {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(WebhookError::BadRequest(format!(
                        "JSON nesting deeper than {max_depth} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn opening_brackets(body: &[u8]) -> usize {
    // `{` (0x7B) and `[` (0x5B) are the only bytes that become `{` with bit 5 set. Counting in u8 lanes per
    // chunk is what lets the compiler vectorise the loop.
    body.chunks(u8::MAX.into())
        .map(|chunk| {
            let count: u8 = chunk.iter().map(|&b| u8::from((b | 0x20) == b'{')).sum();
            usize::from(count)
        })
        .sum()
}

/// Refuses requests with more than `max_count` header fields or `max_bytes` of names and values together.
pub fn check_headers(
    headers: &HeaderMap,
    max_count: usize,
    max_bytes: usize,
) -> Result<(), WebhookError> {
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > max_count || bytes > max_bytes {
        return Err(WebhookError::HeadersTooLarge {
            max_count,
            max_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        assert!(check_depth(nested(64).as_bytes(), 64).is_ok());
        let error = check_depth(nested(65).as_bytes(), 64).expect_err("65 levels");
        assert!(error.to_string().contains("deeper than 64"), "{error}");
        let quoted = format!(r#"{{"a":"{}","b":"\"[[[["}}"#, "{[".repeat(100));
        assert!(check_depth(quoted.as_bytes(), 2).is_ok());
        // An escaped backslash ends the escape: the quote after it closes the string.
        assert!(check_depth(br#"{"a":"\\"}"#, 1).is_ok());
        assert!(check_depth(br#"{"a":"\\",[[["#, 2).is_err());
    }

    #[test]
    fn counting_brackets_never_hides_a_deep_body() {
        // Brackets inside strings count too, so the shortcut only ever sends a body to the full scan.
        assert_eq!(opening_brackets(br#"{"a":["[{",{}]}"#), 5);
        let long = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(opening_brackets(long.as_bytes()), 300);
        assert!(check_depth(long.as_bytes(), 299).is_err());
        assert!(check_depth(long.as_bytes(), 300).is_ok());
        let quoted = format!(r#"["{}"]"#, "[".repeat(400));
        assert!(check_depth(quoted.as_bytes(), 1).is_ok());
    }

    #[test]
    fn every_fixture_is_far_from_the_limit() {
        let dir = format!("{}/../fixtures/chatwoot", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let body = std::fs::read(&path).expect("read");
                assert!(check_depth(&body, 16).is_ok(), "{}", path.display());
            }
        }
    }

    #[test]
    fn header_count_and_size_are_bounded() {
        let mut headers = HeaderMap::new();
        for i in 0..10 {
            headers.insert(
                axum::http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).expect("name"),
                "v".parse().expect("value"),
            );
        }
        assert!(check_headers(&headers, 10, 1000).is_ok());
        assert!(check_headers(&headers, 9, 1000).is_err());
        assert!(check_headers(&headers, 10, 20).is_err());
    }
}

//! The serving loop's own reading of a connection's first request, before hyper sees it (`infra::http`): where
//! the head ends, searched again after each read from where the last search stopped, and which bodies are read
//! in full first. The input is what a client sends.
//!
//! Properties besides "does not panic":
//! - the head found ends with an empty line and no shorter prefix holds one (the first terminator is taken);
//! - where the head ends does not depend on how the bytes were split into reads (the input's first byte picks
//!   the read size, 1 to 7 bytes, so terminators split across reads are covered);
//! - a body is only buffered for a head that parses completely, has no `Transfer-Encoding` or `Expect`, and
//!   whose `Content-Length` (if any) is what is buffered.
#![no_main]

use infra::http::{body_to_buffer, head_end};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = head_end(data, 0);
    if let Some(end) = whole {
        assert!(end <= data.len());
        let head = &data[..end];
        assert!(head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"), "{head:?}");
        assert_eq!(head_end(&data[..end - 1], 0), None, "the first terminator");
    }

    let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 7);
    let (mut len, mut searched, mut found) = (0, 0, None);
    while len < data.len() {
        len = (len + step).min(data.len());
        if let Some(end) = head_end(&data[..len], searched) {
            found = Some(end);
            break;
        }
        searched = len.saturating_sub(3);
    }
    assert_eq!(found, whole, "split into reads of {step} bytes");

    if let Some(end) = whole {
        let head = &data[..end];
        if let Some(body) = body_to_buffer(head) {
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut request = httparse::Request::new(&mut headers);
            assert!(matches!(request.parse(head), Ok(httparse::Status::Complete(_))));
            let mut length = 0;
            for header in request.headers.iter() {
                assert!(!header.name.eq_ignore_ascii_case("transfer-encoding"));
                assert!(!header.name.eq_ignore_ascii_case("expect"));
                if header.name.eq_ignore_ascii_case("content-length") {
                    length = std::str::from_utf8(header.value)
                        .expect("a buffered length is UTF-8")
                        .trim()
                        .parse()
                        .expect("a buffered length is a number");
                }
            }
            assert_eq!(body, length);
        }
    }
});

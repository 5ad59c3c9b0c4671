//! Everything the ingress does with untrusted bytes before it publishes: signature verification on the raw body,
//! the nesting bound, parsing, validation, and the event identity and partition derived from the result.
//!
//! The input is the body. The seeds are the Chatwoot fixtures (`corpus/webhook/*.json`), so mutations start from
//! real payloads. Besides "does not panic", the target checks properties:
//! - a body signed with the secret verifies, and a signature one bit off, a stale timestamp or another secret
//!   do not;
//! - header strings cut from the input never verify unless they are the genuine signature;
//! - whatever the ingress accepts validates, has a key under its tenant (message id for `message_created`) and a
//!   partition below `PARTITIONS`, and the key is the same for the same input.
#![no_main]

use std::time::Duration;

use chatwoot::{sign, SignedRequest, Webhook};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"Hs7kQ2vN9xPzR4mWb8cTf3Ld";
const OTHER_SECRET: &[u8] = b"someone-elses-secret-1234";
const NOW: i64 = 1_778_577_237;
const TOLERANCE: Duration = Duration::from_secs(300);

fuzz_target!(|body: &[u8]| {
    signature_properties(body);
    parse_properties(body);
});

fn signature_properties(body: &[u8]) {
    let good = sign(SECRET, NOW, body);
    let request = |timestamp: &'static str, signature: &str| {
        SignedRequest {
            timestamp: Some(timestamp),
            signature: Some(signature),
            body,
        }
        .verify(SECRET, NOW, TOLERANCE)
    };
    assert_eq!(request("1778577237", &good), Ok(()));
    assert!(request("1778577236", &good).is_err(), "timestamp is signed");
    let mut flipped = good.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).expect("hex");
    assert!(request("1778577237", &flipped).is_err(), "one digit off");
    let stale = sign(SECRET, NOW - 301, body);
    assert!(SignedRequest {
        timestamp: Some("1778576936"),
        signature: Some(&stale),
        body,
    }
    .verify(SECRET, NOW, TOLERANCE)
    .is_err());
    let theirs = sign(OTHER_SECRET, NOW, body);
    assert!(
        request("1778577237", &theirs).is_err(),
        "another tenant's secret"
    );

    // Headers made of the input itself: `<timestamp>\n<signature>\n<body>`.
    let mut parts = body.splitn(3, |b| *b == b'\n');
    if let (Some(ts), Some(sig), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
        if let (Ok(ts), Ok(sig)) = (std::str::from_utf8(ts), std::str::from_utf8(sig)) {
            let verdict = SignedRequest {
                timestamp: Some(ts),
                signature: Some(sig),
                body: rest,
            }
            .verify(SECRET, NOW, TOLERANCE);
            if verdict.is_ok() {
                let ts: i64 = ts.trim().parse().expect("verified timestamps parse");
                assert!(ts.abs_diff(NOW) <= TOLERANCE.as_secs());
                assert!(sig.trim().eq_ignore_ascii_case(&sign(SECRET, ts, rest)));
            }
        }
    }
}

fn parse_properties(body: &[u8]) {
    // The parser alone must not panic (serde_json has its own recursion limit).
    let _ = Webhook::parse(body);
    // The ingress routes with the borrowed parse: it must accept exactly what the full model accepts, and agree.
    let route = ingress::parse_route(body, 64);
    let Ok(hook) = ingress::parse_webhook(body, 64) else {
        assert!(route.is_err());
        return;
    };
    let route = route.expect("the route parse accepts what the model accepts");
    assert_eq!(route.event(), hook.event);
    assert_eq!(route.id(), hook.id);
    assert_eq!(route.conversation_id(), hook.conversation_id());
    assert_eq!(route.contact_id(), hook.contact_id());
    assert_eq!(hook.validate(), Ok(()));
    assert!(ingress::check_depth(body, 64).is_ok());
    for delivery in [None, Some(""), Some("3b0c5f5e-8d0a-4c27-9b61-0f4e2a9d7c15")] {
        let key = ingress::event_key("acme", &hook, delivery, body);
        assert!(key.starts_with("acme:"), "{key}");
        assert_eq!(key, ingress::event_key("acme", &hook, delivery, body));
        if let ("message_created", Some(id)) = (hook.event.as_str(), hook.id) {
            assert_eq!(key, format!("acme:message_created:{id}"));
        }
        let partition_key = ingress::partition_key(&hook, &key);
        assert!(!partition_key.is_empty());
        assert!(
            infra::topology::partition_for("acme", &partition_key) < infra::topology::PARTITIONS
        );
    }
}

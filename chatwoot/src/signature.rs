//! Chatwoot's webhook signature: `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! with `X-Chatwoot-Timestamp: <unix seconds>`. Chatwoot enforces no freshness window; the receiver does.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook's signature was not accepted. Each is answered 401 with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Chatwoot-Signature header")]
    MissingSignature,
    #[error("missing X-Chatwoot-Timestamp header")]
    MissingTimestamp,
    #[error("X-Chatwoot-Timestamp is not a unix time in seconds")]
    BadTimestamp,
    #[error("X-Chatwoot-Signature must be `sha256=` followed by 64 hex digits")]
    MalformedSignature,
    #[error("signature does not match")]
    Mismatch,
    #[error("timestamp is {0} s away from now, outside the accepted tolerance")]
    Stale(u64),
}

/// The parts of a request that carry a signature, before anything is trusted.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    /// Checks the HMAC in constant time, then the timestamp's distance from `now` (both directions, so a
    /// clock-skewed or forged future timestamp cannot extend a replay window).
    pub fn verify(
        &self,
        secret: &[u8],
        now_unix: i64,
        tolerance: Duration,
    ) -> Result<(), SignatureError> {
        let signature = self.signature.ok_or(SignatureError::MissingSignature)?;
        let timestamp = self.timestamp.ok_or(SignatureError::MissingTimestamp)?;
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let expected = signature
            .trim()
            .strip_prefix("sha256=")
            .and_then(|h| hex::decode(h).ok())
            .filter(|bytes| bytes.len() == 32)
            .ok_or(SignatureError::MalformedSignature)?;
        mac(secret, timestamp.trim(), self.body)
            .verify_slice(&expected)
            .map_err(|_| SignatureError::Mismatch)?;
        let age = now_unix.abs_diff(ts);
        if age > tolerance.as_secs() {
            return Err(SignatureError::Stale(age));
        }
        Ok(())
    }
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value Chatwoot would send: `sha256=<hex>`. Used by the simulator, tests and the load generator.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("sha256={}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"Hs7kQ2vN9xPzR4mWb8cTf3Ld";
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/chatwoot/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).expect("fixture present in fixtures/chatwoot")
    }

    #[test]
    fn the_documented_vectors_verify() {
        let body = fixture("contact_created.json");
        let expected = "sha256=4e4df39fcc46bb3a9425b2d8f06c25c3e78ac5b1deb11dfcac27d1ebe519957b";
        assert_eq!(sign(SECRET, 1778577237, &body), expected);
        let request = SignedRequest {
            timestamp: Some("1778577237"),
            signature: Some(expected),
            body: &body,
        };
        assert_eq!(
            request.verify(SECRET, 1778577237, Duration::from_secs(300)),
            Ok(())
        );

        let body = fixture("message_created_incoming_contact.json");
        assert_eq!(
            sign(SECRET, 1778577268, &body),
            "sha256=327c64d66c73e168cf0131ff442232ad9fc0ff04c59a14e2e92addac8748a252"
        );
    }

    #[test]
    fn a_signature_over_the_body_alone_is_rejected() {
        let body = fixture("contact_created.json");
        let request = SignedRequest {
            timestamp: Some("1778577237"),
            signature: Some(
                "sha256=21f8b01d365f3ede56990186f5cfef2266699733a57208911f5e9404aefed4cd",
            ),
            body: &body,
        };
        assert_eq!(
            request.verify(SECRET, 1778577237, Duration::from_secs(300)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let body = b"{}";
        let signature = sign(SECRET, 1000, body);
        let request = SignedRequest {
            timestamp: Some("1000"),
            signature: Some(&signature),
            body,
        };
        let tolerance = Duration::from_secs(300);
        assert_eq!(request.verify(SECRET, 1300, tolerance), Ok(()));
        assert_eq!(
            request.verify(SECRET, 1301, tolerance),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            request.verify(SECRET, 600, tolerance),
            Err(SignatureError::Stale(400))
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        let check = |ts: Option<&str>, sig: Option<&str>| {
            SignedRequest {
                timestamp: ts,
                signature: sig,
                body: b"{}",
            }
            .verify(SECRET, 0, Duration::from_secs(300))
        };
        assert_eq!(
            check(Some("1"), None),
            Err(SignatureError::MissingSignature)
        );
        assert_eq!(
            check(None, Some("sha256=00")),
            Err(SignatureError::MissingTimestamp)
        );
        assert_eq!(
            check(Some("x"), Some("sha256=00")),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            check(Some("1"), Some("md5=00")),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            check(Some("1"), Some("sha256=zz")),
            Err(SignatureError::MalformedSignature)
        );
    }
}

//! Standard Webhooks signatures (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the base64 part of a `whsec_…` secret. The generic
//! platform signs what it sends this way and accepts inbound webhooks signed the same way.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::InboundError;

const PREFIX: &str = "whsec_";

/// The HMAC key of a secret: the base64 after `whsec_`; a secret without the prefix is used as it is (an
/// operator's own shared secret for inbound webhooks).
pub fn key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix(PREFIX) {
        Some(encoded) => STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| encoded.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

/// `v1,<base64>` for one message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(mac(&key(secret), id, timestamp, body))
    )
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks the headers' signature (any of the space-separated `v1,` entries, as during a key rotation) and that
/// the timestamp is within `tolerance_secs` of `now`.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), InboundError> {
    let timestamp: i64 = timestamp.trim().parse().map_err(|_| {
        InboundError::Unauthorized("webhook-timestamp is not a Unix timestamp".into())
    })?;
    if (now - timestamp).abs() > tolerance_secs {
        return Err(InboundError::Unauthorized(format!(
            "webhook-timestamp is more than {tolerance_secs} s away from now"
        )));
    }
    let expected = mac(&key(secret), id, timestamp, body);
    let matches = signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|encoded| STANDARD.decode(encoded.trim()).ok())
        .any(|given| bool::from(given.ct_eq(&expected)));
    if matches {
        Ok(())
    } else {
        Err(InboundError::Unauthorized(
            "webhook-signature does not match".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The specification's published example (also used by the Svix and standard-webhooks libraries' tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_specifications_example_as_published() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verifies_the_example_and_refuses_changes_and_stale_timestamps() {
        let ts = TIMESTAMP.to_string();
        assert!(verify(SECRET, ID, &ts, SIGNATURE, BODY, TIMESTAMP + 10, 300).is_ok());
        // One valid entry among several (a key rotation).
        let rotated = format!("v1,AAAA {SIGNATURE}");
        assert!(verify(SECRET, ID, &ts, &rotated, BODY, TIMESTAMP, 300).is_ok());
        assert!(verify(
            SECRET,
            ID,
            &ts,
            SIGNATURE,
            br#"{"test": 2432232315}"#,
            TIMESTAMP,
            300
        )
        .is_err());
        assert!(verify(SECRET, "msg_other", &ts, SIGNATURE, BODY, TIMESTAMP, 300).is_err());
        assert!(verify(SECRET, ID, &ts, SIGNATURE, BODY, TIMESTAMP + 301, 300).is_err());
        assert!(verify(SECRET, ID, "soon", SIGNATURE, BODY, TIMESTAMP, 300).is_err());
    }
}

//! Encryption of tenant secrets at rest: XChaCha20-Poly1305 with a random nonce, the tenant id and the field
//! name as associated data, so a ciphertext moved to another tenant or column fails to decrypt.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const VERSION: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("SECRETS_KEY is not valid base64")]
    NotBase64,
    #[error("SECRETS_KEY must decode to 32 bytes, got {0}")]
    WrongLength(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("encrypted value has an unknown format")]
    Format,
    #[error("encrypted value does not decrypt with this SECRETS_KEY for this tenant")]
    Decrypt,
}

/// Seals and opens secrets with the key from `SECRETS_KEY`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

impl SecretBox {
    pub fn from_base64(key: &str) -> Result<Self, KeyError> {
        let bytes = BASE64.decode(key.trim()).map_err(|_| KeyError::NotBase64)?;
        if bytes.len() != 32 {
            return Err(KeyError::WrongLength(bytes.len()));
        }
        Ok(Self {
            cipher: XChaCha20Poly1305::new(bytes.as_slice().into()),
        })
    }

    /// A fresh random key, base64, for `SECRETS_KEY`.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        BASE64.encode(key)
    }

    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", BASE64.encode(out))
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(CryptoError::Format)?;
        let bytes = BASE64.decode(encoded).map_err(|_| CryptoError::Format)?;
        if bytes.len() < 24 {
            return Err(CryptoError::Format);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_own_context() {
        let secret_box = SecretBox::from_base64(&SecretBox::generate_key()).expect("valid key");
        let sealed = secret_box.seal("acme/api_token", "tok");
        assert_ne!(
            sealed,
            secret_box.seal("acme/api_token", "tok"),
            "nonces are random"
        );
        assert_eq!(
            secret_box.open("acme/api_token", &sealed).expect("opens"),
            "tok"
        );
        assert!(secret_box.open("globex/api_token", &sealed).is_err());
        let other = SecretBox::from_base64(&SecretBox::generate_key()).expect("valid key");
        assert!(other.open("acme/api_token", &sealed).is_err());
    }

    #[test]
    fn bad_keys_are_explained() {
        assert!(matches!(
            SecretBox::from_base64("%%"),
            Err(KeyError::NotBase64)
        ));
        assert!(matches!(
            SecretBox::from_base64("AAAA"),
            Err(KeyError::WrongLength(3))
        ));
    }
}

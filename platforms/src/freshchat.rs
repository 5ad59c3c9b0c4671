//! Freshchat: `X-Freshchat-Signature` is an RSA signature (PKCS#1 v1.5, SHA-256, base64) of the raw body, checked
//! with the public key (PEM) shown in Freshchat's webhook settings; the pipeline answers `message_create` by an
//! `actor_type: user` (the agent's own messages, ours included, come back as `agent` and are ignored).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::HeaderMap;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

use crate::inbound::{id_text, parse_json, require, Inbound, InboundAdapter, InboundError};
use crate::{InboundMessage, VerifyContext};

pub(crate) struct Freshchat;

/// Signs `body` with a PKCS#8 PEM private key as Freshchat does (for the simulator and the tests); empty when the
/// key cannot be read.
pub fn sign(private_key_pem: &str, body: &[u8]) -> String {
    RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .map(|key| STANDARD.encode(SigningKey::<Sha256>::new(key).sign(body).to_bytes()))
        .unwrap_or_default()
}

impl InboundAdapter for Freshchat {
    fn verify(&self, ctx: &VerifyContext<'_>, body: &[u8]) -> Result<(), InboundError> {
        let given = ctx.header("x-freshchat-signature");
        if given.is_none() && ctx.tenant.allow_unsigned {
            return Ok(());
        }
        let pem = ctx.secret()?;
        let key = RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| {
            InboundError::Unauthorized(format!(
                "the tenant's Freshchat public key is not a PEM RSA key: {e}"
            ))
        })?;
        let given = given
            .and_then(|g| STANDARD.decode(g.trim()).ok())
            .ok_or_else(|| {
                InboundError::Unauthorized("missing or non-base64 X-Freshchat-Signature".into())
            })?;
        let signature = Signature::try_from(given.as_slice())
            .map_err(|_| InboundError::Unauthorized("malformed X-Freshchat-Signature".into()))?;
        VerifyingKey::<Sha256>::new(key)
            .verify(body, &signature)
            .map_err(|_| InboundError::Unauthorized("X-Freshchat-Signature does not match".into()))
    }

    fn parse(&self, _headers: &HeaderMap, body: &[u8]) -> Result<Inbound, InboundError> {
        let value = parse_json(body)?;
        let action = value
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if action != "message_create" {
            return Ok(Inbound::Ignored(format!(
                "action `{action}` is not answered"
            )));
        }
        let message = value.pointer("/data/message").unwrap_or(&Value::Null);
        let actor = message
            .get("actor_type")
            .or_else(|| value.pointer("/actor/actor_type"))
            .and_then(Value::as_str);
        if actor != Some("user") {
            return Ok(Inbound::Ignored("message not written by the user".into()));
        }
        let text = message
            .get("message_parts")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p.pointer("/text/content").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        Ok(Inbound::Message(InboundMessage {
            conversation: require(
                id_text(message.get("conversation_id")),
                "data.message.conversation_id",
            )?,
            message_id: require(id_text(message.get("id")), "data.message.id")?,
            user_id: require(
                id_text(message.get("actor_id"))
                    .or_else(|| id_text(value.pointer("/actor/actor_id"))),
                "data.message.actor_id",
            )?,
            username: None,
            email: None,
            text,
            delivery_id: None,
            metadata: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::tests_support::{context, tenant};

    const PRIVATE: &str = include_str!("../../fixtures/platforms/freshchat_test_private.pem");
    const PUBLIC: &str = include_str!("../../fixtures/platforms/freshchat_test_public.pem");
    /// A `message_create` in the shape of nyaruka/courier's Freshchat handler test data.
    const BODY: &str = r#"{"actor":{"actor_type":"user","actor_id":"882f3926-b292-4cb5-a5bc-6a9a3e2d4d55"},"action":"message_create","action_time":"2026-05-12T09:14:27.000Z","data":{"message":{"message_parts":[{"text":{"content":"Where is my parcel?"}}],"app_id":"55ee2a38-2c0b-4d8e-92b4-3c4ac9d52a88","actor_id":"882f3926-b292-4cb5-a5bc-6a9a3e2d4d55","id":"559d6a4e-8b8b-4c3f-9a3c-46f2a6f0b7c1","channel_id":"52fbd8e1-3b8a-4bc7-9c0c-43ba5f3c4d4e","conversation_id":"4a2bbd8e-71c5-4c1f-8f5d-2a9b0cb7d0aa","message_type":"normal","actor_type":"user","created_time":"2026-05-12T09:14:27.000Z"}}}"#;

    #[test]
    fn an_rsa_sha256_signature_verifies_with_the_public_key_and_nothing_else_does() {
        let tenant = tenant(Some(PUBLIC), false);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-freshchat-signature",
            sign(PRIVATE, BODY.as_bytes()).parse().expect("header"),
        );
        assert!(Freshchat
            .verify(&context(&tenant, &headers), BODY.as_bytes())
            .is_ok());
        assert!(Freshchat
            .verify(&context(&tenant, &headers), b"{}")
            .is_err());
        headers.insert(
            "x-freshchat-signature",
            "bm90IGEgc2lnbmF0dXJl".parse().expect("header"),
        );
        assert!(Freshchat
            .verify(&context(&tenant, &headers), BODY.as_bytes())
            .is_err());
        // An HMAC of the body (what some guides claim Freshchat sends) is refused.
        let hmac = crate::zendesk::sign(PUBLIC, "", BODY.as_bytes());
        headers.insert("x-freshchat-signature", hmac.parse().expect("header"));
        assert!(Freshchat
            .verify(&context(&tenant, &headers), BODY.as_bytes())
            .is_err());
    }

    #[test]
    fn a_users_message_is_read_and_agent_echoes_are_ignored() {
        let Ok(Inbound::Message(message)) = Freshchat.parse(&HeaderMap::new(), BODY.as_bytes())
        else {
            panic!("a message");
        };
        assert_eq!(message.text, "Where is my parcel?");
        assert_eq!(message.conversation, "4a2bbd8e-71c5-4c1f-8f5d-2a9b0cb7d0aa");
        let echo = BODY.replace(r#""actor_type":"user""#, r#""actor_type":"agent""#);
        assert!(matches!(
            Freshchat.parse(&HeaderMap::new(), echo.as_bytes()),
            Ok(Inbound::Ignored(_))
        ));
    }
}

//! The generic webhook: any product that POSTs
//! `{"user_id","username","message","platform","conversation_id","timestamp","metadata"}`, authenticated by
//! `Authorization: Bearer <secret>` or signed the Standard Webhooks way with the same secret.

use http::HeaderMap;
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::inbound::{id_text, parse_json, require, Inbound, InboundAdapter, InboundError};
use crate::{standard_webhooks, InboundMessage, VerifyContext};

pub(crate) struct Generic;

impl InboundAdapter for Generic {
    fn verify(&self, ctx: &VerifyContext<'_>, body: &[u8]) -> Result<(), InboundError> {
        let bearer = ctx.header("authorization");
        let signature = ctx.header("webhook-signature");
        if bearer.is_none() && signature.is_none() && ctx.tenant.allow_unsigned {
            return Ok(());
        }
        let secret = ctx.secret()?;
        if let Some(signature) = signature {
            let (Some(id), Some(timestamp)) =
                (ctx.header("webhook-id"), ctx.header("webhook-timestamp"))
            else {
                return Err(InboundError::Unauthorized(
                    "webhook-signature needs webhook-id and webhook-timestamp".into(),
                ));
            };
            return standard_webhooks::verify(
                secret,
                id,
                timestamp,
                signature,
                body,
                ctx.now,
                ctx.tolerance_secs,
            );
        }
        let token = bearer
            .and_then(|b| b.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                InboundError::Unauthorized(
                    "expected `Authorization: Bearer <token>` or a Standard Webhooks signature"
                        .into(),
                )
            })?;
        if bool::from(token.as_bytes().ct_eq(secret.as_bytes())) {
            Ok(())
        } else {
            Err(InboundError::Unauthorized(
                "bearer token does not match".into(),
            ))
        }
    }

    fn parse(&self, headers: &HeaderMap, body: &[u8]) -> Result<Inbound, InboundError> {
        let value = parse_json(body)?;
        if !value.is_object() {
            return Err(InboundError::BadRequest(
                "body must be a JSON object".into(),
            ));
        }
        let text = match value.get("message") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(InboundError::BadRequest(
                    "missing or invalid field `message`".into(),
                ))
            }
        };
        let metadata = value.get("metadata").filter(|m| !m.is_null()).cloned();
        if metadata.as_ref().is_some_and(|m| !m.is_object()) {
            return Err(InboundError::BadRequest(
                "field `metadata` must be an object".into(),
            ));
        }
        let delivery_id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The sender's own message id when it gives one; else the delivery id; else the content itself, so a
        // repeated POST of the same body is one message.
        let message_id = id_text(metadata.as_ref().and_then(|m| m.get("message_id")))
            .or_else(|| delivery_id.clone())
            .unwrap_or_else(|| {
                use sha2::Digest;
                hex::encode(&sha2::Sha256::digest(body)[..16])
            });
        Ok(Inbound::Message(InboundMessage {
            conversation: require(id_text(value.get("conversation_id")), "conversation_id")?,
            user_id: require(id_text(value.get("user_id")), "user_id")?,
            username: value
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email: metadata
                .as_ref()
                .and_then(|m| m.get("email"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            message_id,
            text,
            delivery_id,
            metadata,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::tests_support::{context, tenant};

    const BODY: &[u8] = br#"{"user_id":"u-7","username":"Maya","message":"Where is my parcel?","platform":"shopify-chat","conversation_id":"c-9","timestamp":"2026-05-12T09:14:27Z","metadata":{"order":"A-1"}}"#;

    #[test]
    fn a_bearer_token_or_a_standard_signature_is_accepted_and_nothing_else() {
        let tenant = tenant(Some("s3cret"), false);
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer s3cret".parse().expect("header"));
        assert!(Generic.verify(&context(&tenant, &headers), BODY).is_ok());
        headers.insert("authorization", "Bearer wrong".parse().expect("header"));
        assert!(Generic.verify(&context(&tenant, &headers), BODY).is_err());

        let mut headers = HeaderMap::new();
        let now = chrono::Utc::now().timestamp();
        let signature = standard_webhooks::sign("s3cret", "msg_1", now, BODY);
        headers.insert("webhook-id", "msg_1".parse().expect("header"));
        headers.insert(
            "webhook-timestamp",
            now.to_string().parse().expect("header"),
        );
        headers.insert("webhook-signature", signature.parse().expect("header"));
        assert!(Generic.verify(&context(&tenant, &headers), BODY).is_ok());
        assert!(Generic.verify(&context(&tenant, &headers), b"{}").is_err());
        assert!(Generic
            .verify(&context(&tenant, &HeaderMap::new()), BODY)
            .is_err());
    }

    #[test]
    fn the_documented_fields_become_a_message_and_missing_ones_are_named() {
        let Inbound::Message(message) = Generic.parse(&HeaderMap::new(), BODY).expect("parses")
        else {
            panic!("not a message");
        };
        assert_eq!(
            (
                message.conversation.as_str(),
                message.user_id.as_str(),
                message.text.as_str()
            ),
            ("c-9", "u-7", "Where is my parcel?")
        );
        assert_eq!(message.username.as_deref(), Some("Maya"));
        let again = Generic.parse(&HeaderMap::new(), BODY).expect("parses");
        assert_eq!(
            again,
            Inbound::Message(message),
            "same body, same message id"
        );
        let error = Generic
            .parse(&HeaderMap::new(), br#"{"user_id":1,"message":"hi"}"#)
            .expect_err("no conversation");
        assert!(error.to_string().contains("conversation_id"), "{error}");
    }
}

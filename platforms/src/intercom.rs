//! Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(body, client_secret)>` over a `notification_event`; the
//! pipeline answers `conversation.user.created` (the first message, in `item.source`) and
//! `conversation.user.replied` (the customer's newest part in `item.conversation_parts`).

use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde_json::Value;
use sha1::Sha1;

use crate::inbound::{
    html_text, id_text, parse_json, require, Inbound, InboundAdapter, InboundError,
};
use crate::{InboundMessage, VerifyContext};

pub(crate) struct Intercom;

/// `sha1=<hex>` as Intercom sends it.
pub fn sign(client_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(client_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Authors Intercom uses for the customer side (users, leads, and "contact" in newer API versions).
fn is_customer(author: Option<&Value>) -> bool {
    matches!(
        author.and_then(|a| a.get("type")).and_then(Value::as_str),
        Some("user" | "lead" | "contact")
    )
}

impl InboundAdapter for Intercom {
    fn verify(&self, ctx: &VerifyContext<'_>, body: &[u8]) -> Result<(), InboundError> {
        let given = ctx.header("x-hub-signature");
        if given.is_none() && ctx.tenant.allow_unsigned {
            return Ok(());
        }
        let secret = ctx.secret()?;
        let given = given
            .and_then(|g| g.strip_prefix("sha1="))
            .and_then(|hex| hex::decode(hex.trim()).ok())
            .ok_or_else(|| {
                InboundError::Unauthorized(
                    "missing or malformed X-Hub-Signature (sha1=<hex>)".into(),
                )
            })?;
        let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
            .map_err(|_| InboundError::Unauthorized("unusable client secret".into()))?;
        mac.update(body);
        mac.verify_slice(&given)
            .map_err(|_| InboundError::Unauthorized("X-Hub-Signature does not match".into()))
    }

    fn parse(&self, _headers: &HeaderMap, body: &[u8]) -> Result<Inbound, InboundError> {
        let value = parse_json(body)?;
        if value.get("type").and_then(Value::as_str) != Some("notification_event") {
            return Err(InboundError::BadRequest(
                "expected an Intercom notification_event".into(),
            ));
        }
        let topic = value
            .get("topic")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let item = value.pointer("/data/item").unwrap_or(&Value::Null);
        let part = match topic {
            "conversation.user.created" => item.get("source"),
            "conversation.user.replied" => item
                .pointer("/conversation_parts/conversation_parts")
                .and_then(Value::as_array)
                .and_then(|parts| parts.iter().rev().find(|p| is_customer(p.get("author")))),
            other => return Ok(Inbound::Ignored(format!("topic `{other}` is not answered"))),
        };
        let Some(part) = part.filter(|p| is_customer(p.get("author"))) else {
            return Ok(Inbound::Ignored(
                "no customer message in the notification".into(),
            ));
        };
        let author = part.get("author").unwrap_or(&Value::Null);
        let delivery_id = id_text(value.get("id"));
        Ok(Inbound::Message(InboundMessage {
            conversation: require(id_text(item.get("id")), "data.item.id")?,
            message_id: require(
                id_text(part.get("id")).or_else(|| delivery_id.clone()),
                "part id",
            )?,
            user_id: require(id_text(author.get("id")), "author.id")?,
            username: author
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email: author
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            text: html_text(part.get("body").and_then(Value::as_str).unwrap_or_default()),
            delivery_id,
            metadata: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::tests_support::{context, tenant};

    /// A `conversation.user.replied` notification in the shape of Intercom's webhook models.
    pub(crate) const REPLIED: &str = r#"{"type":"notification_event","app_id":"a86dr8yl","topic":"conversation.user.replied","id":"notif_78c122d0-23ba-11e4-9464-79b01267cc2e","created_at":1778577267,"delivery_attempts":1,"first_sent_at":1778577267,"data":{"type":"notification_event_data","item":{"type":"conversation","id":"41","source":{"type":"conversation","id":"100","body":"<p>Hello</p>","author":{"type":"user","id":"5f1","name":"Maya Lindqvist","email":"maya@example.com"}},"conversation_parts":{"type":"conversation_part.list","conversation_parts":[{"type":"conversation_part","id":"201","part_type":"comment","body":"<p>Where is my parcel?</p>","author":{"type":"user","id":"5f1","name":"Maya Lindqvist","email":"maya@example.com"}}]}}}}"#;

    #[test]
    fn signature_is_hmac_sha1_hex_with_the_sha1_prefix() {
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?").
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        let tenant = tenant(Some("client-secret"), false);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-hub-signature",
            sign("client-secret", REPLIED.as_bytes())
                .parse()
                .expect("header"),
        );
        assert!(Intercom
            .verify(&context(&tenant, &headers), REPLIED.as_bytes())
            .is_ok());
        assert!(Intercom.verify(&context(&tenant, &headers), b"{}").is_err());
        headers.insert("x-hub-signature", "sha256=00".parse().expect("header"));
        assert!(Intercom
            .verify(&context(&tenant, &headers), REPLIED.as_bytes())
            .is_err());
    }

    #[test]
    fn a_user_reply_is_the_newest_customer_part_and_other_topics_are_ignored() {
        let Inbound::Message(message) = Intercom
            .parse(&HeaderMap::new(), REPLIED.as_bytes())
            .expect("parses")
        else {
            panic!("not a message");
        };
        assert_eq!(message.conversation, "41");
        assert_eq!(message.message_id, "201");
        assert_eq!(message.text, "Where is my parcel?");
        assert_eq!(message.username.as_deref(), Some("Maya Lindqvist"));
        let admin = REPLIED.replace("conversation.user.replied", "conversation.admin.replied");
        assert!(matches!(
            Intercom.parse(&HeaderMap::new(), admin.as_bytes()),
            Ok(Inbound::Ignored(_))
        ));
        let created = REPLIED.replace("conversation.user.replied", "conversation.user.created");
        let Ok(Inbound::Message(first)) = Intercom.parse(&HeaderMap::new(), created.as_bytes())
        else {
            panic!("created is a message");
        };
        assert_eq!(
            (first.message_id.as_str(), first.text.as_str()),
            ("100", "Hello")
        );
    }
}

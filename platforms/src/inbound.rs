//! What every platform's webhook becomes: verified on its raw bytes, then a customer's message (or nothing the
//! pipeline acts on), then a Chatwoot-shaped `message_created` body for the worker.

use http::HeaderMap;
use infra::{Platform, Tenant};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Why a webhook is refused: 401 or 400, with this text in the JSON answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    BadRequest(String),
}

/// What a verification needs besides the body.
pub struct VerifyContext<'a> {
    pub tenant: &'a Tenant,
    pub headers: &'a HeaderMap,
    /// Unix seconds.
    pub now: i64,
    /// How far a signed timestamp may be from `now`.
    pub tolerance_secs: i64,
}

impl VerifyContext<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The tenant's inbound secret; a tenant without one is refused unless it accepts unsigned webhooks.
    pub(crate) fn secret(&self) -> Result<&str, InboundError> {
        self.tenant
            .webhook_secret
            .as_ref()
            .map(infra::Secret::expose)
            .ok_or_else(|| {
                InboundError::Unauthorized(
                    "tenant has no webhook secret and does not accept unsigned webhooks".into(),
                )
            })
    }
}

/// A customer's message as a platform reports it, in the platform's own ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The conversation (Intercom conversation, Zendesk ticket, Freshchat conversation, generic id).
    pub conversation: String,
    /// What makes two deliveries the same message.
    pub message_id: String,
    pub user_id: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub text: String,
    /// The platform's delivery id (Intercom notification, Zendesk invocation, `webhook-id`), for the audit.
    pub delivery_id: Option<String>,
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Message(InboundMessage),
    /// Verified, but nothing to act on (an agent's or our own reply, another topic, a ping): answered 200.
    Ignored(String),
}

/// One platform's inbound webhooks.
pub trait InboundAdapter: Sync {
    /// Checks the signature (or token) on the raw body; nothing else is read before this passes.
    fn verify(&self, ctx: &VerifyContext<'_>, body: &[u8]) -> Result<(), InboundError>;
    /// Reads a verified body.
    fn parse(&self, headers: &HeaderMap, body: &[u8]) -> Result<Inbound, InboundError>;
}

/// The adapter of a platform other than Chatwoot (whose webhooks the ingress handles itself).
pub fn adapter(platform: Platform) -> Option<&'static dyn InboundAdapter> {
    match platform {
        Platform::Chatwoot => None,
        Platform::Generic => Some(&crate::generic::Generic),
        Platform::Intercom => Some(&crate::intercom::Intercom),
        Platform::Zendesk => Some(&crate::zendesk::Zendesk),
        Platform::Freshchat => Some(&crate::freshchat::Freshchat),
    }
}

/// A stable positive 63-bit number for a platform's string id (message and contact ids are numbers in the
/// pipeline's state). A collision would need ~3·10⁹ ids of one tenant.
pub fn numeric_id(platform: Platform, id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(platform.as_str())
        .chain_update(b":")
        .chain_update(id)
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) >> 1).max(1)
}

/// The `message_created` webhook Chatwoot would send for this message, so the worker reads every platform the
/// same way. The platform's own ids travel in `conversation.custom_attributes` and `source_id`.
pub fn chatwoot_shaped(
    platform: Platform,
    message: &InboundMessage,
    conversation_id: u64,
) -> Vec<u8> {
    let name = message
        .username
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Customer".to_owned());
    let sender = json!({
        "id": numeric_id(platform, &message.user_id),
        "name": name,
        "email": message.email,
        "identifier": message.user_id,
        "type": "contact",
    });
    let channel = format!("Channel::{}", channel_name(platform));
    let body = json!({
        "event": "message_created",
        "id": numeric_id(platform, &message.message_id),
        "content": message.text,
        "message_type": "incoming",
        "content_type": "text",
        "private": false,
        "source_id": format!("{platform}:{}", message.message_id),
        "sender": sender,
        "conversation": {
            "id": conversation_id,
            "status": "open",
            "channel": channel,
            "labels": [],
            "meta": { "sender": sender },
            "custom_attributes": {
                "platform": platform.as_str(),
                "external_id": message.conversation,
                "metadata": message.metadata,
            },
        },
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

fn channel_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Chatwoot => "Api",
        Platform::Generic => "Webhook",
        Platform::Intercom => "Intercom",
        Platform::Zendesk => "Zendesk",
        Platform::Freshchat => "Freshchat",
    }
}

/// A JSON body, or a 400 naming what is wrong.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, InboundError> {
    serde_json::from_slice(body)
        .map_err(|e| InboundError::BadRequest(format!("invalid JSON body: {e}")))
}

/// A string or number field as text (platforms disagree on which ids are numbers).
pub(crate) fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn require(value: Option<String>, field: &str) -> Result<String, InboundError> {
    value.ok_or_else(|| InboundError::BadRequest(format!("missing or invalid field `{field}`")))
}

/// Text out of a platform's HTML (Intercom's bodies before API 2.15): tags dropped, a few entities decoded,
/// paragraphs and breaks become line breaks.
pub(crate) fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if (tag.starts_with("br") || tag == "p" || tag.starts_with("p "))
            && !out.is_empty()
            && !out.ends_with('\n')
        {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_are_stable_positive_and_per_platform() {
        let a = numeric_id(Platform::Freshchat, "3f1c");
        assert_eq!(a, numeric_id(Platform::Freshchat, "3f1c"));
        assert_ne!(a, numeric_id(Platform::Generic, "3f1c"));
        assert!(i64::try_from(a).is_ok() && a > 0);
    }

    #[test]
    fn html_bodies_become_text() {
        assert_eq!(
            html_text("<p>Where is my <b>parcel</b>?</p><p>Order&nbsp;#12 &amp; more</p>"),
            "Where is my parcel?\nOrder #12 & more"
        );
        assert_eq!(html_text("plain text"), "plain text");
    }

    #[test]
    fn the_chatwoot_shape_is_a_customer_message_of_the_mapped_conversation() {
        let message = InboundMessage {
            conversation: "c-9".into(),
            message_id: "m-1".into(),
            user_id: "u-7".into(),
            username: Some("Maya Lindqvist".into()),
            email: None,
            text: "Where is my parcel?".into(),
            delivery_id: None,
            metadata: None,
        };
        let body = chatwoot_shaped(Platform::Generic, &message, 1_000_000_000_000_042);
        let hook: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(hook["event"], "message_created");
        assert_eq!(hook["message_type"], "incoming");
        assert_eq!(hook["conversation"]["id"], 1_000_000_000_000_042u64);
        assert_eq!(hook["sender"]["type"], "contact");
        assert_eq!(
            hook["conversation"]["custom_attributes"]["external_id"],
            "c-9"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub fn tenant(secret: Option<&str>, allow_unsigned: bool) -> Tenant {
        Tenant {
            id: infra::TenantId::parse("acme").expect("valid"),
            chatwoot_base_url: "http://platform.test".into(),
            account_id: 0,
            api_token: infra::Secret::new("token"),
            webhook_secret: secret.map(infra::Secret::new),
            allow_unsigned,
            settings: json!({}),
            platform: Platform::Generic,
            platform_config: json!({}),
            signing_secret: None,
        }
    }

    pub fn context<'a>(tenant: &'a Tenant, headers: &'a HeaderMap) -> VerifyContext<'a> {
        VerifyContext {
            tenant,
            headers,
            now: chrono::Utc::now().timestamp(),
            tolerance_secs: 300,
        }
    }
}

//! An action as one HTTP call to the tenant's platform. Drafts (private notes) become Intercom notes, Zendesk
//! private comments, Freshchat private messages and generic `note` events; a handoff becomes the platform's
//! assignment or status change, or the generic `handoff` event. What a platform has no equivalent for is
//! [`Outbound::Unsupported`]: settled without a call, never retried.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::Method;
use infra::{Platform, Tenant};
use proto::{Action, ActionKind, AssignTarget, ConversationStatus, Priority};
use serde_json::{json, Value};

use crate::standard_webhooks;

/// One request, as the dispatcher's HTTP client sends it.
pub use chatwoot::client::ExternalRequest as HttpCall;

#[derive(Debug, Clone)]
pub enum Outbound {
    Call(HttpCall),
    /// The platform has nothing this action could be: done without a call.
    Unsupported(String),
}

/// The tenant's platform settings cannot make this call: permanent until an operator fixes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("platform settings: {0}")]
    Config(String),
    #[error("the outgoing webhook is not active (platform_config.active = false)")]
    Inactive,
}

/// Attempts per action when the tenant configured its own (the generic webhook's `retries`, which count the
/// attempts after the first).
pub fn max_attempts(tenant: &Tenant) -> Option<u32> {
    if tenant.platform != Platform::Generic {
        return None;
    }
    let retries = tenant.platform_config.get("retries")?.as_u64()?;
    Some(u32::try_from(retries.saturating_add(1)).unwrap_or(u32::MAX))
}

/// The call that carries `action` out on `tenant`'s platform, in conversation `conversation` (the platform's
/// own id). Chatwoot's calls are made by the dispatcher's Chatwoot client, not here.
pub fn outbound_call(
    tenant: &Tenant,
    conversation: &str,
    action: &Action,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Outbound, OutboundError> {
    let base = tenant.chatwoot_base_url.trim_end_matches('/');
    match tenant.platform {
        Platform::Chatwoot => Err(OutboundError::Config(
            "Chatwoot actions go through the Chatwoot client".into(),
        )),
        Platform::Generic => generic(tenant, conversation, action, now),
        Platform::Intercom => intercom(tenant, base, conversation, &action.kind),
        Platform::Zendesk => zendesk(tenant, base, conversation, &action.kind),
        Platform::Freshchat => freshchat(tenant, base, conversation, &action.kind),
    }
}

fn config_str<'t>(tenant: &'t Tenant, key: &str) -> Option<&'t str> {
    tenant
        .platform_config
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn config_id(tenant: &Tenant, key: &str) -> Option<String> {
    match tenant.platform_config.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_call(
    method: Method,
    url: String,
    route: &'static str,
    headers: Vec<(String, String)>,
    body: Value,
) -> Outbound {
    Outbound::Call(HttpCall {
        method,
        url,
        route,
        headers,
        body: Some(serde_json::to_vec(&body).unwrap_or_default()),
        timeout: None,
    })
}

fn bearer(tenant: &Tenant) -> (String, String) {
    (
        "authorization".into(),
        format!("Bearer {}", tenant.api_token.expose()),
    )
}

fn unsupported(platform: Platform, kind: &ActionKind) -> Result<Outbound, OutboundError> {
    Ok(Outbound::Unsupported(format!(
        "{} has no equivalent of {}",
        platform,
        kind.name()
    )))
}

/// `POST` to the tenant's outgoing webhook, signed the Standard Webhooks way with the action id as
/// `webhook-id`: the same on every retry, so the receiver can drop repeats.
fn generic(
    tenant: &Tenant,
    conversation: &str,
    action: &Action,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Outbound, OutboundError> {
    let config = &tenant.platform_config;
    if config.get("active").and_then(Value::as_bool) == Some(false) {
        return Err(OutboundError::Inactive);
    }
    let (kind, data) = match &action.kind {
        ActionKind::SendMessage { content } => ("message", json!({ "message": content })),
        ActionKind::PrivateNote { content } => ("note", json!({ "message": content })),
        ActionKind::Assign(target) => {
            let assignee = match target {
                AssignTarget::Agent(id) => json!({ "type": "agent", "id": id }),
                AssignTarget::Team(id) => json!({ "type": "team", "id": id }),
            };
            ("handoff", json!({ "assignee": assignee }))
        }
        ActionKind::SetStatus {
            status,
            snoozed_until,
        } => (
            "status",
            json!({ "status": status.as_str(), "snoozed_until": snoozed_until }),
        ),
        ActionKind::SetPriority(priority) => ("priority", json!({ "priority": priority.as_str() })),
        ActionKind::AddLabels { labels, .. } => ("labels_added", json!({ "labels": labels })),
        ActionKind::SetLabels { labels } => ("labels_set", json!({ "labels": labels })),
    };
    let body = json!({
        "type": kind,
        "id": action.action_id,
        "tenant": tenant.id.as_str(),
        "platform": "generic",
        "conversation_id": conversation,
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let timestamp = now.timestamp();
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), action.action_id.clone()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
    ];
    if let Some(secret) = &tenant.signing_secret {
        headers.push((
            "webhook-signature".into(),
            standard_webhooks::sign(secret.expose(), &action.action_id, timestamp, &body),
        ));
    }
    if !tenant.api_token.expose().is_empty() {
        headers.push(bearer(tenant));
    }
    if let Some(Value::Object(custom)) = config.get("headers") {
        for (name, value) in custom {
            let Some(value) = value.as_str() else {
                return Err(OutboundError::Config(format!(
                    "header `{name}` must be a string"
                )));
            };
            headers.push((name.to_ascii_lowercase(), value.to_owned()));
        }
    }
    let timeout = config
        .get("timeout_ms")
        .and_then(Value::as_u64)
        .map(Duration::from_millis);
    if tenant.chatwoot_base_url.is_empty() {
        return Err(OutboundError::Config("no outgoing webhook URL".into()));
    }
    Ok(Outbound::Call(HttpCall {
        method: Method::POST,
        url: tenant.chatwoot_base_url.clone(),
        route: "generic webhook",
        headers,
        body: Some(body),
        timeout,
    }))
}

fn intercom(
    tenant: &Tenant,
    base: &str,
    conversation: &str,
    kind: &ActionKind,
) -> Result<Outbound, OutboundError> {
    let admin = config_id(tenant, "admin_id")
        .ok_or_else(|| OutboundError::Config("Intercom needs platform_config.admin_id".into()))?;
    let version = config_str(tenant, "intercom_version").unwrap_or("2.11");
    let headers = vec![
        bearer(tenant),
        ("intercom-version".into(), version.to_owned()),
        ("accept".into(), "application/json".into()),
    ];
    let reply = |message_type: &str, body: &str| {
        json_call(
            Method::POST,
            format!("{base}/conversations/{conversation}/reply"),
            "/conversations/{id}/reply",
            headers.clone(),
            json!({ "message_type": message_type, "type": "admin", "admin_id": admin, "body": body }),
        )
    };
    // Assignment, close, open and snooze are "parts" of the conversation.
    let part = |body: Value| {
        json_call(
            Method::POST,
            format!("{base}/conversations/{conversation}/parts"),
            "/conversations/{id}/parts",
            headers.clone(),
            body,
        )
    };
    Ok(match kind {
        ActionKind::SendMessage { content } => reply("comment", content),
        ActionKind::PrivateNote { content } => reply("note", content),
        ActionKind::Assign(target) => {
            let assignee = match target {
                AssignTarget::Agent(id) | AssignTarget::Team(id) => id.to_string(),
            };
            part(
                json!({ "message_type": "assignment", "type": "admin", "admin_id": admin,
                         "assignee_id": assignee }),
            )
        }
        ActionKind::SetStatus {
            status: ConversationStatus::Resolved,
            ..
        } => part(json!({ "message_type": "close", "type": "admin", "admin_id": admin })),
        ActionKind::SetStatus {
            status: ConversationStatus::Open,
            ..
        } => part(json!({ "message_type": "open", "admin_id": admin })),
        ActionKind::SetStatus {
            status: ConversationStatus::Snoozed,
            snoozed_until: Some(until),
        } => part(json!({ "message_type": "snoozed", "admin_id": admin, "snoozed_until": until })),
        other => return unsupported(Platform::Intercom, other),
    })
}

fn zendesk(
    tenant: &Tenant,
    base: &str,
    ticket: &str,
    kind: &ActionKind,
) -> Result<Outbound, OutboundError> {
    let email = config_str(tenant, "email")
        .ok_or_else(|| OutboundError::Config("Zendesk needs platform_config.email".into()))?;
    let credentials = STANDARD.encode(format!("{email}/token:{}", tenant.api_token.expose()));
    let headers = vec![("authorization".to_owned(), format!("Basic {credentials}"))];
    let update = |ticket_fields: Value| {
        json_call(
            Method::PUT,
            format!("{base}/api/v2/tickets/{ticket}.json"),
            "/api/v2/tickets/{id}.json",
            headers.clone(),
            json!({ "ticket": ticket_fields }),
        )
    };
    let comment = |body: &str, public: bool| {
        let mut comment = json!({ "body": body, "public": public });
        if let Some(author) = config_id(tenant, "author_id").and_then(|a| a.parse::<u64>().ok()) {
            comment["author_id"] = json!(author);
        }
        update(json!({ "comment": comment }))
    };
    let tags = |method: Method, labels: &[String]| {
        json_call(
            method,
            format!("{base}/api/v2/tickets/{ticket}/tags.json"),
            "/api/v2/tickets/{id}/tags.json",
            headers.clone(),
            json!({ "tags": labels }),
        )
    };
    Ok(match kind {
        ActionKind::SendMessage { content } => comment(content, true),
        ActionKind::PrivateNote { content } => comment(content, false),
        ActionKind::Assign(AssignTarget::Agent(id)) => update(json!({ "assignee_id": id })),
        ActionKind::Assign(AssignTarget::Team(id)) => update(json!({ "group_id": id })),
        ActionKind::SetStatus { status, .. } => update(json!({ "status": match status {
            ConversationStatus::Open => "open",
            ConversationStatus::Resolved => "solved",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "hold",
        } })),
        ActionKind::SetPriority(priority) => update(json!({ "priority": match priority {
            Priority::None => None,
            Priority::Low => Some("low"),
            Priority::Medium => Some("normal"),
            Priority::High => Some("high"),
            Priority::Urgent => Some("urgent"),
        } })),
        // Zendesk's PUT adds tags and POST replaces them: no read of the current set is needed.
        ActionKind::AddLabels { labels, .. } => tags(Method::PUT, labels),
        ActionKind::SetLabels { labels } => tags(Method::POST, labels),
    })
}

fn freshchat(
    tenant: &Tenant,
    base: &str,
    conversation: &str,
    kind: &ActionKind,
) -> Result<Outbound, OutboundError> {
    let agent = config_id(tenant, "agent_id")
        .ok_or_else(|| OutboundError::Config("Freshchat needs platform_config.agent_id".into()))?;
    let headers = vec![bearer(tenant), ("accept".into(), "application/json".into())];
    let message = |content: &str, message_type: &str| {
        json_call(
            Method::POST,
            format!("{base}/v2/conversations/{conversation}/messages"),
            "/v2/conversations/{id}/messages",
            headers.clone(),
            json!({
                "message_parts": [{ "text": { "content": content } }],
                "message_type": message_type,
                "actor_type": "agent",
                "actor_id": agent,
            }),
        )
    };
    Ok(match kind {
        ActionKind::SendMessage { content } => message(content, "normal"),
        ActionKind::PrivateNote { content } => message(content, "private"),
        ActionKind::SetStatus {
            status: ConversationStatus::Resolved,
            ..
        } => json_call(
            Method::PUT,
            format!("{base}/v2/conversations/{conversation}"),
            "/v2/conversations/{id}",
            headers.clone(),
            json!({ "status": "resolved" }),
        ),
        other => return unsupported(Platform::Freshchat, other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::tests_support::tenant;

    fn action(kind: ActionKind) -> Action {
        Action {
            action_id: "acme:intercom:message:201#reply".into(),
            tenant: "acme".into(),
            conversation_id: 41,
            event_key: "acme:intercom:message:201".into(),
            created_at_ms: 0,
            conversation_seq: 1,
            kind,
        }
    }

    fn call(outbound: Result<Outbound, OutboundError>) -> HttpCall {
        match outbound {
            Ok(Outbound::Call(call)) => call,
            other => panic!("no call: {other:?}"),
        }
    }

    fn body(call: &HttpCall) -> Value {
        serde_json::from_slice(call.body.as_deref().unwrap_or_default()).expect("json body")
    }

    #[test]
    fn intercom_replies_as_the_admin_and_drafts_are_notes() {
        let mut tenant = tenant(None, false);
        tenant.platform = Platform::Intercom;
        tenant.chatwoot_base_url = "https://api.intercom.io".into();
        tenant.platform_config = json!({ "admin_id": "814860" });
        let reply = call(outbound_call(
            &tenant,
            "41",
            &action(ActionKind::SendMessage {
                content: "Hi".into(),
            }),
            chrono::Utc::now(),
        ));
        assert_eq!(reply.url, "https://api.intercom.io/conversations/41/reply");
        assert_eq!(
            body(&reply),
            json!({ "message_type": "comment", "type": "admin", "admin_id": "814860", "body": "Hi" })
        );
        let note = call(outbound_call(
            &tenant,
            "41",
            &action(ActionKind::PrivateNote {
                content: "Draft".into(),
            }),
            chrono::Utc::now(),
        ));
        assert_eq!(body(&note)["message_type"], "note");
        tenant.platform_config = json!({});
        assert!(matches!(
            outbound_call(
                &tenant,
                "41",
                &action(ActionKind::SendMessage {
                    content: "Hi".into()
                }),
                chrono::Utc::now()
            ),
            Err(OutboundError::Config(_))
        ));
    }

    #[test]
    fn zendesk_comments_publicly_or_privately_with_basic_token_auth() {
        let mut tenant = tenant(None, false);
        tenant.platform = Platform::Zendesk;
        tenant.chatwoot_base_url = "https://acme.zendesk.com".into();
        tenant.platform_config = json!({ "email": "bot@acme.example" });
        let reply = call(outbound_call(
            &tenant,
            "141",
            &action(ActionKind::SendMessage {
                content: "Hi".into(),
            }),
            chrono::Utc::now(),
        ));
        assert_eq!(
            (reply.method.clone(), reply.url.as_str()),
            (
                Method::PUT,
                "https://acme.zendesk.com/api/v2/tickets/141.json"
            )
        );
        assert_eq!(
            body(&reply),
            json!({ "ticket": { "comment": { "body": "Hi", "public": true } } })
        );
        let expected = format!("Basic {}", STANDARD.encode("bot@acme.example/token:token"));
        assert!(reply.headers.contains(&("authorization".into(), expected)));
        let draft = call(outbound_call(
            &tenant,
            "141",
            &action(ActionKind::PrivateNote {
                content: "Draft".into(),
            }),
            chrono::Utc::now(),
        ));
        assert_eq!(body(&draft)["ticket"]["comment"]["public"], false);
    }

    #[test]
    fn freshchat_posts_as_the_agent_and_has_no_labels() {
        let mut tenant = tenant(None, false);
        tenant.platform = Platform::Freshchat;
        tenant.chatwoot_base_url = "https://acme.freshchat.com".into();
        tenant.platform_config = json!({ "agent_id": "a-1" });
        let reply = call(outbound_call(
            &tenant,
            "c-9",
            &action(ActionKind::SendMessage {
                content: "Hi".into(),
            }),
            chrono::Utc::now(),
        ));
        assert_eq!(
            reply.url,
            "https://acme.freshchat.com/v2/conversations/c-9/messages"
        );
        assert_eq!(body(&reply)["actor_type"], "agent");
        assert_eq!(body(&reply)["message_parts"][0]["text"]["content"], "Hi");
        let labels = outbound_call(
            &tenant,
            "c-9",
            &action(ActionKind::SetLabels { labels: vec![] }),
            chrono::Utc::now(),
        );
        assert!(matches!(labels, Ok(Outbound::Unsupported(_))));
    }

    #[test]
    fn generic_posts_a_signed_event_with_the_configured_headers_and_respects_active() {
        let mut tenant = tenant(None, false);
        tenant.chatwoot_base_url = "https://hooks.example/replies".into();
        tenant.signing_secret = Some(infra::Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        tenant.platform_config =
            json!({ "headers": { "X-Team": "support" }, "timeout_ms": 2500, "retries": 2 });
        let now = chrono::Utc::now();
        let post = call(outbound_call(
            &tenant,
            "c-9",
            &action(ActionKind::SendMessage {
                content: "Hi".into(),
            }),
            now,
        ));
        let header = |name: &str| {
            post.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let sent = post.body.clone().unwrap_or_default();
        standard_webhooks::verify(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            &header("webhook-id").expect("id"),
            &header("webhook-timestamp").expect("timestamp"),
            &header("webhook-signature").expect("signature"),
            &sent,
            now.timestamp(),
            60,
        )
        .expect("verifies");
        assert_eq!(header("x-team").as_deref(), Some("support"));
        assert_eq!(header("authorization").as_deref(), Some("Bearer token"));
        assert_eq!(post.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(body(&post)["type"], "message");
        assert_eq!(body(&post)["data"]["message"], "Hi");
        assert_eq!(max_attempts(&tenant), Some(3));
        tenant.platform_config = json!({ "active": false });
        assert_eq!(
            outbound_call(
                &tenant,
                "c-9",
                &action(ActionKind::SendMessage {
                    content: "Hi".into()
                }),
                now
            )
            .err(),
            Some(OutboundError::Inactive)
        );
    }
}

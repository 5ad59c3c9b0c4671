//! Did a reply whose answer never came (a timeout, a connection dropped after sending) arrive anyway? Chatwoot
//! stores the `source_id` we give a message, so the dispatcher finds its own earlier attempt by it. Intercom,
//! Zendesk and Freshchat take no idempotency key or hidden marker on a reply (Zendesk's `Idempotency-Key` is for
//! creating tickets only; Intercom sanitises the HTML body; Freshchat keeps only what it renders), so an earlier
//! attempt is recognised by what the platform does keep:
//! the same author (our admin, agent or API user), the same visibility (public reply or internal note), the same
//! text once the platform's formatting is taken off, written no earlier than five minutes before the action was
//! created (clocks differ; the reply cannot be older than its action).
//!
//! Two replies of the same text can both be ours (a template answering two messages). The dispatcher therefore
//! compares how many such messages the platform shows with how many of its own earlier actions in the
//! conversation, with that text, are already delivered: only a surplus is the uncertain attempt. The
//! conversation's actions are sequenced, so no later action of it can have posted meanwhile. The cost of a
//! mistake is chosen deliberately: an identical reply typed by a human in that window, with our credentials,
//! would make us skip the resend (a reply missing), never show the customer the same reply twice.

use chrono::DateTime;
use infra::{Platform, Tenant};
use proto::{Action, ActionKind};
use serde_json::Value;

use crate::outbound::{outbound_call, HttpCall, Outbound, OutboundError};

/// How far before the action's creation an earlier attempt's reply may carry a timestamp (the platform's clock
/// may be behind ours).
const CLOCK_SKEW_SECS: i64 = 300;

/// The read that shows the conversation's latest messages, and how to recognise the reply in it.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub call: HttpCall,
    wanted: Wanted,
}

#[derive(Debug, Clone)]
struct Wanted {
    platform: Platform,
    text: String,
    private: bool,
    /// `None`: the platform sets the author from the credentials and we do not know its id.
    author: Option<String>,
    not_before: i64,
}

/// The platform's listing could not settle the question: more recent messages than one page holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("more than {0} messages in the conversation since the action was created: cannot tell whether the earlier attempt arrived")]
pub struct Undecidable(pub usize);

/// The lookup for an uncertain attempt of `action`, or `None` when none is needed or possible: the action is
/// idempotent (repeating it changes nothing), or the platform is the generic webhook, whose receiver drops a
/// repeated `webhook-id` (the action id, the same on every attempt).
pub fn lookup(
    tenant: &Tenant,
    conversation: &str,
    action: &Action,
) -> Result<Option<Lookup>, OutboundError> {
    let (content, private) = match &action.kind {
        ActionKind::SendMessage { content } => (content, false),
        ActionKind::PrivateNote { content } => (content, true),
        _ => return Ok(None),
    };
    let Outbound::Call(reply) = outbound_call(tenant, conversation, action, chrono::Utc::now())?
    else {
        return Ok(None);
    };
    let base = tenant.chatwoot_base_url.trim_end_matches('/');
    let (url, route, author) = match tenant.platform {
        Platform::Chatwoot | Platform::Generic => return Ok(None),
        Platform::Intercom => (
            format!("{base}/conversations/{conversation}?display_as=plaintext"),
            "/conversations/{id}",
            config_id(tenant, "admin_id"),
        ),
        Platform::Zendesk => (
            format!(
                "{base}/api/v2/tickets/{conversation}/comments.json?sort_order=desc&page[size]={}",
                page_size(Platform::Zendesk)
            ),
            "/api/v2/tickets/{id}/comments.json",
            config_id(tenant, "author_id"),
        ),
        Platform::Freshchat => (
            format!(
                "{base}/v2/conversations/{conversation}/messages?items_per_page={}&page=1",
                page_size(Platform::Freshchat)
            ),
            "/v2/conversations/{id}/messages",
            config_id(tenant, "agent_id"),
        ),
    };
    let headers = reply
        .headers
        .into_iter()
        .filter(|(name, _)| name != "content-type")
        .collect();
    Ok(Some(Lookup {
        call: HttpCall {
            method: http::Method::GET,
            url,
            route,
            headers,
            body: None,
            timeout: reply.timeout,
        },
        wanted: Wanted {
            platform: tenant.platform,
            text: normalise(content),
            private,
            author,
            not_before: action.created_at_ms / 1000 - CLOCK_SKEW_SECS,
        },
    }))
}

/// The most recent messages one listing returns.
fn page_size(platform: Platform) -> usize {
    match platform {
        Platform::Intercom => 500,
        Platform::Zendesk => 100,
        _ => 50,
    }
}

fn config_id(tenant: &Tenant, key: &str) -> Option<String> {
    match tenant.platform_config.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Lookup {
    /// Unix seconds: messages written before this are not the uncertain attempt's.
    pub fn not_before(&self) -> i64 {
        self.wanted.not_before
    }

    /// How many messages in the listing `response` look like this action's reply.
    pub fn matches(&self, response: &Value) -> Result<usize, Undecidable> {
        let w = &self.wanted;
        let items: &[Value] = match w.platform {
            Platform::Intercom => response
                .pointer("/conversation_parts/conversation_parts")
                .and_then(Value::as_array),
            Platform::Zendesk => response.get("comments").and_then(Value::as_array),
            _ => response.get("messages").and_then(Value::as_array),
        }
        .map_or(&[], Vec::as_slice);
        let recent: Vec<&Value> = items
            .iter()
            .filter(|item| created_at(w.platform, item).is_none_or(|t| t >= w.not_before))
            .collect();
        // A full page of recent messages may hide older ones that are recent enough too.
        if items.len() >= page_size(w.platform) && recent.len() == items.len() {
            return Err(Undecidable(items.len()));
        }
        Ok(recent.into_iter().filter(|item| self.is_ours(item)).count())
    }

    fn is_ours(&self, item: &Value) -> bool {
        let w = &self.wanted;
        let s = |key: &str| item.get(key).and_then(Value::as_str);
        let id = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let author_ok = |found: Option<String>| w.author.is_none() || found == w.author;
        match w.platform {
            Platform::Intercom => {
                s("part_type") == Some(if w.private { "note" } else { "comment" })
                    && item.pointer("/author/type").and_then(Value::as_str) == Some("admin")
                    && author_ok(id(item.pointer("/author/id")))
                    && s("body").is_some_and(|b| normalise(b) == w.text)
            }
            Platform::Zendesk => {
                item.get("public").and_then(Value::as_bool) == Some(!w.private)
                    && author_ok(id(item.get("author_id")))
                    && s("body").is_some_and(|b| normalise(b) == w.text)
            }
            _ => {
                s("actor_type") == Some("agent")
                    && author_ok(id(item.get("actor_id")))
                    && (s("message_type") == Some("private")) == w.private
                    && normalise(&freshchat_text(item)) == w.text
            }
        }
    }
}

fn freshchat_text(item: &Value) -> String {
    item.get("message_parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.pointer("/text/content").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Unix seconds the platform says the message was written at.
fn created_at(platform: Platform, item: &Value) -> Option<i64> {
    let field = match platform {
        Platform::Intercom => return item.get("created_at").and_then(Value::as_i64),
        Platform::Zendesk => "created_at",
        _ => "created_time",
    };
    let text = item.get(field)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// The text as a person reads it: tags dropped (Intercom keeps HTML), the common entities decoded, runs of
/// white space made one space.
fn normalise(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                plain.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let decoded = plain
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::inbound::tests_support::tenant;
    use serde_json::json;

    fn action(content: &str, private: bool) -> Action {
        let content = content.to_owned();
        Action {
            action_id: "acme:x:1#reply".into(),
            tenant: "acme".into(),
            conversation_id: 41,
            event_key: "acme:x:1".into(),
            created_at_ms: 1_700_000_000_000,
            conversation_seq: 1,
            kind: if private {
                ActionKind::PrivateNote { content }
            } else {
                ActionKind::SendMessage { content }
            },
        }
    }

    fn on(platform: Platform, config: Value) -> Tenant {
        let mut tenant = tenant(None, false);
        tenant.platform = platform;
        tenant.platform_config = config;
        tenant
    }

    #[test]
    fn intercom_finds_the_admins_comment_in_its_html() {
        let t = on(Platform::Intercom, json!({ "admin_id": 814860 }));
        let l = lookup(&t, "41", &action("Hi Maya & co,\n thanks!", false))
            .unwrap()
            .unwrap();
        assert_eq!(l.call.method, http::Method::GET);
        assert!(l
            .call
            .url
            .ends_with("/conversations/41?display_as=plaintext"));
        let part = |kind: &str, admin: &str, body: &str, at: i64| {
            json!({ "part_type": kind, "body": body, "created_at": at,
                    "author": { "type": "admin", "id": admin } })
        };
        let listing =
            |parts: Vec<Value>| json!({ "conversation_parts": { "conversation_parts": parts } });
        let ours = part(
            "comment",
            "814860",
            "<p>Hi Maya &amp; co,</p><p>thanks!</p>",
            1_700_000_010,
        );
        assert_eq!(l.matches(&listing(vec![ours.clone()])), Ok(1));
        for other in [
            part(
                "note",
                "814860",
                "<p>Hi Maya &amp; co, thanks!</p>",
                1_700_000_010,
            ),
            part(
                "comment",
                "1",
                "<p>Hi Maya &amp; co, thanks!</p>",
                1_700_000_010,
            ),
            part("comment", "814860", "<p>Hi Maya</p>", 1_700_000_010),
            // Written long before the action existed: an older reply of the same text.
            part(
                "comment",
                "814860",
                "<p>Hi Maya &amp; co, thanks!</p>",
                1_600_000_000,
            ),
        ] {
            assert_eq!(l.matches(&listing(vec![other.clone()])), Ok(0), "{other}");
        }
        assert_eq!(l.matches(&listing(vec![ours.clone(), ours])), Ok(2));
    }

    #[test]
    fn zendesk_and_freshchat_match_visibility_author_and_text() {
        let z = on(Platform::Zendesk, json!({ "email": "bot@acme.example" }));
        let l = lookup(&z, "141", &action("Draft", true)).unwrap().unwrap();
        assert!(l
            .call
            .url
            .contains("/api/v2/tickets/141/comments.json?sort_order=desc"));
        let comment = |public: bool| {
            json!({ "comments": [{ "body": "Draft", "public": public, "author_id": 900,
                                   "created_at": "2023-11-14T22:20:00Z" }] })
        };
        assert_eq!(l.matches(&comment(false)), Ok(1));
        assert_eq!(l.matches(&comment(true)), Ok(0));

        let f = on(Platform::Freshchat, json!({ "agent_id": "a-1" }));
        let l = lookup(&f, "c-9", &action("Hi", false)).unwrap().unwrap();
        let message = |actor: &str| {
            json!({ "messages": [{ "actor_type": "agent", "actor_id": actor, "message_type": "normal",
                                   "message_parts": [{ "text": { "content": "Hi" } }],
                                   "created_time": "2023-11-14T22:20:00.123Z" }] })
        };
        assert_eq!(l.matches(&message("a-1")), Ok(1));
        assert_eq!(l.matches(&message("a-2")), Ok(0));
        let full: Vec<Value> = (0..50)
            .map(|_| message("a-1")["messages"][0].clone())
            .collect();
        assert_eq!(
            l.matches(&json!({ "messages": full })),
            Err(Undecidable(50))
        );
    }

    #[test]
    fn idempotent_actions_and_the_generic_webhook_need_no_lookup() {
        let g = on(Platform::Generic, json!({}));
        assert!(lookup(&g, "c", &action("Hi", false)).unwrap().is_none());
        let i = on(Platform::Intercom, json!({ "admin_id": "1" }));
        let mut close = action("", false);
        close.kind = ActionKind::SetStatus {
            status: proto::ConversationStatus::Resolved,
            snoozed_until: None,
        };
        assert!(lookup(&i, "41", &close).unwrap().is_none());
    }
}

//! One conversation's history, as read from Chatwoot's API, turned into the webhooks Chatwoot would have sent
//! for it, in the conversation's order: `conversation_created`, then each message (`message_created`, keyed by
//! message id exactly as the ingress keys a live one, so a message seen both ways is one event) and each status
//! change read from an activity message (`conversation_status_changed`).
//!
//! Only what happened before the conversation's cutoff is rebuilt; the live webhooks own the rest.

use chrono::{DateTime, SecondsFormat, Utc};
use proto::{EventEnvelope, Historical};
use serde_json::{json, Map, Value};

/// A status change an activity message records (Chatwoot writes them in the account's locale; the English
/// texts of `conversations.activity.status.*` and `captain.*` are recognised).
pub fn status_of_activity(content: &str) -> Option<&'static str> {
    let c = content.trim();
    if c.starts_with("Conversation was marked resolved by")
        || c.starts_with("Conversation was resolved by")
    {
        Some("resolved")
    } else if c.starts_with("Conversation was reopened by")
        || c.starts_with("System reopened the conversation")
        || c.starts_with("Conversation was marked open")
    {
        Some("open")
    } else if c.starts_with("Conversation was marked as pending by") {
        Some("pending")
    } else if c.starts_with("Conversation was snoozed by") {
        Some("snoozed")
    } else {
        None
    }
}

/// What a conversation's history produced.
#[derive(Debug, Default)]
pub struct Rebuilt {
    pub envelopes: Vec<EventEnvelope>,
    pub messages: u64,
    pub status_changes: u64,
    pub csat_answers: u64,
}

/// Builds the events of one conversation. `conversation` is an item of `GET …/conversations`, `messages` every
/// message of it (oldest first, as `GET …/messages?after=` pages them), `cutoff` the instant from which the live
/// webhooks own the conversation.
pub fn rebuild(
    tenant: &str,
    run_id: &str,
    conversation: &Value,
    messages: &[Value],
    cutoff: DateTime<Utc>,
) -> Rebuilt {
    let mut out = Rebuilt::default();
    let Some(id) = conversation["id"].as_u64() else {
        return out;
    };
    let created = unix(&conversation["created_at"]);
    if created >= cutoff {
        return out;
    }
    let envelope = |event: &str, key: String, at: DateTime<Utc>, body: Value| EventEnvelope {
        tenant: tenant.to_owned(),
        event: event.to_owned(),
        delivery_id: String::new(),
        event_key: key,
        // When Chatwoot would have sent it: what the worker falls back to for a time the body lacks.
        received_at_ms: at.timestamp_millis(),
        body: serde_json::to_vec(&body).unwrap_or_default().into(),
        signed: false,
        conversation_id: Some(id),
        replay: None,
        historical: Some(Historical {
            occurred_at_ms: at.timestamp_millis(),
            run_id: run_id.to_owned(),
        }),
    };
    // Chatwoot does not say what the status was at creation: an agent-bot inbox starts `pending`, others
    // `open`; the first status change read from the activity messages tells which it was not.
    let first_change = messages
        .iter()
        .filter(|m| m["message_type"].as_u64() == Some(2))
        .find_map(|m| status_of_activity(m["content"].as_str().unwrap_or_default()));
    let mut status = match first_change {
        Some("open") => "pending",
        _ => "open",
    };
    let account = conversation["account_id"].clone();
    out.envelopes.push(envelope(
        "conversation_created",
        format!("{tenant}:history:conversation_created:{id}"),
        created,
        conversation_body(conversation, "conversation_created", status, created),
    ));
    for message in messages {
        let at = unix(&message["created_at"]);
        let Some(message_id) = message["id"].as_u64() else {
            continue;
        };
        if at >= cutoff {
            break;
        }
        if message["message_type"].as_u64() == Some(2) {
            // Chatwoot never sends activity messages as webhooks; a status change it records becomes the
            // status event a live webhook would have carried.
            let content = message["content"].as_str().unwrap_or_default();
            if let Some(next) = status_of_activity(content).filter(|next| *next != status) {
                status = next;
                out.status_changes += 1;
                let mut body =
                    conversation_body(conversation, "conversation_status_changed", status, at);
                body["changed_attributes"] = Value::Null;
                out.envelopes.push(envelope(
                    "conversation_status_changed",
                    format!("{tenant}:history:status:{message_id}"),
                    at,
                    body,
                ));
            }
            continue;
        }
        out.messages += 1;
        out.envelopes.push(envelope(
            "message_created",
            // The ingress's key of a live `message_created` (see `ingress::event_key`).
            format!("{tenant}:message_created:{message_id}"),
            at,
            message_body(conversation, message, &account, at),
        ));
        // A CSAT survey already answered: the answer came live as the survey's `message_updated`; its time is
        // not in the list, so it is placed at the survey's.
        if message["content_type"].as_str() == Some("input_csat")
            && !message["content_attributes"]["submitted_values"]["csat_survey_response"].is_null()
        {
            out.csat_answers += 1;
            let mut body = message_body(conversation, message, &account, at);
            body["event"] = json!("message_updated");
            body["updated_at"] = json!(iso(at));
            out.envelopes.push(envelope(
                "message_updated",
                format!("{tenant}:history:csat:{message_id}"),
                at,
                body,
            ));
        }
    }
    // The status now, when the activity messages did not get there (another locale, a status set by the API
    // without an activity message): changed at the conversation's last activity, if that is before the cutoff.
    let current = conversation["status"].as_str().unwrap_or(status);
    let last = unix(&conversation["last_activity_at"]).max(created);
    if current != status && last < cutoff {
        out.status_changes += 1;
        let mut body =
            conversation_body(conversation, "conversation_status_changed", current, last);
        body["changed_attributes"] = Value::Null;
        out.envelopes.push(envelope(
            "conversation_status_changed",
            format!(
                "{tenant}:history:status:{id}:{current}:{}",
                last.timestamp()
            ),
            last,
            body,
        ));
    }
    out
}

fn unix(value: &Value) -> DateTime<Utc> {
    let secs = value
        .as_i64()
        .or_else(|| value.as_f64().map(|f| f as i64))
        .unwrap_or_default();
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The conversation as a conversation webhook carries it (`Conversations::EventDataPresenter#webhook_data`),
/// from the list's item (`_conversation.json.jbuilder`: the same keys, `channel` inside `meta`), with the
/// status and times of the moment rebuilt.
fn conversation_body(conversation: &Value, event: &str, status: &str, at: DateTime<Utc>) -> Value {
    let mut body = conversation_data(conversation);
    body["status"] = json!(status);
    body["timestamp"] = json!(at.timestamp());
    body["last_activity_at"] = json!(at.timestamp());
    body["updated_at"] = json!(at.timestamp() as f64);
    body["event"] = json!(event);
    body
}

fn conversation_data(conversation: &Value) -> Value {
    let mut data = Map::new();
    for key in [
        "additional_attributes",
        "can_reply",
        "id",
        "inbox_id",
        "labels",
        "meta",
        "status",
        "custom_attributes",
        "snoozed_until",
        "priority",
        "created_at",
    ] {
        data.insert(key.into(), conversation[key].clone());
    }
    data.insert("channel".into(), conversation["meta"]["channel"].clone());
    data.insert("messages".into(), json!([]));
    Value::Object(data)
}

/// A `message_created` webhook (`Message#webhook_data`) from an item of `GET …/messages`
/// (`api/v1/models/_message.json.jbuilder`): `message_type` as a name, `created_at` as an ISO time, and a
/// contact sender without `type`, as webhooks send them.
fn message_body(
    conversation: &Value,
    message: &Value,
    account: &Value,
    at: DateTime<Utc>,
) -> Value {
    let message_type = match message["message_type"].as_u64() {
        Some(0) => "incoming",
        Some(1) => "outgoing",
        Some(3) => "template",
        _ => "activity",
    };
    let mut sender = message["sender"].clone();
    if let Some(map) = sender.as_object_mut() {
        if map.get("type").and_then(Value::as_str) == Some("contact") {
            map.remove("type");
        }
    }
    json!({
        "account": { "id": account },
        "additional_attributes": {},
        "content_attributes": message.get("content_attributes").cloned().unwrap_or_else(|| json!({})),
        "content_type": message.get("content_type").cloned().unwrap_or_else(|| json!("text")),
        "content": message["content"],
        "conversation": conversation_data(conversation),
        "created_at": iso(at),
        "id": message["id"],
        "inbox": { "id": conversation["inbox_id"] },
        "message_type": message_type,
        "private": message["private"].as_bool().unwrap_or(false),
        "sender": sender,
        "source_id": message["source_id"],
        "event": "message_created",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> Value {
        json!({"id": 5, "account_id": 3, "inbox_id": 7, "status": "resolved", "created_at": 1_000,
               "last_activity_at": 1_300, "labels": [], "meta": {"channel": "Channel::WebWidget",
               "sender": {"id": 9, "name": "Maya"}}})
    }

    fn message(id: u64, kind: u64, at: i64, content: &str, sender: Value) -> Value {
        json!({"id": id, "message_type": kind, "created_at": at, "content": content, "private": false,
               "sender": sender})
    }

    #[test]
    fn rebuilds_messages_with_live_keys_and_status_from_activity() {
        let messages = [
            message(1, 0, 1_010, "help", json!({"id": 9, "type": "contact"})),
            message(2, 1, 1_100, "sure", json!({"id": 17, "type": "user"})),
            message(
                3,
                2,
                1_200,
                "Conversation was marked resolved by Jonas",
                Value::Null,
            ),
        ];
        let cutoff = DateTime::from_timestamp(10_000, 0).expect("time");
        let rebuilt = rebuild("t", "r", &conversation(), &messages, cutoff);
        let keys: Vec<&str> = rebuilt
            .envelopes
            .iter()
            .map(|e| e.event_key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "t:history:conversation_created:5",
                "t:message_created:1",
                "t:message_created:2",
                "t:history:status:3"
            ]
        );
        let hook = chatwoot::Webhook::parse(&rebuilt.envelopes[1].body).expect("parses");
        assert!(hook.is_customer_message());
        assert_eq!(hook.conversation_id(), Some(5));
        assert!(rebuilt.envelopes.iter().all(|e| e.is_historical()));
        assert_eq!((rebuilt.messages, rebuilt.status_changes), (2, 1));
    }

    #[test]
    fn an_answered_survey_is_its_message_and_the_update_carrying_the_rating() {
        let mut survey = message(4, 3, 1_250, "Please rate the conversation", Value::Null);
        survey["content_type"] = json!("input_csat");
        survey["content_attributes"] = json!({"submitted_values": {"csat_survey_response": {"rating": 5, "feedback_message": "great"}}});
        let cutoff = DateTime::from_timestamp(10_000, 0).expect("time");
        let rebuilt = rebuild("t", "r", &conversation(), &[survey], cutoff);
        let events: Vec<&str> = rebuilt.envelopes.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events[1..3], ["message_created", "message_updated"]);
        let hook = chatwoot::Webhook::parse(&rebuilt.envelopes[2].body).expect("parses");
        assert_eq!(
            hook.content_attributes.expect("attributes")["submitted_values"]
                ["csat_survey_response"]["rating"],
            5
        );
        assert_eq!(rebuilt.csat_answers, 1);
    }

    #[test]
    fn stops_at_the_cutoff_and_falls_back_to_the_current_status() {
        let messages = [
            message(1, 0, 1_010, "help", json!({"id": 9, "type": "contact"})),
            message(2, 1, 1_100, "sure", json!({"id": 17, "type": "user"})),
        ];
        let cutoff = DateTime::from_timestamp(1_050, 0).expect("time");
        let rebuilt = rebuild("t", "r", &conversation(), &messages, cutoff);
        assert_eq!(
            rebuilt.envelopes.len(),
            2,
            "created + the message before the cutoff"
        );
        let late = DateTime::from_timestamp(2_000, 0).expect("time");
        let rebuilt = rebuild("t", "r", &conversation(), &messages, late);
        let last = rebuilt.envelopes.last().expect("events");
        assert_eq!(last.event, "conversation_status_changed");
        assert_eq!(last.event_key, "t:history:status:5:resolved:1300");
        assert!(rebuild(
            "t",
            "r",
            &conversation(),
            &messages,
            DateTime::from_timestamp(900, 0).expect("t")
        )
        .envelopes
        .is_empty());
    }
}

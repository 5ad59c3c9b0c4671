//! JSON bodies with the keys of Chatwoot's jbuilder views, as captured in
//! `fixtures/chatwoot/api/`. Built with `json!` rather than loaded from
//! the fixtures so the simulator keeps working when the fixtures are absent.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::config::{SimAccount, SimAgent, SimAgentBot, SimTeam};
use crate::model::{Actor, Assignee, Conversation, StoredMessage, INBOX_ID};

/// The contact every simulated conversation belongs to (the fixtures' Maya).
const CONTACT_ID: u64 = 5821;
const CONTACT_NAME: &str = "Maya Lindqvist";
const CONTACT_EMAIL: &str = "maya.lindqvist@example.org";
/// Fixed creation time of seeded records (teams, account membership).
const SEEDED_AT: i64 = 1_739_872_964;

pub(crate) fn iso_millis(unix_secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix_secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn iso_from_float(unix: f64) -> String {
    let millis = (unix * 1_000.0) as i64;
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `User#push_event_data`, `AgentBot#push_event_data`, `Contact#push_event_data`.
pub(crate) fn sender(actor: &Actor) -> Value {
    match actor {
        Actor::Agent(agent) => json!({
            "id": agent.id,
            "name": agent.name,
            "available_name": agent.name,
            "avatar_url": "",
            "type": "user",
            "availability_status": "online",
            "thumbnail": "",
        }),
        Actor::Bot(bot) => json!({
            "id": bot.id,
            "name": bot.name,
            "avatar_url": "",
            "type": "agent_bot",
        }),
        Actor::Contact => json!({
            "additional_attributes": {},
            "custom_attributes": {},
            "email": CONTACT_EMAIL,
            "id": CONTACT_ID,
            "identifier": null,
            "name": CONTACT_NAME,
            "phone_number": null,
            "thumbnail": "",
            "blocked": false,
            "type": "contact",
        }),
        Actor::System => Value::Null,
    }
}

/// `api/v1/models/_message.json.jbuilder`: create response and list items.
/// `echo_id` is transient in Chatwoot, so only the create response has it.
pub(crate) fn message(m: &StoredMessage, conversation_id: u64, with_echo: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(m.id));
    out.insert("content".into(), json!(m.content));
    out.insert("inbox_id".into(), json!(INBOX_ID));
    if with_echo {
        if let Some(echo) = &m.echo_id {
            out.insert("echo_id".into(), echo.clone());
        }
    }
    out.insert("conversation_id".into(), json!(conversation_id));
    out.insert("message_type".into(), json!(m.message_type));
    out.insert("content_type".into(), json!(m.content_type));
    out.insert("status".into(), json!("sent"));
    out.insert("content_attributes".into(), m.content_attributes.clone());
    out.insert("created_at".into(), json!(m.created_at));
    out.insert("private".into(), json!(m.private));
    out.insert("source_id".into(), json!(m.source_id));
    if m.sender != Actor::System {
        out.insert("sender".into(), sender(&m.sender));
    }
    Value::Object(out)
}

/// `Message#push_event_data`, as embedded in conversation payloads.
fn message_event(m: &StoredMessage, conv: &Conversation) -> Value {
    let (sender_type, sender_id) = match &m.sender {
        Actor::Agent(a) => (json!("User"), json!(a.id)),
        Actor::Bot(b) => (json!("AgentBot"), json!(b.id)),
        Actor::Contact => (json!("Contact"), json!(CONTACT_ID)),
        Actor::System => (Value::Null, Value::Null),
    };
    let mut event = json!({
        "id": m.id,
        "content": m.content,
        "account_id": conv.account_id,
        "inbox_id": INBOX_ID,
        "conversation_id": conv.display_id,
        "message_type": m.message_type,
        "created_at": m.created_at,
        "updated_at": iso_from_float(m.updated_at),
        "private": m.private,
        "status": "sent",
        "source_id": m.source_id,
        "content_type": m.content_type,
        "content_attributes": m.content_attributes,
        "sender_type": sender_type,
        "sender_id": sender_id,
        "external_source_ids": {},
        "additional_attributes": {},
        "processed_message_content": m.content,
        "sentiment": {},
        "conversation": {
            "assignee_id": conv.assignee.as_ref().map(Assignee::id),
            "unread_count": 0,
            "last_activity_at": conv.last_activity_at,
            "contact_inbox": { "source_id": conv.uuid() },
        },
        "sender": sender(&m.sender),
    });
    // An activity message has no sender, and no `sender` key.
    if m.sender == Actor::System {
        if let Some(map) = event.as_object_mut() {
            map.remove("sender");
        }
    }
    event
}

/// `api/v1/models/_agent.json.jbuilder` (assignment response, `meta.assignee`).
pub(crate) fn agent(agent: &SimAgent, account_id: u64) -> Value {
    json!({
        "id": agent.id,
        "account_id": account_id,
        "availability_status": "online",
        "auto_offline": true,
        "confirmed": true,
        "email": agent.email,
        "provider": "email",
        "available_name": agent.name,
        "name": agent.name,
        "role": "agent",
        "thumbnail": "",
        "custom_role_id": null,
    })
}

/// `api/v1/models/_agent_bot_slim.json.jbuilder`.
pub(crate) fn agent_bot_slim(bot: &SimAgentBot) -> Value {
    json!({
        "id": bot.id,
        "name": bot.name,
        "description": null,
        "thumbnail": "",
        "outgoing_url": null,
        "bot_type": "webhook",
        "assignee_type": "AgentBot",
    })
}

/// `render json: @team`.
pub(crate) fn team(team: &SimTeam, account_id: u64) -> Value {
    json!({
        "id": team.id,
        "name": team.name,
        "description": null,
        "allow_auto_assign": true,
        "account_id": account_id,
        "created_at": iso_millis(SEEDED_AT),
        "updated_at": iso_millis(SEEDED_AT),
    })
}

fn contact(conv: &Conversation) -> Value {
    json!({
        "additional_attributes": {},
        "availability_status": "offline",
        "email": CONTACT_EMAIL,
        "id": CONTACT_ID,
        "name": CONTACT_NAME,
        "phone_number": null,
        "blocked": false,
        "identifier": null,
        "thumbnail": "",
        "custom_attributes": {},
        "last_activity_at": conv.last_activity_at,
        "created_at": conv.created_at,
    })
}

/// `api/v1/conversations/partials/_conversation.json.jbuilder`
/// (`GET …/conversations/{id}`).
pub(crate) fn conversation(conv: &Conversation) -> Value {
    let mut meta = Map::new();
    meta.insert("sender".into(), contact(conv));
    meta.insert("channel".into(), json!("Channel::WebWidget"));
    match &conv.assignee {
        Some(Assignee::Agent(a)) => {
            meta.insert("assignee".into(), agent(a, conv.account_id));
            meta.insert("assignee_type".into(), json!("User"));
        }
        Some(Assignee::Bot(b)) => {
            meta.insert("assignee".into(), agent_bot_slim(b));
            meta.insert("assignee_type".into(), json!("AgentBot"));
        }
        None => {}
    }
    if let Some(t) = &conv.team {
        meta.insert("team".into(), team(t, conv.account_id));
    }
    meta.insert("hmac_verified".into(), json!(false));

    let last: Vec<Value> = conv
        .messages
        .last()
        .map(|m| message_event(m, conv))
        .into_iter()
        .collect();
    json!({
        "meta": meta,
        "id": conv.display_id,
        "messages": last,
        "account_id": conv.account_id,
        "uuid": conv.uuid(),
        "additional_attributes": {},
        "agent_last_seen_at": 0,
        "assignee_last_seen_at": 0,
        "can_reply": true,
        "contact_last_seen_at": 0,
        "custom_attributes": {},
        "inbox_id": INBOX_ID,
        "labels": conv.labels,
        "muted": false,
        "snoozed_until": conv.snoozed_until.map(iso_millis),
        "status": conv.status,
        "created_at": conv.created_at,
        "updated_at": conv.updated_at,
        "timestamp": conv.last_activity_at,
        "first_reply_created_at": conv.first_reply_created_at.unwrap_or(0),
        "unread_count": 0,
        "last_non_activity_message": conv.last_non_activity().map(|m| message_event(m, conv)),
        "last_activity_at": conv.last_activity_at,
        "priority": conv.priority,
        "waiting_since": 0,
        "sla_policy_id": null,
    })
}

/// `…/conversations/messages/index.json.jbuilder`.
pub(crate) fn messages_index(conv: &Conversation, messages: &[&StoredMessage]) -> Value {
    let mut meta = Map::new();
    meta.insert("labels".into(), json!(conv.labels));
    meta.insert("additional_attributes".into(), json!({}));
    meta.insert("contact".into(), sender(&Actor::Contact));
    if let Some(Assignee::Agent(a)) = &conv.assignee {
        meta.insert("assignee".into(), sender(&Actor::Agent(a.clone())));
    }
    meta.insert("agent_last_seen_at".into(), json!(0));
    let payload: Vec<Value> = messages
        .iter()
        .map(|m| message(m, conv.display_id, false))
        .collect();
    json!({ "meta": meta, "payload": payload })
}

/// `…/conversations/toggle_status.json.jbuilder`.
pub(crate) fn toggle_status(conv: &Conversation, success: Option<bool>) -> Value {
    json!({
        "meta": {},
        "payload": {
            "success": success,
            "conversation_id": conv.display_id,
            "current_status": conv.status,
            "snoozed_until": conv.snoozed_until.map(iso_millis),
        },
    })
}

/// `api/v1/models/_user.json.jbuilder` for `GET /api/v1/profile`.
pub(crate) fn profile(user: &SimAgent, token: &str, accounts: &[&SimAccount]) -> Value {
    let memberships: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.account_id,
                "name": a.name,
                "status": "active",
                "onboarding_step": null,
                "active_at": iso_millis(SEEDED_AT),
                "role": "agent",
                "permissions": ["agent"],
                "availability": "online",
                "availability_status": "online",
                "auto_offline": true,
                "custom_role_id": null,
                "custom_role": null,
            })
        })
        .collect();
    json!({
        "access_token": token,
        "account_id": accounts.first().map(|a| a.account_id),
        "available_name": user.name,
        "avatar_url": "",
        "confirmed": true,
        "display_name": null,
        "message_signature": null,
        "email": user.email,
        "id": user.id,
        "inviter_id": null,
        "name": user.name,
        "provider": "email",
        "pubsub_token": format!("sim-pubsub-{}", user.id),
        "role": "agent",
        "ui_settings": {},
        "uid": user.email,
        "type": null,
        "accounts": memberships,
    })
}

/// `ApiController#index` (`GET /api`).
pub(crate) fn api_info() -> Value {
    json!({
        "version": "4.13.0",
        "timestamp": Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        "queue_services": "ok",
        "data_services": "ok",
    })
}

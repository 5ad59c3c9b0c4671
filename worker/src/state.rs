//! Conversation, contact and message state kept in PostgreSQL from the events, and the bot's standing in each
//! conversation.

use chatwoot::{SenderKind, Webhook};
use deadpool_postgres::GenericClient;

/// Whether the bot may speak in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BotState {
    #[default]
    Active,
    /// The bot handed the conversation to people; silent until it is resolved.
    HandedOff,
    /// A human agent replied publicly; the bot stays out of the way until it is resolved.
    Silenced,
}

impl BotState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::HandedOff => "handed_off",
            Self::Silenced => "silenced",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "handed_off" => Self::HandedOff,
            "silenced" => Self::Silenced,
            _ => Self::Active,
        }
    }
}

/// What the worker remembers of a conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationState {
    pub bot_state: BotState,
    pub labels: Vec<String>,
    pub status: Option<String>,
}

pub async fn load_conversation(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
) -> Result<ConversationState, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT bot_state, labels, status FROM conversations WHERE tenant = $1 AND conversation_id = $2",
            &[&tenant, &to_i64(conversation_id)],
        )
        .await?;
    Ok(
        row.map_or_else(ConversationState::default, |row| ConversationState {
            bot_state: BotState::parse(row.get(0)),
            labels: row.get(1),
            status: row.get(2),
        }),
    )
}

/// Folds one event into the stored state.
pub async fn record(
    client: &impl GenericClient,
    tenant: &str,
    hook: &Webhook,
) -> Result<(), tokio_postgres::Error> {
    if let Some(contact) = contact_of(hook) {
        client
            .execute(
                "INSERT INTO contacts (tenant, contact_id, name, email, phone_number, identifier, custom_attributes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (tenant, contact_id) DO UPDATE SET
                     name = COALESCE(EXCLUDED.name, contacts.name),
                     email = COALESCE(EXCLUDED.email, contacts.email),
                     phone_number = COALESCE(EXCLUDED.phone_number, contacts.phone_number),
                     identifier = COALESCE(EXCLUDED.identifier, contacts.identifier),
                     custom_attributes = EXCLUDED.custom_attributes,
                     updated_at = now()",
                &[
                    &tenant,
                    &to_i64(contact.id),
                    &contact.name,
                    &contact.email,
                    &contact.phone_number,
                    &contact.identifier,
                    &contact.custom_attributes,
                ],
            )
            .await?;
    }
    let Some(conversation_id) = hook.conversation_id() else {
        return Ok(());
    };
    let conversation = if hook.event.starts_with("conversation_")
        && !hook.event.starts_with("conversation_typing")
    {
        ConversationFields {
            inbox_id: hook.inbox_id,
            status: hook.status.clone(),
            priority: hook.priority.clone(),
            labels: hook.labels.clone(),
        }
    } else {
        let c = hook.conversation.clone().unwrap_or_default();
        ConversationFields {
            inbox_id: c.inbox_id,
            status: c.status,
            priority: c.priority,
            labels: c.labels,
        }
    };
    let meta = hook.conversation_meta();
    let assignee = meta
        .and_then(|m| m.assignee.as_ref())
        .and_then(|a| a.id)
        .map(to_i64);
    let team = meta
        .and_then(|m| m.team.as_ref())
        .and_then(|t| t.id)
        .map(to_i64);
    let contact_id = hook.contact_id().map(to_i64);
    let resolved = conversation.status.as_deref() == Some("resolved");
    client
        .execute(
            "INSERT INTO conversations (tenant, conversation_id, inbox_id, contact_id, status, priority, labels,
                                        assignee_id, team_id, last_event_at)
             VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::text[]), $8, $9, now())
             ON CONFLICT (tenant, conversation_id) DO UPDATE SET
                 inbox_id = COALESCE(EXCLUDED.inbox_id, conversations.inbox_id),
                 contact_id = COALESCE(EXCLUDED.contact_id, conversations.contact_id),
                 status = COALESCE(EXCLUDED.status, conversations.status),
                 priority = EXCLUDED.priority,
                 labels = COALESCE($7, conversations.labels),
                 assignee_id = EXCLUDED.assignee_id,
                 team_id = EXCLUDED.team_id,
                 -- Resolving a conversation gives it back to the bot.
                 bot_state = CASE WHEN $10 THEN 'active' ELSE conversations.bot_state END,
                 last_event_at = now(),
                 updated_at = now()",
            &[
                &tenant,
                &to_i64(conversation_id),
                &conversation.inbox_id.map(to_i64),
                &contact_id,
                &conversation.status,
                &conversation.priority,
                &conversation.labels,
                &assignee,
                &team,
                &resolved,
            ],
        )
        .await?;
    if hook.is_message_event() {
        record_message(client, tenant, conversation_id, hook).await?;
    }
    Ok(())
}

struct ConversationFields {
    inbox_id: Option<u64>,
    status: Option<String>,
    priority: Option<String>,
    labels: Option<Vec<String>>,
}

async fn record_message(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    hook: &Webhook,
) -> Result<(), tokio_postgres::Error> {
    let Some(message_id) = hook.id else {
        return Ok(());
    };
    let sender = hook.sender_kind();
    let private = hook.private.unwrap_or(false);
    let message_type = hook.message_type.as_deref().unwrap_or("unknown");
    client
        .execute(
            "INSERT INTO messages (tenant, message_id, conversation_id, message_type, private, sender_kind, sender_id,
                                   content, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
             ON CONFLICT (tenant, message_id) DO UPDATE SET content = EXCLUDED.content",
            &[
                &tenant,
                &to_i64(message_id),
                &to_i64(conversation_id),
                &message_type,
                &private,
                &sender.as_str(),
                &hook.sender.as_ref().and_then(|s| s.id).map(to_i64),
                &hook.content,
            ],
        )
        .await?;
    if hook.event == "message_created" {
        if sender == SenderKind::Contact && message_type == "incoming" {
            client
                .execute(
                    "UPDATE conversations SET first_contact_at = COALESCE(first_contact_at, now())
                     WHERE tenant = $1 AND conversation_id = $2",
                    &[&tenant, &to_i64(conversation_id)],
                )
                .await?;
        }
        // A person answering publicly takes the conversation over: the bot must not talk across them.
        if sender == SenderKind::User && message_type == "outgoing" && !private {
            client
                .execute(
                    "UPDATE conversations SET first_human_reply_at = COALESCE(first_human_reply_at, now()),
                         bot_state = CASE WHEN bot_state = 'active' THEN 'silenced' ELSE bot_state END
                     WHERE tenant = $1 AND conversation_id = $2",
                    &[&tenant, &to_i64(conversation_id)],
                )
                .await?;
        }
    }
    Ok(())
}

struct ContactFields<'a> {
    id: u64,
    name: &'a Option<String>,
    email: &'a Option<String>,
    phone_number: &'a Option<String>,
    identifier: &'a Option<String>,
    custom_attributes: serde_json::Value,
}

fn contact_of(hook: &Webhook) -> Option<ContactFields<'_>> {
    if hook.event.starts_with("contact_") {
        return Some(ContactFields {
            id: hook.id?,
            name: &hook.name,
            email: &hook.email,
            phone_number: &hook.phone_number,
            identifier: &hook.identifier,
            custom_attributes: hook
                .custom_attributes
                .clone()
                .unwrap_or_else(|| serde_json::json!({})),
        });
    }
    if hook.is_message_event() && hook.sender_kind() == SenderKind::Contact {
        return hook.sender.as_ref().and_then(contact_from_sender);
    }
    None
}

fn contact_from_sender(s: &chatwoot::webhook::Sender) -> Option<ContactFields<'_>> {
    Some(ContactFields {
        id: s.id?,
        name: &s.name,
        email: &s.email,
        phone_number: &s.phone_number,
        identifier: &s.identifier,
        custom_attributes: s
            .custom_attributes
            .clone()
            .unwrap_or_else(|| serde_json::json!({})),
    })
}

/// Chatwoot ids fit in i64 (PostgreSQL bigint); saturate rather than wrap on nonsense input.
pub fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

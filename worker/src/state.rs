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
    /// Facts rules test once per conversation (see `conversation_flags`).
    pub flags: Vec<String>,
}

pub async fn load_conversation(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
) -> Result<ConversationState, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT bot_state, labels, status,
                    ARRAY(SELECT flag FROM conversation_flags f
                          WHERE f.tenant = c.tenant AND f.conversation_id = c.conversation_id)
             FROM conversations c WHERE tenant = $1 AND conversation_id = $2",
            &[&tenant, &to_i64(conversation_id)],
        )
        .await?;
    Ok(
        row.map_or_else(ConversationState::default, |row| ConversationState {
            bot_state: BotState::parse(row.get(0)),
            labels: row.get(1),
            status: row.get(2),
            flags: row.get(3),
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
    // Resolving a conversation, or putting it back to pending (the agent-bot convention for "bot, take over"),
    // gives it back to the bot. Only explicit status events count: the status embedded in a message webhook may
    // predate the bot's own handoff.
    let handed_back = matches!(
        hook.event.as_str(),
        "conversation_status_changed" | "conversation_resolved"
    ) && matches!(conversation.status.as_deref(), Some("resolved" | "pending"));
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
                &handed_back,
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
        // A person answering publicly takes the conversation over: the bot must not talk across them. The
        // pipeline's own messages come back as the token's owner (a user, with a user token): not a person.
        if sender == SenderKind::User
            && message_type == "outgoing"
            && !private
            && !hook.is_own_message()
        {
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

/// Applies what the decision changed about the conversation, inside the event's transaction.
pub async fn apply_decision(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    message_id: Option<u64>,
    bot_state: Option<BotState>,
    new_flags: &[String],
    triage: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    let conversation = to_i64(conversation_id);
    if let Some(state) = bot_state {
        client
            .execute(
                "UPDATE conversations SET bot_state = $3, updated_at = now() WHERE tenant = $1 AND conversation_id = $2",
                &[&tenant, &conversation, &state.as_str()],
            )
            .await?;
    }
    for flag in new_flags {
        client
            .execute(
                "INSERT INTO conversation_flags (tenant, conversation_id, flag) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&tenant, &conversation, flag],
            )
            .await?;
    }
    if let Some(message_id) = message_id {
        client
            .execute(
                "UPDATE messages SET triage = $3 WHERE tenant = $1 AND message_id = $2",
                &[&tenant, &to_i64(message_id), triage],
            )
            .await?;
    }
    Ok(())
}

/// The next agent of a shared round-robin rotation (one counter per tenant and rule, advanced atomically).
pub async fn next_in_rotation(
    client: &impl GenericClient,
    tenant: &str,
    rule: &str,
    agents: &[u64],
) -> Result<Option<u64>, tokio_postgres::Error> {
    if agents.is_empty() {
        return Ok(None);
    }
    let row = client
        .query_one(
            "INSERT INTO round_robin (tenant, rule, next) VALUES ($1, $2, 1)
             ON CONFLICT (tenant, rule) DO UPDATE SET next = round_robin.next + 1
             RETURNING next - 1",
            &[&tenant, &rule],
        )
        .await?;
    let position: i64 = row.get(0);
    let len = i64::try_from(agents.len()).unwrap_or(1);
    Ok(agents
        .get(usize::try_from(position.rem_euclid(len)).unwrap_or(0))
        .copied())
}

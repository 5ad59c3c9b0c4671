//! Conversation, contact and message state kept in PostgreSQL from the events, and the bot's standing in each
//! conversation.

use chatwoot::{SenderKind, Webhook};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use deadpool_postgres::GenericClient;

pub use rules::conversation::{BotState, ConversationState};

/// Each key is looked up through the primary key, the only index whose use no lookup by key can avoid (V19 makes
/// the others that start with the tenant partial): a plain join on `unnest` gets a cached generic plan that scans
/// the whole table. The arrays come as `(SELECT $n)` so that the generic plan is kept rather than planning every
/// batch again (see `infra::db`'s `PREFER_INDEXES`). Public for the test that checks the plans of the hot
/// statements.
pub const LOAD_CONVERSATIONS: &str = "
    SELECT c.tenant, c.conversation_id, c.bot_state, c.labels, c.status, c.action_seq,
           ARRAY(SELECT flag FROM conversation_flags f
                 WHERE f.tenant = c.tenant AND f.conversation_id = c.conversation_id),
           COALESCE((SELECT true FROM drafts d
                     WHERE d.tenant = c.tenant AND d.conversation_id = c.conversation_id
                       AND d.status = 'pending'
                     LIMIT 1), false)
    FROM unnest((SELECT $1::text[]), (SELECT $2::bigint[])) AS k(tenant, conversation_id)
    CROSS JOIN LATERAL (SELECT * FROM conversations c
                        WHERE c.tenant = k.tenant AND c.conversation_id = k.conversation_id
                        LIMIT 1) c";

/// The stored state of each `(tenant, conversation)` asked for; conversations never seen are absent.
pub async fn load_conversations(
    client: &impl GenericClient,
    keys: &[(&str, u64)],
) -> Result<HashMap<(String, u64), ConversationState>, tokio_postgres::Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let statement = client.prepare_cached(LOAD_CONVERSATIONS).await?;
    let tenants: Vec<&str> = keys.iter().map(|(tenant, _)| *tenant).collect();
    let conversations: Vec<i64> = keys.iter().map(|(_, id)| to_i64(*id)).collect();
    let rows = client
        .query(&statement, &[&tenants, &conversations])
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let id: i64 = row.get(1);
            let state = ConversationState {
                bot_state: BotState::parse(row.get(2)),
                labels: row.get(3),
                status: row.get(4),
                action_seq: u64::try_from(row.get::<_, i64>(5)).unwrap_or(0),
                flags: row.get(6),
                pending_drafts: row.get(7),
            };
            ((row.get(0), u64::try_from(id).unwrap_or_default()), state)
        })
        .collect())
}

/// What deciding about a customer message changed, written with the event.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub triage: &'a serde_json::Value,
    pub bot_state: Option<BotState>,
    pub new_flags: &'a [String],
}

/// Folds one event, and what was decided about it, into the stored state: one statement per table it touches,
/// except its message and its contact, which join `rows` for the batch's [`write_batch_rows`].
/// `historical`: when the event happened, for an event rebuilt from Chatwoot's history (`cwctl backfill`);
/// its times are then the event's own rather than now, and it does not mark the conversation as live.
pub async fn record(
    client: &impl GenericClient,
    tenant: &str,
    hook: &Webhook,
    decided: Option<Decided<'_>>,
    historical: Option<DateTime<Utc>>,
    last_action_seq: Option<u64>,
    rows: &BatchRows,
) -> Result<bool, tokio_postgres::Error> {
    if let Some(contact) = crate::contacts::row_of(tenant, hook) {
        rows.contacts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(contact);
    }
    let Some(conversation_id) = hook.conversation_id() else {
        return Ok(false);
    };
    record_conversation(
        client,
        tenant,
        conversation_id,
        hook,
        decided,
        historical,
        last_action_seq,
    )
    .await?;
    if hook.is_message_event() {
        if let Some(row) = message_row(tenant, conversation_id, hook, decided, historical) {
            rows.messages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(row);
        }
    }
    if let Some(decided) = decided {
        record_flags(client, tenant, conversation_id, decided.new_flags).await?;
    }
    Ok(true)
}

async fn record_conversation(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    hook: &Webhook,
    decided: Option<Decided<'_>>,
    historical: Option<DateTime<Utc>>,
    last_action_seq: Option<u64>,
) -> Result<(), tokio_postgres::Error> {
    let conversation = if hook.event.starts_with("conversation_")
        && !hook.event.starts_with("conversation_typing")
    {
        ConversationFields {
            inbox_id: hook.inbox_id,
            status: hook.status.as_deref(),
            priority: hook.priority.as_deref(),
            labels: hook.labels.as_deref(),
        }
    } else {
        let c = hook.conversation.as_ref();
        ConversationFields {
            inbox_id: c.and_then(|c| c.inbox_id),
            status: c.and_then(|c| c.status.as_deref()),
            priority: c.and_then(|c| c.priority.as_deref()),
            labels: c.and_then(|c| c.labels.as_deref()),
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
    ) && matches!(conversation.status, Some("resolved" | "pending"));
    let message = MessageFacts::of(hook);
    let decided_state = decided.and_then(|d| d.bot_state).map(BotState::as_str);
    let statement = client
        .prepare_cached(
            "INSERT INTO conversations (tenant, conversation_id, inbox_id, contact_id, status, priority, labels,
                                        assignee_id, team_id, last_event_at, first_contact_at,
                                        first_human_reply_at, bot_state, categories, escalation, language, search,
                                        live_since, action_seq)
             VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::text[]), $8, $9, COALESCE($18, now()),
                     CASE WHEN $11 THEN COALESCE($18, now()) END, CASE WHEN $12 THEN COALESCE($18, now()) END,
                     COALESCE($13, CASE WHEN $12 THEN 'silenced' ELSE 'active' END),
                     COALESCE($14::text[], '{}'::text[]), $15, $16,
                     COALESCE(strip(to_tsvector('simple', $17::text)), ''::tsvector),
                     CASE WHEN $18::timestamptz IS NULL THEN now() END, COALESCE($19::bigint, 0))
             ON CONFLICT (tenant, conversation_id) DO UPDATE SET
                 inbox_id = COALESCE(EXCLUDED.inbox_id, conversations.inbox_id),
                 contact_id = COALESCE(EXCLUDED.contact_id, conversations.contact_id),
                 status = COALESCE(EXCLUDED.status, conversations.status),
                 priority = EXCLUDED.priority,
                 labels = COALESCE($7, conversations.labels),
                 assignee_id = EXCLUDED.assignee_id,
                 team_id = EXCLUDED.team_id,
                 bot_state = CASE
                     WHEN $13::text IS NOT NULL THEN $13
                     WHEN $10 THEN 'active'
                     WHEN $12 AND conversations.bot_state = 'active' THEN 'silenced'
                     ELSE conversations.bot_state END,
                 first_contact_at = CASE WHEN $11 THEN COALESCE(conversations.first_contact_at, $18, now())
                                         ELSE conversations.first_contact_at END,
                 first_human_reply_at = CASE WHEN $12 THEN COALESCE(conversations.first_human_reply_at, $18, now())
                                             ELSE conversations.first_human_reply_at END,
                 categories = CASE WHEN $14::text[] IS NULL THEN conversations.categories
                                   ELSE ARRAY(SELECT DISTINCT c FROM unnest(conversations.categories || $14) c
                                              ORDER BY c) END,
                 escalation = COALESCE($15, conversations.escalation),
                 language = COALESCE($16, conversations.language),
                 search = CASE WHEN $17::text IS NULL OR length(conversations.search) >= 50000
                               THEN conversations.search
                               ELSE strip(conversations.search || to_tsvector('simple', $17::text)) END,
                 last_event_at = GREATEST(conversations.last_event_at, COALESCE($18, now())),
                 live_since = COALESCE(conversations.live_since, CASE WHEN $18::timestamptz IS NULL THEN now() END),
                 -- In this statement rather than an update of its own: a second version of the row in the same
                 -- transaction rewrote every index of the table (the GIN ones too) and was the costliest
                 -- statement of the whole pipeline.
                 action_seq = GREATEST(conversations.action_seq, COALESCE($19::bigint, 0)),
                 updated_at = now()
             -- History reaching a conversation already seen live is older than what the live events said.
             WHERE $18::timestamptz IS NULL OR conversations.live_since IS NULL",
        )
        .await?;
    // What the conversation is about, from the customer message's triage: its categories add to those seen
    // before, an escalation sticks (the API's filters read these).
    let triage = decided.map(|d| d.triage);
    let categories: Option<Vec<&str>> = triage.map(|t| {
        t["categories"]
            .as_array()
            .map(|c| c.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default()
    });
    let escalation = triage.and_then(|t| t["escalate"].as_str());
    let language = triage.and_then(|t| t["language"].as_str());
    // The words of a message join the conversation's search document (the API's full-text filter), as the
    // message is stored (an e-mail without its quoted history).
    let words = (hook.is_message_event() && hook.id.is_some())
        .then(|| hook.content.as_ref().map(|_| hook.customer_text()))
        .flatten();
    client
        .execute(
            &statement,
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
                &message.first_contact,
                &message.human_reply,
                &decided_state,
                &categories,
                &escalation,
                &language,
                &words.as_deref(),
                &historical,
                &last_action_seq.map(to_i64),
            ],
        )
        .await?;
    Ok(())
}

/// What a new message says about its conversation's timeline.
struct MessageFacts {
    /// A customer wrote: the first-reply SLA clock starts (once).
    first_contact: bool,
    /// A person answered publicly and takes the conversation over: the bot must not talk across them. The
    /// pipeline's own messages come back as the token's owner (a user, with a user token): not a person.
    human_reply: bool,
}

impl MessageFacts {
    fn of(hook: &Webhook) -> Self {
        let created =
            hook.is_message_event() && hook.event == "message_created" && hook.id.is_some();
        let sender = hook.sender_kind();
        let message_type = hook.message_type.as_deref().unwrap_or("unknown");
        Self {
            first_contact: created && sender == SenderKind::Contact && message_type == "incoming",
            human_reply: created
                && sender == SenderKind::User
                && message_type == "outgoing"
                && !hook.private.unwrap_or(false)
                && !hook.is_own_message(),
        }
    }
}

struct ConversationFields<'a> {
    inbox_id: Option<u64>,
    status: Option<&'a str>,
    priority: Option<&'a str>,
    labels: Option<&'a [String]>,
}

/// A message row to insert, collected per batch: one statement writes the batch's messages (a batch never holds
/// two events of one conversation, so never two copies of one message).
#[derive(Debug)]
pub struct MessageRow {
    tenant: String,
    message_id: i64,
    conversation_id: i64,
    message_type: String,
    private: bool,
    sender_kind: &'static str,
    sender_id: Option<i64>,
    content: Option<String>,
    triage: Option<serde_json::Value>,
    content_type: String,
    sender_name: Option<String>,
    own: bool,
    created_at: Option<DateTime<Utc>>,
}

/// Rows the events of a batch collect while [`record`] runs for each, written by [`write_batch_rows`] after all:
/// one statement per table instead of one per event.
#[derive(Default)]
pub struct BatchRows {
    messages: std::sync::Mutex<Vec<MessageRow>>,
    contacts: std::sync::Mutex<Vec<crate::contacts::ContactRow>>,
}

/// Writes what the batch's events collected, the two statements pipelined on the one connection.
pub async fn write_batch_rows(
    client: &impl GenericClient,
    rows: BatchRows,
) -> Result<(), tokio_postgres::Error> {
    let messages = rows
        .messages
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let contacts = rows
        .contacts
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    futures::try_join!(
        crate::contacts::upsert(client, contacts),
        insert_messages(client, messages)
    )?;
    Ok(())
}

fn message_row(
    tenant: &str,
    conversation_id: u64,
    hook: &Webhook,
    decided: Option<Decided<'_>>,
    historical: Option<DateTime<Utc>>,
) -> Option<MessageRow> {
    let message_id = hook.id?;
    Some(MessageRow {
        tenant: tenant.to_owned(),
        message_id: to_i64(message_id),
        conversation_id: to_i64(conversation_id),
        message_type: hook.message_type.as_deref().unwrap_or("unknown").to_owned(),
        private: hook.private.unwrap_or(false),
        sender_kind: hook.sender_kind().as_str(),
        sender_id: hook.sender.as_ref().and_then(|s| s.id).map(to_i64),
        // What the customer wrote: an e-mail is stored without its quoted history (the LLM's history reads this
        // column; the conversation's search document gets the same text).
        content: hook
            .content
            .as_ref()
            .map(|_| hook.customer_text().into_owned()),
        triage: decided.map(|d| d.triage.clone()),
        content_type: hook.content_type.as_deref().unwrap_or("text").to_owned(),
        sender_name: hook.sender.as_ref().and_then(|s| s.name.clone()),
        own: hook.is_own_message(),
        created_at: historical,
    })
}

/// Inserts the batch's messages in one statement (a redelivered message updates its content and keeps its
/// triage unless a new one was made).
async fn insert_messages(
    client: &impl GenericClient,
    rows: Vec<MessageRow>,
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let statement = client.prepare_cached(INSERT_MESSAGES).await?;
    let mut c = MessageColumns::default();
    for row in rows {
        c.tenants.push(row.tenant);
        c.message_ids.push(row.message_id);
        c.conversation_ids.push(row.conversation_id);
        c.message_types.push(row.message_type);
        c.privates.push(row.private);
        c.sender_kinds.push(row.sender_kind);
        c.sender_ids.push(row.sender_id);
        c.contents.push(row.content);
        c.created_at.push(row.created_at);
        c.triages.push(row.triage);
        c.content_types.push(row.content_type);
        c.sender_names.push(row.sender_name);
        c.own.push(row.own);
    }
    client
        .execute(
            &statement,
            &[
                &c.tenants,
                &c.message_ids,
                &c.conversation_ids,
                &c.message_types,
                &c.privates,
                &c.sender_kinds,
                &c.sender_ids,
                &c.contents,
                &c.created_at,
                &c.triages,
                &c.content_types,
                &c.sender_names,
                &c.own,
            ],
        )
        .await?;
    Ok(())
}

#[derive(Default)]
struct MessageColumns {
    tenants: Vec<String>,
    message_ids: Vec<i64>,
    conversation_ids: Vec<i64>,
    message_types: Vec<String>,
    privates: Vec<bool>,
    sender_kinds: Vec<&'static str>,
    sender_ids: Vec<Option<i64>>,
    contents: Vec<Option<String>>,
    created_at: Vec<Option<DateTime<Utc>>>,
    triages: Vec<Option<serde_json::Value>>,
    content_types: Vec<String>,
    sender_names: Vec<Option<String>>,
    own: Vec<bool>,
}

/// Public for the test that checks the plans of the hot statements.
pub const INSERT_MESSAGES: &str = "
    INSERT INTO messages (tenant, message_id, conversation_id, message_type, private, sender_kind, sender_id,
                          content, created_at, triage, content_type, sender_name, own)
    SELECT t, m, c, mt, p, sk, si, co, COALESCE(ca, now()), tr, ct, sn, o
    FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bool[], $6::text[], $7::bigint[],
                $8::text[], $9::timestamptz[], $10::jsonb[], $11::text[], $12::text[], $13::bool[])
         AS r(t, m, c, mt, p, sk, si, co, ca, tr, ct, sn, o)
    ON CONFLICT (tenant, message_id) DO UPDATE SET
        content = EXCLUDED.content,
        triage = COALESCE(EXCLUDED.triage, messages.triage)";

async fn record_flags(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    flags: &[String],
) -> Result<(), tokio_postgres::Error> {
    if flags.is_empty() {
        return Ok(());
    }
    let statement = client
        .prepare_cached(
            "INSERT INTO conversation_flags (tenant, conversation_id, flag)
             SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
        )
        .await?;
    client
        .execute(&statement, &[&tenant, &to_i64(conversation_id), &flags])
        .await?;
    Ok(())
}

/// What an applied API command changes in the conversation's state: the bot's standing (an escalation hands
/// off, an agent's public reply silences it) and the first human reply (an agent's reply posted by the pipeline
/// comes back from Chatwoot as the pipeline's own message, so it is noted here).
pub async fn after_command(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    bot_state: Option<BotState>,
    human_reply: bool,
    last_action_seq: Option<u64>,
) -> Result<(), tokio_postgres::Error> {
    if bot_state.is_none() && !human_reply && last_action_seq.is_none() {
        return Ok(());
    }
    let statement = client
        .prepare_cached(
            "UPDATE conversations SET
                 bot_state = COALESCE($3, bot_state),
                 first_human_reply_at = CASE WHEN $4 THEN COALESCE(first_human_reply_at, now())
                                             ELSE first_human_reply_at END,
                 action_seq = GREATEST(action_seq, COALESCE($5::bigint, 0)),
                 updated_at = now()
             WHERE tenant = $1 AND conversation_id = $2",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &tenant,
                &to_i64(conversation_id),
                &bot_state.map(BotState::as_str),
                &human_reply,
                &last_action_seq.map(to_i64),
            ],
        )
        .await?;
    Ok(())
}

/// Records the sequence number of the conversation's last action, in the transaction that stores the actions
/// (the conversation's events are processed one at a time, so the number read with its state is still the
/// last one).
pub async fn record_action_seq(
    client: &impl GenericClient,
    tenant: &str,
    conversation_id: u64,
    last: u64,
) -> Result<(), tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "UPDATE conversations SET action_seq = GREATEST(action_seq, $3)
             WHERE tenant = $1 AND conversation_id = $2",
        )
        .await?;
    client
        .execute(
            &statement,
            &[&tenant, &to_i64(conversation_id), &to_i64(last)],
        )
        .await?;
    Ok(())
}

/// Chatwoot ids fit in i64 (PostgreSQL bigint); saturate rather than wrap on nonsense input.
pub fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Advances a round-robin rotation shared by every worker (one counter per tenant and rule) by `count` places and
/// returns the first position taken. Runs in the transaction that records the events it assigns, so a rolled
/// back batch gives its places back.
pub async fn advance_rotation(
    client: &impl GenericClient,
    tenant: &str,
    rule: &str,
    count: usize,
) -> Result<i64, tokio_postgres::Error> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let statement = client
        .prepare_cached(
            "INSERT INTO round_robin (tenant, rule, next) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, rule) DO UPDATE SET next = round_robin.next + $3
             RETURNING next - $3",
        )
        .await?;
    let row = client
        .query_one(&statement, &[&tenant, &rule, &count])
        .await?;
    Ok(row.get(0))
}

/// The agent at `position` of a rotation (positions wrap around the list).
pub fn pick(agents: &[u64], position: i64) -> Option<u64> {
    let len = i64::try_from(agents.len()).ok().filter(|&n| n > 0)?;
    agents
        .get(usize::try_from(position.rem_euclid(len)).ok()?)
        .copied()
}

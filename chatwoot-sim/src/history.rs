//! A seeded history and the listing endpoints that serve it: `GET …/conversations` (Chatwoot's
//! `ConversationFinder`: `status`, `sort_by`, `page`, 25 per page, `{"data":{"meta":{counts},"payload":[…]}}`),
//! while `GET …/conversations/{id}/messages` pages through the seeded messages like `MessageFinder`
//! (see `routes::list_messages`). `cwctl backfill` reads a tenant's history through these.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::SimAgent;
use crate::model::{Actor, Assignee, Conversation, StoredMessage, STATUSES};
use crate::request::{authenticate, error, json_response, not_found, ApiResult};
use crate::routes::App;
use crate::state::Inner;
use crate::views;

/// Page size of Chatwoot's conversation list (kaminari's default in `ConversationFinder`).
pub const CONVERSATIONS_PAGE: usize = 25;

/// One conversation of a seeded history (`POST /__sim/accounts/{id}/history`, [`crate::SimState::seed_history`]).
#[derive(Debug, Clone, Deserialize)]
pub struct SeedConversation {
    /// The display id.
    pub id: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// Current status: open, resolved, pending or snoozed.
    #[serde(default = "open")]
    pub status: String,
    /// The assigned agent's user id (an id the account does not know becomes an agent named after it).
    #[serde(default)]
    pub assignee_id: Option<u64>,
    #[serde(default)]
    pub team_id: Option<u64>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub priority: Option<String>,
    /// Oldest first.
    #[serde(default)]
    pub messages: Vec<SeedMessage>,
}

fn open() -> String {
    "open".to_owned()
}

/// One message of a seeded conversation.
#[derive(Debug, Clone, Deserialize)]
pub struct SeedMessage {
    /// Message id; default: the simulator's next id. Ids must grow with time, as Chatwoot's do.
    #[serde(default)]
    pub id: Option<u64>,
    /// 0 incoming, 1 outgoing, 2 activity, 3 template.
    pub message_type: u8,
    #[serde(default)]
    pub content: String,
    /// Unix seconds.
    pub created_at: i64,
    #[serde(default)]
    pub private: bool,
    #[serde(default = "text")]
    pub content_type: String,
    #[serde(default)]
    pub content_attributes: Option<Value>,
    /// `contact`, `user` (with `sender_id`), `agent_bot`; absent for activity messages (no sender).
    #[serde(default)]
    pub sender_type: Option<String>,
    #[serde(default)]
    pub sender_id: Option<u64>,
}

fn text() -> String {
    "text".to_owned()
}

impl Inner {
    /// Adds (or replaces) conversations with their messages. Fails without changing anything on a bad status,
    /// sender or message order.
    pub(crate) fn seed_history(
        &mut self,
        account_id: u64,
        seed: Vec<SeedConversation>,
    ) -> Result<usize, String> {
        let Some(account) = self.accounts.get(&account_id).cloned() else {
            return Err(format!("unknown account {account_id}"));
        };
        for c in &seed {
            if !STATUSES.contains(&c.status.as_str()) {
                return Err(format!(
                    "conversation {}: unknown status `{}`",
                    c.id, c.status
                ));
            }
            let mut previous: Option<(i64, Option<u64>)> = None;
            for m in &c.messages {
                if m.message_type > 3 {
                    return Err(format!(
                        "conversation {}: message_type {}",
                        c.id, m.message_type
                    ));
                }
                if let Some((at, id)) = previous {
                    if m.created_at < at || matches!((id, m.id), (Some(a), Some(b)) if b <= a) {
                        return Err(format!("conversation {}: messages out of order", c.id));
                    }
                }
                previous = Some((m.created_at, m.id));
            }
        }
        let count = seed.len();
        for c in seed {
            let agent = |id: u64| {
                account
                    .agents
                    .iter()
                    .find(|a| a.id == id)
                    .cloned()
                    .unwrap_or_else(|| SimAgent {
                        id,
                        name: format!("Agent {id}"),
                        email: format!("agent{id}@sim.example"),
                    })
            };
            let mut conv = Conversation::new(account_id, c.id, &c.status);
            conv.created_at = c.created_at;
            conv.last_activity_at = c.created_at;
            conv.updated_at = c.created_at as f64;
            conv.labels = c.labels;
            conv.priority = c.priority;
            conv.assignee = c.assignee_id.map(|id| Assignee::Agent(agent(id)));
            conv.team = c.team_id.map(|id| {
                account
                    .teams
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
                    .unwrap_or(crate::SimTeam {
                        id,
                        name: format!("team {id}"),
                    })
            });
            for m in c.messages {
                let id = match m.id {
                    Some(id) => {
                        self.next_message_id = self.next_message_id.max(id + 1);
                        id
                    }
                    None => self.next_message_id(),
                };
                let sender = match (m.sender_type.as_deref(), m.sender_id) {
                    (Some("contact" | "Contact"), _) => Actor::Contact,
                    (Some("user" | "User"), Some(id)) => Actor::Agent(agent(id)),
                    (Some("agent_bot" | "AgentBot"), _) => Actor::Bot(account.agent_bot.clone()),
                    _ if m.message_type == 2 => Actor::System,
                    (_, _) if m.message_type == 0 => Actor::Contact,
                    _ => Actor::Agent(agent(
                        m.sender_id
                            .unwrap_or(crate::state::account_user(&account).id),
                    )),
                };
                let message = StoredMessage {
                    id,
                    content: m.content,
                    message_type: m.message_type,
                    content_type: m.content_type,
                    content_attributes: m.content_attributes.unwrap_or_else(|| json!({})),
                    private: m.private,
                    source_id: None,
                    echo_id: None,
                    created_at: m.created_at,
                    updated_at: m.created_at as f64,
                    sender,
                };
                conv.push_message(message);
                conv.updated_at = conv.last_activity_at as f64;
            }
            self.missing.remove(&(account_id, c.id));
            self.conversations.insert((account_id, c.id), conv);
        }
        Ok(count)
    }
}

/// `GET /api/v1/accounts/{account_id}/conversations`: `status` (default `open`, `all` for every status),
/// `sort_by` (`last_activity_at_desc` by default, `created_at_asc|desc`, `last_activity_at_asc`), `page`.
/// Bots may not list conversations.
pub(crate) async fn list_conversations(
    State(app): State<App>,
    Path(account): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult {
    let inner = app.sim.lock();
    let owner = authenticate(&inner, &headers, false)?;
    let account_id = account
        .parse::<u64>()
        .ok()
        .filter(|id| inner.accounts.contains_key(id))
        .ok_or_else(not_found)?;
    if !owner.accounts.contains(&account_id) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "You are not authorized to access this account",
        ));
    }
    let status = query.get("status").map_or("open", String::as_str);
    let page = query
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let mut matching: Vec<&Conversation> = inner
        .conversations
        .values()
        .filter(|c| c.account_id == account_id)
        .filter(|c| !inner.missing.contains(&(account_id, c.display_id)))
        .filter(|c| status == "all" || c.status == status)
        .collect();
    let me = match &owner.actor {
        Actor::Agent(agent) => Some(agent.id),
        _ => None,
    };
    let assigned = matching.iter().filter(|c| c.assignee.is_some()).count();
    let mine = matching
        .iter()
        .filter(|c| me.is_some() && c.assignee.as_ref().map(Assignee::id) == me)
        .count();
    let all = matching.len();
    let sort_by = query
        .get("sort_by")
        .map_or("last_activity_at_desc", String::as_str);
    match sort_by {
        "created_at_asc" => matching.sort_by_key(|c| (c.created_at, c.display_id)),
        "created_at_desc" => matching.sort_by_key(|c| {
            (
                std::cmp::Reverse(c.created_at),
                std::cmp::Reverse(c.display_id),
            )
        }),
        "last_activity_at_asc" => matching.sort_by_key(|c| (c.last_activity_at, c.display_id)),
        _ => matching.sort_by_key(|c| {
            (
                std::cmp::Reverse(c.last_activity_at),
                std::cmp::Reverse(c.display_id),
            )
        }),
    }
    let payload: Vec<Value> = matching
        .iter()
        .skip((page - 1) * CONVERSATIONS_PAGE)
        .take(CONVERSATIONS_PAGE)
        .map(|c| views::conversation(c))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "data": {
                "meta": {
                    "mine_count": mine,
                    "assigned_count": assigned,
                    "unassigned_count": all - assigned,
                    "all_count": all,
                },
                "payload": payload,
            }
        }),
    ))
}

//! Shared simulator state and the handle tests use to inspect and steer it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::Method;
use serde::Serialize;
use serde_json::Value;

use crate::config::{SimAccount, SimAgent, SimConfig};
use crate::faults::{self, Fault, FaultBehaviour, XorShift};
use crate::model::{Actor, Conversation, StoredMessage};
use crate::views;

/// One HTTP request the simulator received (control requests under `/__sim/`
/// are not recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Arrival order, starting at 1; survives [`SimState::reset`] without reuse.
    pub seq: u64,
    /// HTTP method.
    pub method: Method,
    /// Path without query string.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers by lowercased name; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// Raw request body.
    pub body: Bytes,
    /// When the request arrived.
    pub received_at: DateTime<Utc>,
    /// Status sent back; `None` while in flight or when the connection was
    /// closed without a response.
    pub status: Option<u16>,
    /// Whether an injected fault answered it.
    pub fault: bool,
}

impl RecordedRequest {
    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as UTF-8 text, if it is valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The path with numeric segments replaced by placeholders, e.g.
    /// `/api/v1/accounts/{account_id}/conversations/{id}/messages`.
    pub fn path_template(&self) -> String {
        path_template(&self.path)
    }
}

pub(crate) fn path_template(path: &str) -> String {
    let mut previous = "";
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let templated = if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                if previous == "accounts" {
                    "{account_id}"
                } else {
                    "{id}"
                }
            } else {
                segment
            };
            previous = segment;
            templated
        })
        .collect();
    segments.join("/")
}

/// Request counts, as served by `GET /__sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Requests recorded since the last reset.
    pub total: u64,
    /// How many of them an injected fault answered.
    pub faults: u64,
    /// `"METHOD /path/{template}"` -> status (or `"none"`) -> count.
    pub by_route: BTreeMap<String, BTreeMap<String, u64>>,
}

pub(crate) struct Inner {
    pub config: SimConfig,
    pub accounts: BTreeMap<u64, SimAccount>,
    pub conversations: HashMap<(u64, u64), Conversation>,
    pub missing: HashSet<(u64, u64)>,
    pub requests: Vec<RecordedRequest>,
    pub next_seq: u64,
    pub next_message_id: u64,
    pub faults: Vec<Fault>,
    pub rng: XorShift,
    pub request_delay: Option<Duration>,
    /// Dashboard apps by account, in creation order (see `dashboard_apps.rs`).
    pub dashboard_apps: Vec<(u64, Value)>,
    /// What the other platforms' write endpoints stored, by `"{platform}:{conversation}"`, oldest first, in each
    /// platform's own shape (see `platforms.rs`).
    pub platform_threads: HashMap<String, Vec<Value>>,
}

/// What a token authenticates as.
pub(crate) struct TokenOwner {
    pub actor: Actor,
    /// Accounts the token is valid for.
    pub accounts: Vec<u64>,
}

impl Inner {
    fn new(config: SimConfig) -> Self {
        Self {
            accounts: config
                .accounts
                .iter()
                .map(|a| (a.account_id, a.clone()))
                .collect(),
            conversations: HashMap::new(),
            missing: HashSet::new(),
            requests: Vec::new(),
            next_seq: 1,
            next_message_id: 1,
            faults: Vec::new(),
            rng: XorShift::new(config.seed),
            request_delay: config.request_delay,
            dashboard_apps: Vec::new(),
            platform_threads: HashMap::new(),
            config,
        }
    }

    fn reset(&mut self) {
        let next_seq = self.next_seq;
        *self = Self::new(self.config.clone());
        // In-flight requests still update their record by seq, so never reuse one.
        self.next_seq = next_seq;
    }

    pub(crate) fn token_owner(&self, token: &str) -> Option<TokenOwner> {
        let mut actor = None;
        let mut accounts = Vec::new();
        for account in self.accounts.values() {
            let personal = account
                .agent_tokens
                .iter()
                .find(|(t, _)| t == token)
                .and_then(|(_, id)| account.agents.iter().find(|a| a.id == *id));
            let found = if let Some(agent) = personal {
                Some(Actor::Agent(agent.clone()))
            } else if account.api_tokens.iter().any(|t| t == token) {
                Some(Actor::Agent(account_user(account)))
            } else if account.bot_tokens.iter().any(|t| t == token) {
                Some(Actor::Bot(account.agent_bot.clone()))
            } else {
                None
            };
            if let Some(found) = found {
                actor.get_or_insert(found);
                accounts.push(account.account_id);
            }
        }
        actor.map(|actor| TokenOwner { actor, accounts })
    }

    pub(crate) fn conversation(&mut self, account_id: u64, id: u64) -> &mut Conversation {
        let status = &self.config.initial_status;
        self.conversations
            .entry((account_id, id))
            .or_insert_with(|| Conversation::new(account_id, id, status))
    }

    pub(crate) fn next_message_id(&mut self) -> u64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }
}

/// The user a user token belongs to: the account's first agent.
pub(crate) fn account_user(account: &SimAccount) -> SimAgent {
    account.agents.first().cloned().unwrap_or_else(|| SimAgent {
        id: 1,
        name: "Simulated User".to_owned(),
        email: "user@sim.example".to_owned(),
    })
}

/// Cloneable, thread-safe handle on a simulator's state.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState").finish_non_exhaustive()
    }
}

impl SimState {
    /// Fresh state for `config`.
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::new(config))),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not take every later assertion down with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Recorded requests with `method` (case-insensitive) whose path ends with `path_suffix`.
    pub fn requests_matching(&self, method: &str, path_suffix: &str) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| {
                r.method.as_str().eq_ignore_ascii_case(method) && r.path.ends_with(path_suffix)
            })
            .cloned()
            .collect()
    }

    /// Messages successfully created in a conversation, oldest first, in the
    /// create-response shape (including `echo_id` when one was sent).
    pub fn messages(&self, account_id: u64, conversation_id: u64) -> Vec<Value> {
        let inner = self.lock();
        inner
            .conversations
            .get(&(account_id, conversation_id))
            .map(|c| {
                c.messages
                    .iter()
                    .map(|m| views::message(m, conversation_id, true))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What was posted to `conversation` on `platform` (`intercom`, `zendesk`, `freshchat`), oldest first:
    /// Intercom conversation parts, Zendesk comments, Freshchat messages.
    pub fn platform_messages(&self, platform: &str, conversation: &str) -> Vec<Value> {
        self.lock()
            .platform_threads
            .get(&format!("{platform}:{conversation}"))
            .cloned()
            .unwrap_or_default()
    }

    /// The account's dashboard apps as `GET …/dashboard_apps` lists them.
    pub fn dashboard_apps(&self, account_id: u64) -> Vec<Value> {
        self.lock()
            .dashboard_apps
            .iter()
            .filter(|(account, _)| *account == account_id)
            .map(|(_, app)| app.clone())
            .collect()
    }

    /// The conversation as `GET …/conversations/{id}` would return it, if it exists.
    pub fn conversation(&self, account_id: u64, conversation_id: u64) -> Option<Value> {
        let inner = self.lock();
        inner
            .conversations
            .get(&(account_id, conversation_id))
            .map(views::conversation)
    }

    fn read<T>(&self, account_id: u64, id: u64, f: impl FnOnce(&Conversation) -> T) -> Option<T> {
        self.lock().conversations.get(&(account_id, id)).map(f)
    }

    /// Current labels (empty when the conversation was never used).
    pub fn labels(&self, account_id: u64, conversation_id: u64) -> Vec<String> {
        self.read(account_id, conversation_id, |c| c.labels.clone())
            .unwrap_or_default()
    }

    /// Current status, `None` when the conversation was never used.
    pub fn status(&self, account_id: u64, conversation_id: u64) -> Option<String> {
        self.read(account_id, conversation_id, |c| c.status.clone())
    }

    /// Current priority, `None` when unset or never used.
    pub fn priority(&self, account_id: u64, conversation_id: u64) -> Option<String> {
        self.read(account_id, conversation_id, |c| c.priority.clone())
            .flatten()
    }

    /// Id of the assigned agent (or agent bot), if any.
    pub fn assignee(&self, account_id: u64, conversation_id: u64) -> Option<u64> {
        self.read(account_id, conversation_id, |c| {
            c.assignee.as_ref().map(|a| a.id())
        })
        .flatten()
    }

    /// Id of the assigned team, if any.
    pub fn team(&self, account_id: u64, conversation_id: u64) -> Option<u64> {
        self.read(account_id, conversation_id, |c| {
            c.team.as_ref().map(|t| t.id)
        })
        .flatten()
    }

    /// Forces a conversation's status (creating it if needed), e.g. to test
    /// the pending → open bot handoff from a known state.
    pub fn set_status(&self, account_id: u64, conversation_id: u64, status: &str) {
        self.lock()
            .conversation(account_id, conversation_id)
            .set_status(Some(status), None);
    }

    /// Adds a message from the contact, as if typed in the widget; returns it
    /// in the create-response shape.
    pub fn add_incoming_message(
        &self,
        account_id: u64,
        conversation_id: u64,
        content: &str,
    ) -> Value {
        let mut inner = self.lock();
        let id = inner.next_message_id();
        let (created_at, updated_at) = crate::model::now();
        let message = StoredMessage {
            id,
            content: content.to_owned(),
            message_type: 0,
            content_type: "text".to_owned(),
            content_attributes: Value::Object(Default::default()),
            private: false,
            source_id: None,
            echo_id: None,
            created_at,
            updated_at,
            sender: Actor::Contact,
        };
        let json = views::message(&message, conversation_id, false);
        inner
            .conversation(account_id, conversation_id)
            .push_message(message);
        json
    }

    /// Adds conversations with their messages, times and senders (a history for `cwctl backfill` to read).
    /// Returns how many were added; an error names what is wrong and changes nothing.
    pub fn seed_history(
        &self,
        account_id: u64,
        conversations: Vec<crate::SeedConversation>,
    ) -> Result<usize, String> {
        self.lock().seed_history(account_id, conversations)
    }

    /// Makes every request on this conversation answer 404, as for a deleted
    /// or never-existing conversation.
    pub fn mark_missing_conversation(&self, account_id: u64, conversation_id: u64) {
        self.lock().missing.insert((account_id, conversation_id));
    }

    /// Back to the initial configuration: no requests, conversations, faults,
    /// missing marks; tokens and delay as configured; generator reseeded.
    pub fn reset(&self) {
        self.lock().reset();
    }

    /// Replaces the user tokens of an account (token rotation). Returns false
    /// for an unknown account.
    pub fn set_tokens(&self, account_id: u64, tokens: Vec<String>) -> bool {
        self.lock()
            .accounts
            .get_mut(&account_id)
            .map(|a| a.api_tokens = tokens)
            .is_some()
    }

    /// Replaces the agent-bot tokens of an account. Returns false for an unknown account.
    pub fn set_bot_tokens(&self, account_id: u64, tokens: Vec<String>) -> bool {
        self.lock()
            .accounts
            .get_mut(&account_id)
            .map(|a| a.bot_tokens = tokens)
            .is_some()
    }

    /// Changes the latency added to every Chatwoot API request.
    pub fn set_request_delay(&self, delay: Option<Duration>) {
        self.lock().request_delay = delay;
    }

    /// Adds a fault after the existing ones.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Faults still able to fire, in evaluation order.
    pub fn faults(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    /// Counts of recorded requests per route template and status.
    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        let mut stats = Stats::default();
        for r in &inner.requests {
            stats.total += 1;
            stats.faults += u64::from(r.fault);
            let status = r
                .status
                .map_or_else(|| "none".to_owned(), |s| s.to_string());
            *stats
                .by_route
                .entry(format!("{} {}", r.method, r.path_template()))
                .or_default()
                .entry(status)
                .or_default() += 1;
        }
        stats
    }

    /// Polls the recorded requests every 20 ms until `predicate` holds;
    /// false on timeout. The predicate runs under the state lock: keep it quick.
    pub async fn wait_for<F>(&self, predicate: F, timeout: Duration) -> bool
    where
        F: Fn(&[RecordedRequest]) -> bool,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if predicate(&self.lock().requests) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until at least `count` requests matching `method` and `path_suffix`
    /// have been answered (status known).
    pub async fn wait_for_requests(
        &self,
        method: &str,
        path_suffix: &str,
        count: usize,
        timeout: Duration,
    ) -> bool {
        self.wait_for(
            |reqs| {
                reqs.iter()
                    .filter(|r| {
                        r.status.is_some()
                            && r.method.as_str().eq_ignore_ascii_case(method)
                            && r.path.ends_with(path_suffix)
                    })
                    .count()
                    >= count
            },
            timeout,
        )
        .await
    }

    /// Records an arriving request and returns its sequence number.
    pub(crate) fn record(&self, mut request: RecordedRequest) -> u64 {
        let mut inner = self.lock();
        request.seq = inner.next_seq;
        inner.next_seq += 1;
        let seq = request.seq;
        inner.requests.push(request);
        seq
    }

    /// Stores the outcome of a recorded request.
    pub(crate) fn finish(&self, seq: u64, status: Option<u16>, fault: bool) {
        let mut inner = self.lock();
        if let Some(r) = inner.requests.iter_mut().rev().find(|r| r.seq == seq) {
            r.status = status;
            r.fault = fault;
        }
    }

    pub(crate) fn take_fault(&self, method: &Method, path: &str) -> Option<FaultBehaviour> {
        let mut inner = self.lock();
        let Inner { faults, rng, .. } = &mut *inner;
        faults::take_fault(faults, rng, method, path)
    }

    pub(crate) fn request_delay(&self) -> Option<Duration> {
        self.lock().request_delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_numeric_segments() {
        assert_eq!(
            path_template("/api/v1/accounts/3/conversations/1042/messages"),
            "/api/v1/accounts/{account_id}/conversations/{id}/messages"
        );
        assert_eq!(path_template("/health"), "/health");
    }
}

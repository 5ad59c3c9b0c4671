//! Static configuration of a simulator: accounts, their tokens and people.

use std::time::Duration;

/// Configuration of a simulator instance.
///
/// `SimConfig::default()` is the fixtures' scenario: account 3 with the user
/// token `demo-token`, no delay, conversations starting `pending`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Configured accounts; requests for any other account id get 404.
    pub accounts: Vec<SimAccount>,
    /// Latency added to every Chatwoot API request (not to `/__sim/`).
    pub request_delay: Option<Duration>,
    /// Seed of the generator behind probabilistic faults.
    pub seed: u64,
    /// Status of a conversation when first used. The fixtures' inbox has an
    /// agent bot, so Chatwoot starts conversations as `pending`.
    pub initial_status: String,
    /// Chatwoot's `CONVERSATION_MESSAGE_PER_MINUTE_LIMIT` (200 in production):
    /// creating more messages than this in one conversation within 60 s gets
    /// 422 `Validation failed: Too many messages`. `None` disables the limit.
    pub message_limit_per_minute: Option<u32>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            accounts: vec![SimAccount::default()],
            request_delay: None,
            seed: 0x5EED,
            initial_status: "pending".to_owned(),
            message_limit_per_minute: None,
        }
    }
}

impl SimConfig {
    /// One account with one user token, everything else default.
    pub fn single(account_id: u64, token: impl Into<String>) -> Self {
        Self {
            accounts: vec![SimAccount::new(account_id, token)],
            ..Self::default()
        }
    }
}

/// A Chatwoot account as the simulator knows it.
#[derive(Debug, Clone)]
pub struct SimAccount {
    /// The `{account_id}` of the API paths.
    pub account_id: u64,
    /// Account name, shown by `/api/v1/profile`.
    pub name: String,
    /// Valid user access tokens (owned by the first of `agents`). Several may be
    /// valid at once; replace them at runtime with `set_tokens` to simulate rotation.
    pub api_tokens: Vec<String>,
    /// Personal access tokens of agents: (token, agent id). `/api/v1/profile` answers the profile of the
    /// token's agent (the API's console sessions check an agent's token this way).
    pub agent_tokens: Vec<(String, u64)>,
    /// Valid agent-bot access tokens (owned by `agent_bot`). Bots may call only
    /// the endpoints Chatwoot lets bots call, and their messages get a bot sender.
    pub bot_tokens: Vec<String>,
    /// Agents that `POST …/assignments {"assignee_id"}` knows; others unassign.
    pub agents: Vec<SimAgent>,
    /// Teams that `POST …/assignments {"team_id"}` knows; others clear the team.
    pub teams: Vec<SimTeam>,
    /// The inbox's agent bot.
    pub agent_bot: SimAgentBot,
}

impl Default for SimAccount {
    fn default() -> Self {
        Self::new(3, "demo-token")
    }
}

impl SimAccount {
    /// An account with one user token and the fixtures' agent 17, team 2 and bot 4.
    pub fn new(account_id: u64, token: impl Into<String>) -> Self {
        Self {
            account_id,
            name: "Acme Support".to_owned(),
            api_tokens: vec![token.into()],
            agent_tokens: Vec::new(),
            bot_tokens: Vec::new(),
            agents: vec![SimAgent {
                id: 17,
                name: "Jonas Berg".to_owned(),
                email: "jonas.berg@acme.example".to_owned(),
            }],
            teams: vec![SimTeam {
                id: 2,
                name: "billing".to_owned(),
            }],
            agent_bot: SimAgentBot {
                id: 4,
                name: "Acme Assistant".to_owned(),
            },
        }
    }

    /// Adds an agent (if new) with a personal access token.
    #[must_use]
    pub fn with_agent_token(mut self, agent: SimAgent, token: impl Into<String>) -> Self {
        self.agent_tokens.push((token.into(), agent.id));
        if !self.agents.iter().any(|a| a.id == agent.id) {
            self.agents.push(agent);
        }
        self
    }

    /// Adds agent-bot tokens.
    #[must_use]
    pub fn with_bot_tokens<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bot_tokens.extend(tokens.into_iter().map(Into::into));
        self
    }
}

/// A user (agent) of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAgent {
    /// User id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
}

/// A team of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTeam {
    /// Team id.
    pub id: u64,
    /// Team name.
    pub name: String,
}

/// The agent bot connected to the account's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAgentBot {
    /// Agent bot id.
    pub id: u64,
    /// Display name.
    pub name: String,
}

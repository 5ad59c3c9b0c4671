use std::time::Duration;

use infra::config::parse_duration;
use infra::http::ServeArgs;
use infra::{DatabaseArgs, NatsArgs, SecretsArgs, SupervisionArgs, TenantSeedArgs};

/// The API: conversations, approvals, commands, live activity and the webhook audit trail over HTTP.
#[derive(Clone, clap::Parser)]
#[command(name = "api", version)]
pub struct Config {
    /// Address the API listens on.
    #[arg(long, env = "API_LISTEN_ADDR", default_value = "0.0.0.0:8083")]
    pub api_listen_addr: String,
    /// Address of `/metrics`, `/healthz` and `/readyz` for Prometheus and probes (kept off the public port).
    #[arg(long, env = "API_METRICS_ADDR", default_value = "0.0.0.0:9093")]
    pub api_metrics_addr: String,
    /// Signs console session tokens (HMAC-SHA256); every replica needs the same one. Unset: derived from
    /// SECRETS_KEY, which every replica already shares.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// How long a console session token is valid.
    #[arg(long, env = "SESSION_TTL", default_value = "12h", value_parser = parse_duration)]
    pub session_ttl: Duration,
    /// Time allowed for Chatwoot's profile API when a console session is opened.
    #[arg(long, env = "CHATWOOT_PROFILE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub chatwoot_profile_timeout: Duration,
    /// Comment sent on an idle server-sent-events stream, so proxies keep it open and clients see it alive.
    #[arg(long, env = "SSE_HEARTBEAT", default_value = "30s", value_parser = parse_duration)]
    pub sse_heartbeat: Duration,
    /// Activity records buffered per SSE subscriber; memory per subscriber is bounded by it.
    #[arg(long, env = "SSE_BUFFER", default_value_t = 64)]
    pub sse_buffer: usize,
    /// A subscriber whose buffer stays full this long is too slow and is disconnected (it resumes with
    /// Last-Event-ID).
    #[arg(long, env = "SSE_SLOW_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub sse_slow_timeout: Duration,
    /// Most activity records an activity page examines (records of other kinds included) before it answers.
    #[arg(long, env = "ACTIVITY_SCAN_LIMIT", default_value_t = 5000)]
    pub activity_scan_limit: usize,
    /// How long to wait for JetStream's acknowledgement of a command before answering 503.
    #[arg(long, env = "API_PUBLISH_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub api_publish_timeout: Duration,
    /// How long requests in progress may take to finish after SIGTERM (SSE streams end at once).
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Connection limits of the API port: header, body and keep-alive timeouts, the connection cap.
    #[command(flatten)]
    pub http: ServeArgs,
    #[command(flatten)]
    pub nats: NatsArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub secrets: SecretsArgs,
    #[command(flatten)]
    pub tenant: TenantSeedArgs,
    #[command(flatten)]
    pub supervision: SupervisionArgs,
    /// The review console served under `/console/` (who may frame it).
    #[command(flatten)]
    pub console: console::ConsoleArgs,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_listen_addr", &self.api_listen_addr)
            .field("api_metrics_addr", &self.api_metrics_addr)
            .field("session_ttl", &self.session_ttl)
            .field("sse_heartbeat", &self.sse_heartbeat)
            .field("sse_buffer", &self.sse_buffer)
            .field("nats", &self.nats)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// Largest request body: commands are small (a message is at most 150,000 characters in Chatwoot).
pub const MAX_BODY_BYTES: usize = 1 << 20;

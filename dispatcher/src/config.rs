use std::time::Duration;

use infra::config::parse_duration;
use infra::{DatabaseArgs, NatsArgs, SecretsArgs, SupervisionArgs, TenantSeedArgs};

/// The dispatcher: delivers actions to Chatwoot's REST API.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "dispatcher", version)]
pub struct Config {
    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "HEALTH_ADDR", default_value = "0.0.0.0:8082")]
    pub health_addr: String,
    /// Runtime threads (0: one per CPU). The dispatcher waits on NATS, PostgreSQL and Chatwoot; one thread serves
    /// every delivery with fewer cross-thread wake-ups. Raise it only for a single replica on a large machine;
    /// prefer more replicas.
    #[arg(long, env = "RUNTIME_THREADS", default_value_t = 1)]
    pub runtime_threads: usize,
    /// How long JetStream waits for an ack before redelivering an action; also the lease a delivery holds.
    #[arg(long, env = "ACK_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub ack_wait: Duration,
    /// Actions delivered at once by this process.
    #[arg(long, env = "CONCURRENCY", default_value_t = 64)]
    pub concurrency: usize,
    /// While actions arrive closer together than this, the ledger's claims and settles each wait up to this
    /// long for company, so that a burst shares one statement and one commit (a quiet dispatcher never waits).
    /// A claim's wait adds to the reply's latency; 0 turns it off.
    #[arg(long, env = "LEDGER_LINGER", default_value = "2ms", value_parser = parse_duration)]
    pub ledger_linger: Duration,
    /// Timeout of one Chatwoot API call.
    #[arg(long, env = "HTTP_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub http_timeout: Duration,
    /// Attempts before a transiently failing action is dead-lettered.
    #[arg(long, env = "MAX_ATTEMPTS", default_value_t = 10)]
    pub max_attempts: u32,
    /// First retry delay; doubles (with jitter) up to RETRY_MAX_DELAY.
    #[arg(long, env = "RETRY_MIN_DELAY", default_value = "1s", value_parser = parse_duration)]
    pub retry_min_delay: Duration,
    /// Longest retry delay.
    #[arg(long, env = "RETRY_MAX_DELAY", default_value = "5m", value_parser = parse_duration)]
    pub retry_max_delay: Duration,
    /// How long to wait for actions before asking again (also bounds how fast shutdown stops fetching).
    #[arg(long, env = "FETCH_EXPIRES", default_value = "2s", value_parser = parse_duration)]
    pub fetch_expires: Duration,
    /// How long in-flight deliveries may take to finish after SIGTERM.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Chatwoot API calls per minute per tenant, shared by all dispatcher replicas (Chatwoot's default limit is
    /// 3000 per minute per client IP). A tenant's `rate_limit_per_minute` setting overrides it; 0 disables it.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 3000)]
    pub rate_limit_per_minute: u32,
    /// API calls per minute per tenant on the other platforms (Intercom, Zendesk, Freshchat, generic webhook),
    /// shared by all replicas; a tenant's `rate_limit_per_minute` setting overrides it; 0 disables it.
    #[arg(long, env = "PLATFORM_RATE_LIMIT_PER_MINUTE", default_value_t = 100)]
    pub platform_rate_limit_per_minute: u32,
    /// How long a tenant's rate stays cut after Chatwoot answers 429 (each 429 halves it, down to 1/8).
    #[arg(long, env = "RATE_LIMIT_COOLDOWN", default_value = "60s", value_parser = parse_duration)]
    pub rate_limit_cooldown: Duration,
    /// How long a tenant's configuration (and API token) is cached.
    #[arg(long, env = "TENANT_CACHE_TTL", default_value = "10s", value_parser = parse_duration)]
    pub tenant_cache_ttl: Duration,
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
}

use std::time::Duration;

use infra::config::parse_duration;
use infra::{DatabaseArgs, NatsArgs, SecretsArgs, SupervisionArgs, TenantSeedArgs};

/// The worker: records events, dedupes them, decides replies and publishes actions.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "worker", version)]
pub struct Config {
    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "HEALTH_ADDR", default_value = "0.0.0.0:8081")]
    pub health_addr: String,
    /// Runtime threads (0: one per CPU). The worker waits on NATS and PostgreSQL; one thread serves every
    /// partition with fewer cross-thread wake-ups. Raise it only for a single replica on a large machine; prefer
    /// more replicas.
    #[arg(long, env = "RUNTIME_THREADS", default_value_t = 1)]
    pub runtime_threads: usize,
    /// How long JetStream waits for an ack before redelivering an event to another worker.
    #[arg(long, env = "ACK_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub ack_wait: Duration,
    /// First retry delay after a transient failure (PostgreSQL or NATS down); doubles up to RETRY_MAX_DELAY.
    #[arg(long, env = "RETRY_MIN_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub retry_min_delay: Duration,
    /// Longest retry delay.
    #[arg(long, env = "RETRY_MAX_DELAY", default_value = "30s", value_parser = parse_duration)]
    pub retry_max_delay: Duration,
    /// How long to wait for events before asking again (also bounds how fast shutdown stops fetching).
    #[arg(long, env = "FETCH_EXPIRES", default_value = "2s", value_parser = parse_duration)]
    pub fetch_expires: Duration,
    /// Most events processed together in one transaction. Each partition has at most one event in flight, so a
    /// batch never holds two events of one conversation and values above the 32 partitions change nothing.
    #[arg(long, env = "BATCH_MAX_EVENTS", default_value_t = 32)]
    pub batch_max_events: usize,
    /// Batches processed at the same time (each holds one pooled connection while it runs). Fewer make bigger
    /// batches, so less PostgreSQL work per event (measured: 2 sustains 19% more than 4, with a lower p99); more
    /// keep events flowing while a batch waits for a slow LLM answer.
    #[arg(long, env = "BATCH_CONCURRENCY", default_value_t = 2)]
    pub batch_concurrency: usize,
    /// While events arrive closer together than this, a batch waits up to this long after its first event for
    /// more (a quiet pipeline never waits): fewer transactions and wake-ups per event below the maximum, for
    /// at most this much latency. 0 turns it off.
    #[arg(long, env = "BATCH_LINGER", default_value = "2ms", value_parser = parse_duration)]
    pub batch_linger: Duration,
    /// How long in-flight events may take to finish after SIGTERM.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Reply used by the template responder when the tenant sets no `reply_template`. `{name}` is replaced by
    /// the contact's name.
    #[arg(
        long,
        env = "REPLY_TEMPLATE",
        default_value = "Hi {name}, thanks for your message! A member of our team will get back to you shortly."
    )]
    pub reply_template: String,
    /// Folder of per-tenant rules files (`<tenant>.toml`); tenants without one use the default rules.
    #[arg(long, env = "RULES_DIR")]
    pub rules_dir: Option<std::path::PathBuf>,
    /// How often a tenant's rules file is checked for changes (reload without restart).
    #[arg(long, env = "RULES_RECHECK", default_value = "2s", value_parser = parse_duration)]
    pub rules_recheck: Duration,
    /// How often conversations are checked against the first-reply SLA.
    #[arg(long, env = "SLA_CHECK_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub sla_check_interval: Duration,
    /// How often the shards of the analytics rollups' past hours are folded into one row per group and hour
    /// (what keeps a month's report to ~720 rows per group).
    #[arg(long, env = "ANALYTICS_COMPACT_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub analytics_compact_interval: Duration,
    /// How long the webhook audit trail (every webhook accepted or refused, for the API) is kept.
    #[arg(long, env = "AUDIT_RETENTION", default_value = "30d", value_parser = parse_duration)]
    pub audit_retention: Duration,
    /// How long a tenant's configuration is cached.
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
    #[command(flatten)]
    pub digests: digests::DigestArgs,
}

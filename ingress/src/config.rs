use std::time::Duration;

use infra::config::parse_duration;
use infra::http::ServeArgs;
use infra::{DatabaseArgs, NatsArgs, SecretsArgs, SupervisionArgs, TenantSeedArgs};

/// The ingress: verifies Chatwoot webhooks and publishes them to JetStream.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ingress", version)]
pub struct Config {
    /// Address the webhook endpoint listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "0.0.0.0:8080")]
    pub listen_addr: String,
    /// Runtime threads (0: one per CPU). One thread accepted 9,700 webhooks a second alone on two cores (two
    /// threads 12,000) and skips cross-thread wake-ups, which below that cost more than the work (BENCHMARKS.md).
    /// The Kubernetes manifests give the ingress one CPU. Scale with replicas.
    #[arg(long, env = "RUNTIME_THREADS", default_value_t = 1)]
    pub runtime_threads: usize,
    /// Address of the Prometheus `/metrics` endpoint (kept off the public port).
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:9090")]
    pub metrics_addr: String,
    /// How far X-Chatwoot-Timestamp may be from now before a webhook is refused as a replay.
    #[arg(long, env = "SIGNATURE_TOLERANCE", default_value = "5m", value_parser = parse_duration)]
    pub signature_tolerance: Duration,
    /// Largest accepted body in bytes. Chatwoot allows 150,000-character messages and a message_created body
    /// repeats the content, so legitimate webhooks reach about 450 KB.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted (Chatwoot's payloads nest about 6 levels); deeper bodies get 400.
    #[arg(long, env = "MAX_JSON_DEPTH", default_value_t = 64)]
    pub max_json_depth: usize,
    /// Most header fields accepted on a webhook (Chatwoot sends about 6, proxies add some); more get 431.
    #[arg(long, env = "MAX_HEADERS", default_value_t = 64)]
    pub max_headers: usize,
    /// Most bytes of header names and values accepted on a webhook; more get 431.
    #[arg(long, env = "MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
    /// How long to wait for JetStream's acknowledgement before answering 503 (below Chatwoot's 5 s timeout).
    #[arg(long, env = "PUBLISH_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub publish_timeout: Duration,
    /// Webhooks being published at once; beyond this the ingress answers 503 at once instead of queueing.
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 2048)]
    pub max_in_flight: usize,
    /// How long a tenant's configuration is cached.
    #[arg(long, env = "TENANT_CACHE_TTL", default_value = "10s", value_parser = parse_duration)]
    pub tenant_cache_ttl: Duration,
    /// How long in-flight requests may take to finish after SIGTERM.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Connection limits of the webhook port: header, body and keep-alive timeouts, the connection cap.
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
}

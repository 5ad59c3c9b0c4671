//! What the ingress, the worker and the dispatcher share: the NATS topology (streams, subjects, consumers,
//! partitioning), the PostgreSQL pool and schema migrations, the tenant registry with secrets encrypted at rest,
//! OpenTelemetry wiring with W3C trace-context propagation over NATS and HTTP, and shutdown handling.

pub mod activity;
pub mod api_keys;
pub mod bootstrap;
pub mod config;
pub mod crypto;
pub mod db;
pub mod gather;
pub mod health;
pub mod http;
pub mod metrics;
pub mod outbox;
pub mod platform;
pub mod retry;
pub mod runtime;
pub mod shutdown;
pub mod supervise;
pub mod telemetry;
pub mod tenants;
pub mod topology;

pub use bootstrap::{bootstrap, BootstrapArgs, BootstrapError, Infra};
pub use config::{DatabaseArgs, NatsArgs, SecretsArgs, TenantSeedArgs};
pub use crypto::SecretBox;
pub use platform::Platform;
pub use supervise::{Readiness, SupervisionArgs, Supervisor, TaskFailed};
pub use tenants::{PlatformSettings, Secret, Tenant, TenantCache, TenantId, TenantStore};
pub use topology::{StreamLimits, Topology};

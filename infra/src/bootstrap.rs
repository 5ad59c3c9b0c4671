//! What every service does at start: connect to NATS and create the topology, connect to PostgreSQL and
//! migrate, and upsert the tenant given in the environment. All of it is idempotent.

use std::time::Duration;

use deadpool_postgres::Pool;

use crate::config::{DatabaseArgs, NatsArgs, SecretsArgs, TenantSeedArgs};
use crate::tenants::{TenantError, TenantStore};
use crate::topology::TopologyError;
use crate::Topology;

/// Connections and names a service works with.
#[derive(Clone, Debug)]
pub struct Infra {
    pub nats: async_nats::Client,
    pub jetstream: async_nats::jetstream::Context,
    pub topology: Topology,
    pub pool: Pool,
    pub tenants: TenantStore,
    /// Turns false for good when a supervised task fails (see [`crate::supervise`]).
    pub readiness: crate::Readiness,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot connect to NATS at {url}: {source}")]
    Nats {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("SECRETS_KEY: {0}")]
    Key(#[from] crate::crypto::KeyError),
    #[error("tenant from environment: {0}")]
    Seed(String),
    #[error(transparent)]
    Tenant(#[from] TenantError),
}

/// Everything a service's `run` needs from the outside world.
pub struct BootstrapArgs<'a> {
    pub service: &'static str,
    pub nats: &'a NatsArgs,
    pub database: &'a DatabaseArgs,
    pub secrets: &'a SecretsArgs,
    pub seed: &'a TenantSeedArgs,
}

pub async fn bootstrap(args: BootstrapArgs<'_>) -> Result<Infra, BootstrapError> {
    let secret_box = args.secrets.secret_box()?;
    let nats = async_nats::ConnectOptions::new()
        .name(args.service)
        .connection_timeout(Duration::from_secs(5))
        .connect(args.nats.nats_url.as_str())
        .await
        .map_err(|source| BootstrapError::Nats {
            url: args.nats.nats_url.clone(),
            source,
        })?;
    let jetstream = async_nats::jetstream::new(nats.clone());
    let topology = args.nats.topology();
    topology
        .ensure_streams(&jetstream, &args.nats.limits())
        .await?;
    let pool = crate::db::connect_and_migrate(
        &args.database.database_url,
        args.database.database_pool_size,
    )
    .await?;
    let tenants = TenantStore::new(pool.clone(), secret_box);
    if let Some(tenant) = args.seed.tenant().map_err(BootstrapError::Seed)? {
        tenants.upsert(&tenant).await?;
        tracing::info!(tenant = %tenant.id, "tenant from environment registered");
    }
    Ok(Infra {
        nats,
        jetstream,
        topology,
        pool,
        tenants,
        readiness: crate::Readiness::default(),
    })
}

/// `/readyz`: every supervised task working, NATS connected and PostgreSQL answering.
pub async fn ready(infra: &Infra) -> Result<(), String> {
    if let Some(reason) = infra.readiness.failure() {
        return Err(reason);
    }
    if infra.nats.connection_state() != async_nats::connection::State::Connected {
        return Err("NATS is not connected".into());
    }
    let client = infra
        .pool
        .get()
        .await
        .map_err(|e| format!("PostgreSQL: {e}"))?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(|e| format!("PostgreSQL: {e}"))?;
    Ok(())
}

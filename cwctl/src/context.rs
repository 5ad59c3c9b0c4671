//! Connections a command needs, made on first use: a tenants command never connects to NATS, a `--dry-run`
//! never asks for the secrets key.

use std::time::Duration;

use async_nats::jetstream;
use deadpool_postgres::Pool;
use infra::{DatabaseArgs, NatsArgs, SecretsArgs, Topology};

use crate::admin::{self, Admin};
use crate::CliError;

/// What every command module receives: the global arguments and lazily opened connections.
pub struct Context {
    nats_args: NatsArgs,
    database_args: DatabaseArgs,
    secrets: Option<SecretsArgs>,
    pool: Option<Pool>,
    jetstream: Option<jetstream::Context>,
}

impl Context {
    pub fn new(nats: NatsArgs, database: DatabaseArgs, secrets: Option<SecretsArgs>) -> Self {
        Self {
            nats_args: nats,
            database_args: database,
            secrets,
            pool: None,
            jetstream: None,
        }
    }

    pub fn topology(&self) -> Topology {
        self.nats_args.topology()
    }

    pub fn nats_args(&self) -> &NatsArgs {
        &self.nats_args
    }

    pub fn database_url(&self) -> &str {
        &self.database_args.database_url
    }

    /// The secrets key, if one was given (not checked).
    pub fn secrets(&self) -> Option<&SecretsArgs> {
        self.secrets.as_ref()
    }

    /// The PostgreSQL pool; the first call creates the database if needed and applies pending migrations.
    pub async fn pool(&mut self) -> Result<Pool, CliError> {
        if let Some(pool) = &self.pool {
            return Ok(pool.clone());
        }
        let pool = infra::db::connect_and_migrate(
            &self.database_args.database_url,
            self.database_args.database_pool_size.clamp(1, 4),
        )
        .await?;
        self.pool = Some(pool.clone());
        Ok(pool)
    }

    /// JetStream; the first call connects and creates the pipeline's streams when one is missing. Streams that
    /// all exist are left as they are, so running `cwctl` with other retention settings than the services never
    /// reconfigures production streams.
    pub async fn jetstream(&mut self) -> Result<jetstream::Context, CliError> {
        if let Some(js) = &self.jetstream {
            return Ok(js.clone());
        }
        let url = &self.nats_args.nats_url;
        let client = async_nats::ConnectOptions::new()
            .name("cwctl")
            .connection_timeout(Duration::from_secs(5))
            .connect(url.as_str())
            .await
            .map_err(|source| CliError::Connect {
                url: url.clone(),
                source,
            })?;
        let js = jetstream::new(client);
        let topology = self.topology();
        let mut missing = false;
        for name in topology.streams() {
            match js.get_stream(&name).await {
                Ok(_) => {}
                Err(error) => match error.kind() {
                    jetstream::context::GetStreamErrorKind::JetStream(e)
                        if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                    {
                        missing = true;
                    }
                    _ => return Err(CliError::nats(&format!("stream {name}"), error)),
                },
            }
        }
        if missing {
            topology
                .ensure_streams(&js, &self.nats_args.limits())
                .await?;
            tracing::info!(prefix = topology.prefix(), "created the pipeline's streams");
        }
        self.jetstream = Some(js.clone());
        Ok(js)
    }

    /// Proof that the operator holds the deployment's `SECRETS_KEY`; see [`crate::admin`].
    pub async fn admin(&mut self) -> Result<Admin, CliError> {
        let secrets = self.secrets.clone();
        let pool = self.pool().await?;
        admin::authorize(&pool, secrets.as_ref()).await
    }
}

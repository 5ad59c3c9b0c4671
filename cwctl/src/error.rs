//! Errors and exit codes.

use std::process::ExitCode;

/// How a command that ran to its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done (or there was nothing to do).
    Success,
    /// The command finished but left part of what was selected undone (e.g. a dead letter whose payload cannot
    /// be decoded cannot be redriven); the output says which.
    Incomplete,
    /// A command with its own documented exit codes (`doctor`).
    Code(u8),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Incomplete => 1,
            Self::Code(code) => code,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// Why a command failed. [`CliError::exit_code`] maps each to a distinct process exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input that clap could not catch (an invalid tenant id, settings that are not a JSON object...).
    #[error("{0}")]
    Invalid(String),
    /// The tenant (or other named thing) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A mutating command without the deployment's `SECRETS_KEY`, or with another key.
    #[error("{0}")]
    Unauthorized(String),
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error(transparent)]
    Topology(#[from] infra::topology::TopologyError),
    #[error(transparent)]
    Db(#[from] infra::db::DbError),
    #[error(transparent)]
    Tenant(#[from] infra::tenants::TenantError),
    /// A JetStream request failed (the message says which).
    #[error("NATS: {0}")]
    Nats(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// A tenant's Chatwoot refused or kept failing a call (the message says which and why).
    #[error("Chatwoot: {0}")]
    Chatwoot(String),
    /// Stopped by the operator (Ctrl-C); what was done is kept (e.g. a backfill's checkpoint).
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    /// 2 invalid input (as clap's usage errors), 3 not found, 69 a dependency (NATS, PostgreSQL, Chatwoot)
    /// unavailable or failing, 74 output not writable, 77 not authorised, 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Invalid(_) => 2,
            Self::NotFound(_) => 3,
            Self::Unauthorized(_) => 77,
            Self::Connect { .. }
            | Self::Topology(_)
            | Self::Db(_)
            | Self::Tenant(_)
            | Self::Nats(_)
            | Self::Chatwoot(_) => 69,
            Self::Output(_) => 74,
            Self::Interrupted => 130,
        }
    }

    /// A JetStream error, with what was being done.
    pub fn nats(doing: &str, error: impl std::fmt::Display) -> Self {
        Self::Nats(format!("{doing}: {error}"))
    }
}

impl From<tokio_postgres::Error> for CliError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(infra::db::DbError::Postgres(error))
    }
}

impl From<deadpool_postgres::PoolError> for CliError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Db(infra::db::DbError::Pool(error))
    }
}

//! PostgreSQL: the pool every process keeps, the database's creation and the schema migrations.

use std::time::Duration;

pub use deadpool_postgres::Pool;
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Arbitrary, fixed: serialises migrations when many replicas start at once.
const MIGRATION_LOCK: i64 = 0x6377_7069_7065;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid DATABASE_URL: {0}")]
    Config(#[source] tokio_postgres::Error),
    #[error("cannot build the connection pool: {0}")]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
}

impl DbError {
    /// A lost connection or an exhausted pool can heal; a constraint or syntax error cannot.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Pool(_) => true,
            Self::Postgres(error) => {
                error.is_closed() || error.code().is_none_or(is_transient_state)
            }
            _ => false,
        }
    }
}

fn is_transient_state(code: &tokio_postgres::error::SqlState) -> bool {
    let code = code.code();
    // 08: connection exceptions, 40: serialization/deadlock, 53: insufficient resources, 57: shutdown.
    code.starts_with("08")
        || code.starts_with("40")
        || code.starts_with("53")
        || code.starts_with("57")
}

/// The process-wide pool. Connections are made lazily, so a service starts even while PostgreSQL is down.
pub fn pool(url: &str, size: usize) -> Result<Pool, DbError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(DbError::Config)?;
    config.connect_timeout(Duration::from_secs(5));
    if config.get_application_name().is_none() {
        config.application_name("chatwoot-pipeline");
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .post_create(Hook::async_fn(|client, _| {
            Box::pin(async move {
                client
                    .batch_execute(PREFER_INDEXES)
                    .await
                    .map_err(HookError::Backend)
            })
        }))
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()?)
}

/// Every statement of the services looks rows up by key, and is prepared once per connection. PostgreSQL keeps a
/// prepared statement's generic plan, made from the statistics of the moment: planned while a table was small (a
/// fresh install, the first minute after a deployment), a lookup by key becomes a sequential scan, and stays one
/// until the next ANALYZE while the table grows (seen: 1.7 ms per batch on 9k rows instead of 0.02 ms).
/// `enable_seqscan = off` only makes an index the planner's choice wherever one applies; a statement that no index
/// serves still scans. Set after connecting rather than as a startup option, which PgBouncer refuses.
///
/// The other side of the same coin: a statement whose plan depends on the length of an array parameter
/// (`unnest($1)`, `= ANY($1)`) never gets a generic plan at all, since each custom plan, made for the actual
/// length, looks cheaper than the generic one made for PostgreSQL's default of ten elements. It is then planned
/// on every execution: at the maximum rate four of the worker's batch lookups spent 2-8 times longer in the
/// planner than executing (23% of the backends' CPU). Such a statement hands its arrays over as
/// `(SELECT $1::text[])`, whose length no plan can see, so the custom and generic plans cost the same and the
/// generic one is kept after five executions. Only where the primary key is the one index that fits: on a small
/// table every index that starts with the same columns costs the same, and a generic plan made then on another
/// one (a lookup in `conversations` kept `conversations_recent` and scanned a tenant's every entry, 3.7 ms per
/// batch) stays when the table grows. Migration V19 made such indexes partial, so that no lookup by key can
/// use them.
const PREFER_INDEXES: &str = "SET enable_seqscan = off";

/// Creates the database named in `url` when it does not exist (connecting to `postgres` to do so). When the
/// database exists nothing else is touched, so an application user without CREATEDB (CloudNativePG, managed
/// databases) works.
pub async fn ensure_database(url: &str) -> Result<(), DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(DbError::Config)?;
    let Some(name) = config.get_dbname().map(str::to_owned) else {
        return Ok(());
    };
    let mut probe = config.clone();
    probe.connect_timeout(Duration::from_secs(5));
    match probe.connect(NoTls).await {
        Ok((client, connection)) => {
            drop(client);
            let _ = connection.await;
            return Ok(());
        }
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME) => {}
        Err(e) => return Err(e.into()),
    }
    let mut admin = config.clone();
    admin
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(5));
    let (client, connection) = admin.connect(NoTls).await?;
    let driver = tokio::spawn(connection);
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await
    {
        Ok(()) => tracing::info!(database = %name, "created database"),
        // Another replica won the race (a concurrent CREATE DATABASE fails on pg_database's unique index).
        Err(e)
            if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE)
                || e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {}
        Err(e) => return Err(e.into()),
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// Applies pending migrations once, even when many replicas start together.
pub async fn migrate(pool: &Pool) -> Result<(), DbError> {
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = embedded::migrations::runner()
        .run_async(&mut **client)
        .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = result?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}

/// The newest migration this build carries, to compare with what a database has applied.
pub fn latest_migration_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// The newest migration applied to the database behind `client`, if any.
pub async fn applied_migration_version(
    client: &tokio_postgres::Client,
) -> Result<Option<i64>, DbError> {
    let exists = client
        .query_one(
            "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await?
        .get::<_, bool>(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_one(
            "SELECT max(version)::bigint FROM refinery_schema_history",
            &[],
        )
        .await?
        .get(0))
}

/// `ensure_database`, `pool` and `migrate` in one call: what every service does at start.
pub async fn connect_and_migrate(url: &str, size: usize) -> Result<Pool, DbError> {
    ensure_database(url).await?;
    let pool = pool(url, size)?;
    migrate(&pool).await?;
    Ok(pool)
}

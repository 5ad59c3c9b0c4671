//! The per-tenant checkpoint of `cwctl backfill` (`backfill_checkpoints`): the run's cutoff and where it is.
//! It moves after every conversation whose events JetStream has acknowledged, so a killed run redoes at most
//! one conversation (whose events JetStream and the worker's ledger then drop).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::CliError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub run_id: String,
    pub since: Option<DateTime<Utc>>,
    pub cutoff: DateTime<Utc>,
    /// The conversations page being read (1-based).
    pub page: u32,
    /// The last conversation of `page` whose events are all published.
    pub conversation_id: Option<u64>,
    pub conversations: u64,
    pub events: u64,
    pub finished: bool,
}

pub async fn load(
    client: &impl GenericClient,
    tenant: &str,
) -> Result<Option<Checkpoint>, CliError> {
    let row = client
        .query_opt(
            "SELECT run_id, since, cutoff, page, conversation_id, conversations, events, finished_at IS NOT NULL
             FROM backfill_checkpoints WHERE tenant = $1",
            &[&tenant],
        )
        .await?;
    Ok(row.map(|row| Checkpoint {
        run_id: row.get(0),
        since: row.get(1),
        cutoff: row.get(2),
        page: u32::try_from(row.get::<_, i32>(3)).unwrap_or(1).max(1),
        conversation_id: row
            .get::<_, Option<i64>>(4)
            .and_then(|id| u64::try_from(id).ok()),
        conversations: u64::try_from(row.get::<_, i64>(5)).unwrap_or(0),
        events: u64::try_from(row.get::<_, i64>(6)).unwrap_or(0),
        finished: row.get(7),
    }))
}

/// Starts a new run (replacing a finished or abandoned one).
pub async fn start(
    client: &impl GenericClient,
    tenant: &str,
    checkpoint: &Checkpoint,
) -> Result<(), CliError> {
    client
        .execute(
            "INSERT INTO backfill_checkpoints (tenant, run_id, since, cutoff)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant) DO UPDATE SET run_id = EXCLUDED.run_id, since = EXCLUDED.since,
                 cutoff = EXCLUDED.cutoff, page = 1, conversation_id = NULL, conversations = 0, events = 0,
                 started_at = now(), updated_at = now(), finished_at = NULL",
            &[&tenant, &checkpoint.run_id, &checkpoint.since, &checkpoint.cutoff],
        )
        .await?;
    Ok(())
}

/// Records progress; `finished` closes the run.
pub async fn save(
    client: &impl GenericClient,
    tenant: &str,
    checkpoint: &Checkpoint,
) -> Result<(), CliError> {
    let page = i32::try_from(checkpoint.page).unwrap_or(i32::MAX);
    let conversation = checkpoint
        .conversation_id
        .and_then(|id| i64::try_from(id).ok());
    let conversations = i64::try_from(checkpoint.conversations).unwrap_or(i64::MAX);
    let events = i64::try_from(checkpoint.events).unwrap_or(i64::MAX);
    client
        .execute(
            "UPDATE backfill_checkpoints SET page = $3, conversation_id = $4, conversations = $5, events = $6,
                 updated_at = now(), finished_at = CASE WHEN $7 THEN now() END
             WHERE tenant = $1 AND run_id = $2",
            &[
                &tenant,
                &checkpoint.run_id,
                &page,
                &conversation,
                &conversations,
                &events,
                &checkpoint.finished,
            ],
        )
        .await?;
    Ok(())
}

/// When the worker first processed a live event of each conversation asked for (those never seen live are
/// absent): their history stops there.
pub async fn live_since(
    client: &impl GenericClient,
    tenant: &str,
    conversations: &[u64],
) -> Result<HashMap<u64, DateTime<Utc>>, CliError> {
    let ids: Vec<i64> = conversations
        .iter()
        .filter_map(|id| i64::try_from(*id).ok())
        .collect();
    let rows = client
        .query(
            "SELECT conversation_id, live_since FROM conversations
             WHERE tenant = $1 AND conversation_id = ANY($2) AND live_since IS NOT NULL",
            &[&tenant, &ids],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| Some((u64::try_from(row.get::<_, i64>(0)).ok()?, row.get(1))))
        .collect())
}

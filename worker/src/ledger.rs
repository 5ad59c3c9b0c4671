//! The worker's ledger: one row per processed event key, committed in the same transaction as the state it
//! changed and the actions it produced (a transactional outbox). A redelivered or duplicated event finds its row
//! and only republishes those stored actions, whose ids make JetStream and the dispatcher drop the copies.
//!
//! Every function takes a whole batch of events, so a batch costs the same number of statements as one event.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use deadpool_postgres::GenericClient;
use proto::Action;

use crate::state::to_i64;

/// The event's row as the ledger stores it.
#[derive(Debug)]
pub struct LedgerEntry<'a> {
    pub event_key: &'a str,
    pub tenant: &'a str,
    pub event: &'a str,
    pub conversation_id: Option<u64>,
    pub stream_seq: u64,
    pub outcome: &'a str,
}

/// `ea.event_key = ANY($1)` keeps both sides on their indexes: without it, the generic plan PostgreSQL caches
/// for this prepared statement (made while the tables were small) hashes a sequential scan of every recorded
/// action, on every batch. Public for the test that checks the plans of the hot statements.
pub const STORED_ACTIONS: &str = "
    SELECT pe.event_key, ea.payload FROM processed_events pe
    LEFT JOIN event_actions ea ON ea.event_key = pe.event_key AND ea.event_key = ANY($1)
    WHERE pe.event_key = ANY($1) ORDER BY pe.event_key, ea.position";

/// The actions recorded for each of `event_keys` that was already processed; keys never processed are absent.
pub async fn stored_actions(
    client: &impl GenericClient,
    event_keys: &[&str],
) -> Result<HashMap<String, Vec<Bytes>>, tokio_postgres::Error> {
    let statement = client.prepare_cached(STORED_ACTIONS).await?;
    let rows = client.query(&statement, &[&event_keys]).await?;
    let mut stored: HashMap<String, Vec<Bytes>> = HashMap::new();
    for row in rows {
        let payloads = stored.entry(row.get(0)).or_default();
        if let Some(payload) = row.get::<_, Option<Vec<u8>>>(1) {
            payloads.push(Bytes::from(payload));
        }
    }
    Ok(stored)
}

/// Claims the event keys and returns those this call claimed; a key missing from the result was recorded by
/// another delivery (the unique key decides, not a read-then-write).
pub async fn claim(
    client: &impl GenericClient,
    entries: &[LedgerEntry<'_>],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "INSERT INTO processed_events (event_key, tenant, event, conversation_id, stream_seq, outcome)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
             ON CONFLICT (event_key) DO NOTHING
             RETURNING event_key",
        )
        .await?;
    let keys: Vec<&str> = entries.iter().map(|e| e.event_key).collect();
    let tenants: Vec<&str> = entries.iter().map(|e| e.tenant).collect();
    let events: Vec<&str> = entries.iter().map(|e| e.event).collect();
    let conversations: Vec<Option<i64>> = entries
        .iter()
        .map(|e| e.conversation_id.map(to_i64))
        .collect();
    let sequences: Vec<i64> = entries.iter().map(|e| to_i64(e.stream_seq)).collect();
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome).collect();
    let rows = client
        .query(
            &statement,
            &[
                &keys,
                &tenants,
                &events,
                &conversations,
                &sequences,
                &outcomes,
            ],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Records the actions produced by claimed events; each action knows its event and its position in it.
pub async fn record_actions(
    client: &impl GenericClient,
    actions: &[(usize, &Action, &Bytes)],
) -> Result<(), tokio_postgres::Error> {
    let mut ids = Vec::new();
    let mut event_keys = Vec::new();
    let mut positions = Vec::new();
    let mut kinds = Vec::new();
    let mut payloads = Vec::new();
    for &(position, action, payload) in actions {
        ids.push(action.action_id.as_str());
        event_keys.push(action.event_key.as_str());
        positions.push(i32::try_from(position).unwrap_or(i32::MAX));
        kinds.push(action.kind.name());
        payloads.push(payload.as_ref());
    }
    if ids.is_empty() {
        return Ok(());
    }
    let statement = client
        .prepare_cached(
            "INSERT INTO event_actions (action_id, event_key, position, kind, payload)
             SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::bytea[])",
        )
        .await?;
    client
        .execute(
            &statement,
            &[&ids, &event_keys, &positions, &kinds, &payloads],
        )
        .await?;
    Ok(())
}

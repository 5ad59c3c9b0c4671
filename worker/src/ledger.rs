//! The worker's ledger: one row per processed event key, committed in the same transaction as the state it
//! changed, and holding the actions and activity records it produced (a transactional outbox). A redelivered or
//! duplicated event finds its row and only republishes those stored actions, whose ids make JetStream and the
//! dispatcher drop the copies. Rows written before V16 keep their outbox in `event_actions` and `event_activity`,
//! which are read for them.
//!
//! Every function takes a whole batch of events, so a batch costs the same number of statements as one event.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use deadpool_postgres::GenericClient;

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
    pub action_ids: Vec<&'a str>,
    /// [`infra::outbox::encode`] of the actions' payloads, in order.
    pub actions: Vec<u8>,
    /// [`infra::outbox::encode`] of the activity records' JSON, in order.
    pub activity: Vec<u8>,
}

/// A row written before V16 has no `actions`; its outbox is read from `event_actions`, through the index on
/// the event key. The keys come as `(SELECT $1)` so that the plan is made once (see `infra::db`'s
/// `PREFER_INDEXES`). Public for the test that checks the plans of the hot statements.
pub const STORED_ACTIONS: &str = "
    SELECT pe.event_key, pe.actions,
           CASE WHEN pe.actions IS NULL THEN
               ARRAY(SELECT ea.payload FROM event_actions ea WHERE ea.event_key = pe.event_key ORDER BY ea.position)
           END
    FROM processed_events pe WHERE pe.event_key = ANY((SELECT $1::text[])::text[])";

/// The actions recorded for each of `event_keys` that was already processed; keys never processed are absent.
pub async fn stored_actions(
    client: &impl GenericClient,
    event_keys: &[&str],
) -> Result<HashMap<String, Vec<Bytes>>, tokio_postgres::Error> {
    let statement = client.prepare_cached(STORED_ACTIONS).await?;
    let rows = client.query(&statement, &[&event_keys]).await?;
    let mut stored: HashMap<String, Vec<Bytes>> = HashMap::new();
    for row in rows {
        let payloads = outbox_of(&row, "actions");
        stored.insert(row.get(0), payloads.into_iter().map(Bytes::from).collect());
    }
    Ok(stored)
}

/// The outbox list of a row read by [`STORED_ACTIONS`] or [`crate::activity::STORED`]: column 1 holds it as
/// the ledger row has it since V16, column 2 as the tables of before gave it (NULL when column 1 is set).
pub(crate) fn outbox_of(row: &tokio_postgres::Row, what: &str) -> Vec<Vec<u8>> {
    match row.get::<_, Option<&[u8]>>(1) {
        Some(encoded) => infra::outbox::decode(encoded).unwrap_or_else(|| {
            tracing::error!(
                what,
                "a ledger row's outbox cannot be read; nothing is republished from it"
            );
            Vec::new()
        }),
        None => row.get::<_, Option<Vec<Vec<u8>>>>(2).unwrap_or_default(),
    }
}

/// Claims the event keys and returns those this call claimed; a key missing from the result was recorded by
/// another delivery (the unique key decides, not a read-then-write).
pub async fn claim(
    client: &impl GenericClient,
    entries: &[LedgerEntry<'_>],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "INSERT INTO processed_events (event_key, tenant, event, conversation_id, stream_seq, outcome,
                                           action_ids, actions, activity)
             SELECT k, t, e, c, s, o, ARRAY(SELECT jsonb_array_elements_text(ids::jsonb)), a, r
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                         $8::bytea[], $9::bytea[]) AS n(k, t, e, c, s, o, ids, a, r)
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
    // A text[] per row cannot go through unnest (it flattens arrays), so each row's ids travel as a JSON array.
    let action_ids: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string(&e.action_ids).unwrap_or_else(|_| "[]".into()))
        .collect();
    let actions: Vec<&[u8]> = entries.iter().map(|e| e.actions.as_slice()).collect();
    let activity: Vec<&[u8]> = entries.iter().map(|e| e.activity.as_slice()).collect();
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
                &action_ids,
                &actions,
                &activity,
            ],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

//! The worker's ledger: one row per processed event key, committed in the same transaction as the state it
//! changed and the actions it produced (a transactional outbox). A redelivered or duplicated event finds its row
//! and only republishes those stored actions, whose ids make JetStream and the dispatcher drop the copies.

use bytes::Bytes;
use deadpool_postgres::GenericClient;
use proto::Action;

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

/// The actions recorded for `event_key`, or `None` when the event was never processed.
pub async fn stored_actions(
    client: &impl GenericClient,
    event_key: &str,
) -> Result<Option<Vec<Bytes>>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT ea.payload FROM processed_events pe
             LEFT JOIN event_actions ea ON ea.event_key = pe.event_key
             WHERE pe.event_key = $1 ORDER BY ea.position",
            &[&event_key],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.iter()
            .filter_map(|row| row.get::<_, Option<Vec<u8>>>(0))
            .map(Bytes::from)
            .collect(),
    ))
}

/// Claims the event key; `false` means another delivery already recorded it (the unique key decides, not a
/// read-then-write).
pub async fn claim(
    client: &impl GenericClient,
    entry: &LedgerEntry<'_>,
) -> Result<bool, tokio_postgres::Error> {
    let inserted = client
        .execute(
            "INSERT INTO processed_events (event_key, tenant, event, conversation_id, stream_seq, outcome)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_key) DO NOTHING",
            &[
                &entry.event_key,
                &entry.tenant,
                &entry.event,
                &entry.conversation_id.map(crate::state::to_i64),
                &crate::state::to_i64(entry.stream_seq),
                &entry.outcome,
            ],
        )
        .await?;
    Ok(inserted == 1)
}

/// Records the actions produced by the claimed event, in order.
pub async fn record_actions(
    client: &impl GenericClient,
    event_key: &str,
    actions: &[(Action, Bytes)],
) -> Result<(), tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "INSERT INTO event_actions (action_id, event_key, position, kind, payload) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for (position, (action, payload)) in actions.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        client
            .execute(
                &statement,
                &[
                    &action.action_id,
                    &event_key,
                    &position,
                    &action.kind.name(),
                    &payload.as_ref(),
                ],
            )
            .await?;
    }
    Ok(())
}

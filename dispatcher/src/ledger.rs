//! The dispatcher's ledger, keyed by action id: a redelivered action never posts twice.
//!
//! States: `sending` (a dispatcher holds a lease while it calls Chatwoot), `retrying` (failed in a way that
//! certainly did not reach Chatwoot), `uncertain` (the call may have reached Chatwoot: timeout or dropped
//! connection), `delivered`, `dead` (dead-lettered). A `sending` row whose lease ran out means its dispatcher
//! died mid-call, which is uncertain too.

use std::time::Duration;

use deadpool_postgres::{GenericClient, Pool};
use proto::Action;

/// What this delivery may do with the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First or retried attempt that certainly did not reach Chatwoot before: call.
    Go {
        attempt: u32,
    },
    /// A previous attempt may have reached Chatwoot: check before calling again.
    Uncertain {
        attempt: u32,
    },
    AlreadyDelivered,
    AlreadyDead,
    /// Another dispatcher holds the lease; look again after it expires.
    Busy(Duration),
}

/// A first attempt: the row and its lease in one autocommitted statement, the common case.
const INSERT_NEW: &str = "
    INSERT INTO dispatched_actions (action_id, tenant, conversation_id, kind, state, attempts, lease_until, payload)
    VALUES ($1, $2, $3, $4, 'sending', 1, now() + make_interval(secs => $5), $6)
    ON CONFLICT (action_id) DO NOTHING";
const LOCK_EXISTING: &str = "
    SELECT state, GREATEST(EXTRACT(EPOCH FROM (lease_until - now())), 0)::float8, attempts
    FROM dispatched_actions WHERE action_id = $1 FOR UPDATE";
const TAKE_LEASE: &str = "
    UPDATE dispatched_actions SET state = 'sending', attempts = $2, lease_until = now() + make_interval(secs => $3),
        updated_at = now()
    WHERE action_id = $1";
const SETTLE: &str = "
    UPDATE dispatched_actions SET state = $2, lease_until = NULL, last_status = $3, last_error = $4, updated_at = now()
    WHERE action_id = $1";
const RELEASE: &str = "
    UPDATE dispatched_actions SET state = $2, lease_until = NULL, attempts = GREATEST(attempts - 1, 0),
        updated_at = now()
    WHERE action_id = $1 AND state = 'sending'";

/// Claims `action` for this attempt. Every statement is prepared once per connection: planning them anew for
/// each action cost PostgreSQL more than executing them.
pub async fn claim(
    pool: &Pool,
    action: &Action,
    payload: &[u8],
    lease: Duration,
) -> Result<Claim, LedgerError> {
    let mut client = pool.get().await?;
    let lease_secs = lease.as_secs_f64();
    let insert = client.prepare_cached(INSERT_NEW).await?;
    let inserted = client
        .execute(
            &insert,
            &[
                &action.action_id,
                &action.tenant,
                &i64::try_from(action.conversation_id).unwrap_or(i64::MAX),
                &action.kind.name(),
                &lease_secs,
                &payload,
            ],
        )
        .await?;
    if inserted == 1 {
        return Ok(Claim::Go { attempt: 1 });
    }
    // The ledger knows the action: how its earlier attempts ended decides, under the row lock so that two
    // deliveries of it cannot both take the lease.
    let txn = client.transaction().await?;
    let lock = txn.prepare_cached(LOCK_EXISTING).await?;
    let claim = match txn.query_opt(&lock, &[&action.action_id]).await? {
        // Nothing deletes ledger rows; should something ever, the next delivery inserts it afresh.
        None => Claim::Busy(Duration::from_secs(1)),
        Some(row) => {
            let state: &str = row.get(0);
            let lease_left: Option<f64> = row.get(1);
            let attempts: i32 = row.get(2);
            let attempt = u32::try_from(attempts).unwrap_or(0) + 1;
            match state {
                "delivered" => Claim::AlreadyDelivered,
                "dead" => Claim::AlreadyDead,
                "sending" if lease_left.is_some_and(|s| s > 0.0) => {
                    Claim::Busy(Duration::from_secs_f64(lease_left.unwrap_or(1.0)))
                }
                "retrying" => Claim::Go { attempt },
                _ => Claim::Uncertain { attempt },
            }
        }
    };
    // Even a row re-armed to zero attempts (a redrive) is leased: a dispatcher killed during this call must
    // leave `sending` behind, so the next attempt checks before posting again.
    if let Claim::Go { attempt } | Claim::Uncertain { attempt } = claim {
        let take = txn.prepare_cached(TAKE_LEASE).await?;
        txn.execute(
            &take,
            &[
                &action.action_id,
                &i32::try_from(attempt).unwrap_or(i32::MAX),
                &lease_secs,
            ],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(claim)
}

/// Records how the attempt ended.
pub async fn settle(
    pool: &Pool,
    action_id: &str,
    state: SettledState,
    status: Option<u16>,
    error: Option<&str>,
) -> Result<(), LedgerError> {
    let client = pool.get().await?;
    let settle = client.prepare_cached(SETTLE).await?;
    client
        .execute(
            &settle,
            &[&action_id, &state.as_str(), &status.map(i32::from), &error],
        )
        .await?;
    Ok(())
}

/// Undoes a claim whose attempt made no call that counts (it found no rate-limit token): the lease is dropped,
/// the attempt not counted, and the action keeps the state it had before.
pub async fn release(pool: &Pool, action_id: &str, state: SettledState) -> Result<(), LedgerError> {
    let client = pool.get().await?;
    let release = client.prepare_cached(RELEASE).await?;
    client
        .execute(&release, &[&action_id, &state.as_str()])
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledState {
    Delivered,
    Retrying,
    Uncertain,
    Dead,
}

impl SettledState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Uncertain => "uncertain",
            Self::Dead => "dead",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// Re-arms dead-lettered actions for a redrive: the operator asserts they did not reach Chatwoot.
pub async fn rearm(
    client: &impl GenericClient,
    action_ids: &[String],
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "UPDATE dispatched_actions SET state = 'retrying', attempts = 0, lease_until = NULL, updated_at = now()
             WHERE action_id = ANY($1) AND state = 'dead'",
            &[&action_ids],
        )
        .await
}

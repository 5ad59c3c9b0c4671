//! The dispatcher's ledger, keyed by action id: a redelivered action never posts twice.
//!
//! States: `sending` (a dispatcher holds a lease while it calls Chatwoot), `retrying` (failed in a way that
//! certainly did not reach Chatwoot), `uncertain` (the call may have reached Chatwoot: timeout or dropped
//! connection), `delivered`, `dead` (dead-lettered). A `sending` row whose lease ran out means its dispatcher
//! died mid-call, which is uncertain too.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Pool};
use proto::Action;

use crate::group::GroupCommitter;

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

/// Most requests one group commit takes: the dispatcher's default concurrency, so that a full set of deliveries
/// claiming (or settling) together shares one statement.
const MAX_BATCH: usize = 64;

/// First attempts: the rows and their leases in one autocommitted statement, the common case. The rows returned
/// are the ones inserted; an action not returned was already in the ledger.
const INSERT_NEW: &str = "
    INSERT INTO dispatched_actions (action_id, tenant, conversation_id, kind, state, attempts, lease_until, payload,
                                    conversation_seq)
    SELECT action_id, tenant, conversation_id, kind, 'sending', 1, now() + make_interval(secs => lease), payload, seq
    FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::float8[], $6::bytea[], $7::int8[])
        AS n(action_id, tenant, conversation_id, kind, lease, payload, seq)
    ON CONFLICT (action_id) DO NOTHING
    RETURNING action_id";
const LOCK_EXISTING: &str = "
    SELECT state, GREATEST(EXTRACT(EPOCH FROM (lease_until - now())), 0)::float8, attempts
    FROM dispatched_actions WHERE action_id = $1 FOR UPDATE";
const TAKE_LEASE: &str = "
    UPDATE dispatched_actions SET state = 'sending', attempts = $2, lease_until = now() + make_interval(secs => $3),
        updated_at = now()
    WHERE action_id = $1";
/// Records a group's outcomes and counts the attempts that end here, in one autocommitted statement (one round
/// trip: as a transaction of its own statements it took four). An attempt ends here when it leaves `sending`: a
/// repeated settle of the same attempt counts nothing. `uncertain` counts as retried, like `retrying`; an action
/// settled `delivered` with a reason was skipped (its platform has no such call), not sent. Counter rows are
/// written in (tenant, metric) order, as `add_counters` writes them.
///
/// `action_id = ANY($1)` is what keeps this on the primary key: joined with `unnest` alone, the generic plan a
/// prepared statement settles on after five executions, made while the table was small, is a hash join over a
/// sequential scan, which then reads the whole table on every settle (seen at 50k rows: 15 ms instead of 0.2).
/// With it, even a generic plan made on an empty table looks the rows up in the index. The arrays come as
/// `(SELECT $n)` so that this plan is kept rather than made again for each settle (see `infra::db`'s
/// `PREFER_INDEXES`). Public for the test that checks the plans of the hot statements.
pub const SETTLE: &str = concat!(
    "
    WITH settled AS (
        UPDATE dispatched_actions d SET state = s.state, lease_until = NULL, last_status = s.status,
            last_error = s.error, updated_at = now()
        FROM unnest((SELECT $1::text[]), (SELECT $2::text[]), (SELECT $3::int4[]), (SELECT $4::text[]))
                 AS s(action_id, state, status, error),
             dispatched_actions old
        WHERE d.action_id = ANY((SELECT $1::text[])::text[]) AND d.action_id = s.action_id
          AND old.action_id = ANY((SELECT $1::text[])::text[]) AND old.action_id = d.action_id
        RETURNING d.tenant, d.state, old.state AS was, s.error IS NOT NULL AS skipped
    ), ended AS (
        SELECT tenant, CASE state WHEN 'delivered' THEN $5::text WHEN 'dead' THEN $7::text ELSE $6::text END
                   AS metric,
               count(*) AS attempts
        FROM settled
        WHERE was = 'sending' AND state IN ('delivered', 'retrying', 'uncertain', 'dead')
          AND NOT (state = 'delivered' AND skipped)
        GROUP BY 1, 2
    )
    INSERT INTO analytics_counters AS c (tenant, hour, metric, key, shard, count, sum)
    SELECT tenant, $8::bigint, metric, '', $9::int2, attempts, 0 FROM ended ORDER BY tenant, metric",
    analytics::add_to_existing_counters!()
);
/// Whether the conversation's action with this sequence number is delivered or dead-lettered.
pub const IS_SETTLED: &str = "
    SELECT state IN ('delivered', 'dead') FROM dispatched_actions
    WHERE tenant = $1 AND conversation_id = $2 AND conversation_seq = $3 AND conversation_seq > 0";
/// Delivered actions of one conversation and kind since a time; settled after their call, so `updated_at` is
/// never earlier than the reply they posted.
const DELIVERED_TWINS: &str = "
    SELECT payload FROM dispatched_actions
    WHERE tenant = $1 AND conversation_id = $2 AND action_id <> $3 AND kind = $4 AND state = 'delivered'
      AND updated_at >= to_timestamp($5)";
const RELEASE: &str = "
    UPDATE dispatched_actions SET state = $2, lease_until = NULL, attempts = GREATEST(attempts - 1, 0),
        updated_at = now()
    WHERE action_id = $1 AND state = 'sending'";

/// A first claim waiting for its group commit.
struct NewClaim {
    action_id: String,
    tenant: String,
    conversation_id: i64,
    kind: &'static str,
    lease_secs: f64,
    payload: Vec<u8>,
    conversation_seq: i64,
}

/// A settle waiting for its group commit.
struct Settlement {
    action_id: String,
    tenant: String,
    conversation_id: u64,
    state: SettledState,
    status: Option<i32>,
    error: Option<String>,
}

/// The ledger of one dispatcher: concurrent first claims share one statement, and so do concurrent settles (see
/// the `group` module). Every statement is prepared once per connection: planning them anew for each action cost
/// PostgreSQL more than executing them.
///
/// When a group's statement fails, each of its requests is answered with that error rather than retried alone:
/// in practice such a failure is PostgreSQL or the connection being unavailable, which running each request
/// alone would only meet again, one request after the other. Each delivery then takes its existing path for an
/// unreachable ledger: a failed claim is naked with nothing called, a failed settle leaves the lease to run out
/// and the redelivery to find the attempt uncertain, exactly as when its own statement failed.
#[derive(Clone)]
pub struct Ledger {
    pool: Pool,
    inserts: GroupCommitter<NewClaim, Result<bool, LedgerError>>,
    settles: GroupCommitter<Settlement, Result<(), LedgerError>>,
}

impl Ledger {
    /// Spawns the group commit tasks, which gather requests for up to `linger` while the dispatcher is busy;
    /// they end when the last clone of the ledger is dropped.
    pub fn new(pool: Pool, linger: Duration) -> Self {
        let insert_pool = pool.clone();
        let settle_pool = pool.clone();
        Self {
            inserts: GroupCommitter::spawn(MAX_BATCH, linger, move |batch| {
                let pool = insert_pool.clone();
                async move { insert_new(&pool, batch).await }
            }),
            settles: GroupCommitter::spawn(MAX_BATCH, linger, move |batch| {
                let pool = settle_pool.clone();
                async move { settle_all(&pool, batch).await }
            }),
            pool,
        }
    }

    /// Claims `action` for this attempt.
    pub async fn claim(
        &self,
        action: &Action,
        payload: &[u8],
        lease: Duration,
    ) -> Result<Claim, LedgerError> {
        let inserted = self
            .inserts
            .submit(NewClaim {
                action_id: action.action_id.clone(),
                tenant: action.tenant.clone(),
                conversation_id: i64::try_from(action.conversation_id).unwrap_or(i64::MAX),
                kind: action.kind.name(),
                lease_secs: lease.as_secs_f64(),
                payload: payload.to_vec(),
                conversation_seq: i64::try_from(action.conversation_seq).unwrap_or(i64::MAX),
            })
            .await
            .ok_or(LedgerError::Stopped)??;
        if inserted {
            return Ok(Claim::Go { attempt: 1 });
        }
        claim_existing(&self.pool, &action.action_id, lease).await
    }

    /// Records how the attempt ended.
    pub async fn settle(
        &self,
        action: &Action,
        state: SettledState,
        status: Option<u16>,
        error: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.settles
            .submit(Settlement {
                action_id: action.action_id.clone(),
                tenant: action.tenant.clone(),
                conversation_id: action.conversation_id,
                state,
                status: status.map(i32::from),
                error: error.map(str::to_owned),
            })
            .await
            .ok_or(LedgerError::Stopped)?
    }

    /// Whether the conversation's action `seq` is settled (delivered or dead-lettered); `false` while it is not,
    /// or not yet known to any dispatcher.
    pub async fn is_settled(
        &self,
        tenant: &str,
        conversation_id: u64,
        seq: u64,
    ) -> Result<bool, LedgerError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(IS_SETTLED).await?;
        let row = client
            .query_opt(
                &statement,
                &[
                    &tenant,
                    &i64::try_from(conversation_id).unwrap_or(i64::MAX),
                    &i64::try_from(seq).unwrap_or(i64::MAX),
                ],
            )
            .await?;
        Ok(row.is_some_and(|row| row.get(0)))
    }

    /// How many other actions of `action`'s conversation, with exactly its kind and text, were delivered since
    /// `since` (unix seconds): replies of ours the platform shows that are not the uncertain attempt's.
    pub async fn delivered_twins(&self, action: &Action, since: i64) -> Result<usize, LedgerError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(DELIVERED_TWINS).await?;
        let rows = client
            .query(
                &statement,
                &[
                    &action.tenant,
                    &i64::try_from(action.conversation_id).unwrap_or(i64::MAX),
                    &action.action_id,
                    &action.kind.name(),
                    &(since as f64),
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| Action::decode(row.get::<_, &[u8]>(0)).ok())
            .filter(|twin| twin.kind == action.kind)
            .count())
    }

    /// Undoes a claim whose attempt made no call that counts (it found no rate-limit token): the lease is
    /// dropped, the attempt not counted, and the action keeps the state it had before. Rare enough to go alone.
    pub async fn release(&self, action_id: &str, state: SettledState) -> Result<(), LedgerError> {
        let client = self.pool.get().await?;
        let release = client.prepare_cached(RELEASE).await?;
        client
            .execute(&release, &[&action_id, &state.as_str()])
            .await?;
        Ok(())
    }
}

/// Inserts the batch's new actions in one statement and answers whether each was inserted. Copies of one action
/// are inserted once: only the first copy can take the lease, the others find the row (and the lease held) in
/// [`claim_existing`]. The rows go in sorted by id, so that two dispatchers inserting overlapping batches lock
/// them in the same order and cannot deadlock.
async fn insert_new(pool: &Pool, batch: Vec<NewClaim>) -> Vec<Result<bool, LedgerError>> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    // Stable: of the copies of an action, the first one queued is the one inserted.
    order.sort_by(|&a, &b| batch[a].action_id.cmp(&batch[b].action_id));
    order.dedup_by(|&mut later, &mut earlier| batch[later].action_id == batch[earlier].action_id);
    let rows = order.iter().map(|&i| &batch[i]);
    let ids: Vec<&str> = rows.clone().map(|c| c.action_id.as_str()).collect();
    let tenants: Vec<&str> = rows.clone().map(|c| c.tenant.as_str()).collect();
    let conversations: Vec<i64> = rows.clone().map(|c| c.conversation_id).collect();
    let kinds: Vec<&str> = rows.clone().map(|c| c.kind).collect();
    let leases: Vec<f64> = rows.clone().map(|c| c.lease_secs).collect();
    let sequences: Vec<i64> = rows.clone().map(|c| c.conversation_seq).collect();
    let payloads: Vec<&[u8]> = rows.map(|c| c.payload.as_slice()).collect();
    let inserted = async {
        let client = pool.get().await?;
        let insert = client.prepare_cached(INSERT_NEW).await?;
        let rows = client
            .query(
                &insert,
                &[
                    &ids,
                    &tenants,
                    &conversations,
                    &kinds,
                    &leases,
                    &payloads,
                    &sequences,
                ],
            )
            .await?;
        Ok::<_, LedgerError>(
            rows.iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<std::collections::HashSet<_>>(),
        )
    }
    .await;
    match inserted {
        Ok(mut inserted) => batch
            .iter()
            // Removed once answered: a later copy of the same action was not the one inserted.
            .map(|c| Ok(inserted.remove(&c.action_id)))
            .collect(),
        Err(error) => batch.iter().map(|_| Err(error.clone())).collect(),
    }
}

/// The ledger knows the action: how its earlier attempts ended decides, under the row lock so that two
/// deliveries of it cannot both take the lease.
async fn claim_existing(
    pool: &Pool,
    action_id: &str,
    lease: Duration,
) -> Result<Claim, LedgerError> {
    let mut client = pool.get().await?;
    let txn = client.transaction().await?;
    let lock = txn.prepare_cached(LOCK_EXISTING).await?;
    let claim = match txn.query_opt(&lock, &[&action_id]).await? {
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
                &action_id,
                &i32::try_from(attempt).unwrap_or(i32::MAX),
                &lease.as_secs_f64(),
            ],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(claim)
}

/// Records the batch's outcomes in one statement ([`SETTLE`]). Two settles of one action in a batch (possible
/// only when a lease ran out) would make the update ambiguous: the last one queued wins, as it would have one
/// after the other. Rows are updated in id order, so that overlapping batches of two dispatchers cannot deadlock.
async fn settle_all(pool: &Pool, batch: Vec<Settlement>) -> Vec<Result<(), LedgerError>> {
    let mut order: Vec<usize> = (0..batch.len()).rev().collect();
    // Stable over the reversed queue: of the copies of an action, the last one queued comes first and is kept.
    order.sort_by(|&a, &b| batch[a].action_id.cmp(&batch[b].action_id));
    order.dedup_by(|&mut later, &mut earlier| batch[later].action_id == batch[earlier].action_id);
    let rows = order.iter().map(|&i| &batch[i]);
    let ids: Vec<&str> = rows.clone().map(|s| s.action_id.as_str()).collect();
    let states: Vec<&str> = rows.clone().map(|s| s.state.as_str()).collect();
    let statuses: Vec<Option<i32>> = rows.clone().map(|s| s.status).collect();
    let errors: Vec<Option<&str>> = rows.map(|s| s.error.as_deref()).collect();
    // Hours of the counters are UTC hours here (the dispatcher does not read calendars): the same as local
    // hours except in half-hour time zones.
    let hour = analytics::counters::default_hour(chrono::Utc::now());
    let shard =
        analytics::batch_shard(batch.iter().map(|s| (s.tenant.as_str(), s.conversation_id)));
    let settled = async {
        let client = pool.get().await?;
        let settle = client.prepare_cached(SETTLE).await?;
        client
            .execute(
                &settle,
                &[
                    &ids,
                    &states,
                    &statuses,
                    &errors,
                    &analytics::counters::DELIVERY_SENT,
                    &analytics::counters::DELIVERY_RETRIED,
                    &analytics::counters::DELIVERY_DEAD_LETTERED,
                    &hour,
                    &shard,
                ],
            )
            .await?;
        Ok::<_, LedgerError>(())
    }
    .await;
    batch.iter().map(|_| settled.clone()).collect()
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

/// Cloneable (the errors are shared): a failed group commit answers each of its requests with the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    #[error("no database connection: {0}")]
    Pool(Arc<deadpool_postgres::PoolError>),
    #[error("database error: {0}")]
    Postgres(Arc<tokio_postgres::Error>),
    #[error("the ledger's group commit task stopped")]
    Stopped,
}

impl From<deadpool_postgres::PoolError> for LedgerError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Pool(Arc::new(error))
    }
}

impl From<tokio_postgres::Error> for LedgerError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Postgres(Arc::new(error))
    }
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

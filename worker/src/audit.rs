//! The webhook audit trail: the ingress publishes a `webhook_received` or `webhook_refused` activity record for
//! every webhook; the worker copies them into `webhook_audit` (queried by the API with filters and joined with
//! the ledger for what became of each) and deletes rows older than `AUDIT_RETENTION`. Durable consumers shared
//! by every worker replica; a record is keyed by its stream sequence, so copying it twice is a no-op.

use std::time::Duration;

use async_nats::jetstream::consumer::{self, PullConsumer};
use async_nats::jetstream::AckKind;
use deadpool_postgres::Pool;
use futures::StreamExt;
use infra::activity::{Activity, ActivityKind};
use infra::retry::FetchFailures;
use tokio_util::sync::CancellationToken;

/// Records copied per transaction.
const BATCH: usize = 256;

/// How long the copier lets records gather after a fetch that found fewer than a batch. Without it, a busy
/// pipeline gave it two or three records per fetch: a transaction, a commit's WAL flush and a subscription for
/// every few webhooks. The audit trail is read by people, for whom a fifth of a second does not matter.
const GATHER: Duration = Duration::from_millis(200);

/// The audit's consumer of one kind of webhook record, created if missing.
pub async fn consumer(
    infra: &infra::Infra,
    kind: ActivityKind,
) -> Result<PullConsumer, infra::topology::TopologyError> {
    let topology = &infra.topology;
    let name = format!("audit-{}", kind.as_str().replace('_', "-"));
    let stream = infra
        .jetstream
        .get_stream(topology.activity_stream())
        .await
        .map_err(|source| infra::topology::TopologyError::GetStream {
            stream: topology.activity_stream(),
            source,
        })?;
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: topology.activity_filter("*", None, Some(kind.as_str())),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            max_deliver: -1,
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|source| infra::topology::TopologyError::Consumer {
            consumer: name,
            source,
        })
}

/// Copies records into `webhook_audit` until `shutdown`; returns when fetching keeps failing (the supervisor
/// starts it again with its consumer created again).
pub async fn record_loop(
    nats: async_nats::Client,
    consumer: PullConsumer,
    pool: Pool,
    fetch_expires: Duration,
    shutdown: CancellationToken,
) {
    let mut failures = FetchFailures::default();
    while !shutdown.is_cancelled() && !failures.gave_up() {
        let batch = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(fetch_expires)
            .messages()
            .await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "audit fetch failed");
                failures
                    .pause(&nats, &consumer, fetch_expires, &shutdown)
                    .await;
                continue;
            }
        };
        let mut messages = Vec::new();
        while let Some(message) = batch.next().await {
            match message {
                Ok(message) => messages.push(message),
                Err(error) => {
                    tracing::warn!(%error, "audit fetch refused");
                    failures
                        .pause(&nats, &consumer, fetch_expires, &shutdown)
                        .await;
                    break;
                }
            }
        }
        if messages.is_empty() {
            continue;
        }
        failures.reset();
        let rows: Vec<(u64, Activity)> = messages
            .iter()
            .filter_map(|m| {
                let seq = m.info().ok()?.stream_sequence;
                match serde_json::from_slice(&m.payload) {
                    Ok(record) => Some((seq, record)),
                    Err(error) => {
                        tracing::warn!(%error, seq, "unreadable audit record skipped");
                        None
                    }
                }
            })
            .collect();
        let kind = match insert(&pool, &rows).await {
            Ok(()) => AckKind::Ack,
            Err(error) => {
                tracing::warn!(%error, "audit records not stored; retrying");
                AckKind::Nak(Some(Duration::from_secs(1)))
            }
        };
        for message in &messages {
            let _ = message.ack_with(kind).await;
        }
        if messages.len() < BATCH {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(GATHER) => {}
            }
        }
    }
}

async fn insert(pool: &Pool, rows: &[(u64, Activity)]) -> Result<(), AuditError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut seqs = Vec::with_capacity(rows.len());
    let mut tenants = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    let mut deliveries = Vec::with_capacity(rows.len());
    let mut keys = Vec::with_capacity(rows.len());
    let mut duplicates = Vec::with_capacity(rows.len());
    let mut statuses = Vec::with_capacity(rows.len());
    let mut reasons = Vec::with_capacity(rows.len());
    let mut times = Vec::with_capacity(rows.len());
    for (seq, record) in rows {
        let data = &record.data;
        seqs.push(i64::try_from(*seq).unwrap_or(i64::MAX));
        tenants.push(record.tenant.as_str());
        events.push(data["event"].as_str());
        deliveries.push(data["delivery_id"].as_str());
        keys.push(record.event_key.as_deref());
        duplicates.push(data["duplicate"].as_bool().unwrap_or(false));
        statuses.push(
            data["status"]
                .as_i64()
                .and_then(|s| i32::try_from(s).ok())
                .unwrap_or(0),
        );
        reasons.push(data["reason"].as_str());
        times.push(record.at_ms as f64 / 1000.0);
    }
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(
            "INSERT INTO webhook_audit (activity_seq, tenant, event, delivery_id, event_key, duplicate, status,
                                        reason, received_at)
             SELECT seq, tenant, event, delivery, event_key, duplicate, status, reason, to_timestamp(at)
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::int4[],
                         $8::text[], $9::float8[])
                  AS r(seq, tenant, event, delivery, event_key, duplicate, status, reason, at)
             ON CONFLICT (activity_seq) DO NOTHING",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &seqs,
                &tenants,
                &events,
                &deliveries,
                &keys,
                &duplicates,
                &statuses,
                &reasons,
                &times,
            ],
        )
        .await?;
    Ok(())
}

/// Deletes audit rows older than `retention`, a bounded number at a time, every `interval` until `shutdown`.
pub async fn prune_loop(
    pool: Pool,
    retention: Duration,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        match prune(&pool, retention).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "old webhook audit rows deleted"),
            Err(error) => tracing::warn!(%error, "webhook audit not pruned; will try again"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

async fn prune(pool: &Pool, retention: Duration) -> Result<u64, AuditError> {
    let client = pool.get().await?;
    let mut deleted = 0;
    loop {
        // In slices, so a large backlog never holds a long lock or one huge transaction.
        let n = client
            .execute(
                "DELETE FROM webhook_audit WHERE activity_seq IN (
                     SELECT activity_seq FROM webhook_audit
                     WHERE received_at < now() - make_interval(secs => $1) LIMIT 10000)",
                &[&retention.as_secs_f64()],
            )
            .await?;
        deleted += n;
        if n < 10_000 {
            return Ok(deleted);
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum AuditError {
    #[error(transparent)]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

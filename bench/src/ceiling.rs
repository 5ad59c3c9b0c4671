//! The machine's own limits, measured in the same run as the pipeline: JetStream publishing the bodies the ingress
//! publishes, and PostgreSQL committing rows shaped like the worker's ledger.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use serde::Serialize;
use tokio_postgres::NoTls;

use crate::hist::{self, Latency};
use crate::payload::Payloads;

/// A rate and, for one-at-a-time measurements, the latency of one operation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Rate {
    pub ops: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub latency: Option<Latency>,
}

impl Rate {
    fn new(ops: u64, elapsed: Duration, latency: Option<Latency>) -> Self {
        let seconds = elapsed.as_secs_f64();
        Self {
            ops,
            seconds,
            per_second: if seconds > 0.0 {
                ops as f64 / seconds
            } else {
                0.0
            },
            latency,
        }
    }
}

/// Every ceiling of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ceilings {
    /// Bytes of one published envelope (protobuf around the ~2.9 KB webhook body).
    pub envelope_bytes: usize,
    /// Publishes with `Nats-Msg-Id`, up to `window` acknowledgements outstanding.
    pub jetstream_pipelined: Rate,
    pub jetstream_window: usize,
    /// One publish, wait for its acknowledgement, repeat.
    pub jetstream_sync: Rate,
    /// `INSERT` of one ledger row in its own transaction, on one connection.
    pub pg_commit_1: Rate,
    /// The same on eight connections at once.
    pub pg_commit_8: Rate,
    /// `INSERT … SELECT unnest(…)` of `pg_batch_size` keys per statement; `ops` counts keys.
    pub pg_batched: Rate,
    pub pg_batch_size: usize,
}

/// Envelopes of the same size and shape as the ingress's, reused with fresh message ids: JetStream does not look
/// into the payload, and building each one would make the generator, not JetStream, the bound.
pub fn envelope_pool(
    payloads: &Payloads,
    topology: &infra::Topology,
    count: usize,
) -> Vec<(String, Bytes)> {
    (0..count)
        .map(|_| {
            let event = payloads.next();
            let (subject, _, envelope) = payloads.envelope(&event, topology);
            (subject, envelope)
        })
        .collect()
}

fn msg_id_headers(id: u64) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("raw:{id}").as_str());
    headers
}

/// Pipelined publishing into a stream configured like `CHATWOOT_EVENTS` (file storage, duplicate window).
pub async fn jetstream_pipelined(
    js: &async_nats::jetstream::Context,
    pool: &[(String, Bytes)],
    duration: Duration,
    window: usize,
) -> anyhow::Result<Rate> {
    let started = Instant::now();
    let mut acks = VecDeque::with_capacity(window);
    let mut sent = 0u64;
    while started.elapsed() < duration {
        for (subject, payload) in pool {
            if acks.len() >= window {
                if let Some(ack) = acks.pop_front() {
                    let ack: async_nats::jetstream::context::PublishAckFuture = ack;
                    ack.await.context("JetStream ack")?;
                }
            }
            let ack = js
                .publish_with_headers(subject.clone(), msg_id_headers(sent), payload.clone())
                .await
                .context("JetStream publish")?;
            acks.push_back(ack);
            sent += 1;
        }
    }
    for ack in acks {
        ack.await.context("JetStream ack")?;
    }
    Ok(Rate::new(sent, started.elapsed(), None))
}

/// Publish, wait for the ack, repeat: what one request of the ingress costs when nothing else is in flight.
pub async fn jetstream_sync(
    js: &async_nats::jetstream::Context,
    pool: &[(String, Bytes)],
    duration: Duration,
    first_id: u64,
) -> anyhow::Result<Rate> {
    let mut histogram = hist::new_histogram();
    let started = Instant::now();
    let mut sent = 0u64;
    'outer: loop {
        for (subject, payload) in pool {
            if started.elapsed() >= duration {
                break 'outer;
            }
            let one = Instant::now();
            js.publish_with_headers(
                subject.clone(),
                msg_id_headers(first_id + sent),
                payload.clone(),
            )
            .await
            .context("JetStream publish")?
            .await
            .context("JetStream ack")?;
            hist::record(&mut histogram, one.elapsed());
            sent += 1;
        }
    }
    Ok(Rate::new(
        sent,
        started.elapsed(),
        Some(Latency::of(&histogram)),
    ))
}

/// The ledger ceilings, on a copy of `processed_events` (same columns, key and index) in `database_url`, which the
/// services' migrations have already created.
pub async fn postgres(
    database_url: &str,
    duration: Duration,
    batch_size: usize,
) -> anyhow::Result<(Rate, Rate, Rate)> {
    let (admin, connection) = tokio_postgres::connect(database_url, NoTls)
        .await
        .context("PostgreSQL")?;
    let driver = tokio::spawn(connection);
    admin
        .batch_execute(
            "DROP TABLE IF EXISTS bench_ledger;
             CREATE TABLE bench_ledger (LIKE processed_events INCLUDING ALL);",
        )
        .await
        .context("creating bench_ledger")?;
    let one = single_row_commits(database_url, 1, duration).await?;
    let eight = single_row_commits(database_url, 8, duration).await?;
    let batched = batched_inserts(database_url, duration, batch_size).await?;
    admin
        .batch_execute("DROP TABLE IF EXISTS bench_ledger")
        .await
        .context("dropping bench_ledger")?;
    drop(admin);
    let _ = driver.await;
    Ok((one, eight, batched))
}

const INSERT_ONE: &str =
    "INSERT INTO bench_ledger (event_key, tenant, event, conversation_id, stream_seq, outcome)
                          VALUES ($1, 'acme', 'message_created', $2, $3, 'acted')";

async fn single_row_commits(
    database_url: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Rate> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for connection_index in 0..connections {
        let url = database_url.to_owned();
        tasks.spawn(async move {
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
            let driver = tokio::spawn(connection);
            let statement = client.prepare(INSERT_ONE).await?;
            let mut histogram = hist::new_histogram();
            let mut count = 0i64;
            while started.elapsed() < duration {
                let key = format!("acme:message_created:c{connections}-{connection_index}-{count}");
                let one = Instant::now();
                client.execute(&statement, &[&key, &count, &count]).await?;
                hist::record(&mut histogram, one.elapsed());
                count += 1;
            }
            drop(client);
            let _ = driver.await;
            Ok::<_, tokio_postgres::Error>((count, histogram))
        });
    }
    let mut total = 0u64;
    let mut histogram = hist::new_histogram();
    while let Some(result) = tasks.join_next().await {
        let (count, one) = result
            .context("insert task")?
            .context("single-row insert")?;
        total += u64::try_from(count).unwrap_or(0);
        histogram.add(&one).context("merging histograms")?;
    }
    Ok(Rate::new(
        total,
        started.elapsed(),
        Some(Latency::of(&histogram)),
    ))
}

async fn batched_inserts(
    database_url: &str,
    duration: Duration,
    batch_size: usize,
) -> anyhow::Result<Rate> {
    let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    let driver = tokio::spawn(connection);
    let statement = client
        .prepare(
            "INSERT INTO bench_ledger (event_key, tenant, event, conversation_id, stream_seq, outcome)
             SELECT k, 'acme', 'message_created', c, s, 'acted'
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(k, c, s)",
        )
        .await?;
    let started = Instant::now();
    let mut total = 0u64;
    let mut batch = 0u64;
    while started.elapsed() < duration {
        let first = batch * batch_size as u64;
        let keys: Vec<String> = (0..batch_size as u64)
            .map(|i| format!("acme:message_created:b{}", first + i))
            .collect();
        let numbers: Vec<i64> = (0..batch_size as i64)
            .map(|i| i + i64::try_from(first).unwrap_or(0))
            .collect();
        let inserted = client
            .execute(&statement, &[&keys, &numbers, &numbers])
            .await?;
        total += inserted;
        batch += 1;
    }
    let rate = Rate::new(total, started.elapsed(), None);
    drop(client);
    let _ = driver.await;
    Ok(rate)
}

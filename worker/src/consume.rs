//! One loop per partition: fetch one event, have it processed, then ack or nak. With `max_ack_pending = 1` on
//! each partition consumer, JetStream hands out a partition's next event only after this one is settled, whichever
//! replica holds it, which is what keeps a conversation's events ordered and never concurrent.
//!
//! The loops do not process events themselves: they hand them to the [`Batcher`], which processes the events
//! waiting at that moment (at most one per partition, so never two of one conversation) together, with one
//! transaction for all of them. An idle pipeline processes each event at once; a busy one commits in groups, each
//! gathered for up to `BATCH_LINGER` ([`infra::gather`]).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::pull::BatchConfig;
use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::AckKind;
use async_nats::StatusCode;
use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use infra::gather::{Arrival, Gatherer};
use infra::retry::FetchFailures;
use infra::Supervisor;
use proto::{DeadItem, DeadLetter, EventEnvelope};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_util::sync::CancellationToken;

use crate::metrics::{EventOutcome, WorkerMetrics};
use crate::process::{Job, JobResult, Outcome, ProcessError, Processor};

#[derive(Debug, Clone)]
pub struct LoopSettings {
    pub fetch_expires: Duration,
    pub retry_min_delay: Duration,
    pub retry_max_delay: Duration,
}

/// Where a partition loop gets its events from, and what it hands them to.
pub struct PartitionSource {
    pub consumer: PullConsumer,
    pub consumer_name: String,
    /// The connection the loop keeps its one delivery subscription on.
    pub nats: async_nats::Client,
}

/// Runs until `shutdown`; an event already fetched is finished (or handed back with a nak) before returning. Also
/// returns when fetching keeps failing while NATS is connected ([`FetchFailures`]: a consumer deleted, a stream
/// gone), so that the supervisor restarts it with its consumer created again, or stops the worker when that does
/// not help.
///
/// One subscription per loop for its whole life, and one pull request for one event at a time: a fetch per event
/// (`consumer.batch()`) would subscribe and unsubscribe for every event, which costs the server more than the
/// delivery itself.
pub async fn partition_loop(
    source: PartitionSource,
    processor: Arc<Processor>,
    batcher: Batcher,
    settings: LoopSettings,
    metrics: WorkerMetrics,
    shutdown: CancellationToken,
) {
    let PartitionSource {
        consumer,
        consumer_name,
        nats,
    } = source;
    let mut failures = FetchFailures::default();
    // A failed fetch is retried soon: the pause never exceeds one fetch's lifetime.
    let max_pause = settings.fetch_expires;
    while !shutdown.is_cancelled() && !failures.gave_up() {
        let inbox = nats.new_inbox();
        let mut deliveries = match nats.subscribe(inbox.clone()).await {
            Ok(subscriber) => subscriber,
            Err(error) => {
                tracing::warn!(%error, consumer = %consumer_name, "cannot subscribe for deliveries");
                failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                continue;
            }
        };
        // The ack of the last event asked for the next one (`+NXT`): one message to the server per event
        // instead of an ack and a pull request. While it is outstanding, its answer is awaited even on shutdown,
        // so that an event it delivers is handed back rather than left to its ack timeout.
        let mut requested = false;
        while (requested || !shutdown.is_cancelled()) && !failures.gave_up() {
            if !std::mem::take(&mut requested) {
                let request = BatchConfig {
                    batch: 1,
                    expires: Some(settings.fetch_expires),
                    ..BatchConfig::default()
                };
                if let Err(error) = consumer.request_batch(request, inbox.clone().into()).await {
                    tracing::warn!(%error, consumer = %consumer_name, "fetch failed");
                    failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                    continue;
                }
            }
            // Not interrupted by shutdown: the request ends on its own within `fetch_expires` (an event or a
            // timeout status), and an event it still delivers is handed back at once instead of waiting out the
            // ack timeout on a dead subscription.
            let answer =
                tokio::time::timeout(settings.fetch_expires + REQUEST_GRACE, deliveries.next())
                    .await;
            let message = match answer {
                // JetStream answers every pull request, at the latest with a timeout status when it expires:
                // silence means the request went nowhere (no such consumer) or was lost with the connection.
                Err(_elapsed) => {
                    tracing::warn!(consumer = %consumer_name, "fetch unanswered");
                    failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                    continue;
                }
                Ok(None) => break,
                Ok(Some(message)) => message,
            };
            match message.status {
                None => {}
                Some(StatusCode::TIMEOUT | StatusCode::NOT_FOUND) => {
                    failures.reset();
                    continue;
                }
                Some(status) => {
                    tracing::warn!(%status, description = ?message.description, consumer = %consumer_name, "fetch refused");
                    failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                    continue;
                }
            }
            failures.reset();
            let message = async_nats::jetstream::Message {
                message,
                context: processor.jetstream.clone(),
            };
            if shutdown.is_cancelled() {
                settle(&message, AckKind::Nak(None)).await;
                break;
            }
            let next = (!shutdown.is_cancelled()).then_some((&nats, inbox.as_str()));
            requested = handle(
                &message,
                &consumer_name,
                &processor,
                &batcher,
                &settings,
                &metrics,
                next,
            )
            .await;
        }
    }
    if failures.gave_up() {
        tracing::error!(consumer = %consumer_name, "fetching keeps failing; the partition loop gives up");
    }
}

/// How long past its expiry a pull request's answer may take before the loop asks again.
const REQUEST_GRACE: Duration = Duration::from_secs(1);

async fn handle(
    message: &async_nats::jetstream::Message,
    consumer_name: &str,
    processor: &Processor,
    batcher: &Batcher,
    settings: &LoopSettings,
    metrics: &WorkerMetrics,
    next_to: Option<(&async_nats::Client, &str)>,
) -> bool {
    let started = std::time::Instant::now();
    let (stream_seq, delivered) = message
        .info()
        .map(|info| {
            (
                info.stream_sequence,
                u64::try_from(info.delivered).unwrap_or(1),
            )
        })
        .unwrap_or((0, 1));
    let span = tracing::info_span!(
        "process event",
        otel.name = %format!("process {}", consumer_name),
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.destination.name = %message.subject,
        messaging.consumer.group.name = %consumer_name,
        messaging.message.id = tracing::field::Empty,
        delivered,
        outcome = tracing::field::Empty,
    );
    infra::telemetry::set_parent_from_nats(&span, message.headers.as_ref());
    let result = match EventEnvelope::decode(&message.payload) {
        Ok(envelope) => {
            span.record("messaging.message.id", envelope.event_key.as_str());
            batcher
                .process(Job {
                    envelope,
                    stream_seq,
                    span: span.clone(),
                })
                .await
        }
        Err(error) => Err(ProcessError::Permanent(format!(
            "undecodable event: {error}"
        ))),
    };
    let mut kind = disposition(&result, delivered, settings);
    if let Err(ProcessError::Permanent(reason)) = &result {
        // Giving up on an accepted event must not lose it: it is kept as a dead letter an operator can redrive.
        if let Err(error) = dead_letter(processor, message, stream_seq, delivered, reason).await {
            tracing::warn!(%error, "event could not be dead-lettered; retrying it later");
            kind = AckKind::Nak(Some(settings.retry_max_delay));
        }
    }
    span.in_scope(|| match &result {
        Ok(outcome) => {
            span.record("outcome", outcome.as_str());
            tracing::debug!(outcome = outcome.as_str(), "event processed");
        }
        Err(ProcessError::Transient(reason)) => {
            tracing::warn!(%reason, delivered, "event will be retried")
        }
        Err(ProcessError::Permanent(reason)) => tracing::error!(%reason, "event dead-lettered"),
    });
    let outcome = match &result {
        Ok(Outcome::Acted) => EventOutcome::acted,
        Ok(Outcome::Recorded) => EventOutcome::recorded,
        Ok(Outcome::Duplicate) => EventOutcome::duplicate,
        Err(ProcessError::Transient(_)) => EventOutcome::retried,
        Err(ProcessError::Permanent(_)) => EventOutcome::dead_lettered,
    };
    metrics.observe(outcome, started.elapsed().as_secs_f64());
    match (kind, next_to) {
        (AckKind::Ack, Some((nats, inbox))) => {
            ack_next(nats, message, inbox, settings.fetch_expires).await
        }
        (kind, _) => {
            settle(message, kind).await;
            false
        }
    }
}

/// Acknowledges the event and asks, in the same message, for the partition's next one to be delivered to
/// `inbox` (JetStream's `+NXT` with a pull request). Returns whether the request went out; when it did not, the
/// event is redelivered and deduplicated like after any lost ack.
async fn ack_next(
    nats: &async_nats::Client,
    message: &async_nats::jetstream::Message,
    inbox: &str,
    expires: Duration,
) -> bool {
    let Some(reply) = message.reply.clone() else {
        return false;
    };
    let request = format!("+NXT {{\"batch\":1,\"expires\":{}}}", expires.as_nanos());
    match nats
        .publish_with_reply(reply, inbox.to_owned(), request.into())
        .await
    {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "ack not sent; the event will be redelivered and deduplicated");
            false
        }
    }
}

/// Hands events to the processor in batches; cloned into every partition loop.
#[derive(Clone)]
pub struct Batcher {
    queue: mpsc::Sender<Arrival<Pending>>,
}

struct Pending {
    job: Job,
    done: oneshot::Sender<JobResult>,
}

impl Batcher {
    /// Starts `concurrency` collectors, each taking up to `max_events` events per batch, gathered as
    /// [`Gatherer`] says with `linger`. They stop once every clone of the returned batcher is dropped and the
    /// events already handed over are processed.
    pub fn spawn(
        processor: Arc<Processor>,
        max_events: usize,
        concurrency: usize,
        linger: Duration,
        supervisor: &mut Supervisor,
    ) -> Self {
        let (queue, waiting) = mpsc::channel(max_events.max(1) * concurrency.max(1));
        let waiting = Arc::new(Mutex::new(Gatherer::new(waiting, linger)));
        for collector in 0..concurrency.max(1) {
            let (waiting, processor) = (waiting.clone(), processor.clone());
            supervisor.restarting(format!("batch collector {collector}"), move || {
                collect(waiting.clone(), processor.clone(), max_events.max(1))
            });
        }
        Self { queue }
    }

    pub async fn process(&self, job: Job) -> JobResult {
        let (done, result) = oneshot::channel();
        if self
            .queue
            .send(Arrival::now(Pending { job, done }))
            .await
            .is_err()
        {
            return Err(ProcessError::Transient("the worker is stopping".into()));
        }
        result
            .await
            .unwrap_or_else(|_| Err(ProcessError::Transient("the worker is stopping".into())))
    }
}

async fn collect(
    waiting: Arc<Mutex<Gatherer<Pending>>>,
    processor: Arc<Processor>,
    max_events: usize,
) {
    loop {
        // One collector gathers at a time; the others process their batches meanwhile.
        let Some(batch) = waiting.lock().await.next_batch(max_events).await else {
            return;
        };
        let (jobs, done): (Vec<Job>, Vec<_>) = batch.into_iter().map(|p| (p.job, p.done)).unzip();
        // A panic (a bug, a responder gone wrong) fails this batch's events, which are retried like any
        // transient failure; the collector itself carries on.
        let results = AssertUnwindSafe(processor.process_batch(&jobs))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                tracing::error!(
                    events = jobs.len(),
                    "processing a batch panicked; its events will be retried"
                );
                jobs.iter()
                    .map(|_| Err(ProcessError::Transient("processing panicked".into())))
                    .collect()
            });
        for (done, result) in done.into_iter().zip(results) {
            // The partition loop is gone only when the worker was aborted; the event will be redelivered.
            let _ = done.send(result);
        }
    }
}

/// The one place that decides between done, retry later and give up.
pub fn disposition(
    result: &Result<Outcome, ProcessError>,
    delivered: u64,
    settings: &LoopSettings,
) -> AckKind {
    match result {
        Ok(_) => AckKind::Ack,
        Err(ProcessError::Transient(_)) => AckKind::Nak(Some(infra::retry::backoff_delay(
            delivered,
            settings.retry_min_delay,
            settings.retry_max_delay,
        ))),
        Err(ProcessError::Permanent(_)) => AckKind::Term,
    }
}

/// Copies an event the worker cannot process to the dead-letter stream, with the reason and its original subject
/// (for `cwctl dlq redrive`).
async fn dead_letter(
    processor: &Processor,
    message: &async_nats::jetstream::Message,
    stream_seq: u64,
    delivered: u64,
    reason: &str,
) -> Result<(), async_nats::Error> {
    let topology = &processor.topology;
    let item = match EventEnvelope::decode(&message.payload) {
        Ok(envelope) => DeadItem::Event(envelope),
        Err(_) => DeadItem::Undecodable(message.payload.clone()),
    };
    let tenant = match &item {
        DeadItem::Event(envelope) => Some(envelope.tenant.clone()),
        _ => message
            .subject
            .as_str()
            .strip_prefix(&format!("{}.events.", topology.prefix()))
            .and_then(|rest| rest.split('.').next())
            .map(str::to_owned),
    }
    .filter(|t| infra::TenantId::parse(t).is_ok())
    .unwrap_or_else(|| "_invalid".to_owned());
    let letter = DeadLetter {
        item,
        reason: reason
            .replace(['\r', '\n'], " ")
            .chars()
            .take(1000)
            .collect(),
        status: None,
        attempts: u32::try_from(delivered).unwrap_or(u32::MAX),
        subject: message.subject.to_string(),
        dead_at_ms: chrono::Utc::now().timestamp_millis(),
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("dlq-event:{stream_seq}").as_str());
    processor
        .jetstream
        .publish_with_headers(
            topology.dead_letter_subject(&tenant),
            headers,
            letter.encode_to_vec().into(),
        )
        .await?
        .await?;
    Ok(())
}

async fn settle(message: &async_nats::jetstream::Message, kind: AckKind) {
    // A lost ack is harmless: the redelivery finds the ledger row and only republishes recorded actions.
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "ack not sent; the event will be redelivered and deduplicated");
    }
}

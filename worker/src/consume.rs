//! One loop per partition: fetch one event, process it, then ack or nak. With `max_ack_pending = 1` on each
//! partition consumer, JetStream hands out a partition's next event only after this one is settled, whichever
//! replica holds it, which is what keeps a conversation's events ordered and never concurrent.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::AckKind;
use futures::StreamExt;
use proto::EventEnvelope;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics::{EventOutcome, WorkerMetrics};
use crate::process::{Outcome, ProcessError, Processor};

#[derive(Debug, Clone)]
pub struct LoopSettings {
    pub fetch_expires: Duration,
    pub retry_min_delay: Duration,
    pub retry_max_delay: Duration,
}

/// Runs until `shutdown`; an event already fetched is finished (or handed back with a nak) before returning.
pub async fn partition_loop(
    consumer: PullConsumer,
    consumer_name: String,
    processor: Arc<Processor>,
    settings: LoopSettings,
    metrics: WorkerMetrics,
    shutdown: CancellationToken,
) {
    let mut failures = 0u64;
    while !shutdown.is_cancelled() {
        // Not interrupted by shutdown: the pull request expires on its own within `fetch_expires`, and a message
        // it still delivers is handed back at once instead of waiting out the ack timeout on a dead subscription.
        let batch = consumer
            .batch()
            .max_messages(1)
            .expires(settings.fetch_expires)
            .messages()
            .await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, consumer = %consumer_name, "fetch failed");
                infra::retry::pause_after_failure(failures, &shutdown).await;
                continue;
            }
        };
        failures = 0;
        while let Some(message) = batch.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    tracing::debug!(%error, consumer = %consumer_name, "fetch interrupted");
                    break;
                }
            };
            if shutdown.is_cancelled() {
                settle(&message, AckKind::Nak(None)).await;
                continue;
            }
            handle(&message, &consumer_name, &processor, &settings, &metrics).await;
        }
    }
}

async fn handle(
    message: &async_nats::jetstream::Message,
    consumer_name: &str,
    processor: &Processor,
    settings: &LoopSettings,
    metrics: &WorkerMetrics,
) {
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
    let result = async {
        let envelope = EventEnvelope::decode(&message.payload)
            .map_err(|e| ProcessError::Permanent(format!("undecodable event: {e}")))?;
        tracing::Span::current().record("messaging.message.id", envelope.event_key.as_str());
        processor.process(&envelope, stream_seq).await
    }
    .instrument(span.clone())
    .await;
    let mut kind = disposition(&result, delivered, settings);
    if let Err(ProcessError::Permanent(reason)) = &result {
        // Giving up on an accepted event must not lose it: it is kept as a dead letter an operator can redrive.
        if let Err(error) = dead_letter(processor, message, stream_seq, reason).await {
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
    settle(message, kind).await;
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
    reason: &str,
) -> Result<(), async_nats::Error> {
    let topology = &processor.topology;
    let tenant = message
        .subject
        .as_str()
        .strip_prefix(&format!("{}.events.", topology.prefix()))
        .and_then(|rest| rest.split('.').next())
        .filter(|t| infra::TenantId::parse(t).is_ok())
        .unwrap_or("_invalid");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("dlq-event:{stream_seq}").as_str());
    headers.insert(DEAD_LETTER_KIND, DEAD_LETTER_EVENT);
    headers.insert("Cw-Subject", message.subject.as_str());
    let error: String = reason
        .replace(['\r', '\n'], " ")
        .chars()
        .take(1000)
        .collect();
    headers.insert("Cw-Error", error.as_str());
    processor
        .jetstream
        .publish_with_headers(
            topology.dead_letter_subject(tenant),
            headers,
            message.payload.clone(),
        )
        .await?
        .await?;
    Ok(())
}

/// Header of a dead letter saying what it holds; events carry [`DEAD_LETTER_EVENT`], actions their kind.
pub const DEAD_LETTER_KIND: &str = "Cw-Kind";
pub const DEAD_LETTER_EVENT: &str = "event";

async fn settle(message: &async_nats::jetstream::Message, kind: AckKind) {
    // A lost ack is harmless: the redelivery finds the ledger row and only republishes recorded actions.
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "ack not sent; the event will be redelivered and deduplicated");
    }
}

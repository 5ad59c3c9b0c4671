//! The fetch loop: pull as many actions as there are free delivery slots, deliver each in its own task, and
//! settle it. A retry waits in JetStream (nak with delay), never in a task.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::AckKind;
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::deliver::{Deliverer, Settle};

pub async fn fetch_loop(
    consumer: PullConsumer,
    deliverer: Arc<Deliverer>,
    slots: Arc<Semaphore>,
    fetch_expires: Duration,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    let mut failures = 0u64;
    while !shutdown.is_cancelled() {
        let Ok(first) = slots.clone().acquire_owned().await else {
            return;
        };
        let free = slots.available_permits() + 1;
        // One pull request sized to the free slots, rather than a long-lived `consumer.stream()`: the stream
        // keeps up to one and a half batches requested ahead of what is handled, so it would hold more
        // unsettled actions than there are slots, aging towards `ack_wait`, and more to hand back on shutdown.
        // The subscription a batch makes is paid once per fetch of up to `free` actions, not once per action.
        let batch = consumer
            .batch()
            .max_messages(free)
            .expires(fetch_expires)
            .messages()
            .await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                drop(first);
                failures += 1;
                tracing::warn!(%error, "fetch failed");
                infra::retry::pause_after_failure(failures, &shutdown).await;
                continue;
            }
        };
        failures = 0;
        let mut first = Some(first);
        while let Some(message) = batch.next().await {
            let Ok(message) = message else { break };
            if shutdown.is_cancelled() {
                // Hand it back at once rather than let it wait out the ack timeout.
                let _ = message.ack_with(AckKind::Nak(None)).await;
                continue;
            }
            let permit = match first.take() {
                Some(permit) => permit,
                None => match slots.clone().acquire_owned().await {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
            };
            let deliverer = deliverer.clone();
            tracker.spawn(async move {
                handle(&deliverer, message).await;
                drop(permit);
            });
        }
    }
}

async fn handle(deliverer: &Deliverer, message: async_nats::jetstream::Message) {
    let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
    let span = tracing::info_span!(
        "deliver action",
        otel.name = "process actions",
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.destination.name = %message.subject,
        messaging.consumer.group.name = "dispatcher",
        delivered,
        outcome = tracing::field::Empty,
    );
    infra::telemetry::set_parent_from_nats(&span, message.headers.as_ref());
    let (outcome, settle) = deliverer
        .deliver(&message.payload)
        .instrument(span.clone())
        .await;
    span.record("outcome", outcome.as_str());
    let kind = match settle {
        Settle::Ack => AckKind::Ack,
        Settle::Nak(delay) => AckKind::Nak(Some(delay)),
    };
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "ack not sent; the ledger absorbs the redelivery");
    }
}

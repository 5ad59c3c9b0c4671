//! The fetch loop: pull as many actions as there are free delivery slots, deliver each in its own task, and
//! settle it. A retry waits in JetStream (nak with delay), never in a task.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::AckKind;
use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use infra::retry::FetchFailures;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::deliver::{Deliverer, Settle};

/// Runs until `shutdown`, or returns when fetching keeps failing while NATS is connected (a deleted consumer,
/// a stream gone: [`FetchFailures`]) so that the supervisor starts it again with its consumer created again, or stops the dispatcher.
pub async fn fetch_loop(
    nats: async_nats::Client,
    consumer: PullConsumer,
    deliverer: Arc<Deliverer>,
    slots: Arc<Semaphore>,
    fetch_expires: Duration,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    let mut failures = FetchFailures::default();
    // A failed fetch is retried soon: the pause never exceeds one fetch's lifetime.
    let max_pause = fetch_expires;
    while !shutdown.is_cancelled() {
        if failures.gave_up() {
            tracing::error!("fetching keeps failing; the fetch loop gives up");
            return;
        }
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
                tracing::warn!(%error, "fetch failed");
                failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                continue;
            }
        };
        let mut first = Some(first);
        let mut refused = false;
        let mut received = false;
        let asked = std::time::Instant::now();
        while let Some(message) = batch.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    // The server refused the pull (no such consumer, no responders): a failed fetch too.
                    tracing::warn!(%error, "fetch refused");
                    failures.pause(&nats, &consumer, max_pause, &shutdown).await;
                    refused = true;
                    break;
                }
            };
            received = true;
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
                // A delivery that panics is redelivered after ACK_WAIT, and the ledger's lease decides whether
                // it was already posted; the fetch loop and the other deliveries carry on.
                if AssertUnwindSafe(handle(&deliverer, message))
                    .catch_unwind()
                    .await
                    .is_err()
                {
                    tracing::error!("a delivery panicked; the action will be delivered again");
                }
                drop(permit);
            });
        }
        // JetStream ends every pull request, at the latest with a timeout status when it expires; a batch
        // that only ended by the client's own timer (5 s later) went nowhere (no such consumer).
        let unanswered = !received && asked.elapsed() > fetch_expires + UNANSWERED_AFTER;
        if unanswered {
            tracing::warn!("fetch unanswered");
            failures.pause(&nats, &consumer, max_pause, &shutdown).await;
        } else if !refused {
            failures.reset();
        }
    }
}

/// How long past its expiry a pull request may stay unanswered before it counts as a failed fetch.
const UNANSWERED_AFTER: Duration = Duration::from_secs(2);

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
        .deliver(&message.payload, delivered)
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

//! The delay before the n-th retry: exponential with jitter, capped, so retries of many messages spread out
//! instead of hammering a recovering dependency in lockstep.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Delay before retry number `attempt` (1 = first retry).
pub fn backoff_delay(attempt: u64, min: Duration, max: Duration) -> Duration {
    let steps = usize::try_from(attempt.clamp(1, 64)).unwrap_or(64);
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(steps)
        .build()
        .nth(steps - 1)
        .unwrap_or(max)
        .min(max)
}

/// Consecutive failed fetches of a consumer loop. The loop pauses a growing, jittered while after each (from
/// 0.2 s up to its own cap), and gives up when JetStream says the consumer (or its stream) is gone, or after
/// [`FetchFailures::GIVE_UP_AFTER`] failures *while NATS is connected*: such a consumer needs the loop restarted
/// by its supervisor (which creates it again), while an outage of NATS itself is waited out (and shown by
/// `/readyz`), however long it lasts.
#[derive(Debug, Default)]
pub struct FetchFailures {
    in_a_row: u64,
    while_connected: u64,
    consumer_gone: bool,
}

impl FetchFailures {
    pub const GIVE_UP_AFTER: u64 = 8;

    /// Counts a failure of `consumer`'s fetch and waits (at most `max_pause`, or until shutdown).
    pub async fn pause(
        &mut self,
        nats: &async_nats::Client,
        consumer: &async_nats::jetstream::consumer::PullConsumer,
        max_pause: Duration,
        shutdown: &tokio_util::sync::CancellationToken,
    ) {
        use async_nats::jetstream::context::ConsumerInfoErrorKind;
        self.in_a_row += 1;
        if nats.connection_state() == async_nats::connection::State::Connected {
            self.while_connected += 1;
            // A pull request to a consumer that does not exist goes unanswered: ask JetStream directly.
            let mut consumer = consumer.clone();
            if let Err(error) = consumer.info().await {
                self.consumer_gone = matches!(
                    error.kind(),
                    ConsumerInfoErrorKind::NotFound | ConsumerInfoErrorKind::StreamNotFound
                );
                if self.consumer_gone {
                    return;
                }
            }
        }
        let delay = backoff_delay(self.in_a_row, Duration::from_millis(200), max_pause);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.cancelled() => {}
        }
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn gave_up(&self) -> bool {
        self.consumer_gone || self.while_connected >= Self::GIVE_UP_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_capped() {
        let min = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        let first = backoff_delay(1, min, max);
        assert!(first >= min && first <= min * 2, "{first:?}");
        let fourth = backoff_delay(4, min, max);
        assert!(fourth >= min * 8, "{fourth:?}");
        assert!(backoff_delay(40, min, max) <= max);
    }
}

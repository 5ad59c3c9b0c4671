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

/// After the `failures`-th consecutive failure to reach a dependency (a fetch from NATS), waits a growing,
/// jittered while (0.2 s up to 5 s), or until shutdown, whichever comes first.
pub async fn pause_after_failure(failures: u64, shutdown: &tokio_util::sync::CancellationToken) {
    let delay = backoff_delay(failures, Duration::from_millis(200), Duration::from_secs(5));
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        () = shutdown.cancelled() => {}
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

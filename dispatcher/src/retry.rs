//! The one place that decides whether a failed Chatwoot call is retried or given up.

use std::time::Duration;

use chatwoot::ApiError;
use rand::Rng;

use crate::ratelimit::Throttled;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Retry(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// `attempt` counts this delivery (1 = first). 401/403/404/422 and other 4xx are permanent: repeating the
    /// same call cannot succeed until someone fixes something, and the dead letter says what. Connection errors,
    /// timeouts, 5xx and 429 heal. Chatwoot's 429 has no Retry-After, so the backoff is ours; a proxy's
    /// Retry-After is honoured when longer.
    pub fn decide(&self, error: &ApiError, attempt: u32) -> Decision {
        let transient = match error {
            ApiError::Timeout | ApiError::Connect(_) | ApiError::Transport(_) => true,
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
        };
        if !transient || attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let mut delay =
            infra::retry::backoff_delay(u64::from(attempt), self.min_delay, self.max_delay);
        if let ApiError::Status {
            status: 429,
            retry_after,
            ..
        } = error
        {
            // Rate limits are per minute: back off harder than for a blip.
            delay = delay.max(self.min_delay * 5);
            if let Some(after) = retry_after {
                delay = delay.max(*after);
            }
        }
        Decision::Retry(delay)
    }
}

impl RetryPolicy {
    /// An action whose conversation's previous action is not settled goes back to JetStream for a while that
    /// grows with each time it was held (0.1 s up to 5 s, jittered): not an attempt, nothing was called.
    pub fn held(&self, delivered: i64) -> Duration {
        infra::retry::backoff_delay(
            u64::try_from(delivered).unwrap_or(1),
            Duration::from_millis(100),
            Duration::from_secs(5),
        )
    }

    /// A delivery that found no rate-limit token waits in JetStream (not an attempt: nothing was called) until a
    /// token is due, plus a random share of `spread` so the deliveries turned away come back one by one.
    pub fn throttled(&self, throttled: Throttled) -> Duration {
        let spread = throttled.spread.as_secs_f64();
        let jitter = if spread > 0.0 {
            rand::thread_rng().gen_range(0.0..spread)
        } else {
            0.0
        };
        (throttled.wait + Duration::from_secs_f64(jitter)).min(self.max_delay.max(throttled.wait))
    }
}

/// Chatwoot says we are over its rate: besides the retry, the tenant's shared rate is cut for a while.
pub fn is_rate_limited(error: &ApiError) -> bool {
    matches!(error, ApiError::Status { status: 429, .. })
}

/// The token was refused: the cached tenant may hold a token rotated since, so read it afresh next time.
pub fn is_auth_failure(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Status {
            status: 401 | 403,
            ..
        }
    )
}

/// Whether a failed call may nevertheless have reached Chatwoot (the request was sent but no answer came).
pub fn may_have_arrived(error: &ApiError) -> bool {
    matches!(error, ApiError::Timeout | ApiError::Transport(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }

    fn status(status: u16) -> ApiError {
        ApiError::Status {
            status,
            retry_after: None,
            body: String::new(),
        }
    }

    #[test]
    fn permanent_statuses_are_not_retried() {
        for code in [400, 401, 403, 404, 422] {
            assert_eq!(
                policy().decide(&status(code), 1),
                Decision::GiveUp,
                "{code}"
            );
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_attempts_run_out() {
        for error in [
            status(500),
            status(503),
            status(429),
            ApiError::Timeout,
            ApiError::Connect("x".into()),
        ] {
            assert!(
                matches!(policy().decide(&error, 1), Decision::Retry(_)),
                "{error}"
            );
            assert_eq!(policy().decide(&error, 5), Decision::GiveUp, "{error}");
        }
    }

    #[test]
    fn throttled_deliveries_wait_for_the_token_and_spread_out() {
        let throttled = Throttled {
            wait: Duration::from_millis(300),
            spread: Duration::from_secs(2),
        };
        let delays: Vec<Duration> = (0..50).map(|_| policy().throttled(throttled)).collect();
        assert!(delays
            .iter()
            .all(|d| *d >= throttled.wait && *d < throttled.wait + throttled.spread));
        assert!(delays.iter().any(|d| *d != delays[0]), "jittered");
    }

    #[test]
    fn a_proxys_retry_after_is_honoured() {
        let error = ApiError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
            body: String::new(),
        };
        assert!(
            matches!(policy().decide(&error, 1), Decision::Retry(d) if d >= Duration::from_secs(7))
        );
    }
}

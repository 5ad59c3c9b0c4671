//! The shared rate limit: two limiters on one database stand for two dispatcher replicas.

use std::time::{Duration, Instant};

use dispatcher::ratelimit::{max_calls_in, Grant, RateLimiter};

use crate::Db;

/// Takes one token at a time from `limiters` in turn, as fast as they give them, for `run`; returns when each
/// was spent.
async fn drain(
    limiters: &[RateLimiter],
    tenant: &str,
    per_minute: u32,
    run: Duration,
) -> Vec<Instant> {
    let started = Instant::now();
    let mut spent = Vec::new();
    let mut i = 0;
    while started.elapsed() < run {
        let limiter = &limiters[i % limiters.len()];
        i += 1;
        match limiter.acquire(tenant, per_minute, 1).await.unwrap() {
            Grant::Granted(mut permit) => {
                assert!(permit.spend());
                spent.push(Instant::now());
            }
            Grant::Throttled(throttled) => {
                assert!(throttled.wait > Duration::ZERO);
                tokio::time::sleep(throttled.wait.min(Duration::from_millis(20))).await;
            }
        }
    }
    spent
}

/// The most calls in any window of `window` among `times`.
fn busiest(times: &[Instant], window: Duration) -> u64 {
    let mut most = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) > window {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most as u64
}

#[tokio::test]
async fn two_replicas_share_one_budget_and_a_429_halves_it() {
    let db = Db::new().await;
    let cooldown = Duration::from_secs(30);
    let replicas = [
        RateLimiter::new(db.pool.clone(), cooldown),
        RateLimiter::new(db.pool.clone(), cooldown),
    ];
    let rate = 600;
    let run = Duration::from_secs(3);
    let spent = drain(&replicas, "acme", rate, run).await;
    for window in [1, 2, 3].map(Duration::from_secs) {
        let most = busiest(&spent, window);
        assert!(
            most <= max_calls_in(window, rate),
            "{most} calls within {window:?}, bound {}",
            max_calls_in(window, rate)
        );
    }
    // Shared, not per replica, and not needlessly tight either.
    assert!(
        spent.len() as u64 >= max_calls_in(run, rate) * 7 / 10,
        "only {} calls in {run:?}",
        spent.len()
    );

    // Another tenant has its own bucket.
    let other = drain(&replicas[..1], "globex", rate, Duration::from_millis(300)).await;
    assert!(!other.is_empty());

    assert_eq!(replicas[0].slow_down("acme").await.unwrap(), 0.5);
    // Calls already in flight answer 429 too: within a second they cut only once.
    assert_eq!(replicas[1].slow_down("acme").await.unwrap(), 0.5);
    let slowed = drain(&replicas, "acme", rate, run).await;
    let halved = max_calls_in(run, rate / 2);
    assert!(
        (slowed.len() as u64) <= halved,
        "{} calls after a 429, half-rate bound {halved}",
        slowed.len()
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(replicas[1].slow_down("acme").await.unwrap(), 0.25);
    db.drop().await;
}

#[tokio::test]
async fn unspent_tokens_return_to_the_replica_and_zero_means_unlimited() {
    let db = Db::new().await;
    let limiter = RateLimiter::new(db.pool.clone(), Duration::from_secs(60));
    for _ in 0..1000 {
        let Grant::Granted(mut permit) = limiter.acquire("acme", 0, 1).await.unwrap() else {
            panic!("0 is unlimited");
        };
        assert!(permit.spend());
    }
    // 120/min holds two tokens: a delivery that needed no call gives its token back.
    for _ in 0..10 {
        let Grant::Granted(_unspent) = limiter.acquire("acme", 120, 1).await.unwrap() else {
            panic!("tokens are returned when a permit is dropped unspent");
        };
    }
    let Grant::Granted(mut both) = limiter.acquire("acme", 120, 2).await.unwrap() else {
        panic!("the bucket holds the two calls of a labels action");
    };
    assert!(both.spend() && both.spend() && !both.spend());
    assert!(matches!(
        limiter.acquire("acme", 120, 1).await.unwrap(),
        Grant::Throttled(_)
    ));
    db.drop().await;
}

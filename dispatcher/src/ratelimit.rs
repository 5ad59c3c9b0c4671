//! The outbound rate limit toward each tenant's Chatwoot, shared by every dispatcher replica.
//!
//! Chatwoot throttles per client IP (rack-attack, 3000 requests a minute by default, counted in fixed one-minute
//! windows) and answers 429 without `Retry-After`. Every replica calls from behind the same egress, so a
//! per-process limiter would let N replicas send N times the rate. The budget therefore lives in PostgreSQL, in
//! one `rate_limits` row per tenant: a token bucket refilled by the database's clock.
//!
//! * **Batches.** A replica reserves a few tokens at once (about 200 ms of the tenant's rate) and spends them
//!   locally, so the row is touched a few times a second at most, not once per call. A reserved token must be
//!   spent within [`HOLD`] of its reservation or it is dropped; unspent tokens of a delivery that needed no
//!   call go back to the local pool with their original deadline.
//! * **The bound.** With capacity `c` and refill `r` per second, the calls made in any interval of `T` seconds
//!   are at most `c + r·(T + HOLD)` (tokens reserved in the interval plus those reserved up to `HOLD` before it).
//!   `c` and `r` are derived from the configured per-minute rate so that this is at most the rate over any
//!   60-second interval, wherever Chatwoot's window falls: see [`max_calls_in`].
//! * **429.** A 429 halves the tenant's share of its rate for a cool-down window, stored in the same row so
//!   every replica slows down (at most one cut per second, since the calls already in flight answer 429 too;
//!   down to 1/8). A cool-down that passes without a 429 restores the full rate.
//! * **No token.** The caller either waits briefly in-process or naks with the wait this returns, spread by how
//!   many deliveries were turned away recently, so a backlog does not come back all at once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

/// How long a reserved token may wait to be spent.
pub const HOLD: Duration = Duration::from_secs(1);
/// Rates below this are raised to it: the bound needs a bucket that holds the two calls of the costliest action.
pub const MIN_PER_MINUTE: u32 = 6;
/// The most calls one action makes (labels: read, then write the union); the bucket always holds this many.
const MAX_CALLS_PER_ACTION: f64 = 2.0;
/// Seconds of rate reserved in one round trip.
const BATCH_SECONDS: f64 = 0.2;
const MAX_BATCH: f64 = 50.0;
/// A 429 cuts the rate at most once per this window, and never below `MIN_FACTOR`.
const CUT_DEBOUNCE_SECS: f64 = 1.0;
const MIN_FACTOR: f64 = 0.125;

/// Bucket size and refill for a configured per-minute rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Tokens the bucket holds (the largest burst).
    pub capacity: f64,
    /// Tokens added per second.
    pub refill: f64,
}

impl Shape {
    /// Chooses `capacity` (one second of rate, at least [`MAX_CALLS_PER_ACTION`]) and then the largest refill for
    /// which `capacity + refill·(60 s + HOLD)` stays within `per_minute`.
    pub fn for_rate(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(MIN_PER_MINUTE));
        let capacity = (per_minute / 60.0).max(MAX_CALLS_PER_ACTION);
        let refill = (per_minute - capacity) / (60.0 + HOLD.as_secs_f64());
        Self { capacity, refill }
    }

    fn batch(&self) -> f64 {
        (self.refill * BATCH_SECONDS).ceil().clamp(1.0, MAX_BATCH)
    }
}

/// The most calls a tenant limited to `per_minute` can receive in any interval of length `window`, whatever the
/// number of replicas. The guarantee the limiter is tested against.
pub fn max_calls_in(window: Duration, per_minute: u32) -> u64 {
    let shape = Shape::for_rate(per_minute);
    let bound = shape.capacity + shape.refill * (window + HOLD).as_secs_f64();
    // A hair of slack for floating-point rounding, never a whole call.
    (bound + 1e-9).floor() as u64
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("no database connection for the rate limit: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("rate limit query failed: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// No token now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Until the bucket, as this replica last saw it, holds enough tokens again.
    pub wait: Duration,
    /// How far to spread the retries of the deliveries turned away, so they do not return in one burst.
    pub spread: Duration,
}

/// What [`RateLimiter::acquire`] got.
#[derive(Debug)]
pub enum Grant {
    Granted(Permit),
    Throttled(Throttled),
}

/// Tokens held by one delivery. Each call spends one; what is left returns to the replica's pool on drop.
#[derive(Debug)]
pub struct Permit {
    bucket: Option<Arc<LocalBucket>>,
    tokens: u32,
    deadline: Instant,
}

impl Permit {
    /// For tenants without a limit.
    pub fn unlimited() -> Self {
        Self {
            bucket: None,
            tokens: 0,
            deadline: Instant::now(),
        }
    }

    /// Uses one token for a call about to be made; false when none is left or they expired.
    pub fn spend(&mut self) -> bool {
        if self.bucket.is_none() {
            return true;
        }
        if self.tokens == 0 || Instant::now() >= self.deadline {
            return false;
        }
        self.tokens -= 1;
        true
    }

    /// Takes over another permit's tokens (the earlier deadline applies to all of them).
    pub fn absorb(&mut self, mut other: Permit) {
        if other.bucket.is_none() {
            return;
        }
        if self.bucket.is_none() {
            std::mem::swap(self, &mut other);
            return;
        }
        self.tokens += std::mem::take(&mut other.tokens);
        self.deadline = self.deadline.min(other.deadline);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(bucket) = &self.bucket {
            if self.tokens > 0 && Instant::now() < self.deadline {
                bucket.local().give_back(self.tokens, self.deadline);
            }
        }
    }
}

#[derive(Debug)]
struct Local {
    /// Reserved tokens and the instant they must be spent by, earliest first.
    batches: VecDeque<(u32, Instant)>,
    /// The shared bucket was empty when last asked: do not ask again before this.
    empty_until: Option<Instant>,
    /// Share of the rate in force, as last seen in the shared row.
    factor: f64,
    /// Deliveries turned away in the current and the previous second.
    turned_away: (Instant, u32, u32),
}

impl Default for Local {
    fn default() -> Self {
        Self {
            batches: VecDeque::new(),
            empty_until: None,
            factor: 1.0,
            turned_away: (Instant::now(), 0, 0),
        }
    }
}

impl Local {
    fn take(&mut self, n: u32, now: Instant) -> Option<(u32, Instant)> {
        if self.available(now) < n {
            return None;
        }
        let (mut left, mut deadline) = (n, None);
        while left > 0 {
            let Some(front) = self.batches.front_mut() else {
                break;
            };
            let used = front.0.min(left);
            front.0 -= used;
            left -= used;
            deadline.get_or_insert(front.1);
            if front.0 == 0 {
                self.batches.pop_front();
            }
        }
        deadline.map(|deadline| (n, deadline))
    }

    fn available(&mut self, now: Instant) -> u32 {
        self.batches
            .retain(|(tokens, deadline)| *tokens > 0 && *deadline > now);
        self.batches.iter().map(|(tokens, _)| tokens).sum()
    }

    fn give_back(&mut self, tokens: u32, deadline: Instant) {
        let at = self
            .batches
            .iter()
            .position(|(_, d)| *d > deadline)
            .unwrap_or(self.batches.len());
        self.batches.insert(at, (tokens, deadline));
    }

    fn turn_away(&mut self, now: Instant) -> u32 {
        let (since, current, previous) = &mut self.turned_away;
        let elapsed = now.saturating_duration_since(*since);
        if elapsed >= Duration::from_secs(2) {
            (*since, *current, *previous) = (now, 0, 0);
        } else if elapsed >= Duration::from_secs(1) {
            (*since, *previous, *current) = (now, *current, 0);
        }
        *current += 1;
        *current + *previous
    }
}

#[derive(Debug, Default)]
struct LocalBucket {
    state: Mutex<Local>,
    /// One reservation in flight per tenant and replica; the others wait for it and use its batch.
    refill: tokio::sync::Mutex<()>,
}

impl LocalBucket {
    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Per-tenant token buckets in PostgreSQL with a local pool of reserved tokens; see the module documentation.
#[derive(Debug)]
pub struct RateLimiter {
    pool: Pool,
    cooldown: Duration,
    buckets: Mutex<HashMap<String, Arc<LocalBucket>>>,
}

impl RateLimiter {
    pub fn new(pool: Pool, cooldown: Duration) -> Self {
        Self {
            pool,
            cooldown,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn bucket(&self, tenant: &str) -> Arc<LocalBucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets
            .entry(tenant.to_owned())
            .or_insert_with(|| Arc::new(LocalBucket::default()))
            .clone()
    }

    /// `n` tokens of `tenant`'s budget of `per_minute` calls (0: unlimited).
    pub async fn acquire(
        &self,
        tenant: &str,
        per_minute: u32,
        n: u32,
    ) -> Result<Grant, RateLimitError> {
        if per_minute == 0 || n == 0 {
            return Ok(Grant::Granted(Permit::unlimited()));
        }
        let bucket = self.bucket(tenant);
        if let Some(grant) = self.try_local(&bucket, per_minute, n) {
            return Ok(grant);
        }
        let _refilling = bucket.refill.lock().await;
        // Whoever held the gate may have refilled the pool meanwhile.
        if let Some(grant) = self.try_local(&bucket, per_minute, n) {
            return Ok(grant);
        }
        let shape = Shape::for_rate(per_minute);
        let missing = n.saturating_sub(bucket.local().available(Instant::now()));
        let want = shape.batch().max(f64::from(missing));
        let asked_at = Instant::now();
        let reserved = reserve(&self.pool, tenant, shape, want, f64::from(missing)).await?;
        let mut local = bucket.local();
        local.factor = reserved.factor;
        let granted = reserved.granted as u32;
        if granted >= missing {
            local.empty_until = None;
            local.give_back(granted, asked_at + HOLD);
            // Another delivery may have taken the local tokens counted on meanwhile: then it is a short wait.
            if let Some((tokens, deadline)) = local.take(n, Instant::now()) {
                drop(local);
                return Ok(Grant::Granted(Permit {
                    bucket: Some(bucket.clone()),
                    tokens,
                    deadline,
                }));
            }
        }
        let rate = (shape.refill * reserved.factor).max(1e-3);
        let wait = Duration::from_secs_f64(
            ((f64::from(missing) - reserved.left) / rate).clamp(0.001, 60.0),
        );
        local.empty_until = Some(asked_at + wait);
        let turned_away = local.turn_away(Instant::now());
        Ok(Grant::Throttled(Throttled {
            wait,
            spread: spread(turned_away, rate),
        }))
    }

    fn try_local(&self, bucket: &Arc<LocalBucket>, per_minute: u32, n: u32) -> Option<Grant> {
        let now = Instant::now();
        let mut local = bucket.local();
        if let Some((tokens, deadline)) = local.take(n, now) {
            return Some(Grant::Granted(Permit {
                bucket: Some(bucket.clone()),
                tokens,
                deadline,
            }));
        }
        let until = local.empty_until.filter(|until| *until > now)?;
        let rate = (Shape::for_rate(per_minute).refill * local.factor).max(1e-3);
        let turned_away = local.turn_away(now);
        Some(Grant::Throttled(Throttled {
            wait: until - now,
            spread: spread(turned_away, rate),
        }))
    }

    /// Chatwoot answered 429: cut the tenant's rate for every replica and drop this replica's reserved tokens.
    pub async fn slow_down(&self, tenant: &str) -> Result<f64, RateLimitError> {
        {
            let bucket = self.bucket(tenant);
            let mut local = bucket.local();
            local.batches.clear();
        }
        let client = self.pool.get().await?;
        let cut = client
            .prepare_cached(
                "INSERT INTO rate_limits AS r (tenant, tokens, refilled_at, factor, slow_until, last_cut_at)
                 VALUES ($1, 0, now(), 0.5, now() + make_interval(secs => $2), now())
                 ON CONFLICT (tenant) DO UPDATE SET
                     factor = CASE
                         WHEN r.slow_until > now() AND r.last_cut_at > now() - make_interval(secs => $3)
                             THEN r.factor
                         ELSE GREATEST((CASE WHEN r.slow_until > now() THEN r.factor ELSE 1.0 END) / 2, $4)
                     END,
                     last_cut_at = CASE
                         WHEN r.slow_until > now() AND r.last_cut_at > now() - make_interval(secs => $3)
                             THEN r.last_cut_at
                         ELSE now()
                     END,
                     slow_until = now() + make_interval(secs => $2),
                     tokens = 0,
                     refilled_at = GREATEST(r.refilled_at, now())
                 RETURNING factor",
            )
            .await?;
        let row = client
            .query_one(
                &cut,
                &[
                    &tenant,
                    &self.cooldown.as_secs_f64(),
                    &CUT_DEBOUNCE_SECS,
                    &MIN_FACTOR,
                ],
            )
            .await?;
        let factor: f64 = row.get(0);
        self.bucket(tenant).local().factor = factor;
        Ok(factor)
    }
}

/// Deliveries turned away in the last second or two, over the rate: roughly how long it takes to serve them.
fn spread(turned_away: u32, rate_per_sec: f64) -> Duration {
    Duration::from_secs_f64((f64::from(turned_away) / rate_per_sec).clamp(0.05, 30.0))
}

struct Reserved {
    granted: f64,
    left: f64,
    factor: f64,
}

/// Refills the tenant's shared bucket up to now and takes `want` tokens (or all whole tokens left), provided at
/// least `min` are there; one statement, serialised per tenant by the row lock.
async fn reserve(
    pool: &Pool,
    tenant: &str,
    shape: Shape,
    want: f64,
    min: f64,
) -> Result<Reserved, RateLimitError> {
    const TAKE: &str = "
        WITH b AS (
            SELECT tenant, tokens, refilled_at,
                   CASE WHEN slow_until > now() THEN factor ELSE 1.0 END AS f
            FROM rate_limits WHERE tenant = $1 FOR UPDATE
        ), l AS (
            SELECT tenant, f,
                   LEAST($2 * f,
                         tokens + GREATEST(EXTRACT(EPOCH FROM (now() - refilled_at))::float8, 0) * $3 * f) AS level,
                   GREATEST(refilled_at, now()) AS at
            FROM b
        ), g AS (
            SELECT tenant, f, level, at,
                   CASE WHEN level >= $5 THEN LEAST($4, floor(level)) ELSE 0 END AS granted
            FROM l
        )
        UPDATE rate_limits r SET tokens = g.level - g.granted, refilled_at = g.at, factor = g.f
        FROM g WHERE r.tenant = g.tenant
        RETURNING g.granted, g.level - g.granted, g.f";
    let client = pool.get().await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
        [&tenant, &shape.capacity, &shape.refill, &want, &min];
    let take = client.prepare_cached(TAKE).await?;
    let mut row = client.query_opt(&take, &params).await?;
    if row.is_none() {
        // First use of this tenant: a full bucket.
        let create = client
            .prepare_cached(
                "INSERT INTO rate_limits (tenant, tokens) VALUES ($1, $2) ON CONFLICT (tenant) DO NOTHING",
            )
            .await?;
        client.execute(&create, &[&tenant, &shape.capacity]).await?;
        row = client.query_opt(&take, &params).await?;
    }
    Ok(row.map_or(
        Reserved {
            granted: 0.0,
            left: 0.0,
            factor: 1.0,
        },
        |row| Reserved {
            granted: row.get(0),
            left: row.get(1),
            factor: row.get(2),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_sixty_second_interval_exceeds_the_rate() {
        for per_minute in [
            MIN_PER_MINUTE,
            10,
            60,
            120,
            124,
            500,
            3000,
            10_000,
            1_000_000,
        ] {
            let bound = max_calls_in(Duration::from_secs(60), per_minute);
            assert!(bound <= u64::from(per_minute), "{per_minute}: {bound}");
            // and not needlessly below it
            assert!(
                bound as f64 >= f64::from(per_minute) * 0.95 - 1.0,
                "{per_minute}: {bound}"
            );
            let shape = Shape::for_rate(per_minute);
            assert!(shape.capacity >= MAX_CALLS_PER_ACTION && shape.refill > 0.0);
        }
    }

    #[test]
    fn batches_cover_a_fifth_of_a_second_of_rate() {
        assert_eq!(Shape::for_rate(120).batch(), 1.0);
        assert_eq!(Shape::for_rate(3000).batch(), 10.0);
        assert_eq!(Shape::for_rate(1_000_000).batch(), MAX_BATCH);
    }

    #[test]
    fn local_tokens_expire_and_unspent_ones_come_back() {
        let bucket = Arc::new(LocalBucket::default());
        let now = Instant::now();
        bucket.local().give_back(3, now + HOLD);
        bucket.local().give_back(1, now);
        let (tokens, deadline) = bucket.local().take(2, now).expect("two of three");
        assert_eq!((tokens, deadline), (2, now + HOLD));
        let mut permit = Permit {
            bucket: Some(bucket.clone()),
            tokens,
            deadline,
        };
        assert!(permit.spend());
        drop(permit);
        assert_eq!(bucket.local().take(2, now).map(|(n, _)| n), Some(2));
        assert!(bucket.local().take(1, now).is_none());
        bucket.local().give_back(1, now + HOLD);
        assert!(bucket.local().take(1, now + HOLD).is_none(), "expired");
    }

    #[test]
    fn an_expired_permit_spends_nothing() {
        let mut permit = Permit {
            bucket: Some(Arc::new(LocalBucket::default())),
            tokens: 1,
            deadline: Instant::now(),
        };
        assert!(!permit.spend());
        assert!(Permit::unlimited().spend());
    }

    #[test]
    fn turned_away_counts_the_last_second_or_two() {
        let now = Instant::now();
        let mut local = Local {
            turned_away: (now, 0, 0),
            ..Local::default()
        };
        assert_eq!(local.turn_away(now), 1);
        assert_eq!(local.turn_away(now), 2);
        assert_eq!(local.turn_away(now + Duration::from_millis(1500)), 3);
        assert_eq!(local.turn_away(now + Duration::from_secs(5)), 1);
    }
}

//! Delivering stored reports: each (report, channel) row is claimed by one replica with a lease, sent, and
//! marked sent, retried later with backoff, or given up. A row marked sent is never picked again.

pub mod email;
pub mod webhook;

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use infra::db::DbError;
use uuid::Uuid;

use crate::period::{Kind, Period};
use crate::settings::SettingsStore;
use crate::DigestError;
pub use email::{EmailSender, SmtpConfig, SmtpConfigError};

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

/// Attempts before a delivery is given up (about four hours with [`retry_delay`]).
pub const MAX_ATTEMPTS: i32 = 10;

/// How long a claimed row belongs to the replica sending it. Longer than any send (SMTP and webhook timeouts are
/// shorter), so a slow send is not taken over while it may still succeed; a replica that died frees its rows
/// after it.
const LEASE: Duration = Duration::from_secs(300);

/// Delay before the next attempt after `attempts` failed ones: 1 min, doubling, at most an hour. Decided here
/// only, and without jitter: there is one row per report and channel, not a crowd to spread out.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    Duration::from_secs(60 * 2u64.pow(exp)).min(Duration::from_secs(3600))
}

/// What counts as delivered, for the tick's report and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends due deliveries.
#[derive(Clone, Debug)]
pub struct Deliverer {
    pub(crate) pool: Pool,
    pub(crate) settings: SettingsStore,
    pub(crate) email: Option<EmailSender>,
    pub(crate) http: reqwest::Client,
    pub(crate) webhook_timeout: Duration,
}

struct Claimed {
    digest_id: Uuid,
    channel: String,
    attempts: i32,
    tenant: String,
    period: Period,
    markdown: String,
}

fn db(e: impl Into<DbError>) -> DigestError {
    DigestError::Db(e.into())
}

impl Deliverer {
    /// Sends every delivery due at `now`, one row at a time.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Delivered, DigestError> {
        let mut done = Delivered::default();
        while let Some(claimed) = self.claim(now).await? {
            let outcome = self.send(&claimed).await;
            self.record(&claimed, now, &outcome, &mut done).await?;
        }
        Ok(done)
    }

    async fn claim(&self, now: DateTime<Utc>) -> Result<Option<Claimed>, DigestError> {
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let client = self.pool.get().await.map_err(db)?;
        let row = client
            .query_opt(
                "UPDATE digest_deliveries d SET locked_until = $2, attempts = d.attempts + 1
                 FROM digests g
                 WHERE g.id = d.digest_id AND (d.digest_id, d.channel) = (
                     SELECT digest_id, channel FROM digest_deliveries
                     WHERE status = 'pending' AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING d.digest_id, d.channel, d.attempts, g.tenant, g.kind, g.period_start, g.timezone,
                           g.markdown",
                &[&now, &lease],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|row| {
            let kind = Kind::parse(row.get(4)).unwrap_or(Kind::Daily);
            let tz = row.get::<_, &str>(6).parse().unwrap_or(chrono_tz::UTC);
            Claimed {
                digest_id: row.get(0),
                channel: row.get(1),
                attempts: row.get(2),
                tenant: row.get(3),
                period: Period::starting_at(kind, tz, row.get(5)),
                markdown: row.get(7),
            }
        }))
    }

    async fn send(&self, c: &Claimed) -> Result<(), Failure> {
        // Settings are read at send time, so a fixed address or URL applies to the retries of a failed delivery.
        let settings = self
            .settings
            .get(&c.tenant)
            .await
            .map_err(|e| Failure::Transient(format!("settings: {e}")))?
            .unwrap_or_default();
        let subject = crate::render::title(&c.tenant, c.period);
        match c.channel.as_str() {
            "email" => {
                let Some(sender) = &self.email else {
                    return Err(Failure::Permanent(
                        "no SMTP relay configured (SMTP_HOST, SMTP_FROM)".into(),
                    ));
                };
                if settings.recipients.is_empty() {
                    return Err(Failure::Permanent(
                        "the tenant has no recipients any more".into(),
                    ));
                }
                sender
                    .send(&settings.recipients, &subject, &c.markdown)
                    .await
            }
            _ => {
                let Some(url) = &settings.webhook_url else {
                    return Err(Failure::Permanent(
                        "the tenant has no chat webhook any more".into(),
                    ));
                };
                webhook::post(&self.http, url, &c.markdown, self.webhook_timeout).await
            }
        }
    }

    async fn record(
        &self,
        c: &Claimed,
        now: DateTime<Utc>,
        outcome: &Result<(), Failure>,
        done: &mut Delivered,
    ) -> Result<(), DigestError> {
        let client = self.pool.get().await.map_err(db)?;
        let key: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&c.digest_id, &c.channel];
        match outcome {
            Ok(()) => {
                done.sent += 1;
                tracing::info!(tenant = %c.tenant, digest = %c.digest_id, channel = %c.channel, "report delivered");
                client
                    .execute(
                        "UPDATE digest_deliveries SET status = 'sent', delivered_at = $3, locked_until = NULL,
                             last_error = NULL WHERE digest_id = $1 AND channel = $2",
                        &[key[0], key[1], &now],
                    )
                    .await
                    .map_err(db)?;
            }
            Err(failure) => {
                let give_up =
                    matches!(failure, Failure::Permanent(_)) || c.attempts >= MAX_ATTEMPTS;
                let next =
                    now + chrono::Duration::from_std(retry_delay(c.attempts)).unwrap_or_default();
                let status = if give_up { "failed" } else { "pending" };
                if give_up {
                    done.failed += 1;
                } else {
                    done.retrying += 1;
                }
                tracing::warn!(tenant = %c.tenant, digest = %c.digest_id, channel = %c.channel,
                    attempts = c.attempts, error = %failure, give_up, "report delivery failed");
                client
                    .execute(
                        "UPDATE digest_deliveries SET status = $3, next_attempt_at = $4, locked_until = NULL,
                             last_error = $5 WHERE digest_id = $1 AND channel = $2",
                        &[key[0], key[1], &status, &next, &failure.to_string()],
                    )
                    .await
                    .map_err(db)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let minutes: Vec<u64> = (1..=MAX_ATTEMPTS)
            .map(|a| retry_delay(a).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }
}

//! Daily and weekly reports ("digests") for each tenant: which period is due ([`period`]), its figures and the
//! previous period's ([`figures`], read through a [`FiguresSource`]), Markdown with recommendations drawn from
//! them ([`render`], [`recommend`]), stored once per period whatever the number of replicas ([`store`]), and
//! delivered by e-mail and chat webhook with retries ([`deliver`]).
//!
//! Every replica of the service running [`Digests::run`] ticks; correctness comes from PostgreSQL (a unique key
//! per period, leases on deliveries), not from electing one replica. [`Digests::tick`] takes the instant, so tests
//! run a day or a week of schedule without waiting for it.

pub mod analytics_source;
pub mod config;
pub mod deliver;
pub mod figures;
pub mod period;
pub mod recommend;
pub mod render;
pub mod settings;
pub mod source;
pub mod store;

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use infra::SecretBox;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use analytics_source::AnalyticsSource;
pub use config::DigestArgs;
pub use deliver::{Delivered, Deliverer, EmailSender, Failure, SmtpConfig};
pub use figures::{PeriodFigures, Snapshot};
pub use period::{Kind, Period};
pub use settings::{DigestSettings, SettingsStore};
pub use source::{FiguresSource, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Db(#[from] infra::db::DbError),
    #[error("figures: {0}")]
    Source(#[from] SourceError),
    #[error("tenant {tenant}: digest webhook URL: {source}")]
    Crypto {
        tenant: String,
        #[source]
        source: infra::crypto::CryptoError,
    },
    #[error("invalid digest setting {0}")]
    Invalid(#[from] settings::InvalidSetting),
    #[error("cannot encode the figures: {0}")]
    Encode(String),
    #[error("tenant {0} has no digest settings")]
    NoSettings(String),
}

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub generated: Vec<Uuid>,
    pub delivered: Delivered,
}

/// The reports of every tenant, for one service replica.
#[derive(Debug, Clone)]
pub struct Digests<S> {
    pool: Pool,
    settings: SettingsStore,
    source: std::sync::Arc<S>,
    deliverer: Deliverer,
}

impl<S: FiguresSource> Digests<S> {
    pub fn new(
        pool: Pool,
        secrets: SecretBox,
        source: S,
        email: Option<EmailSender>,
        webhook_timeout: Duration,
    ) -> Self {
        let settings = SettingsStore::new(pool.clone(), secrets);
        let deliverer = Deliverer {
            pool: pool.clone(),
            settings: settings.clone(),
            email,
            http: reqwest::Client::new(),
            webhook_timeout,
        };
        Self {
            pool,
            settings,
            source: std::sync::Arc::new(source),
            deliverer,
        }
    }

    pub fn settings(&self) -> &SettingsStore {
        &self.settings
    }

    /// Generates every report due at `now` that does not exist yet, then sends every delivery due at `now`.
    /// A tenant whose figures cannot be read is logged and skipped; the next tick tries again.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Tick, DigestError> {
        let mut tick = Tick::default();
        for (tenant, settings) in self.settings.enabled().await? {
            let tz = match self.source.timezone(&tenant).await {
                Ok(tz) => tz,
                Err(error) => {
                    tracing::warn!(%tenant, %error, "no time zone for the tenant's reports");
                    continue;
                }
            };
            for kind in settings.kinds() {
                let period = Period::due(kind, tz, settings.send_hour, now);
                match store::generate(
                    &self.pool,
                    self.source.as_ref(),
                    &tenant,
                    &settings,
                    period,
                    now,
                )
                .await
                {
                    Ok(Some(id)) => tick.generated.push(id),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%tenant, %kind, %error, "cannot generate the report")
                    }
                }
            }
        }
        tick.delivered = self.deliverer.deliver_due(now).await?;
        Ok(tick)
    }

    /// Generates (once) the report of the period of `kind` starting at `start`'s local date, whether or not it is
    /// due, and sends its deliveries. Returns the report's id, new or existing.
    pub async fn generate(
        &self,
        tenant: &str,
        kind: Kind,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, DigestError> {
        let settings = self
            .settings
            .get(tenant)
            .await?
            .ok_or_else(|| DigestError::NoSettings(tenant.to_owned()))?;
        let tz = self.source.timezone(tenant).await?;
        let period = Period::starting_at(kind, tz, start);
        let id = match store::generate(
            &self.pool,
            self.source.as_ref(),
            tenant,
            &settings,
            period,
            now,
        )
        .await?
        {
            Some(id) => id,
            None => {
                let client = self.pool.get().await.map_err(infra::db::DbError::from)?;
                store::find(&**client, tenant, kind, period.start())
                    .await?
                    .ok_or_else(|| DigestError::NoSettings(tenant.to_owned()))?
            }
        };
        self.deliverer.deliver_due(now).await?;
        Ok(id)
    }

    /// Ticks every `interval` until `stop`. Errors (PostgreSQL down) are logged and the next tick tries again.
    pub async fn run(self, interval: Duration, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match self.tick(Utc::now()).await {
                Ok(tick)
                    if !tick.generated.is_empty() || tick.delivered != Delivered::default() =>
                {
                    tracing::info!(
                        generated = tick.generated.len(),
                        sent = tick.delivered.sent,
                        retrying = tick.delivered.retrying,
                        failed = tick.delivered.failed,
                        "reports tick"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reports tick failed"),
            }
        }
    }
}

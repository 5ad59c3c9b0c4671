//! The service's figures: the analytics store the worker and dispatcher fill as events flow (crate
//! `analytics`), read as rollups (Chatwoot's figures) and counters (the pipeline's own).

use analytics::counters as c;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use reports::{Group, Volume};

use crate::figures::{Bot, Count, Deliveries, PeriodFigures};
use crate::source::{FiguresSource, SourceError};

/// Reads figures from PostgreSQL through `analytics`' read API.
#[derive(Debug, Clone)]
pub struct AnalyticsSource {
    pool: Pool,
}

impl AnalyticsSource {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, SourceError> {
        self.pool
            .get()
            .await
            .map_err(|e| SourceError(format!("no database connection: {e}")))
    }
}

fn failed(e: analytics::AnalyticsError) -> SourceError {
    SourceError(e.to_string())
}

/// Counts are never negative in practice; a corrupt row must not wrap around into billions.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl FiguresSource for AnalyticsSource {
    async fn timezone(&self, tenant: &str) -> Result<Tz, SourceError> {
        let client = self.client().await?;
        analytics::tenant_calendar(&client, tenant)
            .await
            .map(|calendar| calendar.timezone)
            .map_err(failed)
    }

    async fn figures(
        &self,
        tenant: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<PeriodFigures, SourceError> {
        let client = self.client().await?;
        let rollup = analytics::load_rollup(&client, tenant, since, until, &[])
            .await
            .map_err(failed)?;
        let counters = analytics::load_counters(&client, tenant, since, until)
            .await
            .map_err(failed)?;
        let summary = reports::summary(&rollup, &Group::Account, since, until);
        let mut f = PeriodFigures::from_reports(&summary.current);
        f.peak_hours = reports::peak_hours(
            &rollup,
            &Group::Account,
            since,
            until,
            Volume::Conversations,
        );
        let total = |metric| count(counters.total(metric).count);
        f.bot = Bot {
            drafts: total(c::DRAFT_CREATED),
            approved: total(c::DRAFT_APPROVED),
            edited: total(c::DRAFT_EDITED),
            rejected: total(c::DRAFT_REJECTED),
            stale: total(c::DRAFT_STALE),
            auto: total(c::DRAFT_AUTO),
            escalations: total(c::ESCALATION),
            sla_breaches: total(c::SLA_BREACH),
        };
        f.deliveries = Deliveries {
            sent: total(c::DELIVERY_SENT),
            retried: total(c::DELIVERY_RETRIED),
            dead_lettered: total(c::DELIVERY_DEAD_LETTERED),
        };
        f.categories = counters
            .by_key(c::TRIAGE_CATEGORY)
            .into_iter()
            .map(|(key, n)| Count {
                key,
                count: count(n),
            })
            .filter(|c| c.count > 0)
            .collect();
        Ok(f)
    }
}

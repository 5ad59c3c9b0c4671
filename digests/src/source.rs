//! Where a report's figures come from. The service reads the analytics store; tests give fixed figures, so the
//! scheduling, claiming and delivery are tested without building a history first.

use std::future::Future;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::figures::PeriodFigures;

/// A failure to read figures, with the reason for the log and the deliveries table.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

pub trait FiguresSource: Send + Sync + 'static {
    /// The tenant's reporting time zone (the one its business hours are in).
    fn timezone(&self, tenant: &str) -> impl Future<Output = Result<Tz, SourceError>> + Send;

    /// The tenant's figures for `[since, until)`.
    fn figures(
        &self,
        tenant: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<PeriodFigures, SourceError>> + Send;
}

//! Generated reports in PostgreSQL: the claim that makes a period's report exist once, and the reads of the API
//! and `cwctl`.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use infra::db::DbError;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::figures::Snapshot;
use crate::period::{Kind, Period};
use crate::render;
use crate::settings::DigestSettings;
use crate::source::FiguresSource;
use crate::DigestError;

fn db(e: impl Into<DbError>) -> DigestError {
    DigestError::Db(e.into())
}

/// Generates and stores the report of `period` unless it exists, with one pending delivery per channel the
/// tenant has. Returns the new report's id, or `None` when the period already had one.
///
/// The row is inserted first, in a transaction that stays open while the figures are read and rendered: a
/// second replica's insert of the same (tenant, kind, period) waits on the unique key and then finds it taken, so
/// the report is computed and delivered once; if this replica fails before committing, nothing is left and the
/// next tick (here or elsewhere) starts again.
pub async fn generate(
    pool: &Pool,
    source: &impl FiguresSource,
    tenant: &str,
    settings: &DigestSettings,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DigestError> {
    let mut client = pool.get().await.map_err(db)?;
    let (kind, start) = (period.kind.as_str(), period.start());
    // A cheap look first: most ticks find the period done and should not open a transaction.
    let done = client
        .query_opt(
            "SELECT 1 FROM digests WHERE tenant = $1 AND kind = $2 AND period_start = $3",
            &[&tenant, &kind, &start],
        )
        .await
        .map_err(db)?;
    if done.is_some() {
        return Ok(None);
    }
    let tx = client.transaction().await.map_err(db)?;
    let id = Uuid::new_v4();
    let claimed = tx
        .execute(
            "INSERT INTO digests (id, tenant, kind, period_start, period_end, timezone, markdown, figures,
                                  created_at)
             VALUES ($1, $2, $3, $4, $5, $6, '', '{}', $7)
             ON CONFLICT (tenant, kind, period_start) DO NOTHING",
            &[&id, &tenant, &kind, &start, &period.end(), &period.tz.name(), &now],
        )
        .await
        .map_err(db)?;
    if claimed == 0 {
        return Ok(None);
    }
    let previous = period.previous();
    let snapshot = Snapshot {
        current: source.figures(tenant, period.start(), period.end()).await?,
        previous: source
            .figures(tenant, previous.start(), previous.end())
            .await?,
    };
    let markdown = render::markdown(tenant, period, &snapshot);
    let figures =
        serde_json::to_value(&snapshot).map_err(|e| DigestError::Encode(e.to_string()))?;
    tx.execute(
        "UPDATE digests SET markdown = $2, figures = $3 WHERE id = $1",
        &[&id, &markdown, &figures],
    )
    .await
    .map_err(db)?;
    let mut channels = Vec::new();
    if !settings.recipients.is_empty() {
        channels.push("email");
    }
    if settings.webhook_url.is_some() {
        channels.push("webhook");
    }
    for channel in channels {
        tx.execute(
            "INSERT INTO digest_deliveries (digest_id, channel, next_attempt_at) VALUES ($1, $2, $3)",
            &[&id, &channel, &now],
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    tracing::info!(tenant, kind, period_start = %start, %id, "report generated");
    Ok(Some(id))
}

/// A report in a list.
#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    pub id: Uuid,
    pub kind: Kind,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// One delivery of a report.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    pub id: Uuid,
    pub kind: Kind,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub markdown: String,
    pub figures: serde_json::Value,
    pub deliveries: Vec<DeliveryView>,
}

fn kind_of(row: &tokio_postgres::Row, index: usize) -> Kind {
    // The table's CHECK allows only the two kinds.
    Kind::parse(row.get(index)).unwrap_or(Kind::Daily)
}

/// A page of a tenant's reports, newest period first. `before` is the last item of the previous page
/// (`(period_start, id)`), so pages stay stable while new reports arrive.
pub async fn list(
    client: &impl GenericClient,
    tenant: &str,
    kind: Option<Kind>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<DigestItem>, DbError> {
    let kind = kind.map(Kind::as_str);
    let (start, id) = before.unzip();
    let rows = client
        .query(
            "SELECT id, kind, period_start, period_end, created_at FROM digests
             WHERE tenant = $1 AND ($2::text IS NULL OR kind = $2)
               AND ($3::timestamptz IS NULL OR (period_start, id) < ($3, $4))
             ORDER BY period_start DESC, id DESC LIMIT $5",
            &[&tenant, &kind, &start, &id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| DigestItem {
            id: row.get(0),
            kind: kind_of(row, 1),
            period_start: row.get(2),
            period_end: row.get(3),
            created_at: row.get(4),
        })
        .collect())
}

/// One of a tenant's reports with its deliveries; `None` when it is not this tenant's.
pub async fn get(
    client: &impl GenericClient,
    tenant: &str,
    id: Uuid,
) -> Result<Option<DigestView>, DbError> {
    let Some(row) = client
        .query_opt(
            "SELECT id, kind, period_start, period_end, timezone, created_at, markdown, figures FROM digests
             WHERE tenant = $1 AND id = $2",
            &[&tenant, &id],
        )
        .await?
    else {
        return Ok(None);
    };
    let deliveries = client
        .query(
            "SELECT channel, status, attempts, last_error, delivered_at FROM digest_deliveries
             WHERE digest_id = $1 ORDER BY channel",
            &[&id],
        )
        .await?
        .iter()
        .map(|d| DeliveryView {
            channel: d.get(0),
            status: d.get(1),
            attempts: d.get(2),
            last_error: d.get(3),
            delivered_at: d.get(4),
        })
        .collect();
    Ok(Some(DigestView {
        id: row.get(0),
        kind: kind_of(&row, 1),
        period_start: row.get(2),
        period_end: row.get(3),
        timezone: row.get(4),
        created_at: row.get(5),
        markdown: row.get(6),
        figures: row.get(7),
        deliveries,
    }))
}

/// The id of a tenant's report for a period, if it exists.
pub async fn find(
    client: &impl GenericClient,
    tenant: &str,
    kind: Kind,
    period_start: DateTime<Utc>,
) -> Result<Option<Uuid>, DbError> {
    Ok(client
        .query_opt(
            "SELECT id FROM digests WHERE tenant = $1 AND kind = $2 AND period_start = $3",
            &[&tenant, &kind.as_str(), &period_start],
        )
        .await?
        .map(|row| row.get(0)))
}

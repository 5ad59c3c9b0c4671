//! Reading a tenant's rollup back for the reports crate's queries.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use reports::{Dimension, Rollup};

use crate::record::{decode_bucket, parse_group};
use crate::{tenant_calendar, AnalyticsError};

/// The tenant's buckets for the local hours starting in `[since, until)`, for the account and the requested
/// dimensions, shards merged, in the tenant's time zone. Reads O(hours × groups × shards not yet compacted)
/// rows, whatever the number of conversations.
pub async fn load_rollup(
    client: &impl GenericClient,
    tenant: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    dimensions: &[Dimension],
) -> Result<Rollup, AnalyticsError> {
    let calendar = tenant_calendar(client, tenant).await?;
    let mut names: Vec<&str> = dimensions.iter().map(|d| d.as_str()).collect();
    names.push(Dimension::Account.as_str());
    names.sort_unstable();
    names.dedup();
    let statement = client
        .prepare_cached(
            "SELECT grp, hour, bin, bucket::text FROM analytics_buckets
             WHERE tenant = $1 AND dimension = ANY($2) AND hour >= $3 AND hour < $4",
        )
        .await?;
    let rows = client
        .query(
            &statement,
            &[&tenant, &names, &since.timestamp(), &until.timestamp()],
        )
        .await?;
    let mut rollup = Rollup::new(calendar.timezone);
    for row in rows {
        let Some(group) = parse_group(row.get(0)) else {
            continue;
        };
        let bucket = decode_bucket(row.get(2), row.get(3))?;
        rollup.add(group, row.get(1), &bucket);
    }
    Ok(rollup)
}

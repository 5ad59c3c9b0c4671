//! Folding the shards of past hours into one row per group and hour, so reads stay O(hours × groups).

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use reports::Bucket;

use crate::record::{add_buckets, decode_bucket};
use crate::{AnalyticsError, COMPACTED};

/// Folds up to `limit` shard rows of hours before `before` (a UTC second) into the compacted shard, buckets and
/// counters. Run it in a transaction: the rows it deletes are locked until it commits, so a concurrent
/// compaction or a late event for an old hour (a changed CSAT rating) waits, and nothing is counted twice.
/// Returns how many rows it took or wrote; call again until it returns 0.
pub async fn compact(
    client: &impl GenericClient,
    before: i64,
    limit: i64,
) -> Result<u64, AnalyticsError> {
    let take = client
        .prepare_cached(
            "DELETE FROM analytics_buckets WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM analytics_buckets WHERE shard >= 0 AND hour < $1
                 ORDER BY tenant, dimension, hour, grp, shard LIMIT $2 FOR UPDATE SKIP LOCKED))
             RETURNING tenant, dimension, hour, grp, bin, bucket::text",
        )
        .await?;
    let taken = client.query(&take, &[&before, &limit]).await?;
    let folded = taken.len() as u64;
    let mut rows: BTreeMap<_, Bucket> = BTreeMap::new();
    for row in &taken {
        let bucket = decode_bucket(row.get(4), row.get(5))?;
        let dimension = dimension_name(row.get(1));
        rows.entry((
            row.get::<_, String>(0),
            dimension,
            row.get::<_, i64>(2),
            row.get::<_, String>(3),
            COMPACTED,
        ))
        .or_default()
        .merge(&bucket);
    }
    add_buckets(client, rows).await?;
    let counters = client
        .prepare_cached(
            "WITH taken AS (
                 DELETE FROM analytics_counters WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM analytics_counters WHERE shard >= 0 AND hour < $1
                     ORDER BY tenant, hour, metric, key, shard LIMIT $2 FOR UPDATE SKIP LOCKED))
                 RETURNING tenant, hour, metric, key, count, sum)
             INSERT INTO analytics_counters AS c (tenant, hour, metric, key, shard, count, sum)
             SELECT tenant, hour, metric, key, -1, sum(count), sum(sum) FROM taken
             GROUP BY tenant, hour, metric, key ORDER BY tenant, hour, metric, key
             ON CONFLICT (tenant, hour, metric, key, shard)
             DO UPDATE SET count = c.count + EXCLUDED.count, sum = c.sum + EXCLUDED.sum",
        )
        .await?;
    let counted = client.execute(&counters, &[&before, &limit]).await?;
    Ok(folded.max(counted))
}

/// Back to the static names [`reports::Dimension::as_str`] gives (stored rows only hold those).
fn dimension_name(stored: &str) -> &'static str {
    reports::Dimension::parse(stored).map_or("account", reports::Dimension::as_str)
}

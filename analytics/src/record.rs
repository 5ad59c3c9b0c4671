//! Recording: per-conversation trackers and hourly buckets, written in the caller's transaction.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::GenericClient;
use reports::{
    Bucket, BusinessHours, ConversationInfo, Event, Group, Record, Rollup, Status, Timed, Tracker,
};

use crate::{batch_shard, AnalyticsError, Calendar};

/// What one event tells about one conversation.
#[derive(Debug, Clone)]
pub struct Observation {
    pub tenant: String,
    pub conversation: u64,
    /// The conversation as the event shows it, used when its tracker does not exist yet (its
    /// `conversation_created` was missed or is this event); `None` when the event does not show it.
    pub info: Option<ConversationInfo>,
    /// What happened, in order. Two adjustments are made against the stored state, which the event alone cannot
    /// know: `Status(Open)` while the conversation is pending is a bot handoff (Chatwoot's `bot_handoff!`), and an
    /// `Assigned`/`Team` equal to the current one is dropped. A state change (status, assignee, team, CSAT answer)
    /// older than the conversation's latest event is a late copy and is dropped; a message older than it is
    /// counted at the latest event's time (messages are deduplicated by the ledger on their id).
    pub events: Vec<Timed>,
}

/// What a call recorded, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSummary {
    pub records: usize,
    pub bucket_rows: usize,
    pub statements: usize,
}

type BucketKey = (String, &'static str, i64, String, i16);

/// Applies the observations to their conversations' trackers and adds the records to the buckets. Call it in
/// the transaction that claims the events in the ledger: a duplicate never gets here, and a rolled back batch
/// leaves no trace. `calendars` holds each tenant's calendar (a missing tenant gets the defaults).
pub async fn record(
    client: &impl GenericClient,
    calendars: &HashMap<String, Calendar>,
    observations: &[Observation],
) -> Result<RecordSummary, AnalyticsError> {
    let mut summary = RecordSummary::default();
    if observations.is_empty() {
        return Ok(summary);
    }
    let mut trackers = load_trackers(client, observations).await?;
    summary.statements += 1;
    let default = Calendar::default();
    let shard = batch_shard(
        observations
            .iter()
            .map(|o| (o.tenant.as_str(), o.conversation)),
    );
    let mut rollups: BTreeMap<String, Rollup> = BTreeMap::new();
    let mut changed: BTreeMap<(String, u64), ()> = BTreeMap::new();
    for o in observations {
        let calendar = calendars.get(&o.tenant).unwrap_or(&default);
        let business = calendar.business().ok();
        let key = (o.tenant.clone(), o.conversation);
        let mut records = Vec::new();
        let tracker = match trackers.remove(&key) {
            Some(mut tracker) => {
                tracker.set_business_hours(business);
                Some(tracker)
            }
            None => o.info.clone().map(|info| {
                let (tracker, created) = Tracker::created(info, business);
                records.push(created);
                tracker
            }),
        };
        // Without a tracker and without the conversation's facts there is nothing to measure from.
        let Some(mut tracker) = tracker else {
            continue;
        };
        apply(&mut tracker, &o.events, &mut records);
        summary.records += records.len();
        let rollup = rollups
            .entry(o.tenant.clone())
            .or_insert_with(|| Rollup::new(calendar.timezone));
        rollup.record_all(&records);
        trackers.insert(key.clone(), tracker);
        changed.insert(key, ());
    }
    let saved: Vec<(&(String, u64), &Tracker)> = changed
        .keys()
        .filter_map(|k| trackers.get(k).map(|t| (k, t)))
        .collect();
    let mut rows: BTreeMap<BucketKey, Bucket> = BTreeMap::new();
    for (tenant, rollup) in &rollups {
        for (group, hour, bucket) in rollup.iter() {
            rows.entry((
                tenant.clone(),
                group.dimension().as_str(),
                hour,
                group.to_string(),
                shard,
            ))
            .or_default()
            .merge(bucket);
        }
    }
    summary.bucket_rows = rows.len();
    // Pipelined on the caller's connection: the trackers' save and the buckets' lock go out together, one round
    // trip where they took two (different rows; every caller sends them in this order).
    let ((), bucket_statements) =
        futures::try_join!(save_trackers(client, &saved), add_buckets(client, rows))?;
    summary.statements += 1 + bucket_statements;
    Ok(summary)
}

fn apply(tracker: &mut Tracker, events: &[Timed], records: &mut Vec<Record>) {
    for timed in events {
        // A state change older than what the tracker has seen is a late copy of a webhook (Chatwoot sending a
        // status change again under a new delivery id, a replay): applying it would move the state back.
        let stale = timed.at < tracker.last_at();
        let event = match &timed.event {
            Event::Status(_)
            | Event::BotHandoff
            | Event::Assigned(_)
            | Event::Team(_)
            | Event::CsatResponse { .. }
                if stale =>
            {
                continue
            }
            Event::Status(Status::Open) if tracker.current_status() == Status::Pending => {
                Event::BotHandoff
            }
            Event::Assigned(agent) if *agent == tracker.assignee() => continue,
            Event::Team(team) if *team == tracker.team() => continue,
            other => other.clone(),
        };
        let at = timed.at.max(tracker.last_at());
        match tracker.apply(&Timed { at, event }) {
            Ok(out) => records.extend(out),
            // A rating outside 1-5 is the customer's (or a forger's) input, not ours: skip it.
            Err(error) => tracing::debug!(%error, "event left out of analytics"),
        }
    }
}

/// Reads and locks the trackers of a batch's conversations. The keys come as `(SELECT $n)` so that the plan is
/// made once, not for every batch (see `infra::db`'s `PREFER_INDEXES`); [`LOCK_BUCKETS`] takes its keys the same way.
pub const LOAD_TRACKERS: &str = "
    SELECT t.tenant, t.conversation_id, t.tracker
    FROM unnest((SELECT $1::text[]), (SELECT $2::bigint[])) AS k(tenant, conversation_id)
    CROSS JOIN LATERAL (SELECT * FROM analytics_trackers t
                        WHERE t.tenant = k.tenant AND t.conversation_id = k.conversation_id
                        FOR UPDATE) t";

/// Writes a batch's trackers.
pub const SAVE_TRACKERS: &str = "
    INSERT INTO analytics_trackers (tenant, conversation_id, tracker)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])
    ON CONFLICT (tenant, conversation_id) DO UPDATE SET tracker = EXCLUDED.tracker, updated_at = now()";

/// Inserts the buckets whose rows do not exist yet; returns the keys inserted.
pub const INSERT_BUCKETS: &str = "
    INSERT INTO analytics_buckets (tenant, dimension, hour, grp, shard, bin)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int2[], $6::bytea[])
    ON CONFLICT DO NOTHING
    RETURNING tenant, dimension, hour, grp, shard";

/// Reads and locks the rows of the buckets that exist, in key order.
pub const LOCK_BUCKETS: &str = "
    SELECT b.tenant, b.dimension, b.hour, b.grp, b.shard, b.bin, b.bucket::text
    FROM unnest((SELECT $1::text[]), (SELECT $2::text[]), (SELECT $3::bigint[]), (SELECT $4::text[]),
                (SELECT $5::int2[]))
         WITH ORDINALITY AS k(tenant, dimension, hour, grp, shard, n)
    CROSS JOIN LATERAL (SELECT * FROM analytics_buckets b
                        WHERE b.tenant = k.tenant AND b.dimension = k.dimension AND b.hour = k.hour
                          AND b.grp = k.grp AND b.shard = k.shard FOR UPDATE) b
    ORDER BY k.n";

/// Writes merged buckets back over their locked rows. An upsert rather than `UPDATE ... FROM unnest(...)`: the
/// generic plan of that join scans the whole primary key and filters (the plans e2e test caught it), while an
/// upsert always probes the key once per row.
pub const UPDATE_BUCKETS: &str = "
    INSERT INTO analytics_buckets (tenant, dimension, hour, grp, shard, bin)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int2[], $6::bytea[])
    ON CONFLICT (tenant, dimension, hour, grp, shard) DO UPDATE SET bin = EXCLUDED.bin, bucket = NULL";

/// Locks the trackers too: a replay racing the original delivery waits here rather than reading a stale one.
async fn load_trackers(
    client: &impl GenericClient,
    observations: &[Observation],
) -> Result<HashMap<(String, u64), Tracker>, AnalyticsError> {
    let statement = client.prepare_cached(LOAD_TRACKERS).await?;
    let tenants: Vec<&str> = observations.iter().map(|o| o.tenant.as_str()).collect();
    let ids: Vec<i64> = observations
        .iter()
        .map(|o| to_i64(o.conversation))
        .collect();
    let rows = client.query(&statement, &[&tenants, &ids]).await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: i64 = row.get(1);
        let json: serde_json::Value = row.get(2);
        let tracker: Tracker =
            serde_json::from_value(json).map_err(|e| AnalyticsError::Corrupt {
                what: "tracker",
                message: e.to_string(),
            })?;
        out.insert((row.get(0), u64::try_from(id).unwrap_or(0)), tracker);
    }
    Ok(out)
}

async fn save_trackers(
    client: &impl GenericClient,
    trackers: &[(&(String, u64), &Tracker)],
) -> Result<(), AnalyticsError> {
    if trackers.is_empty() {
        return Ok(());
    }
    let statement = client.prepare_cached(SAVE_TRACKERS).await?;
    let tenants: Vec<&str> = trackers.iter().map(|((t, _), _)| t.as_str()).collect();
    let ids: Vec<i64> = trackers.iter().map(|((_, c), _)| to_i64(*c)).collect();
    let json = trackers
        .iter()
        .map(|(_, t)| serde_json::to_value(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AnalyticsError::Corrupt {
            what: "tracker",
            message: e.to_string(),
        })?;
    client.execute(&statement, &[&tenants, &ids, &json]).await?;
    Ok(())
}

/// Adds buckets to their rows: new rows are inserted as they are; rows that exist are locked, merged in memory
/// and written back (a sketch cannot be added in SQL). Keys are sorted, so concurrent callers lock in one order.
/// Returns the number of statements run.
pub(crate) async fn add_buckets(
    client: &impl GenericClient,
    rows: BTreeMap<BucketKey, Bucket>,
) -> Result<usize, AnalyticsError> {
    if rows.is_empty() {
        return Ok(0);
    }
    // The rows that exist are locked and merged first: past an hour's first events every bucket of a batch is
    // there already, and a lock then a write is one statement fewer than trying to insert them first.
    let mut statements = 1;
    let (mut merged, mut missing) = lock_and_merge(client, rows).await?;
    if !missing.is_empty() {
        let inserted = write_buckets(client, INSERT_BUCKETS, &missing).await?;
        statements += 1;
        for row in inserted {
            missing.retain(|k, _| !is_row_of(k, &row));
        }
        // A row another transaction inserted since the lock (compaction, or a replica on the same shard during a
        // rebalance) is merged like the others.
        if !missing.is_empty() {
            let (raced, _) = lock_and_merge(client, missing).await?;
            statements += 1;
            merged.extend(raced);
        }
    }
    if merged.is_empty() {
        return Ok(statements);
    }
    write_buckets(client, UPDATE_BUCKETS, &merged).await?;
    Ok(statements + 1)
}

/// Runs `sql` (the insert or the upsert of bucket rows) over `rows`; returns what it returns.
async fn write_buckets(
    client: &impl GenericClient,
    sql: &str,
    rows: &BTreeMap<BucketKey, Bucket>,
) -> Result<Vec<tokio_postgres::Row>, AnalyticsError> {
    let columns = Columns::of(rows.iter())?;
    let statement = client.prepare_cached(sql).await?;
    Ok(client
        .query(
            &statement,
            &[
                &columns.tenants,
                &columns.dimensions,
                &columns.hours,
                &columns.groups,
                &columns.shards,
                &columns.buckets,
            ],
        )
        .await?)
}

/// Locks the stored rows of `rows`' keys and merges each into its bucket. Returns the merged buckets whose row
/// exists, and the rest untouched.
async fn lock_and_merge(
    client: &impl GenericClient,
    rows: BTreeMap<BucketKey, Bucket>,
) -> Result<(BTreeMap<BucketKey, Bucket>, BTreeMap<BucketKey, Bucket>), AnalyticsError> {
    let columns = Columns::of(rows.iter())?;
    let lock = client.prepare_cached(LOCK_BUCKETS).await?;
    let stored = client
        .query(
            &lock,
            &[
                &columns.tenants,
                &columns.dimensions,
                &columns.hours,
                &columns.groups,
                &columns.shards,
            ],
        )
        .await?;
    let mut rest = rows;
    let mut merged = BTreeMap::new();
    for row in stored {
        let bucket = decode_bucket(row.get(5), row.get(6))?;
        let key = rest.keys().find(|k| is_row_of(k, &row)).cloned();
        if let Some((key, mut own)) = key.and_then(|k| rest.remove_entry(&k)) {
            own.merge(&bucket);
            merged.insert(key, own);
        }
    }
    Ok((merged, rest))
}

/// Whether a returned row (its first five columns: tenant, dimension, hour, group, shard) is the bucket of `key`.
fn is_row_of(key: &BucketKey, row: &tokio_postgres::Row) -> bool {
    key.0 == row.get::<_, &str>(0)
        && key.1 == row.get::<_, &str>(1)
        && key.2 == row.get::<_, i64>(2)
        && key.3 == row.get::<_, &str>(3)
        && key.4 == row.get::<_, i16>(4)
}

struct Columns<'a> {
    tenants: Vec<&'a str>,
    dimensions: Vec<&'a str>,
    hours: Vec<i64>,
    groups: Vec<&'a str>,
    shards: Vec<i16>,
    buckets: Vec<Vec<u8>>,
}

impl<'a> Columns<'a> {
    fn of(rows: impl Iterator<Item = (&'a BucketKey, &'a Bucket)>) -> Result<Self, AnalyticsError> {
        let mut c = Columns {
            tenants: Vec::new(),
            dimensions: Vec::new(),
            hours: Vec::new(),
            groups: Vec::new(),
            shards: Vec::new(),
            buckets: Vec::new(),
        };
        for ((tenant, dimension, hour, group, shard), bucket) in rows {
            c.tenants.push(tenant);
            c.dimensions.push(dimension);
            c.hours.push(*hour);
            c.groups.push(group);
            c.shards.push(*shard);
            c.buckets.push(encode_bucket(bucket)?);
        }
        Ok(c)
    }
}

fn corrupt_bucket(message: String) -> AnalyticsError {
    AnalyticsError::Corrupt {
        what: "bucket",
        message,
    }
}

/// A bucket as stored: postcard, several times cheaper to encode and decode than the JSON it replaced (V14).
pub fn encode_bucket(bucket: &Bucket) -> Result<Vec<u8>, AnalyticsError> {
    postcard::to_stdvec(bucket).map_err(|e| corrupt_bucket(e.to_string()))
}

/// A stored bucket: postcard in `bin`, or the JSON of a row written before V14 and not rewritten since.
pub(crate) fn decode_bucket(
    bin: Option<&[u8]>,
    json: Option<&str>,
) -> Result<Bucket, AnalyticsError> {
    match (bin, json) {
        (Some(bin), _) => postcard::from_bytes(bin).map_err(|e| corrupt_bucket(e.to_string())),
        (None, Some(json)) => serde_json::from_str(json).map_err(|e| corrupt_bucket(e.to_string())),
        (None, None) => Err(corrupt_bucket("neither bin nor JSON".into())),
    }
}

/// A group key as stored, back to a group (rows written by this crate always parse).
pub(crate) fn parse_group(s: &str) -> Option<Group> {
    s.parse().ok()
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The business hours of a calendar, if they parse (they were validated with the rules).
pub fn business_hours(calendar: &Calendar) -> Option<BusinessHours> {
    calendar.business().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> Bucket {
        let mut b = Bucket {
            conversations: 3,
            csat_ratings: [0, -1, 0, 2, 1],
            ..Bucket::default()
        };
        // Exact values in one sketch, binned ones (past the exact cap) in another.
        for v in [0, 5, 600] {
            b.first_response.values.add(v);
        }
        for v in 0..200 {
            b.resolution.values.add(v * 37);
        }
        b
    }

    #[test]
    fn a_bucket_round_trips_through_postcard_and_a_json_row_still_reads() {
        let b = bucket();
        let bin = encode_bucket(&b).expect("encode");
        assert_eq!(decode_bucket(Some(&bin), None).expect("postcard"), b);
        let json = serde_json::to_string(&b).expect("json");
        assert!(bin.len() < json.len());
        assert_eq!(decode_bucket(None, Some(&json)).expect("json row"), b);
        assert!(decode_bucket(None, None).is_err());
        assert!(decode_bucket(Some(&[0xff, 0xff]), None).is_err());
    }
}

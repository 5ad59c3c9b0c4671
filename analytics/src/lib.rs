//! Support analytics kept in PostgreSQL as events flow, for the figures of the [`reports`] crate.
//!
//! - **Record** ([`record`]): the worker turns each webhook into [`reports::Event`]s and calls
//!   [`record::record`] in the transaction that processes the event, so JetStream redelivery and duplicate
//!   webhooks count once. Each conversation's [`reports::Tracker`] is stored as JSON; the [`reports::Record`]s it
//!   produces are folded into hourly [`reports::Bucket`]s per group, stored per (tenant, group, local hour, shard).
//! - **Counters** ([`counters`]): our own additive hourly counts (triage, drafts, deliveries, ...).
//! - **Load** ([`load`]): [`tenant_calendar`], [`load_rollup`] and [`load_counters`] read O(hours × groups) rows
//!   whatever the number of conversations.
//! - **Compact** ([`compact`]): folds the shards of past hours into one row per group and hour.
//!
//! The rows one call writes go to one shard: the lowest event partition among its conversations. The worker
//! processes one partition's events one at a time, so two of its transactions in flight hold disjoint partitions
//! and never wait on the same row; and a batch's events of one hour and group add up in one row instead of one
//! per partition (about a seventh of the rows at the worker's usual batch size).

pub mod calendar;
pub mod compact;
pub mod counters;
pub mod csv;
pub mod load;
pub mod record;
pub mod view;

pub use reports;

pub use calendar::{store_calendar, tenant_calendar, Calendar};
pub use compact::compact;
pub use counters::{add_counters, load_counters, CounterInc, Counters};
pub use load::load_rollup;
pub use record::{record, Observation, RecordSummary};

/// Why reading or writing analytics failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("stored analytics are unreadable ({what}): {message}")]
    Corrupt { what: &'static str, message: String },
    #[error("calendar: {0}")]
    Calendar(#[from] reports::BusinessHoursError),
}

impl AnalyticsError {
    /// Whether trying again may succeed (a lost connection, a serialization failure, a deadlock).
    pub fn is_transient(&self) -> bool {
        match self {
            AnalyticsError::Postgres(e) => {
                e.is_closed()
                    || e.as_db_error().is_none_or(|db| {
                        matches!(db.code().code(), "40001" | "40P01" | "57P01" | "53300")
                    })
            }
            _ => false,
        }
    }
}

/// The shard of a conversation's rows: its event partition.
pub fn shard_of(tenant: &str, conversation: u64) -> i16 {
    i16::try_from(infra::topology::conversation_partition(
        tenant,
        conversation,
    ))
    .unwrap_or(0)
}

/// The shard of the rows one call writes about these conversations: the lowest of their partitions. Two callers
/// that share no partition never share a row; callers that share the lowest one would have shared that
/// partition's rows anyway.
pub fn batch_shard<'a>(conversations: impl Iterator<Item = (&'a str, u64)>) -> i16 {
    conversations
        .map(|(tenant, conversation)| shard_of(tenant, conversation))
        .min()
        .unwrap_or(0)
}

/// The shard that compaction folds past hours into.
pub const COMPACTED: i16 = -1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_writes_to_the_lowest_partition_of_its_conversations() {
        let conversations = [("acme", 1_u64), ("acme", 2), ("globex", 3), ("acme", 4)];
        let lowest = conversations
            .iter()
            .map(|(tenant, id)| shard_of(tenant, *id))
            .min()
            .expect("four conversations");
        assert_eq!(batch_shard(conversations.into_iter()), lowest);
        // Calls that share no partition never write to one shard.
        let (first, second) = conversations.split_at(2);
        if first.iter().all(|(t, c)| {
            second
                .iter()
                .all(|(u, d)| shard_of(t, *c) != shard_of(u, *d))
        }) {
            assert_ne!(
                batch_shard(first.iter().copied()),
                batch_shard(second.iter().copied())
            );
        }
        assert_eq!(batch_shard(std::iter::empty()), 0);
    }
}

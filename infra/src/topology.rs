//! Streams, subjects and consumers, created idempotently by every service at start.
//!
//! Subjects carry the tenant and a partition: `{prefix}.events.{tenant}.{partition}`. The partition is a stable
//! hash of the conversation, and the worker has one durable consumer per partition with `max_ack_pending = 1`.
//! JetStream then never hands out the next event of a partition before the previous one is acknowledged, so any
//! number of worker replicas can pull from every partition while the events of one conversation stay in arrival
//! order and are never processed concurrently. This needs nothing newer than NATS 2.9.

use std::hash::Hasher;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

/// Number of event partitions. Part of the wire contract between ingress and worker: changing it re-maps
/// conversations, so it is a constant, not a setting.
pub const PARTITIONS: u32 = 32;

/// Names of everything the pipeline creates on NATS, under one prefix.
#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
}

/// Retention of the streams. The work streams (events, actions, dead letters) discard `new`: a full stream refuses
/// publishes (the ingress answers 503 and Chatwoot records a failure) rather than silently dropping events nobody
/// processed yet. The activity stream is a log of what happened, read by people and tools: it discards the
/// oldest records instead, so it can never hold the pipeline's work back.
#[derive(Debug, Clone)]
pub struct StreamLimits {
    pub max_age: Duration,
    pub max_bytes: i64,
    pub duplicate_window: Duration,
    pub replicas: usize,
    pub activity_max_age: Duration,
    pub activity_max_bytes: i64,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(7 * 86_400),
            max_bytes: 1 << 30,
            duplicate_window: Duration::from_secs(600),
            replicas: 1,
            activity_max_age: Duration::from_secs(30 * 86_400),
            activity_max_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot create or update stream {stream}: {source}")]
    Stream {
        stream: String,
        #[source]
        source: jetstream::context::CreateStreamError,
    },
    #[error("cannot get stream {stream}: {source}")]
    GetStream {
        stream: String,
        #[source]
        source: jetstream::context::GetStreamError,
    },
    #[error("cannot create consumer {consumer}: {source}")]
    Consumer {
        consumer: String,
        #[source]
        source: jetstream::stream::ConsumerError,
    },
}

impl Topology {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn stream_name(&self, what: &str) -> String {
        format!(
            "{}_{what}",
            self.prefix.to_uppercase().replace(['.', '-'], "_")
        )
    }

    pub fn events_stream(&self) -> String {
        self.stream_name("EVENTS")
    }

    pub fn actions_stream(&self) -> String {
        self.stream_name("ACTIONS")
    }

    pub fn dead_letter_stream(&self) -> String {
        self.stream_name("DLQ")
    }

    /// Every stream the pipeline creates.
    pub fn streams(&self) -> [String; 4] {
        [
            self.events_stream(),
            self.actions_stream(),
            self.dead_letter_stream(),
            self.activity_stream(),
        ]
    }

    /// What happened to each event, step by step (see [`crate::activity`]).
    pub fn activity_stream(&self) -> String {
        self.stream_name("ACTIVITY")
    }

    /// `{prefix}.activity.{tenant}.{conversation}.{kind}`; conversation 0 for records outside a conversation.
    pub fn activity_subject(&self, tenant: &str, conversation: u64, kind: &str) -> String {
        format!("{}.activity.{tenant}.{conversation}.{kind}", self.prefix)
    }

    /// The activity of one tenant, optionally of one conversation and one kind, as a subject filter.
    pub fn activity_filter(
        &self,
        tenant: &str,
        conversation: Option<u64>,
        kind: Option<&str>,
    ) -> String {
        let conversation = conversation.map_or_else(|| "*".to_owned(), |c| c.to_string());
        format!(
            "{}.activity.{tenant}.{conversation}.{}",
            self.prefix,
            kind.unwrap_or("*")
        )
    }

    pub fn event_subject(&self, tenant: &str, partition: u32) -> String {
        format!("{}.events.{tenant}.{partition}", self.prefix)
    }

    pub fn tenant_events_filter(&self, tenant: &str) -> String {
        format!("{}.events.{tenant}.*", self.prefix)
    }

    pub fn partition_filter(&self, partition: u32) -> String {
        format!("{}.events.*.{partition}", self.prefix)
    }

    pub fn action_subject(&self, tenant: &str) -> String {
        format!("{}.actions.{tenant}", self.prefix)
    }

    pub fn dead_letter_subject(&self, tenant: &str) -> String {
        format!("{}.dlq.{tenant}", self.prefix)
    }

    pub fn worker_consumer(&self, partition: u32) -> String {
        format!("worker-p{partition:02}")
    }

    pub fn dispatcher_consumer(&self) -> String {
        "dispatcher".to_owned()
    }

    fn stream_config(
        &self,
        name: String,
        subjects: Vec<String>,
        limits: &StreamLimits,
    ) -> stream::Config {
        stream::Config {
            name,
            subjects,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::New,
            storage: stream::StorageType::File,
            max_age: limits.max_age,
            max_bytes: limits.max_bytes,
            duplicate_window: limits.duplicate_window,
            num_replicas: limits.replicas,
            ..Default::default()
        }
    }

    /// Creates the streams, or updates their limits when they exist.
    pub async fn ensure_streams(
        &self,
        js: &jetstream::Context,
        limits: &StreamLimits,
    ) -> Result<(), TopologyError> {
        let streams = [
            (self.events_stream(), format!("{}.events.>", self.prefix)),
            (self.actions_stream(), format!("{}.actions.>", self.prefix)),
            (self.dead_letter_stream(), format!("{}.dlq.>", self.prefix)),
            (
                self.activity_stream(),
                format!("{}.activity.>", self.prefix),
            ),
        ];
        for (name, subject) in streams {
            let mut config = self.stream_config(name.clone(), vec![subject], limits);
            if name == self.activity_stream() {
                config.discard = stream::DiscardPolicy::Old;
                config.max_age = limits.activity_max_age;
                config.max_bytes = limits.activity_max_bytes;
            }
            js.create_or_update_stream(config)
                .await
                .map_err(|source| TopologyError::Stream {
                    stream: name,
                    source,
                })?;
        }
        Ok(())
    }

    /// One durable consumer per partition; `max_ack_pending = 1` is what keeps a conversation in order.
    pub async fn ensure_worker_consumers(
        &self,
        js: &jetstream::Context,
        ack_wait: Duration,
    ) -> Result<Vec<consumer::PullConsumer>, TopologyError> {
        let mut consumers = Vec::with_capacity(PARTITIONS as usize);
        for partition in 0..PARTITIONS {
            consumers.push(self.ensure_worker_consumer(js, partition, ack_wait).await?);
        }
        Ok(consumers)
    }

    /// The durable consumer of one partition, created (again) if it is missing.
    pub async fn ensure_worker_consumer(
        &self,
        js: &jetstream::Context,
        partition: u32,
        ack_wait: Duration,
    ) -> Result<consumer::PullConsumer, TopologyError> {
        let stream = self.get_stream(js, &self.events_stream()).await?;
        let name = self.worker_consumer(partition);
        let config = consumer::pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: self.partition_filter(partition),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait,
            max_ack_pending: 1,
            max_deliver: -1,
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        };
        self.create_consumer(&stream, name, config).await
    }

    /// The dispatcher's consumer: actions are independent calls, so many are in flight at once.
    pub async fn ensure_dispatcher_consumer(
        &self,
        js: &jetstream::Context,
        ack_wait: Duration,
        max_ack_pending: i64,
    ) -> Result<consumer::PullConsumer, TopologyError> {
        let stream = self.get_stream(js, &self.actions_stream()).await?;
        let name = self.dispatcher_consumer();
        let config = consumer::pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: format!("{}.actions.>", self.prefix),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait,
            max_ack_pending,
            // Giving up is decided by the dispatcher (dead letter with the last error), never by JetStream
            // silently dropping a message after max_deliver.
            max_deliver: -1,
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        };
        self.create_consumer(&stream, name, config).await
    }

    async fn get_stream(
        &self,
        js: &jetstream::Context,
        name: &str,
    ) -> Result<stream::Stream, TopologyError> {
        js.get_stream(name)
            .await
            .map_err(|source| TopologyError::GetStream {
                stream: name.to_owned(),
                source,
            })
    }

    async fn create_consumer(
        &self,
        stream: &stream::Stream,
        name: String,
        config: consumer::pull::Config,
    ) -> Result<consumer::PullConsumer, TopologyError> {
        stream
            .create_consumer(config)
            .await
            .map_err(|source| TopologyError::Consumer {
                consumer: name,
                source,
            })
    }
}

/// The partition of a conversation's events: the ingress derives it from the webhook (`conversation:{id}`), and
/// anything else that puts an event in a conversation's order (an API command) must land on the same one.
pub fn conversation_partition(tenant: &str, conversation: u64) -> u32 {
    partition_for(tenant, &format!("conversation:{conversation}"))
}

/// Stable partition of a conversation (or, for events without one, of another key such as the contact).
/// FNV-1a is fixed by its definition, unlike `std`'s hasher, so every ingress version agrees.
pub fn partition_for(tenant: &str, key: &str) -> u32 {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(tenant.as_bytes());
    hasher.write_u8(0);
    hasher.write(key.as_bytes());
    (hasher.finish() % u64::from(PARTITIONS)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefixed_and_partition_filters_match_subjects() {
        let topology = Topology::new("t-1");
        assert_eq!(topology.events_stream(), "T_1_EVENTS");
        assert_eq!(topology.event_subject("acme", 7), "t-1.events.acme.7");
        assert_eq!(topology.partition_filter(7), "t-1.events.*.7");
    }

    #[test]
    fn partitions_are_stable_and_spread() {
        assert_eq!(partition_for("acme", "1042"), partition_for("acme", "1042"));
        let used: std::collections::HashSet<u32> = (0..1000)
            .map(|c| partition_for("acme", &c.to_string()))
            .collect();
        assert_eq!(used.len(), PARTITIONS as usize);
    }
}

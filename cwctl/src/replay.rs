//! `cwctl replay`: re-publish a tenant's events from the events stream's history.
//!
//! The range is read with an ephemeral pull consumer (memory storage, no acks, deleted at the end) filtered on
//! `{prefix}.events.{tenant}.*`, so the worker's durable consumers are not disturbed. Its end is fixed when the
//! consumer is created (the number of matching messages pending then), which keeps the replay's own publishes
//! out of the range.
//!
//! Each event is re-published to the subject it came from (same partition, so conversation order holds) with
//! `replay = {replay_id, reprocess}` set in the envelope and `Nats-Msg-Id: {event_key}#replay:{replay_id}`:
//! re-running a replay with the same `--replay-id` publishes nothing new within the stream's duplicate window,
//! and the worker's ledger deduplicates beyond it.
//!
//! * default mode: the worker trusts its ledger, so an event it already processed only has its recorded actions
//!   republished (which the dispatcher's ledger drops when delivered); events it never processed are processed.
//! * `--reprocess`: the worker processes each event again under the ledger key
//!   `{event_key}#replay:{replay_id}`, which may post new replies.
//!
//! An event key seen twice in the range (an earlier replay's copy) is replayed once.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream::Stream};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};
use futures::StreamExt;
use infra::{TenantId, Topology};
use proto::{EventEnvelope, Replay};

use crate::admin::Admin;
use crate::output::{from_nats_time, parse_instant, table, timestamp, to_nats_time};
use crate::{CliError, Context, Exit};

/// Messages fetched (and publishes pipelined) at once.
const BATCH: u64 = 256;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("start").required(true).args(["since", "from_seq"])))]
pub struct ReplayArgs {
    /// The tenant whose events are replayed.
    #[arg(long, value_name = "T")]
    pub tenant: String,
    /// First event time: RFC 3339 (2026-05-12T09:00:00Z) or a duration ago (90m, 12h, 2d).
    #[arg(long, value_name = "TIME", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Last event time, inclusive (default: the end of the stream).
    #[arg(long, value_name = "TIME", value_parser = parse_instant)]
    pub until: Option<DateTime<Utc>>,
    /// First events-stream sequence.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub from_seq: Option<u64>,
    /// Last events-stream sequence, inclusive (default: the end of the stream).
    #[arg(long, value_name = "M")]
    pub to_seq: Option<u64>,
    /// Process the events again instead of trusting the worker's ledger (may post new replies).
    #[arg(long)]
    pub reprocess: bool,
    /// Id of this replay, 1-64 of A-Z, a-z, 0-9, '-', '_' (default: generated). Re-running with the same id
    /// publishes nothing twice.
    #[arg(long, value_name = "ID", value_parser = parse_replay_id)]
    pub replay_id: Option<String>,
    /// List what would be replayed; publish nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_replay_id(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "replay id `{text}` must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'"
        ))
    }
}

/// A fresh replay id: the first 12 hex digits of a v4 UUID.
pub fn generate_replay_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Where reading starts.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    Time(DateTime<Utc>),
    Seq(u64),
}

/// The part of the events stream to read; both ends inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub start: Start,
    pub until: Option<DateTime<Utc>>,
    pub to_seq: Option<u64>,
}

impl Range {
    fn ended_before(&self, seq: u64, time: DateTime<Utc>) -> bool {
        self.to_seq.is_some_and(|last| seq > last) || self.until.is_some_and(|until| time > until)
    }
}

/// One message of the events stream.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub subject: String,
    pub payload: Bytes,
}

/// Reads one tenant's events in a range, in stream order, through an ephemeral consumer.
pub struct EventReader {
    stream: Stream,
    consumer: consumer::PullConsumer,
    name: String,
    range: Range,
    remaining: u64,
}

impl EventReader {
    pub async fn open(
        js: &jetstream::Context,
        topology: &Topology,
        tenant: &TenantId,
        range: Range,
    ) -> Result<Self, CliError> {
        let stream_name = topology.events_stream();
        let stream = js
            .get_stream(&stream_name)
            .await
            .map_err(|e| CliError::nats(&format!("stream {stream_name}"), e))?;
        let deliver_policy = match range.start {
            Start::Time(at) => consumer::DeliverPolicy::ByStartTime {
                start_time: to_nats_time(at),
            },
            Start::Seq(seq) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: seq,
            },
        };
        let mut consumer: consumer::PullConsumer = stream
            .create_consumer(consumer::pull::Config {
                description: Some("cwctl replay".into()),
                deliver_policy,
                filter_subject: topology.tenant_events_filter(tenant.as_str()),
                ack_policy: consumer::AckPolicy::None,
                inactive_threshold: Duration::from_secs(60),
                memory_storage: true,
                num_replicas: 1,
                ..Default::default()
            })
            .await
            .map_err(|e| CliError::nats("create the replay consumer", e))?;
        let info = consumer
            .info()
            .await
            .map_err(|e| CliError::nats("replay consumer info", e))?;
        let (name, remaining) = (info.name.clone(), info.num_pending);
        Ok(Self {
            stream,
            consumer,
            name,
            range,
            remaining,
        })
    }

    /// The next events of the range, `None` at its end.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<StoredEvent>>, CliError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let mut batch = self
            .consumer
            .fetch()
            .max_messages(usize::try_from(self.remaining.min(BATCH)).unwrap_or(1))
            .messages()
            .await
            .map_err(|e| CliError::nats("read events", e))?;
        let mut events = Vec::new();
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| CliError::nats("read events", e))?;
            let info = message
                .info()
                .map_err(|e| CliError::nats("read event metadata", e))?;
            let (seq, time) = (info.stream_sequence, from_nats_time(info.published));
            self.remaining = self.remaining.saturating_sub(1);
            if self.range.ended_before(seq, time) {
                self.remaining = 0;
                break;
            }
            events.push(StoredEvent {
                seq,
                time,
                subject: message.subject.to_string(),
                payload: message.payload.clone(),
            });
        }
        if events.is_empty() {
            // The range ended, or the rest aged out of the stream since the consumer was created.
            self.remaining = 0;
            return Ok(None);
        }
        Ok(Some(events))
    }

    /// Deletes the consumer now rather than when its inactivity threshold runs out.
    pub async fn close(self) {
        if let Err(error) = self.stream.delete_consumer(&self.name).await {
            tracing::debug!(%error, consumer = %self.name, "replay consumer not deleted; it expires on its own");
        }
    }
}

/// Counts of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Distinct events (by event key) in the range.
    pub matched: u64,
    /// Republished and stored as new.
    pub published: u64,
    /// Republished but dropped by the stream as already published by this replay id.
    pub already_published: u64,
    /// Messages that are not event envelopes of this tenant.
    pub undecodable: u64,
}

pub async fn run(
    args: ReplayArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let tenant = TenantId::parse(&args.tenant).map_err(|e| CliError::Invalid(e.to_string()))?;
    let start = match (args.since, args.from_seq) {
        (Some(since), _) => Start::Time(since),
        (None, Some(seq)) => Start::Seq(seq),
        (None, None) => return Err(CliError::Invalid("give --since or --from-seq".into())),
    };
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if until < since {
            return Err(CliError::Invalid("--until is before --since".into()));
        }
    }
    if let (Some(from), Some(to)) = (args.from_seq, args.to_seq) {
        if to < from {
            return Err(CliError::Invalid("--to-seq is below --from-seq".into()));
        }
    }
    let range = Range {
        start,
        until: args.until,
        to_seq: args.to_seq,
    };
    let js_topology = ctx.topology();
    if args.dry_run {
        let js = ctx.jetstream().await?;
        let reader = EventReader::open(&js, &js_topology, &tenant, range).await?;
        return dry_run(reader, &tenant, out).await;
    }
    let admin = ctx.admin().await?;
    let pool = ctx.pool().await?;
    let registered = pool
        .get()
        .await?
        .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&tenant.as_str()])
        .await?
        .is_some();
    if !registered {
        return Err(CliError::NotFound(format!(
            "no tenant {tenant}: the worker would refuse its events"
        )));
    }
    let replay = Replay {
        replay_id: args.replay_id.unwrap_or_else(generate_replay_id),
        reprocess: args.reprocess,
    };
    let js = ctx.jetstream().await?;
    let reader = EventReader::open(&js, &js_topology, &tenant, range).await?;
    let summary = republish(&admin, &js, reader, &tenant, &replay).await?;
    let mode = if replay.reprocess {
        "reprocess"
    } else {
        "ledger"
    };
    writeln!(
        out,
        "replay {} (tenant {tenant}, mode {mode}): matched {}, published {}, already published {}, undecodable {}",
        replay.replay_id,
        summary.matched,
        summary.published,
        summary.already_published,
        summary.undecodable
    )?;
    if replay.reprocess && summary.published > 0 {
        writeln!(
            out,
            "note: the worker processes these events again and may post new replies"
        )?;
    }
    Ok(if summary.undecodable > 0 {
        Exit::Incomplete
    } else {
        Exit::Success
    })
}

fn decode(tenant: &TenantId, event: &StoredEvent) -> Option<EventEnvelope> {
    match EventEnvelope::decode(&event.payload) {
        Ok(envelope) if envelope.tenant == tenant.as_str() => Some(envelope),
        Ok(envelope) => {
            tracing::warn!(seq = event.seq, tenant = %envelope.tenant, "event of another tenant on this tenant's subject");
            None
        }
        Err(error) => {
            tracing::warn!(seq = event.seq, %error, "undecodable event");
            None
        }
    }
}

async fn dry_run(
    mut reader: EventReader,
    tenant: &TenantId,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut undecodable = 0;
    let result = async {
        while let Some(events) = reader.next_batch().await? {
            for event in events {
                let Some(envelope) = decode(tenant, &event) else {
                    undecodable += 1;
                    continue;
                };
                if !seen.insert(envelope.event_key.clone()) {
                    continue;
                }
                rows.push(vec![
                    event.seq.to_string(),
                    timestamp(event.time),
                    envelope.event,
                    envelope.event_key,
                    envelope
                        .conversation_id
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                ]);
            }
        }
        Ok::<_, CliError>(())
    }
    .await;
    reader.close().await;
    result?;
    if !rows.is_empty() {
        table(
            out,
            &["SEQ", "TIME", "EVENT", "EVENT KEY", "CONVERSATION"],
            &rows,
        )?;
    }
    writeln!(
        out,
        "dry run (tenant {tenant}): matched {}, published 0, undecodable {undecodable}",
        rows.len()
    )?;
    Ok(Exit::Success)
}

/// Publishes the range's events again, marked with `replay`; the [`Admin`] is the proof the caller may.
pub async fn republish(
    _admin: &Admin,
    js: &jetstream::Context,
    mut reader: EventReader,
    tenant: &TenantId,
    replay: &Replay,
) -> Result<ReplaySummary, CliError> {
    let mut summary = ReplaySummary::default();
    let mut seen = HashSet::new();
    let result = async {
        while let Some(events) = reader.next_batch().await? {
            let mut acks = Vec::with_capacity(events.len());
            for event in events {
                let Some(mut envelope) = decode(tenant, &event) else {
                    summary.undecodable += 1;
                    continue;
                };
                if !seen.insert(envelope.event_key.clone()) {
                    continue;
                }
                summary.matched += 1;
                envelope.replay = Some(replay.clone());
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(
                    async_nats::header::NATS_MESSAGE_ID,
                    format!("{}#replay:{}", envelope.event_key, replay.replay_id).as_str(),
                );
                let ack = js
                    .publish_with_headers(event.subject, headers, envelope.encode_to_vec().into())
                    .await
                    .map_err(|e| CliError::nats("republish an event", e))?;
                acks.push(ack);
            }
            for ack in acks {
                let ack = ack
                    .await
                    .map_err(|e| CliError::nats("republish an event (acknowledgement)", e))?;
                if ack.duplicate {
                    summary.already_published += 1;
                } else {
                    summary.published += 1;
                }
            }
        }
        Ok::<_, CliError>(())
    }
    .await;
    reader.close().await;
    result.map(|()| summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_ids_are_checked_and_generated_short() {
        assert!(parse_replay_id("incident-42_b").is_ok());
        assert!(parse_replay_id("with space").is_err());
        assert!(parse_replay_id("a.b").is_err());
        assert!(parse_replay_id("").is_err());
        let id = generate_replay_id();
        assert_eq!(id.len(), 12);
        assert!(parse_replay_id(&id).is_ok());
    }
}

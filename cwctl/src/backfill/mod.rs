//! `cwctl backfill`: a tenant's conversations and messages from Chatwoot's API, published onto the events stream
//! as the webhooks Chatwoot would have sent, so reports do not start empty.
//!
//! * **Same events, same keys.** Each message becomes a `message_created` keyed `{tenant}:message_created:{id}`,
//!   the ingress's key for the live webhook of that message, on the conversation's partition: a message seen both
//!   live and by the backfill is one event (JetStream's duplicate window, then the worker's ledger), recorded once,
//!   in the conversation's order. Conversation creation and status changes (read from Chatwoot's activity
//!   messages) have keys of their own under `{tenant}:history:`.
//! * **Recorded, never acted on.** Every event carries `historical` in its envelope: the worker folds it into
//!   state (and analytics) and takes no action: no triage, reply, draft, rule action, SLA note or Chatwoot call.
//! * **Cutoff.** A run fixes its cutoff when it starts (now minus `--settle`): history before it is published,
//!   the live webhooks own what follows. A conversation the worker already saw live stops at its `live_since`.
//! * **Resumable.** The checkpoint (`backfill_checkpoints`) moves after every conversation; a stopped run
//!   (`--max-pages`, Ctrl-C, an error) continues from it with the same cutoff when run again.
//! * **Rate.** At most `--rate` requests a second, 429/5xx/timeouts retried with backoff.

mod checkpoint;
mod events;
mod fetch;

use std::io::Write;
use std::num::NonZeroU32;
use std::time::Duration;

use async_nats::jetstream;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clap::Args;
use proto::EventEnvelope;
use tokio_util::sync::CancellationToken;

pub use checkpoint::Checkpoint;
pub use events::{rebuild, status_of_activity, Rebuilt};

use crate::output::parse_instant;
use crate::{CliError, Context, Exit};

#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    /// The tenant whose Chatwoot history is read.
    #[arg(long, value_name = "T")]
    pub tenant: String,
    /// Only conversations created at or after this time: RFC 3339 or a duration ago (90d). Default: all.
    #[arg(long, value_name = "DATE", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Chatwoot API requests per second at most (Chatwoot allows 3,000 a minute per IP, shared with the
    /// dispatcher's replies).
    #[arg(long, value_name = "N", default_value = "10", value_parser = parse_rate)]
    pub rate: NonZeroU32,
    /// History younger than this at the start is left to the live webhooks (a webhook delayed less than this
    /// still gets its reply).
    #[arg(long, default_value = "10m", value_parser = infra::config::parse_duration)]
    pub settle: Duration,
    /// Stop after this many conversation pages (25 conversations each); the next run continues.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u32>,
    /// Forget an unfinished run's checkpoint and start again from the first page.
    #[arg(long)]
    pub restart: bool,
    /// Timeout of one Chatwoot request.
    #[arg(long, default_value = "30s", value_parser = infra::config::parse_duration)]
    pub timeout: Duration,
}

fn parse_rate(text: &str) -> Result<NonZeroU32, String> {
    let number = text.strip_suffix("/s").unwrap_or(text);
    number.parse::<NonZeroU32>().map_err(|_| {
        format!("rate `{text}` must be a whole number of requests per second (10 or 10/s)")
    })
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub run_id: String,
    pub cutoff: DateTime<Utc>,
    pub resumed: bool,
    /// Every conversation page was read.
    pub finished: bool,
    pub pages: u32,
    pub conversations: u64,
    pub messages: u64,
    pub status_changes: u64,
    pub csat_answers: u64,
    /// Events JetStream already held (within its duplicate window).
    pub duplicates: u64,
    pub requests: u64,
    pub retries: u64,
}

pub async fn run(
    args: BackfillArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let admin = ctx.admin().await?;
    let pool = ctx.pool().await?;
    let tenants = infra::TenantStore::new(pool.clone(), admin.secret_box().clone());
    let tenant = tenants
        .get(&args.tenant)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no tenant `{}`", args.tenant)))?;
    let js = ctx.jetstream().await?;
    let topology = ctx.topology();
    let result = backfill(&args, tenant, &pool, &js, &topology, cancel).await;
    signal.abort();
    let report = result?;
    let state = if report.finished {
        "finished"
    } else {
        "stopped (run it again to continue from the checkpoint)"
    };
    writeln!(
        out,
        "backfill of {} {state}: run {}, cutoff {}{}",
        args.tenant,
        report.run_id,
        report.cutoff.to_rfc3339(),
        if report.resumed { ", resumed" } else { "" }
    )?;
    writeln!(
        out,
        "{} pages, {} conversations, {} messages, {} status changes, {} CSAT answers published ({} already on \
         the stream); {} Chatwoot requests, {} retried",
        report.pages,
        report.conversations,
        report.messages,
        report.status_changes,
        report.csat_answers,
        report.duplicates,
        report.requests,
        report.retries
    )?;
    Ok(if report.finished {
        Exit::Success
    } else {
        Exit::Incomplete
    })
}

/// The backfill itself, for `run` and for tests: reads the tenant's history from its Chatwoot and publishes it
/// until the last page, `--max-pages`, or `cancel`.
pub async fn backfill(
    args: &BackfillArgs,
    tenant: infra::Tenant,
    pool: &deadpool_postgres::Pool,
    js: &jetstream::Context,
    topology: &infra::Topology,
    cancel: CancellationToken,
) -> Result<Report, CliError> {
    let tenant_id = tenant.id.to_string();
    let client = pool.get().await?;
    let stored = checkpoint::load(&client, &tenant_id).await?;
    let (mut at, resumed) = match stored {
        Some(stored) if !stored.finished && !args.restart => (stored, true),
        _ => {
            let fresh = Checkpoint {
                run_id: crate::replay::generate_replay_id(),
                since: args.since,
                cutoff: Utc::now() - chrono::Duration::from_std(args.settle).unwrap_or_default(),
                page: 1,
                conversation_id: None,
                conversations: 0,
                events: 0,
                finished: false,
            };
            checkpoint::start(&client, &tenant_id, &fresh).await?;
            (fresh, false)
        }
    };
    drop(client);
    let mut report = Report {
        run_id: at.run_id.clone(),
        cutoff: at.cutoff,
        resumed,
        ..Report::default()
    };
    let mut fetcher = fetch::Fetcher::new(tenant, args.rate, args.timeout, cancel.clone())?;
    let run = Run {
        args,
        tenant: &tenant_id,
        pool,
        js,
        topology,
        cancel: &cancel,
    };
    let outcome = run.pages(&mut fetcher, &mut at, &mut report).await;
    report.requests = fetcher.requests;
    report.retries = fetcher.retries;
    match outcome {
        Ok(()) => Ok(report),
        // What was done is in the checkpoint; the operator sees why it stopped.
        Err(error) => {
            tracing::warn!(%error, page = at.page, "backfill stopped");
            Err(error)
        }
    }
}

/// What a run reads from and writes to.
struct Run<'a> {
    args: &'a BackfillArgs,
    tenant: &'a str,
    pool: &'a deadpool_postgres::Pool,
    js: &'a jetstream::Context,
    topology: &'a infra::Topology,
    cancel: &'a CancellationToken,
}

impl Run<'_> {
    async fn pages(
        &self,
        fetcher: &mut fetch::Fetcher,
        at: &mut Checkpoint,
        report: &mut Report,
    ) -> Result<(), CliError> {
        let Run {
            args,
            tenant,
            pool,
            js,
            topology,
            cancel,
        } = *self;
        loop {
            if args.max_pages.is_some_and(|max| report.pages >= max) {
                return Ok(());
            }
            if cancel.is_cancelled() {
                return Err(CliError::Interrupted);
            }
            let conversations = fetcher.conversations(at.page).await?;
            report.pages += 1;
            if conversations.is_empty() {
                at.finished = true;
                report.finished = true;
                checkpoint::save(&pool.get().await?, tenant, at).await?;
                return Ok(());
            }
            // Conversations of this page a stopped run already published are skipped (the list is oldest first,
            // so their order does not change).
            let ids: Vec<u64> = conversations
                .iter()
                .filter_map(|c| c["id"].as_u64())
                .collect();
            let skip = at
                .conversation_id
                .and_then(|done| ids.iter().position(|id| *id == done))
                .map_or(0, |position| position + 1);
            let live = checkpoint::live_since(&pool.get().await?, tenant, &ids).await?;
            for conversation in &conversations[skip..] {
                let Some(id) = conversation["id"].as_u64() else {
                    continue;
                };
                let created = conversation["created_at"].as_i64().unwrap_or_default();
                let wanted = at.since.is_none_or(|since| created >= since.timestamp())
                    && created < at.cutoff.timestamp();
                if wanted {
                    let cutoff = live
                        .get(&id)
                        .map_or(at.cutoff, |live| (*live).min(at.cutoff));
                    let messages = fetcher.messages(id).await?;
                    let rebuilt =
                        events::rebuild(tenant, &at.run_id, conversation, &messages, cutoff);
                    report.duplicates +=
                        publish(js, topology, tenant, id, &rebuilt.envelopes).await?;
                    report.conversations += 1;
                    report.messages += rebuilt.messages;
                    report.status_changes += rebuilt.status_changes;
                    report.csat_answers += rebuilt.csat_answers;
                    at.conversations += 1;
                    at.events += rebuilt.envelopes.len() as u64;
                }
                at.conversation_id = Some(id);
                checkpoint::save(&pool.get().await?, tenant, at).await?;
            }
            at.page += 1;
            at.conversation_id = None;
            checkpoint::save(&pool.get().await?, tenant, at).await?;
        }
    }
}

/// Publishes one conversation's events on its partition, pipelined, and waits for every acknowledgement;
/// returns how many JetStream recognised as duplicates.
async fn publish(
    js: &jetstream::Context,
    topology: &infra::Topology,
    tenant: &str,
    conversation: u64,
    envelopes: &[EventEnvelope],
) -> Result<u64, CliError> {
    let subject = topology.event_subject(
        tenant,
        infra::topology::conversation_partition(tenant, conversation),
    );
    let mut acks = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
        let ack = js
            .publish_with_headers(
                subject.clone(),
                headers,
                Bytes::from(envelope.encode_to_vec()),
            )
            .await
            .map_err(|e| CliError::nats("publish a historical event", e))?;
        acks.push(ack);
    }
    let mut duplicates = 0;
    for ack in acks {
        let ack = ack
            .await
            .map_err(|e| CliError::nats("historical event not acknowledged", e))?;
        duplicates += u64::from(ack.duplicate);
    }
    Ok(duplicates)
}

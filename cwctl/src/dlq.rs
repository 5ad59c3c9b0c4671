//! `cwctl dlq`: the dispatcher's dead letters.
//!
//! A dead letter is a message on `{prefix}.dlq.{tenant}` (stream `{PREFIX}_DLQ`) whose payload is a
//! [`proto::DeadLetter`]: the action the dispatcher gave up on (or the event the worker could not process), the
//! reason, the last HTTP status, the attempts and the subject it came from. Dead letters written before that
//! type existed carried the bare action or event with `Cw-*` headers; they are still read.
//!
//! **Redrive** does, for each selected dead letter, in this order (each step is safe to repeat, so an
//! interrupted redrive is finished by running it again):
//!
//! 1. re-arm the dispatcher's ledger row: `dead` becomes `retrying` with no attempts, so the dispatcher delivers
//!    the action once more, without reconciliation (the operator asserts it did not reach Chatwoot). A row that
//!    is `delivered` is not re-armed: the dead letter is stale and only removed;
//! 2. republish the original payload to `{prefix}.actions.{tenant}` with `Nats-Msg-Id:
//!    redrive:{action_id}:{dlq_seq}` and wait for the stream's acknowledgement: a second redrive of the same dead
//!    letter within the duplicate window publishes nothing;
//! 3. delete the dead letter from the DLQ stream.
//!
//! Dead letters whose payload does not decode (subject `{prefix}.dlq._invalid`) cannot be redriven; they are
//! reported and left in place.

use std::collections::HashSet;
use std::io::Write;

use async_nats::jetstream::{self, stream::Stream};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};
use deadpool_postgres::Pool;
use infra::{TenantId, Topology};
use serde::Serialize;

use crate::admin::Admin;
use crate::output::{from_nats_time, table, timestamp, truncate};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, oldest first.
    List(ListArgs),
    /// Send dead letters back to the dispatcher, each delivered once.
    ///
    /// For each selected dead letter: re-arm its ledger row (dead -> retrying), republish the action with
    /// `Nats-Msg-Id: redrive:{action_id}:{seq}`, then delete the dead letter. Running it again finishes an
    /// interrupted redrive and publishes nothing twice. Selectors other than --all combine (AND). A redrive
    /// asserts the action did not reach Chatwoot: for "delivery uncertain" ones, look at the conversation first.
    /// Needs SECRETS_KEY unless --dry-run.
    Redrive(RedriveArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this tenant's dead letters.
    #[arg(long, value_name = "T")]
    pub tenant: Option<String>,
    /// JSON array instead of a table (errors in full, with conversation and event key).
    #[arg(long)]
    pub json: bool,
    /// Show at most N dead letters.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
}

/// Selectors other than `--all` combine: `--tenant acme --status 422` redrives acme's 422s.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("selector")
        .required(true)
        .multiple(true)
        .args(["all", "seq", "tenant", "action_id", "status"])
))]
pub struct RedriveArgs {
    /// Every dead letter.
    #[arg(long, conflicts_with_all = ["seq", "tenant", "action_id", "status"])]
    pub all: bool,
    /// Dead letters by DLQ stream sequence (as `dlq list` shows).
    #[arg(long, value_name = "N", num_args = 1.., value_delimiter = ',')]
    pub seq: Vec<u64>,
    /// Dead letters of one tenant.
    #[arg(long, value_name = "T")]
    pub tenant: Option<String>,
    /// Dead letters of these actions.
    #[arg(long = "action-id", value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub action_id: Vec<String>,
    /// Dead letters whose last Chatwoot HTTP status is CODE; `none` for those without one.
    #[arg(long, value_name = "CODE", value_parser = parse_status)]
    pub status: Option<StatusFilter>,
    /// Show what would be redriven; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--status`: an HTTP status, or no status at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Code(u16),
    None,
}

fn parse_status(text: &str) -> Result<StatusFilter, String> {
    match text {
        "none" | "-" => Ok(StatusFilter::None),
        _ => text
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusFilter::Code)
            .ok_or_else(|| format!("`{text}` is neither an HTTP status nor `none`")),
    }
}

/// One dead letter as read from the stream.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub tenant: String,
    pub action_id: Option<String>,
    pub kind: Option<String>,
    pub attempts: Option<u32>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub conversation_id: Option<u64>,
    pub event_key: Option<String>,
    /// For a dead-lettered event (kind `event`): the events subject it came from, where a redrive puts it back.
    pub subject: Option<String>,
    /// The action, when the payload decodes.
    #[serde(skip)]
    pub action: Option<proto::Action>,
    #[serde(skip)]
    pub payload: Bytes,
}

impl DeadLetter {
    fn from_message(topology: &Topology, message: jetstream::message::StreamMessage) -> Self {
        let subject_prefix = format!("{}.dlq.", topology.prefix());
        let tenant = message
            .subject
            .as_str()
            .strip_prefix(&subject_prefix)
            .unwrap_or(message.subject.as_str())
            .to_owned();
        let letter = match legacy_header(&message, "Cw-Error") {
            Some(_) => legacy(&message),
            None => proto::DeadLetter::decode(&message.payload).unwrap_or_else(|error| {
                proto::DeadLetter {
                    item: proto::DeadItem::Undecodable(message.payload.clone()),
                    reason: format!("unreadable dead letter: {error}"),
                    status: None,
                    attempts: 0,
                    subject: String::new(),
                    dead_at_ms: 0,
                }
            }),
        };
        let (action, envelope) = match &letter.item {
            proto::DeadItem::Action(action) => (Some(action.clone()), None),
            proto::DeadItem::Event(envelope) => (None, Some(envelope)),
            proto::DeadItem::Undecodable(_) => (None, None),
        };
        Self {
            seq: message.sequence,
            time: from_nats_time(message.time),
            tenant,
            action_id: action.as_ref().map(|a| a.action_id.clone()),
            kind: Some(letter.item.kind().to_owned()),
            attempts: (letter.attempts > 0).then_some(letter.attempts),
            status: letter.status,
            error: Some(letter.reason.clone()).filter(|r| !r.is_empty()),
            conversation_id: action
                .as_ref()
                .map(|a| a.conversation_id)
                .or_else(|| envelope.and_then(|e| e.conversation_id)),
            event_key: action
                .as_ref()
                .map(|a| a.event_key.clone())
                .or_else(|| envelope.map(|e| e.event_key.clone())),
            subject: envelope.map(|_| letter.subject.clone()),
            payload: letter.item.encode_to_vec().into(),
            action,
        }
    }

    fn status_matches(&self, filter: StatusFilter) -> bool {
        match filter {
            StatusFilter::Code(code) => self.status == Some(code),
            StatusFilter::None => self.status.is_none(),
        }
    }
}

pub async fn run(
    command: DlqCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        DlqCommand::List(args) => list(args, ctx, out).await,
        DlqCommand::Redrive(args) => redrive(args, ctx, out).await,
    }
}

async fn dlq_stream(ctx: &mut Context) -> Result<Stream, CliError> {
    let js = ctx.jetstream().await?;
    let name = ctx.topology().dead_letter_stream();
    js.get_stream(&name)
        .await
        .map_err(|e| CliError::nats(&format!("stream {name}"), e))
}

fn is_no_message(error: &jetstream::stream::RawMessageError) -> bool {
    matches!(
        error.kind(),
        jetstream::stream::RawMessageErrorKind::NoMessageFound
    )
}

/// Dead letters from oldest to newest, of one tenant or all, at most `limit`; the flag says whether more exist.
/// Deleted sequences are skipped by the server (one request per dead letter).
pub async fn read(
    stream: &Stream,
    topology: &Topology,
    tenant: Option<&TenantId>,
    limit: usize,
) -> Result<(Vec<DeadLetter>, bool), CliError> {
    let filter = match tenant {
        Some(tenant) => topology.dead_letter_subject(tenant.as_str()),
        None => format!("{}.dlq.>", topology.prefix()),
    };
    let mut letters = Vec::new();
    let mut next = 1;
    loop {
        let message = match stream.get_first_raw_message_by_subject(&filter, next).await {
            Ok(message) => message,
            Err(error) if is_no_message(&error) => return Ok((letters, false)),
            Err(error) => return Err(CliError::nats("read the DLQ", error)),
        };
        if letters.len() == limit {
            return Ok((letters, true));
        }
        next = message.sequence + 1;
        letters.push(DeadLetter::from_message(topology, message));
    }
}

fn legacy_header(message: &jetstream::message::StreamMessage, name: &str) -> Option<String> {
    let name: async_nats::header::HeaderName = name.parse().ok()?;
    message
        .headers
        .get(name)
        .map(|v| v.as_str().to_owned())
        .filter(|v| !v.is_empty())
}

/// A dead letter from before [`proto::DeadLetter`]: the bare action (or event, `Cw-Kind: event`) with `Cw-*`
/// headers.
fn legacy(message: &jetstream::message::StreamMessage) -> proto::DeadLetter {
    let header = |name| legacy_header(message, name);
    let item = if header("Cw-Kind").as_deref() == Some("event") {
        proto::EventEnvelope::decode(&message.payload).map(proto::DeadItem::Event)
    } else {
        proto::Action::decode(&message.payload).map(proto::DeadItem::Action)
    }
    .unwrap_or_else(|_| proto::DeadItem::Undecodable(message.payload.clone()));
    proto::DeadLetter {
        item,
        reason: header("Cw-Error").unwrap_or_default(),
        status: header("Cw-Status").and_then(|v| v.parse().ok()),
        attempts: header("Cw-Attempts")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        subject: header("Cw-Subject").unwrap_or_default(),
        dead_at_ms: 0,
    }
}

fn tenant_arg(raw: Option<&str>) -> Result<Option<TenantId>, CliError> {
    raw.map(|t| TenantId::parse(t).map_err(|e| CliError::Invalid(e.to_string())))
        .transpose()
}

async fn list(args: ListArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let tenant = tenant_arg(args.tenant.as_deref())?;
    let stream = dlq_stream(ctx).await?;
    let (letters, more) = read(&stream, &ctx.topology(), tenant.as_ref(), args.limit).await?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &letters).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    if letters.is_empty() {
        writeln!(out, "no dead letters")?;
        return Ok(Exit::Success);
    }
    let dash = || "-".to_owned();
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|l| {
            vec![
                l.seq.to_string(),
                timestamp(l.time),
                l.tenant.clone(),
                l.action_id.clone().unwrap_or_else(dash),
                l.kind.clone().unwrap_or_else(dash),
                l.attempts.map(|a| a.to_string()).unwrap_or_else(dash),
                l.status.map(|s| s.to_string()).unwrap_or_else(dash),
                truncate(l.error.as_deref().unwrap_or("-"), 80),
            ]
        })
        .collect();
    table(
        out,
        &[
            "SEQ", "TIME", "TENANT", "ACTION", "KIND", "ATTEMPTS", "STATUS", "ERROR",
        ],
        &rows,
    )?;
    if more {
        writeln!(
            out,
            "(first {} shown; raise --limit for more)",
            letters.len()
        )?;
    }
    Ok(Exit::Success)
}

/// What became of one dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redriven {
    /// Republished (or, when `duplicate`, found already republished by an earlier redrive) and removed.
    Redriven { duplicate: bool },
    /// The ledger says delivered: nothing republished, the stale dead letter removed.
    AlreadyDelivered,
    /// The payload does not decode: left in the DLQ.
    Undecodable,
}

async fn select(
    args: &RedriveArgs,
    stream: &Stream,
    topology: &Topology,
    out: &mut impl Write,
) -> Result<Vec<DeadLetter>, CliError> {
    if !args.seq.is_empty() {
        let mut letters = Vec::new();
        let mut seen = HashSet::new();
        for &seq in &args.seq {
            if !seen.insert(seq) {
                continue;
            }
            match stream.get_raw_message(seq).await {
                Ok(message) => letters.push(DeadLetter::from_message(topology, message)),
                Err(error) if is_no_message(&error) => {
                    writeln!(out, "seq {seq}: no such dead letter")?;
                }
                Err(error) => return Err(CliError::nats(&format!("read DLQ seq {seq}"), error)),
            }
        }
        letters.sort_by_key(|l| l.seq);
        return Ok(filter(args, letters));
    }
    let tenant = tenant_arg(args.tenant.as_deref())?;
    let (letters, _) = read(stream, topology, tenant.as_ref(), usize::MAX).await?;
    Ok(filter(args, letters))
}

fn filter(args: &RedriveArgs, letters: Vec<DeadLetter>) -> Vec<DeadLetter> {
    let ids: HashSet<&str> = args.action_id.iter().map(String::as_str).collect();
    letters
        .into_iter()
        .filter(|l| args.tenant.as_deref().is_none_or(|t| l.tenant == t))
        .filter(|l| ids.is_empty() || l.action_id.as_deref().is_some_and(|id| ids.contains(id)))
        .filter(|l| args.status.is_none_or(|s| l.status_matches(s)))
        .collect()
}

async fn redrive(
    args: RedriveArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    // Fail on bad input before asking anything of the servers.
    tenant_arg(args.tenant.as_deref())?;
    let admin = if args.dry_run {
        None
    } else {
        Some(ctx.admin().await?)
    };
    let topology = ctx.topology();
    let stream = dlq_stream(ctx).await?;
    let letters = select(&args, &stream, &topology, out).await?;
    if letters.is_empty() {
        writeln!(out, "no dead letters match")?;
        return Ok(Exit::Success);
    }
    let Some(admin) = admin else {
        for l in &letters {
            let verdict = if l.action.is_some() {
                "would redrive"
            } else {
                "cannot redrive (undecodable)"
            };
            writeln!(out, "{verdict} {}", describe(l))?;
        }
        writeln!(
            out,
            "dry run: {} dead letter(s) selected, nothing changed",
            letters.len()
        )?;
        return Ok(Exit::Success);
    };
    let pool = ctx.pool().await?;
    let js = ctx.jetstream().await?;
    let (mut redriven, mut delivered, mut skipped) = (0, 0, 0);
    for letter in &letters {
        match redrive_one(&admin, &pool, &js, &stream, &topology, letter).await? {
            Redriven::Redriven { duplicate } => {
                redriven += 1;
                let note = if duplicate {
                    " (already republished earlier)"
                } else {
                    ""
                };
                writeln!(out, "redriven {}{note}", describe(letter))?;
            }
            Redriven::AlreadyDelivered => {
                delivered += 1;
                writeln!(
                    out,
                    "already delivered, dead letter removed: {}",
                    describe(letter)
                )?;
            }
            Redriven::Undecodable => {
                skipped += 1;
                writeln!(
                    out,
                    "cannot redrive (undecodable payload, left in the DLQ): {}",
                    describe(letter)
                )?;
            }
        }
    }
    writeln!(
        out,
        "redriven {redriven}, already delivered {delivered}, skipped {skipped}"
    )?;
    Ok(if skipped > 0 {
        Exit::Incomplete
    } else {
        Exit::Success
    })
}

fn describe(letter: &DeadLetter) -> String {
    format!(
        "seq={} tenant={} action={} kind={} status={}",
        letter.seq,
        letter.tenant,
        letter.action_id.as_deref().unwrap_or("-"),
        letter.kind.as_deref().unwrap_or("-"),
        letter
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into()),
    )
}

/// Re-arms, republishes and removes one dead letter (see the [module documentation](self)).
pub async fn redrive_one(
    _admin: &Admin,
    pool: &Pool,
    js: &jetstream::Context,
    stream: &Stream,
    topology: &Topology,
    letter: &DeadLetter,
) -> Result<Redriven, CliError> {
    if let Some(subject) = &letter.subject {
        return redrive_event(js, stream, letter, subject).await;
    }
    let Some(action) = &letter.action else {
        return Ok(Redriven::Undecodable);
    };
    let Ok(tenant) = TenantId::parse(&action.tenant) else {
        return Ok(Redriven::Undecodable);
    };
    let client = pool.get().await?;
    let rearmed =
        dispatcher::ledger::rearm(&client, std::slice::from_ref(&action.action_id)).await?;
    if rearmed == 0 {
        let state: Option<String> = client
            .query_opt(
                "SELECT state FROM dispatched_actions WHERE action_id = $1",
                &[&action.action_id],
            )
            .await?
            .map(|row| row.get(0));
        if state.as_deref() == Some("delivered") {
            delete(stream, letter.seq).await?;
            return Ok(Redriven::AlreadyDelivered);
        }
        // No row (the ledger lost it) or already re-armed by an interrupted redrive: republishing is safe, the
        // dispatcher's ledger lets the action through once.
    }
    drop(client);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        async_nats::header::NATS_MESSAGE_ID,
        format!("redrive:{}:{}", action.action_id, letter.seq).as_str(),
    );
    let ack = js
        .publish_with_headers(
            topology.action_subject(tenant.as_str()),
            headers,
            letter.payload.clone(),
        )
        .await
        .map_err(|e| CliError::nats("republish the action", e))?
        .await
        .map_err(|e| CliError::nats("republish the action (acknowledgement)", e))?;
    delete(stream, letter.seq).await?;
    Ok(Redriven::Redriven {
        duplicate: ack.duplicate,
    })
}

/// Puts a dead-lettered event back on its subject; the worker processes it as new (its ledger never claimed it).
async fn redrive_event(
    js: &jetstream::Context,
    stream: &Stream,
    letter: &DeadLetter,
    subject: &str,
) -> Result<Redriven, CliError> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        async_nats::header::NATS_MESSAGE_ID,
        format!("redrive:event:{}", letter.seq).as_str(),
    );
    let ack = js
        .publish_with_headers(subject.to_owned(), headers, letter.payload.clone())
        .await
        .map_err(|e| CliError::nats("republish the event", e))?
        .await
        .map_err(|e| CliError::nats("republish the event (acknowledgement)", e))?;
    delete(stream, letter.seq).await?;
    Ok(Redriven::Redriven {
        duplicate: ack.duplicate,
    })
}

async fn delete(stream: &Stream, seq: u64) -> Result<(), CliError> {
    match stream.delete_message(seq).await {
        Ok(_) => Ok(()),
        // Removed meanwhile (a concurrent redrive): the outcome wanted.
        Err(error)
            if matches!(
                error.kind(),
                jetstream::stream::DeleteMessageErrorKind::JetStream(e)
                    if e.error_code() == jetstream::ErrorCode::NO_MESSAGE_FOUND
                        || e.error_code() == jetstream::ErrorCode::SEQUENCE_NOT_FOUND
            ) =>
        {
            Ok(())
        }
        Err(error) => Err(CliError::nats(&format!("delete DLQ seq {seq}"), error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse() {
        assert_eq!(parse_status("422"), Ok(StatusFilter::Code(422)));
        assert_eq!(parse_status("none"), Ok(StatusFilter::None));
        assert!(parse_status("42").is_err());
        assert!(parse_status("abc").is_err());
    }
}

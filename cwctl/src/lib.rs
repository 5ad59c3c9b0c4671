//! `cwctl`, the pipeline's operator CLI, as a library: [`run`] executes a parsed [`Cli`] and writes its report to
//! any [`Write`], so tests run commands in-process and read what an operator would see. Diagnostics go through
//! `tracing` (stderr in the binary), never to `out`.
//!
//! Command groups live in one module each ([`tenants`], [`dlq`], [`replay`]); a new group adds a variant to
//! [`Command`], a module with `pub async fn run(args, &mut Context, out) -> Result<Exit, CliError>`, and one arm
//! in [`run`]'s `match`. Who may run what is described in [`admin`].
//!
//! Global options (`--nats-url`, `--nats-prefix`, `--database-url`, `--secrets-key`, ...) come before the command,
//! or from the environment (`NATS_URL`, `NATS_PREFIX`, `DATABASE_URL`, `SECRETS_KEY`, ...), the same variables the
//! services read.

use std::io::Write;

use clap::{Args, CommandFactory, Parser, Subcommand};

pub mod admin;
pub mod api_keys_cmd;
pub mod backfill;
pub mod context;
pub mod dashboard_app;
pub mod digests_cmd;
pub mod dlq;
pub mod doctor;
mod doctor_platforms;
pub mod error;
pub mod kb;
pub mod output;
pub mod replay;
pub mod report;
pub mod report_analytics;
pub mod rules_cmd;
pub mod say;
pub mod tenants;
pub mod triage_cmd;

pub use context::Context;
pub use error::{CliError, Exit};

/// The command line. [`Parser::parse`] / [`Parser::try_parse_from`] work as usual.
#[derive(Debug, Args)]
#[command(about = "Operate the Chatwoot pipeline: tenants, dead letters, replays, triage, rules, health", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub nats: infra::NatsArgs,
    #[command(flatten)]
    pub database: infra::DatabaseArgs,
    /// Needed only by commands that change something (see [`admin`]), so read-only ones run without it: `None`
    /// when neither `--secrets-key` nor `SECRETS_KEY` is given.
    #[command(flatten)]
    pub secrets: Option<infra::SecretsArgs>,
    #[command(subcommand)]
    pub command: Command,
}

// Written by hand rather than derived only to make infra's `--secrets-key` optional (clap keeps a flattened
// `Option<Args>`'s required arguments required).
impl CommandFactory for Cli {
    fn command() -> clap::Command {
        relax(<Self as Args>::augment_args(base()))
    }

    fn command_for_update() -> clap::Command {
        relax(<Self as Args>::augment_args_for_update(base()))
    }
}

impl Parser for Cli {}

fn base() -> clap::Command {
    clap::Command::new("cwctl").version(env!("CARGO_PKG_VERSION"))
}

fn relax(command: clap::Command) -> clap::Command {
    command.mut_arg("secrets_key", |arg| arg.required(false))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register, list, remove tenants; rotate their API token.
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// Create (shown once), list and revoke the API service's per-tenant keys.
    #[command(subcommand)]
    ApiKeys(api_keys_cmd::ApiKeysCommand),
    /// List and redrive the dispatcher's dead letters.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Re-publish a tenant's events from the events stream's history.
    ///
    /// Each event goes back to its own subject marked as a replay, with `Nats-Msg-Id:
    /// {event_key}#replay:{replay_id}`, so re-running with the same --replay-id publishes nothing twice. By
    /// default the worker trusts its ledger (already processed events post nothing new); --reprocess makes it
    /// process them again. Needs SECRETS_KEY unless --dry-run.
    Replay(replay::ReplayArgs),
    /// Publish a tenant's history from its Chatwoot (conversations, messages, status changes) onto the events
    /// stream, so reports do not start empty: paged, rate-limited, resumable from a checkpoint, and recorded
    /// once with the live webhooks of the same messages. The worker records history and acts on none of it.
    /// Needs SECRETS_KEY.
    Backfill(backfill::BackfillArgs),
    /// Triage JSON Lines `{"id","text"}` from stdin (or --input) into one JSON line per message; --score
    /// compares with the labels of a labelled file and prints per-label figures.
    Triage(triage_cmd::TriageArgs),
    /// Check rules files, print the defaults, or dry-run the rules on a message.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Check NATS, streams and consumers, PostgreSQL and migrations, and each tenant's Chatwoot (health and
    /// token). Exit codes: 0 healthy, 1 configuration missing, 2 Chatwoot unreachable, 3 authentication failed,
    /// 4 both, 5 NATS, 6 PostgreSQL, 7 both.
    Doctor(doctor::DoctorArgs),
    /// A tenant's knowledge base: import (Markdown folder or JSON Lines), list, search.
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// AI drafts per tenant: drafted, approved, rejected, stale, approval rate, mean grades, edit distance;
    /// or, with a subcommand, a tenant's support analytics (summary, timeseries, breakdown, peak-hours).
    Report(report::ReportArgs),
    /// Talk to a running pipeline as Chatwoot would: sign and send a customer's message (or, starting with
    /// `/`, an agent's `/approve` or `/reject` note), wait for the pipeline, print the triage and what Chatwoot
    /// received. Needs SECRETS_KEY (it signs with the tenant's webhook secret).
    Say(say::SayArgs),
    /// Register the review console as a Dashboard App of a tenant's Chatwoot account (a tab beside every
    /// conversation). Needs SECRETS_KEY.
    #[command(subcommand)]
    DashboardApp(dashboard_app::DashboardAppCommand),
    /// A tenant's daily and weekly reports: settings (recipients, chat webhook, send hour), list, show.
    #[command(subcommand)]
    Digests(digests_cmd::DigestsCommand),
}

/// Runs one command, writing its report to `out`.
pub async fn run(cli: Cli, out: &mut impl Write) -> Result<Exit, CliError> {
    let Cli {
        nats,
        database,
        secrets,
        command,
    } = cli;
    let mut ctx = Context::new(nats, database, secrets);
    let exit = match command {
        Command::Tenants(command) => tenants::run(command, &mut ctx, out).await?,
        Command::ApiKeys(command) => api_keys_cmd::run(command, &mut ctx, out).await?,
        Command::Dlq(command) => dlq::run(command, &mut ctx, out).await?,
        Command::Replay(args) => replay::run(args, &mut ctx, out).await?,
        Command::Backfill(args) => backfill::run(args, &mut ctx, out).await?,
        Command::Triage(args) => triage_cmd::run(args, out)?,
        Command::Rules(command) => rules_cmd::run(command, out)?,
        Command::Doctor(args) => doctor::run(args, &mut ctx, out).await?,
        Command::Kb(command) => kb::run(command, &mut ctx, out).await?,
        Command::Report(args) => report::run(args, &mut ctx, out).await?,
        Command::Say(args) => say::run(args, &mut ctx, out).await?,
        Command::DashboardApp(command) => dashboard_app::run(command, &mut ctx, out).await?,
        Command::Digests(command) => digests_cmd::run(command, &mut ctx, out).await?,
    };
    out.flush()?;
    Ok(exit)
}

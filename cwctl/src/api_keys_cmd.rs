//! `cwctl api-keys`: the API service's per-tenant keys. `create` prints the key once (only its hash is kept);
//! `list` never shows one; `revoke` takes effect on the next request (and ends the console sessions opened
//! with it). Creating and revoking need the deployment's SECRETS_KEY, like every change (see [`crate::admin`]).

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use infra::api_keys::{self, Scope};
use serde::Serialize;

use crate::output::{table, timestamp};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key for a tenant and print it (shown this once).
    Create(CreateArgs),
    /// List keys (never their secrets).
    List(ListArgs),
    /// Revoke a key by id: requests with it are refused from now on.
    Revoke(RevokeArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// Reads only.
    Read,
    /// Reads and writes (commands: messages, changes, escalations, draft decisions).
    Write,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The tenant the key is confined to.
    #[arg(long)]
    pub tenant: String,
    /// What the key is for (shown by `list`).
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum, default_value = "read")]
    pub scope: ScopeArg,
    /// Print only the key (for scripts).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this tenant's keys.
    #[arg(long)]
    pub tenant: Option<String>,
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's id (the part after `cwk_`, as `list` shows it).
    pub id: String,
}

#[derive(Debug, Serialize)]
struct KeyView {
    id: String,
    tenant: String,
    name: String,
    scope: &'static str,
    created_at: String,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
}

pub async fn run(
    command: ApiKeysCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        ApiKeysCommand::Create(args) => create(args, ctx, out).await,
        ApiKeysCommand::List(args) => list(args, ctx, out).await,
        ApiKeysCommand::Revoke(args) => revoke(args, ctx, out).await,
    }
}

async fn create(
    args: CreateArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let tenant =
        infra::TenantId::parse(&args.tenant).map_err(|e| CliError::Invalid(e.to_string()))?;
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CliError::Invalid("--name: 1-200 characters".into()));
    }
    ctx.admin().await?;
    let pool = ctx.pool().await?;
    let known = pool
        .get()
        .await?
        .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&tenant.as_str()])
        .await?
        .is_some();
    if !known {
        return Err(CliError::NotFound(format!("no tenant `{tenant}`")));
    }
    let scope = match args.scope {
        ScopeArg::Read => Scope::Read,
        ScopeArg::Write => Scope::Write,
    };
    let created = api_keys::create(&pool, tenant.as_str(), name, scope).await?;
    if args.quiet {
        writeln!(out, "{}", created.token)?;
    } else {
        writeln!(
            out,
            "created API key {} for tenant {} ({}, scope {}). It is shown only this once:\n\n  {}\n\n\
             Use it as `Authorization: Bearer <key>`; revoke it with `cwctl api-keys revoke {}`.",
            created.key.id,
            created.key.tenant,
            created.key.name,
            scope.as_str(),
            created.token,
            created.key.id
        )?;
    }
    Ok(Exit::Success)
}

async fn list(args: ListArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let pool = ctx.pool().await?;
    let keys = api_keys::list(&pool, args.tenant.as_deref()).await?;
    let views: Vec<KeyView> = keys
        .into_iter()
        .map(|k| KeyView {
            id: k.id,
            tenant: k.tenant,
            name: k.name,
            scope: k.scope.as_str(),
            created_at: timestamp(k.created_at),
            revoked_at: k.revoked_at.map(timestamp),
            last_used_at: k.last_used_at.map(timestamp),
        })
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &views).map_err(std::io::Error::other)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|k| {
            vec![
                k.id.clone(),
                k.tenant.clone(),
                k.name.clone(),
                k.scope.to_owned(),
                k.created_at.clone(),
                k.revoked_at.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        out,
        &["ID", "TENANT", "NAME", "SCOPE", "CREATED", "REVOKED"],
        &rows,
    )?;
    Ok(Exit::Success)
}

async fn revoke(
    args: RevokeArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    ctx.admin().await?;
    let pool = ctx.pool().await?;
    if api_keys::revoke(&pool, args.id.trim()).await? {
        writeln!(out, "revoked API key {}", args.id.trim())?;
        Ok(Exit::Success)
    } else {
        Err(CliError::NotFound(format!(
            "no API key `{}` that is not revoked already",
            args.id.trim()
        )))
    }
}

//! `cwctl tenants`: register, list, remove tenants and rotate their API token.
//!
//! Secrets are sealed with `SECRETS_KEY` by [`infra::TenantStore`] on the way in and never printed: `list` shows
//! `set`/`unset`. Give tokens through `CHATWOOT_API_TOKEN` / `CHATWOOT_WEBHOOK_SECRET` rather than flags, so they
//! land neither in the shell history nor in `ps`.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use infra::tenants::NewTenant;
use infra::{Platform, PlatformSettings, TenantId, TenantStore};
use serde::Serialize;

use crate::output::{table, timestamp};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Register a tenant, or replace every field of an existing one (PUT semantics: omitted optional fields
    /// take their defaults).
    Add(AddArgs),
    /// List tenants; secrets show only as set/unset.
    List(ListArgs),
    /// Remove a tenant: the ingress then refuses its webhooks.
    Remove(RemoveArgs),
    /// Replace a tenant's Chatwoot API token (after a rotation); nothing else changes.
    SetToken(SetTokenArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// Tenant id, as in the webhook URL `/webhooks/chatwoot/{id}`: 1-64 of a-z, 0-9, '-', '_'.
    pub id: String,
    /// Chatwoot base URL (its FRONTEND_URL), e.g. `https://app.chatwoot.com`.
    #[arg(long, value_name = "URL")]
    pub chatwoot_url: String,
    /// Chatwoot account id (unused on other platforms).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub account_id: u64,
    /// The tenant's support platform: chatwoot, generic, intercom, zendesk or freshchat. On the others,
    /// `--chatwoot-url` is the platform's API base (the outgoing webhook URL for generic), `--api-token` its
    /// access token and `--webhook-secret` what its webhooks are verified with (see README, "Other platforms").
    #[arg(long, value_name = "NAME", default_value = "chatwoot")]
    pub platform: String,
    /// The platform's settings, a JSON object: Intercom `admin_id`, Zendesk `email`, Freshchat `agent_id`, the
    /// generic webhook's `headers`, `timeout_ms`, `retries`, `active`.
    #[arg(long, value_name = "JSON")]
    pub platform_config: Option<String>,
    /// The generic outgoing webhook's Standard Webhooks signing secret (`whsec_…`); prefer env
    /// PLATFORM_SIGNING_SECRET.
    #[arg(
        long,
        env = "PLATFORM_SIGNING_SECRET",
        hide_env_values = true,
        value_name = "S"
    )]
    pub signing_secret: Option<String>,
    /// Chatwoot API access token; prefer env CHATWOOT_API_TOKEN.
    #[arg(
        long,
        env = "CHATWOOT_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub api_token: String,
    /// Webhook secret shown by Chatwoot; prefer env CHATWOOT_WEBHOOK_SECRET.
    #[arg(
        long,
        env = "CHATWOOT_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "S"
    )]
    pub webhook_secret: Option<String>,
    /// Accept unsigned webhooks (Chatwoot before 4.11, automation rules).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Per-tenant settings, a JSON object (default `{}`).
    #[arg(long, value_name = "JSON", conflicts_with = "settings_file")]
    pub settings: Option<String>,
    /// Per-tenant settings read from a file holding a JSON object.
    #[arg(long, value_name = "PATH")]
    pub settings_file: Option<PathBuf>,
}

impl std::fmt::Debug for AddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddArgs")
            .field("id", &self.id)
            .field("chatwoot_url", &self.chatwoot_url)
            .field("account_id", &self.account_id)
            .field("allow_unsigned", &self.allow_unsigned)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub id: String,
}

#[derive(Args)]
pub struct SetTokenArgs {
    pub id: String,
    /// The new token; prefer env CHATWOOT_API_TOKEN.
    #[arg(
        long,
        env = "CHATWOOT_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub api_token: String,
}

impl std::fmt::Debug for SetTokenArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetTokenArgs")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub async fn run(
    command: TenantsCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        TenantsCommand::Add(args) => add(args, ctx, out).await,
        TenantsCommand::List(args) => list(args, ctx, out).await,
        TenantsCommand::Remove(args) => remove(args, ctx, out).await,
        TenantsCommand::SetToken(args) => set_token(args, ctx, out).await,
    }
}

fn tenant_id(raw: &str) -> Result<TenantId, CliError> {
    TenantId::parse(raw).map_err(|e| CliError::Invalid(e.to_string()))
}

fn non_empty(what: &str, value: &str) -> Result<String, CliError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CliError::Invalid(format!("{what} is empty")));
    }
    Ok(value.to_owned())
}

fn chatwoot_url(raw: &str) -> Result<String, CliError> {
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| CliError::Invalid(format!("--chatwoot-url `{raw}`: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(CliError::Invalid(format!(
            "--chatwoot-url `{raw}` must be an http(s) URL such as https://app.chatwoot.com"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(CliError::Invalid(format!(
            "--chatwoot-url `{raw}` must not have a query or fragment"
        )));
    }
    Ok(raw.trim().trim_end_matches('/').to_owned())
}

fn settings(args: &AddArgs) -> Result<serde_json::Value, CliError> {
    let (origin, text) = match (&args.settings, &args.settings_file) {
        (Some(text), _) => ("--settings".to_owned(), text.clone()),
        (None, Some(path)) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| {
                CliError::Invalid(format!("--settings-file {}: {e}", path.display()))
            })?,
        ),
        (None, None) => return Ok(serde_json::json!({})),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Invalid(format!("{origin}: invalid JSON: {e}")))?;
    if !value.is_object() {
        return Err(CliError::Invalid(format!(
            "{origin}: settings must be a JSON object"
        )));
    }
    // The worker falls back to knowledge-base drafts on invalid AI settings; refuse them here instead.
    assist::AiSettings::from_tenant_settings(&value)
        .map_err(|e| CliError::Invalid(format!("{origin}: {e}")))?;
    Ok(value)
}

fn platform_settings(args: &AddArgs) -> Result<PlatformSettings, CliError> {
    let platform = Platform::parse(args.platform.trim())
        .map_err(|e| CliError::Invalid(format!("--platform: {e}")))?;
    let config = match &args.platform_config {
        Some(text) => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| CliError::Invalid(format!("--platform-config: invalid JSON: {e}")))?,
        None => serde_json::json!({}),
    };
    if !config.is_object() {
        return Err(CliError::Invalid(
            "--platform-config must be a JSON object".into(),
        ));
    }
    let required = match platform {
        Platform::Intercom => Some("admin_id"),
        Platform::Zendesk => Some("email"),
        Platform::Freshchat => Some("agent_id"),
        Platform::Chatwoot | Platform::Generic => None,
    };
    if let Some(key) = required.filter(|key| config.get(*key).is_none()) {
        return Err(CliError::Invalid(format!(
            "--platform-config: {platform} needs `{key}`"
        )));
    }
    Ok(PlatformSettings {
        platform,
        config,
        signing_secret: args.signing_secret.clone().filter(|s| !s.trim().is_empty()),
    })
}

async fn add(args: AddArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let platform = platform_settings(&args)?;
    let tenant = NewTenant {
        id: tenant_id(&args.id)?,
        chatwoot_base_url: chatwoot_url(&args.chatwoot_url)?,
        account_id: args.account_id,
        api_token: non_empty("the API token", &args.api_token)?,
        webhook_secret: args
            .webhook_secret
            .as_deref()
            .map(|s| non_empty("the webhook secret", s))
            .transpose()?,
        allow_unsigned: args.allow_unsigned,
        settings: Some(settings(&args)?),
    };
    let admin = ctx.admin().await?;
    let pool = ctx.pool().await?;
    let existed = pool
        .get()
        .await?
        .query_opt(
            "SELECT 1 FROM tenants WHERE id = $1",
            &[&tenant.id.as_str()],
        )
        .await?
        .is_some();
    let store = TenantStore::new(pool, admin.secret_box().clone());
    store.upsert(&tenant).await?;
    store.set_platform(&tenant.id, &platform).await?;
    writeln!(
        out,
        "tenant {} {}",
        tenant.id,
        if existed { "updated" } else { "added" }
    )?;
    if tenant.webhook_secret.is_none() && !tenant.allow_unsigned {
        writeln!(
            out,
            "note: tenant {} has no webhook secret and refuses unsigned webhooks: the ingress rejects its \
             webhooks until one of them is set",
            tenant.id
        )?;
    }
    Ok(Exit::Success)
}

/// A tenant as listed: no secret, only whether it is set.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSummary {
    pub id: String,
    pub platform: String,
    pub chatwoot_base_url: String,
    pub account_id: i64,
    pub api_token: &'static str,
    pub webhook_secret: &'static str,
    pub allow_unsigned: bool,
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn set_or_unset(set: bool) -> &'static str {
    if set {
        "set"
    } else {
        "unset"
    }
}

/// Every tenant, by id. Reads the sealed columns only to say whether they are set: no key needed.
pub async fn summaries(ctx: &mut Context) -> Result<Vec<TenantSummary>, CliError> {
    let pool = ctx.pool().await?;
    let rows = pool
        .get()
        .await?
        .query(
            "SELECT id, chatwoot_base_url, account_id, api_token_enc <> '', webhook_secret_enc IS NOT NULL,
                    allow_unsigned, settings, created_at, updated_at, platform
             FROM tenants ORDER BY id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| TenantSummary {
            id: row.get(0),
            platform: row.get(9),
            chatwoot_base_url: row.get(1),
            account_id: row.get(2),
            api_token: set_or_unset(row.get(3)),
            webhook_secret: set_or_unset(row.get(4)),
            allow_unsigned: row.get(5),
            settings: row.get(6),
            created_at: row.get(7),
            updated_at: row.get(8),
        })
        .collect())
}

async fn list(args: ListArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let tenants = summaries(ctx).await?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &tenants).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    if tenants.is_empty() {
        writeln!(out, "no tenants")?;
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<String>> = tenants
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.platform.clone(),
                t.chatwoot_base_url.clone(),
                t.account_id.to_string(),
                t.api_token.to_owned(),
                t.webhook_secret.to_owned(),
                if t.allow_unsigned { "yes" } else { "no" }.to_owned(),
                timestamp(t.updated_at),
            ]
        })
        .collect();
    table(
        out,
        &[
            "ID",
            "PLATFORM",
            "URL",
            "ACCOUNT",
            "API TOKEN",
            "WEBHOOK SECRET",
            "UNSIGNED",
            "UPDATED",
        ],
        &rows,
    )?;
    Ok(Exit::Success)
}

async fn remove(
    args: RemoveArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let id = tenant_id(&args.id)?;
    ctx.admin().await?;
    let pool = ctx.pool().await?;
    let removed = pool
        .get()
        .await?
        .execute("DELETE FROM tenants WHERE id = $1", &[&id.as_str()])
        .await?;
    if removed == 0 {
        return Err(CliError::NotFound(format!("no tenant {id}")));
    }
    writeln!(out, "tenant {id} removed")?;
    Ok(Exit::Success)
}

async fn set_token(
    args: SetTokenArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let id = tenant_id(&args.id)?;
    let token = non_empty("the API token", &args.api_token)?;
    let admin = ctx.admin().await?;
    let pool = ctx.pool().await?;
    if !TenantStore::new(pool, admin.secret_box().clone())
        .set_api_token(&id, &token)
        .await?
    {
        return Err(CliError::NotFound(format!("no tenant {id}")));
    }
    writeln!(
        out,
        "tenant {id}: API token replaced (services pick it up within their tenant cache TTL)"
    )?;
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_normalised() {
        assert_eq!(
            chatwoot_url("https://app.chatwoot.com/").expect("valid"),
            "https://app.chatwoot.com"
        );
        assert!(chatwoot_url("app.chatwoot.com").is_err());
        assert!(chatwoot_url("ftp://x").is_err());
        assert!(chatwoot_url("https://x/?a=1").is_err());
    }

    #[test]
    fn platforms_are_named_and_their_required_settings_checked() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            add: AddArgs,
        }
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "cwctl",
                "acme",
                "--chatwoot-url",
                "https://api.intercom.io",
                "--api-token",
                "t",
            ];
            args.extend_from_slice(extra);
            platform_settings(&Cli::try_parse_from(args).expect("arguments").add)
        };
        assert_eq!(parse(&[]).expect("default").platform, Platform::Chatwoot);
        let intercom = parse(&[
            "--platform",
            "intercom",
            "--platform-config",
            r#"{"admin_id":"814860"}"#,
        ])
        .expect("intercom with its admin");
        assert_eq!(intercom.platform, Platform::Intercom);
        assert!(
            parse(&["--platform", "intercom"]).is_err(),
            "admin_id is required"
        );
        assert!(parse(&["--platform", "slack"]).is_err());
        assert!(parse(&["--platform", "generic", "--platform-config", "[]"]).is_err());
    }
}

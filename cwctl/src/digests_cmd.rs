//! `cwctl digests`: a tenant's daily and weekly reports. `settings` shows or changes what the tenant receives
//! (changing needs SECRETS_KEY, which also seals the chat webhook URL); `list` and `show` read the reports the
//! workers generated.

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use digests::{DigestSettings, Kind, SettingsStore};

use crate::output::{table, timestamp};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum DigestsCommand {
    /// Show a tenant's report settings, or change them with the options below (the others are kept).
    Settings(SettingsArgs),
    /// A tenant's reports, newest period first.
    List(ListArgs),
    /// One report's Markdown (or its JSON with --json), and its deliveries.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[arg(long)]
    pub tenant: String,
    /// Generate the previous day's report every day.
    #[arg(long)]
    pub daily: Option<bool>,
    /// Generate the previous Monday-based week's report every Monday.
    #[arg(long)]
    pub weekly: Option<bool>,
    /// Local hour (0-23, tenant's time zone) after which the report is generated and sent.
    #[arg(long)]
    pub send_hour: Option<u32>,
    /// E-mail recipients, comma-separated (`--email ''` removes them all).
    #[arg(long, value_delimiter = ',')]
    pub email: Option<Vec<String>>,
    /// Slack/Mattermost-compatible incoming webhook URL (stored encrypted).
    #[arg(long, conflicts_with = "no_webhook")]
    pub webhook_url: Option<String>,
    /// Stop posting to the chat webhook.
    #[arg(long)]
    pub no_webhook: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Daily,
    Weekly,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Daily => Kind::Daily,
            KindArg::Weekly => Kind::Weekly,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long)]
    pub tenant: String,
    /// The report's id (from `list`).
    pub id: uuid::Uuid,
    /// The whole report as JSON (figures and deliveries included).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(
    command: DigestsCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        DigestsCommand::Settings(args) => settings(args, ctx, out).await,
        DigestsCommand::List(args) => list(args, ctx, out).await,
        DigestsCommand::Show(args) => show(args, ctx, out).await,
    }
}

fn failed(e: digests::DigestError) -> CliError {
    match e {
        // Named by the option that set it.
        digests::DigestError::Invalid(e) => {
            let option = match e.field {
                "recipients" => "email",
                "webhook_url" => "webhook-url",
                "send_hour" => "send-hour",
                other => other,
            };
            CliError::Invalid(format!("--{option}: {}", e.message))
        }
        digests::DigestError::Db(e) => CliError::Db(e),
        other => CliError::Invalid(other.to_string()),
    }
}

async fn settings(
    args: SettingsArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let changes = args.daily.is_some()
        || args.weekly.is_some()
        || args.send_hour.is_some()
        || args.email.is_some()
        || args.webhook_url.is_some()
        || args.no_webhook;
    let pool = ctx.pool().await?;
    let client = pool.get().await.map_err(infra::db::DbError::from)?;
    let known = client
        .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&args.tenant])
        .await
        .map_err(infra::db::DbError::from)?;
    if known.is_none() {
        return Err(CliError::NotFound(format!("tenant {}", args.tenant)));
    }
    drop(client);
    // Reading the sealed URL needs the key too; without it, reads show whether one is set.
    let admin = if changes {
        Some(ctx.admin().await?)
    } else {
        ctx.admin().await.ok()
    };
    let Some(admin) = admin else {
        return Err(CliError::Unauthorized(
            "showing digest settings needs SECRETS_KEY (the webhook URL is encrypted with it)"
                .into(),
        ));
    };
    let store = SettingsStore::new(pool, admin.secret_box().clone());
    let mut s = store
        .get(&args.tenant)
        .await
        .map_err(failed)?
        .unwrap_or_default();
    if changes {
        s.daily = args.daily.unwrap_or(s.daily);
        s.weekly = args.weekly.unwrap_or(s.weekly);
        s.send_hour = args.send_hour.unwrap_or(s.send_hour);
        if let Some(email) = args.email {
            s.recipients = email
                .into_iter()
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty())
                .collect();
        }
        if let Some(url) = args.webhook_url {
            s.webhook_url = Some(infra::Secret::new(url));
        }
        if args.no_webhook {
            s.webhook_url = None;
        }
        store.put(&args.tenant, &s).await.map_err(failed)?;
    }
    print_settings(out, &args.tenant, &s)?;
    Ok(Exit::Success)
}

fn print_settings(out: &mut impl Write, tenant: &str, s: &DigestSettings) -> Result<(), CliError> {
    writeln!(out, "tenant:     {tenant}")?;
    writeln!(out, "daily:      {}", s.daily)?;
    writeln!(out, "weekly:     {}", s.weekly)?;
    writeln!(
        out,
        "send hour:  {:02}:00 (tenant's time zone)",
        s.send_hour
    )?;
    writeln!(
        out,
        "e-mail:     {}",
        if s.recipients.is_empty() {
            "-".into()
        } else {
            s.recipients.join(", ")
        }
    )?;
    // The URL is a credential: say where it points, not the whole of it.
    let webhook = s.webhook_url.as_ref().map_or("-".into(), |u| {
        reqwest::Url::parse(u.expose()).map_or("set".into(), |u| {
            format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or(""))
        })
    });
    writeln!(out, "webhook:    {webhook}")?;
    Ok(())
}

async fn list(args: ListArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let pool = ctx.pool().await?;
    let client = pool.get().await.map_err(infra::db::DbError::from)?;
    let items = digests::store::list(
        &**client,
        &args.tenant,
        args.kind.map(Into::into),
        None,
        args.limit.clamp(1, 500),
    )
    .await?;
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.kind.to_string(),
                timestamp(d.period_start),
                timestamp(d.period_end),
                timestamp(d.created_at),
            ]
        })
        .collect();
    table(
        out,
        &["ID", "KIND", "PERIOD START", "PERIOD END", "CREATED"],
        &rows,
    )?;
    Ok(Exit::Success)
}

async fn show(args: ShowArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let pool = ctx.pool().await?;
    let client = pool.get().await.map_err(infra::db::DbError::from)?;
    let Some(d) = digests::store::get(&**client, &args.tenant, args.id).await? else {
        return Err(CliError::NotFound(format!(
            "report {} of tenant {}",
            args.id, args.tenant
        )));
    };
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&d).unwrap_or_default()
        )?;
        return Ok(Exit::Success);
    }
    write!(out, "{}", d.markdown)?;
    writeln!(out, "\n---")?;
    for x in &d.deliveries {
        writeln!(
            out,
            "{}: {} after {} attempt(s){}",
            x.channel,
            x.status,
            x.attempts,
            x.last_error
                .as_deref()
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        )?;
    }
    Ok(Exit::Success)
}

//! `cwctl kb`: a tenant's knowledge base, the articles the knowledge-base responder answers from (and the LLM
//! responder is given as context).
//!
//! `import` reads a folder of Markdown files or a JSON Lines file (formats in [`assist::kb::source`]) and applies
//! it in one transaction, keyed by (tenant, article id): new articles are added, changed ones updated, identical
//! ones left alone, and with `--prune` articles the source no longer has are removed. Running it twice changes
//! nothing the second time. It needs SECRETS_KEY unless `--dry-run`.

use std::io::Write;
use std::path::PathBuf;

use assist::kb::{self, ImportReport};
use assist::AiSettings;
use clap::{Args, Subcommand};
use deadpool_postgres::GenericClient;
use serde::Serialize;

use crate::output::{table, timestamp, truncate};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Import articles from a folder of .md files or a .jsonl file; re-importing updates in place.
    ///
    /// Markdown files start with a header between `---` lines (`id`, `title`, `language`, `url`); without it the
    /// first `# heading` is the title and the file name the id. JSON Lines hold one
    /// `{"id","title","body","language","url"}` per line. Needs SECRETS_KEY unless --dry-run.
    Import(ImportArgs),
    /// List a tenant's articles.
    List(ListArgs),
    /// Search a tenant's articles as the worker does, with each article's score.
    Search(SearchArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long, value_name = "T")]
    pub tenant: String,
    /// A folder of .md files, a .md file or a .jsonl file.
    pub source: PathBuf,
    /// Remove the tenant's articles that the source does not contain.
    #[arg(long)]
    pub prune: bool,
    /// Show what would change without changing it.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_name = "T")]
    pub tenant: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[arg(long, value_name = "T")]
    pub tenant: String,
    /// The question, as a customer would write it.
    pub question: String,
    /// Language code of the question; detected as the worker's triage does when omitted.
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(
    command: KbCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        KbCommand::Import(args) => import(args, ctx, out).await,
        KbCommand::List(args) => list(args, ctx, out).await,
        KbCommand::Search(args) => search(args, ctx, out).await,
    }
}

async fn import(
    args: ImportArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let articles =
        kb::load(&args.source).map_err(|e| CliError::Invalid(format!("kb import: {e}")))?;
    if !args.dry_run {
        ctx.admin().await?;
    }
    let pool = ctx.pool().await?;
    let mut client = pool.get().await?;
    ensure_tenant(&client, &args.tenant).await?;
    let txn = client.transaction().await?;
    let report = kb::import(&txn, &args.tenant, &articles, args.prune).await?;
    if args.dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &ImportJson::new(&args, &report))
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    let changes: Vec<Vec<String>> = [
        ("added", &report.added),
        ("updated", &report.updated),
        ("removed", &report.removed),
    ]
    .iter()
    .flat_map(|(what, ids)| {
        ids.iter()
            .map(move |id| vec![(*what).to_owned(), id.clone()])
    })
    .collect();
    if !changes.is_empty() {
        table(out, &["CHANGE", "ARTICLE"], &changes)?;
    }
    writeln!(
        out,
        "{}{}: {} added, {} updated, {} unchanged, {} removed",
        if args.dry_run {
            "dry run, nothing changed; "
        } else {
            ""
        },
        args.tenant,
        report.added.len(),
        report.updated.len(),
        report.unchanged.len(),
        report.removed.len()
    )?;
    Ok(Exit::Success)
}

#[derive(Serialize)]
struct ImportJson<'a> {
    tenant: &'a str,
    dry_run: bool,
    added: &'a [String],
    updated: &'a [String],
    unchanged: &'a [String],
    removed: &'a [String],
}

impl<'a> ImportJson<'a> {
    fn new(args: &'a ImportArgs, report: &'a ImportReport) -> Self {
        Self {
            tenant: &args.tenant,
            dry_run: args.dry_run,
            added: &report.added,
            updated: &report.updated,
            unchanged: &report.unchanged,
            removed: &report.removed,
        }
    }
}

async fn list(args: ListArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let pool = ctx.pool().await?;
    let client = pool.get().await?;
    ensure_tenant(&client, &args.tenant).await?;
    let articles = kb::list(&client, &args.tenant).await?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &articles).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<String>> = articles
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.language.clone(),
                truncate(&a.title, 60),
                a.url.clone().unwrap_or_else(|| "-".into()),
                timestamp(a.updated_at),
            ]
        })
        .collect();
    table(out, &["ID", "LANG", "TITLE", "URL", "UPDATED"], &rows)?;
    writeln!(out, "{} articles", articles.len())?;
    Ok(Exit::Success)
}

async fn search(
    args: SearchArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let language = match &args.language {
        Some(raw) => kb::normalize_language(raw).ok_or_else(|| {
            CliError::Invalid(format!("--language `{raw}` is not a language code"))
        })?,
        None => triage::Triager::default().triage(&args.question).language,
    };
    let pool = ctx.pool().await?;
    let client = pool.get().await?;
    let settings = ensure_tenant(&client, &args.tenant).await?;
    let settings = AiSettings::from_tenant_settings(&settings).unwrap_or_else(|error| {
        tracing::warn!(%error, "the tenant's AI settings are invalid; the worker uses the defaults");
        AiSettings::default()
    });
    let min_score = settings.knowledge_base.min_score;
    let hits = kb::search(&client, &args.tenant, &language, &args.question, args.limit).await?;
    let answer = hits
        .first()
        .filter(|h| h.score >= min_score)
        .map(|h| kb::answer_text(h, settings.knowledge_base.max_passage_chars));
    if args.json {
        let json = serde_json::json!({
            "tenant": args.tenant, "language": language, "min_score": min_score,
            "hits": hits.iter().map(|h| serde_json::json!({
                "id": h.id, "title": h.title, "url": h.url, "score": h.score, "passage": h.passage,
            })).collect::<Vec<_>>(),
            "answer": answer,
        });
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Success);
    }
    writeln!(
        out,
        "language {language}, answering from a score of {min_score:.2}"
    )?;
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                format!("{:.3}", h.score),
                if h.score >= min_score { "yes" } else { "no" }.to_owned(),
                h.id.clone(),
                truncate(&h.title, 60),
            ]
        })
        .collect();
    table(out, &["SCORE", "ANSWERS", "ID", "TITLE"], &rows)?;
    match answer {
        Some(answer) => writeln!(out, "\nreply:\n{answer}")?,
        None => writeln!(out, "\nno article scores enough: the worker would hand off")?,
    }
    Ok(Exit::Success)
}

/// The tenant's settings, or `NotFound`: a typo in `--tenant` must not import into a tenant nobody serves.
async fn ensure_tenant(
    client: &impl GenericClient,
    tenant: &str,
) -> Result<serde_json::Value, CliError> {
    client
        .query_opt("SELECT settings FROM tenants WHERE id = $1", &[&tenant])
        .await?
        .map(|row| row.get(0))
        .ok_or_else(|| {
            CliError::NotFound(format!("no tenant `{tenant}` (see `cwctl tenants list`)"))
        })
}

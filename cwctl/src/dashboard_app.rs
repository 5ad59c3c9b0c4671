//! `cwctl dashboard-app register`: adds the review console to a tenant's Chatwoot account as a Dashboard App
//! (what Settings → Integrations → Dashboard apps does by hand), so agents find it as a tab of every
//! conversation. It calls Chatwoot's `POST /api/v1/accounts/{id}/dashboard_apps` with the tenant's own API
//! token, which therefore must be an administrator's access token (an agent bot's token is refused).

use std::io::Write;
use std::time::Duration;

use chatwoot::client::ApiRequest;
use chatwoot::{ApiError, ChatwootClient};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum DashboardAppCommand {
    /// Register a page (normally `https://<api host>/console/#token=<console token>`) as a Dashboard App of the
    /// tenant's Chatwoot account. Needs SECRETS_KEY (it uses the tenant's Chatwoot token).
    Register(RegisterArgs),
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The tenant whose Chatwoot account gets the app.
    #[arg(long)]
    pub tenant: String,
    /// The page Chatwoot frames, with the console token after `#token=` (the fragment never leaves the browser).
    #[arg(long)]
    pub url: String,
    /// The tab's title in Chatwoot.
    #[arg(long, default_value = "Review console")]
    pub title: String,
}

pub async fn run(
    command: DashboardAppCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let DashboardAppCommand::Register(args) = command;
    let url = args.url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(CliError::Invalid(format!(
            "--url must be an http(s) URL, not `{url}`"
        )));
    }
    let admin = ctx.admin().await?;
    let tenants = infra::TenantStore::new(ctx.pool().await?, admin.secret_box().clone());
    let tenant = tenants
        .get(&args.tenant)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no tenant `{}`", args.tenant)))?;
    let client = ChatwootClient::new(Duration::from_secs(15))
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    let request = ApiRequest {
        method: http::Method::POST,
        path: "/dashboard_apps".into(),
        route: "/dashboard_apps",
        body: Some(json!({
            "dashboard_app": { "title": args.title, "content": [{ "type": "frame", "url": url }] }
        })),
    };
    let created = match client.send(&tenant, &request).await {
        Ok(response) => response.json().unwrap_or_default(),
        Err(ApiError::Status { status, body, .. }) if status == 401 || status == 403 => {
            return Err(CliError::Unauthorized(format!(
                "Chatwoot refused the tenant's token ({status} {body}): registering a dashboard app needs an \
                 administrator's access token, not an agent bot's"
            )))
        }
        Err(e) => {
            return Err(CliError::Invalid(format!(
                "Chatwoot at {} did not register the app: {e}",
                tenant.chatwoot_base_url
            )))
        }
    };
    writeln!(
        out,
        "registered dashboard app #{} \"{}\" in Chatwoot account {} ({}): {}",
        created["id"],
        args.title,
        tenant.account_id,
        tenant.chatwoot_base_url,
        redacted(url)
    )?;
    if !url.contains("#token=") {
        writeln!(
            out,
            "note: the URL carries no #token=: agents sign in in the tab with a console token or their Chatwoot \
             access token"
        )?;
    }
    Ok(Exit::Success)
}

/// The URL without the console token's value: a report must not print a credential.
fn redacted(url: &str) -> String {
    match url.split_once("token=") {
        Some((before, after)) => {
            let rest = after.find('&').map(|i| &after[i..]).unwrap_or("");
            format!("{before}token=…{rest}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_not_printed() {
        assert_eq!(
            super::redacted("https://a.example/console/#token=cwk_1_secret&theme=dark"),
            "https://a.example/console/#token=…&theme=dark"
        );
        assert_eq!(
            super::redacted("https://a.example/console/"),
            "https://a.example/console/"
        );
    }
}

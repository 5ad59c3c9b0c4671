//! Command-line/environment argument groups that every service flattens into its own `Config`.

use std::time::Duration;

use clap::Args;

use crate::crypto::{KeyError, SecretBox};

/// Where NATS is and how the pipeline's streams are named.
#[derive(Clone, Args)]
pub struct NatsArgs {
    /// NATS server URL(s), comma separated.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Prefix of every stream, subject and consumer, so several pipelines (or tests) share one NATS.
    #[arg(long, env = "NATS_PREFIX", default_value = "chatwoot")]
    pub nats_prefix: String,
    /// Stream replicas (3 in a JetStream cluster).
    #[arg(long, env = "NATS_REPLICAS", default_value_t = 1)]
    pub nats_replicas: usize,
    /// How long history is kept for replay, e.g. "7d", "12h".
    #[arg(long, env = "STREAM_MAX_AGE", default_value = "7d", value_parser = parse_duration)]
    pub stream_max_age: Duration,
    /// Size limit of each stream in bytes; when full, new publishes are refused (discard new), never old
    /// events dropped, so the ingress answers 503 instead of losing work.
    #[arg(long, env = "STREAM_MAX_BYTES", default_value_t = 1 << 30)]
    pub stream_max_bytes: i64,
    /// Window in which JetStream drops a publish whose Nats-Msg-Id it has seen.
    #[arg(long, env = "STREAM_DUPLICATE_WINDOW", default_value = "10m", value_parser = parse_duration)]
    pub stream_duplicate_window: Duration,
    /// How long the activity stream (every step of every event, for the API's live activity) keeps records;
    /// the oldest go first when it is full, it never refuses one.
    #[arg(long, env = "ACTIVITY_MAX_AGE", default_value = "30d", value_parser = parse_duration)]
    pub activity_max_age: Duration,
    /// Size limit of the activity stream in bytes.
    #[arg(long, env = "ACTIVITY_MAX_BYTES", default_value_t = 1 << 30)]
    pub activity_max_bytes: i64,
}

impl NatsArgs {
    pub fn topology(&self) -> crate::Topology {
        crate::Topology::new(&self.nats_prefix)
    }

    pub fn limits(&self) -> crate::StreamLimits {
        crate::StreamLimits {
            max_age: self.stream_max_age,
            max_bytes: self.stream_max_bytes,
            duplicate_window: self.stream_duplicate_window,
            replicas: self.nats_replicas,
            activity_max_age: self.activity_max_age,
            activity_max_bytes: self.activity_max_bytes,
        }
    }
}

/// PostgreSQL connection.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection string.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/chatwoot_pipeline",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Connections in this process's pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
}

// URLs may carry a password (`postgres://app:pw@db/x`, `nats://user:pw@nats`): Debug shows them without it.
impl std::fmt::Debug for NatsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsArgs")
            .field("nats_url", &redact_urls(&self.nats_url))
            .field("nats_prefix", &self.nats_prefix)
            .field("nats_replicas", &self.nats_replicas)
            .field("stream_max_age", &self.stream_max_age)
            .field("stream_max_bytes", &self.stream_max_bytes)
            .field("stream_duplicate_window", &self.stream_duplicate_window)
            .field("activity_max_age", &self.activity_max_age)
            .field("activity_max_bytes", &self.activity_max_bytes)
            .finish()
    }
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &redact_urls(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .finish()
    }
}

/// Comma-separated URLs with any password replaced; text that is not a URL is hidden whole.
pub fn redact_urls(urls: &str) -> String {
    urls.split(',')
        .map(|raw| match url::Url::parse(raw.trim()) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("redacted"));
                }
                url.to_string()
            }
            Err(_) => "<unparsed>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The key that encrypts tenant secrets at rest.
#[derive(Clone, Args)]
pub struct SecretsArgs {
    /// 32 random bytes, base64: encrypts tenant API tokens and webhook secrets in PostgreSQL.
    /// Generate one with `openssl rand -base64 32`.
    #[arg(long, env = "SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: String,
}

impl SecretsArgs {
    pub fn secret_box(&self) -> Result<SecretBox, KeyError> {
        SecretBox::from_base64(&self.secrets_key)
    }
}

impl std::fmt::Debug for SecretsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsArgs { secrets_key: <redacted> }")
    }
}

/// A single tenant taken from the environment and upserted at start, for deployments with one Chatwoot.
#[derive(Clone, Args)]
pub struct TenantSeedArgs {
    /// Tenant id used in the webhook URL `/webhooks/chatwoot/{tenant}`.
    #[arg(long, env = "TENANT_ID")]
    pub tenant_id: Option<String>,
    /// Chatwoot base URL, e.g. https://app.chatwoot.com.
    #[arg(long, env = "CHATWOOT_BASE_URL")]
    pub chatwoot_base_url: Option<String>,
    /// Chatwoot account id.
    #[arg(long, env = "CHATWOOT_ACCOUNT_ID")]
    pub chatwoot_account_id: Option<u64>,
    /// Chatwoot API access token (user or agent-bot token).
    #[arg(long, env = "CHATWOOT_API_TOKEN", hide_env_values = true)]
    pub chatwoot_api_token: Option<String>,
    /// Webhook secret shown by Chatwoot for the webhook, API inbox or agent bot.
    #[arg(long, env = "CHATWOOT_WEBHOOK_SECRET", hide_env_values = true)]
    pub chatwoot_webhook_secret: Option<String>,
    /// Accept unsigned webhooks for this tenant (Chatwoot before 4.11, automation rules).
    #[arg(long, env = "CHATWOOT_ALLOW_UNSIGNED", default_value_t = false)]
    pub chatwoot_allow_unsigned: bool,
}

impl std::fmt::Debug for TenantSeedArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSeedArgs")
            .field("tenant_id", &self.tenant_id)
            .field("chatwoot_base_url", &self.chatwoot_base_url)
            .field("chatwoot_account_id", &self.chatwoot_account_id)
            .finish_non_exhaustive()
    }
}

impl TenantSeedArgs {
    /// The tenant these variables describe, or `None` when `TENANT_ID` is unset.
    pub fn tenant(&self) -> Result<Option<crate::tenants::NewTenant>, String> {
        let Some(id) = &self.tenant_id else {
            return Ok(None);
        };
        let missing = |name: &str| format!("TENANT_ID is set but {name} is missing");
        Ok(Some(crate::tenants::NewTenant {
            id: crate::TenantId::parse(id).map_err(|e| e.to_string())?,
            chatwoot_base_url: self
                .chatwoot_base_url
                .clone()
                .ok_or_else(|| missing("CHATWOOT_BASE_URL"))?,
            account_id: self
                .chatwoot_account_id
                .ok_or_else(|| missing("CHATWOOT_ACCOUNT_ID"))?,
            api_token: self
                .chatwoot_api_token
                .clone()
                .ok_or_else(|| missing("CHATWOOT_API_TOKEN"))?,
            webhook_secret: self.chatwoot_webhook_secret.clone(),
            allow_unsigned: self.chatwoot_allow_unsigned,
            settings: None,
        }))
    }
}

/// Parses "500ms", "30s", "5m", "12h", "7d" (and a bare number of seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 5m, 12h or 7d"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(value)),
        "" | "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)"
            ))
        }
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords_in_urls() {
        let database = DatabaseArgs {
            database_url: "postgres://app:hunter2@db:5432/chatwoot_pipeline".into(),
            database_pool_size: 4,
        };
        let shown = format!("{database:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("app:redacted@db"),
            "{shown}"
        );
        assert_eq!(
            redact_urls("nats://a:pw@n1:4222,nats://n2:4222"),
            "nats://a:redacted@n1:4222,nats://n2:4222"
        );
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("5 weeks").is_err());
    }
}

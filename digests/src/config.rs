use std::path::PathBuf;
use std::time::Duration;

use infra::config::parse_duration;
use infra::Secret;

use crate::deliver::{EmailSender, SmtpConfig, SmtpConfigError};

/// Daily and weekly reports: flattened into the configuration of the service that runs them (the worker).
#[derive(Debug, Clone, clap::Args)]
pub struct DigestArgs {
    /// Generate and deliver the tenants' daily and weekly reports (each replica ticks; a period's report is still
    /// generated and delivered once).
    #[arg(long, env = "DIGESTS_ENABLED", default_value_t = false, action = clap::ArgAction::Set)]
    pub digests_enabled: bool,
    /// How often the reports' schedule is checked (a report goes out at most this long after its send hour).
    #[arg(long, env = "DIGESTS_TICK", default_value = "60s", value_parser = parse_duration)]
    pub digests_tick: Duration,
    /// SMTP relay for the reports' e-mails (STARTTLS is required). Without it reports go only to chat webhooks.
    #[arg(long, env = "SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP submission port.
    #[arg(long, env = "SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// SMTP user (AUTH PLAIN or LOGIN).
    #[arg(long, env = "SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender of the reports, e.g. `Support reports <reports@example.com>`.
    #[arg(long, env = "SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// PEM file of an extra root certificate for the relay (a private CA); the system's roots are always trusted.
    #[arg(long, env = "SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Longest SMTP conversation.
    #[arg(long, env = "SMTP_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub smtp_timeout: Duration,
    /// Longest chat-webhook POST.
    #[arg(long, env = "DIGEST_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub digest_webhook_timeout: Duration,
}

impl DigestArgs {
    /// The relay, when SMTP_HOST is set; checked at startup so a typo fails the service, not every delivery.
    pub fn email_sender(&self) -> Result<Option<EmailSender>, SmtpConfigError> {
        let Some(host) = &self.smtp_host else {
            return Ok(None);
        };
        let config = SmtpConfig {
            host: host.clone(),
            port: self.smtp_port,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone().map(Secret::new),
            from: self.smtp_from.clone().unwrap_or_default(),
            ca_file: self.smtp_ca_file.clone(),
            timeout: self.smtp_timeout,
        };
        EmailSender::new(&config).map(Some)
    }
}

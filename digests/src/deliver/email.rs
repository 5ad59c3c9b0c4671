//! E-mail over SMTP with lettre: STARTTLS is required (no credentials or report ever cross in clear) and the
//! server's certificate is verified, against the system's roots or an extra CA file (a private relay, the tests).

use std::path::PathBuf;
use std::time::Duration;

use infra::Secret;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Failure;

/// The service's SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    /// PEM file of an extra root certificate the relay's certificate may chain to.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("SMTP_FROM `{0}` is not an e-mail address")]
    From(String),
    #[error("SMTP_CA_FILE {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("SMTP TLS setup: {0}")]
    Tls(String),
    #[error("SMTP_USERNAME and SMTP_PASSWORD go together")]
    Credentials,
}

/// Sends reports through one relay.
#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSender")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl EmailSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        let mut tls = TlsParameters::builder(config.host.clone());
        if let Some(path) = &config.ca_file {
            let ca_error = |message: String| SmtpConfigError::CaFile {
                path: path.display().to_string(),
                message,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| ca_error(e.to_string()))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| SmtpConfigError::Tls(e.to_string()))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(Tls::Required(tls))
            .timeout(Some(config.timeout));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder
                    .credentials(Credentials::new(user.clone(), password.expose().to_owned()))
                    .authentication(vec![Mechanism::Plain, Mechanism::Login]);
            }
            (None, None) => {}
            _ => return Err(SmtpConfigError::Credentials),
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// One message to every recipient: the Markdown as text/plain, an HTML rendering as the alternative.
    pub async fn send(
        &self,
        recipients: &[String],
        subject: &str,
        markdown: &str,
    ) -> Result<(), Failure> {
        let mut message = Message::builder().from(self.from.clone()).subject(subject);
        for r in recipients {
            let to: Mailbox = r
                .parse()
                .map_err(|e| Failure::Permanent(format!("recipient `{r}`: {e}")))?;
            message = message.to(to);
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(markdown.to_owned()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(crate::render::html(markdown)),
            );
        let message = message
            .multipart(body)
            .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // A 5xx answer (unknown mailbox, refused sender) will not change by retrying; the rest may.
            Err(e) if e.is_permanent() => Err(Failure::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(Failure::Transient(format!("SMTP: {e}"))),
        }
    }
}

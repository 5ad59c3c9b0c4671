//! A tenant's report settings: which reports, when, to whom. The chat webhook URL is sealed at rest like the
//! tenant's API token (anyone holding a Slack or Mattermost incoming-webhook URL can post to the channel).

use deadpool_postgres::Pool;
use infra::{Secret, SecretBox};

use crate::period::Kind;
use crate::DigestError;

#[derive(Debug, Clone, PartialEq)]
pub struct DigestSettings {
    pub daily: bool,
    pub weekly: bool,
    /// Local hour (0-23) after which the previous day's or week's report is generated.
    pub send_hour: u32,
    /// E-mail addresses (`name@example.com` or `Name <name@example.com>`).
    pub recipients: Vec<String>,
    /// Slack/Mattermost-compatible incoming webhook.
    pub webhook_url: Option<Secret>,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            daily: false,
            weekly: false,
            send_hour: 8,
            recipients: Vec::new(),
            webhook_url: None,
        }
    }
}

/// A setting that cannot be stored, naming the field.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidSetting {
    pub field: &'static str,
    pub message: String,
}

impl DigestSettings {
    pub fn kinds(&self) -> Vec<Kind> {
        let mut kinds = Vec::new();
        if self.daily {
            kinds.push(Kind::Daily);
        }
        if self.weekly {
            kinds.push(Kind::Weekly);
        }
        kinds
    }

    /// Checks every field, so a bad address or URL is refused when typed rather than at the first delivery.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let bad = |field, message: String| Err(InvalidSetting { field, message });
        if self.send_hour > 23 {
            return bad(
                "send_hour",
                format!("{} is not an hour (0-23)", self.send_hour),
            );
        }
        for r in &self.recipients {
            if let Err(e) = r.parse::<lettre::message::Mailbox>() {
                return bad("recipients", format!("`{r}` is not an e-mail address: {e}"));
            }
        }
        if let Some(url) = &self.webhook_url {
            match reqwest::Url::parse(url.expose()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return bad("webhook_url", "must be an http(s) URL".into()),
            }
        }
        Ok(())
    }
}

/// Reads and writes `digest_settings`.
#[derive(Clone, Debug)]
pub struct SettingsStore {
    pool: Pool,
    secrets: SecretBox,
}

fn context(tenant: &str) -> String {
    format!("{tenant}/digest_webhook_url")
}

impl SettingsStore {
    pub fn new(pool: Pool, secrets: SecretBox) -> Self {
        Self { pool, secrets }
    }

    pub async fn put(&self, tenant: &str, s: &DigestSettings) -> Result<(), DigestError> {
        s.validate().map_err(DigestError::Invalid)?;
        let sealed = s
            .webhook_url
            .as_ref()
            .map(|u| self.secrets.seal(&context(tenant), u.expose()));
        let hour = i16::try_from(s.send_hour).unwrap_or(0);
        let client = self.pool.get().await.map_err(infra::db::DbError::from)?;
        client
            .execute(
                "INSERT INTO digest_settings (tenant, daily, weekly, send_hour, recipients, webhook_url_enc)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (tenant) DO UPDATE SET daily = $2, weekly = $3, send_hour = $4, recipients = $5,
                     webhook_url_enc = $6, updated_at = now()",
                &[&tenant, &s.daily, &s.weekly, &hour, &s.recipients, &sealed],
            )
            .await
            .map_err(infra::db::DbError::from)?;
        Ok(())
    }

    pub async fn get(&self, tenant: &str) -> Result<Option<DigestSettings>, DigestError> {
        let client = self.pool.get().await.map_err(infra::db::DbError::from)?;
        let row = client
            .query_opt(
                "SELECT daily, weekly, send_hour, recipients, webhook_url_enc FROM digest_settings
                 WHERE tenant = $1",
                &[&tenant],
            )
            .await
            .map_err(infra::db::DbError::from)?;
        row.map(|row| self.decode(tenant, &row)).transpose()
    }

    /// Tenants with at least one kind of report enabled, in id order.
    pub async fn enabled(&self) -> Result<Vec<(String, DigestSettings)>, DigestError> {
        let client = self.pool.get().await.map_err(infra::db::DbError::from)?;
        let rows = client
            .query(
                "SELECT daily, weekly, send_hour, recipients, webhook_url_enc, tenant FROM digest_settings
                 WHERE daily OR weekly ORDER BY tenant",
                &[],
            )
            .await
            .map_err(infra::db::DbError::from)?;
        rows.iter()
            .map(|row| {
                let tenant: String = row.get(5);
                let settings = self.decode(&tenant, row)?;
                Ok((tenant, settings))
            })
            .collect()
    }

    fn decode(
        &self,
        tenant: &str,
        row: &tokio_postgres::Row,
    ) -> Result<DigestSettings, DigestError> {
        let webhook_url = row
            .get::<_, Option<&str>>(4)
            .map(|sealed| self.secrets.open(&context(tenant), sealed))
            .transpose()
            .map_err(|source| DigestError::Crypto {
                tenant: tenant.to_owned(),
                source,
            })?
            .map(Secret::new);
        Ok(DigestSettings {
            daily: row.get(0),
            weekly: row.get(1),
            send_hour: u32::try_from(row.get::<_, i16>(2)).unwrap_or(0),
            recipients: row.get(3),
            webhook_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_bad_field() {
        let ok = DigestSettings {
            daily: true,
            recipients: vec!["Lead <lead@example.com>".into(), "ops@example.com".into()],
            webhook_url: Some(Secret::new("https://chat.example.com/hooks/abc")),
            ..DigestSettings::default()
        };
        assert!(ok.validate().is_ok());
        let hour = DigestSettings {
            send_hour: 24,
            ..ok.clone()
        };
        assert_eq!(hour.validate().err().map(|e| e.field), Some("send_hour"));
        let address = DigestSettings {
            recipients: vec!["not an address".into()],
            ..ok.clone()
        };
        assert_eq!(
            address.validate().err().map(|e| e.field),
            Some("recipients")
        );
        let url = DigestSettings {
            webhook_url: Some(Secret::new("ftp://chat.example.com/x")),
            ..ok
        };
        assert_eq!(url.validate().err().map(|e| e.field), Some("webhook_url"));
    }
}

//! The reports against real PostgreSQL (a scratch database per test), a real SMTP server (aiosmtpd) and a local
//! chat-webhook receiver.

mod analytics;
mod email;
mod replicas;
mod snapshot;
mod webhook;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use digests::figures::{Count, PeriodFigures};
use digests::{Digests, EmailSender, FiguresSource, SourceError};
use infra::SecretBox;

pub const TENANT: &str = "acme";

/// A scratch database with one tenant, dropped at the end.
pub struct Db {
    pub pool: infra::db::Pool,
    pub secrets: SecretBox,
    admin: String,
    name: String,
}

impl Db {
    pub async fn new() -> Self {
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("digests_{}", uuid::Uuid::new_v4().simple());
        let (scheme, rest) = admin.split_once("://").unwrap_or(("postgres", &admin));
        let authority = rest.split('/').next().unwrap_or(rest);
        let url = format!("{scheme}://{authority}/{name}");
        let pool = infra::db::connect_and_migrate(&url, 8)
            .await
            .expect("test database (is PostgreSQL running? see TEST_DATABASE_URL)");
        let secrets = SecretBox::from_base64(&SecretBox::generate_key()).expect("key");
        infra::TenantStore::new(pool.clone(), secrets.clone())
            .upsert(&infra::tenants::NewTenant {
                id: infra::TenantId::parse(TENANT).expect("tenant id"),
                chatwoot_base_url: "http://127.0.0.1:9".into(),
                account_id: 1,
                api_token: "token".into(),
                webhook_secret: None,
                allow_unsigned: true,
                settings: None,
            })
            .await
            .expect("tenant");
        Self {
            pool,
            secrets,
            admin,
            name,
        }
    }

    /// A replica: its own pool (its own connections), like another process.
    pub async fn replica<S: FiguresSource>(
        &self,
        source: S,
        email: Option<EmailSender>,
    ) -> Digests<S> {
        let url = format!(
            "{}/{}",
            self.admin
                .rsplit_once('/')
                .map_or(self.admin.as_str(), |(a, _)| a),
            self.name
        );
        let pool = infra::db::pool(&url, 4).expect("replica pool");
        Digests::new(
            pool,
            self.secrets.clone(),
            source,
            email,
            Duration::from_secs(5),
        )
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let client = self.pool.get().await.expect("connection");
        client.query_one(sql, &[]).await.expect(sql).get(0)
    }

    pub async fn drop_database(self) {
        self.pool.close();
        if let Ok((client, connection)) =
            tokio_postgres::connect(&self.admin, tokio_postgres::NoTls).await
        {
            tokio::spawn(connection);
            let _ = client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .await;
        }
    }
}

/// Fixed figures per period start; counts how often figures were read, to show a period was computed once.
#[derive(Clone, Default)]
pub struct FixedSource {
    pub tz: Option<Tz>,
    pub by_start: Arc<HashMap<DateTime<Utc>, PeriodFigures>>,
    pub reads: Arc<AtomicUsize>,
}

impl FiguresSource for FixedSource {
    async fn timezone(&self, _tenant: &str) -> Result<Tz, SourceError> {
        Ok(self.tz.unwrap_or(chrono_tz::Europe::Berlin))
    }

    async fn figures(
        &self,
        _tenant: &str,
        since: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> Result<PeriodFigures, SourceError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        // Widen the window in which two replicas could both compute, if the claim did not stop them.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(self.by_start.get(&since).cloned().unwrap_or_default())
    }
}

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// A busy day: 42 conversations, slower first responses than the day before, billing doubled.
pub fn busy_day() -> PeriodFigures {
    let mut f = PeriodFigures {
        conversations: 42,
        incoming_messages: 160,
        outgoing_messages: 151,
        resolutions: 35,
        bot_resolutions: 6,
        bot_handoffs: 9,
        ..PeriodFigures::default()
    };
    f.first_response = digests::figures::Durations {
        count: 30,
        avg: Some(840.0),
        p50: Some(540.0),
        p90: Some(2700.0),
    };
    f.reply_time.count = 50;
    f.reply_time.p90 = Some(1500.0);
    f.resolution_time.count = 35;
    f.resolution_time.p50 = Some(7200.0);
    f.csat = digests::figures::Csat {
        surveys_sent: 20,
        responses: 10,
        score: Some(70.0),
    };
    f.bot = digests::figures::Bot {
        drafts: 18,
        approved: 9,
        edited: 3,
        rejected: 4,
        stale: 2,
        auto: 5,
        escalations: 3,
        sla_breaches: 6,
    };
    f.deliveries.sent = 120;
    f.deliveries.retried = 2;
    f.categories = vec![
        Count {
            key: "billing".into(),
            count: 14,
        },
        Count {
            key: "shipping".into(),
            count: 9,
        },
    ];
    f.peak_hours[1][10] = 8;
    f.peak_hours[1][14] = 11;
    f.peak_hours[1][15] = 6;
    f
}

pub fn quiet_day() -> PeriodFigures {
    let mut f = PeriodFigures {
        conversations: 30,
        incoming_messages: 120,
        outgoing_messages: 118,
        resolutions: 28,
        bot_resolutions: 5,
        bot_handoffs: 7,
        ..PeriodFigures::default()
    };
    f.first_response = digests::figures::Durations {
        count: 25,
        avg: Some(600.0),
        p50: Some(420.0),
        p90: Some(1800.0),
    };
    f.csat = digests::figures::Csat {
        surveys_sent: 18,
        responses: 9,
        score: Some(88.9),
    };
    f.categories = vec![
        Count {
            key: "shipping".into(),
            count: 8,
        },
        Count {
            key: "billing".into(),
            count: 7,
        },
    ];
    f
}

/// Turns on the daily report for the test tenant.
pub async fn enable(
    digests: &Digests<impl FiguresSource>,
    recipients: &[&str],
    webhook: Option<String>,
) {
    digests
        .settings()
        .put(
            TENANT,
            &digests::DigestSettings {
                daily: true,
                weekly: false,
                send_hour: 8,
                recipients: recipients.iter().map(|r| r.to_string()).collect(),
                webhook_url: webhook.map(infra::Secret::new),
            },
        )
        .await
        .expect("settings");
}

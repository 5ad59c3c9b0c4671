//! The tenant registry: each tenant is one Chatwoot account with its API token and webhook secret.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::RwLock;

use crate::crypto::{CryptoError, SecretBox};
use crate::db::DbError;
pub use crate::platform::{Platform, UnknownPlatform};

/// A tenant id: it appears in URLs and NATS subjects, so it is restricted to `[a-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

#[derive(Debug, thiserror::Error)]
#[error("tenant id `{0}` must be 1-64 characters of a-z, 0-9, '-' or '_'")]
pub struct InvalidTenantId(pub String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<Self, InvalidTenantId> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidTenantId(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret value that never shows in `Debug`, `Display` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The only way to read the value; grep for it to audit where secrets go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A tenant as the services use it, secrets decrypted.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    /// Chatwoot's FRONTEND_URL, without a trailing slash.
    pub chatwoot_base_url: String,
    pub account_id: u64,
    pub api_token: Secret,
    pub webhook_secret: Option<Secret>,
    pub allow_unsigned: bool,
    /// Responder, rules and other per-tenant settings (JSON object).
    pub settings: serde_json::Value,
    /// Where its conversations live. For platforms other than Chatwoot, `chatwoot_base_url` is the platform's
    /// API base (or the generic outgoing webhook's URL), `api_token` its access token and `webhook_secret` what
    /// its webhooks are verified with (see README, "Other platforms").
    pub platform: Platform,
    /// The platform's non-secret settings (JSON object): Intercom `admin_id`, Zendesk `email`, Freshchat
    /// `agent_id`, the generic outgoing webhook's `headers`, `timeout_ms`, `retries` and `active`.
    pub platform_config: serde_json::Value,
    /// The generic outgoing webhook's Standard Webhooks signing secret (`whsec_…`).
    pub signing_secret: Option<Secret>,
}

/// A tenant's platform and its settings, written apart from [`NewTenant`] so that seeding a tenant from the
/// environment never resets them.
#[derive(Clone)]
pub struct PlatformSettings {
    pub platform: Platform,
    pub config: serde_json::Value,
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSettings")
            .field("platform", &self.platform)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A tenant to add or update, secrets in clear (as typed by the operator).
#[derive(Clone)]
pub struct NewTenant {
    pub id: TenantId,
    pub chatwoot_base_url: String,
    pub account_id: u64,
    pub api_token: String,
    pub webhook_secret: Option<String>,
    pub allow_unsigned: bool,
    /// `None` keeps the stored settings (a tenant seeded from the environment must not wipe them).
    pub settings: Option<serde_json::Value>,
}

impl std::fmt::Debug for NewTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTenant")
            .field("id", &self.id)
            .field("chatwoot_base_url", &self.chatwoot_base_url)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("tenant {tenant}: {source}")]
    Crypto {
        tenant: String,
        #[source]
        source: CryptoError,
    },
    #[error("tenant {0}: stored account id is negative")]
    Corrupt(String),
    #[error("tenant {tenant}: {source}")]
    Platform {
        tenant: String,
        #[source]
        source: UnknownPlatform,
    },
}

impl From<tokio_postgres::Error> for TenantError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(DbError::Postgres(error))
    }
}

impl From<deadpool_postgres::PoolError> for TenantError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Db(DbError::Pool(error))
    }
}

/// Reads and writes tenants in PostgreSQL, sealing secrets on the way in.
#[derive(Clone, Debug)]
pub struct TenantStore {
    pool: Pool,
    secrets: SecretBox,
}

const COLUMNS: &str =
    "id, chatwoot_base_url, account_id, api_token_enc, webhook_secret_enc, allow_unsigned, \
                       settings, platform, platform_config, signing_secret_enc";

impl TenantStore {
    pub fn new(pool: Pool, secrets: SecretBox) -> Self {
        Self { pool, secrets }
    }

    pub async fn upsert(&self, tenant: &NewTenant) -> Result<(), TenantError> {
        let id = tenant.id.as_str();
        let token = self
            .secrets
            .seal(&format!("{id}/api_token"), &tenant.api_token);
        let secret = tenant
            .webhook_secret
            .as_deref()
            .map(|s| self.secrets.seal(&format!("{id}/webhook_secret"), s));
        let account_id = i64::try_from(tenant.account_id).unwrap_or(i64::MAX);
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO tenants (id, chatwoot_base_url, account_id, api_token_enc, webhook_secret_enc,
                                      allow_unsigned, settings)
                 VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb))
                 ON CONFLICT (id) DO UPDATE SET chatwoot_base_url = $2, account_id = $3, api_token_enc = $4,
                     webhook_secret_enc = $5, allow_unsigned = $6,
                     settings = COALESCE($7, tenants.settings), updated_at = now()",
                &[
                    &id,
                    &tenant.chatwoot_base_url.trim_end_matches('/'),
                    &account_id,
                    &token,
                    &secret,
                    &tenant.allow_unsigned,
                    &tenant.settings,
                ],
            )
            .await?;
        Ok(())
    }

    /// Changes only the API token (after a rotation in Chatwoot).
    pub async fn set_api_token(&self, id: &TenantId, token: &str) -> Result<bool, TenantError> {
        let sealed = self.secrets.seal(&format!("{id}/api_token"), token);
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE tenants SET api_token_enc = $2, updated_at = now() WHERE id = $1",
                &[&id.as_str(), &sealed],
            )
            .await?;
        Ok(n == 1)
    }

    /// Sets the tenant's platform and its settings; false when there is no such tenant.
    pub async fn set_platform(
        &self,
        id: &TenantId,
        settings: &PlatformSettings,
    ) -> Result<bool, TenantError> {
        let sealed = settings
            .signing_secret
            .as_deref()
            .map(|s| self.secrets.seal(&format!("{id}/signing_secret"), s));
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE tenants SET platform = $2, platform_config = $3, signing_secret_enc = $4, updated_at = now()
                 WHERE id = $1",
                &[
                    &id.as_str(),
                    &settings.platform.as_str(),
                    &settings.config,
                    &sealed,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Tenant>, TenantError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"),
                &[&id],
            )
            .await?;
        row.map(|row| self.decode(&row)).transpose()
    }

    pub async fn list(&self) -> Result<Vec<Tenant>, TenantError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(&format!("SELECT {COLUMNS} FROM tenants ORDER BY id"), &[])
            .await?;
        rows.iter().map(|row| self.decode(row)).collect()
    }

    pub async fn delete(&self, id: &str) -> Result<bool, TenantError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute("DELETE FROM tenants WHERE id = $1", &[&id])
            .await?
            == 1)
    }

    fn decode(&self, row: &tokio_postgres::Row) -> Result<Tenant, TenantError> {
        let id: String = row.get(0);
        let open = |field: &str, sealed: &str| {
            self.secrets
                .open(&format!("{id}/{field}"), sealed)
                .map(Secret::new)
                .map_err(|source| TenantError::Crypto {
                    tenant: id.clone(),
                    source,
                })
        };
        let api_token = open("api_token", row.get::<_, &str>(3))?;
        let webhook_secret = row
            .get::<_, Option<&str>>(4)
            .map(|sealed| open("webhook_secret", sealed))
            .transpose()?;
        let signing_secret = row
            .get::<_, Option<&str>>(9)
            .map(|sealed| open("signing_secret", sealed))
            .transpose()?;
        let account_id =
            u64::try_from(row.get::<_, i64>(2)).map_err(|_| TenantError::Corrupt(id.clone()))?;
        let platform = Platform::parse(row.get(7)).map_err(|source| TenantError::Platform {
            tenant: id.clone(),
            source,
        })?;
        Ok(Tenant {
            id: TenantId(id.clone()),
            chatwoot_base_url: row.get(1),
            account_id,
            api_token,
            webhook_secret,
            allow_unsigned: row.get(5),
            settings: row.get(6),
            platform,
            platform_config: row.get(8),
            signing_secret,
        })
    }
}

/// When a lookup was made, and what it found (absence is cached too, against probing).
#[derive(Debug)]
struct CachedTenant {
    fetched: Instant,
    tenant: Option<Arc<Tenant>>,
    /// One caller refreshes an expired entry; the others keep using it meanwhile instead of all querying
    /// PostgreSQL at the same moment (and all taking a pooled connection for it).
    refreshing: AtomicBool,
}

/// A read-through cache so the hot paths do not query PostgreSQL per message. Entries live `ttl`, which bounds
/// (plus the one refresh query) how long a changed token or secret takes to reach every replica.
#[derive(Debug)]
pub struct TenantCache {
    store: TenantStore,
    ttl: Duration,
    entries: RwLock<HashMap<String, Arc<CachedTenant>>>,
}

impl TenantCache {
    pub fn new(store: TenantStore, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &TenantStore {
        &self.store
    }

    pub async fn get(&self, id: &str) -> Result<Option<Arc<Tenant>>, TenantError> {
        let cached = self.entries.read().await.get(id).cloned();
        if let Some(cached) = &cached {
            if cached.fetched.elapsed() < self.ttl || cached.refreshing.swap(true, Ordering::AcqRel)
            {
                return Ok(cached.tenant.clone());
            }
        }
        let tenant = match self.store.get(id).await {
            Ok(tenant) => tenant.map(Arc::new),
            Err(error) => {
                if let Some(cached) = cached {
                    cached.refreshing.store(false, Ordering::Release);
                }
                return Err(error);
            }
        };
        let mut entries = self.entries.write().await;
        // Bound the memory an attacker can make us use by probing random tenant ids.
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(
            id.to_owned(),
            Arc::new(CachedTenant {
                fetched: Instant::now(),
                tenant: tenant.clone(),
                refreshing: AtomicBool::new(false),
            }),
        );
        Ok(tenant)
    }

    /// Forget cached entries, e.g. after a redrive that follows a token rotation.
    pub async fn invalidate(&self) {
        self.entries.write().await.clear();
    }
}

//! Per-tenant API keys of the API service: `cwk_<id>_<secret>`, created and revoked with `cwctl api-keys`,
//! shown once. Only the SHA-256 of the secret is stored, so a copy of the database holds no usable key; the id
//! finds the row by its primary key and the secret is compared in constant time.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::DbError;

const PREFIX: &str = "cwk";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// A key as stored (never its secret).
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new key: the whole token is in `token`, shown once.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub token: String,
}

/// The id and secret of a token, if it has the key's shape.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let mut parts = token.splitn(3, '_');
    let (prefix, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (prefix == PREFIX && hex(id, 16) && hex(secret, 64)).then_some((id, secret))
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn row_to_key(row: &tokio_postgres::Row) -> Result<ApiKey, DbError> {
    let scope: &str = row.get("scope");
    Ok(ApiKey {
        id: row.get("id"),
        tenant: row.get("tenant"),
        name: row.get("name"),
        // The table's CHECK admits only these two.
        scope: Scope::parse(scope).unwrap_or(Scope::Read),
        created_at: row.get("created_at"),
        revoked_at: row.get("revoked_at"),
        last_used_at: row.get("last_used_at"),
    })
}

/// Creates a key for `tenant` (which must exist: the foreign key refuses others).
pub async fn create(
    pool: &Pool,
    tenant: &str,
    name: &str,
    scope: Scope,
) -> Result<CreatedKey, DbError> {
    let id = random_hex(8);
    let secret = random_hex(32);
    let client = pool.get().await?;
    let row = client
        .query_one(
            "INSERT INTO api_keys (id, tenant, name, secret_hash, scope) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, tenant, name, scope, created_at, revoked_at, last_used_at",
            &[&id, &tenant, &name, &hash(&secret), &scope.as_str()],
        )
        .await?;
    Ok(CreatedKey {
        key: row_to_key(&row)?,
        token: format!("{PREFIX}_{id}_{secret}"),
    })
}

/// Every key of a tenant (or of all tenants), oldest first.
pub async fn list(pool: &Pool, tenant: Option<&str>) -> Result<Vec<ApiKey>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, tenant, name, scope, created_at, revoked_at, last_used_at FROM api_keys
             WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, created_at, id",
            &[&tenant],
        )
        .await?;
    rows.iter().map(row_to_key).collect()
}

/// Revokes a key at once; returns whether a key that was not revoked yet was found.
pub async fn revoke(pool: &Pool, id: &str) -> Result<bool, DbError> {
    let client = pool.get().await?;
    Ok(client
        .execute(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?
        == 1)
}

/// The key a token belongs to, if the token is one of our keys, its secret matches and it is not revoked.
pub async fn verify(
    client: &impl deadpool_postgres::GenericClient,
    token: &str,
) -> Result<Option<ApiKey>, DbError> {
    let Some((id, secret)) = parse_token(token) else {
        return Ok(None);
    };
    let statement = client
        .prepare_cached(
            "SELECT id, tenant, name, scope, created_at, revoked_at, last_used_at, secret_hash FROM api_keys
             WHERE id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&id]).await? else {
        return Ok(None);
    };
    let stored: &[u8] = row.get("secret_hash");
    if !bool::from(stored.ct_eq(&hash(secret))) {
        return Ok(None);
    }
    let key = row_to_key(&row)?;
    Ok(key.revoked_at.is_none().then_some(key))
}

/// A key by id, unless revoked (a console session names the key it was opened with).
pub async fn by_id(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Option<ApiKey>, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT id, tenant, name, scope, created_at, revoked_at, last_used_at FROM api_keys WHERE id = $1",
        )
        .await?;
    match client.query_opt(&statement, &[&id]).await? {
        Some(row) => {
            let key = row_to_key(&row)?;
            Ok(key.revoked_at.is_none().then_some(key))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_only_in_their_shape() {
        let token = format!("cwk_{}_{}", "a".repeat(16), "0".repeat(64));
        assert_eq!(
            parse_token(&token),
            Some(("aaaaaaaaaaaaaaaa", "0".repeat(64).as_str()))
        );
        assert_eq!(parse_token("cwk_abc_def"), None);
        assert_eq!(parse_token(&token.replace("cwk", "cwx")), None);
        assert_eq!(parse_token(&format!("{token}_")), None);
        assert_eq!(Scope::parse("write"), Some(Scope::Write));
        assert_eq!(Scope::parse("admin"), None);
    }
}

//! The support platform a tenant lives on, and the numeric ids the pipeline gives conversations whose platform
//! names them otherwise.

use deadpool_postgres::Pool;

use crate::db::DbError;

/// A closed set: it is a metrics label and a path segment (`/webhooks/{platform}/{tenant}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Platform {
    #[default]
    Chatwoot,
    /// Any product that can POST JSON and receive a signed webhook back.
    Generic,
    Intercom,
    Zendesk,
    Freshchat,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown platform `{0}` (expected chatwoot, generic, intercom, zendesk or freshchat)")]
pub struct UnknownPlatform(pub String);

impl Platform {
    pub const ALL: [Platform; 5] = [
        Self::Chatwoot,
        Self::Generic,
        Self::Intercom,
        Self::Zendesk,
        Self::Freshchat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chatwoot => "chatwoot",
            Self::Generic => "generic",
            Self::Intercom => "intercom",
            Self::Zendesk => "zendesk",
            Self::Freshchat => "freshchat",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownPlatform> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| UnknownPlatform(raw.to_owned()))
    }

    /// Intercom conversations and Zendesk tickets are numbered: their number is the pipeline's conversation id.
    /// The others go through [`conversation_id`].
    pub fn numeric_ids(self) -> bool {
        matches!(self, Self::Chatwoot | Self::Intercom | Self::Zendesk)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pipeline's id of a conversation the platform calls `external_id`: the same for every webhook of it, on
/// every replica (the unique key decides, not a read before the write).
pub async fn conversation_id(
    pool: &Pool,
    tenant: &str,
    platform: Platform,
    external_id: &str,
) -> Result<u64, DbError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "INSERT INTO platform_conversations (tenant, platform, external_id) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, platform, external_id) DO UPDATE SET external_id = EXCLUDED.external_id
             RETURNING id",
            &[&tenant, &platform.as_str(), &external_id],
        )
        .await?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
}

/// The platform's own id of the pipeline's conversation `id` (the way back of [`conversation_id`]); `None`
/// when no webhook ever named it.
pub async fn external_conversation(
    pool: &Pool,
    tenant: &str,
    platform: Platform,
    id: u64,
) -> Result<Option<String>, DbError> {
    if platform.numeric_ids() {
        return Ok(Some(id.to_string()));
    }
    let client = pool.get().await?;
    let id = i64::try_from(id).unwrap_or(i64::MAX);
    let row = client
        .query_opt(
            "SELECT external_id FROM platform_conversations WHERE tenant = $1 AND platform = $2 AND id = $3",
            &[&tenant, &platform.as_str(), &id],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for platform in Platform::ALL {
            assert_eq!(Platform::parse(platform.as_str()).ok(), Some(platform));
        }
        assert!(Platform::parse("slack").is_err());
        assert_eq!(Platform::default(), Platform::Chatwoot);
    }
}

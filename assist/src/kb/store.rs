//! Articles in PostgreSQL, keyed by (tenant, external id): an import adds new articles, updates changed ones
//! in place, leaves identical ones untouched and, when asked to prune, removes those the source no longer has.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::Article;

/// What an import did, by article id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
}

/// Imports `articles` for `tenant`. Run it in a transaction so a failed import changes nothing.
pub async fn import(
    client: &impl GenericClient,
    tenant: &str,
    articles: &[Article],
    prune: bool,
) -> Result<ImportReport, tokio_postgres::Error> {
    // The WHERE makes an identical row a no-op that returns nothing; `xmax = 0` tells an insert from an update.
    let upsert = client
        .prepare(
            "INSERT INTO kb_articles (tenant, external_id, title, body, language, url)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant, external_id) DO UPDATE SET
                 title = EXCLUDED.title, body = EXCLUDED.body, language = EXCLUDED.language,
                 url = EXCLUDED.url, updated_at = now()
             WHERE (kb_articles.title, kb_articles.body, kb_articles.language, kb_articles.url)
                   IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.body, EXCLUDED.language, EXCLUDED.url)
             RETURNING xmax = 0",
        )
        .await?;
    let mut report = ImportReport::default();
    for article in articles {
        let row = client
            .query_opt(
                &upsert,
                &[
                    &tenant,
                    &article.id,
                    &article.title,
                    &article.body,
                    &article.language,
                    &article.url,
                ],
            )
            .await?;
        let bucket = match row.map(|r| r.get::<_, bool>(0)) {
            Some(true) => &mut report.added,
            Some(false) => &mut report.updated,
            None => &mut report.unchanged,
        };
        bucket.push(article.id.clone());
    }
    if prune {
        let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
        let rows = client
            .query(
                "DELETE FROM kb_articles WHERE tenant = $1 AND NOT (external_id = ANY($2))
                 RETURNING external_id",
                &[&tenant, &ids],
            )
            .await?;
        report.removed = rows.iter().map(|r| r.get(0)).collect();
        report.removed.sort();
    }
    Ok(report)
}

/// An article as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredArticle {
    pub id: String,
    pub language: String,
    pub title: String,
    pub url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn list(
    client: &impl GenericClient,
    tenant: &str,
) -> Result<Vec<StoredArticle>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT external_id, language, title, url, updated_at FROM kb_articles
             WHERE tenant = $1 ORDER BY language, external_id",
            &[&tenant],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| StoredArticle {
            id: row.get(0),
            language: row.get(1),
            title: row.get(2),
            url: row.get(3),
            updated_at: row.get(4),
        })
        .collect())
}

//! The first-reply SLA watch: a conversation whose customer has waited longer than the tenant's
//! `first_reply_sla` for a public reply from a person gets a label and a private note, once.
//!
//! Every worker replica runs the watch. Exactly one acts per conversation: the breach is claimed with an
//! `UPDATE … WHERE sla_breached_at IS NULL` over rows locked `FOR UPDATE SKIP LOCKED`, and an `sla_breached`
//! event (with a deterministic id) is published on the conversation's partition before that claim commits, so a
//! crash in between only repeats a publish that JetStream and the worker's ledger drop. The worker then labels the
//! conversation and notes the breach like any event, in the conversation's order.
//!
//! Conversations known only from history (`cwctl backfill`, `live_since IS NULL`) are left alone: history is
//! recorded, never acted on.

use std::sync::Arc;
use std::time::Duration;

use proto::{ActionKind, EventEnvelope};
use tokio_util::sync::CancellationToken;

use crate::process::{ProcessError, Processor};

/// The label a breached conversation gets.
pub const SLA_LABEL: &str = "sla-breached";

/// Checks every `interval` until `shutdown`; a task for the worker's supervisor.
pub async fn watch(processor: Arc<Processor>, interval: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(error) = check_all(&processor).await {
            tracing::warn!(%error, "SLA check failed; will try again");
        }
    }
}

async fn check_all(processor: &Processor) -> Result<(), ProcessError> {
    let tenants = processor
        .tenants
        .store()
        .list()
        .await
        .map_err(|e| ProcessError::Transient(e.to_string()))?;
    for tenant in tenants {
        let sla = processor
            .brain
            .rules()
            .get(tenant.id.as_str())
            .settings
            .first_reply_sla;
        check_tenant(processor, tenant.id.as_str(), sla).await?;
    }
    Ok(())
}

async fn check_tenant(
    processor: &Processor,
    tenant: &str,
    sla: Duration,
) -> Result<(), ProcessError> {
    let mut client = processor.pool.get().await?;
    let txn = client.transaction().await?;
    let rows = txn
        .query(
            "WITH due AS (
                 SELECT conversation_id FROM conversations
                 WHERE tenant = $1 AND first_contact_at < now() - make_interval(secs => $2)
                   AND first_human_reply_at IS NULL AND sla_breached_at IS NULL
                   AND live_since IS NOT NULL
                   AND COALESCE(status, '') <> 'resolved'
                 ORDER BY first_contact_at LIMIT 100
                 FOR UPDATE SKIP LOCKED)
             UPDATE conversations c SET sla_breached_at = now()
             FROM due WHERE c.tenant = $1 AND c.conversation_id = due.conversation_id
             RETURNING c.conversation_id, c.labels, c.first_contact_at",
            &[&tenant, &sla.as_secs_f64()],
        )
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    for row in &rows {
        let conversation: i64 = row.get(0);
        let since: chrono::DateTime<chrono::Utc> = row.get(2);
        let breach = SlaBreach {
            conversation_id: u64::try_from(conversation).unwrap_or_default(),
            waiting_since_ms: since.timestamp_millis(),
            sla_secs: sla.as_secs(),
        };
        processor
            .publish_event(tenant, &breach.envelope(tenant))
            .await?;
    }
    txn.commit().await?;
    tracing::info!(
        tenant,
        conversations = rows.len(),
        "first-reply SLA breached"
    );
    Ok(())
}

/// The envelope's `event` of a breach.
pub const SLA_EVENT: &str = "sla_breached";

/// A breach the watch claimed, as an event for the worker to act on in the conversation's order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlaBreach {
    pub conversation_id: u64,
    pub waiting_since_ms: i64,
    pub sla_secs: u64,
}

impl SlaBreach {
    pub fn envelope(&self, tenant: &str) -> EventEnvelope {
        EventEnvelope {
            tenant: tenant.to_owned(),
            event: SLA_EVENT.to_owned(),
            delivery_id: String::new(),
            event_key: format!("{tenant}:sla:{}", self.conversation_id),
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            body: serde_json::to_vec(self).unwrap_or_default().into(),
            signed: true,
            conversation_id: Some(self.conversation_id),
            replay: None,
            historical: None,
        }
    }

    /// The label and the private note the breach leads to.
    pub fn actions(&self, known_labels: &[String]) -> Vec<ActionKind> {
        let since =
            chrono::DateTime::from_timestamp_millis(self.waiting_since_ms).unwrap_or_default();
        vec![
            ActionKind::AddLabels {
                labels: vec![SLA_LABEL.to_owned()],
                known_labels: known_labels.to_vec(),
            },
            ActionKind::PrivateNote {
                content: format!(
                    "First-reply SLA of {} breached: the customer has been waiting since {} and no agent has \
                     replied publicly yet.",
                    humanize(Duration::from_secs(self.sla_secs)),
                    since.format("%Y-%m-%d %H:%M UTC")
                ),
            },
        ]
    }
}

fn humanize(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s % 3600 == 0 && s > 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

//! Activity records: every step of every event (a webhook received or refused, a message triaged, a rule fired, a
//! draft created or decided, an action sent, retried, failed or dead-lettered, a handoff, an SLA breach, an API
//! command applied or refused), published on the activity stream for people and tools to follow live (the API's
//! `GET /api/v1/activity`, server-sent events) and kept as the webhook audit trail.
//!
//! Records are JSON (integrators may read the stream directly) on `{prefix}.activity.{tenant}.{conversation}.
//! {kind}`, so a reader filters by tenant, conversation and kind on the server. Each carries a deterministic id
//! used as its `Nats-Msg-Id`: a step published again (a redelivered event, a retried delivery) is stored once.

use serde::{Deserialize, Serialize};

/// What happened. A closed set: it is part of the subject, the API's filters and the console's rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// The ingress accepted a webhook (`duplicate` says whether JetStream already had it).
    WebhookReceived,
    /// The ingress refused a webhook (bad signature, unknown tenant, malformed...).
    WebhookRefused,
    /// A message was recorded: a customer's, an agent's, a private note, the bot's own echo.
    MessageRecorded,
    /// Chatwoot reported a change of the conversation (status, priority, labels, assignee, team).
    ConversationUpdated,
    /// A customer message's triage.
    Triaged,
    /// The rules that fired on a customer message.
    RuleFired,
    /// An AI answer was drafted (or, in auto mode, sent without review).
    DraftCreated,
    /// A draft was approved (as drafted or edited) or rejected, through Chatwoot or the API.
    DraftDecided,
    /// The conversation was handed to people.
    Handoff,
    /// The first-reply SLA was breached.
    SlaBreached,
    /// An API command was carried out.
    CommandApplied,
    /// An API command could not be carried out (the draft was already decided, the conversation is unknown...).
    CommandRefused,
    /// The dispatcher made the Chatwoot call for an action.
    ActionSent,
    /// A call failed for a passing reason and will be retried.
    ActionRetried,
    /// A call failed for good (a 4xx Chatwoot will keep refusing) and went to the dead letters.
    ActionFailed,
    /// A call kept failing until its attempts ran out and went to the dead letters.
    ActionDeadLettered,
}

impl ActivityKind {
    pub const ALL: [Self; 16] = [
        Self::WebhookReceived,
        Self::WebhookRefused,
        Self::MessageRecorded,
        Self::ConversationUpdated,
        Self::Triaged,
        Self::RuleFired,
        Self::DraftCreated,
        Self::DraftDecided,
        Self::Handoff,
        Self::SlaBreached,
        Self::CommandApplied,
        Self::CommandRefused,
        Self::ActionSent,
        Self::ActionRetried,
        Self::ActionFailed,
        Self::ActionDeadLettered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebhookReceived => "webhook_received",
            Self::WebhookRefused => "webhook_refused",
            Self::MessageRecorded => "message_recorded",
            Self::ConversationUpdated => "conversation_updated",
            Self::Triaged => "triaged",
            Self::RuleFired => "rule_fired",
            Self::DraftCreated => "draft_created",
            Self::DraftDecided => "draft_decided",
            Self::Handoff => "handoff",
            Self::SlaBreached => "sla_breached",
            Self::CommandApplied => "command_applied",
            Self::CommandRefused => "command_refused",
            Self::ActionSent => "action_sent",
            Self::ActionRetried => "action_retried",
            Self::ActionFailed => "action_failed",
            Self::ActionDeadLettered => "action_dead_lettered",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl std::fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step, as published on the activity stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Deterministic: the same step published twice has the same id (its `Nats-Msg-Id`).
    pub id: String,
    pub kind: ActivityKind,
    pub tenant: String,
    /// The conversation's display id; 0 when the step belongs to none (a contact event, a refused webhook).
    pub conversation_id: u64,
    /// The event this step belongs to (the worker's ledger key), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_key: Option<String>,
    /// When it happened, in milliseconds since the epoch.
    pub at_ms: i64,
    /// What the kind says: see the README's activity table. Always an object.
    pub data: serde_json::Value,
}

impl Activity {
    pub fn new(
        id: impl Into<String>,
        kind: ActivityKind,
        tenant: impl Into<String>,
        conversation_id: u64,
        data: serde_json::Value,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            tenant: tenant.into(),
            conversation_id,
            event_key: None,
            at_ms: chrono::Utc::now().timestamp_millis(),
            data,
        }
    }

    pub fn with_event_key(mut self, event_key: impl Into<String>) -> Self {
        self.event_key = Some(event_key.into());
        self
    }

    /// The subject it is published on. A tenant id that is not a valid NATS token (a refused webhook's path)
    /// goes under `_invalid`.
    pub fn subject(&self, topology: &crate::Topology) -> String {
        let tenant = if crate::TenantId::parse(&self.tenant).is_ok() {
            self.tenant.as_str()
        } else {
            "_invalid"
        };
        topology.activity_subject(tenant, self.conversation_id, self.kind.as_str())
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Publishes records without waiting for each acknowledgement in turn (they go out pipelined), then waits for
/// all of them. A record JetStream already has (same id) is acknowledged as a duplicate.
pub async fn publish(
    jetstream: &async_nats::jetstream::Context,
    topology: &crate::Topology,
    records: &[Activity],
) -> Result<(), async_nats::Error> {
    let mut acks = Vec::with_capacity(records.len());
    for record in records {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", record.id.as_str());
        acks.push(
            jetstream
                .publish_with_headers(record.subject(topology), headers, record.to_json().into())
                .await?,
        );
    }
    for ack in acks {
        ack.await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names_and_json() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ActivityKind::parse("nope"), None);
    }

    #[test]
    fn records_go_to_their_tenant_conversation_and_kind() {
        let topology = crate::Topology::new("cw");
        let record = Activity::new(
            "acme:message_created:7#triaged",
            ActivityKind::Triaged,
            "acme",
            1042,
            serde_json::json!({}),
        );
        assert_eq!(record.subject(&topology), "cw.activity.acme.1042.triaged");
        assert_eq!(
            topology.activity_filter("acme", Some(1042), None),
            "cw.activity.acme.1042.*"
        );
        assert_eq!(
            topology.activity_filter("acme", None, Some("triaged")),
            "cw.activity.acme.*.triaged"
        );
        let refused = Activity::new(
            "x",
            ActivityKind::WebhookRefused,
            "not a tenant!",
            0,
            serde_json::json!({}),
        );
        assert_eq!(
            refused.subject(&topology),
            "cw.activity._invalid.0.webhook_refused"
        );
        let back: Activity = serde_json::from_slice(&record.to_json()).expect("parses");
        assert_eq!(back, record);
    }
}

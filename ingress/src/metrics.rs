//! The ingress's metrics: webhooks by outcome and request latency.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum WebhookOutcome {
    accepted,
    /// Verified, but nothing the pipeline acts on (another platform's topic, an agent's echo).
    ignored,
    duplicate,
    unauthorized,
    unknown_tenant,
    bad_request,
    too_large,
    unsupported_media_type,
    headers_too_large,
    /// The body did not arrive within the body read timeout (408).
    timeout,
    unavailable,
    internal,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: WebhookOutcome,
}

/// The platform of a webhook on `/webhooks/{platform}/{tenant}` (`unknown` for a path naming none).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum PlatformLabel {
    generic,
    intercom,
    zendesk,
    freshchat,
    unknown,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlatformOutcome {
    pub platform: PlatformLabel,
    pub outcome: WebhookOutcome,
}

#[derive(Clone)]
pub struct IngressMetrics {
    pub webhooks: Family<OutcomeLabel, Counter>,
    /// Webhooks of the platforms other than Chatwoot (also counted in `webhooks`).
    pub platform_webhooks: Family<PlatformOutcome, Counter>,
    pub duration: Histogram,
}

impl IngressMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            webhooks: Family::default(),
            platform_webhooks: Family::default(),
            duration: infra::metrics::latency_histogram(),
        };
        registry.register(
            "webhooks_received",
            "Webhooks received, by outcome",
            metrics.webhooks.clone(),
        );
        registry.register(
            "platform_webhooks_received",
            "Webhooks of platforms other than Chatwoot, by platform and outcome",
            metrics.platform_webhooks.clone(),
        );
        registry.register(
            "webhook_request_duration_seconds",
            "Time from request to answer, including the JetStream acknowledgement",
            metrics.duration.clone(),
        );
        metrics
    }

    pub fn platform(&self, platform: Option<infra::Platform>, outcome: WebhookOutcome) {
        use infra::Platform as P;
        let platform = match platform {
            Some(P::Generic) => PlatformLabel::generic,
            Some(P::Intercom) => PlatformLabel::intercom,
            Some(P::Zendesk) => PlatformLabel::zendesk,
            Some(P::Freshchat) => PlatformLabel::freshchat,
            Some(P::Chatwoot) | None => PlatformLabel::unknown,
        };
        self.platform_webhooks
            .get_or_create(&PlatformOutcome { platform, outcome })
            .inc();
    }

    pub fn observe(&self, outcome: WebhookOutcome, seconds: f64) {
        self.webhooks.get_or_create(&OutcomeLabel { outcome }).inc();
        self.duration.observe(seconds);
    }
}

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

#[derive(Clone)]
pub struct IngressMetrics {
    pub webhooks: Family<OutcomeLabel, Counter>,
    pub duration: Histogram,
}

impl IngressMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            webhooks: Family::default(),
            duration: infra::metrics::latency_histogram(),
        };
        registry.register(
            "webhooks_received",
            "Webhooks received, by outcome",
            metrics.webhooks.clone(),
        );
        registry.register(
            "webhook_request_duration_seconds",
            "Time from request to answer, including the JetStream acknowledgement",
            metrics.duration.clone(),
        );
        metrics
    }

    pub fn observe(&self, outcome: WebhookOutcome, seconds: f64) {
        self.webhooks.get_or_create(&OutcomeLabel { outcome }).inc();
        self.duration.observe(seconds);
    }
}

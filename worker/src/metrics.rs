//! The worker's metrics: events by outcome and processing latency (plus consumer lag, from infra).

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum EventOutcome {
    acted,
    recorded,
    duplicate,
    retried,
    dead_lettered,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: EventOutcome,
}

#[derive(Clone)]
pub struct WorkerMetrics {
    pub events: Family<OutcomeLabel, Counter>,
    pub duration: Histogram,
}

impl WorkerMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            events: Family::default(),
            duration: infra::metrics::latency_histogram(),
        };
        registry.register(
            "events_processed",
            "Events handled, by outcome",
            metrics.events.clone(),
        );
        registry.register(
            "event_processing_duration_seconds",
            "Time to process one event, publish its actions included",
            metrics.duration.clone(),
        );
        metrics
    }

    pub fn observe(&self, outcome: EventOutcome, seconds: f64) {
        self.events.get_or_create(&OutcomeLabel { outcome }).inc();
        self.duration.observe(seconds);
    }
}

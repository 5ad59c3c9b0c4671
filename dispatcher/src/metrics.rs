//! The dispatcher's metrics: actions by platform, kind and outcome, and Chatwoot API latency by endpoint and status class.

use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// `Platform::as_str` of the action's tenant (`chatwoot`, `generic`, `intercom`, `zendesk`, `freshchat`), or
    /// `unknown` when the tenant cannot be looked up: a closed set.
    pub platform: &'static str,
    /// `ActionKind::name`, a closed set.
    pub kind: &'static str,
    /// `deliver::Outcome::as_str`, a closed set.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum StatusClass {
    Success,
    ClientError,
    ServerError,
    /// No HTTP response: timeout or connection failure.
    NoResponse,
}

impl EncodeLabelValue for StatusClass {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder<'_>,
    ) -> std::fmt::Result {
        use std::fmt::Write;
        encoder.write_str(match self {
            Self::Success => "2xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
            Self::NoResponse => "error",
        })
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// A route template such as `/conversations/{id}/messages`, never a concrete path.
    pub endpoint: &'static str,
    pub status_class: StatusClass,
}

#[derive(Clone)]
struct LatencyHistogram;

impl MetricConstructor<Histogram> for LatencyHistogram {
    fn new_metric(&self) -> Histogram {
        infra::metrics::latency_histogram()
    }
}

#[derive(Clone)]
pub struct DispatcherMetrics {
    actions: Family<ActionLabels, Counter>,
    requests: Family<RequestLabels, Histogram, LatencyHistogram>,
}

impl DispatcherMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            actions: Family::default(),
            requests: Family::new_with_constructor(LatencyHistogram),
        };
        registry.register(
            "actions_delivered",
            "Actions handled, by kind and outcome",
            metrics.actions.clone(),
        );
        registry.register(
            "chatwoot_request_duration_seconds",
            "Chatwoot API call latency by endpoint and status class",
            metrics.requests.clone(),
        );
        metrics
    }

    pub fn action(&self, platform: &'static str, kind: &'static str, outcome: &'static str) {
        self.actions
            .get_or_create(&ActionLabels {
                platform,
                kind,
                outcome,
            })
            .inc();
    }

    pub fn request(&self, endpoint: &'static str, status: Option<u16>, elapsed: Duration) {
        let status_class = match status {
            Some(200..=299) => StatusClass::Success,
            Some(400..=499) => StatusClass::ClientError,
            Some(500..=599) => StatusClass::ServerError,
            _ => StatusClass::NoResponse,
        };
        self.requests
            .get_or_create(&RequestLabels {
                endpoint,
                status_class,
            })
            .observe(elapsed.as_secs_f64());
    }
}

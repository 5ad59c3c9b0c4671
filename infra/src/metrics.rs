//! Prometheus metrics. Each service owns a registry (no process-global recorder, so tests that start several
//! services in one process read each one's own figures) and serves it at `/metrics`. Label values are closed
//! enums or fixed route templates, never free text.

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub use prometheus_client;

/// Latency buckets from 0.5 ms to ~16 s.
pub fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// `GET /metrics` in the Prometheus text format.
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let registry = registry.clone();
            async move {
                let mut body = String::new();
                if let Err(error) = encode(&mut body, &registry) {
                    tracing::error!(%error, "metrics encoding failed");
                }
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    body,
                )
                    .into_response()
            }
        }),
    )
}

/// Consumer lag for autoscaling dashboards: `consumer_pending_messages` and `consumer_ack_pending` per consumer,
/// refreshed from JetStream every `interval` until `shutdown`.
pub mod lag {
    use std::time::Duration;

    use async_nats::jetstream::consumer::PullConsumer;
    use prometheus_client::encoding::EncodeLabelSet;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::registry::Registry;
    use tokio_util::sync::CancellationToken;

    #[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct ConsumerLabel {
        pub consumer: String,
    }

    #[derive(Clone, Default)]
    pub struct LagGauges {
        pending: Family<ConsumerLabel, Gauge>,
        ack_pending: Family<ConsumerLabel, Gauge>,
    }

    impl LagGauges {
        pub fn register(registry: &mut Registry) -> Self {
            let gauges = Self::default();
            registry.register(
                "consumer_pending_messages",
                "Messages not yet delivered to the consumer",
                gauges.pending.clone(),
            );
            registry.register(
                "consumer_ack_pending",
                "Messages delivered but not yet acknowledged",
                gauges.ack_pending.clone(),
            );
            gauges
        }

        /// Refreshes the gauges every `interval` until `shutdown`; a task for the service's supervisor.
        /// Consumer names are fixed by the topology, so the label set stays closed.
        pub fn refresh(
            &self,
            consumers: Vec<PullConsumer>,
            interval: Duration,
            shutdown: CancellationToken,
        ) -> impl std::future::Future<Output = ()> + Send + 'static {
            let gauges = self.clone();
            async move {
                loop {
                    for consumer in &consumers {
                        let mut consumer = consumer.clone();
                        if let Ok(info) = consumer.info().await {
                            let label = ConsumerLabel {
                                consumer: info.name.clone(),
                            };
                            gauges
                                .pending
                                .get_or_create(&label)
                                .set(i64::try_from(info.num_pending).unwrap_or(i64::MAX));
                            gauges
                                .ack_pending
                                .get_or_create(&label)
                                .set(i64::try_from(info.num_ack_pending).unwrap_or(i64::MAX));
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep(interval) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
            }
        }
    }
}

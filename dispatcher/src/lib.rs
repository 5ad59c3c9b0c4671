//! The dispatcher: a durable pull consumer on the actions stream that calls Chatwoot's REST API. A PostgreSQL
//! ledger keyed by the action id makes a redelivered action a no-op; transient failures are retried with
//! exponential backoff and jitter through JetStream (nak with delay); permanent failures and exhausted retries
//! go to the dead-letter stream with the last error.

mod config;
pub mod consume;
pub mod deliver;
mod group;
pub mod ledger;
pub mod metrics;
pub mod ratelimit;
pub mod retry;
pub mod sequence;

use std::sync::Arc;

use chatwoot::ChatwootClient;
use infra::{BootstrapArgs, Supervisor, TenantCache};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;
use deliver::Deliverer;
use retry::RetryPolicy;

#[derive(Debug, thiserror::Error)]
pub enum DispatcherError {
    #[error(transparent)]
    Bootstrap(#[from] infra::BootstrapError),
    #[error(transparent)]
    Topology(#[from] infra::topology::TopologyError),
    #[error(transparent)]
    Http(#[from] chatwoot::client::BuildError),
    #[error(transparent)]
    Task(#[from] infra::TaskFailed),
}

/// Serves health on `listener` and delivers actions until `shutdown`, then drains in-flight deliveries.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), DispatcherError> {
    let infra = infra::bootstrap(BootstrapArgs {
        service: "dispatcher",
        nats: &config.nats,
        database: &config.database,
        secrets: &config.secrets,
        seed: &config.tenant,
    })
    .await?;
    let max_ack_pending = i64::try_from(config.concurrency * 4).unwrap_or(i64::MAX);
    let consumer = infra
        .topology
        .ensure_dispatcher_consumer(&infra.jetstream, config.ack_wait, max_ack_pending)
        .await?;
    // The tasks stop on `stop`: the caller's shutdown, or a task that failed for good.
    let stop = shutdown.child_token();
    let mut supervisor = Supervisor::new(
        stop.clone(),
        infra.readiness.clone(),
        config.supervision.policy(),
    );
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = metrics::DispatcherMetrics::register(&mut registry);
    let gauges = infra::metrics::lag::LagGauges::register(&mut registry);
    let lag_stop = stop.clone();
    supervisor.restarting("consumer lag gauges", move || {
        gauges.refresh(
            vec![consumer.clone()],
            std::time::Duration::from_secs(10),
            lag_stop.clone(),
        )
    });
    supervisor.critical(
        "health endpoint",
        infra::health::serve(
            listener,
            infra::health::router(infra.clone(), infra::metrics::router(Arc::new(registry))),
            stop.clone(),
        ),
    );
    let observer_metrics = metrics.clone();
    let client = ChatwootClient::new(config.http_timeout)?.with_observer(Arc::new(
        move |route, status, elapsed| {
            observer_metrics.request(route, status, elapsed);
        },
    ));
    let ledger = ledger::Ledger::new(infra.pool.clone(), config.ledger_linger);
    let deliverer = Arc::new(Deliverer {
        sequencer: sequence::Sequencer::new(ledger.clone()),
        ledger,
        tenants: Arc::new(TenantCache::new(
            infra.tenants.clone(),
            config.tenant_cache_ttl,
        )),
        client,
        metrics,
        policy: RetryPolicy {
            max_attempts: config.max_attempts,
            min_delay: config.retry_min_delay,
            max_delay: config.retry_max_delay,
        },
        lease: config.ack_wait,
        limiter: ratelimit::RateLimiter::new(infra.pool.clone(), config.rate_limit_cooldown),
        rate_per_minute: config.rate_limit_per_minute,
        platform_rate_per_minute: config.platform_rate_limit_per_minute,
        pool: infra.pool.clone(),
        jetstream: infra.jetstream.clone(),
        topology: infra.topology.clone(),
    });
    let tracker = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    tracing::info!(concurrency = config.concurrency, "dispatcher consuming");
    {
        let (infra, tracker, stop) = (infra.clone(), tracker.clone(), stop.clone());
        let (ack_wait, fetch_expires) = (config.ack_wait, config.fetch_expires);
        supervisor.restarting("fetch loop", move || {
            let (infra, deliverer, slots, tracker, stop) = (
                infra.clone(),
                deliverer.clone(),
                slots.clone(),
                tracker.clone(),
                stop.clone(),
            );
            async move {
                // Created again if it went missing.
                let consumer = match infra
                    .topology
                    .ensure_dispatcher_consumer(&infra.jetstream, ack_wait, max_ack_pending)
                    .await
                {
                    Ok(consumer) => consumer,
                    Err(error) => {
                        tracing::error!(%error, "cannot get the dispatcher's consumer");
                        return;
                    }
                };
                consume::fetch_loop(
                    infra.nats.clone(),
                    consumer,
                    deliverer,
                    slots,
                    fetch_expires,
                    tracker,
                    stop,
                )
                .await;
            }
        });
    }
    let outcome = supervisor.watch().await;
    stop.cancel();
    tracker.close();
    if tokio::time::timeout(config.drain_timeout, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("drain timeout reached; unfinished deliveries will be redelivered");
    }
    supervisor.drain(config.drain_timeout).await;
    tracing::info!("dispatcher stopped");
    outcome.map_err(DispatcherError::Task)
}

//! The worker: a durable JetStream consumer per partition, shared by any number of replicas. Each event is
//! recorded in PostgreSQL and processed at most once in effect (ledger + transactional outbox); only an
//! incoming, public message from a contact can produce a reply, so the bot never answers itself or an agent.

pub mod activity;
pub mod ai;
pub mod audit;
pub mod commands;
mod config;
pub mod consume;
pub mod contacts;
pub mod incoming;
pub mod ledger;
pub mod metrics;
mod plan;
pub mod process;
pub mod reporting;
pub mod responder;
pub mod sla;
pub mod state;
pub mod triage_llm;

use std::sync::Arc;

use infra::{BootstrapArgs, Supervisor, TenantCache};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;
use consume::LoopSettings;
use process::Processor;
use responder::{Responder, TemplateResponder};
/// The rules and the reply decision, from their own crate (`cwctl` uses them without linking the worker).
pub use rules::{self, decision as decide};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Bootstrap(#[from] infra::BootstrapError),
    #[error(transparent)]
    Topology(#[from] infra::topology::TopologyError),
    #[error(transparent)]
    Db(#[from] infra::db::DbError),
    #[error(transparent)]
    Task(#[from] infra::TaskFailed),
    #[error(transparent)]
    Smtp(#[from] digests::deliver::SmtpConfigError),
    #[error(transparent)]
    SecretsKey(#[from] infra::crypto::KeyError),
}

/// Runs the worker with the AI responder, configured per tenant (knowledge base, LLM or template; draft, auto
/// or off).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let responder = Arc::new(ai::AiResponder::new(
        TemplateResponder::new(config.reply_template.clone()),
        infra::db::pool(
            &config.database.database_url,
            config.database.database_pool_size.clamp(1, AI_POOL_SIZE),
        )?,
    ));
    run_with_responder(config, listener, shutdown, responder).await
}

/// Connections of the AI responder's own pool, on top of DATABASE_POOL_SIZE (its reads are short).
const AI_POOL_SIZE: usize = 4;

/// Runs the worker with any responder: serves health on `listener`, consumes every partition until
/// `shutdown`, then finishes in-flight events within the drain timeout.
pub async fn run_with_responder(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    responder: Arc<dyn Responder>,
) -> Result<(), WorkerError> {
    let infra = infra::bootstrap(BootstrapArgs {
        service: "worker",
        nats: &config.nats,
        database: &config.database,
        secrets: &config.secrets,
        seed: &config.tenant,
    })
    .await?;
    let consumers = infra
        .topology
        .ensure_worker_consumers(&infra.jetstream, config.ack_wait)
        .await?;
    // The tasks stop on `stop`: the caller's shutdown, or a task that failed for good.
    let stop = shutdown.child_token();
    let mut supervisor = Supervisor::new(
        stop.clone(),
        infra.readiness.clone(),
        config.supervision.policy(),
    );
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = metrics::WorkerMetrics::register(&mut registry);
    let gauges = infra::metrics::lag::LagGauges::register(&mut registry);
    let lag_stop = stop.clone();
    supervisor.restarting("consumer lag gauges", move || {
        gauges.refresh(
            consumers.clone(),
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
    let brain = Arc::new(decide::Brain::new(
        triage::Triager::default(),
        rules::RuleBook::new(config.rules_dir.clone(), config.rules_recheck),
    ));
    let processor = Arc::new(Processor::new(
        infra.pool.clone(),
        Arc::new(TenantCache::new(
            infra.tenants.clone(),
            config.tenant_cache_ttl,
        )),
        responder,
        brain,
        infra.jetstream.clone(),
        infra.topology.clone(),
    ));
    let settings = LoopSettings {
        fetch_expires: config.fetch_expires,
        retry_min_delay: config.retry_min_delay,
        retry_max_delay: config.retry_max_delay,
    };
    {
        let (processor, stop) = (processor.clone(), stop.clone());
        let interval = config.sla_check_interval;
        supervisor.restarting("SLA watch", move || {
            sla::watch(processor.clone(), interval, stop.clone())
        });
    }
    if config.digests.digests_enabled {
        // Every replica ticks: the unique key per period and the deliveries' leases keep each report once.
        let reports = digests::Digests::new(
            infra.pool.clone(),
            config.secrets.secret_box()?,
            digests::AnalyticsSource::new(infra.pool.clone()),
            config.digests.email_sender()?,
            config.digests.digest_webhook_timeout,
        );
        let (tick, stop) = (config.digests.digests_tick, stop.clone());
        supervisor.restarting("daily and weekly reports", move || {
            reports.clone().run(tick, stop.clone())
        });
    }
    for kind in [
        infra::activity::ActivityKind::WebhookReceived,
        infra::activity::ActivityKind::WebhookRefused,
    ] {
        let (infra, stop) = (infra.clone(), stop.clone());
        let fetch_expires = config.fetch_expires;
        supervisor.restarting(format!("audit recorder {kind}"), move || {
            let (infra, stop) = (infra.clone(), stop.clone());
            async move {
                match audit::consumer(&infra, kind).await {
                    Ok(consumer) => {
                        audit::record_loop(
                            infra.nats.clone(),
                            consumer,
                            infra.pool.clone(),
                            fetch_expires,
                            stop,
                        )
                        .await
                    }
                    Err(error) => tracing::error!(%error, "cannot get the audit's consumer"),
                }
            }
        });
    }
    {
        let (pool, stop) = (infra.pool.clone(), stop.clone());
        let retention = config.audit_retention;
        supervisor.restarting("audit pruning", move || {
            audit::prune_loop(
                pool.clone(),
                retention,
                std::time::Duration::from_secs(600),
                stop.clone(),
            )
        });
    }
    {
        let (pool, stop) = (infra.pool.clone(), stop.clone());
        let interval = config.analytics_compact_interval;
        supervisor.restarting("analytics compaction", move || {
            reporting::compact_loop(pool.clone(), interval, stop.clone())
        });
    }
    let batcher = consume::Batcher::spawn(
        processor.clone(),
        config.batch_max_events,
        config.batch_concurrency,
        config.batch_linger,
        &mut supervisor,
    );
    for partition in 0..infra::topology::PARTITIONS {
        let (infra, processor, batcher, settings, metrics, stop) = (
            infra.clone(),
            processor.clone(),
            batcher.clone(),
            settings.clone(),
            metrics.clone(),
            stop.clone(),
        );
        let ack_wait = config.ack_wait;
        supervisor.restarting(infra.topology.worker_consumer(partition), move || {
            let (infra, processor, batcher, settings, metrics, stop) = (
                infra.clone(),
                processor.clone(),
                batcher.clone(),
                settings.clone(),
                metrics.clone(),
                stop.clone(),
            );
            async move {
                // Created again if it went missing (deleted by hand, a stream restored from a backup).
                let consumer = match infra
                    .topology
                    .ensure_worker_consumer(&infra.jetstream, partition, ack_wait)
                    .await
                {
                    Ok(consumer) => consumer,
                    Err(error) => {
                        tracing::error!(%error, partition, "cannot get the partition's consumer");
                        return;
                    }
                };
                consume::partition_loop(
                    consume::PartitionSource {
                        consumer,
                        consumer_name: infra.topology.worker_consumer(partition),
                        nats: infra.nats.clone(),
                    },
                    processor,
                    batcher,
                    settings,
                    metrics,
                    stop,
                )
                .await;
            }
        });
    }
    // The collectors stop once the partition loops, which hold the other clones, are done.
    drop(batcher);
    tracing::info!(partitions = infra::topology::PARTITIONS, "worker consuming");
    let outcome = supervisor.watch().await;
    stop.cancel();
    if !supervisor.drain(config.drain_timeout).await {
        tracing::warn!("drain timeout reached; unfinished events will be redelivered");
    }
    tracing::info!("worker stopped");
    outcome.map_err(WorkerError::Task)
}

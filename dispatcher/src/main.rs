use clap::Parser;
use tokio_util::sync::CancellationToken;

/// jemalloc instead of glibc's malloc: under load glibc's malloc and free were a tenth of the process's CPU
/// (BENCHMARKS.md, "Cost per event (issue 19)"). Its background thread purges freed pages of an idle process.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let config = dispatcher::Config::parse();
    #[cfg(feature = "jemalloc")]
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("jemalloc background thread not started: {error}");
    }
    infra::runtime::build(config.runtime_threads)?.block_on(async {
        let _telemetry = infra::telemetry::init("dispatcher")?;
        let listener = tokio::net::TcpListener::bind(&config.health_addr).await?;
        let shutdown = CancellationToken::new();
        infra::shutdown::cancel_on_signal(shutdown.clone());
        dispatcher::run(config, listener, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })
}

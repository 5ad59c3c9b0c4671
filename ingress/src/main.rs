use clap::Parser;
use tokio_util::sync::CancellationToken;

/// jemalloc instead of glibc's malloc, with its background thread purging freed pages (after 10 s, its default
/// decay): after a flood of 10,000 slow connections glibc kept all the memory they had used (39 MiB RSS ten
/// seconds after they closed, 12 MiB before; mimalloc kept it too), see BENCHMARKS.md, "Slow clients".
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let config = ingress::Config::parse();
    // Without the background thread jemalloc only purges while the process allocates: an ingress left idle
    // after a flood would keep its memory.
    #[cfg(feature = "jemalloc")]
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("jemalloc background thread not started: {error}");
    }
    infra::runtime::build(config.runtime_threads)?.block_on(async {
        let _telemetry = infra::telemetry::init("ingress")?;
        let listener = ingress::bind(&config.listen_addr).await?;
        let shutdown = CancellationToken::new();
        infra::shutdown::cancel_on_signal(shutdown.clone());
        ingress::run(config, listener, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })
}

//! The tokio runtime a service's binary runs on.

/// Builds a multi-threaded runtime with `threads` worker threads; 0 keeps tokio's default, one per CPU.
///
/// The worker and the dispatcher spend their time waiting on NATS and PostgreSQL: on one thread they handle
/// every partition and delivery as well, without the cross-thread wake-ups (futex, IPIs) that several idle-ish
/// threads cost on every message. Measured at the pipeline's maximum on two cores (BENCHMARKS.md, "Cost per
/// event"): worker 0.287 → 0.248 ms and dispatcher 0.166 → 0.146 ms of CPU per event with one thread.
pub fn build(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    builder.build()
}

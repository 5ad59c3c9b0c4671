//! The benchmark's `--quick` mode against the real NATS and PostgreSQL, so the benchmark cannot rot. Its figures
//! are printed, never asserted: they come from debug builds of services running in this process, on a machine
//! shared with the rest of the test suite.

use std::io::Write as _;

use clap::Parser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_benchmark_completes() {
    let options = bench::Options::parse_from(["bench", "--quick"]);
    let report = bench::run(&options).await.expect("quick benchmark run");
    // Written to the process's stderr directly, not through `eprintln!`, which the test harness captures: the
    // figures belong in the test log.
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "bench --quick (in-process debug services; see BENCHMARKS.md):\n{}",
        report.table_markdown()
    );
    assert!(!report.table.is_empty(), "the report has a table");
}

//! The benchmark's `--quick` mode against the real NATS and PostgreSQL, so the benchmark cannot rot. Its figures
//! are printed (`cargo test -p bench -- --nocapture`), never asserted: they come from debug builds of services
//! running in this process, on a machine shared with the rest of the test suite.

use clap::Parser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_benchmark_completes() {
    let options = bench::Options::parse_from(["bench", "--quick"]);
    let report = bench::run(&options).await.expect("quick benchmark run");
    println!("{}", report.table_markdown());
    println!(
        "{}",
        serde_json::to_string(&report.run).expect("run info serializes")
    );
    assert!(!report.table.is_empty(), "the report has a table");
}

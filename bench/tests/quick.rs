//! The benchmark's `--quick` mode against the real NATS and PostgreSQL, so the benchmark cannot rot. Its figures
//! are printed, never asserted: they come from debug builds of services running in this process, on a machine
//! shared with the rest of the test suite.

use std::ffi::OsStr;
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

/// A comparison (`--baseline-bin-dir`) needs two builds' binaries, so the in-process quick mode cannot run one;
/// the side-by-side report and the order of the runs are unit tests of `bench::compare`.
#[tokio::test]
async fn a_comparison_needs_binaries_of_both_builds() {
    let refused = bench::run(&bench::Options::parse_from([
        "bench",
        "--quick",
        "--baseline-bin-dir",
        "/nonexistent",
    ]))
    .await
    .expect_err("in-process services are one build");
    assert!(
        refused.to_string().contains("--baseline-bin-dir"),
        "{refused:#}"
    );

    let candidate = tempfile::tempdir().expect("temporary directory");
    for service in ["ingress", "worker", "dispatcher"] {
        std::fs::write(candidate.path().join(service), "").expect("stand-in binary");
    }
    let nowhere = candidate.path().join("nowhere");
    let missing = bench::run(&bench::Options::parse_from([
        OsStr::new("bench"),
        OsStr::new("--bin-dir"),
        candidate.path().as_os_str(),
        OsStr::new("--baseline-bin-dir"),
        nowhere.as_os_str(),
    ]))
    .await
    .expect_err("the baseline has no binaries");
    assert!(
        format!("{missing:#}").contains("nowhere/ingress is missing"),
        "{missing:#}"
    );
}

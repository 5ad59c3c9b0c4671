//! Speed and memory: `cargo run --release -p triage --example bench [-- FILE.jsonl]` builds a `Triager`,
//! triages every `text` of the file (default: `tests/data/extra.jsonl`) many times and prints the mean and the
//! slowest time per message, and the process's resident memory (Linux `/proc/self/status`).

use std::time::{Duration, Instant};

/// CPU time this process has used (user + system), from `/proc/self/stat`; zero where there is no procfs.
/// On a loaded machine it is a steadier figure than the wall clock.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture we run on.
    Duration::from_millis(ticks * 10)
}

/// A `/proc/self/status` figure in KiB ("VmRSS", "VmHWM"); 0 where there is no procfs.
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/extra.jsonl").to_string()
    });
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let rss_before = status_kib("VmRSS:");
    let start = Instant::now();
    let triager = triage::Triager::default();
    println!("build: {:?}", start.elapsed());
    let rounds = 50;
    let mut slowest = Duration::ZERO;
    let mut urgent = 0usize;
    let start = Instant::now();
    let cpu_start = cpu_time();
    for _ in 0..rounds {
        for t in &texts {
            let one = Instant::now();
            urgent += usize::from(triager.triage(t).urgent);
            slowest = slowest.max(one.elapsed());
        }
    }
    let n = u32::try_from(rounds * texts.len().max(1)).unwrap_or(u32::MAX);
    println!(
        "{} messages x {rounds}: {:?} per message (wall clock), {:?} per message (CPU time), slowest {slowest:?} \
         ({urgent} urgent)",
        texts.len(),
        start.elapsed() / n,
        (cpu_time() - cpu_start) / n
    );
    println!(
        "resident memory: {} KiB before the triager, {} KiB after, peak {} KiB",
        rss_before,
        status_kib("VmRSS:"),
        status_kib("VmHWM:")
    );
}

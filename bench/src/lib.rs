//! The benchmark: measures the pipeline against the ceilings of the machine it runs on, in one run.
//!
//! `cargo run --release -p bench -- --json bench.json` measures, in order: raw JetStream publishing of the
//! envelopes the ingress publishes (pipelined and one at a time) and PostgreSQL inserts into a copy of the worker's
//! ledger (one commit per row on 1 and 8 connections, and batched); then the ingress alone under open-loop
//! (fixed-rate, latency from the scheduled send time) and closed-loop load; then the ingress while 10,000 slow
//! connections hold it (signed webhook latency, its memory before, during and after); then the whole pipeline, webhook to
//! the simulated Chatwoot receiving the reply, at fixed rates and at its maximum, checking that every accepted
//! webhook got exactly one reply. The services run as separate processes from their release binaries, so their
//! CPU per event and peak RSS come from `/proc`. `--quick` runs the same steps for a few seconds with the services
//! in-process, so the test suite keeps the benchmark working.

pub mod api;
pub mod ceiling;
pub mod compare;
pub mod hist;
pub mod load;
pub mod options;
pub mod payload;
pub mod pipeline;
pub mod procfs;
pub mod report;
pub mod reports;
mod run;
pub mod services;
pub mod slow;

pub use options::Options;
pub use report::Report;
pub use run::run;

//! End-to-end tests of the pipeline against real NATS and PostgreSQL, with the Chatwoot simulator.
#![allow(clippy::unwrap_used)]

mod core_pipeline;
mod doctor;
mod ingress_rejects;
mod metrics;
mod ordering;
mod routing;
mod trace;

//! End-to-end tests of the pipeline against real NATS and PostgreSQL, with the Chatwoot simulator.
#![allow(clippy::unwrap_used)]

mod ai_llm;
mod ai_replies;
mod ai_support;
mod api;
mod backfill;
mod batching;
mod channels;
mod commands;
mod console;
mod core_pipeline;
mod dead_events;
mod digests;
mod docs;
mod doctor;
mod ingress_rejects;
mod metrics;
mod ordering;
mod outbox;
mod plans;
mod platforms;
mod reports;
mod resilience;
mod routing;
mod say;
mod slow_clients;
mod supervision;
mod tenant_cache;
mod trace;

//! `cwctl` against a real NATS (`TEST_NATS_URL`) and PostgreSQL (`TEST_DATABASE_URL`). Each test has its own NATS
//! prefix and database, removed when it ends (also when it fails).

mod api_keys;
mod digests;
mod dlq;
mod kb;
mod replay;
mod support;
mod tenants;
mod triage_rules;

//! The store against a real PostgreSQL: a throwaway cluster per test run, a database per test.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod support;

mod agents;
mod append_only;
mod assets_events;
mod branding;
mod chain;
mod compliance;
mod connections;
mod distribution;
mod embedded;
mod figures;
mod generation;
mod idempotency;
mod log;
mod orgs;
mod packages;
mod pdfs;
mod policies;
mod secrets;
mod tenancy;
mod tenant_pool;

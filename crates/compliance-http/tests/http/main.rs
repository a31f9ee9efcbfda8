//! The HTTP API over real HTTP, against a real database (a database per test).
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod support;

mod archivist;
mod attestations;
mod bad_input;
mod branding;
mod diff;
mod evidence;
mod fresh;
mod idempotency;
mod limits;
mod log;
mod metrics;
mod openapi;
mod oscal;
mod packages;
mod page_tokens;
mod permissions;
mod proxy;
mod statement_timeout;
mod tokens;
mod traces;
mod ui;
mod unavailable;
mod v1_permissions;

//! Tests of the policy engine through its public API.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod filter;
mod outstanding;
mod package;
mod properties;
mod richness;
mod since;
mod support;
mod tolerance;
mod wire;

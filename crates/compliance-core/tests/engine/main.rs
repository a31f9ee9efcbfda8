//! Tests of the policy engine through its public API.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod correlation;
mod crosswalks;
mod filter;
mod history;
mod outstanding;
mod package;
mod plans;
mod properties;
mod richness;
mod rules;
mod since;
mod support;
mod tolerance;
mod traces;
mod wire;

//! The compliance engine: pure (no I/O, no async, no database), so that policies can be
//! unit-tested offline and evaluated identically by the server.
//!
//! The flow is: parse a policy from its archivist wire form ([`PolicySpec::from_json`]),
//! build an asset's [`History`], and ask [`check`] (whole asset) or [`evaluate`] (one policy)
//! at a point in time. [`Policy::plan`] tells a store which slice of history a policy needs.

mod agent;
mod attributes;
mod clauses;
mod evaluate;
mod event;
mod filter;
mod history;
pub mod package;
mod pairing;
mod plan;
mod policy;
mod richness;
mod seal;
pub mod traces;
mod wire;

pub use agent::{
    AgentProfile, AuditEntry, ConnectorConfig, Metadata, Outcome, PolicyRule, RuleType,
    UnknownName, Verdict,
};
pub use attributes::Attributes;
pub use clauses::{Clauses, ClausesError, OrGroup};
pub use evaluate::{Compliance, Statement, check, evaluate};
pub use event::{Asset, CORRELATION_KEYS, Event, MAX_EVENT_TYPE, correlation_value};
pub use filter::{AssetFilter, FilterOp, FilterTerm, FilterTermError};
pub use history::History;
pub use plan::Plan;
pub use policy::{CompliancePolicy, ComplianceType, MAX_PERIOD, Policy, PolicySpec};
pub use richness::{Assertion, AssertionError, AssertionOp, RichnessAssertions};
pub use seal::{PackageSeal, canonical_json, microseconds, sha256_hex};
pub use wire::{PolicyBody, PolicyError, Seconds, Variability};

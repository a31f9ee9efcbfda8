//! One module per table or concern; tenant functions take a [`crate::TenantConn`].

pub mod agents;
pub mod assets;
pub mod attestations;
pub mod branding;
pub mod compliance;
pub mod connectors;
pub mod events;
pub mod figures;
pub mod generation;
pub mod idempotency;
pub mod log;
pub mod orgs;
pub mod packages;
pub mod pdfs;
pub mod policies;
pub mod revocations;
pub mod rules;
pub mod secrets;
pub mod settings;
pub mod signing;
pub mod traces;

pub use orgs::{IssuedToken, Organization, Principal, Role};

use compliance_core::Attributes;

use crate::{StoreError, StoreResult};

/// Attributes from a JSON object of strings, as stored.
pub(crate) fn attributes(value: serde_json::Value) -> StoreResult<Attributes> {
    serde_json::from_value(value)
        .map_err(|error| StoreError::Corrupt(format!("attributes are not strings: {error}")))
}

/// Attributes as a JSON object.
pub(crate) fn json(attributes: &Attributes) -> serde_json::Value {
    serde_json::Value::Object(
        attributes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// A text[] column: Postgres arrays may hold NULLs, ours never do.
pub(crate) fn strings(values: Vec<Option<String>>) -> Vec<String> {
    values.into_iter().flatten().collect()
}

/// A stored name of one of the core's enums (`Verdict`, `Outcome`, `RuleType`); the database's
/// CHECK constraints admit only these, so another is corruption.
pub(crate) fn parsed<T: std::str::FromStr>(column: &str, text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column}: {text:?} is not a known value")))
}

//! The in-toto Statement v1 a package's envelope carries, and its predicate.

use serde::{Deserialize, Serialize};

/// in-toto Statement v1's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate of a compliance package, documented in docs/packages.md ("Attestations").
pub const PREDICATE_TYPE: &str = "urn:compliance-evidence:predicate:compliance-package:v1";

/// What is attested, and about which files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: PackagePredicate,
}

/// A file the statement is about, by name and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    /// `{"sha256": "<lower-case hex>"}`.
    pub digest: std::collections::BTreeMap<String, String>,
}

impl Subject {
    pub fn sha256(name: impl Into<String>, sha256: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            digest: [("sha256".to_owned(), sha256.into())].into(),
        }
    }

    /// The SHA-256 the subject names, if it names one.
    pub fn sha256_digest(&self) -> Option<&str> {
        self.digest.get("sha256").map(String::as_str)
    }
}

/// What a package attestation says of its package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagePredicate {
    pub org_id: String,
    pub agent_id: String,
    pub package_id: String,
    pub version: i32,
    /// RFC 3339, UTC, as the package writes it.
    pub generated_at: String,
    /// The package's seal (`content_sha256`, docs/packages.md).
    pub content_sha256: String,
    /// The previous version's seal; empty for version 1. A set of versions is a chain when each
    /// names the one before.
    pub previous_sha256: String,
    /// The criteria the package finds covered: SOC 2's, then each crosswalk's.
    pub controls_covered: Vec<String>,
    /// The signed checkpoint (a C2SP note) of the org's log the figures were computed over;
    /// absent for a package generated before the log existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_checkpoint: Option<String>,
}

impl Statement {
    /// The statement about a package's JSON and PDF.
    pub fn package(json: Subject, pdf: Subject, predicate: PackagePredicate) -> Self {
        Self {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject: vec![json, pdf],
            predicate_type: PREDICATE_TYPE.to_owned(),
            predicate,
        }
    }
}

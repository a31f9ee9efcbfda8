//! Signed attestations of compliance packages, verifiable offline by tools we did not write.
//!
//! A package's attestation is a DSSE envelope (<https://github.com/secure-systems-lab/dsse>,
//! protocol v1) whose payload is an in-toto Statement v1
//! (<https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md>) naming the package's
//! JSON and PDF by SHA-256, signed with the org's ECDSA P-256 key (SHA-256, ASN.1 DER signature,
//! as securesystemslib's `ecdsa-sha2-nistp256` and cosign verify). The JSON a subject names is
//! its RFC 8785 (JCS) canonical form. Pure: keys come in as bytes, nothing here reads a clock,
//! a file or the network, so the server and the offline verifier share every rule.
//!
//! The transparency log of every org's audit trail ([`log`], [`LogKey`]) lives here too, for
//! the same reason: the server appends and proves, the verifier checks, with one implementation.

mod canonical;
mod checkpoint;
mod envelope;
mod keys;
pub mod log;
mod statement;

pub use canonical::{canonical, digest};
pub use checkpoint::{LogKey, SignedCheckpoint, open_checkpoint};
pub use envelope::{Envelope, PAYLOAD_TYPE, Signature, pae};
pub use keys::{Jwk, PublicKey, SCHEME, SecretKey};
pub use statement::{PREDICATE_TYPE, PackagePredicate, STATEMENT_TYPE, Statement, Subject};

/// Why an attestation could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    #[error("key: {0}")]
    Key(String),
    #[error("envelope: {0}")]
    Envelope(String),
    #[error("the signature does not verify with key {0}")]
    BadSignature(String),
    #[error("JSON: {0}")]
    Json(String),
    #[error("log: {0}")]
    Log(String),
}

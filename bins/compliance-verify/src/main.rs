//! `compliance-verify`: what an auditor runs on downloaded packages, offline. For each version
//! (its JSON, its PDF and its attestation, named `<stem>.json`, `<stem>.pdf` and
//! `<stem>.attestation.json` as the demo writes them), it checks that the attestation is signed
//! by a published key, that the JSON (RFC 8785, less its `chain` status) and the PDF are the
//! files it names, and that the versions, given in order, form an unbroken chain. One line per
//! check; exit code 0 only when every check holds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use compliance_attest::{Envelope, PublicKey, Statement, canonical, digest};

#[derive(Debug, Parser)]
#[command(name = "compliance-verify", version, about)]
struct Cli {
    /// The org's public keys: `GET /v1/keys`'s JSON, or one PEM public key.
    #[arg(long)]
    keys: PathBuf,
    /// Each version's stem (`compliance-triage-agent-v3` for `….json`, `….pdf` and
    /// `….attestation.json`), in version order.
    #[arg(required = true)]
    versions: Vec<PathBuf>,
}

/// What the checks found so far.
#[derive(Debug, Default)]
struct Report {
    failed: usize,
    passed: usize,
}

impl Report {
    fn check(&mut self, holds: bool, what: &str) -> bool {
        if holds {
            self.passed += 1;
            println!("ok    {what}");
        } else {
            self.failed += 1;
            println!("FAIL  {what}");
        }
        holds
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let keys = match read_keys(&cli.keys) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("compliance-verify: {error}");
            return ExitCode::from(2);
        }
    };
    let mut report = Report::default();
    let mut previous: Option<Statement> = None;
    for stem in &cli.versions {
        let statement = version(&mut report, &keys, stem);
        if let Some(statement) = &statement {
            link(&mut report, previous.as_ref(), statement, stem);
        }
        previous = statement;
    }
    println!("verify: {} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The keys in `path`: `{"keys": [{"pem": …}, …]}` as `/v1/keys` answers, or a PEM file.
fn read_keys(path: &Path) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if let Ok(listed) = serde_json::from_str::<serde_json::Value>(&text) {
        let keys = listed["keys"]
            .as_array()
            .ok_or_else(|| format!("{}: no \"keys\" list", path.display()))?;
        return keys
            .iter()
            .map(|key| {
                let pem = key["pem"].as_str().unwrap_or_default();
                PublicKey::from_pem(pem).map_err(|e| format!("{}: {e}", path.display()))
            })
            .collect();
    }
    PublicKey::from_pem(&text)
        .map(|key| vec![key])
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `stem` with `suffix` appended to its file name.
fn with(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Checks one version: its signature and both subjects; its statement once signed.
fn version(report: &mut Report, keys: &[PublicKey], stem: &Path) -> Option<Statement> {
    let name = stem.display();
    let envelope = std::fs::read(with(stem, ".attestation.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Envelope>(&bytes).ok());
    let Some(envelope) = envelope else {
        report.check(
            false,
            &format!("{name}: an attestation (.attestation.json) that reads as a DSSE envelope"),
        );
        return None;
    };
    let signed = keys.iter().find_map(|key| {
        envelope
            .verify(key)
            .ok()
            .map(|statement| (key.key_id(), statement))
    });
    let Some((key_id, statement)) = signed else {
        report.check(
            false,
            &format!("{name}: the attestation is signed by one of the keys"),
        );
        return None;
    };
    report.check(true, &format!("{name}: signed by key {}", &key_id[..16]));
    let version = statement.predicate.version;
    let json = std::fs::read(with(stem, ".json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .map(|mut package| {
            // The chain status is how a reader found the chain, not part of the package.
            if let Some(fields) = package.as_object_mut() {
                fields.remove("chain");
            }
            package
        })
        .and_then(|package| canonical(&package).ok());
    report.check(
        json.is_some_and(|json| {
            statement.subject.first().and_then(|s| s.sha256_digest())
                == Some(digest(&json).as_str())
        }),
        &format!("{name}: the JSON is version {version} as signed (RFC 8785 SHA-256)"),
    );
    let pdf = std::fs::read(with(stem, ".pdf")).ok();
    report.check(
        pdf.is_some_and(|pdf| {
            statement.subject.get(1).and_then(|s| s.sha256_digest()) == Some(digest(&pdf).as_str())
        }),
        &format!("{name}: the PDF is version {version}'s as signed (SHA-256)"),
    );
    Some(statement)
}

/// Checks that `statement` follows `previous` in one agent's chain: the next version, naming
/// the previous one's seal (the first given may start anywhere, but version 1 names none).
fn link(report: &mut Report, previous: Option<&Statement>, statement: &Statement, stem: &Path) {
    let name = stem.display();
    let this = &statement.predicate;
    match previous {
        None if this.version == 1 => {
            report.check(
                this.previous_sha256.is_empty(),
                &format!("{name}: version 1 names no previous version"),
            );
        }
        None => {}
        Some(previous) => {
            let before = &previous.predicate;
            report.check(
                before.agent_id == this.agent_id && before.org_id == this.org_id,
                &format!("{name}: the same org's and agent's chain as the version before"),
            );
            report.check(
                this.version == before.version + 1,
                &format!(
                    "{name}: version {} follows version {} (no gap, no reorder)",
                    this.version, before.version
                ),
            );
            report.check(
                this.previous_sha256 == before.content_sha256,
                &format!(
                    "{name}: names version {}'s seal as the one before it",
                    before.version
                ),
            );
        }
    }
}

//! `compliance-verify`: what an auditor runs on downloaded packages, offline. For each version
//! (its JSON, its PDF and its attestation, named `<stem>.json`, `<stem>.pdf` and
//! `<stem>.attestation.json` as the demo writes them), it checks that the attestation is signed
//! by a published key, that the JSON (RFC 8785, less its `chain` status) and the PDF are the
//! files it names, and that the versions, given in order, form an unbroken chain. Given the
//! org's log key, it also checks each version's log checkpoint (its signature, and that the
//! attestation names it) and that each version's tree extends the one before (RFC 9162
//! consistency), and checks entries' inclusion proofs as `/v1/audit/{id}/proof` answers them.
//! One line per check; exit code 0 only when every check holds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use compliance_attest::log::{decode, leaf_hash, verify_consistency, verify_inclusion};
use compliance_attest::{Envelope, PublicKey, Statement, canonical, digest, open_checkpoint};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(name = "compliance-verify", version, about)]
struct Cli {
    /// The org's public keys: `GET /v1/keys`'s JSON, or one PEM public key. Needed to check
    /// versions.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// The org's log key: `GET /v1/log/key`'s JSON, or the verifier key itself
    /// (`<name>+<id>+<key>`). Checks the versions' log anchors and the proofs.
    #[arg(long)]
    log_key: Option<String>,
    /// An entry's inclusion proof, as `GET /v1/audit/{id}/proof` answers it (repeatable).
    #[arg(long = "proof")]
    proofs: Vec<PathBuf>,
    /// A consistency proof, as `GET /v1/log/consistency` answers it: checked against the
    /// checkpoint given with `--since`, which its tree must extend.
    #[arg(long, requires = "since")]
    consistency: Option<PathBuf>,
    /// A checkpoint you hold (a signed note, as `GET /v1/log/checkpoint` answered it earlier).
    #[arg(long, requires = "consistency")]
    since: Option<PathBuf>,
    /// Each version's stem (`compliance-triage-agent-v3` for `….json`, `….pdf` and
    /// `….attestation.json`), in version order.
    #[arg(required_unless_present_any = ["proofs", "consistency"])]
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
    let keys = match cli.keys.as_deref().map(read_keys).transpose() {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("compliance-verify: {error}");
            return ExitCode::from(2);
        }
    };
    let log_key = match cli.log_key.as_deref().map(read_log_key).transpose() {
        Ok(key) => key,
        Err(error) => {
            eprintln!("compliance-verify: {error}");
            return ExitCode::from(2);
        }
    };
    if !cli.versions.is_empty() && keys.is_none() {
        eprintln!("compliance-verify: checking versions needs --keys");
        return ExitCode::from(2);
    }
    if (!cli.proofs.is_empty() || cli.consistency.is_some()) && log_key.is_none() {
        eprintln!("compliance-verify: checking proofs needs --log-key");
        return ExitCode::from(2);
    }
    let mut report = Report::default();
    let mut previous: Option<(Statement, Option<Value>)> = None;
    // The versions' log anchors: the trees a proof given beside them must be proved against.
    let mut anchors: Vec<Value> = Vec::new();
    for stem in &cli.versions {
        let statement = version(&mut report, keys.as_deref().unwrap_or_default(), stem);
        let anchor = match (&statement, &log_key) {
            (Some(statement), Some(key)) => anchored(&mut report, key, statement, stem),
            _ => None,
        };
        if let Some(statement) = &statement {
            link(
                &mut report,
                previous.as_ref().map(|(s, _)| s),
                statement,
                stem,
            );
            match (&previous, &anchor) {
                (Some((_, Some(before))), Some(after)) => {
                    extends(&mut report, before, after, stem);
                }
                // A version that dropped the anchor its predecessor had proves nothing.
                (Some((_, Some(_))), None) if log_key.is_some() => {
                    report.check(
                        false,
                        &format!(
                            "{}: anchored in the log, as the version before",
                            stem.display()
                        ),
                    );
                }
                _ => {}
            }
            if let Some(anchor) = &anchor {
                anchors.push(anchor.clone());
            }
        }
        previous = statement.map(|s| (s, anchor));
    }
    if let Some(key) = &log_key {
        for path in &cli.proofs {
            inclusion(&mut report, key, path, &anchors);
        }
        if let (Some(proof), Some(since)) = (&cli.consistency, &cli.since) {
            prefix(&mut report, key, since, proof);
        }
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
    if let Ok(listed) = serde_json::from_str::<Value>(&text) {
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
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
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

/// The log's verifier key: `/v1/log/key`'s JSON in a file, such a file holding the key alone,
/// or the key itself.
fn read_log_key(given: &str) -> Result<String, String> {
    let text = match std::fs::read_to_string(given) {
        Ok(text) => text,
        Err(_) if given.contains('+') => given.to_owned(),
        Err(e) => return Err(format!("cannot read {given}: {e}")),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(json) => json["verifier_key"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{given}: no \"verifier_key\"")),
        Err(_) => Ok(text.trim().to_owned()),
    }
}

/// Checks a version's log anchor: its checkpoint is signed by the log key, says the tree size
/// and root the JSON states, and is the one the attestation names. The anchor once it holds.
fn anchored(report: &mut Report, key: &str, statement: &Statement, stem: &Path) -> Option<Value> {
    let name = stem.display();
    let package = read_json(&with(stem, ".json"))?;
    let log = package.get("log").filter(|l| !l.is_null())?.clone();
    let note = log["checkpoint"].as_str().unwrap_or_default();
    let opened = open_checkpoint(note, key);
    let origin = format!("compliance-evidence/{}", statement.predicate.org_id);
    let holds = opened.as_ref().is_ok_and(|c| {
        c.origin == origin
            && Some(c.size) == log["tree_size"].as_u64()
            && log["root_hash"].as_str() == Some(compliance_attest::log::encode(&c.root).as_str())
    });
    report.check(
        holds,
        &format!(
            "{name}: its log checkpoint (tree of {}) is signed by the log key and states its root",
            log["tree_size"]
        ),
    );
    report.check(
        statement.predicate.log_checkpoint.as_deref() == Some(note),
        &format!("{name}: the attestation names that checkpoint"),
    );
    holds.then_some(log)
}

/// Checks that `after`'s tree extends `before`'s: the previous tree it names is `before`'s,
/// and its consistency proof holds.
fn extends(report: &mut Report, before: &Value, after: &Value, stem: &Path) {
    let name = stem.display();
    let previous = &after["previous"];
    let proof = hashes(&previous["consistency_proof"]);
    let roots = (
        before["root_hash"].as_str().and_then(|h| decode(h).ok()),
        after["root_hash"].as_str().and_then(|h| decode(h).ok()),
    );
    let (from, to) = (before["tree_size"].as_u64(), after["tree_size"].as_u64());
    let names_before = previous["tree_size"] == before["tree_size"]
        && previous["root_hash"] == before["root_hash"];
    let consistent = match (proof, roots, from, to) {
        (Some(proof), (Some(old), Some(new)), Some(from), Some(to)) => {
            verify_consistency(&proof, from, old, to, new).is_ok()
        }
        _ => false,
    };
    report.check(
        names_before && consistent,
        &format!(
            "{name}: its trail (tree of {}) extends the version before's (tree of {}): nothing \
             removed, nothing inserted",
            after["tree_size"], before["tree_size"]
        ),
    );
}

/// Checks an inclusion proof file: its checkpoint is signed by the log key, and the leaf (the
/// entry's RFC 8785 JSON) is in that tree.
fn inclusion(report: &mut Report, key: &str, path: &Path, anchors: &[Value]) {
    let name = path.display();
    let proof = read_json(path).unwrap_or(Value::Null);
    let data = proof["leaf_data"].as_str().unwrap_or_default();
    let signed = open_checkpoint(proof["checkpoint"].as_str().unwrap_or_default(), key);
    report.check(
        signed.is_ok(),
        &format!("{name}: its checkpoint is signed by the log key"),
    );
    let path_hashes = hashes(&proof["inclusion_proof"]);
    if !anchors.is_empty() {
        let tree = signed
            .as_ref()
            .ok()
            .map(|t| (Some(t.size), Some(compliance_attest::log::encode(&t.root))));
        let of_a_version = anchors.iter().any(|a| {
            tree == Some((
                a["tree_size"].as_u64(),
                a["root_hash"].as_str().map(str::to_owned),
            ))
        });
        report.check(
            of_a_version,
            &format!(
                "{name}: its tree is one a version given was computed over \
                 (ask with ?tree_size=<the package's log.tree_size>)"
            ),
        );
    }
    let included = match (signed, path_hashes, proof["leaf_index"].as_u64()) {
        (Ok(tree), Some(hashes), Some(index)) => verify_inclusion(
            &hashes,
            index,
            tree.size,
            leaf_hash(data.as_bytes()),
            tree.root,
        )
        .is_ok(),
        _ => false,
    };
    let id = serde_json::from_str::<Value>(data)
        .map(|leaf| leaf["id"].clone())
        .unwrap_or_default();
    report.check(
        included,
        &format!(
            "{name}: entry {id} is leaf {} of the checkpoint's tree",
            proof["leaf_index"]
        ),
    );
}

/// Checks a consistency proof file against a checkpoint held from before: both checkpoints are
/// signed by the log key, and the older tree is a prefix of the newer.
fn prefix(report: &mut Report, key: &str, since: &Path, path: &Path) {
    let name = path.display();
    let held = std::fs::read_to_string(since)
        .ok()
        .and_then(|note| open_checkpoint(&note, key).ok());
    report.check(
        held.is_some(),
        &format!("{}: a checkpoint signed by the log key", since.display()),
    );
    let proof = read_json(path).unwrap_or(Value::Null);
    let newer = open_checkpoint(proof["checkpoint"].as_str().unwrap_or_default(), key).ok();
    report.check(
        newer.is_some(),
        &format!("{name}: its checkpoint is signed by the log key"),
    );
    let extends = match (held, newer, hashes(&proof["proof"])) {
        (Some(old), Some(new), Some(path)) => {
            proof["from"].as_u64() == Some(old.size)
                && verify_consistency(&path, old.size, old.root, new.size, new.root).is_ok()
        }
        _ => false,
    };
    report.check(
        extends,
        &format!(
            "{name}: the tree of {} extends the held tree of {}: nothing removed, nothing inserted",
            proof["to"], proof["from"]
        ),
    );
}

/// The JSON file at `path`, if it reads as JSON.
fn read_json(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A list of base64 hashes, as proofs write them; `None` if any is not one.
fn hashes(list: &Value) -> Option<Vec<compliance_attest::log::Hash>> {
    list.as_array()?
        .iter()
        .map(|h| h.as_str().and_then(|h| decode(h).ok()))
        .collect()
}

//! The offline verifier on exported versions, whole and tampered with: it passes only when every
//! signature, every file and every link of the chain holds.

#![allow(clippy::unwrap_used)] // a failed expectation is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

use compliance_attest::{
    Envelope, PackagePredicate, SecretKey, Statement, Subject, canonical, digest,
};
use serde_json::json;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_random(&[seed; 32]).unwrap()
}

/// Writes versions 1 to `n` of one agent's chain under `dir`, signed by `signer`; their stems.
fn export(dir: &Path, n: i32, signer: &SecretKey) -> Vec<PathBuf> {
    let mut previous = String::new();
    (1..=n)
        .map(|version| {
            let seal = format!("{version:064x}");
            let package = json!({"id": format!("p{version}"), "agent_id": "a", "version": version,
                                 "content_sha256": seal, "previous_sha256": previous,
                                 "chain": {"verified": true}, "drift": {"mean": 0.5}});
            let mut signed = package.clone();
            signed.as_object_mut().unwrap().remove("chain");
            let pdf = format!("%PDF-1.3 version {version}").into_bytes();
            let statement = Statement::package(
                Subject::sha256(
                    format!("p{version}.json"),
                    digest(&canonical(&signed).unwrap()),
                ),
                Subject::sha256(format!("p{version}.pdf"), digest(&pdf)),
                PackagePredicate {
                    org_id: "o".into(),
                    agent_id: "a".into(),
                    package_id: format!("p{version}"),
                    version,
                    generated_at: "2026-12-01T00:00:00Z".into(),
                    content_sha256: seal.clone(),
                    previous_sha256: previous.clone(),
                    controls_covered: vec![],
                    log_checkpoint: None,
                },
            );
            previous = seal;
            let stem = dir.join(format!("compliance-agent-v{version}"));
            // Pretty-printed, as downloaded: the check is on the canonical form, not the spacing.
            std::fs::write(
                stem.with_extension("json"),
                serde_json::to_vec_pretty(&package).unwrap(),
            )
            .unwrap();
            std::fs::write(stem.with_extension("pdf"), pdf).unwrap();
            let envelope = Envelope::sign(&statement, signer).unwrap();
            std::fs::write(
                stem.with_extension("attestation.json"),
                serde_json::to_vec(&envelope).unwrap(),
            )
            .unwrap();
            stem
        })
        .collect()
}

fn keys_file(dir: &Path, key: &SecretKey) -> PathBuf {
    let path = dir.join("keys.json");
    let keys = json!({"keys": [{"key_id": key.public().key_id(), "pem": key.public().to_pem()}]});
    std::fs::write(&path, serde_json::to_vec(&keys).unwrap()).unwrap();
    path
}

/// The verifier's exit code and output.
fn verify(keys: &Path, stems: &[PathBuf]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_compliance-verify"))
        .arg("--keys")
        .arg(keys)
        .args(stems)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn an_unbroken_chain_verifies_with_one_line_per_check() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let stems = export(dir.path(), 3, &signer);
    let (code, out) = verify(&keys_file(dir.path(), &signer), &stems);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verify: 16 passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    // A PEM key does as well as the keys list.
    let pem = dir.path().join("key.pem");
    std::fs::write(&pem, signer.public().to_pem()).unwrap();
    assert_eq!(verify(&pem, &stems).0, 0);
}

#[test]
fn one_changed_byte_of_a_pdf_fails() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let stems = export(dir.path(), 2, &signer);
    let pdf = stems[1].with_extension("pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&pdf, bytes).unwrap();
    let (code, out) = verify(&keys_file(dir.path(), &signer), &stems);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("the PDF is version 2's"),
        "{out}"
    );
}

#[test]
fn a_changed_json_field_fails() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let stems = export(dir.path(), 2, &signer);
    let json = stems[0].with_extension("json");
    let mut package: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    package["drift"]["mean"] = json!(0.25);
    std::fs::write(&json, serde_json::to_vec(&package).unwrap()).unwrap();
    let (code, out) = verify(&keys_file(dir.path(), &signer), &stems);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  ") && out.contains("the JSON is version 1"),
        "{out}"
    );
}

#[test]
fn the_wrong_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let stems = export(dir.path(), 1, &key(1));
    let (code, out) = verify(&keys_file(dir.path(), &key(2)), &stems);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("signed by one of the keys"),
        "{out}"
    );
}

#[test]
fn a_missing_version_fails() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let stems = export(dir.path(), 3, &signer);
    let (code, out) = verify(
        &keys_file(dir.path(), &signer),
        &[stems[0].clone(), stems[2].clone()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("version 3 follows version 1"), "{out}");
}

#[test]
fn two_versions_swapped_fail() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let stems = export(dir.path(), 3, &signer);
    let keys = keys_file(dir.path(), &signer);
    // Given out of order.
    let (code, out) = verify(
        &keys,
        &[stems[0].clone(), stems[2].clone(), stems[1].clone()],
    );
    assert_eq!(code, 1, "{out}");
    // Their files swapped: version 2's JSON and PDF under version 3's name and back.
    for extension in ["json", "pdf"] {
        let (two, three) = (
            stems[1].with_extension(extension),
            stems[2].with_extension(extension),
        );
        let swap = dir.path().join("swap");
        std::fs::rename(&two, &swap).unwrap();
        std::fs::rename(&three, &two).unwrap();
        std::fs::rename(&swap, &three).unwrap();
    }
    let (code, out) = verify(&keys, &stems);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  ") && out.contains("the JSON is version 2"),
        "{out}"
    );
}

//! `docs/claims.md` names tests that exist: every `file.rs::name` it cites (and each
//! `…::name`, which means the file cited just before) is a function in that file.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where a cited path lives: under `crates/`, `bins/`, or the crate's `tests/engine/` for the
/// engine's sections, which cite bare file names.
fn resolve(cited: &str) -> Option<PathBuf> {
    let root = workspace();
    let candidates = [
        root.join("crates").join(cited),
        root.join("bins").join(cited),
        root.join("crates/compliance-store/tests").join(cited),
        root.join("crates/compliance-http/tests").join(cited),
        root.join("crates/compliance-core/tests/engine").join(cited),
    ];
    candidates.into_iter().find(|p| p.is_file())
}

#[test]
fn every_test_docs_claims_cites_exists() {
    let claims = std::fs::read_to_string(workspace().join("docs/claims.md")).unwrap();
    let mut file: Option<PathBuf> = None;
    let mut cited = 0;
    let mut missing = Vec::new();
    for span in claims.split('`').skip(1).step_by(2) {
        let Some((path, name)) = span.rsplit_once("::") else {
            continue;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        if path != "…" {
            if !path.ends_with(".rs") {
                continue;
            }
            file = resolve(path);
            if file.is_none() {
                missing.push(format!("{path}: no such file"));
                continue;
            }
        }
        let Some(source) = file.as_ref().map(|f| std::fs::read_to_string(f).unwrap()) else {
            continue;
        };
        cited += 1;
        if !source.contains(&format!("fn {name}(")) {
            missing.push(format!(
                "{span}: no fn {name} in {}",
                file.as_ref().unwrap().display()
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/claims.md cites tests that do not exist:\n{}",
        missing.join("\n")
    );
    assert!(
        cited > 150,
        "only {cited} citations read: the parser lost its way"
    );
}

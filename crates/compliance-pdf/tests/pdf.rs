//! The PDF is read back as text (pdftotext), as an auditor's tools would, and must hold the
//! key figures.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use compliance_core::package::{
    AgentProfile, AuditGroup, ConnectorConfig, DriftSummary, PackageInputs, PolicyEvidence,
    PolicyRule, assemble,
};
use compliance_pdf::{PackageDocument, render};
use time::macros::datetime;
use uuid::Uuid;

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn package(name: &str) -> compliance_core::package::PackageContent {
    let agent = AgentProfile {
        id: Uuid::from_u128(7),
        name: name.to_owned(),
        description: "Triages CrowdStrike detections into Jira".to_owned(),
        permitted_systems: vec!["crowdstrike".into(), "jira".into()],
        permitted_actions: vec!["detections:read".into(), "issues:create".into()],
        ..AgentProfile::default()
    };
    let connectors = vec![ConnectorConfig {
        connector_type: "crowdstrike".into(),
        vendor: "CrowdStrike".into(),
        purpose: "Read detections".into(),
        data_categories: vec!["security_events".into()],
        region: "us-1".into(),
        permitted_operations: vec!["detections:read".into()],
    }];
    let audit = vec![AuditGroup {
        action_type: "connector.called".into(),
        connector: Some("crowdstrike".into()),
        policy_verdict: Some("PERMIT".into()),
        status: Some("success".into()),
        count: 1247,
        first: datetime!(2026-03-15 10:00 UTC),
        last: datetime!(2026-04-10 16:30 UTC),
    }];
    let rules = vec![PolicyRule {
        name: "permit reads".into(),
        rule_type: "permit".into(),
        connector: "crowdstrike".into(),
        action_pattern: "detections:*".into(),
        risk_threshold: 20,
    }];
    let policies = vec![PolicyEvidence {
        identity: "compliance_policies/x".into(),
        display_name: "Drift closed within a day".into(),
        compliance_type: "COMPLIANCE_PERIOD_OUTSTANDING".into(),
        controls: vec!["CC7.2".into()],
        compliant: true,
        reason: String::new(),
    }];
    assemble(&PackageInputs {
        agent: &agent,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        drift: &DriftSummary::default(),
        policies: &policies,
    })
}

fn document(content: &compliance_core::package::PackageContent) -> Vec<u8> {
    render(&PackageDocument {
        org_name: "Acme Ünïcorp",
        package_id: Uuid::from_u128(42),
        version: 3,
        generated_at: datetime!(2026-04-10 17:00 UTC),
        generated_by: Uuid::from_u128(9),
        content_sha256: "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
        previous_sha256: "",
        content,
    })
    .unwrap()
}

#[test]
fn the_pdf_holds_the_key_figures_and_stays_small() {
    let content = package("triage-agent Ωmega");
    let pdf = document(&content);
    // Set to keep the PDF for a look (e.g. with pdftoppm).
    if let Some(path) = std::env::var_os("COMPLIANCE_PDF_OUT") {
        std::fs::write(path, &pdf).unwrap();
    }
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.len() < 1_500_000, "{} bytes", pdf.len());
    let text = text_of(&pdf);
    for needle in [
        "COMPLIANCE PACKAGE",
        "triage-agent Ωmega",
        "Acme Ünïcorp",
        "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
        "1. Execution graph",
        "1247",
        "2026-03-15T10:00:00Z",
        "2. Data flow diagram",
        "Policy engine",
        "Audit trail",
        "CrowdStrike (crowdstrike)",
        "3. Vendor security questionnaire",
        "IAM-05.1",
        "4. Sub-processors",
        "5. SOC 2 control mappings",
        "CC6.1",
        "Drift closed within a day",
        "page 2",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the PDF text:\n{text}"
        );
    }
}

#[test]
fn characters_the_font_lacks_are_shown_as_code_points() {
    let pdf = document(&package("エージェント 日本"));
    let text = text_of(&pdf);
    assert!(text.contains("[U+65E5][U+672C]"), "{text}");
}

#[test]
fn names_too_long_for_a_line_still_render() {
    let long = "x".repeat(200);
    let pdf = document(&package(&format!("{long} and\u{0007}control")));
    let text = text_of(&pdf);
    assert!(text.contains("xxxxxxxxxxxxxxxxxxxx"), "{text}");
    assert!(text.contains("[U+0007]"), "{text}");
}

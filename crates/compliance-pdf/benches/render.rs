//! PDF render time and size for a package shaped like the demo's (two connectors, ~1,267
//! entries, four policies), beside the package's JSON serialization as the baseline.
#![allow(clippy::expect_used, clippy::unwrap_used)] // fixed, known-good inputs

use std::time::{Duration, Instant};

use compliance_core::package::{
    AgentProfile, AuditGroup, ConnectorConfig, DriftSummary, PackageInputs, PolicyEvidence,
    PolicyRule, assemble,
};
use compliance_pdf::{PackageDocument, render};
use time::macros::datetime;
use uuid::Uuid;

fn main() {
    let agent = AgentProfile {
        id: Uuid::from_u128(1),
        name: "triage-agent".into(),
        description: "Triages CrowdStrike detections and files Jira tickets for the SOC".into(),
        permitted_systems: vec!["crowdstrike".into(), "jira".into()],
        permitted_actions: vec![
            "detections:*".into(),
            "hosts:contain".into(),
            "issues:create".into(),
        ],
        permitted_data_types: vec![
            "security_events".into(),
            "host_metadata".into(),
            "ticket_content".into(),
        ],
        max_actions_per_hour: Some(120),
    };
    let connectors = vec![
        ConnectorConfig {
            connector_type: "crowdstrike".into(),
            vendor: "CrowdStrike".into(),
            purpose: "Read detections and contain hosts".into(),
            data_categories: vec!["security_events".into(), "host_metadata".into()],
            region: "us-1".into(),
            permitted_operations: vec!["detections:read".into(), "hosts:contain".into()],
        },
        ConnectorConfig {
            connector_type: "jira".into(),
            vendor: "Atlassian".into(),
            purpose: "File and update SOC tickets".into(),
            data_categories: vec!["ticket_content".into()],
            region: "eu-west-1".into(),
            permitted_operations: vec!["issues:create".into(), "issues:comment".into()],
        },
    ];
    let rules = vec![PolicyRule {
        name: "Containment needs a human".into(),
        rule_type: "escalate".into(),
        connector: "crowdstrike".into(),
        action_pattern: "hosts:contain".into(),
        risk_threshold: 70,
    }];
    let group =
        |action: &str, connector: Option<&str>, verdict: &str, status: &str, count| AuditGroup {
            action_type: action.into(),
            connector: connector.map(Into::into),
            policy_verdict: Some(verdict.into()),
            status: Some(status.into()),
            count,
            first: datetime!(2026-10-26 10:00 UTC),
            last: datetime!(2026-11-22 16:30 UTC),
        };
    let audit = vec![
        group(
            "connector.called",
            Some("crowdstrike"),
            "PERMIT",
            "success",
            757,
        ),
        group("connector.called", Some("jira"), "PERMIT", "success", 461),
        group(
            "connector.called",
            Some("crowdstrike"),
            "ESCALATE",
            "success",
            8,
        ),
        group("connector.called", Some("jira"), "DENY", "blocked", 2),
        group("agent.deployed", None, "PERMIT", "success", 3),
        group("approval.requested", None, "ESCALATE", "success", 8),
        group("approval.reviewed", None, "PERMIT", "success", 8),
        group("drift.detected", None, "PERMIT", "success", 4),
        group("drift.resolved", None, "PERMIT", "success", 4),
    ];
    let drift = DriftSummary {
        detected: 4,
        resolved: 4,
        mean_seconds_to_resolve: Some(13500.0),
        max_seconds_to_resolve: Some(32400.0),
        ..DriftSummary::default()
    };
    let policies: Vec<PolicyEvidence> = [
        "Deployed within the last 30 days",
        "Drift resolved within 24 hours",
        "No approval left pending",
        "Approval turnaround is steady",
    ]
    .iter()
    .map(|name| PolicyEvidence {
        identity: "compliance_policies/x".into(),
        display_name: (*name).into(),
        compliance_type: "COMPLIANCE_SINCE".into(),
        controls: vec!["CC7.2".into()],
        compliant: true,
        reason: String::new(),
    })
    .collect();
    let content = assemble(&PackageInputs {
        agent: &agent,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        drift: &drift,
        policies: &policies,
    });
    let document = PackageDocument {
        org_name: "demo",
        package_id: Uuid::from_u128(9),
        version: 1,
        generated_at: datetime!(2026-11-22 17:00 UTC),
        generated_by: Uuid::from_u128(5),
        content_sha256: "1ccf5907ec2418d647aed5c06d99ef235045b1e72cb9fd5f33c60ae663fe25cf",
        previous_sha256: "",
        content: &content,
    };
    let time = |f: &dyn Fn() -> usize| {
        let mut runs: Vec<(Duration, usize)> = (0..7)
            .map(|_| {
                let started = Instant::now();
                let size = f();
                (started.elapsed(), size)
            })
            .collect();
        runs.sort();
        runs[runs.len() / 2]
    };
    let (pdf, size) = time(&|| render(&document).unwrap().len());
    let (json, json_size) = time(&|| serde_json::to_vec(&content).unwrap().len());
    println!("| output | median of 7 | size |");
    println!("|---|---:|---:|");
    println!(
        "| PDF (render + compress) | {:.1} ms | {} KB |",
        pdf.as_secs_f64() * 1e3,
        size / 1000
    );
    println!(
        "| JSON of the same package (baseline) | {:.3} ms | {} KB |",
        json.as_secs_f64() * 1e3,
        json_size / 1000
    );
}

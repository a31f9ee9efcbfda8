//! The packages the PDF is tested and measured on: one shaped like the demo's, and a hostile one
//! whose every name is built to defeat a line wrapper. Shared by the tests and the render bench.
#![allow(dead_code)] // each test binary and the bench use a different part

use compliance_core::package::{
    ActivityDay, AgentProfile, AuditGroup, ConnectorConfig, DriftSummary, OpenDrift,
    PackageContent, PackageInputs, PolicyEvidence, PolicyRule, assemble,
};
use compliance_pdf::PackageDocument;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The PDF's frame for `content`, with fixed ids and seal.
pub fn document<'a>(org_name: &'a str, content: &'a PackageContent) -> PackageDocument<'a> {
    PackageDocument {
        org_name,
        package_id: Uuid::from_u128(42),
        version: 3,
        generated_at: datetime!(2026-04-10 17:00 UTC),
        generated_by: Uuid::from_u128(9),
        content_sha256: "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
        previous_sha256: "",
        content,
        branding: compliance_pdf::Branding::default(),
    }
}

fn group(
    action: &str,
    connector: Option<&str>,
    verdict: &str,
    status: &str,
    count: i64,
) -> AuditGroup {
    AuditGroup {
        action_type: action.into(),
        connector: connector.map(Into::into),
        policy_verdict: Some(verdict.parse().unwrap()),
        status: Some(status.parse().unwrap()),
        count,
        first: datetime!(2026-03-15 10:00 UTC),
        last: datetime!(2026-04-10 16:30 UTC),
    }
}

fn policy(name: &str, compliance_type: &str, controls: &[&str], compliant: bool) -> PolicyEvidence {
    PolicyEvidence {
        identity: format!(
            "compliance_policies/{}",
            Uuid::from_u128(name.len() as u128)
        ),
        display_name: name.into(),
        compliance_type: compliance_type.into(),
        controls: controls.iter().map(|c| (*c).into()).collect(),
        compliant,
        reason: if compliant {
            String::new()
        } else {
            format!("{name} was not met at the time of generation")
        },
    }
}

/// A package shaped like the demo's: two connectors, three rules, its four policies (one of
/// each type the demo uses), drift detected and resolved.
pub fn demo(agent_name: &str) -> PackageContent {
    let agent = AgentProfile {
        id: Uuid::from_u128(7),
        name: agent_name.to_owned(),
        description: "Triages CrowdStrike detections and files Jira tickets for the SOC".to_owned(),
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
        discovered: false,
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
    let rules = vec![
        rule("Read detections", "permit", "crowdstrike", "detections:*"),
        rule(
            "Containment needs a human",
            "escalate",
            "crowdstrike",
            "hosts:contain",
        ),
        rule("No deletions in Jira", "deny", "jira", "issues:delete"),
    ];
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
        by_severity: [("high".to_owned(), 1), ("low".to_owned(), 3)].into(),
        mean_seconds_to_resolve: Some(13500.0),
        max_seconds_to_resolve: Some(32400.0),
        open: Vec::new(),
    };
    let policies = vec![
        policy(
            "Deployed within the last 30 days",
            "COMPLIANCE_SINCE",
            &["CC8.1"],
            true,
        ),
        policy(
            "Drift resolved within 24 hours",
            "COMPLIANCE_PERIOD_OUTSTANDING",
            &["CC7.1", "CC7.3"],
            true,
        ),
        policy(
            "No approval left pending",
            "COMPLIANCE_CURRENT_OUTSTANDING",
            &["CC7.4"],
            false,
        ),
        policy(
            "Approval turnaround is steady",
            "COMPLIANCE_DYNAMIC_TOLERANCE",
            &["CC7.2"],
            true,
        ),
    ];
    assemble(&PackageInputs {
        agent: &agent,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        activity: &spread(14, [1237, 0, 16, 2], 4),
        drift: &drift,
        policies: &policies,
        frameworks: compliance_core::package::Framework::ALL,
        log: Some(&demo_log()),
    })
}

/// A log anchor shaped like a generated one: a checkpoint note, a previous tree and its proof.
fn demo_log() -> compliance_core::package::LogAnchor {
    let origin = "compliance-evidence/6f1c2d3e-0000-4000-8000-00000000a11c";
    let root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
    compliance_core::package::LogAnchor {
        origin: origin.to_owned(),
        tree_size: 1_319,
        root_hash: root.to_owned(),
        checkpoint: format!(
            "{origin}\n1319\n{root}\n\n— {origin} x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        ),
        previous: Some(compliance_core::package::LogPrefix {
            tree_size: 1_201,
            root_hash: "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=".to_owned(),
            consistency_proof: vec![
                "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=".to_owned(),
                "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=".to_owned(),
                "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=".to_owned(),
            ],
        }),
        back_dated: compliance_core::package::BackDated {
            tolerance_seconds: 900,
            entries: 3,
            max_lag_seconds: Some(86_400),
        },
    }
}

fn rule(name: &str, rule_type: &str, connector: &str, pattern: &str) -> PolicyRule {
    PolicyRule {
        name: name.into(),
        rule_type: rule_type.parse().unwrap(),
        connector: connector.into(),
        action_pattern: pattern.into(),
        risk_threshold: 50,
    }
}

/// Words wider than any column: `m` and `W` are the widest Latin letters.
fn wide_word(letter: char) -> String {
    letter.to_string().repeat(300)
}

/// Words joined by no-break spaces (U+00A0, U+202F, U+2007): one run the wrapper must break.
fn unbreakable(words: &[&str]) -> String {
    let spaces = ['\u{a0}', '\u{202f}', '\u{2007}'];
    words
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{w}{}", spaces[i % spaces.len()]))
        .collect::<String>()
        .repeat(6)
}

/// Glyphs wider than letters (‱, long arrows, Ǆ, an emoji DejaVu draws) and CJK, which the
/// font lacks and prints as `[U+XXXX]`: runs whose width no character count predicts.
const WIDE: &str = "‱⟷ǄⅧ😴日本語の名前‱⟷Ǆ";

/// Data category `i` of 200 characters, distinct by its prefix.
fn category(i: usize) -> String {
    let palette: Vec<char> = "mWil‱⟷Ǆ_-.ab日\u{a0}xyz@W".chars().collect();
    let mut text = format!("cat{i:03}:");
    while text.chars().count() < 200 {
        text.push(palette[(text.len() * 7 + i) % palette.len()]);
    }
    text
}

/// A package whose names are built to defeat a wrapper: 300-character words of `m` and `W`,
/// wide glyphs and CJK, no-break spaces between words, 100 data categories of 200 characters,
/// long vendor and policy names.
pub fn hostile() -> PackageContent {
    let (m, w) = (wide_word('m'), wide_word('W'));
    let agent = AgentProfile {
        id: Uuid::from_u128(7),
        name: format!("{w} {WIDE}"),
        description: unbreakable(&["Triages", "detections", "into", "tickets", &m]),
        permitted_systems: vec![m.clone(), "日本語".into()],
        permitted_actions: vec![format!("{m}:read"), format!("{w}:write")],
        permitted_data_types: (0..10).map(category).collect(),
        max_actions_per_hour: Some(120),
        discovered: true,
    };
    let connectors = vec![
        ConnectorConfig {
            connector_type: m.clone(),
            vendor: format!("{w} Incorporated {WIDE}"),
            purpose: unbreakable(&["Reads", "detections", "and", "contains", "hosts"]),
            data_categories: (0..100).map(category).collect(),
            region: unbreakable(&["us-east-1", "eu-west-1"]),
            permitted_operations: vec![format!("{m}:read"), format!("{w}:contain")],
        },
        ConnectorConfig {
            connector_type: format!("jira{WIDE}"),
            vendor: unbreakable(&["Atlassian", "Corporation", "Plc", &w]),
            purpose: "File tickets".into(),
            data_categories: vec![WIDE.repeat(12), unbreakable(&["ticket", "content"])],
            region: "eu-west-1".into(),
            permitted_operations: vec!["issues:create".into()],
        },
    ];
    let rules = vec![rule(&w, "escalate", &m, &format!("{m}:*"))];
    let unconfigured = format!("{WIDE}{m}");
    let audit = vec![
        group("connector.called", Some(&m), "PERMIT", "success", 757),
        group(&format!("{m}.called"), Some(&m), "ESCALATE", "success", 8),
        group(
            "connector.called",
            Some(&format!("jira{WIDE}")),
            "DENY",
            "blocked",
            2,
        ),
        group(
            "connector.called",
            Some(&unconfigured),
            "PERMIT",
            "error",
            5,
        ),
        group("agent.deployed", None, "PERMIT", "success", 3),
        group("drift.detected", None, "PERMIT", "success", 4),
    ];
    let drift = DriftSummary {
        detected: 4,
        resolved: 1,
        by_severity: [(w.clone(), 3), (WIDE.to_owned(), 1)].into(),
        mean_seconds_to_resolve: Some(13500.0),
        max_seconds_to_resolve: Some(13500.0),
        open: (0..3).map(|i| open_drift(i, &m)).collect(),
    };
    let policies = vec![
        policy(&w, "COMPLIANCE_SINCE", &["CC8.1"], true),
        policy(
            &unbreakable(&["Drift", "resolved", "within", "24", "hours"]),
            "COMPLIANCE_PERIOD_OUTSTANDING",
            &["CC7.1", "CC7.3"],
            false,
        ),
        policy(
            &format!("{WIDE}{WIDE}{WIDE}"),
            "COMPLIANCE_CURRENT_OUTSTANDING",
            &["CC7.4"],
            true,
        ),
        policy(&m, "COMPLIANCE_DYNAMIC_TOLERANCE", &["CC7.2"], false),
        policy(
            &format!("{w}\u{a0}{m}"),
            "COMPLIANCE_RICHNESS",
            &["CC6.1"],
            true,
        ),
    ];
    assemble(&PackageInputs {
        agent: &agent,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        activity: &spread(400, [90_000, 1_234, 17, 5], 60),
        drift: &drift,
        policies: &policies,
        frameworks: compliance_core::package::Framework::ALL,
        log: None,
    })
}

/// Entries per verdict (PERMIT, no verdict, ESCALATE, DENY) and drift detections spread evenly
/// over `days` days from 2026-11-02, leaving the sixth day quiet.
fn spread(days: i64, verdicts: [i64; 4], drift: i64) -> Vec<ActivityDay> {
    let active: Vec<i64> = (0..days).filter(|&i| i != 5).collect();
    let n = i64::try_from(active.len()).unwrap();
    let share = |total: i64, k: i64| total / n + i64::from(k < total % n);
    (0..)
        .zip(active)
        .map(|(k, i)| ActivityDay {
            day: time::macros::date!(2026 - 11 - 02) + time::Duration::days(i),
            permit: share(verdicts[0], k),
            unjudged: share(verdicts[1], k),
            escalate: share(verdicts[2], k),
            deny: share(verdicts[3], k),
            drift_detected: share(drift, k),
        })
        .collect()
}

fn open_drift(i: i64, long: &str) -> OpenDrift {
    OpenDrift {
        correlation_id: Some(format!("{long}{i}")),
        detected_at: OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000 + i),
        drift_type: Some(unbreakable(&["permissions", "widened"])),
        severity: Some(WIDE.to_owned()),
    }
}

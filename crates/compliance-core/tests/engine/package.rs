//! Package assembly, offline: every figure traceable to the inputs, every rule checked.

use compliance_core::package::{
    AgentProfile, Answer, AuditGroup, ConnectorConfig, ControlStatus, Direction, DriftSummary,
    PackageContent, PackageInputs, PolicyEvidence, PolicyRule, assemble, diff,
};
use uuid::Uuid;

use crate::support::t;

fn agent() -> AgentProfile {
    AgentProfile {
        id: Uuid::from_u128(1),
        name: "triage-agent".to_owned(),
        description: "Triages detections".to_owned(),
        permitted_systems: vec!["crowdstrike".to_owned(), "jira".to_owned()],
        permitted_actions: vec!["detections:*".to_owned(), "issues:create".to_owned()],
        permitted_data_types: vec!["security_events".to_owned()],
        max_actions_per_hour: Some(500),
        discovered: false,
    }
}

fn connectors() -> Vec<ConnectorConfig> {
    vec![
        ConnectorConfig {
            connector_type: "crowdstrike".to_owned(),
            vendor: "CrowdStrike".to_owned(),
            purpose: "Read detections".to_owned(),
            data_categories: vec!["security_events".to_owned(), "host_metadata".to_owned()],
            region: "us-1".to_owned(),
            permitted_operations: vec!["detections:read".to_owned(), "hosts:contain".to_owned()],
        },
        ConnectorConfig {
            connector_type: "jira".to_owned(),
            vendor: "Atlassian".to_owned(),
            purpose: "Open tickets".to_owned(),
            data_categories: vec!["ticket_content".to_owned()],
            region: "eu-west".to_owned(),
            permitted_operations: vec!["issues:create".to_owned()],
        },
    ]
}

fn rules() -> Vec<PolicyRule> {
    vec![PolicyRule {
        name: "escalate containment".to_owned(),
        rule_type: compliance_core::RuleType::Escalate,
        connector: "crowdstrike".to_owned(),
        action_pattern: "hosts:contain".to_owned(),
        risk_threshold: 70,
    }]
}

fn group(
    action: &str,
    connector: Option<&str>,
    verdict: Option<&str>,
    status: &str,
    count: i64,
    first: i64,
    last: i64,
) -> AuditGroup {
    AuditGroup {
        action_type: action.to_owned(),
        connector: connector.map(str::to_owned),
        policy_verdict: verdict.map(|v| v.parse().unwrap()),
        status: Some(status.parse().unwrap()),
        count,
        first: t(first),
        last: t(last),
    }
}

fn trail() -> Vec<AuditGroup> {
    vec![
        group(
            "connector.called",
            Some("crowdstrike"),
            Some("PERMIT"),
            "success",
            700,
            100,
            9000,
        ),
        group(
            "connector.called",
            Some("jira"),
            Some("PERMIT"),
            "success",
            390,
            200,
            9100,
        ),
        group(
            "connector.called",
            Some("crowdstrike"),
            Some("ESCALATE"),
            "success",
            8,
            300,
            8000,
        ),
        group(
            "connector.called",
            Some("crowdstrike"),
            Some("DENY"),
            "blocked",
            2,
            400,
            7000,
        ),
        group(
            "agent.deployed",
            None,
            Some("PERMIT"),
            "success",
            3,
            0,
            5000,
        ),
        group(
            "approval.requested",
            None,
            Some("ESCALATE"),
            "success",
            8,
            300,
            8000,
        ),
        group(
            "approval.reviewed",
            None,
            Some("PERMIT"),
            "success",
            8,
            350,
            8100,
        ),
    ]
}

fn drift() -> DriftSummary {
    DriftSummary {
        detected: 3,
        resolved: 3,
        by_severity: [("high".to_owned(), 1), ("low".to_owned(), 2)].into(),
        mean_seconds_to_resolve: Some(600.0),
        max_seconds_to_resolve: Some(1200.0),
        open: vec![],
    }
}

fn package(
    audit: &[AuditGroup],
    policies: &[PolicyEvidence],
    connectors: &[ConnectorConfig],
) -> PackageContent {
    let (agent, rules, drift) = (agent(), rules(), drift());
    assemble(&PackageInputs {
        agent: &agent,
        connectors,
        rules: &rules,
        audit,
        activity: &[],
        drift: &drift,
        policies,
        frameworks: compliance_core::package::Framework::ALL,
        log: None,
    })
}

#[test]
fn the_execution_graph_adds_up_the_trail() {
    let content = package(&trail(), &[], &connectors());
    let graph = &content.execution_graph;
    assert_eq!(graph.total_actions, 1119);
    assert_eq!(graph.connectors_used, ["crowdstrike", "jira"]);
    assert_eq!(graph.operations_performed["connector.called"], 1100);
    assert_eq!(graph.operations_performed["agent.deployed"], 3);
    assert_eq!(graph.policy_verdicts["PERMIT"], 1101);
    assert_eq!(graph.policy_verdicts["ESCALATE"], 16);
    assert_eq!(graph.policy_verdicts["DENY"], 2);
    assert_eq!(
        (graph.first_action, graph.last_action),
        (Some(t(0)), Some(t(9100)))
    );
    let crowdstrike: i64 = graph
        .edges
        .iter()
        .filter(|e| e.connector == "crowdstrike")
        .map(|e| e.count)
        .sum();
    assert_eq!(crowdstrike, 710);
    assert!(graph.edges.iter().all(|e| e.agent == "triage-agent"));
}

#[test]
fn an_empty_trail_zero_fills_the_verdicts() {
    let content = package(&[], &[], &connectors());
    let graph = &content.execution_graph;
    assert_eq!(graph.total_actions, 0);
    assert_eq!(
        graph.policy_verdicts.values().copied().collect::<Vec<_>>(),
        [0, 0, 0]
    );
    assert_eq!((graph.first_action, graph.last_action), (None, None));
    let json = serde_json::to_value(&content).unwrap();
    assert_eq!(
        json["execution_graph"]["first_action"],
        serde_json::Value::Null
    );
}

#[test]
fn the_data_flow_diagram_is_a_mermaid_graph_with_each_connector() {
    let content = package(&trail(), &[], &connectors());
    let diagram = &content.data_flow_diagram;
    assert!(diagram.mermaid.starts_with("graph LR\n"));
    for needle in [
        "agent[\"triage-agent (AI agent)\"]",
        "engine{\"Policy engine\"}",
        "trail[(\"Audit trail: 1119 entries\")]",
        "engine <-->|\"security_events, host_metadata\"| c0",
        "engine -->|\"ticket_content\"| c1",
    ] {
        assert!(
            diagram.mermaid.contains(needle),
            "{needle} in\n{}",
            diagram.mermaid
        );
    }
    let directions: Vec<_> = diagram
        .connectors
        .iter()
        .map(|c| (c.name.as_str(), c.direction, c.calls))
        .collect();
    assert_eq!(
        directions,
        [
            ("crowdstrike", Direction::Bidirectional, 710),
            ("jira", Direction::Outbound, 390)
        ]
    );
}

#[test]
fn mermaid_labels_cannot_break_the_diagram() {
    let mut hostile = agent();
    hostile.name = "a\"gent|x\nend".to_owned();
    let (rules, drift) = (rules(), drift());
    let content = assemble(&PackageInputs {
        agent: &hostile,
        connectors: &[],
        rules: &rules,
        audit: &[],
        activity: &[],
        drift: &drift,
        policies: &[],
        frameworks: compliance_core::package::Framework::ALL,
        log: None,
    });
    let line = content
        .data_flow_diagram
        .mermaid
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(line, "    agent[\"a'gent x end (AI agent)\"]");
}

#[test]
fn sub_processors_are_one_per_vendor_including_used_but_unconfigured() {
    let mut audit = trail();
    audit.push(group(
        "connector.called",
        Some("slack"),
        Some("PERMIT"),
        "success",
        5,
        10,
        20,
    ));
    let content = package(&audit, &[], &connectors());
    let names: Vec<_> = content
        .sub_processors
        .iter()
        .map(|s| (s.name.as_str(), s.configured, s.calls))
        .collect();
    assert_eq!(
        names,
        [
            ("Atlassian", true, 390),
            ("CrowdStrike", true, 710),
            ("slack (not configured)", false, 5)
        ]
    );
    let answer = |id: &str| {
        content
            .vsq_responses
            .responses
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .answer
    };
    assert_eq!(answer("STA-08.1"), Answer::Partial);
    let cc92 = content
        .control_mappings
        .controls
        .iter()
        .find(|c| c.control == "CC9.2")
        .unwrap();
    assert_eq!(cc92.status, ControlStatus::Partial);
}

#[test]
fn a_full_trail_covers_the_controls_the_seed_lists() {
    let policy = PolicyEvidence {
        identity: "compliance_policies/x".to_owned(),
        display_name: "drift resolved within a day".to_owned(),
        compliance_type: "COMPLIANCE_PERIOD_OUTSTANDING".to_owned(),
        controls: vec!["CC7.2".to_owned()],
        compliant: true,
        reason: String::new(),
    };
    let content = package(&trail(), std::slice::from_ref(&policy), &connectors());
    let covered = &content.control_mappings.controls_covered;
    for control in ["CC6.1", "CC6.3", "CC7.1", "CC8.1"] {
        assert!(
            covered.contains(&control.to_owned()),
            "{control} in {covered:?}"
        );
    }
    let cc72 = content
        .control_mappings
        .controls
        .iter()
        .find(|c| c.control == "CC7.2")
        .unwrap();
    assert_eq!(cc72.status, ControlStatus::Covered);
    assert!(
        cc72.evidence
            .iter()
            .any(|e| e.contains("drift resolved within a day") && e.ends_with("compliant"))
    );
    // The figures behind the answers, traceable to the trail above.
    let evidence = |id: &str| {
        content
            .vsq_responses
            .responses
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.evidence.clone())
            .unwrap()
    };
    assert_eq!(
        evidence("LOG-02.1"),
        ["1,119 audit entries from 2026-01-01 to 2026-01-01"]
    );
    assert_eq!(
        evidence("LOG-10.1"),
        ["1,119 of 1,119 entries carry both a policy verdict and a status"]
    );
    assert_eq!(
        evidence("AIS-07.1"),
        [
            "1,100 connector calls, 0 without a verdict",
            "verdicts: 1,101 PERMIT, 16 ESCALATE, 2 DENY; 2 blocked"
        ]
    );
    assert_eq!(
        evidence("SEF-03.1"),
        [
            "16 ESCALATE verdicts; 8 approvals requested, 8 reviewed",
            "1 deny or escalate rule"
        ]
    );
    assert!(
        content
            .vsq_responses
            .responses
            .iter()
            .any(|r| r.id == "IAM-05.1" && r.answer == Answer::Yes)
    );
}

#[test]
fn a_failing_compliance_policy_caps_its_control_at_partial() {
    let failing = PolicyEvidence {
        identity: "compliance_policies/y".to_owned(),
        display_name: "deployments weekly".to_owned(),
        compliance_type: "COMPLIANCE_SINCE".to_owned(),
        controls: vec!["CC8.1".to_owned()],
        compliant: false,
        reason: "Duration 900000s exceeds limit 604800s".to_owned(),
    };
    let content = package(&trail(), &[failing], &connectors());
    let cc81 = content
        .control_mappings
        .controls
        .iter()
        .find(|c| c.control == "CC8.1")
        .unwrap();
    assert_eq!(cc81.status, ControlStatus::Partial);
    assert!(
        cc81.evidence
            .iter()
            .any(|e| e.contains("non-compliant: Duration 900000s"))
    );
    assert!(
        !content
            .control_mappings
            .controls_covered
            .contains(&"CC8.1".to_owned())
    );
}

#[test]
fn nothing_to_show_is_not_evidenced_and_answers_no() {
    let (agent, drift) = (
        AgentProfile {
            name: "idle".to_owned(),
            ..AgentProfile::default()
        },
        DriftSummary::default(),
    );
    let content = assemble(&PackageInputs {
        agent: &agent,
        connectors: &[],
        rules: &[],
        audit: &[],
        activity: &[],
        drift: &drift,
        policies: &[],
        frameworks: compliance_core::package::Framework::ALL,
        log: None,
    });
    assert!(content.control_mappings.controls_covered.is_empty());
    assert!(
        content
            .control_mappings
            .controls
            .iter()
            .all(|c| c.status == ControlStatus::NotEvidenced),
        "{:#?}",
        content.control_mappings
    );
    let answer = |id: &str| {
        content
            .vsq_responses
            .responses
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .answer
    };
    assert_eq!(answer("LOG-02.1"), Answer::No);
    assert_eq!(answer("IAM-05.1"), Answer::No);
}

#[test]
fn assembly_does_not_depend_on_the_order_of_the_groups_and_round_trips_as_json() {
    // PostgreSQL returns GROUP BY groups in no set order, so the content must not follow it.
    let mut shuffled = trail();
    shuffled.reverse();
    shuffled.swap(0, 3);
    assert_ne!(shuffled, trail());
    let a = package(&trail(), &[], &connectors());
    let b = package(&shuffled, &[], &connectors());
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(
        compliance_core::canonical_json(&json),
        compliance_core::canonical_json(&serde_json::to_value(&b).unwrap())
    );
    let back: PackageContent = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn two_configurations_of_one_type_with_different_vendors_are_both_kept() {
    let mut configured = connectors();
    configured.push(ConnectorConfig {
        connector_type: "crowdstrike".to_owned(),
        vendor: "CrowdStrike EU reseller".to_owned(),
        purpose: "Read detections (EU tenant)".to_owned(),
        data_categories: vec!["security_events".to_owned()],
        region: "eu-central".to_owned(),
        permitted_operations: vec!["detections:read".to_owned()],
    });
    let content = package(&trail(), &[], &configured);
    let vendors: Vec<_> = content
        .sub_processors
        .iter()
        .map(|s| (s.name.as_str(), s.connectors.clone(), s.calls))
        .collect();
    assert_eq!(
        vendors,
        [
            ("Atlassian", vec!["jira".to_owned()], 390),
            ("CrowdStrike", vec!["crowdstrike".to_owned()], 710),
            (
                "CrowdStrike EU reseller",
                vec!["crowdstrike".to_owned()],
                710
            ),
        ]
    );
    let diagram = &content.data_flow_diagram;
    let flow: Vec<_> = diagram
        .connectors
        .iter()
        .map(|c| (c.name.as_str(), c.vendor.as_str()))
        .collect();
    assert_eq!(
        flow,
        [
            ("crowdstrike", "CrowdStrike"),
            ("jira", "Atlassian"),
            ("crowdstrike", "CrowdStrike EU reseller")
        ]
    );
    assert!(
        diagram
            .mermaid
            .contains("\"CrowdStrike EU reseller (crowdstrike)\""),
        "{}",
        diagram.mermaid
    );
}

#[test]
fn a_vendor_with_two_configurations_of_one_type_counts_its_calls_once() {
    let mut configured = connectors();
    let mut second = configured[0].clone();
    second.region = "eu-central".to_owned();
    configured.push(second);
    let content = package(&trail(), &[], &configured);
    let crowdstrike = content
        .sub_processors
        .iter()
        .find(|s| s.name == "CrowdStrike")
        .unwrap();
    assert_eq!(crowdstrike.calls, 710);
    assert_eq!(crowdstrike.connectors, ["crowdstrike"]);
    assert_eq!(crowdstrike.regions, ["eu-central", "us-1"]);
    assert_eq!(content.data_flow_diagram.connectors.len(), 3);
}

#[test]
fn every_operation_pattern_with_a_wildcard_counts_against_least_privilege() {
    for pattern in [
        "*",
        "*:*",
        "*:write",
        "crowdstrike:*",
        "*:*:*",
        "detections:read*",
    ] {
        let mut configured = connectors();
        configured[1].permitted_operations = vec!["issues:create".to_owned(), pattern.to_owned()];
        let content = package(&trail(), &[], &configured);
        let iam = content
            .vsq_responses
            .responses
            .iter()
            .find(|r| r.id == "IAM-05.1")
            .unwrap();
        assert_eq!(iam.answer, Answer::Partial, "{pattern}: {iam:?}");
        assert!(
            iam.evidence
                .iter()
                .any(|e| e.contains("wildcard operations: jira")),
            "{pattern}: {iam:?}"
        );
        let cc63 = content
            .control_mappings
            .controls
            .iter()
            .find(|c| c.control == "CC6.3")
            .unwrap();
        assert_eq!(cc63.status, ControlStatus::Partial, "{pattern}: {cc63:?}");
    }
    // Without the wildcard the same inventory is least privilege.
    let content = package(&trail(), &[], &connectors());
    let iam = content
        .vsq_responses
        .responses
        .iter()
        .find(|r| r.id == "IAM-05.1")
        .unwrap();
    assert_eq!(iam.answer, Answer::Yes, "{iam:?}");
}

fn evidence(identity: &str, compliant: bool) -> PolicyEvidence {
    PolicyEvidence {
        identity: identity.to_owned(),
        display_name: format!("policy {identity}"),
        compliance_type: "COMPLIANCE_SINCE".to_owned(),
        controls: vec!["CC7.2".to_owned()],
        compliant,
        reason: if compliant {
            String::new()
        } else {
            "late".to_owned()
        },
    }
}

#[test]
fn a_package_compared_with_itself_has_no_changes() {
    let content = package(&trail(), &[evidence("p1", true)], &connectors());
    assert!(diff(&content, &content).is_empty());
}

#[test]
fn the_diff_names_each_connector_permission_region_answer_figure_and_verdict_that_moved() {
    let earlier = package(
        &trail(),
        &[evidence("p1", true), evidence("p2", true)],
        &connectors(),
    );
    // The later quarter: Jira moved to the US, a new vendor, and a verdict flipped.
    let mut later_connectors = connectors();
    later_connectors[1].region = "us-east".to_owned();
    later_connectors.push(ConnectorConfig {
        connector_type: "slack".to_owned(),
        vendor: "Slack".to_owned(),
        purpose: "Notify".to_owned(),
        data_categories: vec!["messages".to_owned()],
        region: "us-1".to_owned(),
        permitted_operations: vec!["chat:write".to_owned()],
    });
    let mut later_trail = trail();
    later_trail[0].count += 5;
    let mut later = package(
        &later_trail,
        &[evidence("p1", false), evidence("p3", true)],
        &later_connectors,
    );
    later.agent.permitted_actions.push("chat:write".to_owned());
    later
        .agent
        .permitted_actions
        .retain(|a| a != "detections:*");

    let changes = diff(&earlier, &later);
    assert_eq!(changes.connectors.added, ["slack"]);
    assert!(changes.connectors.removed.is_empty());
    assert_eq!(changes.permitted_actions.added, ["chat:write"]);
    assert_eq!(changes.permitted_actions.removed, ["detections:*"]);
    assert_eq!(changes.sub_processors.added, ["Slack"]);
    assert_eq!(changes.regions.len(), 1, "{:?}", changes.regions);
    assert_eq!(changes.regions[0].sub_processor, "Atlassian");
    assert_eq!(changes.regions[0].regions.added, ["us-east"]);
    assert_eq!(changes.regions[0].regions.removed, ["eu-west"]);
    let total = changes
        .figures
        .iter()
        .find(|f| f.figure == "total_actions")
        .expect("total_actions changed");
    assert_eq!(
        (total.from, total.to),
        (
            Some(earlier.execution_graph.total_actions),
            Some(earlier.execution_graph.total_actions + 5)
        )
    );
    let flips: Vec<_> = changes
        .policies
        .iter()
        .map(|v| (v.identity.as_str(), v.from, v.to))
        .collect();
    assert_eq!(
        flips,
        [
            ("p1", Some(true), Some(false)),
            ("p2", Some(true), None),
            ("p3", None, Some(true))
        ]
    );
    // p1 failing caps its control at partial: the answer moved, and the diff says from what.
    let moved: Vec<_> = changes
        .answers
        .iter()
        .filter(|a| a.id == "CC7.2")
        .map(|a| (a.from.as_deref(), a.to.as_deref()))
        .collect();
    let status = |p: &PackageContent| {
        let control = p
            .control_mappings
            .controls
            .iter()
            .find(|c| c.control == "CC7.2");
        serde_json::to_value(control.expect("CC7.2 is mapped").status).unwrap()
    };
    assert_ne!(status(&earlier), status(&later), "the fixture moves CC7.2");
    assert_eq!(
        moved,
        [(status(&earlier).as_str(), status(&later).as_str())],
        "{:?}",
        changes.answers
    );
}

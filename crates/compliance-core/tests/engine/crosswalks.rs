//! The crosswalk tables of docs/packages.md: every framework's rows in the package in their
//! order, every row judged by the rule its table names (a SOC 2 criterion's, checked on every
//! case of that criterion, or a crosswalk rule, checked cell by cell), and the frameworks a
//! generation asks for.

use compliance_core::package::{ControlMapping, ControlStatus, Framework, PackageContent};
use time::Duration;

use crate::rules::{
    CONTROL_CASES, Inputs, call, cases, connector, control, deployed, documented, entry, rule,
    sorted_unique, statement, table, tested,
};

/// The frameworks' tables, by the heading docs/packages.md gives each.
const TABLES: [(Framework, &str); 3] = [
    (Framework::Iso42001, "#### `iso_42001`"),
    (Framework::EuAiAct, "#### `eu_ai_act`"),
    (Framework::NistAiRmf, "#### `nist_ai_rmf`"),
];

/// Every documented crosswalk row as (framework, control, rule).
fn rows() -> Vec<(Framework, String, String)> {
    TABLES
        .iter()
        .flat_map(|(framework, heading)| {
            table(heading)
                .into_iter()
                .map(|row| (*framework, row[0].clone(), row[2].clone()))
        })
        .collect()
}

fn crosswalk_control<'a>(
    content: &'a PackageContent,
    framework: Framework,
    id: &str,
) -> &'a ControlMapping {
    content
        .crosswalks
        .iter()
        .find(|c| c.framework_id == framework)
        .unwrap_or_else(|| panic!("no crosswalk {framework:?}"))
        .mappings
        .controls
        .iter()
        .find(|c| c.control == id)
        .unwrap_or_else(|| panic!("no criterion {id} in {framework:?}"))
}

/// Every row judged by `rule` reaches `expected` on the input `build` makes.
#[track_caller]
fn assert_rule(rule: &str, expected: ControlStatus, build: impl FnOnce(&mut Inputs)) {
    let mut inputs = Inputs::default();
    build(&mut inputs);
    let content = inputs.assemble();
    let judged: Vec<_> = rows().into_iter().filter(|(_, _, r)| r == rule).collect();
    assert!(!judged.is_empty(), "no row is judged by {rule}");
    for (framework, id, _) in judged {
        let mapping = crosswalk_control(&content, framework, &id);
        assert_eq!(
            mapping.status, expected,
            "{id} ({rule}) for {inputs:#?}: {mapping:#?}"
        );
        let covered = &content
            .crosswalks
            .iter()
            .find(|c| c.framework_id == framework)
            .expect("asked for")
            .mappings
            .controls_covered;
        assert_eq!(covered.contains(&id), expected == ControlStatus::Covered);
    }
}

/// Entries of one kind, the oldest `span` before the newest.
fn spanning(span: Duration) -> Vec<compliance_core::package::AuditGroup> {
    let mut entries = entry("agent.deployed", Some("PERMIT"), Some("success"), 2);
    entries.last = entries.first + span;
    vec![entries]
}

cases! { RULE_CASES, assert_rule, ControlStatus;
    tooling_covered_when_every_used_connector_is_configured_with_operations: "tooling" => Covered, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    tooling_partial_when_a_used_connector_is_not_configured: "tooling" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("slack", Some("PERMIT"))];
    };
    tooling_partial_when_a_connector_declares_no_operations: "tooling" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"]), connector("jira", &[])];
    };
    tooling_not_evidenced_without_connectors: "tooling" => NotEvidenced, |i| {
        i.audit = vec![call("slack", Some("PERMIT"))];
    };

    monitored_covered_with_a_trail_a_policy_and_no_open_drift: "monitored" => Covered, |i| {
        i.audit = deployed();
        i.policies = vec![statement("deployments weekly", &[], true)];
        i.drift(2, 2);
    };
    monitored_partial_when_drift_is_open: "monitored" => Partial, |i| {
        i.audit = deployed();
        i.policies = vec![statement("deployments weekly", &[], true)];
        i.drift(2, 1);
    };
    monitored_partial_without_a_compliance_policy: "monitored" => Partial, |i| i.audit = deployed();
    monitored_not_evidenced_on_an_empty_trail: "monitored" => NotEvidenced, |i| {
        i.policies = vec![statement("deployments weekly", &[], true)];
    };

    recorded_covered_when_every_entry_has_a_verdict_and_a_status: "recorded" => Covered, |i| {
        i.audit = deployed();
    };
    recorded_partial_when_an_entry_lacks_a_verdict: "recorded" => Partial, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("crowdstrike", None)];
    };
    recorded_partial_when_an_entry_lacks_a_status: "recorded" => Partial, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), None, 1)];
    };
    recorded_not_evidenced_on_an_empty_trail: "recorded" => NotEvidenced, |_| {};

    responsibilities_covered_when_every_party_is_named: "responsibilities" => Covered, |i| {
        i.connectors = vec![connector("crowdstrike", &[])];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    responsibilities_partial_when_a_vendor_is_blank: "responsibilities" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.vendor = " ".to_owned();
        i.connectors = vec![connector("crowdstrike", &[]), jira];
    };
    responsibilities_partial_when_a_purpose_is_blank: "responsibilities" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.purpose.clear();
        i.connectors = vec![jira];
    };
    responsibilities_partial_when_a_used_connector_is_not_configured: "responsibilities" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &[])];
        i.audit = vec![call("slack", Some("PERMIT"))];
    };
    responsibilities_not_evidenced_without_connectors: "responsibilities" => NotEvidenced, |_| {};

    oversight_covered_when_escalations_are_asked_and_answered: "oversight" => Covered, |i| {
        i.rules = vec![rule("escalate")];
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 2),
        ];
    };
    oversight_partial_with_escalate_rules_and_no_approval_asked: "oversight" => Partial, |i| {
        i.rules = vec![rule("escalate")];
    };
    oversight_partial_when_an_approval_is_unreviewed: "oversight" => Partial, |i| {
        i.rules = vec![rule("escalate")];
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 1),
        ];
    };
    oversight_partial_with_approvals_and_no_escalate_rule: "oversight" => Partial, |i| {
        i.rules = vec![rule("deny")];
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 1),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 1),
        ];
    };
    oversight_not_evidenced_with_only_deny_rules: "oversight" => NotEvidenced, |i| {
        i.rules = vec![rule("deny")];
    };

    // t(0) is 1 January 2026; six calendar months later is 1 July, 181 days on.
    retained_covered_when_the_trail_spans_six_calendar_months: "retained" => Covered, |i| {
        i.audit = spanning(Duration::days(181));
    };
    retained_partial_a_second_short_of_six_months: "retained" => Partial, |i| {
        i.audit = spanning(Duration::days(181) - Duration::seconds(1));
    };
    retained_not_evidenced_on_an_empty_trail: "retained" => NotEvidenced, |_| {};

    post_deployment_covered_when_deployments_are_monitored: "post_deployment" => Covered, |i| {
        i.audit = deployed();
        i.policies = vec![statement("deployments weekly", &[], true)];
    };
    post_deployment_partial_without_a_compliance_policy: "post_deployment" => Partial, |i| {
        i.audit = deployed();
    };
    post_deployment_partial_when_drift_is_open: "post_deployment" => Partial, |i| {
        i.audit = deployed();
        i.policies = vec![statement("deployments weekly", &[], true)];
        i.drift(1, 0);
    };
    post_deployment_partial_when_an_approval_is_unreviewed: "post_deployment" => Partial, |i| {
        i.audit = vec![
            entry("agent.deployed", Some("PERMIT"), Some("success"), 1),
            entry("approval.requested", Some("ESCALATE"), Some("success"), 1),
        ];
        i.policies = vec![statement("deployments weekly", &[], true)];
    };
    post_deployment_partial_on_a_trail_without_deployments: "post_deployment" => Partial, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
        i.policies = vec![statement("calls daily", &[], true)];
    };
    post_deployment_not_evidenced_on_an_empty_trail: "post_deployment" => NotEvidenced, |i| {
        i.policies = vec![statement("deployments weekly", &[], true)];
    };
}

#[test]
fn every_documented_rule_cell_has_a_case_and_every_case_a_documented_cell() {
    let rules = table("### `crosswalks`");
    let cells = documented(
        &rules,
        &[
            (1, ControlStatus::Covered),
            (2, ControlStatus::Partial),
            (0, ControlStatus::NotEvidenced),
        ],
    );
    assert_eq!(sorted_unique(cells), sorted_unique(tested(RULE_CASES)));
    // Every row names a documented rule or a SOC 2 criterion.
    let soc2: Vec<String> = table("### `control_mappings`")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    for (framework, id, rule) in rows() {
        assert!(
            rules.iter().any(|r| r[0] == rule) || soc2.contains(&rule),
            "{framework:?} {id}: unknown rule {rule}"
        );
    }
}

#[test]
fn a_row_judged_as_a_soc2_criterion_agrees_with_it_on_every_case_of_that_criterion() {
    let mut compared = 0;
    for (framework, id, rule) in rows() {
        for (_, _, build) in CONTROL_CASES.iter().filter(|(c, _, _)| *c == rule) {
            let mut inputs = Inputs::default();
            build(&mut inputs);
            let content = inputs.assemble();
            let (soc2, ours) = (
                control(&content, &rule),
                crosswalk_control(&content, framework, &id),
            );
            assert_eq!(
                (ours.status, &ours.evidence),
                (soc2.status, &soc2.evidence),
                "{id} as {rule} for {inputs:#?}"
            );
            compared += 1;
        }
    }
    // CC6.1, CC9.2 twice, CC6.7 and CC6.6 have 4, 4, 5 and 5 cases.
    assert!(compared >= 20, "{compared} comparisons");
}

#[test]
fn the_package_lists_every_framework_s_documented_rows_in_their_order() {
    let content = Inputs::default().assemble();
    let listed: Vec<Framework> = content.crosswalks.iter().map(|c| c.framework_id).collect();
    assert_eq!(
        listed,
        [
            Framework::Iso42001,
            Framework::EuAiAct,
            Framework::NistAiRmf
        ]
    );
    for (crosswalk, (framework, heading)) in content.crosswalks.iter().zip(TABLES) {
        assert_eq!(crosswalk.framework_id, framework);
        let documented: Vec<(String, String)> = table(heading)
            .into_iter()
            .map(|row| (row[0].clone(), row[1].clone()))
            .collect();
        let judged: Vec<(String, String)> = crosswalk
            .mappings
            .controls
            .iter()
            .map(|c| (c.control.clone(), c.title.clone()))
            .collect();
        assert_eq!(judged, documented, "{heading}");
    }
}

#[test]
fn a_generation_judges_only_the_frameworks_it_asks_for_and_always_soc2() {
    let inputs = Inputs {
        audit: deployed(),
        ..Inputs::default()
    };
    let only = |frameworks: &[Framework]| inputs.assemble_for(frameworks);
    let eu = only(&[Framework::NistAiRmf, Framework::EuAiAct, Framework::EuAiAct]);
    let ids: Vec<_> = eu.crosswalks.iter().map(|c| c.framework_id).collect();
    assert_eq!(
        ids,
        [Framework::EuAiAct, Framework::NistAiRmf],
        "once each, in order"
    );
    for none in [&[][..], &[Framework::Soc2]] {
        let soc2 = only(none);
        assert!(soc2.crosswalks.is_empty());
        assert_eq!(soc2.control_mappings, eu.control_mappings);
        // No crosswalk, no field: the JSON is a package as stored before crosswalks existed.
        let json = serde_json::to_value(&soc2).unwrap();
        assert!(json.get("crosswalks").is_none(), "{json}");
    }
    assert_eq!(
        eu.controls_covered(),
        ["CC8.1", "Art.12"].map(str::to_owned),
        "SOC 2's covered ids, then each crosswalk's"
    );
}

#[test]
fn a_compliance_policy_naming_a_crosswalk_id_caps_that_criterion_only() {
    let inputs = Inputs {
        audit: deployed(),
        policies: vec![statement("logs complete", &["A.6.2.8"], false)],
        ..Inputs::default()
    };
    let content = inputs.assemble();
    let iso = crosswalk_control(&content, Framework::Iso42001, "A.6.2.8");
    assert_eq!(iso.status, ControlStatus::Partial, "{iso:#?}");
    assert!(
        iso.evidence
            .iter()
            .any(|e| e.starts_with("compliance policy \"logs complete\"")),
        "{iso:#?}"
    );
    // Art.12 has the same rule and the same facts, but the policy does not name it.
    let eu = crosswalk_control(&content, Framework::EuAiAct, "Art.12");
    assert_eq!(eu.status, ControlStatus::Covered, "{eu:#?}");
    assert!(!eu.evidence.iter().any(|e| e.contains("logs complete")));
}

#[test]
fn a_package_stored_before_crosswalks_reads_back_as_it_was() {
    let content = Inputs::default().assemble();
    let mut json = serde_json::to_value(&content).unwrap();
    json.as_object_mut().unwrap().remove("crosswalks");
    let old: PackageContent = serde_json::from_value(json.clone()).unwrap();
    assert!(old.crosswalks.is_empty());
    assert_eq!(serde_json::to_value(&old).unwrap(), json);
}

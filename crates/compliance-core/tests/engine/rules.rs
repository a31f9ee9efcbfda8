//! The two rule tables of docs/packages.md, row by row and cell by cell: every case builds the
//! least input that reaches one answer of one row (`vsq_responses`) or one status of one
//! criterion (`control_mappings`) and checks it; `every_documented_cell_has_a_case` ties the
//! cases to the tables themselves, so a row or a cell added to the docs without a case fails.

use compliance_core::package::{
    AgentProfile, Answer, AuditGroup, ConnectorConfig, ControlMapping, ControlStatus, DriftSummary,
    PackageContent, PackageInputs, PolicyEvidence, PolicyRule, assemble,
};

use crate::support::t;

const PACKAGES_MD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/packages.md"
));

/// A package's inputs, owned; the default is nothing at all: no intent, connectors, rules,
/// trail, drift or compliance policies.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub agent: AgentProfile,
    pub connectors: Vec<ConnectorConfig>,
    pub rules: Vec<PolicyRule>,
    pub audit: Vec<AuditGroup>,
    pub drift: DriftSummary,
    pub policies: Vec<PolicyEvidence>,
}

impl Inputs {
    /// The package judged against every framework.
    pub fn assemble(&self) -> PackageContent {
        self.assemble_for(compliance_core::package::Framework::ALL)
    }

    /// The package judged against SOC 2 and the crosswalks of `frameworks`.
    pub fn assemble_for(
        &self,
        frameworks: &[compliance_core::package::Framework],
    ) -> PackageContent {
        assemble(&PackageInputs {
            agent: &self.agent,
            connectors: &self.connectors,
            rules: &self.rules,
            audit: &self.audit,
            activity: &[],
            drift: &self.drift,
            policies: &self.policies,
            frameworks,
            log: None,
        })
    }

    /// Declares the agent's intent: the systems and the actions it may use.
    pub fn intent(&mut self) {
        self.agent.permitted_systems = vec!["crowdstrike".to_owned()];
        self.agent.permitted_actions = vec!["detections:read".to_owned()];
    }

    pub fn drift(&mut self, detected: i64, resolved: i64) {
        self.drift.detected = detected;
        self.drift.resolved = resolved;
    }
}

/// A connector that declares `operations`, with a data category and a region.
pub(crate) fn connector(kind: &str, operations: &[&str]) -> ConnectorConfig {
    ConnectorConfig {
        connector_type: kind.to_owned(),
        vendor: format!("{kind} Inc."),
        purpose: "triage".to_owned(),
        data_categories: vec!["security_events".to_owned()],
        region: "eu-west".to_owned(),
        permitted_operations: operations.iter().map(|op| (*op).to_owned()).collect(),
    }
}

/// `count` audit entries of `action` through no connector.
pub(crate) fn entry(
    action: &str,
    verdict: Option<&str>,
    status: Option<&str>,
    count: i64,
) -> AuditGroup {
    AuditGroup {
        action_type: action.to_owned(),
        connector: None,
        policy_verdict: verdict.map(|v| v.parse().unwrap()),
        status: status.map(|s| s.parse().unwrap()),
        count,
        first: t(0),
        last: t(60),
    }
}

/// One successful `connector.called` entry through `connector`.
pub(crate) fn call(connector: &str, verdict: Option<&str>) -> AuditGroup {
    AuditGroup {
        connector: Some(connector.to_owned()),
        ..entry("connector.called", verdict, Some("success"), 1)
    }
}

pub(crate) fn rule(rule_type: &str) -> PolicyRule {
    PolicyRule {
        name: format!("{rule_type} containment"),
        rule_type: rule_type.parse().unwrap(),
        connector: "crowdstrike".to_owned(),
        action_pattern: "hosts:contain".to_owned(),
        risk_threshold: 70,
    }
}

/// A compliance policy's statement, naming `controls`.
pub(crate) fn statement(name: &str, controls: &[&str], compliant: bool) -> PolicyEvidence {
    PolicyEvidence {
        identity: format!("compliance_policies/{name}"),
        display_name: name.to_owned(),
        compliance_type: "COMPLIANCE_SINCE".to_owned(),
        controls: controls.iter().map(|c| (*c).to_owned()).collect(),
        compliant,
        reason: if compliant {
            String::new()
        } else {
            "Duration 900000s exceeds limit 604800s".to_owned()
        },
    }
}

pub(crate) fn control<'a>(content: &'a PackageContent, id: &str) -> &'a ControlMapping {
    content
        .control_mappings
        .controls
        .iter()
        .find(|c| c.control == id)
        .unwrap_or_else(|| panic!("no criterion {id}"))
}

#[track_caller]
fn assert_answer(id: &str, expected: Answer, build: impl FnOnce(&mut Inputs)) {
    let mut inputs = Inputs::default();
    build(&mut inputs);
    let content = inputs.assemble();
    let response = content
        .vsq_responses
        .responses
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no answer {id}"));
    assert_eq!(
        response.answer, expected,
        "{id} for {inputs:#?}: {response:#?}"
    );
}

#[track_caller]
fn assert_status(id: &str, expected: ControlStatus, build: impl FnOnce(&mut Inputs)) {
    let mut inputs = Inputs::default();
    build(&mut inputs);
    let content = inputs.assemble();
    let mapping = control(&content, id);
    assert_eq!(
        mapping.status, expected,
        "{id} for {inputs:#?}: {mapping:#?}"
    );
    // `controls_covered` lists exactly the criteria whose status is covered.
    assert_eq!(
        content
            .control_mappings
            .controls_covered
            .iter()
            .any(|c| c == id),
        expected == ControlStatus::Covered,
        "{id} in {:?}",
        content.control_mappings.controls_covered
    );
}

/// One test per case, and the list of (row, answer) they reach.
macro_rules! cases {
    ($list:ident, $assert:ident, $kind:ident; $($name:ident: $id:literal => $answer:ident, $build:expr;)+) => {
        $(
            #[test]
            fn $name() {
                $assert($id, $kind::$answer, $build);
            }
        )+
        /// Every case: the row, the answer it reaches, and the input that reaches it.
        pub(crate) const $list: &[(&str, $kind, fn(&mut Inputs))] = &[$(($id, $kind::$answer, $build)),+];
    };
}
pub(crate) use cases;

cases! { VSQ_CASES, assert_answer, Answer;
    iam_05_1_yes_when_every_connector_declares_operations_and_none_is_a_wildcard: "IAM-05.1" => Yes, |i| {
        i.connectors = vec![
            connector("crowdstrike", &["detections:read"]),
            connector("jira", &["issues:create"]),
        ];
    };
    iam_05_1_partial_when_one_connector_declares_no_operations: "IAM-05.1" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"]), connector("jira", &[])];
    };
    iam_05_1_partial_when_an_operation_is_a_wildcard: "IAM-05.1" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:*"])];
    };
    iam_05_1_no_without_connectors: "IAM-05.1" => No, |_| {};
    iam_05_1_no_when_no_connector_declares_operations: "IAM-05.1" => No, |i| {
        i.connectors = vec![connector("crowdstrike", &[]), connector("jira", &[])];
    };

    log_02_1_yes_when_the_trail_has_an_entry: "LOG-02.1" => Yes, |i| {
        i.audit = vec![entry("agent.deployed", None, None, 1)];
    };
    log_02_1_no_on_an_empty_trail: "LOG-02.1" => No, |_| {};

    log_09_1_yes_even_for_an_empty_package: "LOG-09.1" => Yes, |_| {};

    log_10_1_yes_when_every_entry_has_a_verdict_and_a_status: "LOG-10.1" => Yes, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 3)];
    };
    log_10_1_partial_when_an_entry_lacks_a_verdict: "LOG-10.1" => Partial, |i| {
        i.audit = vec![
            entry("agent.deployed", Some("PERMIT"), Some("success"), 3),
            entry("agent.deployed", None, Some("success"), 1),
        ];
    };
    log_10_1_partial_when_an_entry_lacks_a_status: "LOG-10.1" => Partial, |i| {
        i.audit = vec![
            entry("agent.deployed", Some("PERMIT"), Some("success"), 3),
            entry("agent.deployed", Some("PERMIT"), None, 1),
        ];
    };
    log_10_1_no_on_an_empty_trail: "LOG-10.1" => No, |_| {};

    log_03_1_yes_when_all_detected_drift_is_resolved: "LOG-03.1" => Yes, |i| i.drift(2, 2);
    log_03_1_partial_when_drift_is_open: "LOG-03.1" => Partial, |i| i.drift(2, 1);
    log_03_1_partial_when_no_drift_is_recorded: "LOG-03.1" => Partial, |_| {};

    ccc_03_1_yes_with_an_agent_deployed_entry: "CCC-03.1" => Yes, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)];
    };
    ccc_03_1_no_without_agent_deployed_entries: "CCC-03.1" => No, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };

    sta_08_1_yes_when_every_used_connector_is_configured: "STA-08.1" => Yes, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    sta_08_1_partial_when_a_used_connector_is_not_configured: "STA-08.1" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("slack", Some("PERMIT"))];
    };

    sef_03_1_yes_when_every_approval_request_was_reviewed: "SEF-03.1" => Yes, |i| {
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 2),
        ];
    };
    sef_03_1_yes_with_escalate_verdicts_and_no_request_pending: "SEF-03.1" => Yes, |i| {
        i.audit = vec![call("crowdstrike", Some("ESCALATE"))];
    };
    sef_03_1_partial_when_an_approval_request_is_unreviewed: "SEF-03.1" => Partial, |i| {
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 1),
        ];
    };
    sef_03_1_partial_with_an_escalate_rule_but_no_escalation_yet: "SEF-03.1" => Partial, |i| {
        i.rules = vec![rule("escalate")];
    };
    sef_03_1_partial_with_a_deny_rule_but_no_escalation_yet: "SEF-03.1" => Partial, |i| {
        i.rules = vec![rule("deny")];
    };
    sef_03_1_no_with_only_permit_rules_and_no_escalation: "SEF-03.1" => No, |i| {
        i.rules = vec![rule("permit")];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };

    dsp_05_1_yes_when_every_connector_has_data_categories_and_a_region: "DSP-05.1" => Yes, |i| {
        i.connectors = vec![connector("crowdstrike", &[]), connector("jira", &[])];
    };
    dsp_05_1_partial_when_a_connector_lacks_data_categories: "DSP-05.1" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.data_categories.clear();
        i.connectors = vec![connector("crowdstrike", &[]), jira];
    };
    dsp_05_1_partial_when_a_connector_has_a_blank_region: "DSP-05.1" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.region = "  ".to_owned();
        i.connectors = vec![connector("crowdstrike", &[]), jira];
    };
    dsp_05_1_no_without_connectors: "DSP-05.1" => No, |_| {};

    ais_07_1_yes_when_every_connector_call_has_a_verdict: "AIS-07.1" => Yes, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("jira", Some("DENY"))];
    };
    ais_07_1_partial_when_a_connector_call_lacks_a_verdict: "AIS-07.1" => Partial, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("jira", None)];
    };
    ais_07_1_no_without_connector_calls: "AIS-07.1" => No, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)];
    };
}

cases! { CONTROL_CASES, assert_status, ControlStatus;
    cc6_1_covered_when_rules_exist_and_every_call_has_a_verdict: "CC6.1" => Covered, |i| {
        i.rules = vec![rule("permit")];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    // Rules that never judged a call are a design without evidence that it operated.
    cc6_1_partial_when_rules_exist_but_no_call_was_made: "CC6.1" => Partial, |i| {
        i.rules = vec![rule("permit")];
    };
    cc6_1_partial_when_rules_exist_and_a_call_lacks_a_verdict: "CC6.1" => Partial, |i| {
        i.rules = vec![rule("permit")];
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("crowdstrike", None)];
    };
    cc6_1_partial_when_calls_have_verdicts_but_no_rule_exists: "CC6.1" => Partial, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    cc6_1_not_evidenced_without_rules_or_verdicts: "CC6.1" => NotEvidenced, |i| {
        i.audit = vec![call("crowdstrike", None)];
    };

    cc6_2_covered_when_intent_is_declared_and_every_used_connector_is_configured: "CC6.2" => Covered, |i| {
        i.intent();
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    cc6_2_partial_when_a_used_connector_is_not_configured: "CC6.2" => Partial, |i| {
        i.intent();
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
        i.audit = vec![call("slack", Some("PERMIT"))];
    };
    cc6_2_partial_with_declared_intent_and_no_connectors: "CC6.2" => Partial, |i| i.intent();
    cc6_2_partial_with_connectors_and_no_declared_intent: "CC6.2" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"])];
    };
    cc6_2_not_evidenced_when_intent_names_systems_but_no_actions: "CC6.2" => NotEvidenced, |i| {
        i.agent.permitted_systems = vec!["crowdstrike".to_owned()];
    };

    cc6_3_covered_when_every_connector_declares_operations_and_none_is_a_wildcard: "CC6.3" => Covered, |i| {
        i.connectors = vec![
            connector("crowdstrike", &["detections:read"]),
            connector("jira", &["issues:create"]),
        ];
    };
    cc6_3_partial_when_one_connector_declares_no_operations: "CC6.3" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["detections:read"]), connector("jira", &[])];
    };
    cc6_3_partial_when_an_operation_is_a_wildcard: "CC6.3" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &["*:read"])];
    };
    cc6_3_not_evidenced_without_connectors: "CC6.3" => NotEvidenced, |_| {};
    cc6_3_not_evidenced_when_no_connector_declares_operations: "CC6.3" => NotEvidenced, |i| {
        i.connectors = vec![connector("crowdstrike", &[])];
    };

    cc6_6_covered_when_deny_rules_exist_and_every_call_has_a_verdict: "CC6.6" => Covered, |i| {
        i.rules = vec![rule("deny")];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    // As CC6.1: a boundary no call has crossed is designed, not shown to operate.
    cc6_6_partial_when_escalate_rules_exist_but_no_call_was_made: "CC6.6" => Partial, |i| {
        i.rules = vec![rule("escalate")];
    };
    cc6_6_partial_when_deny_rules_exist_and_a_call_lacks_a_verdict: "CC6.6" => Partial, |i| {
        i.rules = vec![rule("deny")];
        i.audit = vec![call("crowdstrike", Some("PERMIT")), call("crowdstrike", None)];
    };
    cc6_6_partial_when_deny_verdicts_are_recorded_without_deny_rules: "CC6.6" => Partial, |i| {
        i.rules = vec![rule("permit")];
        i.audit = vec![call("crowdstrike", Some("DENY"))];
    };
    cc6_6_not_evidenced_with_only_permit_rules_and_verdicts: "CC6.6" => NotEvidenced, |i| {
        i.rules = vec![rule("permit")];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };

    cc6_7_covered_when_every_connector_declares_data_categories_and_a_region: "CC6.7" => Covered, |i| {
        i.connectors = vec![connector("crowdstrike", &[]), connector("jira", &[])];
    };
    cc6_7_partial_when_one_connector_lacks_a_region: "CC6.7" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.region.clear();
        i.connectors = vec![connector("crowdstrike", &[]), jira];
    };
    cc6_7_partial_when_one_connector_lacks_data_categories: "CC6.7" => Partial, |i| {
        let mut jira = connector("jira", &[]);
        jira.data_categories.clear();
        i.connectors = vec![connector("crowdstrike", &[]), jira];
    };
    cc6_7_not_evidenced_without_connectors: "CC6.7" => NotEvidenced, |_| {};
    cc6_7_not_evidenced_when_no_connector_declares_its_data: "CC6.7" => NotEvidenced, |i| {
        let mut only = connector("crowdstrike", &[]);
        only.data_categories.clear();
        i.connectors = vec![only];
    };

    cc7_1_covered_when_all_detected_drift_is_resolved: "CC7.1" => Covered, |i| i.drift(3, 3);
    cc7_1_partial_when_drift_is_open: "CC7.1" => Partial, |i| i.drift(3, 2);
    cc7_1_not_evidenced_without_drift: "CC7.1" => NotEvidenced, |_| {};

    cc7_2_covered_with_a_trail_and_a_compliance_policy_evaluated_over_it: "CC7.2" => Covered, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)];
        i.policies = vec![statement("deployments weekly", &[], true)];
    };
    cc7_2_partial_with_a_trail_and_no_compliance_policy: "CC7.2" => Partial, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)];
    };
    cc7_2_not_evidenced_with_a_compliance_policy_over_an_empty_trail: "CC7.2" => NotEvidenced, |i| {
        i.policies = vec![statement("deployments weekly", &[], true)];
    };

    cc7_3_covered_when_every_escalation_was_reviewed: "CC7.3" => Covered, |i| {
        i.audit = vec![
            call("crowdstrike", Some("ESCALATE")),
            entry("approval.requested", Some("PERMIT"), Some("success"), 1),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 1),
        ];
    };
    cc7_3_covered_when_all_detected_drift_is_resolved: "CC7.3" => Covered, |i| i.drift(1, 1);
    cc7_3_partial_when_an_escalation_is_unreviewed: "CC7.3" => Partial, |i| {
        i.audit = vec![
            call("crowdstrike", Some("ESCALATE")),
            entry("approval.requested", Some("PERMIT"), Some("success"), 1),
        ];
    };
    cc7_3_partial_when_drift_is_open: "CC7.3" => Partial, |i| i.drift(2, 1);
    cc7_3_not_evidenced_without_escalations_or_drift: "CC7.3" => NotEvidenced, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };

    cc7_4_covered_when_every_approval_request_was_reviewed: "CC7.4" => Covered, |i| {
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 2),
        ];
    };
    cc7_4_partial_when_an_approval_request_is_unreviewed: "CC7.4" => Partial, |i| {
        i.audit = vec![
            entry("approval.requested", Some("ESCALATE"), Some("success"), 2),
            entry("approval.reviewed", Some("PERMIT"), Some("success"), 1),
        ];
    };
    cc7_4_not_evidenced_without_approval_requests: "CC7.4" => NotEvidenced, |i| {
        i.audit = vec![call("crowdstrike", Some("ESCALATE"))];
    };

    cc8_1_covered_with_an_agent_deployed_entry: "CC8.1" => Covered, |i| {
        i.audit = vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)];
    };
    cc8_1_not_evidenced_without_agent_deployed_entries: "CC8.1" => NotEvidenced, |i| {
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };

    cc9_2_covered_when_every_used_connector_is_configured_and_described: "CC9.2" => Covered, |i| {
        i.connectors = vec![connector("crowdstrike", &[])];
        i.audit = vec![call("crowdstrike", Some("PERMIT"))];
    };
    cc9_2_partial_when_a_used_connector_is_not_configured: "CC9.2" => Partial, |i| {
        i.connectors = vec![connector("crowdstrike", &[])];
        i.audit = vec![call("slack", Some("PERMIT"))];
    };
    cc9_2_partial_when_a_connector_lacks_a_region: "CC9.2" => Partial, |i| {
        let mut only = connector("crowdstrike", &[]);
        only.region.clear();
        i.connectors = vec![only];
    };
    cc9_2_not_evidenced_without_connectors: "CC9.2" => NotEvidenced, |i| {
        i.audit = vec![call("slack", Some("PERMIT"))];
    };
}

/// The rows of the markdown table that follows `heading`, as trimmed cells.
pub(crate) fn table(heading: &str) -> Vec<Vec<String>> {
    let (_, section) = PACKAGES_MD
        .split_once(heading)
        .unwrap_or_else(|| panic!("{heading} in docs/packages.md"));
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and its separator
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

/// `(id, outcome)` for every cell of the table that is not `—`.
pub(crate) fn documented<T: Copy>(
    rows: &[Vec<String>],
    outcomes: &[(usize, T)],
) -> Vec<(String, T)> {
    rows.iter()
        .flat_map(|row| {
            outcomes
                .iter()
                .filter(|(column, _)| row[*column] != "—")
                .map(|(_, outcome)| (row[0].clone(), *outcome))
        })
        .collect()
}

pub(crate) fn tested<T: Copy, B>(cases: &[(&str, T, B)]) -> Vec<(String, T)> {
    cases
        .iter()
        .map(|(id, outcome, _)| ((*id).to_owned(), *outcome))
        .collect()
}

pub(crate) fn sorted_unique<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

#[test]
fn every_documented_cell_has_a_case_and_every_case_a_documented_cell() {
    let rows = table("### `vsq_responses`");
    let order = |answer: Answer| answer as u8;
    let key = |cells: Vec<(String, Answer)>| {
        sorted_unique(cells.into_iter().map(|(id, a)| (id, order(a))).collect())
    };
    let vsq = documented(
        &rows,
        &[(2, Answer::Yes), (3, Answer::Partial), (4, Answer::No)],
    );
    assert_eq!(
        key(vsq),
        key(tested(VSQ_CASES)),
        "vsq_responses table vs cases"
    );

    // Every criterion is not_evidenced when nothing else holds (the table's "else").
    let rows = table("### `control_mappings`");
    let controls = documented(
        &rows,
        &[
            (2, ControlStatus::Covered),
            (3, ControlStatus::Partial),
            (0, ControlStatus::NotEvidenced),
        ],
    );
    assert_eq!(
        sorted_unique(controls),
        sorted_unique(tested(CONTROL_CASES)),
        "control_mappings table vs cases"
    );
}

#[test]
fn the_package_answers_exactly_the_documented_rows_in_their_order() {
    let content = Inputs::default().assemble();
    let ids = |rows: Vec<Vec<String>>| {
        rows.into_iter()
            .map(|row| row[0].clone())
            .collect::<Vec<_>>()
    };
    let answered: Vec<_> = content
        .vsq_responses
        .responses
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(answered, ids(table("### `vsq_responses`")));
    let mapped: Vec<_> = content
        .control_mappings
        .controls
        .iter()
        .map(|c| c.control.clone())
        .collect();
    assert_eq!(mapped, ids(table("### `control_mappings`")));
}

// The rule under the table: "a non-compliant statement caps the criterion at `partial`"
// (covered → partial is package.rs::a_failing_compliance_policy_caps_its_control_at_partial).

pub(crate) fn deployed() -> Vec<AuditGroup> {
    vec![entry("agent.deployed", Some("PERMIT"), Some("success"), 1)]
}

#[test]
fn a_non_compliant_statement_among_compliant_ones_caps_the_criterion_at_partial() {
    let inputs = Inputs {
        audit: deployed(),
        policies: vec![
            statement("deployments weekly", &["CC8.1"], true),
            statement("deployments daily", &["CC8.1"], false),
            statement("deployments monthly", &["CC8.1"], true),
        ],
        ..Inputs::default()
    };
    let content = inputs.assemble();
    let cc81 = control(&content, "CC8.1");
    assert_eq!(cc81.status, ControlStatus::Partial, "{cc81:#?}");
    assert!(
        !content
            .control_mappings
            .controls_covered
            .contains(&"CC8.1".to_owned())
    );
    let named: Vec<_> = cc81
        .evidence
        .iter()
        .filter(|e| e.starts_with("compliance policy"))
        .collect();
    assert_eq!(
        named,
        [
            "compliance policy \"deployments weekly\" (COMPLIANCE_SINCE): compliant",
            "compliance policy \"deployments daily\" (COMPLIANCE_SINCE): non-compliant: Duration 900000s exceeds limit 604800s",
            "compliance policy \"deployments monthly\" (COMPLIANCE_SINCE): compliant",
        ]
    );
}

#[test]
fn a_non_compliant_statement_does_not_raise_a_not_evidenced_criterion() {
    let inputs = Inputs {
        policies: vec![statement("deployments daily", &["CC8.1"], false)],
        ..Inputs::default()
    };
    assert_eq!(
        control(&inputs.assemble(), "CC8.1").status,
        ControlStatus::NotEvidenced
    );
}

#[test]
fn a_compliant_statement_neither_raises_nor_lowers_the_criterion() {
    let passing = vec![statement("deployments weekly", &["CC8.1"], true)];
    let without = Inputs {
        policies: passing.clone(),
        ..Inputs::default()
    };
    assert_eq!(
        control(&without.assemble(), "CC8.1").status,
        ControlStatus::NotEvidenced
    );
    let with = Inputs {
        audit: deployed(),
        policies: passing,
        ..Inputs::default()
    };
    assert_eq!(
        control(&with.assemble(), "CC8.1").status,
        ControlStatus::Covered
    );
}

#[test]
fn a_non_compliant_statement_caps_only_the_criteria_it_names() {
    let inputs = Inputs {
        audit: deployed(),
        policies: vec![statement("drift closed daily", &["CC7.1", "CC7.2"], false)],
        ..Inputs::default()
    };
    let content = inputs.assemble();
    // CC7.2 would be covered (a trail and a policy evaluated over it); CC8.1 is not named.
    assert_eq!(control(&content, "CC7.2").status, ControlStatus::Partial);
    assert_eq!(
        control(&content, "CC7.1").status,
        ControlStatus::NotEvidenced
    );
    assert_eq!(control(&content, "CC8.1").status, ControlStatus::Covered);
    assert_eq!(content.control_mappings.controls_covered, ["CC8.1"]);
}

//! Vendor security questionnaire answers, computed from the data, keyed by CSA CAIQ v4 ids.

use serde::{Deserialize, Serialize};

use super::facts::{Facts, count, figure, list};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    Yes,
    No,
    Partial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsqResponse {
    pub id: String,
    pub question: String,
    pub answer: Answer,
    /// The figures that justify the answer.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsqResponses {
    pub catalogue: String,
    pub responses: Vec<VsqResponse>,
}

fn response(id: &str, question: &str, answer: Answer, evidence: Vec<String>) -> VsqResponse {
    VsqResponse {
        id: id.to_owned(),
        question: question.to_owned(),
        answer,
        evidence,
    }
}

pub(super) fn responses(f: &Facts<'_>) -> VsqResponses {
    use Answer::{No, Partial, Yes};
    let connectors = f.inputs.connectors;
    let operations: Vec<String> = connectors
        .iter()
        .map(|c| format!("{}: {}", c.connector_type, list(&c.permitted_operations)))
        .collect();
    let least_privilege = if connectors.is_empty() || f.without_operations.len() == connectors.len()
    {
        No
    } else if f.without_operations.is_empty() && f.wildcard.is_empty() {
        Yes
    } else {
        Partial
    };
    let drift = f.inputs.drift;
    let monitoring = match (drift.detected, f.drift_open()) {
        (0, _) => Partial,
        (_, 0) => Yes,
        _ => Partial,
    };
    let escalation = if f.escalate == 0 && f.approvals_requested == 0 {
        if f.deny_or_escalate_rules > 0 {
            Partial
        } else {
            No
        }
    } else if f.approvals_reviewed >= f.approvals_requested {
        Yes
    } else {
        Partial
    };
    let responses = vec![
        response(
            "IAM-05.1",
            "Is the agent's access limited to what its function requires (least privilege)?",
            least_privilege,
            vec![
                format!(
                    "{} configured; permitted operations: {}",
                    count(connectors.len() as i64, "connector"),
                    list(&operations)
                ),
                format!(
                    "connectors without declared operations: {}",
                    list(&f.without_operations)
                ),
                format!(
                    "connectors with wildcard operations: {}",
                    list(&f.wildcard)
                ),
                format!(
                    "declared permitted actions: {}",
                    list(&f.inputs.agent.permitted_actions)
                ),
            ],
        ),
        response(
            "LOG-02.1",
            "Are audit logs of the agent's actions generated and retained?",
            if f.total > 0 { Yes } else { No },
            vec![format!("{} {}", count(f.total, "audit entry"), f.period())],
        ),
        response(
            "LOG-09.1",
            "Are audit logs protected from modification and deletion?",
            Yes,
            vec![
                "audit entries are append-only: the database refuses UPDATE, DELETE and TRUNCATE on them"
                    .to_owned(),
                "each package version is sealed with SHA-256 and chained to the previous version"
                    .to_owned(),
            ],
        ),
        response(
            "LOG-10.1",
            "Do audit records capture the action, the target, the policy decision and the outcome?",
            if f.total > 0 && f.entries_incomplete == 0 {
                Yes
            } else if f.total > 0 {
                Partial
            } else {
                No
            },
            vec![format!(
                "{} of {} entries carry both a policy verdict and a status",
                figure(f.total - f.entries_incomplete),
                figure(f.total)
            )],
        ),
        response(
            "LOG-03.1",
            "Is the agent monitored for behaviour that drifts from its declared intent?",
            monitoring,
            vec![
                format!(
                    "{} drift events detected, {} resolved, {} open",
                    figure(drift.detected),
                    figure(drift.resolved),
                    figure(f.drift_open())
                ),
                drift.max_seconds_to_resolve.map_or_else(
                    || "no resolution times recorded".to_owned(),
                    |max| format!("longest time to resolve: {max:.0}s"),
                ),
            ],
        ),
        response(
            "CCC-03.1",
            "Are changes to the agent (deployments) managed and recorded?",
            if f.deployments > 0 { Yes } else { No },
            vec![format!(
                "{} (agent.deployed)",
                count(f.deployments, "deployment")
            )],
        ),
        response(
            "STA-08.1",
            "Is an inventory of the third parties (sub-processors) the agent uses maintained?",
            if f.unconfigured.is_empty() {
                Yes
            } else {
                Partial
            },
            vec![
                format!(
                    "{} configured connectors; used: {}",
                    connectors.len(),
                    list(&f.graph.connectors_used)
                ),
                format!("used but not configured: {}", list(&f.unconfigured)),
            ],
        ),
        response(
            "SEF-03.1",
            "Are risky actions escalated for human review before they proceed?",
            escalation,
            vec![
                format!(
                    "{}; {} requested, {} reviewed",
                    count(f.escalate, "ESCALATE verdict"),
                    count(f.approvals_requested, "approval"),
                    figure(f.approvals_reviewed)
                ),
                count(f.deny_or_escalate_rules as i64, "deny or escalate rule"),
            ],
        ),
        response(
            "DSP-05.1",
            "Is the flow of data between the agent and third parties documented?",
            if connectors.is_empty() {
                No
            } else if f.undescribed_flows.is_empty() {
                Yes
            } else {
                Partial
            },
            vec![
                format!(
                    "{} in the diagram",
                    count(connectors.len() as i64, "data flow")
                ),
                format!(
                    "connectors missing data categories or region: {}",
                    list(&f.undescribed_flows)
                ),
            ],
        ),
        response(
            "AIS-07.1",
            "Does a policy engine decide on every connector call?",
            if f.calls > 0 && f.calls_without_verdict == 0 {
                Yes
            } else if f.calls > 0 {
                Partial
            } else {
                No
            },
            vec![
                format!(
                    "{} connector calls, {} without a verdict",
                    figure(f.calls),
                    figure(f.calls_without_verdict)
                ),
                format!(
                    "verdicts: {} PERMIT, {} ESCALATE, {} DENY; {} blocked",
                    figure(f.permit),
                    figure(f.escalate),
                    figure(f.deny),
                    figure(f.blocked)
                ),
            ],
        ),
    ];
    VsqResponses {
        catalogue: "CSA CAIQ v4 (ids where one applies)".to_owned(),
        responses,
    }
}

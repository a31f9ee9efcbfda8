//! SOC 2 criteria mapped to evidence; the rules are the table in `docs/packages.md`.

use serde::{Deserialize, Serialize};

use super::PolicyEvidence;
use super::facts::{Facts, count, figure, list};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    NotEvidenced,
    Partial,
    Covered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlMapping {
    pub control: String,
    pub title: String,
    pub status: ControlStatus,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlMappings {
    pub framework: String,
    /// The criteria whose status is `covered`, in catalogue order.
    pub controls_covered: Vec<String>,
    pub controls: Vec<ControlMapping>,
}

/// Covered when `full`, partial when `some`, else not evidenced.
fn status(full: bool, some: bool) -> ControlStatus {
    if full {
        ControlStatus::Covered
    } else if some {
        ControlStatus::Partial
    } else {
        ControlStatus::NotEvidenced
    }
}

pub(super) fn mappings(f: &Facts<'_>, policies: &[PolicyEvidence]) -> ControlMappings {
    let rules = f.inputs.rules.len();
    let connectors = f.inputs.connectors.len();
    let drift = f.inputs.drift;
    let verdicts = format!(
        "verdicts: {} PERMIT, {} ESCALATE, {} DENY",
        figure(f.permit),
        figure(f.escalate),
        figure(f.deny)
    );
    let statements = policies.len();
    let criteria: Vec<(&str, &str, ControlStatus, Vec<String>)> = vec![
        (
            "CC6.1",
            "Logical access security over protected information assets",
            // Covered needs calls the rules judged: rules alone show design, not operation.
            status(
                rules > 0 && f.calls > 0 && f.calls_without_verdict == 0,
                rules > 0 || f.calls > f.calls_without_verdict,
            ),
            vec![
                count(rules as i64, "policy rule"),
                format!(
                    "{} connector calls, {} without a verdict",
                    figure(f.calls),
                    figure(f.calls_without_verdict)
                ),
                verdicts.clone(),
            ],
        ),
        (
            "CC6.2",
            "Registration and authorization of the agent before access is granted",
            status(
                f.intent_declared && f.unconfigured.is_empty() && connectors > 0,
                f.intent_declared || connectors > 0,
            ),
            vec![
                format!(
                    "declared intent: systems {}; actions {}",
                    list(&f.inputs.agent.permitted_systems),
                    list(&f.inputs.agent.permitted_actions)
                ),
                format!(
                    "used but not configured connectors: {}",
                    list(&f.unconfigured)
                ),
            ],
        ),
        (
            "CC6.3",
            "Access limited by least privilege",
            status(
                connectors > 0 && f.without_operations.is_empty() && f.wildcard.is_empty(),
                connectors > f.without_operations.len(),
            ),
            vec![
                format!(
                    "connectors without declared operations: {}",
                    list(&f.without_operations)
                ),
                format!("connectors with wildcard operations: {}", list(&f.wildcard)),
            ],
        ),
        (
            "CC6.6",
            "Protection against threats from outside the system boundary",
            // As CC6.1: deny rules no call went through are not yet evidence that they operate.
            status(
                f.deny_or_escalate_rules > 0 && f.calls > 0 && f.calls_without_verdict == 0,
                f.deny_or_escalate_rules > 0 || f.deny > 0,
            ),
            vec![
                count(f.deny_or_escalate_rules as i64, "deny or escalate rule"),
                format!(
                    "{} DENY verdicts, {} blocked actions",
                    figure(f.deny),
                    figure(f.blocked)
                ),
            ],
        ),
        (
            "CC6.7",
            "Restriction of data movement to authorized parties and regions",
            status(
                connectors > 0 && f.undescribed_flows.is_empty(),
                connectors > f.undescribed_flows.len(),
            ),
            vec![format!(
                "{}; missing data categories or region: {}",
                count(connectors as i64, "connector"),
                list(&f.undescribed_flows)
            )],
        ),
        (
            "CC7.1",
            "Detection of changes that introduce vulnerabilities (drift)",
            status(
                drift.detected > 0 && f.drift_open() == 0,
                drift.detected > 0,
            ),
            vec![format!(
                "{} drift events detected, {} resolved, {} open",
                figure(drift.detected),
                figure(drift.resolved),
                figure(f.drift_open())
            )],
        ),
        (
            "CC7.2",
            "Monitoring of system components for anomalies",
            status(f.total > 0 && statements > 0, f.total > 0),
            vec![
                format!("{} {}", count(f.total, "audit entry"), f.period()),
                format!(
                    "{} evaluated over the trail",
                    count(statements as i64, "compliance policy")
                ),
            ],
        ),
        (
            "CC7.3",
            "Evaluation of security events",
            status(
                (f.escalate > 0 || drift.detected > 0)
                    && f.approvals_reviewed >= f.approvals_requested
                    && f.drift_open() == 0,
                f.escalate > 0 || drift.detected > 0,
            ),
            vec![
                format!(
                    "{}; {} requested, {} reviewed",
                    count(f.escalate, "ESCALATE verdict"),
                    count(f.approvals_requested, "approval"),
                    figure(f.approvals_reviewed)
                ),
                format!("{} drift events open", figure(f.drift_open())),
            ],
        ),
        (
            "CC7.4",
            "Response to identified security incidents",
            status(
                f.approvals_requested > 0 && f.approvals_reviewed >= f.approvals_requested,
                f.approvals_requested > 0,
            ),
            vec![format!(
                "{} requested, {} reviewed",
                count(f.approvals_requested, "approval"),
                figure(f.approvals_reviewed)
            )],
        ),
        (
            "CC8.1",
            "Authorized, recorded changes (deployments)",
            status(f.deployments > 0, false),
            vec![format!(
                "{} (agent.deployed)",
                count(f.deployments, "deployment")
            )],
        ),
        (
            "CC9.2",
            "Assessment and management of vendor risk",
            status(
                connectors > 0 && f.unconfigured.is_empty() && f.undescribed_flows.is_empty(),
                connectors > 0,
            ),
            vec![format!(
                "{} configured; used but not configured: {}",
                count(connectors as i64, "connector"),
                list(&f.unconfigured)
            )],
        ),
    ];
    let controls: Vec<ControlMapping> = criteria
        .into_iter()
        .map(|(control, title, mut status, mut evidence)| {
            // A compliance policy that names the criterion is evidence; a failing one caps it.
            for policy in policies
                .iter()
                .filter(|p| p.controls.iter().any(|c| c == control))
            {
                let verdict = if policy.compliant {
                    "compliant".to_owned()
                } else {
                    format!("non-compliant: {}", policy.reason)
                };
                evidence.push(format!(
                    "compliance policy \"{}\" ({}): {verdict}",
                    policy.display_name, policy.compliance_type
                ));
                if !policy.compliant {
                    status = status.min(ControlStatus::Partial);
                }
            }
            ControlMapping {
                control: control.to_owned(),
                title: title.to_owned(),
                status,
                evidence,
            }
        })
        .collect();
    ControlMappings {
        framework: "SOC 2 Trust Services Criteria (2017)".to_owned(),
        controls_covered: controls
            .iter()
            .filter(|c| c.status == ControlStatus::Covered)
            .map(|c| c.control.clone())
            .collect(),
        controls,
    }
}

//! SOC 2 criteria mapped to evidence; the rules are the table in `docs/packages.md`.

use serde::{Deserialize, Serialize};

use super::PolicyEvidence;
use super::facts::{Facts, count, figure, list};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    NotEvidenced,
    Partial,
    Covered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlMapping {
    pub control: String,
    pub title: String,
    pub status: ControlStatus,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlMappings {
    pub framework: String,
    /// The criteria whose status is `covered`, in catalogue order.
    pub controls_covered: Vec<String>,
    pub controls: Vec<ControlMapping>,
}

/// Covered when `full`, partial when `some`, else not evidenced.
pub(super) fn status(full: bool, some: bool) -> ControlStatus {
    if full {
        ControlStatus::Covered
    } else if some {
        ControlStatus::Partial
    } else {
        ControlStatus::NotEvidenced
    }
}

/// What the figures say about one criterion, before the compliance policies are heard.
pub(super) struct Judgement {
    pub status: ControlStatus,
    pub evidence: Vec<String>,
}

/// A rule of `docs/packages.md`: what the figures say about a criterion.
pub(super) type Rule = fn(&Facts<'_>, &[PolicyEvidence]) -> Judgement;

/// One criterion of a table in `docs/packages.md`: its id, its title, and its rule.
pub(super) struct Criterion {
    pub control: &'static str,
    pub title: &'static str,
    pub judge: Rule,
}

/// The criteria in catalogue order, the order the package lists them in.
const CRITERIA: [Criterion; 11] = [
    Criterion {
        control: "CC6.1",
        title: "Logical access security over protected information assets",
        judge: cc6_1,
    },
    Criterion {
        control: "CC6.2",
        title: "Registration and authorization of the agent before access is granted",
        judge: cc6_2,
    },
    Criterion {
        control: "CC6.3",
        title: "Access limited by least privilege",
        judge: cc6_3,
    },
    Criterion {
        control: "CC6.6",
        title: "Protection against threats from outside the system boundary",
        judge: cc6_6,
    },
    Criterion {
        control: "CC6.7",
        title: "Restriction of data movement to authorized parties and regions",
        judge: cc6_7,
    },
    Criterion {
        control: "CC7.1",
        title: "Detection of changes that introduce vulnerabilities (drift)",
        judge: cc7_1,
    },
    Criterion {
        control: "CC7.2",
        title: "Monitoring of system components for anomalies",
        judge: cc7_2,
    },
    Criterion {
        control: "CC7.3",
        title: "Evaluation of security events",
        judge: cc7_3,
    },
    Criterion {
        control: "CC7.4",
        title: "Response to identified security incidents",
        judge: cc7_4,
    },
    Criterion {
        control: "CC8.1",
        title: "Authorized, recorded changes (deployments)",
        judge: cc8_1,
    },
    Criterion {
        control: "CC9.2",
        title: "Assessment and management of vendor risk",
        judge: cc9_2,
    },
];

/// The SOC 2 criteria of [`CRITERIA`] judged in order, and those covered.
pub(super) fn mappings(f: &Facts<'_>, policies: &[PolicyEvidence]) -> ControlMappings {
    judge_all(
        "SOC 2 Trust Services Criteria (2017)",
        &CRITERIA,
        f,
        policies,
    )
}

/// `criteria` judged in order, and those covered, as the table of `framework`.
pub(super) fn judge_all(
    framework: &str,
    criteria: &[Criterion],
    f: &Facts<'_>,
    policies: &[PolicyEvidence],
) -> ControlMappings {
    let controls: Vec<ControlMapping> = criteria
        .iter()
        .map(|criterion| criterion.mapping(f, policies))
        .collect();
    ControlMappings {
        framework: framework.to_owned(),
        controls_covered: controls
            .iter()
            .filter(|c| c.status == ControlStatus::Covered)
            .map(|c| c.control.clone())
            .collect(),
        controls,
    }
}

impl Criterion {
    /// The criterion judged from the figures, then from the compliance policies that name it.
    fn mapping(&self, f: &Facts<'_>, policies: &[PolicyEvidence]) -> ControlMapping {
        let Judgement {
            mut status,
            mut evidence,
        } = (self.judge)(f, policies);
        // A compliance policy that names the criterion is evidence; a failing one caps it.
        for policy in policies
            .iter()
            .filter(|p| p.controls.iter().any(|c| c == self.control))
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
            control: self.control.to_owned(),
            title: self.title.to_owned(),
            status,
            evidence,
        }
    }
}

/// CC6.1: the rules, and whether they judged every connector call.
pub(super) fn cc6_1(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let rules = f.inputs.rules.len();
    Judgement {
        // Covered needs calls the rules judged: rules alone show design, not operation.
        status: status(
            rules > 0 && f.calls > 0 && f.calls_without_verdict == 0,
            rules > 0 || f.calls > f.calls_without_verdict,
        ),
        evidence: vec![
            count(rules as i64, "policy rule"),
            format!(
                "{} connector calls, {} without a verdict",
                figure(f.calls),
                figure(f.calls_without_verdict)
            ),
            format!(
                "verdicts: {} PERMIT, {} ESCALATE, {} DENY",
                figure(f.permit),
                figure(f.escalate),
                figure(f.deny)
            ),
        ],
    }
}

/// CC6.2: the agent's declared intent, and connectors configured for every one it uses.
pub(super) fn cc6_2(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    Judgement {
        status: status(
            f.intent_declared && f.unconfigured.is_empty() && connectors > 0,
            f.intent_declared || connectors > 0,
        ),
        evidence: vec![
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
    }
}

/// CC6.3: every connector declares its operations, none of them a wildcard.
pub(super) fn cc6_3(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    Judgement {
        status: status(
            connectors > 0 && f.without_operations.is_empty() && f.wildcard.is_empty(),
            connectors > f.without_operations.len(),
        ),
        evidence: vec![
            format!(
                "connectors without declared operations: {}",
                list(&f.without_operations)
            ),
            format!("connectors with wildcard operations: {}", list(&f.wildcard)),
        ],
    }
}

/// CC6.6: deny and escalate rules, and the calls they judged.
pub(super) fn cc6_6(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    Judgement {
        // As CC6.1: deny rules no call went through are not yet evidence that they operate.
        status: status(
            f.deny_or_escalate_rules > 0 && f.calls > 0 && f.calls_without_verdict == 0,
            f.deny_or_escalate_rules > 0 || f.deny > 0,
        ),
        evidence: vec![
            count(f.deny_or_escalate_rules as i64, "deny or escalate rule"),
            format!(
                "{} DENY verdicts, {} blocked actions",
                figure(f.deny),
                figure(f.blocked)
            ),
        ],
    }
}

/// CC6.7: every connector names its data categories and region.
pub(super) fn cc6_7(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    Judgement {
        status: status(
            connectors > 0 && f.undescribed_flows.is_empty(),
            connectors > f.undescribed_flows.len(),
        ),
        evidence: vec![format!(
            "{}; missing data categories or region: {}",
            count(connectors as i64, "connector"),
            list(&f.undescribed_flows)
        )],
    }
}

/// CC7.1: drift detected, and none of it left open.
pub(super) fn cc7_1(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let drift = f.inputs.drift;
    Judgement {
        status: status(
            drift.detected > 0 && f.drift_open() == 0,
            drift.detected > 0,
        ),
        evidence: vec![format!(
            "{} drift events detected, {} resolved, {} open",
            figure(drift.detected),
            figure(drift.resolved),
            figure(f.drift_open())
        )],
    }
}

/// CC7.2: an audit trail, and compliance policies evaluated over it.
pub(super) fn cc7_2(f: &Facts<'_>, policies: &[PolicyEvidence]) -> Judgement {
    let statements = policies.len();
    Judgement {
        status: status(f.total > 0 && statements > 0, f.total > 0),
        evidence: vec![
            format!("{} {}", count(f.total, "audit entry"), f.period()),
            format!(
                "{} evaluated over the trail",
                count(statements as i64, "compliance policy")
            ),
        ],
    }
}

/// CC7.3: escalations and drift, each reviewed or resolved.
pub(super) fn cc7_3(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let drift = f.inputs.drift;
    Judgement {
        status: status(
            (f.escalate > 0 || drift.detected > 0)
                && f.approvals_reviewed >= f.approvals_requested
                && f.drift_open() == 0,
            f.escalate > 0 || drift.detected > 0,
        ),
        evidence: vec![
            format!(
                "{}; {} requested, {} reviewed",
                count(f.escalate, "ESCALATE verdict"),
                count(f.approvals_requested, "approval"),
                figure(f.approvals_reviewed)
            ),
            format!("{} drift events open", figure(f.drift_open())),
        ],
    }
}

/// CC7.4: approvals requested, and every one reviewed.
pub(super) fn cc7_4(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(
            f.approvals_requested > 0 && f.approvals_reviewed >= f.approvals_requested,
            f.approvals_requested > 0,
        ),
        evidence: vec![format!(
            "{} requested, {} reviewed",
            count(f.approvals_requested, "approval"),
            figure(f.approvals_reviewed)
        )],
    }
}

/// CC8.1: deployments recorded in the trail.
pub(super) fn cc8_1(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(f.deployments > 0, false),
        evidence: vec![format!(
            "{} (agent.deployed)",
            count(f.deployments, "deployment")
        )],
    }
}

/// CC9.2: every vendor the agent uses configured, with its data flow described.
pub(super) fn cc9_2(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    Judgement {
        status: status(
            connectors > 0 && f.unconfigured.is_empty() && f.undescribed_flows.is_empty(),
            connectors > 0,
        ),
        evidence: vec![format!(
            "{} configured; used but not configured: {}",
            count(connectors as i64, "connector"),
            list(&f.unconfigured)
        )],
    }
}

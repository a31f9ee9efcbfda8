//! Vendor security questionnaire answers, computed from the data, keyed by CSA CAIQ v4 ids.

use serde::{Deserialize, Serialize};

use super::facts::{Facts, count, figure, list};
use Answer::{No, Partial, Yes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Answer {
    Yes,
    No,
    Partial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VsqResponse {
    pub id: String,
    pub question: String,
    pub answer: Answer,
    /// The figures that justify the answer.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VsqResponses {
    pub catalogue: String,
    pub responses: Vec<VsqResponse>,
}

/// An answer and the figures that justify it.
struct Reply {
    answer: Answer,
    evidence: Vec<String>,
}

/// One questionnaire question: its CAIQ id, its text, and how the figures answer it.
struct Question {
    id: &'static str,
    question: &'static str,
    reply: fn(&Facts<'_>) -> Reply,
}

/// The questions in the order the package lists them.
const QUESTIONS: [Question; 10] = [
    Question {
        id: "IAM-05.1",
        question: "Is the agent's access limited to what its function requires (least privilege)?",
        reply: iam_05_1,
    },
    Question {
        id: "LOG-02.1",
        question: "Are audit logs of the agent's actions generated and retained?",
        reply: log_02_1,
    },
    Question {
        id: "LOG-09.1",
        question: "Are audit logs protected from modification and deletion?",
        reply: log_09_1,
    },
    Question {
        id: "LOG-10.1",
        question: "Do audit records capture the action, the target, the policy decision and the outcome?",
        reply: log_10_1,
    },
    Question {
        id: "LOG-03.1",
        question: "Is the agent monitored for behaviour that drifts from its declared intent?",
        reply: log_03_1,
    },
    Question {
        id: "CCC-03.1",
        question: "Are changes to the agent (deployments) managed and recorded?",
        reply: ccc_03_1,
    },
    Question {
        id: "STA-08.1",
        question: "Is an inventory of the third parties (sub-processors) the agent uses maintained?",
        reply: sta_08_1,
    },
    Question {
        id: "SEF-03.1",
        question: "Are risky actions escalated for human review before they proceed?",
        reply: sef_03_1,
    },
    Question {
        id: "DSP-05.1",
        question: "Is the flow of data between the agent and third parties documented?",
        reply: dsp_05_1,
    },
    Question {
        id: "AIS-07.1",
        question: "Does a policy engine decide on every connector call?",
        reply: ais_07_1,
    },
];

/// The questionnaire answered from the figures, question by question.
pub(super) fn responses(f: &Facts<'_>) -> VsqResponses {
    VsqResponses {
        catalogue: "CSA CAIQ v4 (ids where one applies)".to_owned(),
        responses: QUESTIONS.iter().map(|q| q.response(f)).collect(),
    }
}

impl Question {
    /// The question answered from the figures.
    fn response(&self, f: &Facts<'_>) -> VsqResponse {
        let Reply { answer, evidence } = (self.reply)(f);
        VsqResponse {
            id: self.id.to_owned(),
            question: self.question.to_owned(),
            answer,
            evidence,
        }
    }
}

/// IAM-05.1: every connector declares its operations, none of them a wildcard.
fn iam_05_1(f: &Facts<'_>) -> Reply {
    let connectors = f.inputs.connectors;
    let operations: Vec<String> = connectors
        .iter()
        .map(|c| format!("{}: {}", c.connector_type, list(&c.permitted_operations)))
        .collect();
    let answer = if connectors.is_empty() || f.without_operations.len() == connectors.len() {
        No
    } else if f.without_operations.is_empty() && f.wildcard.is_empty() {
        Yes
    } else {
        Partial
    };
    Reply {
        answer,
        evidence: vec![
            format!(
                "{} configured; permitted operations: {}",
                count(connectors.len() as i64, "connector"),
                list(&operations)
            ),
            format!(
                "connectors without declared operations: {}",
                list(&f.without_operations)
            ),
            format!("connectors with wildcard operations: {}", list(&f.wildcard)),
            format!(
                "declared permitted actions: {}",
                list(&f.inputs.agent.permitted_actions)
            ),
        ],
    }
}

/// LOG-02.1: the trail holds entries.
fn log_02_1(f: &Facts<'_>) -> Reply {
    Reply {
        answer: if f.total > 0 { Yes } else { No },
        evidence: vec![format!("{} {}", count(f.total, "audit entry"), f.period())],
    }
}

/// LOG-09.1: always yes, by how the trail and the packages are stored.
fn log_09_1(_: &Facts<'_>) -> Reply {
    Reply {
        answer: Yes,
        evidence: vec![
            "audit entries are append-only: the database refuses UPDATE, DELETE and TRUNCATE on them"
                .to_owned(),
            "each package version is sealed with SHA-256 and chained to the previous version"
                .to_owned(),
        ],
    }
}

/// LOG-10.1: every entry carries both a policy verdict and a status.
fn log_10_1(f: &Facts<'_>) -> Reply {
    Reply {
        answer: if f.total > 0 && f.entries_incomplete == 0 {
            Yes
        } else if f.total > 0 {
            Partial
        } else {
            No
        },
        evidence: vec![format!(
            "{} of {} entries carry both a policy verdict and a status",
            figure(f.total - f.entries_incomplete),
            figure(f.total)
        )],
    }
}

/// LOG-03.1: drift detected, and none of it left open.
fn log_03_1(f: &Facts<'_>) -> Reply {
    let drift = f.inputs.drift;
    Reply {
        answer: match (drift.detected, f.drift_open()) {
            (0, _) => Partial,
            (_, 0) => Yes,
            _ => Partial,
        },
        evidence: vec![
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
    }
}

/// CCC-03.1: deployments recorded in the trail.
fn ccc_03_1(f: &Facts<'_>) -> Reply {
    Reply {
        answer: if f.deployments > 0 { Yes } else { No },
        evidence: vec![format!(
            "{} (agent.deployed)",
            count(f.deployments, "deployment")
        )],
    }
}

/// STA-08.1: every connector the trail uses is configured.
fn sta_08_1(f: &Facts<'_>) -> Reply {
    Reply {
        answer: if f.unconfigured.is_empty() {
            Yes
        } else {
            Partial
        },
        evidence: vec![
            format!(
                "{} configured connectors; used: {}",
                f.inputs.connectors.len(),
                list(&f.graph.connectors_used)
            ),
            format!("used but not configured: {}", list(&f.unconfigured)),
        ],
    }
}

/// SEF-03.1: escalations and approvals, every one reviewed.
fn sef_03_1(f: &Facts<'_>) -> Reply {
    let answer = if f.escalate == 0 && f.approvals_requested == 0 {
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
    Reply {
        answer,
        evidence: vec![
            format!(
                "{}; {} requested, {} reviewed",
                count(f.escalate, "ESCALATE verdict"),
                count(f.approvals_requested, "approval"),
                figure(f.approvals_reviewed)
            ),
            count(f.deny_or_escalate_rules as i64, "deny or escalate rule"),
        ],
    }
}

/// DSP-05.1: every connector names its data categories and region.
fn dsp_05_1(f: &Facts<'_>) -> Reply {
    let connectors = f.inputs.connectors;
    Reply {
        answer: if connectors.is_empty() {
            No
        } else if f.undescribed_flows.is_empty() {
            Yes
        } else {
            Partial
        },
        evidence: vec![
            format!(
                "{} in the diagram",
                count(connectors.len() as i64, "data flow")
            ),
            format!(
                "connectors missing data categories or region: {}",
                list(&f.undescribed_flows)
            ),
        ],
    }
}

/// AIS-07.1: the policy engine gave a verdict on every connector call.
fn ais_07_1(f: &Facts<'_>) -> Reply {
    Reply {
        answer: if f.calls > 0 && f.calls_without_verdict == 0 {
            Yes
        } else if f.calls > 0 {
            Partial
        } else {
            No
        },
        evidence: vec![
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
    }
}

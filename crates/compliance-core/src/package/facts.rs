//! The figures both the questionnaire and the control mappings judge from, derived once so that
//! the two can never disagree.

use std::collections::BTreeSet;

use super::graph::ExecutionGraph;
use super::{ConnectorConfig, PackageInputs};
use crate::agent::{Outcome, RuleType, Verdict};

/// Action types with a meaning for the evidence.
pub(super) const DEPLOYED: &str = "agent.deployed";
pub(super) const APPROVAL_REQUESTED: &str = "approval.requested";
pub(super) const APPROVAL_REVIEWED: &str = "approval.reviewed";
pub(super) const CONNECTOR_CALLED: &str = "connector.called";

#[derive(Debug)]
pub(super) struct Facts<'a> {
    pub inputs: &'a PackageInputs<'a>,
    pub graph: &'a ExecutionGraph,
    pub total: i64,
    pub permit: i64,
    pub escalate: i64,
    pub deny: i64,
    pub blocked: i64,
    /// Connector calls the policy engine gave no verdict on.
    pub calls_without_verdict: i64,
    /// Entries missing a verdict or a status.
    pub entries_incomplete: i64,
    pub calls: i64,
    pub deployments: i64,
    pub approvals_requested: i64,
    pub approvals_reviewed: i64,
    /// Connectors the trail uses that no configuration describes.
    pub unconfigured: Vec<String>,
    /// Configured connectors that declare no permitted operation.
    pub without_operations: Vec<String>,
    /// Configured connectors with a wildcard operation (see [`is_wildcard`]).
    pub wildcard: Vec<String>,
    /// Configured connectors missing data categories or a region.
    pub undescribed_flows: Vec<String>,
    pub deny_or_escalate_rules: usize,
    pub escalate_rules: usize,
    pub intent_declared: bool,
}

/// An operation that names no single resource and action: any `*` in it (`*`, `*:*`, `*:write`,
/// `crowdstrike:*`, `*:*:*`, `incidents:read*`) grants a set the configuration does not list.
pub(super) fn is_wildcard(operation: &str) -> bool {
    operation.contains('*')
}

impl<'a> Facts<'a> {
    pub fn new(inputs: &'a PackageInputs<'a>, graph: &'a ExecutionGraph) -> Self {
        let count = |f: &dyn Fn(&super::AuditGroup) -> bool| -> i64 {
            inputs.audit.iter().filter(|g| f(g)).map(|g| g.count).sum()
        };
        let verdict = |v: Verdict| graph.policy_verdicts.get(v.as_str()).copied().unwrap_or(0);
        let configured: BTreeSet<&str> = inputs
            .connectors
            .iter()
            .map(|c| c.connector_type.as_str())
            .collect();
        let names = |f: &dyn Fn(&ConnectorConfig) -> bool| -> Vec<String> {
            inputs
                .connectors
                .iter()
                .filter(|c| f(c))
                .map(|c| c.connector_type.clone())
                .collect()
        };
        Self {
            inputs,
            graph,
            total: graph.total_actions,
            permit: verdict(Verdict::Permit),
            escalate: verdict(Verdict::Escalate),
            deny: verdict(Verdict::Deny),
            blocked: graph
                .statuses
                .get(Outcome::Blocked.as_str())
                .copied()
                .unwrap_or(0),
            calls_without_verdict: count(&|g| {
                g.action_type == CONNECTOR_CALLED && g.policy_verdict.is_none()
            }),
            entries_incomplete: count(&|g| g.policy_verdict.is_none() || g.status.is_none()),
            calls: count(&|g| g.action_type == CONNECTOR_CALLED),
            deployments: count(&|g| g.action_type == DEPLOYED),
            approvals_requested: count(&|g| g.action_type == APPROVAL_REQUESTED),
            approvals_reviewed: count(&|g| g.action_type == APPROVAL_REVIEWED),
            unconfigured: graph
                .connectors_used
                .iter()
                .filter(|c| !configured.contains(c.as_str()))
                .cloned()
                .collect(),
            without_operations: names(&|c| c.permitted_operations.is_empty()),
            wildcard: names(&|c| c.permitted_operations.iter().any(|op| is_wildcard(op))),
            undescribed_flows: names(&|c| {
                c.data_categories.is_empty() || c.region.trim().is_empty()
            }),
            deny_or_escalate_rules: inputs
                .rules
                .iter()
                .filter(|r| matches!(r.rule_type, RuleType::Deny | RuleType::Escalate))
                .count(),
            escalate_rules: inputs
                .rules
                .iter()
                .filter(|r| r.rule_type == RuleType::Escalate)
                .count(),
            intent_declared: !inputs.agent.permitted_systems.is_empty()
                && !inputs.agent.permitted_actions.is_empty(),
        }
    }

    pub fn drift_open(&self) -> i64 {
        self.inputs.drift.detected - self.inputs.drift.resolved
    }

    pub fn period(&self) -> String {
        match (self.graph.first_action, self.graph.last_action) {
            (Some(first), Some(last)) => format!("from {} to {}", day(first), day(last)),
            _ => "with no entries".to_owned(),
        }
    }
}

fn day(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

/// `n` with thousands separated, as the evidence prints figures.
pub(super) fn figure(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `n` and its noun, singular for one: "1 connector", "1,247 connectors".
pub(super) fn count(n: i64, noun: &str) -> String {
    let noun = if n == 1 {
        noun.to_owned()
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    };
    format!("{} {noun}", figure(n))
}

pub(super) fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

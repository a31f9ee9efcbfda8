use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::PackageInputs;
use crate::agent::Verdict;

/// What the agent did, from its audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutionGraph {
    pub total_actions: i64,
    pub connectors_used: Vec<String>,
    /// Entries per action type.
    pub operations_performed: BTreeMap<String, i64>,
    /// PERMIT, ESCALATE and DENY, zero-filled.
    pub policy_verdicts: BTreeMap<String, i64>,
    /// success, error and blocked, as recorded.
    pub statuses: BTreeMap<String, i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_action: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_action: Option<OffsetDateTime>,
    /// agent → connector → operation, with counts.
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Edge {
    pub agent: String,
    pub connector: String,
    pub operation: String,
    pub count: i64,
}

pub(super) fn execution_graph(inputs: &PackageInputs<'_>) -> ExecutionGraph {
    let mut operations = BTreeMap::new();
    // Always all three verdicts, so a zero is shown rather than left out.
    let mut verdicts: BTreeMap<String, i64> = Verdict::ALL
        .iter()
        .map(|v| (v.as_str().to_owned(), 0))
        .collect();
    let mut statuses = BTreeMap::new();
    let mut connectors = BTreeSet::new();
    let mut edges: BTreeMap<(String, String), i64> = BTreeMap::new();
    for group in inputs.audit {
        *operations.entry(group.action_type.clone()).or_insert(0) += group.count;
        if let Some(verdict) = &group.policy_verdict {
            *verdicts.entry(verdict.as_str().to_owned()).or_insert(0) += group.count;
        }
        if let Some(status) = &group.status {
            *statuses.entry(status.as_str().to_owned()).or_insert(0) += group.count;
        }
        if let Some(connector) = &group.connector {
            connectors.insert(connector.clone());
            *edges
                .entry((connector.clone(), group.action_type.clone()))
                .or_insert(0) += group.count;
        }
    }
    ExecutionGraph {
        total_actions: inputs.audit.iter().map(|g| g.count).sum(),
        connectors_used: connectors.into_iter().collect(),
        operations_performed: operations,
        policy_verdicts: verdicts,
        statuses,
        first_action: inputs.audit.iter().map(|g| g.first).min(),
        last_action: inputs.audit.iter().map(|g| g.last).max(),
        edges: edges
            .into_iter()
            .map(|((connector, operation), count)| Edge {
                agent: inputs.agent.name.clone(),
                connector,
                operation,
                count,
            })
            .collect(),
    }
}

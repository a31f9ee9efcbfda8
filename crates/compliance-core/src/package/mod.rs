//! Compliance packages for AI agents (seed 000): a pure function from what the store knows about
//! an agent at one instant to the package's content. Deterministic: the same inputs give the
//! same JSON, so a package's hash can be recomputed.

mod activity;
mod controls;
mod crosswalks;
mod diff;
mod facts;
mod flow;
mod graph;
mod vsq;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use activity::ActivityDay;
pub use controls::{ControlMapping, ControlMappings, ControlStatus};
pub use crosswalks::{Crosswalk, Framework};
pub use diff::{
    AnswerChange, Changed, FigureChange, PackageDiff, RegionChange, VerdictChange, diff,
};
pub use flow::{DataFlowDiagram, Direction, FlowConnector};
pub use graph::{Edge, ExecutionGraph};
pub use vsq::{Answer, VsqResponse, VsqResponses};

pub use crate::agent::{AgentProfile, ConnectorConfig, PolicyRule, RuleType};
use crate::agent::{Outcome, Verdict};

/// Audit entries of one kind, as PostgreSQL grouped them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditGroup {
    pub action_type: String,
    pub connector: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Option<Outcome>,
    pub count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub first: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last: OffsetDateTime,
}

/// Drift (`drift.detected`, closed by `drift.resolved` with the same correlation id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftSummary {
    pub detected: i64,
    pub resolved: i64,
    /// Detections per severity (`unspecified` when none was given).
    pub by_severity: BTreeMap<String, i64>,
    pub mean_seconds_to_resolve: Option<f64>,
    pub max_seconds_to_resolve: Option<f64>,
    /// The most recent unresolved detections (at most 20).
    pub open: Vec<OpenDrift>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenDrift {
    pub correlation_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub detected_at: OffsetDateTime,
    pub drift_type: Option<String>,
    pub severity: Option<String>,
}

/// A compliance policy's statement about the agent at generation time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyEvidence {
    /// `compliance_policies/<uuid>`.
    pub identity: String,
    pub display_name: String,
    pub compliance_type: String,
    /// Criteria of any framework the policy evidences, such as `CC7.2` or `A.6.2.8`.
    pub controls: Vec<String>,
    pub compliant: bool,
    pub reason: String,
}

/// Where the package's figures sit in the org's transparency log (docs/log.md): the signed
/// checkpoint of the tree they were computed over (every entry counted is a leaf of it, and no
/// entry outside it is counted), the proof that the previous version's tree is a prefix of it,
/// and the entries filed late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogAnchor {
    /// The log's origin, the checkpoint's first line.
    pub origin: String,
    pub tree_size: u64,
    /// Base64 of the tree's RFC 9162 root hash.
    pub root_hash: String,
    /// The C2SP signed note of the checkpoint.
    pub checkpoint: String,
    /// The previous version's tree, when it has one.
    pub previous: Option<LogPrefix>,
    pub back_dated: BackDated,
}

/// The previous version's tree, and the RFC 9162 consistency proof that it is a prefix of this
/// version's: nothing removed from it, nothing inserted into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPrefix {
    pub tree_size: u64,
    pub root_hash: String,
    /// Base64 hashes, in RFC 9162 §2.1.4's order.
    pub consistency_proof: Vec<String>,
}

/// The agent's entries counted whose declared time is earlier than their acceptance by more
/// than the tolerance: evidence filed late, shown rather than silent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackDated {
    pub tolerance_seconds: i64,
    pub entries: i64,
    /// The longest lag between declared and accepted time among them, in whole seconds.
    pub max_lag_seconds: Option<i64>,
}

/// Everything a package is computed from.
#[derive(Debug, Clone, Copy)]
pub struct PackageInputs<'a> {
    pub agent: &'a AgentProfile,
    pub connectors: &'a [ConnectorConfig],
    pub rules: &'a [PolicyRule],
    pub audit: &'a [AuditGroup],
    /// The same entries counted per UTC day, oldest first (only days with entries).
    pub activity: &'a [ActivityDay],
    pub drift: &'a DriftSummary,
    pub policies: &'a [PolicyEvidence],
    /// The frameworks to judge beside SOC 2 (which is always judged): [`Framework::ALL`] by
    /// default.
    pub frameworks: &'a [Framework],
    /// The log checkpoint the figures were computed over; `None` offline (a package assembled
    /// outside a store has no log).
    pub log: Option<&'a LogAnchor>,
}

/// A package's content: the five sections of seed 000, the policy statements and the drift
/// summary they rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageContent {
    pub agent: AgentProfile,
    pub execution_graph: ExecutionGraph,
    pub data_flow_diagram: DataFlowDiagram,
    pub vsq_responses: VsqResponses,
    pub sub_processors: Vec<SubProcessor>,
    pub control_mappings: ControlMappings,
    /// The other frameworks asked for, judged from the same facts; absent when none was (so a
    /// package stored before crosswalks existed reads and seals as it was).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosswalks: Vec<Crosswalk>,
    pub compliance_policies: Vec<PolicyEvidence>,
    pub drift: DriftSummary,
    /// The trail's entries per UTC day, oldest first, only days with entries: the activity
    /// chart's figures. Absent in packages generated before the chart existed (they read and
    /// seal as they were), and when the trail is empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<ActivityDay>,
    /// Absent in packages generated before the log existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogAnchor>,
}

impl PackageContent {
    /// Every framework's covered criteria: SOC 2's, then each crosswalk's, in table order.
    pub fn controls_covered(&self) -> Vec<String> {
        let crosswalks = self.crosswalks.iter().map(|c| &c.mappings);
        std::iter::once(&self.control_mappings)
            .chain(crosswalks)
            .flat_map(|m| m.controls_covered.iter().cloned())
            .collect()
    }
}

/// A third-party vendor behind a configured or used connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubProcessor {
    pub name: String,
    pub purpose: String,
    pub data_categories: Vec<String>,
    pub regions: Vec<String>,
    pub connectors: Vec<String>,
    /// False for a connector the trail uses but no configuration describes.
    pub configured: bool,
    pub calls: i64,
}

/// Computes a package's content from its inputs.
pub fn assemble(inputs: &PackageInputs<'_>) -> PackageContent {
    let execution_graph = graph::execution_graph(inputs);
    let facts = facts::Facts::new(inputs, &execution_graph);
    let sub_processors = flow::sub_processors(inputs, &execution_graph);
    PackageContent {
        agent: inputs.agent.clone(),
        data_flow_diagram: flow::diagram(inputs, &execution_graph),
        vsq_responses: vsq::responses(&facts),
        control_mappings: controls::mappings(&facts, inputs.policies),
        crosswalks: crosswalks::crosswalks(inputs.frameworks, &facts, inputs.policies),
        sub_processors,
        compliance_policies: inputs.policies.to_vec(),
        drift: inputs.drift.clone(),
        activity: inputs.activity.to_vec(),
        log: inputs.log.cloned(),
        execution_graph,
    }
}

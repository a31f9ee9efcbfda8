use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::graph::ExecutionGraph;
use super::{ConnectorConfig, PackageInputs, SubProcessor};

/// Which way data moves between the agent and a connector, from its permitted operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only reads: data flows from the vendor to the agent.
    Inbound,
    /// Only writes: data flows from the agent to the vendor.
    Outbound,
    Bidirectional,
    /// No permitted operations declared.
    Undeclared,
}

/// Verbs that only read.
const READS: [&str; 10] = [
    "read", "list", "get", "search", "query", "fetch", "view", "describe", "download", "export",
];

fn direction(operations: &[String]) -> Direction {
    let (mut reads, mut writes) = (false, false);
    for operation in operations {
        let action = operation
            .rsplit(':')
            .next()
            .unwrap_or(operation)
            .to_ascii_lowercase();
        if action.contains('*') {
            reads = true;
            writes = true;
        } else if READS.contains(&action.as_str()) {
            reads = true;
        } else {
            writes = true;
        }
    }
    match (reads, writes) {
        (true, true) => Direction::Bidirectional,
        (true, false) => Direction::Inbound,
        (false, true) => Direction::Outbound,
        (false, false) => Direction::Undeclared,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowConnector {
    pub name: String,
    pub vendor: String,
    pub data_categories: Vec<String>,
    pub direction: Direction,
    pub calls: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataFlowDiagram {
    /// A Mermaid `graph LR` of the agent, the policy engine, the audit trail and each connector.
    pub mermaid: String,
    pub connectors: Vec<FlowConnector>,
}

/// Every configured connector, in configuration order (two of one type with different vendors
/// are two connectors), then the used ones no configuration describes, by name.
fn connectors(inputs: &PackageInputs<'_>, graph: &ExecutionGraph) -> Vec<(ConnectorConfig, bool)> {
    let mut all: Vec<(ConnectorConfig, bool)> = inputs
        .connectors
        .iter()
        .map(|c| (c.clone(), true))
        .collect();
    let configured: BTreeSet<&str> = inputs
        .connectors
        .iter()
        .map(|c| c.connector_type.as_str())
        .collect();
    for used in graph
        .connectors_used
        .iter()
        .filter(|used| !configured.contains(used.as_str()))
    {
        let unknown = ConnectorConfig {
            connector_type: used.clone(),
            vendor: format!("{used} (not configured)"),
            ..ConnectorConfig::default()
        };
        all.push((unknown, false));
    }
    all
}

fn calls(graph: &ExecutionGraph, connector: &str) -> i64 {
    graph
        .edges
        .iter()
        .filter(|e| e.connector == connector)
        .map(|e| e.count)
        .sum()
}

/// A Mermaid label: quoted, with the characters Mermaid would misread replaced.
fn label(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '|' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    format!("\"{clean}\"")
}

pub(super) fn diagram(inputs: &PackageInputs<'_>, graph: &ExecutionGraph) -> DataFlowDiagram {
    let mut lines = vec![
        "graph LR".to_owned(),
        format!(
            "    agent[{}]",
            label(&format!("{} (AI agent)", inputs.agent.name))
        ),
        "    engine{\"Policy engine\"}".to_owned(),
        format!(
            "    trail[({})]",
            label(&format!("Audit trail: {} entries", graph.total_actions))
        ),
        "    agent -->|\"every action\"| engine".to_owned(),
        "    engine -->|\"verdicts\"| trail".to_owned(),
    ];
    let mut flow = Vec::new();
    for (i, (connector, _)) in connectors(inputs, graph).into_iter().enumerate() {
        let node = format!("c{i}");
        let categories = if connector.data_categories.is_empty() {
            "undeclared data".to_owned()
        } else {
            connector.data_categories.join(", ")
        };
        let direction = direction(&connector.permitted_operations);
        lines.push(format!(
            "    {node}[{}]",
            label(&format!(
                "{} ({})",
                connector.vendor, connector.connector_type
            ))
        ));
        let arrow = match direction {
            Direction::Inbound => format!("    {node} -->|{}| engine", label(&categories)),
            Direction::Outbound => format!("    engine -->|{}| {node}", label(&categories)),
            Direction::Bidirectional => format!("    engine <-->|{}| {node}", label(&categories)),
            Direction::Undeclared => format!("    engine -.->|{}| {node}", label(&categories)),
        };
        lines.push(arrow);
        flow.push(FlowConnector {
            calls: calls(graph, &connector.connector_type),
            name: connector.connector_type,
            vendor: connector.vendor,
            data_categories: connector.data_categories,
            direction,
        });
    }
    DataFlowDiagram {
        mermaid: lines.join("\n"),
        connectors: flow,
    }
}

pub(super) fn sub_processors(
    inputs: &PackageInputs<'_>,
    graph: &ExecutionGraph,
) -> Vec<SubProcessor> {
    let mut vendors: BTreeMap<String, SubProcessor> = BTreeMap::new();
    for (connector, configured) in connectors(inputs, graph) {
        let entry = vendors
            .entry(connector.vendor.clone())
            .or_insert_with(|| SubProcessor {
                name: connector.vendor.clone(),
                purpose: String::new(),
                data_categories: Vec::new(),
                regions: Vec::new(),
                connectors: Vec::new(),
                configured,
                calls: 0,
            });
        let mut purposes: BTreeSet<String> = entry
            .purpose
            .split("; ")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if !connector.purpose.is_empty() {
            purposes.insert(connector.purpose.clone());
        }
        entry.purpose = purposes.into_iter().collect::<Vec<_>>().join("; ");
        let mut categories: BTreeSet<String> = entry.data_categories.drain(..).collect();
        categories.extend(connector.data_categories.iter().cloned());
        entry.data_categories = categories.into_iter().collect();
        if !connector.region.is_empty() && !entry.regions.contains(&connector.region) {
            entry.regions.push(connector.region.clone());
            entry.regions.sort();
        }
        // Calls are counted per connector type: a vendor with two configurations of one type
        // has made those calls once.
        if !entry.connectors.contains(&connector.connector_type) {
            entry.calls += calls(graph, &connector.connector_type);
            entry.connectors.push(connector.connector_type);
        }
        entry.configured &= configured;
    }
    vendors.into_values().collect()
}

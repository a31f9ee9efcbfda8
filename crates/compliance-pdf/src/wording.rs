//! How the evidence is worded wherever a person reads it: the PDF's sections and the server's
//! pages say a fact in the same words, so the two cannot drift apart.

use compliance_core::package::{
    ActivityDay, Answer, ControlStatus, Direction, DriftSummary, ExecutionGraph, LogAnchor,
    OpenDrift,
};
use time::OffsetDateTime;

/// The log's facts as (name, value) rows.
pub fn log_rows(log: &LogAnchor) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Log origin", log.origin.clone()),
        ("Tree size", log.tree_size.to_string()),
        ("Root hash", log.root_hash.clone()),
    ];
    match &log.previous {
        Some(previous) => {
            rows.push(("Previous tree size", previous.tree_size.to_string()));
            rows.push(("Previous root hash", previous.root_hash.clone()));
            rows.push(("Consistency proof", listed(&previous.consistency_proof)));
        }
        None => rows.push((
            "Previous tree",
            "none (first version in the log)".to_owned(),
        )),
    }
    let back = &log.back_dated;
    rows.push((
        "Back-dated entries",
        format!(
            "{} declared more than {} s before accepted; longest lag {}",
            back.entries,
            back.tolerance_seconds,
            back.max_lag_seconds
                .map_or("none".to_owned(), |s| format!("{s} s"))
        ),
    ));
    rows
}

/// An open detection's cells; an absent field prints as "not given".
pub fn open_drift(detection: &OpenDrift) -> [String; 4] {
    let given = |field: &Option<String>| field.clone().unwrap_or_else(|| "not given".to_owned());
    [
        given(&detection.correlation_id),
        rfc3339(detection.detected_at),
        given(&detection.drift_type),
        given(&detection.severity),
    ]
}

/// Items joined by commas, or "none".
pub fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

pub fn hourly_limit(limit: Option<i32>) -> String {
    limit.map_or_else(|| "no limit declared".to_owned(), |n| n.to_string())
}

/// Seconds as the JSON has them (`13500` for 13500.0, fractions kept), or "none".
pub fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "none".to_owned(), |s| format!("{s} s"))
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How a package states whether the agent was registered or only discovered in its traces.
pub fn registration(discovered: bool) -> &'static str {
    if discovered {
        "UNREGISTERED: discovered in its traces, it declared nothing"
    } else {
        "registered"
    }
}

pub fn answer(answer: Answer) -> &'static str {
    match answer {
        Answer::Yes => "Yes",
        Answer::No => "No",
        Answer::Partial => "Partial",
    }
}

pub fn status(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Covered => "covered",
        ControlStatus::Partial => "partial",
        ControlStatus::NotEvidenced => "not evidenced",
    }
}

pub fn direction(direction: Direction) -> String {
    format!("{direction:?}").to_lowercase()
}

pub fn verdict(compliant: bool) -> &'static str {
    if compliant {
        "compliant"
    } else {
        "non-compliant"
    }
}

/// The execution graph's summary as (name, value) rows.
pub fn graph_rows(graph: &ExecutionGraph) -> Vec<(&'static str, String)> {
    let period = match (graph.first_action, graph.last_action) {
        (Some(first), Some(last)) => format!("{} to {}", rfc3339(first), rfc3339(last)),
        _ => "no actions".to_owned(),
    };
    let counts = |map: &std::collections::BTreeMap<String, i64>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        ("Total actions", graph.total_actions.to_string()),
        ("Period", period),
        ("Connectors used", graph.connectors_used.join(", ")),
        ("Policy verdicts", counts(&graph.policy_verdicts)),
        ("Outcomes", counts(&graph.statuses)),
    ]
}

/// The header of the activity table, in the chart's stacking order.
pub const ACTIVITY_HEADER: [&str; 7] = [
    "Day (UTC)",
    "Entries",
    "PERMIT",
    "no verdict",
    "ESCALATE",
    "DENY",
    "Drift detected",
];

/// Each day with entries as a row of the activity table.
pub fn activity_rows(days: &[ActivityDay]) -> Vec<[String; 7]> {
    days.iter()
        .map(|d| {
            [
                d.day.to_string(),
                d.entries().to_string(),
                d.permit.to_string(),
                d.unjudged.to_string(),
                d.escalate.to_string(),
                d.deny.to_string(),
                d.drift_detected.to_string(),
            ]
        })
        .collect()
}

/// What stands where the activity chart would be when it is not drawn.
pub fn no_activity(total_actions: i64) -> &'static str {
    if total_actions == 0 {
        "No entries: nothing to chart."
    } else {
        "This version was generated before activity by day was recorded: its figures are the \
         totals above."
    }
}

/// The drift summary as (name, value) rows.
pub fn drift_rows(drift: &DriftSummary) -> Vec<(&'static str, String)> {
    let severities: Vec<String> = drift
        .by_severity
        .iter()
        .map(|(severity, n)| format!("{severity} {n}"))
        .collect();
    vec![
        ("Detected", drift.detected.to_string()),
        ("Resolved", drift.resolved.to_string()),
        ("By severity", listed(&severities)),
        (
            "Mean time to resolve",
            seconds(drift.mean_seconds_to_resolve),
        ),
        (
            "Longest time to resolve",
            seconds(drift.max_seconds_to_resolve),
        ),
    ]
}

//! Nothing the package's JSON says is lost in its PDF: every fact of the content, walked field by
//! field, is found in the text pdftotext reads back, for a package shaped like the demo's and for
//! one built to defeat the line wrapper.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod packages;

use std::collections::BTreeMap;

use compliance_core::package::{
    ActivityDay, AgentProfile, Answer, BackDated, ControlMapping, ControlMappings, ControlStatus,
    Crosswalk, DataFlowDiagram, Direction, DriftSummary, Edge, ExecutionGraph, FlowConnector,
    LogAnchor, LogPrefix, OpenDrift, PackageContent, PolicyEvidence, SubProcessor, VsqResponse,
    VsqResponses,
};
use compliance_pdf::{printed, render};
use time::OffsetDateTime;

/// Separates the cells of a row fact: it holds only where one table row starts with each
/// cell. `printed` turns tabs in the text into spaces, so a tab is never part of a cell.
const CELL: char = '\t';

/// A fact that one piece of text is printed.
fn text(value: &str) -> String {
    printed(value)
}

/// A fact that one table row starts its cells with `cells` (empty ones print nothing).
fn row<S: AsRef<str>>(cells: &[S]) -> Vec<String> {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| printed(c.as_ref()))
        .filter(|c| !c.trim().is_empty())
        .collect();
    vec![cells.join(&CELL.to_string())]
}

/// Every fact of `content`. Each struct is taken apart without `..`, so a field added to the
/// package does not compile here until someone says how the PDF prints it.
fn facts(content: &PackageContent) -> Vec<String> {
    let PackageContent {
        agent,
        execution_graph,
        data_flow_diagram,
        vsq_responses,
        sub_processors,
        control_mappings,
        crosswalks,
        compliance_policies,
        drift,
        activity,
        log,
    } = content;
    let mut facts = agent_facts(agent);
    facts.extend(graph_facts(execution_graph));
    facts.extend(flow_facts(data_flow_diagram));
    facts.extend(questionnaire_facts(vsq_responses));
    facts.extend(sub_processors.iter().flat_map(sub_processor_facts));
    facts.extend(control_facts(control_mappings));
    facts.extend(crosswalks.iter().flat_map(crosswalk_facts));
    facts.extend(compliance_policies.iter().flat_map(policy_facts));
    facts.extend(drift_facts(drift));
    facts.extend(activity.iter().flat_map(activity_facts));
    facts.extend(log.iter().flat_map(log_facts));
    facts
}

/// Items as the PDF lists them: joined by commas, or "none".
fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn agent_facts(agent: &AgentProfile) -> Vec<String> {
    let AgentProfile {
        id,
        name,
        description,
        permitted_systems,
        permitted_actions,
        permitted_data_types,
        max_actions_per_hour,
        discovered,
    } = agent;
    let limit = max_actions_per_hour.map_or("no limit declared".to_owned(), |n| n.to_string());
    [
        vec![text(name), text(description)],
        row(&["Agent".to_owned(), format!("{name} ({id})")]),
        row(&["Declared systems".to_owned(), listed(permitted_systems)]),
        row(&["Declared actions".to_owned(), listed(permitted_actions)]),
        row(&[
            "Declared data types".to_owned(),
            listed(permitted_data_types),
        ]),
        row(&["Actions per hour".to_owned(), limit]),
        row(&[
            "Registration".to_owned(),
            compliance_pdf::registration(*discovered).to_owned(),
        ]),
    ]
    .concat()
}

fn counts(map: &BTreeMap<String, i64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A day's row of the table under the activity chart, in the chart's stacking order.
fn activity_facts(day: &ActivityDay) -> Vec<String> {
    let ActivityDay {
        day,
        permit,
        escalate,
        deny,
        unjudged,
        drift_detected,
    } = day;
    let entries = permit + escalate + deny + unjudged;
    row(&[
        day.to_string(),
        entries.to_string(),
        permit.to_string(),
        unjudged.to_string(),
    ]
    .into_iter()
    .chain([escalate, deny, drift_detected].map(i64::to_string))
    .collect::<Vec<_>>())
}

fn graph_facts(graph: &ExecutionGraph) -> Vec<String> {
    let ExecutionGraph {
        total_actions,
        connectors_used,
        operations_performed,
        policy_verdicts,
        statuses,
        first_action,
        last_action,
        edges,
    } = graph;
    let period = match (first_action, last_action) {
        (Some(first), Some(last)) => format!("{} to {}", rfc3339(*first), rfc3339(*last)),
        _ => "no actions".to_owned(),
    };
    let mut facts = [
        row(&["Total actions".to_owned(), total_actions.to_string()]),
        row(&["Period".to_owned(), period]),
        row(&["Connectors used".to_owned(), connectors_used.join(", ")]),
        row(&["Policy verdicts".to_owned(), counts(policy_verdicts)]),
        row(&["Outcomes".to_owned(), counts(statuses)]),
    ]
    .concat();
    for (operation, count) in operations_performed {
        facts.extend(row(&[operation.clone(), count.to_string()]));
    }
    for Edge {
        agent,
        connector,
        operation,
        count,
    } in edges
    {
        facts.extend(row(&[agent, connector, operation, &count.to_string()]));
    }
    facts
}

fn flow_facts(diagram: &DataFlowDiagram) -> Vec<String> {
    // The Mermaid source is for Markdown renderers; the PDF draws the same diagram, and the
    // table under it holds every connector in full.
    let DataFlowDiagram {
        mermaid: _,
        connectors,
    } = diagram;
    let mut facts = Vec::new();
    for FlowConnector {
        name,
        vendor,
        data_categories,
        direction,
        calls,
    } in connectors
    {
        let direction = match direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Bidirectional => "bidirectional",
            Direction::Undeclared => "undeclared",
        };
        facts.extend(row(&[
            name,
            vendor,
            &data_categories.join(", "),
            direction,
            &calls.to_string(),
        ]));
    }
    facts
}

fn questionnaire_facts(vsq: &VsqResponses) -> Vec<String> {
    let VsqResponses {
        catalogue,
        responses,
    } = vsq;
    let mut facts = vec![text(catalogue)];
    for VsqResponse {
        id,
        question,
        answer,
        evidence,
    } in responses
    {
        let answer = match answer {
            Answer::Yes => "Yes",
            Answer::No => "No",
            Answer::Partial => "Partial",
        };
        facts.extend(row(&[id, question, answer, &evidence.join("\n")]));
    }
    facts
}

fn sub_processor_facts(sub: &SubProcessor) -> Vec<String> {
    // `configured: false` is in the name, which core writes as "<connector> (not configured)".
    let SubProcessor {
        name,
        purpose,
        data_categories,
        regions,
        connectors,
        configured: _,
        calls,
    } = sub;
    row(&[
        name,
        purpose,
        &data_categories.join(", "),
        &regions.join(", "),
        &connectors.join(", "),
        &calls.to_string(),
    ])
}

fn control_facts(mappings: &ControlMappings) -> Vec<String> {
    let ControlMappings {
        framework,
        controls_covered,
        controls,
    } = mappings;
    let mut facts = vec![text(framework)];
    facts.extend(row(&[
        "Controls covered".to_owned(),
        controls_covered.join(", "),
    ]));
    for ControlMapping {
        control,
        title,
        status,
        evidence,
    } in controls
    {
        let status = match status {
            ControlStatus::Covered => "covered",
            ControlStatus::Partial => "partial",
            ControlStatus::NotEvidenced => "not evidenced",
        };
        facts.extend(row(&[control, title, status, &evidence.join("\n")]));
    }
    facts
}

fn crosswalk_facts(crosswalk: &Crosswalk) -> Vec<String> {
    let Crosswalk {
        framework_id,
        mappings,
    } = crosswalk;
    let mut facts = row(&["Framework id", framework_id.id()]);
    facts.extend(control_facts(mappings));
    facts
}

fn policy_facts(policy: &PolicyEvidence) -> Vec<String> {
    let PolicyEvidence {
        identity,
        display_name,
        compliance_type,
        controls,
        compliant,
        reason,
    } = policy;
    let result = if *compliant {
        "compliant"
    } else {
        "non-compliant"
    };
    row(&[
        &format!("{display_name}\n{identity}"),
        compliance_type,
        result,
        &controls.join(", "),
        reason,
    ])
}

fn log_facts(log: &LogAnchor) -> Vec<String> {
    let LogAnchor {
        origin,
        tree_size,
        root_hash,
        checkpoint,
        previous,
        back_dated,
    } = log;
    let mut facts = [
        row(&["Log origin".to_owned(), origin.clone()]),
        row(&["Tree size".to_owned(), tree_size.to_string()]),
        row(&["Root hash".to_owned(), root_hash.clone()]),
    ]
    .concat();
    if let Some(LogPrefix {
        tree_size,
        root_hash,
        consistency_proof,
    }) = previous
    {
        facts.extend(row(&[
            "Previous tree size".to_owned(),
            tree_size.to_string(),
        ]));
        facts.extend(row(&["Previous root hash".to_owned(), root_hash.clone()]));
        facts.extend(row(&[
            "Consistency proof".to_owned(),
            listed(consistency_proof),
        ]));
    }
    let BackDated {
        tolerance_seconds,
        entries,
        max_lag_seconds,
    } = back_dated;
    facts.extend(row(&[
        "Back-dated entries".to_owned(),
        format!(
            "{entries} declared more than {tolerance_seconds} s before accepted; longest lag {}",
            max_lag_seconds.map_or("none".to_owned(), |s| format!("{s} s"))
        ),
    ]));
    facts.extend(checkpoint.lines().map(text));
    facts
}

fn drift_facts(drift: &DriftSummary) -> Vec<String> {
    let DriftSummary {
        detected,
        resolved,
        by_severity,
        mean_seconds_to_resolve,
        max_seconds_to_resolve,
        open,
    } = drift;
    let seconds = |s: &Option<f64>| s.map_or("none".to_owned(), |s| format!("{s} s"));
    let severities: Vec<String> = by_severity
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let mut facts = [
        row(&["Detected".to_owned(), detected.to_string()]),
        row(&["Resolved".to_owned(), resolved.to_string()]),
        row(&["By severity".to_owned(), listed(&severities)]),
        row(&[
            "Mean time to resolve".to_owned(),
            seconds(mean_seconds_to_resolve),
        ]),
        row(&[
            "Longest time to resolve".to_owned(),
            seconds(max_seconds_to_resolve),
        ]),
    ]
    .concat();
    for OpenDrift {
        correlation_id,
        detected_at,
        drift_type,
        severity,
    } in open
    {
        let given = |field: &Option<String>| field.clone().unwrap_or("not given".to_owned());
        facts.extend(row(&[
            given(correlation_id),
            rfc3339(*detected_at),
            given(drift_type),
            given(severity),
        ]));
    }
    facts
}

/// `text` without whitespace: wrapping adds line breaks (and never a hyphen), so only the
/// characters themselves are compared.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Consecutive words of one line of one cell, as pdftotext placed them.
struct Segment {
    page: usize,
    y: f64,
    /// Where the segment starts in its column's text.
    offset: usize,
}

/// The PDF's text by column: every line that starts at the same x, in the order the content
/// streams draw them, so a cell that runs onto the next page reads on unbroken.
struct Reading {
    columns: Vec<(String, Vec<Segment>)>,
}

/// pdftotext's word boxes are DejaVu Sans's ascent minus descent tall, as printpdf declares
/// them: 2.384 em.
const EM_PER_HEIGHT: f64 = 1.0 / 2.384;

/// A word's box and text in `pdftotext -bbox` output.
struct Word {
    page: usize,
    x_min: f64,
    x_max: f64,
    y_min: f64,
    height: f64,
    text: String,
}

fn attribute(line: &str, name: &str) -> f64 {
    let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let end = start + line[start..].find('"').unwrap();
    line[start..end].parse().unwrap()
}

fn unescaped(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Every word of the PDF with its box, in content stream order (`-raw`).
fn words(pdf: &[u8]) -> Vec<Word> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-bbox", "-raw"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut page = 0;
    let mut words = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if line.trim_start().starts_with("<page ") {
            page += 1;
        } else if let Some(start) = line.find("<word ") {
            let line = &line[start..];
            let body = &line[line.find('>').unwrap() + 1..line.rfind("</word>").unwrap()];
            let y_min = attribute(line, "yMin");
            words.push(Word {
                page,
                x_min: attribute(line, "xMin"),
                x_max: attribute(line, "xMax"),
                y_min,
                height: attribute(line, "yMax") - y_min,
                text: unescaped(body),
            });
        }
    }
    words
}

impl Reading {
    fn new(pdf: &[u8]) -> Self {
        let mut columns: BTreeMap<i64, (String, Vec<Segment>)> = BTreeMap::new();
        let mut previous: Option<(Word, i64)> = None;
        for word in words(pdf) {
            // A word goes on the line before it unless it is elsewhere or further away than the
            // widest space (a figure space, 0.7 em in bold): cells' texts are 3 mm (1.06 em at
            // 8 pt) apart.
            let column = match &previous {
                Some((p, column))
                    if p.page == word.page
                        && (p.y_min - word.y_min).abs() < 0.5
                        && word.x_min > p.x_max - 0.5
                        && word.x_min - p.x_max < 0.9 * word.height * EM_PER_HEIGHT =>
                {
                    *column
                }
                _ => {
                    let column = (word.x_min * 10.0).round() as i64;
                    let (text, segments) = columns.entry(column).or_default();
                    segments.push(Segment {
                        page: word.page,
                        y: word.y_min,
                        offset: text.len(),
                    });
                    column
                }
            };
            if let Some((text, _)) = columns.get_mut(&column) {
                text.push_str(&squeezed(&word.text));
            }
            previous = Some((word, column));
        }
        Self {
            columns: columns.into_values().collect(),
        }
    }

    /// Whether `text` is printed, whole, in some column.
    fn prints(&self, text: &str) -> bool {
        let needle = squeezed(text);
        self.columns
            .iter()
            .any(|(column, _)| column.contains(&needle))
    }

    /// Where a cell starts with `text`: the page and height of each line beginning with it.
    fn starts(&self, text: &str) -> Vec<(usize, f64)> {
        let needle = squeezed(text);
        self.columns
            .iter()
            .flat_map(|(column, segments)| {
                segments
                    .iter()
                    .filter(|s| column[s.offset..].starts_with(&needle))
                    .map(|s| (s.page, s.y))
            })
            .collect()
    }

    /// Whether one row starts its cells with each of `cells`: their first lines share a page
    /// and a height.
    fn prints_row(&self, cells: &[&str]) -> bool {
        let starts: Vec<Vec<(usize, f64)>> = cells.iter().map(|c| self.starts(c)).collect();
        starts[0].iter().any(|(page, y)| {
            starts[1..].iter().all(|s| {
                s.iter()
                    .any(|(p, other)| p == page && (y - other).abs() < 1.0)
            })
        })
    }

    /// How many characters of `text`, from its start, some column prints: where a lost fact
    /// breaks off.
    fn printed_prefix(&self, text: &str) -> usize {
        let needle: Vec<char> = squeezed(text).chars().collect();
        let prints = |n: usize| self.prints(&needle[..n].iter().collect::<String>());
        let (mut found, mut beyond) = (0, needle.len() + 1);
        while beyond - found > 1 {
            let middle = (found + beyond) / 2;
            if prints(middle) {
                found = middle;
            } else {
                beyond = middle;
            }
        }
        found
    }

    /// `text` shortened for a message, marked where the PDF stops printing it.
    fn explained(&self, text: &str) -> String {
        let chars: Vec<char> = squeezed(text).chars().collect();
        let found = self.printed_prefix(text);
        let shown = |from: usize, to: usize| chars[from..to].iter().take(60).collect::<String>();
        if found == chars.len() {
            shown(0, found)
        } else {
            format!(
                "{}<<printed up to here; not printed:>>{}",
                shown(found.saturating_sub(40), found),
                shown(found, chars.len())
            )
        }
    }

    fn holds(&self, fact: &str) -> bool {
        let cells: Vec<&str> = fact.split(CELL).collect();
        match cells.as_slice() {
            [] => true,
            [one] => self.prints(one),
            _ => self.prints_row(&cells),
        }
    }
}

/// The facts of `content` its PDF does not hold, shortened for the message.
fn missing(content: &PackageContent) -> Vec<String> {
    let pdf = render(&packages::document("Acme Ünïcorp", content)).unwrap();
    let reading = Reading::new(&pdf);
    facts(content)
        .into_iter()
        .filter(|fact| !reading.holds(fact))
        .map(|fact| {
            let cells: Vec<String> = fact.split(CELL).map(|c| reading.explained(c)).collect();
            cells.join(" | ")
        })
        .collect()
}

#[test]
fn every_fact_of_a_demo_package_is_in_its_pdf() {
    let content = packages::demo("triage-agent Ωmega");
    assert!(facts(&content).len() > 40);
    let missing = missing(&content);
    assert!(
        missing.is_empty(),
        "not in the PDF:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_fact_of_a_hostile_package_is_in_its_pdf() {
    let content = packages::hostile();
    let missing = missing(&content);
    assert!(
        missing.is_empty(),
        "not in the PDF:\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_fact_left_out_of_the_pdf_is_missed() {
    let mut content = packages::demo("triage-agent");
    let pdf = render(&packages::document("Acme", &content)).unwrap();
    let reading = Reading::new(&pdf);
    content.compliance_policies[0].compliance_type = "COMPLIANCE_RICHNESS".to_owned();
    content.sub_processors[0].name = "Atlassian Corporation".to_owned();
    let changed = facts(&content);
    assert!(!reading.holds(&row(&["Deployed within the last 30 days", "COMPLIANCE_RICHNESS"])[0]));
    assert!(changed.iter().any(|fact| !reading.holds(fact)));
    assert!(reading.holds(&row(&["Atlassian", "File and update SOC tickets"])[0]));
    assert!(!reading.holds(&row(&["Atlassian Corporation", "File and update SOC tickets"])[0]));
}

//! The data-flow diagram drawn as inline SVG: the agent, the policy engine, the audit trail, and
//! every connector with its direction, calls and data categories (the PDF's drawing, in the
//! page; here every connector is drawn, since the page can grow).

use askama::Template;
use compliance_core::package::{DataFlowDiagram, Direction};
use compliance_pdf::wording;

/// The vertical room one connector takes.
const ROW: i64 = 62;

/// The diagram as an SVG element; a field of the page, rendered (its text escaped) with it.
#[derive(Template)]
#[template(path = "ui/flow.svg")]
pub struct Flow {
    width: i64,
    height: i64,
    /// The top of the agent and policy engine boxes: level with the middle connector.
    middle: i64,
    trail_y: i64,
    agent: String,
    entries: i64,
    connectors: Vec<Connector>,
}

struct Connector {
    y: i64,
    name: String,
    vendor: String,
    categories: String,
    direction: String,
    calls: i64,
    inbound: bool,
    outbound: bool,
    undeclared: bool,
}

/// The diagram of `agent`'s connectors.
pub fn svg(agent: &str, entries: i64, diagram: &DataFlowDiagram) -> Flow {
    let rows = i64::try_from(diagram.connectors.len())
        .unwrap_or(i64::MAX / ROW)
        .max(1);
    let height = (rows * ROW + 20).max(200);
    let middle = ((rows - 1) * ROW / 2 + 10).min(height - 150);
    let connectors = (0..)
        .zip(&diagram.connectors)
        .map(|(i, c)| Connector {
            y: 10 + i * ROW,
            name: c.name.clone(),
            vendor: c.vendor.clone(),
            categories: wording::listed(&c.data_categories),
            direction: wording::direction(c.direction),
            calls: c.calls,
            inbound: matches!(c.direction, Direction::Inbound | Direction::Bidirectional),
            outbound: matches!(c.direction, Direction::Outbound | Direction::Bidirectional),
            undeclared: c.direction == Direction::Undeclared,
        })
        .collect();
    Flow {
        width: 800,
        height,
        middle,
        trail_y: middle + 90,
        agent: agent.to_owned(),
        entries,
        connectors,
    }
}

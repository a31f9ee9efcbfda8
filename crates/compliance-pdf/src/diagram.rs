//! The data flow diagram drawn as boxes and arrows: the agent, the policy engine, the audit
//! trail, and each connector with its data categories on the arrow.

use compliance_core::package::{DataFlowDiagram, Direction};
use genpdf::Context;
use genpdf::render::Area;
use genpdf::style::{Color, Style};

use crate::drawing::{Drawing, at};

use crate::fonts::Coverage;
use crate::measure::Widths;

/// Connectors drawn before the rest are summarized in one line.
const MAX_CONNECTORS: usize = 8;
const BOX_HEIGHT: f32 = 12.0;
const ROW: f32 = 18.0;
/// Left edges of the agent, policy engine and connector columns.
const AGENT_X: f32 = 0.0;
const ENGINE_X: f32 = 62.0;
const CONNECTOR_X: f32 = 122.0;
/// Widths of the agent, policy engine and audit trail boxes, and of the connector boxes.
const BOX_W: f32 = 38.0;
const CONNECTOR_W: f32 = 48.0;
/// The top of the agent and policy engine boxes.
const MIDDLE: f32 = ROW * 0.5;

pub(crate) struct FlowDiagram {
    agent: String,
    entries: i64,
    connectors: Vec<(String, String, Direction)>,
    more: usize,
}

impl FlowDiagram {
    pub fn new(agent: &str, entries: i64, diagram: &DataFlowDiagram, coverage: &Coverage) -> Self {
        let connectors: Vec<_> = diagram
            .connectors
            .iter()
            .take(MAX_CONNECTORS)
            .map(|c| {
                let name = coverage.printable(&format!("{} ({})", c.vendor, c.name));
                let categories = if c.data_categories.is_empty() {
                    "undeclared data".to_owned()
                } else {
                    coverage.printable(&c.data_categories.join(", "))
                };
                (name, categories, c.direction)
            })
            .collect();
        Self {
            agent: coverage.printable(agent),
            entries,
            more: diagram.connectors.len().saturating_sub(MAX_CONNECTORS),
            connectors,
        }
    }

    fn height(&self) -> f32 {
        let rows = self.connectors.len().max(3) as f32;
        rows * ROW + if self.more > 0 { 8.0 } else { 0.0 }
    }
}

fn rectangle(area: &Area<'_>, x: f32, y: f32, width: f32, height: f32, style: Style) {
    area.draw_line(
        vec![
            at(x, y),
            at(x + width, y),
            at(x + width, y + height),
            at(x, y + height),
            at(x, y),
        ],
        style,
    );
}

/// A line from `from` to `to` with an arrowhead at `to` (and at `from` when `both`).
fn arrow(area: &Area<'_>, from: (f32, f32), to: (f32, f32), both: bool, style: Style) {
    area.draw_line(vec![at(from.0, from.1), at(to.0, to.1)], style);
    let head = |tip: (f32, f32), tail: (f32, f32)| {
        let (dx, dy) = (tip.0 - tail.0, tip.1 - tail.1);
        let length = (dx * dx + dy * dy).sqrt().max(0.001);
        let (ux, uy) = (dx / length, dy / length);
        let back = (tip.0 - 2.5 * ux, tip.1 - 2.5 * uy);
        area.draw_line(
            vec![
                at(back.0 - 1.2 * uy, back.1 + 1.2 * ux),
                at(tip.0, tip.1),
                at(back.0 + 1.2 * uy, back.1 - 1.2 * ux),
            ],
            style,
        );
    };
    head(to, from);
    if both {
        head(from, to);
    }
}

/// Text that fits in `width` millimetres, cut after the last character that fits and ended
/// with an ellipsis if it does not. Only the diagram shortens text, and only text printed in
/// full elsewhere: the agent's name on the title page, each connector's name, vendor and data
/// categories in the table below the diagram (and vendors again as sub-processors).
fn fitted(context: &Context, style: Style, text: &str, width: f32) -> String {
    let font_cache = &context.font_cache;
    let width = f64::from(width);
    if f64::from(style.str_width(font_cache, text)) <= width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    // Measured once: the cut is where the running sum passes the room left for the ellipsis.
    let widths = Widths::new(font_cache, style, &chars);
    let room = width - f64::from(style.str_width(font_cache, ELLIPSIS));
    let mut end = widths.fit(0, room);
    let mut cut: String = chars[..end].iter().collect::<String>() + ELLIPSIS;
    // The kerning before the ellipsis is the one width the sums left out.
    while end > 0 && f64::from(style.str_width(font_cache, &cut)) > width {
        end -= 1;
        cut = chars[..end].iter().collect::<String>() + ELLIPSIS;
    }
    cut
}

const ELLIPSIS: &str = "…";

/// Where the diagram draws, and the styles of its parts.
struct Canvas<'a, 'p> {
    area: &'a Area<'p>,
    context: &'a Context,
    /// Connector names.
    text: Style,
    /// Box titles.
    bold: Style,
    /// Captions, arrow labels and undeclared flows.
    small: Style,
    /// Boxes and arrows.
    line: Style,
}

impl<'a, 'p> Canvas<'a, 'p> {
    /// The diagram's styles, derived from the document's `style`.
    fn new(area: &'a Area<'p>, context: &'a Context, style: Style) -> Self {
        let text = style.with_font_size(8);
        Self {
            area,
            context,
            text,
            bold: text.bold(),
            small: style.with_font_size(6).with_color(Color::Greyscale(80)),
            line: Style::new().with_color(Color::Rgb(40, 70, 120)),
        }
    }

    /// `text` at `(x, y)`, fitted into `width`.
    fn label(
        &self,
        x: f32,
        y: f32,
        width: f32,
        style: Style,
        text: &str,
    ) -> Result<(), genpdf::error::Error> {
        self.area.print_str(
            &self.context.font_cache,
            at(x, y),
            style,
            fitted(self.context, style, text, width),
        )?;
        Ok(())
    }

    /// The agent's, the policy engine's or the audit trail's box: a bold title, a caption below.
    fn titled_box(
        &self,
        x: f32,
        y: f32,
        title: &str,
        caption: &str,
    ) -> Result<(), genpdf::error::Error> {
        rectangle(self.area, x, y, BOX_W, BOX_HEIGHT, self.line);
        self.label(x + 2.0, y + 2.0, BOX_W - 4.0, self.bold, title)?;
        self.label(x + 2.0, y + 6.5, BOX_W - 4.0, self.small, caption)
    }

    /// The agent and the policy engine, and the arrow of every action between them.
    fn agent_and_engine(&self, agent: &str) -> Result<(), genpdf::error::Error> {
        self.titled_box(AGENT_X, MIDDLE, agent, "AI agent")?;
        self.titled_box(
            ENGINE_X,
            MIDDLE,
            "Policy engine",
            "permit / escalate / deny",
        )?;
        arrow(
            self.area,
            (AGENT_X + BOX_W, MIDDLE + BOX_HEIGHT / 2.0),
            (ENGINE_X, MIDDLE + BOX_HEIGHT / 2.0),
            false,
            self.line,
        );
        self.label(
            AGENT_X + BOX_W + 2.0,
            MIDDLE + 1.0,
            20.0,
            self.small,
            "every action",
        )
    }

    /// The audit trail below the policy engine, and the arrow into it.
    fn audit_trail(&self, entries: i64) -> Result<(), genpdf::error::Error> {
        let trail_y = MIDDLE + ROW * 1.6;
        self.titled_box(
            ENGINE_X,
            trail_y,
            "Audit trail",
            &format!("{entries} entries, append-only"),
        )?;
        arrow(
            self.area,
            (ENGINE_X + BOX_W / 2.0, MIDDLE + BOX_HEIGHT),
            (ENGINE_X + BOX_W / 2.0, trail_y),
            false,
            self.line,
        );
        Ok(())
    }

    /// Connector `row` of the right column: its box, its flow from or to the policy engine,
    /// and its data categories.
    fn connector(
        &self,
        row: usize,
        name: &str,
        categories: &str,
        direction: Direction,
    ) -> Result<(), genpdf::error::Error> {
        let y = row as f32 * ROW + 2.0;
        rectangle(
            self.area,
            CONNECTOR_X,
            y,
            CONNECTOR_W,
            BOX_HEIGHT,
            self.line,
        );
        self.label(
            CONNECTOR_X + 2.0,
            y + 2.0,
            CONNECTOR_W - 4.0,
            self.text,
            name,
        )?;
        let from = (ENGINE_X + BOX_W, MIDDLE + BOX_HEIGHT / 2.0);
        let to = (CONNECTOR_X, y + BOX_HEIGHT / 2.0);
        match direction {
            Direction::Inbound => arrow(self.area, to, from, false, self.line),
            Direction::Outbound => arrow(self.area, from, to, false, self.line),
            Direction::Bidirectional => arrow(self.area, from, to, true, self.line),
            Direction::Undeclared => self
                .area
                .draw_line(vec![at(from.0, from.1), at(to.0, to.1)], self.small),
        }
        self.label(
            CONNECTOR_X + 2.0,
            y + 6.5,
            CONNECTOR_W - 4.0,
            self.small,
            categories,
        )
    }

    /// The line in `row`, after the connectors drawn, that counts the `more` left out.
    fn more(&self, row: usize, more: usize) -> Result<(), genpdf::error::Error> {
        let y = row as f32 * ROW + 2.0;
        self.label(
            CONNECTOR_X,
            y,
            CONNECTOR_W,
            self.small,
            &format!("… and {more} more connectors (see the table)"),
        )
    }
}

impl Drawing for FlowDiagram {
    fn size(&self) -> (f32, f32) {
        (170.0, self.height())
    }

    fn draw(
        &self,
        context: &Context,
        area: &Area<'_>,
        style: Style,
    ) -> Result<(), genpdf::error::Error> {
        let canvas = Canvas::new(area, context, style);
        canvas.agent_and_engine(&self.agent)?;
        canvas.audit_trail(self.entries)?;
        for (row, (name, categories, direction)) in self.connectors.iter().enumerate() {
            canvas.connector(row, name, categories, *direction)?;
        }
        if self.more > 0 {
            canvas.more(self.connectors.len(), self.more)?;
        }
        Ok(())
    }
}

//! The data flow diagram drawn as boxes and arrows: the agent, the policy engine, the audit
//! trail, and each connector with its data categories on the arrow.

use compliance_core::package::{DataFlowDiagram, Direction};
use genpdf::render::Area;
use genpdf::style::{Color, Style};
use genpdf::{Context, Element, Mm, Position, RenderResult, Size};

use crate::fonts::Coverage;
use crate::measure::Widths;

/// Connectors drawn before the rest are summarized in one line.
const MAX_CONNECTORS: usize = 8;
const BOX_HEIGHT: f32 = 12.0;
const ROW: f32 = 18.0;

pub(crate) struct FlowDiagram {
    agent: String,
    entries: i64,
    connectors: Vec<(String, String, Direction)>,
    more: usize,
    done: bool,
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
            done: false,
        }
    }

    fn height(&self) -> f32 {
        let rows = self.connectors.len().max(3) as f32;
        rows * ROW + if self.more > 0 { 8.0 } else { 0.0 }
    }
}

fn at(x: f32, y: f32) -> Position {
    Position::new(Mm::from(x), Mm::from(y))
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

fn label(
    area: &Area<'_>,
    context: &Context,
    x: f32,
    y: f32,
    width: f32,
    style: Style,
    text: &str,
) -> Result<(), genpdf::error::Error> {
    area.print_str(
        &context.font_cache,
        at(x, y),
        style,
        fitted(context, style, text, width),
    )?;
    Ok(())
}

impl Element for FlowDiagram {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, genpdf::error::Error> {
        let height = self.height();
        if self.done || area.size().height < Mm::from(height) {
            // Not enough room left on this page: ask for the next one.
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: !self.done,
            });
        }
        self.done = true;
        let text = style.with_font_size(8);
        let bold = text.bold();
        let small = style.with_font_size(6).with_color(Color::Greyscale(80));
        let line = Style::new().with_color(Color::Rgb(40, 70, 120));
        let (agent_x, engine_x, connector_x, box_w, connector_w) = (0.0, 62.0, 122.0, 38.0, 48.0);
        let middle = ROW * 0.5;

        rectangle(&area, agent_x, middle, box_w, BOX_HEIGHT, line);
        label(
            &area,
            context,
            agent_x + 2.0,
            middle + 2.0,
            box_w - 4.0,
            bold,
            &self.agent,
        )?;
        label(
            &area,
            context,
            agent_x + 2.0,
            middle + 6.5,
            box_w - 4.0,
            small,
            "AI agent",
        )?;

        rectangle(&area, engine_x, middle, box_w, BOX_HEIGHT, line);
        label(
            &area,
            context,
            engine_x + 2.0,
            middle + 2.0,
            box_w - 4.0,
            bold,
            "Policy engine",
        )?;
        label(
            &area,
            context,
            engine_x + 2.0,
            middle + 6.5,
            box_w - 4.0,
            small,
            "permit / escalate / deny",
        )?;
        arrow(
            &area,
            (agent_x + box_w, middle + BOX_HEIGHT / 2.0),
            (engine_x, middle + BOX_HEIGHT / 2.0),
            false,
            line,
        );
        label(
            &area,
            context,
            agent_x + box_w + 2.0,
            middle + 1.0,
            20.0,
            small,
            "every action",
        )?;

        let trail_y = middle + ROW * 1.6;
        rectangle(&area, engine_x, trail_y, box_w, BOX_HEIGHT, line);
        label(
            &area,
            context,
            engine_x + 2.0,
            trail_y + 2.0,
            box_w - 4.0,
            bold,
            "Audit trail",
        )?;
        label(
            &area,
            context,
            engine_x + 2.0,
            trail_y + 6.5,
            box_w - 4.0,
            small,
            &format!("{} entries, append-only", self.entries),
        )?;
        arrow(
            &area,
            (engine_x + box_w / 2.0, middle + BOX_HEIGHT),
            (engine_x + box_w / 2.0, trail_y),
            false,
            line,
        );

        for (i, (name, categories, direction)) in self.connectors.iter().enumerate() {
            let y = i as f32 * ROW + 2.0;
            rectangle(&area, connector_x, y, connector_w, BOX_HEIGHT, line);
            label(
                &area,
                context,
                connector_x + 2.0,
                y + 2.0,
                connector_w - 4.0,
                text,
                name,
            )?;
            let from = (engine_x + box_w, middle + BOX_HEIGHT / 2.0);
            let to = (connector_x, y + BOX_HEIGHT / 2.0);
            match direction {
                Direction::Inbound => arrow(&area, to, from, false, line),
                Direction::Outbound => arrow(&area, from, to, false, line),
                Direction::Bidirectional => arrow(&area, from, to, true, line),
                Direction::Undeclared => {
                    area.draw_line(vec![at(from.0, from.1), at(to.0, to.1)], small)
                }
            }
            label(
                &area,
                context,
                connector_x + 2.0,
                y + 6.5,
                connector_w - 4.0,
                small,
                categories,
            )?;
        }
        if self.more > 0 {
            let y = self.connectors.len() as f32 * ROW + 2.0;
            label(
                &area,
                context,
                connector_x,
                y,
                connector_w,
                small,
                &format!("… and {} more connectors (see the table)", self.more),
            )?;
        }
        Ok(RenderResult {
            size: Size::new(Mm::from(170.0f32), Mm::from(height)),
            has_more: false,
        })
    }
}

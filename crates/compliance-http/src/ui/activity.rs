//! The activity chart as inline SVG: the PDF's drawing (compliance_pdf::chart's layout) in the
//! page, each band with a tooltip of its day and count.

use askama::Template;
use compliance_pdf::chart::{Band, Chart, DRIFT_RGB};

/// The plot's left edge (the scale is left of it), right edge, top (escalations are marked
/// above it) and axis (drift is marked below it), in the SVG's pixels.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 790.0;
const TOP: f64 = 28.0;
const AXIS: f64 = 190.0;
/// The widest a marker is drawn.
const MARKER: f64 = 10.0;

/// The chart as an SVG element; a field of the page, rendered (its text escaped) with it.
#[derive(Template)]
#[template(path = "ui/activity.svg")]
pub struct ActivitySvg {
    summary: String,
    left: String,
    right: String,
    top: String,
    axis: String,
    /// Scale lines: y, label.
    scale: Vec<(String, String)>,
    bars: Vec<Bar>,
    /// Escalation triangles and drift diamonds, as SVG paths.
    escalations: Vec<String>,
    drifts: Vec<String>,
    /// Day labels: x, label, and where the label is anchored (the last one ends at its tick,
    /// so it stays inside the drawing).
    ticks: Vec<(String, String, &'static str)>,
    legend: Vec<(String, String, &'static str)>,
    escalate: String,
    drift: String,
}

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    fill: String,
    title: String,
}

impl ActivitySvg {
    /// The chart in words, for the caption.
    pub fn summary(&self) -> &str {
        &self.summary
    }
}

/// Pixels to one decimal, as SVG reads them.
fn px(value: f64) -> String {
    format!("{value:.1}")
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The chart in the page's pixels.
pub fn svg(chart: Chart) -> ActivitySvg {
    let width = RIGHT - LEFT;
    let height = AXIS - TOP;
    let mut bars = Vec::new();
    let mut escalations = Vec::new();
    let mut drifts = Vec::new();
    for column in &chart.columns {
        let left = LEFT + column.left * width;
        let room = column.width * width;
        let gap = if room > 4.0 { room * 0.15 } else { 0.0 };
        for segment in &column.segments {
            bars.push(Bar {
                x: px(left + gap),
                y: px(AXIS - segment.top * height),
                width: px((room - 2.0 * gap).max(0.5)),
                height: px((segment.top - segment.bottom) * height),
                fill: hex(segment.band.rgb()),
                title: format!(
                    "{}: {} {}",
                    column.day.day,
                    segment.count,
                    segment.band.label()
                ),
            });
        }
        let middle = left + room / 2.0;
        let half = room.clamp(4.0, MARKER) / 2.0;
        if column.escalated {
            let tip = TOP - 4.0;
            escalations.push(format!(
                "M{} {}L{} {}L{} {}Z",
                px(middle),
                px(tip),
                px(middle - half),
                px(tip - 2.0 * half),
                px(middle + half),
                px(tip - 2.0 * half)
            ));
        }
        if column.drifted {
            let centre = AXIS + 9.0;
            drifts.push(format!(
                "M{} {}L{} {}L{} {}L{} {}Z",
                px(middle),
                px(centre - half),
                px(middle + half),
                px(centre),
                px(middle),
                px(centre + half),
                px(middle - half),
                px(centre)
            ));
        }
    }
    let ticks = chart
        .ticks
        .iter()
        .map(|&(place, day)| {
            let x = LEFT + place * width;
            let anchor = if x > RIGHT - 40.0 { "end" } else { "middle" };
            (px(x), day.to_string(), anchor)
        })
        .collect();
    let scale = chart
        .marks
        .iter()
        .map(|&(fraction, value)| (px(AXIS - fraction * height), value.to_string()))
        .collect();
    let legend = (0..)
        .zip(Band::ALL)
        .map(|(i, band)| {
            (
                px(LEFT + f64::from(i) * 110.0),
                hex(band.rgb()),
                band.label(),
            )
        })
        .collect();
    ActivitySvg {
        summary: chart.summary(),
        left: px(LEFT),
        right: px(RIGHT),
        top: px(TOP),
        axis: px(AXIS),
        scale,
        bars,
        escalations,
        drifts,
        ticks,
        legend,
        escalate: hex(Band::Escalate.rgb()),
        drift: hex(DRIFT_RGB),
    }
}

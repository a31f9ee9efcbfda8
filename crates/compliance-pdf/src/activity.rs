//! The activity chart drawn in the PDF as vector lines: a column per day, its verdict bands
//! filled with vertical strokes, escalation markers above and drift markers below the axis, the
//! scale on the left, days under the axis, and a legend.

use genpdf::Context;
use genpdf::render::Area;
use genpdf::style::{Color, Style};

use crate::chart::{Band, Chart, DRIFT_RGB};
use crate::drawing::{Drawing, at};

/// The plot's left edge (the scale's labels are left of it), its right edge, its top (the
/// escalation markers are above it) and its axis (the drift markers and days are below it).
const LEFT: f32 = 16.0;
const RIGHT: f32 = 170.0;
const TOP: f32 = 6.0;
const AXIS: f32 = 46.0;
const HEIGHT: f32 = 64.0;
/// A PDF stroke's default width is 1 pt (0.35 mm): strokes this far apart fill a band.
const STROKE: f32 = 0.3;
/// The widest a marker is drawn.
const MARKER: f32 = 2.4;

pub(crate) struct ActivityChart {
    chart: Chart,
}

impl ActivityChart {
    pub fn new(chart: Chart) -> Self {
        Self { chart }
    }
}

fn colour((r, g, b): (u8, u8, u8)) -> Style {
    Style::new().with_color(Color::Rgb(r, g, b))
}

/// The rectangle from `left` to `right` and `top` to `bottom`, filled with vertical strokes.
fn filled(area: &Area<'_>, left: f32, right: f32, top: f32, bottom: f32, style: Style) {
    if right - left <= STROKE {
        let middle = (left + right) / 2.0;
        area.draw_line(vec![at(middle, top), at(middle, bottom)], style);
        return;
    }
    let mut x = left + STROKE / 2.0;
    while x < right {
        area.draw_line(vec![at(x, top), at(x, bottom)], style);
        x += STROKE;
    }
}

/// A triangle pointing down, its tip at `(x, y)`: an escalation.
fn triangle(area: &Area<'_>, x: f32, y: f32, size: f32, style: Style) {
    let half = size / 2.0;
    area.draw_line(
        vec![
            at(x, y),
            at(x - half, y - size),
            at(x + half, y - size),
            at(x, y),
        ],
        style,
    );
}

/// A diamond centred on `(x, y)`: a drift detection.
fn diamond(area: &Area<'_>, x: f32, y: f32, size: f32, style: Style) {
    let half = size / 2.0;
    area.draw_line(
        vec![
            at(x, y - half),
            at(x + half, y),
            at(x, y + half),
            at(x - half, y),
            at(x, y - half),
        ],
        style,
    );
}

impl ActivityChart {
    fn plot(
        &self,
        context: &Context,
        area: &Area<'_>,
        style: Style,
    ) -> Result<(), genpdf::error::Error> {
        let small = style.with_font_size(6).with_color(Color::Greyscale(60));
        let print =
            |x: f32, y: f32, text: &str| area.print_str(&context.font_cache, at(x, y), small, text);
        let right_aligned = |x: f32, y: f32, text: &str| {
            let width = f64::from(small.str_width(&context.font_cache, text));
            #[allow(clippy::cast_possible_truncation)] // a label's width in millimetres
            print(x - width as f32, y, text)
        };
        let grid = Style::new().with_color(Color::Greyscale(200));
        let axis = Style::new().with_color(Color::Greyscale(60));
        let width = RIGHT - LEFT;
        let height = AXIS - TOP;
        // The scale: its top, its middle when whole, zero.
        for &(fraction, value) in &self.chart.marks {
            #[allow(clippy::cast_possible_truncation)] // a fraction of the plot
            let y = AXIS - fraction as f32 * height;
            if fraction > 0.0 {
                area.draw_line(vec![at(LEFT, y), at(RIGHT, y)], grid);
            }
            right_aligned(LEFT - 1.5, y - 1.3, &value.to_string())?;
        }
        #[allow(clippy::cast_possible_truncation)] // fractions of a page
        let mm = |fraction: f64, span: f32| fraction as f32 * span;
        for column in &self.chart.columns {
            let left = LEFT + mm(column.left, width);
            let room = mm(column.width, width);
            let gap = if room > 1.0 { room * 0.15 } else { 0.0 };
            for segment in &column.segments {
                filled(
                    area,
                    left + gap,
                    left + room - gap,
                    AXIS - mm(segment.top, height),
                    AXIS - mm(segment.bottom, height),
                    colour(segment.band.rgb()),
                );
            }
            let middle = left + room / 2.0;
            let marker = room.clamp(0.8, MARKER);
            if column.escalated {
                triangle(
                    area,
                    middle,
                    TOP - 0.8,
                    marker,
                    colour(Band::Escalate.rgb()),
                );
            }
            if column.drifted {
                diamond(area, middle, AXIS + 2.2, marker, colour(DRIFT_RGB));
            }
        }
        area.draw_line(vec![at(LEFT, AXIS), at(RIGHT, AXIS)], axis);
        area.draw_line(vec![at(LEFT, TOP), at(LEFT, AXIS)], axis);
        for &(place, day) in &self.chart.ticks {
            let x = LEFT + mm(place, width);
            area.draw_line(vec![at(x, AXIS), at(x, AXIS + 0.8)], axis);
            let label = day.to_string();
            let half = f64::from(small.str_width(&context.font_cache, &label)) / 2.0;
            #[allow(clippy::cast_possible_truncation)] // a label's width in millimetres
            let x = (x - half as f32).clamp(LEFT - 4.0, RIGHT - 2.0 * half as f32);
            print(x, AXIS + 4.0, &label)?;
        }
        self.legend(area, print)
    }

    /// The bands' colours, then the two markers, on one line under the days.
    fn legend(
        &self,
        area: &Area<'_>,
        print: impl Fn(f32, f32, &str) -> Result<bool, genpdf::error::Error>,
    ) -> Result<(), genpdf::error::Error> {
        let y = AXIS + 10.0;
        let mut x = LEFT;
        for band in Band::ALL {
            filled(area, x, x + 2.4, y, y + 2.4, colour(band.rgb()));
            print(x + 3.4, y - 0.2, band.label())?;
            x += 22.0;
        }
        triangle(area, x + 1.2, y + 2.4, MARKER, colour(Band::Escalate.rgb()));
        print(x + 3.4, y - 0.2, "day with escalations")?;
        x += 30.0;
        diamond(area, x + 1.2, y + 1.2, MARKER, colour(DRIFT_RGB));
        print(x + 3.4, y - 0.2, "day with drift detected")?;
        Ok(())
    }
}

impl Drawing for ActivityChart {
    fn size(&self) -> (f32, f32) {
        (RIGHT, HEIGHT)
    }

    fn draw(
        &self,
        context: &Context,
        area: &Area<'_>,
        style: Style,
    ) -> Result<(), genpdf::error::Error> {
        self.plot(context, area, style)
    }
}

//! The activity chart's layout, shared by the PDF's drawing and the page's SVG: the days from the
//! trail's first active day to its last along the axis, a column for each day with entries, its
//! entries stacked by verdict, a marker above each day with escalations and below each day with
//! drift detected. Positions are fractions of the plot, so each renderer scales them to its own
//! units. Only days with entries are laid out: a trail spanning centuries (one entry back-dated
//! to year 1) costs what its active days cost.

use compliance_core::package::ActivityDay;
use time::{Date, Duration};

/// A verdict's band in a column, bottom to top in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Permit,
    Unjudged,
    Escalate,
    Deny,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::Permit, Band::Unjudged, Band::Escalate, Band::Deny];

    pub fn label(self) -> &'static str {
        match self {
            Band::Permit => "PERMIT",
            Band::Unjudged => "no verdict",
            Band::Escalate => "ESCALATE",
            Band::Deny => "DENY",
        }
    }

    /// The band's colour as RGB: distinct in grey too (light to dark), each with a contrast of
    /// at least 3:1 against white, as WCAG asks of graphics.
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            Band::Permit => (46, 125, 50),
            Band::Unjudged => (117, 117, 117),
            Band::Escalate => (178, 106, 0),
            Band::Deny => (183, 28, 28),
        }
    }

    fn count(self, day: &ActivityDay) -> i64 {
        match self {
            Band::Permit => day.permit,
            Band::Unjudged => day.unjudged,
            Band::Escalate => day.escalate,
            Band::Deny => day.deny,
        }
    }
}

/// The drift markers' colour.
pub const DRIFT_RGB: (u8, u8, u8) = (106, 27, 154);

/// One band of one column: `bottom` and `top` are fractions of the scale, 0 at the axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub band: Band,
    pub count: i64,
    pub bottom: f64,
    pub top: f64,
}

/// One day's column: `left` and `width` are fractions of the plot's width.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub day: ActivityDay,
    pub left: f64,
    pub width: f64,
    pub segments: Vec<Segment>,
    pub escalated: bool,
    pub drifted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub columns: Vec<Column>,
    /// The days labelled under the axis (at most six, the first and last among them), each at
    /// the middle of its place on the axis (a fraction of the plot's width).
    pub ticks: Vec<(f64, Date)>,
    /// The scale's labelled lines, top first: fraction of the height, value. The top is the
    /// busiest day's entries rounded up to 1, 2 or 5 times a power of ten; its half is labelled
    /// only when whole.
    pub marks: Vec<(f64, i64)>,
    /// The busiest day.
    busiest: Date,
}

impl Chart {
    /// The chart of `activity` (days with entries, oldest first), or `None` when there is no
    /// entry to draw.
    pub fn new(activity: &[ActivityDay]) -> Option<Self> {
        let busiest = activity
            .iter()
            .max_by_key(|d| (d.entries(), std::cmp::Reverse(d.day)))?;
        let peak = busiest.entries();
        let (first, last) = (activity.first()?.day, activity.last()?.day);
        if peak <= 0 {
            return None;
        }
        let scale = nice_ceiling(peak);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let fraction = |n: i64| n as f64 / scale as f64;
        // Every day from the first to the last has a place on the axis; at least one.
        let span = (last - first).whole_days().max(0) + 1;
        #[allow(clippy::cast_precision_loss)] // a number of days, far below 2^52
        let (width, place) = (1.0 / span as f64, |day: Date| {
            (day - first).whole_days() as f64 / span as f64
        });
        let columns = activity
            .iter()
            .map(|day| {
                let mut below = 0;
                let segments = Band::ALL
                    .iter()
                    .filter_map(|&band| {
                        let count = band.count(day);
                        let bottom = below;
                        below += count;
                        (count > 0).then(|| Segment {
                            band,
                            count,
                            bottom: fraction(bottom),
                            top: fraction(below),
                        })
                    })
                    .collect();
                Column {
                    escalated: day.escalate > 0,
                    drifted: day.drift_detected > 0,
                    left: place(day.day),
                    width,
                    segments,
                    day: day.clone(),
                }
            })
            .collect::<Vec<_>>();
        let ticks = ticks(span)
            .into_iter()
            .map(|offset| {
                let day = first + Duration::days(offset);
                (place(day) + width / 2.0, day)
            })
            .collect();
        let mut marks = vec![(1.0, scale)];
        if scale % 2 == 0 {
            marks.push((0.5, scale / 2));
        }
        marks.push((0.0, 0));
        Some(Self {
            columns,
            ticks,
            marks,
            busiest: busiest.day,
        })
    }

    /// The chart in words, for a caption and for readers who cannot see it.
    pub fn summary(&self) -> String {
        let sum = |f: fn(&ActivityDay) -> i64| self.columns.iter().map(|c| f(&c.day)).sum::<i64>();
        // Counts of entries are never negative.
        let many = |n: i64| usize::try_from(n).unwrap_or(0);
        let days_with = |f: fn(&Column) -> bool| self.columns.iter().filter(|c| f(c)).count();
        let (first, last) = match (self.columns.first(), self.columns.last()) {
            (Some(first), Some(last)) => (first.day.day, last.day.day),
            _ => return "No entries.".to_owned(),
        };
        let span = many((last - first).whole_days() + 1);
        format!(
            "{} on {} of the {} from {first} to {last} (UTC); the busiest day ({}) had {}. In \
             all: {} PERMIT, {} no verdict, {} ESCALATE on {} (marked above), {} DENY; {} on {} \
             (marked below).",
            counted(many(sum(ActivityDay::entries)), "entry", "entries"),
            counted(self.columns.len(), "day", "days"),
            counted(span, "day", "days"),
            self.busiest,
            self.columns
                .iter()
                .map(|c| c.day.entries())
                .max()
                .unwrap_or(0),
            sum(|d| d.permit),
            sum(|d| d.unjudged),
            sum(|d| d.escalate),
            counted(days_with(|c| c.escalated), "day", "days"),
            sum(|d| d.deny),
            counted(
                many(sum(|d| d.drift_detected)),
                "drift detection",
                "drift detections",
            ),
            counted(days_with(|c| c.drifted), "day", "days"),
        )
    }
}

/// `n` and its noun: "1 day", "3 days".
fn counted(n: usize, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{n} {noun}")
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `n` (for `n` ≥ 1).
fn nice_ceiling(n: i64) -> i64 {
    let mut power = 1i64;
    loop {
        for step in [1, 2, 5] {
            let candidate = step * power;
            if candidate >= n {
                return candidate;
            }
        }
        match power.checked_mul(10) {
            Some(next) => power = next,
            None => return n,
        }
    }
}

/// Up to six evenly spread day offsets of a span of `n` days, the first and the last among them.
fn ticks(n: i64) -> Vec<i64> {
    match n {
        ..=0 => Vec::new(),
        1..=6 => (0..n).collect(),
        _ => {
            let mut ticks: Vec<i64> = (0..6).map(|i| i * (n - 1) / 5).collect();
            ticks.dedup();
            ticks
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(day: Date, permit: i64, escalate: i64, drift_detected: i64) -> ActivityDay {
        ActivityDay {
            day,
            permit,
            escalate,
            deny: 1,
            unjudged: 0,
            drift_detected,
        }
    }

    #[test]
    fn columns_stack_the_verdicts_and_mark_escalations_and_drift() {
        let chart = Chart::new(&[
            day(date!(2026 - 01 - 01), 10, 2, 0),
            day(date!(2026 - 01 - 03), 3, 0, 1),
        ])
        .unwrap();
        assert_eq!(chart.columns.len(), 2, "only the days with entries");
        assert_eq!(chart.marks[0].1, 20);
        assert_eq!(chart.marks, [(1.0, 20), (0.5, 10), (0.0, 0)]);
        let first = &chart.columns[0];
        let bands: Vec<_> = first.segments.iter().map(|s| s.band).collect();
        assert_eq!(bands, [Band::Permit, Band::Escalate, Band::Deny]);
        assert!((first.segments[2].top - 13.0 / 20.0).abs() < 1e-9);
        assert!(first.escalated && !first.drifted);
        let last = &chart.columns[1];
        assert!(last.drifted && !last.escalated);
        assert!(
            (last.left - 2.0 / 3.0).abs() < 1e-9,
            "the quiet day keeps its place"
        );
        let ticked: Vec<_> = chart.ticks.iter().map(|t| t.1.to_string()).collect();
        assert_eq!(ticked, ["2026-01-01", "2026-01-02", "2026-01-03"]);
        assert!((chart.ticks[1].0 - 0.5).abs() < 1e-9);
        let summary = chart.summary();
        assert!(
            summary.starts_with(
                "17 entries on 2 days of the 3 days from 2026-01-01 to 2026-01-03 (UTC); \
                 the busiest day (2026-01-01) had 13."
            ),
            "{summary}"
        );
        assert!(
            summary.contains("2 ESCALATE on 1 day (marked above)"),
            "{summary}"
        );
        assert!(
            summary.contains("1 drift detection on 1 day (marked below)"),
            "{summary}"
        );
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        assert!(Chart::new(&[]).is_none());
    }

    #[test]
    fn a_span_of_centuries_lays_out_its_active_days_only() {
        let chart = Chart::new(&[
            day(date!(0001 - 01 - 01), 5, 0, 0),
            day(date!(2026 - 01 - 03), 3, 0, 0),
        ])
        .unwrap();
        assert_eq!(chart.columns.len(), 2);
        assert_eq!(chart.marks[0].1, 10);
        assert!(chart.columns[1].left > 0.999 && chart.columns[1].width < 1e-5);
        assert_eq!(chart.ticks.len(), 6);
        assert_eq!(chart.ticks[5].1, date!(2026 - 01 - 03));
        let odd = Chart::new(&[day(date!(2026 - 01 - 01), 3, 0, 0)]).unwrap();
        assert_eq!(odd.marks[0].1, 5);
        assert_eq!(
            odd.marks,
            [(1.0, 5), (0.0, 0)],
            "no half of 5 is drawn as 2"
        );
    }

    #[test]
    fn scales_and_ticks_are_round() {
        let scales: Vec<_> = [1, 2, 3, 7, 10, 11, 4_999, 5_001]
            .map(nice_ceiling)
            .to_vec();
        assert_eq!(scales, [1, 2, 5, 10, 10, 20, 5_000, 10_000]);
        assert_eq!(ticks(100), [0, 19, 39, 59, 79, 99]);
        assert_eq!(ticks(3), [0, 1, 2]);
        assert_eq!(ticks(7), [0, 1, 2, 3, 4, 6]);
    }
}

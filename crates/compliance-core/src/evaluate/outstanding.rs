use std::time::Duration;

use time::OffsetDateTime;

use super::{Verdict, correlation, seconds, signed};
use crate::history::{Moment, Trail};
use crate::pairing::pair;

/// CURRENT_OUTSTANDING: every opening event before `at` has been answered.
pub(super) fn current(trail: Trail<'_>, opening: &str, closing: &str) -> Verdict {
    let open = pair(trail, opening, closing, |_| ());
    let Some(oldest) = open.first() else {
        return Ok(());
    };
    Err(format!(
        "No closing event for {opening} {}{}",
        correlation(oldest.correlation),
        more(open.len() - 1, "still open")
    ))
}

/// PERIOD_OUTSTANDING: every pair closed within `period`, and no opening still open at `at`
/// is older than `period` (the limit itself passes).
pub(super) fn period(
    trail: Trail<'_>,
    opening: &str,
    closing: &str,
    period: Duration,
    at: OffsetDateTime,
) -> Verdict {
    let limit = signed(period);
    let at = Moment::of(at);
    let mut late = Vec::new();
    let open = pair(trail, opening, closing, |pair| {
        if pair.duration() > limit {
            late.push(pair);
        }
    });
    let late = late.into_iter().map(|pair| {
        let text = format!(
            "{opening} {} was closed after {}",
            correlation(Some(pair.correlation)),
            seconds(pair.duration())
        );
        (pair.opened, text)
    });
    let overdue = open
        .iter()
        .filter(|open| at - open.opened > limit)
        .map(|open| {
            let text = format!(
                "{opening} {} is still open after {}",
                correlation(open.correlation),
                seconds(at - open.opened)
            );
            (open.opened, text)
        });
    let mut violations: Vec<_> = late.chain(overdue).collect();
    if violations.is_empty() {
        return Ok(());
    }
    // Report the violation that opened first; the rest are counted.
    violations.sort_by_key(|(opened, _)| *opened);
    Err(format!(
        "{}, exceeding limit {}{}",
        violations[0].1,
        seconds(limit),
        more(violations.len() - 1, "exceed it too")
    ))
}

fn more(count: usize, what: &str) -> String {
    match count {
        0 => String::new(),
        1 => format!(" (and 1 more {what})"),
        n => format!(" (and {n} more {what})"),
    }
}

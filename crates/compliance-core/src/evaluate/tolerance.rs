use std::time::Duration;

use time::OffsetDateTime;

use super::{Verdict, correlation, seconds};
use crate::history::{Moment, Trail};
use crate::pairing::pair;
use crate::plan::window_start;

/// DYNAMIC_TOLERANCE: among pairs that closed in `[at − window, at)`, none lies more than
/// `variability` population standard deviations from their mean duration.
pub(super) fn verdict(
    trail: Trail<'_>,
    opening: &str,
    closing: &str,
    window: Duration,
    variability: f64,
    at: OffsetDateTime,
) -> Verdict {
    let since = window_start(at, window).map(Moment::of);
    let mut recent = Vec::new();
    pair(trail, opening, closing, |pair| {
        if since.is_none_or(|since| pair.closed >= since) {
            recent.push((pair, pair.duration().as_seconds_f64()));
        }
    });
    if recent.len() < 2 {
        return Ok(());
    }
    #[allow(clippy::cast_precision_loss)] // a count of pairs, far below 2^52
    let count = recent.len() as f64;
    let mean = recent.iter().map(|(_, d)| d).sum::<f64>() / count;
    let variance = recent.iter().map(|(_, d)| (d - mean).powi(2)).sum::<f64>() / count;
    let deviation = variance.sqrt();
    if deviation == 0.0 {
        return Ok(());
    }
    let worst = recent
        .iter()
        .map(|(pair, d)| (pair, (d - mean).abs() / deviation))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match worst {
        Some((pair, sigmas)) if sigmas > variability => Err(format!(
            "{opening} {} took {}, {sigmas:.2} standard deviations from the mean {} \
             of {} pairs closed in the window (limit {variability})",
            correlation(Some(pair.correlation)),
            seconds(pair.duration()),
            seconds(time::Duration::saturating_seconds_f64(mean)),
            recent.len(),
        )),
        _ => Ok(()),
    }
}

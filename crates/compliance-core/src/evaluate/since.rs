use std::time::Duration;

use time::OffsetDateTime;

use super::{Verdict, seconds, signed};
use crate::Event;

/// SINCE: the newest event of the type is at most `period` old at `at` (the limit itself passes).
pub(super) fn verdict(
    events: &[Event],
    display_type: &str,
    period: Duration,
    at: OffsetDateTime,
) -> Verdict {
    // Events are in time order, so the first match from the end is the newest.
    let Some(newest) = events.iter().rev().find(|e| e.display_type == display_type) else {
        return Err("No events found".to_owned());
    };
    let elapsed = at - newest.time();
    let limit = signed(period);
    if elapsed > limit {
        return Err(format!(
            "Duration {} exceeds limit {}",
            seconds(elapsed),
            seconds(limit)
        ));
    }
    Ok(())
}

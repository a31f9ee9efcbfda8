//! The agent's activity by day: the figures of the package's activity chart, counted by
//! PostgreSQL per UTC day. Their sum is the execution graph's total, so the chart and the tables
//! can never disagree.

use serde::{Deserialize, Serialize};
use time::Date;

time::serde::format_description!(day_format, Date, "[year]-[month]-[day]");

/// One UTC day on which the agent's trail has entries, as PostgreSQL counted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityDay {
    /// The day, `YYYY-MM-DD`, in UTC.
    #[serde(with = "day_format")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: Date,
    pub permit: i64,
    pub escalate: i64,
    pub deny: i64,
    /// Entries the policy engine gave no verdict on.
    pub unjudged: i64,
    /// `drift.detected` entries (counted once more among the four above).
    pub drift_detected: i64,
}

impl ActivityDay {
    /// Every entry of the day, whatever its verdict.
    pub fn entries(&self) -> i64 {
        self.permit + self.escalate + self.deny + self.unjudged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(day: Date, permit: i64) -> ActivityDay {
        ActivityDay {
            day,
            permit,
            escalate: 1,
            deny: 0,
            unjudged: 2,
            drift_detected: 1,
        }
    }

    #[test]
    fn a_days_entries_are_its_four_verdicts() {
        let day = day(date!(2026 - 02 - 27), 4);
        assert_eq!(day.entries(), 4 + 1 + 2, "drift detections are among them");
    }

    #[test]
    fn days_read_and_write_as_dates() {
        let json = serde_json::to_value(day(date!(2026 - 11 - 05), 3)).unwrap();
        assert_eq!(json["day"], "2026-11-05");
        let back: ActivityDay = serde_json::from_value(json).unwrap();
        assert_eq!(back.day, date!(2026 - 11 - 05));
    }
}

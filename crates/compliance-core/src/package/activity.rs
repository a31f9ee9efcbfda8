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

/// Every day from the first active one to the last, the days without entries as zeros: the
/// chart's axis. Empty when `days` is.
pub fn every_day(days: &[ActivityDay]) -> Vec<ActivityDay> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut active = days.iter().peekable();
    let mut day = first.day;
    while day <= last.day {
        match active.next_if(|d| d.day == day) {
            Some(found) => out.push(found.clone()),
            None => out.push(ActivityDay {
                day,
                permit: 0,
                escalate: 0,
                deny: 0,
                unjudged: 0,
                drift_detected: 0,
            }),
        }
        let Some(next) = day.next_day() else { break };
        day = next;
    }
    out
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
    fn every_day_fills_the_quiet_days_with_zeros() {
        let days = [day(date!(2026 - 02 - 27), 4), day(date!(2026 - 03 - 02), 5)];
        let filled = every_day(&days);
        let dates: Vec<_> = filled.iter().map(|d| d.day.to_string()).collect();
        assert_eq!(
            dates,
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        );
        assert_eq!(filled[1].entries(), 0);
        assert_eq!(filled[3], days[1]);
        assert_eq!(filled.iter().map(ActivityDay::entries).sum::<i64>(), 15);
        assert!(every_day(&[]).is_empty());
    }

    #[test]
    fn days_read_and_write_as_dates() {
        let json = serde_json::to_value(day(date!(2026 - 11 - 05), 3)).unwrap();
        assert_eq!(json["day"], "2026-11-05");
        let back: ActivityDay = serde_json::from_value(json).unwrap();
        assert_eq!(back.day, date!(2026 - 11 - 05));
    }
}

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::{Event, History, Policy};

/// The slice of an asset's history (events strictly before `at`) that a policy needs, so that a
/// store can fetch exactly that, by index. Every plan also needs the events that set asset
/// attributes, since the asset filter is matched against the attributes at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Plan {
    /// Only the newest event of this type (SINCE).
    Newest { display_type: String },
    /// Every event of both types (CURRENT_OUTSTANDING, PERIOD_OUTSTANDING).
    Pairs { opening: String, closing: String },
    /// The closing events at or after `since`, and every event of both types that shares a
    /// correlation value with one of them (DYNAMIC_TOLERANCE). `None`: no lower bound.
    ClosedWithin {
        opening: String,
        closing: String,
        since: Option<OffsetDateTime>,
    },
    /// No events beyond the attribute changes (RICHNESS).
    AttributesOnly,
}

impl Policy {
    /// Which events this policy needs to be evaluated at `at`.
    pub fn plan(&self, at: OffsetDateTime) -> Plan {
        match self {
            Self::Since {
                event_display_type, ..
            } => Plan::Newest {
                display_type: event_display_type.clone(),
            },
            Self::CurrentOutstanding {
                event_display_type,
                closing_event_display_type,
            }
            | Self::PeriodOutstanding {
                event_display_type,
                closing_event_display_type,
                ..
            } => Plan::Pairs {
                opening: event_display_type.clone(),
                closing: closing_event_display_type.clone(),
            },
            Self::DynamicTolerance {
                event_display_type,
                closing_event_display_type,
                dynamic_window,
                ..
            } => Plan::ClosedWithin {
                opening: event_display_type.clone(),
                closing: closing_event_display_type.clone(),
                since: window_start(at, *dynamic_window),
            },
            Self::Richness { .. } => Plan::AttributesOnly,
        }
    }
}

/// `at − window`, or `None` when that lies before the earliest representable time.
pub(crate) fn window_start(
    at: OffsetDateTime,
    window: std::time::Duration,
) -> Option<OffsetDateTime> {
    time::Duration::try_from(window)
        .ok()
        .and_then(|window| at.checked_sub(window))
}

impl Plan {
    /// The plans a store must fetch for `plans`: each once, in the order first given, without
    /// those whose slice another one's holds. A Pairs plan holds every event of its two types
    /// before `at`, so it holds the newest of either (a Newest plan of one of them), the
    /// answered pairs of the same two types (a ClosedWithin plan), and the same Pairs plan
    /// with its types the other way round. Linear: a check may name a thousand plans.
    pub fn fetches(plans: impl IntoIterator<Item = Plan>) -> Vec<Plan> {
        let plans: Vec<Plan> = plans.into_iter().collect();
        // The two types of every Pairs plan, either way round, and each type they name.
        let mut pairs: HashSet<(&str, &str)> = HashSet::new();
        let mut paired: HashSet<&str> = HashSet::new();
        for plan in &plans {
            if let Self::Pairs { opening, closing } = plan {
                pairs.insert((opening, closing));
                pairs.insert((closing, opening));
                paired.extend([opening.as_str(), closing.as_str()]);
            }
        }
        let mut seen: HashSet<&Plan> = HashSet::new();
        let mut fetched_pairs: HashSet<(&str, &str)> = HashSet::new();
        let mut fetches = Vec::new();
        for plan in &plans {
            let needed = match plan {
                Self::Newest { display_type } => !paired.contains(display_type.as_str()),
                // Kept once, whichever way round its types are given.
                Self::Pairs { opening, closing } => {
                    let reversed = (closing.as_str(), opening.as_str());
                    let first = !fetched_pairs.contains(&reversed);
                    fetched_pairs.insert((opening, closing));
                    first
                }
                Self::ClosedWithin {
                    opening, closing, ..
                } => !pairs.contains(&(opening.as_str(), closing.as_str())),
                Self::AttributesOnly => false,
            };
            if needed && seen.insert(plan) {
                fetches.push(plan.clone());
            }
        }
        fetches
    }

    /// The in-memory reference of what a store fetches for this plan: the planned events before
    /// `at`, plus every event before `at` that sets asset attributes.
    pub fn select(&self, history: &History, at: OffsetDateTime) -> History {
        let events = history.before(at);
        let newest = match self {
            Self::Newest { display_type } => {
                events.iter().rposition(|e| &e.display_type == display_type)
            }
            _ => None,
        };
        let answered: HashSet<&str> = match self {
            Self::ClosedWithin { closing, since, .. } => events
                .iter()
                .filter(|e| &e.display_type == closing && since.is_none_or(|s| e.time() >= s))
                .filter_map(|e| e.correlation_value.as_deref())
                .collect(),
            _ => HashSet::new(),
        };
        let named = |i: usize, e: &Event| match self {
            Self::Newest { .. } => Some(i) == newest,
            Self::Pairs { opening, closing } => {
                e.display_type == *opening || e.display_type == *closing
            }
            Self::ClosedWithin {
                opening, closing, ..
            } => {
                (e.display_type == *opening || e.display_type == *closing)
                    && e.correlation_value
                        .as_deref()
                        .is_some_and(|v| answered.contains(v))
            }
            Self::AttributesOnly => false,
        };
        let slice = events
            .iter()
            .enumerate()
            .filter(|&(i, e)| named(i, e) || !e.asset_attributes.is_empty())
            .map(|(_, e)| e.clone())
            .collect();
        History::new(history.asset().clone(), slice)
    }
}

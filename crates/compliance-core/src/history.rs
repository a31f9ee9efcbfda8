use std::collections::HashMap;

use time::OffsetDateTime;

use crate::{Asset, Attributes, Event};

/// An asset and (a slice of) its events, in time order.
#[derive(Debug, Clone)]
pub struct History {
    asset: Asset,
    events: Vec<Event>,
    /// One per event, in the same order: what pairing reads instead of the events themselves.
    keys: Vec<Keys>,
    /// Each display type in `events` and its number in [`Keys::kind`].
    kinds: Symbols,
}

type Symbols = HashMap<String, u32, foldhash::fast::RandomState>;

/// An event's time, display type and correlation value with the strings numbered: pairing a
/// long history compares these dense integers rather than following each event's strings
/// (the memory reads, not the comparisons, are what a long history costs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keys {
    pub time: Moment,
    pub kind: u32,
    /// [`Keys::UNCORRELATED`] when the event has no correlation value.
    pub correlation: u32,
}

impl Keys {
    pub const UNCORRELATED: u32 = u32::MAX;
}

/// An instant as whole seconds and nanoseconds since the Unix epoch: ordered, compared and
/// subtracted as integers (an `OffsetDateTime` converts between offsets to do any of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Moment {
    seconds: i64,
    nanoseconds: u32,
}

impl Moment {
    pub fn of(time: OffsetDateTime) -> Self {
        Self {
            seconds: time.unix_timestamp(),
            nanoseconds: time.nanosecond(),
        }
    }
}

impl std::ops::Sub for Moment {
    type Output = time::Duration;

    /// Exact: the seconds of two representable times differ by far less than `i64::MAX`.
    fn sub(self, earlier: Self) -> time::Duration {
        let nanoseconds = i64::from(self.nanoseconds) - i64::from(earlier.nanoseconds);
        time::Duration::new(self.seconds - earlier.seconds, 0)
            + time::Duration::nanoseconds(nanoseconds)
    }
}

/// The events before some time with their keys: what evaluation reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trail<'a> {
    pub events: &'a [Event],
    pub keys: &'a [Keys],
    kinds: &'a Symbols,
}

impl Trail<'_> {
    /// The number of `display_type` in [`Keys::kind`], if any event has it.
    pub fn kind(&self, display_type: &str) -> Option<u32> {
        self.kinds.get(display_type).copied()
    }
}

impl History {
    /// Orders the events by time, then by acceptance; input order breaks remaining ties.
    /// Sorting input that is already ordered (as the store returns it) is linear.
    pub fn new(asset: Asset, mut events: Vec<Event>) -> Self {
        events.sort_by_key(|event| (event.time(), event.accepted_at));
        let mut kinds = Symbols::default();
        let keys = {
            // Correlation values are only compared with each other, so their numbers are
            // not kept; the map borrows the events and ends here.
            let mut correlations: HashMap<&str, u32, foldhash::fast::RandomState> =
                HashMap::default();
            events
                .iter()
                .map(|event| {
                    let next = symbol(kinds.len());
                    let kind = match kinds.get(event.display_type.as_str()) {
                        Some(kind) => *kind,
                        None => *kinds.entry(event.display_type.clone()).or_insert(next),
                    };
                    let correlation =
                        event
                            .correlation_value
                            .as_deref()
                            .map_or(Keys::UNCORRELATED, |value| {
                                let next = symbol(correlations.len());
                                *correlations.entry(value).or_insert(next)
                            });
                    Keys {
                        time: Moment::of(event.time()),
                        kind,
                        correlation,
                    }
                })
                .collect()
        };
        Self {
            asset,
            events,
            keys,
            kinds,
        }
    }

    pub fn asset(&self) -> &Asset {
        &self.asset
    }

    /// Every event, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events that count at `at`: those strictly before it.
    pub fn before(&self, at: OffsetDateTime) -> &[Event] {
        self.trail(at).events
    }

    /// [`History::before`] with the events' keys.
    pub(crate) fn trail(&self, at: OffsetDateTime) -> Trail<'_> {
        let at = Moment::of(at);
        let end = self.keys.partition_point(|keys| keys.time < at);
        Trail {
            events: &self.events[..end],
            keys: &self.keys[..end],
            kinds: &self.kinds,
        }
    }

    /// The creation attributes updated, in time order, by the events before `at`.
    pub fn attributes_at(&self, at: OffsetDateTime) -> Attributes {
        let mut attributes = self.asset.attributes.clone();
        for event in self.before(at) {
            for (key, value) in &event.asset_attributes {
                attributes.insert(key.clone(), value.clone());
            }
        }
        attributes
    }
}

/// The keys are computed from the events, so two histories are equal when these are.
impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.asset == other.asset && self.events == other.events
    }
}

impl Eq for History {}

/// The next symbol after `count` of them. A history holds far fewer than 2^32 events (each is
/// a heap-allocated struct), so the numbers never reach [`Keys::UNCORRELATED`].
fn symbol(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(Keys::UNCORRELATED - 1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::{OffsetDateTime, UtcOffset};

    use super::Moment;

    /// Any representable time, at any offset, with nanoseconds.
    fn time() -> impl Strategy<Value = OffsetDateTime> {
        (
            OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT).unix_timestamp()
                ..OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT).unix_timestamp(),
            0..1_000_000_000u32,
            -86_399..86_399i32,
        )
            .prop_map(|(seconds, nanoseconds, offset)| {
                let utc = OffsetDateTime::from_unix_timestamp(seconds)
                    .expect("in range")
                    .replace_nanosecond(nanoseconds)
                    .expect("in range");
                // Near the ends of the range an offset can leave it: those stay in UTC.
                utc.checked_to_offset(UtcOffset::from_whole_seconds(offset).expect("in range"))
                    .unwrap_or(utc)
            })
    }

    proptest! {
        // Pairing orders and subtracts moments where evaluation used to use the times.
        #[test]
        fn moments_order_and_subtract_as_the_times_do(a in time(), b in time()) {
            let (x, y) = (Moment::of(a), Moment::of(b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!(x - y, a - b);
        }
    }
}

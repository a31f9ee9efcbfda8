//! Pairs opening events with the closing events that answer them, in one pass.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use time::Duration;

use crate::history::{Keys, Moment, Trail};

/// An opening event and the closing event that answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    pub correlation: &'a str,
    pub opened: Moment,
    pub closed: Moment,
}

impl Pair<'_> {
    pub fn duration(&self) -> Duration {
        self.closed - self.opened
    }
}

/// An opening event nothing has answered (yet, or ever when it has no correlation value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Open<'a> {
    pub opened: Moment,
    pub correlation: Option<&'a str>,
}

/// The openings pending on one correlation value, as indexes into the trail; almost always
/// one, kept inline.
#[derive(Debug)]
enum Opened {
    One(usize),
    Many(Vec<usize>),
}

impl Opened {
    fn push(&mut self, opened: usize) {
        match self {
            Self::One(first) => *self = Self::Many(vec![*first, opened]),
            Self::Many(all) => all.push(opened),
        }
    }

    fn for_each(self, mut f: impl FnMut(usize)) {
        match self {
            Self::One(opened) => f(opened),
            Self::Many(all) => all.into_iter().for_each(f),
        }
    }
}

/// Pairs the trail's events (in time order): a closing event answers every still-open opening
/// event with the same correlation value at or before its time. Each pair goes to `closed` in
/// the order they close; the openings left open are returned, oldest first. Linear in the
/// number of events, and it reads only the trail's keys until it finds a pair.
pub(crate) fn pair<'a>(
    trail: Trail<'a>,
    opening: &str,
    closing: &str,
    mut closed: impl FnMut(Pair<'a>),
) -> Vec<Open<'a>> {
    let Some(opening) = trail.kind(opening) else {
        return Vec::new();
    };
    let closing = trail.kind(closing);
    let (events, keys) = (trail.events, trail.keys);
    // The numbers are ours, not the caller's, so a fast unkeyed hash cannot be led into
    // collisions; foldhash is seeded per map all the same.
    let mut pending: HashMap<u32, Opened, foldhash::fast::RandomState> = HashMap::default();
    let mut uncorrelated = Vec::new();
    let mut start = 0;
    while start < keys.len() {
        let time = keys[start].time;
        let end = start
            + keys[start..]
                .iter()
                .position(|key| key.time != time)
                .unwrap_or(keys.len() - start);
        // Within one instant, openings go first so that a closing at the same time answers them.
        for (index, key) in keys.iter().enumerate().take(end).skip(start) {
            if key.kind != opening {
                continue;
            }
            if key.correlation == Keys::UNCORRELATED {
                uncorrelated.push(index);
                continue;
            }
            match pending.entry(key.correlation) {
                Entry::Occupied(mut entry) => entry.get_mut().push(index),
                Entry::Vacant(entry) => {
                    entry.insert(Opened::One(index));
                }
            }
        }
        for (index, key) in keys.iter().enumerate().take(end).skip(start) {
            if Some(key.kind) != closing || key.correlation == Keys::UNCORRELATED {
                continue;
            }
            let (Some(opened), Some(correlation)) = (
                pending.remove(&key.correlation),
                events[index].correlation_value.as_deref(),
            ) else {
                continue;
            };
            opened.for_each(|opened| {
                closed(Pair {
                    correlation,
                    opened: keys[opened].time,
                    closed: time,
                });
            });
        }
        start = end;
    }
    let correlation = |index: usize| events[index].correlation_value.as_deref();
    let mut open: Vec<Open<'a>> = uncorrelated
        .into_iter()
        .chain(pending.into_values().flat_map(|opened| {
            let mut all = Vec::new();
            opened.for_each(|index| all.push(index));
            all
        }))
        .map(|index| Open {
            opened: keys[index].time,
            correlation: correlation(index),
        })
        .collect();
    open.sort_unstable();
    open
}

//! Pairs opening events with the closing events that answer them, in one pass.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use time::{Duration, OffsetDateTime};

use crate::Event;

/// An opening event and the closing event that answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    pub correlation: &'a str,
    pub opened: OffsetDateTime,
    pub closed: OffsetDateTime,
}

impl Pair<'_> {
    pub fn duration(&self) -> Duration {
        self.closed - self.opened
    }
}

/// An opening event nothing has answered (yet, or ever when it has no correlation value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Open<'a> {
    pub opened: OffsetDateTime,
    pub correlation: Option<&'a str>,
}

#[derive(Debug, Default)]
pub(crate) struct Pairing<'a> {
    /// In the order they closed.
    pub closed: Vec<Pair<'a>>,
    /// Oldest first.
    pub open: Vec<Open<'a>>,
}

/// The opening times pending on one correlation value; almost always one, kept inline.
#[derive(Debug)]
enum Opened {
    One(OffsetDateTime),
    Many(Vec<OffsetDateTime>),
}

impl Opened {
    fn push(&mut self, opened: OffsetDateTime) {
        match self {
            Self::One(first) => *self = Self::Many(vec![*first, opened]),
            Self::Many(all) => all.push(opened),
        }
    }

    fn into_vec(self) -> Vec<OffsetDateTime> {
        match self {
            Self::One(opened) => vec![opened],
            Self::Many(all) => all,
        }
    }

    fn for_each(self, mut f: impl FnMut(OffsetDateTime)) {
        match self {
            Self::One(opened) => f(opened),
            Self::Many(all) => all.into_iter().for_each(f),
        }
    }
}

/// Pairs `events` (in time order): a closing event answers every still-open opening event with
/// the same correlation value at or before its time. Linear in the number of events.
pub(crate) fn pair<'a>(events: &'a [Event], opening: &str, closing: &str) -> Pairing<'a> {
    // foldhash is seeded per map, so crafted correlation values cannot force collisions.
    let mut pending: HashMap<&'a str, Opened, foldhash::fast::RandomState> = HashMap::default();
    let mut pairing = Pairing::default();
    // Within one instant, openings go first so that a closing at the same time answers them.
    for instant in events.chunk_by(|a, b| a.time() == b.time()) {
        for event in instant.iter().filter(|e| e.display_type == opening) {
            match event.correlation_value.as_deref() {
                Some(value) => match pending.entry(value) {
                    Entry::Occupied(mut entry) => entry.get_mut().push(event.time()),
                    Entry::Vacant(entry) => {
                        entry.insert(Opened::One(event.time()));
                    }
                },
                None => pairing.open.push(Open {
                    opened: event.time(),
                    correlation: None,
                }),
            }
        }
        for event in instant.iter().filter(|e| e.display_type == closing) {
            let Some(value) = event.correlation_value.as_deref() else {
                continue;
            };
            if let Some((correlation, opened)) = pending.remove_entry(value) {
                opened.for_each(|opened| {
                    pairing.closed.push(Pair {
                        correlation,
                        opened,
                        closed: event.time(),
                    });
                });
            }
        }
    }
    pairing
        .open
        .extend(pending.into_iter().flat_map(|(correlation, opened)| {
            opened.into_vec().into_iter().map(move |opened| Open {
                opened,
                correlation: Some(correlation),
            })
        }));
    pairing.open.sort_unstable();
    pairing
}

//! Pairs opening events with the closing events that answer them, in one pass.

use std::collections::HashMap;

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

/// Pairs `events` (in time order): a closing event answers every still-open opening event with
/// the same correlation value at or before its time. Linear in the number of events.
pub(crate) fn pair<'a>(events: &'a [Event], opening: &str, closing: &str) -> Pairing<'a> {
    let mut pending: HashMap<&'a str, Vec<OffsetDateTime>> = HashMap::new();
    let mut pairing = Pairing::default();
    // Within one instant, openings go first so that a closing at the same time answers them.
    for instant in events.chunk_by(|a, b| a.time() == b.time()) {
        for event in instant.iter().filter(|e| e.display_type == opening) {
            match event.correlation_value.as_deref() {
                Some(value) => pending.entry(value).or_default().push(event.time()),
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
                pairing.closed.extend(opened.into_iter().map(|opened| Pair {
                    correlation,
                    opened,
                    closed: event.time(),
                }));
            }
        }
    }
    pairing
        .open
        .extend(pending.into_iter().flat_map(|(correlation, opened)| {
            opened.into_iter().map(move |opened| Open {
                opened,
                correlation: Some(correlation),
            })
        }));
    pairing.open.sort_unstable();
    pairing
}

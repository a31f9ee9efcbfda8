use time::OffsetDateTime;

use crate::{Asset, Attributes, Event};

/// An asset and (a slice of) its events, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    asset: Asset,
    events: Vec<Event>,
}

impl History {
    /// Orders the events by time, then by acceptance; input order breaks remaining ties.
    /// Sorting input that is already ordered (as the store returns it) is linear.
    pub fn new(asset: Asset, mut events: Vec<Event>) -> Self {
        events.sort_by_key(|event| (event.time(), event.accepted_at));
        Self { asset, events }
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
        let end = self.events.partition_point(|event| event.time() < at);
        &self.events[..end]
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

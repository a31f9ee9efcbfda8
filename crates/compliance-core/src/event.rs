use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Attributes;

/// Longest event display type and correlation value, in characters: both are indexed, and four
/// bytes a character keeps the two together inside PostgreSQL's B-tree row limit (2,704 bytes).
pub const MAX_EVENT_TYPE: usize = 300;

/// Event attributes that pair an opening event with its closing event, newest name first
/// (seed 003 calls it `arc_correlation_id`; the archivist service later `arc_correlation_value`).
pub const CORRELATION_KEYS: [&str; 2] = ["arc_correlation_value", "arc_correlation_id"];

/// The correlation value named by an event's attributes, if any.
pub fn correlation_value(event_attributes: &Attributes) -> Option<&str> {
    CORRELATION_KEYS
        .iter()
        .find_map(|key| event_attributes.get(*key))
        .map(String::as_str)
}

/// An asset as created: its identity and its creation attributes, the base that events update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: Uuid,
    pub attributes: Attributes,
}

/// One event of an asset's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub asset: Uuid,
    /// `arc_display_type` of the event: what kind of thing happened.
    pub display_type: String,
    /// Pairs this event with its opening or closing counterpart (see [`correlation_value`]).
    pub correlation_value: Option<String>,
    /// When the caller says it happened; wins over `accepted_at` when present.
    #[serde(with = "time::serde::rfc3339::option")]
    pub declared_at: Option<OffsetDateTime>,
    /// When the server accepted it.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    pub event_attributes: Attributes,
    /// The asset attributes this event sets, from its time on.
    pub asset_attributes: Attributes,
}

impl Event {
    /// An event of `display_type` accepted at `accepted_at`, with no attributes.
    pub fn new(asset: Uuid, display_type: impl Into<String>, accepted_at: OffsetDateTime) -> Self {
        Self {
            asset,
            display_type: display_type.into(),
            correlation_value: None,
            declared_at: None,
            accepted_at,
            event_attributes: Attributes::new(),
            asset_attributes: Attributes::new(),
        }
    }

    /// Sets the declared timestamp.
    pub fn declared(mut self, at: OffsetDateTime) -> Self {
        self.declared_at = Some(at);
        self
    }

    /// Adds an event attribute, keeping `correlation_value` in step with it.
    pub fn with_event_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.event_attributes.insert(key.into(), value.into());
        self.correlation_value = correlation_value(&self.event_attributes).map(str::to_owned);
        self
    }

    /// Sets the correlation value through its current attribute name.
    pub fn correlated(self, value: impl Into<String>) -> Self {
        self.with_event_attribute(CORRELATION_KEYS[0], value)
    }

    /// Adds an asset attribute that this event sets.
    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.asset_attributes.insert(key.into(), value.into());
        self
    }

    /// The event's time: declared when given, else accepted.
    pub fn time(&self) -> OffsetDateTime {
        self.declared_at.unwrap_or(self.accepted_at)
    }
}

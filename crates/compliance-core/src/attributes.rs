use std::collections::BTreeMap;

/// String attributes of an asset or an event, ordered by key so printing is deterministic.
pub type Attributes = BTreeMap<String, String>;

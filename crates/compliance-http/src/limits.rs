//! What one request may store: the size limits `docs/api.md` publishes, each checked before the
//! database sees the value, so a value too large is a 400 naming its field, never a 500 from an
//! index row limit, and no request makes the server hold more than a bounded amount.

use compliance_core::{Attributes, CORRELATION_KEYS, MAX_EVENT_TYPE};
use serde_json::Value;

use crate::ApiError;

/// Most attributes in one map (`attributes`, `event_attributes`, `asset_attributes`).
pub const MAX_ATTRIBUTES: usize = 100;
/// Longest attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME: usize = 200;
/// Longest attribute value, in characters.
pub const MAX_ATTRIBUTE_VALUE: usize = 4096;
/// Largest attribute map: UTF-8 bytes of its names and values together.
pub const MAX_ATTRIBUTES_BYTES: usize = 32 * 1024;
/// Largest `principal_declared`, and an audit entry's `metadata`, as compact JSON.
pub const MAX_PRINCIPAL_BYTES: usize = 4 * 1024;
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
/// Deepest nesting of arrays and objects in `metadata` or `principal_declared`.
pub const MAX_JSON_DEPTH: usize = 16;
/// Most `behaviours` of an asset, and the longest one.
pub const MAX_BEHAVIOURS: usize = 32;
pub const MAX_BEHAVIOUR: usize = 100;

/// An attribute map within the limits; `arc_display_type` and the correlation value are indexed,
/// so they are held to [`MAX_EVENT_TYPE`] characters.
pub fn attributes(field: &str, attributes: &Attributes) -> Result<(), ApiError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(too_many(field, MAX_ATTRIBUTES, "attributes"));
    }
    let mut bytes = 0;
    for (name, value) in attributes {
        if name.is_empty() || name.chars().count() > MAX_ATTRIBUTE_NAME {
            return Err(ApiError::bad_request(format!(
                "{field}: attribute names are 1 to {MAX_ATTRIBUTE_NAME} characters"
            )));
        }
        let indexed = name == "arc_display_type" || CORRELATION_KEYS.contains(&name.as_str());
        let max = if indexed {
            MAX_EVENT_TYPE
        } else {
            MAX_ATTRIBUTE_VALUE
        };
        chars(&format!("{field}.{name}"), value, max)?;
        bytes += name.len() + value.len();
    }
    if bytes > MAX_ATTRIBUTES_BYTES {
        return Err(ApiError::bad_request(format!(
            "{field}: names and values together exceed {MAX_ATTRIBUTES_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A string of at most `max` characters.
pub fn chars(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{field}: longer than {max} characters"
        )));
    }
    Ok(())
}

/// A JSON value of at most `max_bytes` as compact JSON and [`MAX_JSON_DEPTH`] levels deep.
pub fn json(field: &str, value: &Value, max_bytes: usize) -> Result<(), ApiError> {
    if depth(value) > MAX_JSON_DEPTH {
        return Err(ApiError::bad_request(format!(
            "{field}: nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    // Serializing a Value cannot fail; a failure would be counted as too large.
    let size = serde_json::to_vec(value).map_or(usize::MAX, |json| json.len());
    if size > max_bytes {
        return Err(ApiError::bad_request(format!(
            "{field}: larger than {max_bytes} bytes as JSON"
        )));
    }
    Ok(())
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// An asset's behaviours within the limits.
pub fn behaviours(behaviours: &[String]) -> Result<(), ApiError> {
    if behaviours.len() > MAX_BEHAVIOURS {
        return Err(too_many("behaviours", MAX_BEHAVIOURS, "behaviours"));
    }
    for (i, behaviour) in behaviours.iter().enumerate() {
        chars(&format!("behaviours[{i}]"), behaviour, MAX_BEHAVIOUR)?;
    }
    Ok(())
}

fn too_many(field: &str, max: usize, what: &str) -> ApiError {
    ApiError::bad_request(format!("{field}: more than {max} {what}"))
}

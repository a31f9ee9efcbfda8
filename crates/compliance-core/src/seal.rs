//! Tamper evidence: a canonical JSON form and its SHA-256.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// JSON with object keys sorted at every level and no insignificant whitespace, so that equal
/// values always print to the same bytes (whatever map order serde_json was built with).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a compliance package's `content_sha256` covers: its content and every field that places
/// it in its agent's chain, so that changing any stored version breaks the link to the next.
#[derive(Debug, Clone, Copy)]
pub struct PackageSeal<'a> {
    pub id: uuid::Uuid,
    pub org_id: uuid::Uuid,
    pub agent_id: uuid::Uuid,
    pub version: i32,
    pub generated_by: uuid::Uuid,
    pub generated_at: time::OffsetDateTime,
    /// The previous version's `content_sha256`; empty for version 1.
    pub previous_sha256: &'a str,
    pub content: &'a Value,
}

/// `at` to the microsecond, the precision PostgreSQL stores and compares times at.
pub fn microseconds(at: time::OffsetDateTime) -> time::OffsetDateTime {
    at.replace_nanosecond(at.nanosecond() / 1000 * 1000)
        .unwrap_or(at)
}

impl PackageSeal<'_> {
    /// SHA-256 of the canonical JSON of every sealed field (times in UTC RFC 3339, to the
    /// microsecond as PostgreSQL stores them).
    pub fn sha256(&self) -> String {
        let at = microseconds(self.generated_at.to_offset(time::UtcOffset::UTC))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let sealed = serde_json::json!({
            "id": self.id,
            "org_id": self.org_id,
            "agent_id": self.agent_id,
            "version": self.version,
            "generated_by": self.generated_by,
            "generated_at": at,
            "previous_sha256": self.previous_sha256,
            "content": self.content,
        });
        sha256_hex(canonical_json(&sealed).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_canonical_form() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": "é"}], "a": null}"#).unwrap();
        let b = json!({"a": null, "b": [1, {"x": "é", "y": 2}]});
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }

    #[test]
    fn the_hash_is_sha256_in_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

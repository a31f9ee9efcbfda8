//! RFC 8785, the JSON Canonicalization Scheme: one byte form of a JSON value (keys sorted by
//! UTF-16 code units, numbers as ECMAScript prints them, no insignificant white space), so that a
//! digest names the value, not the way one program spaced it. By serde_jcs, not by hand.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::AttestError;

/// `value`'s RFC 8785 form.
pub fn canonical(value: &impl Serialize) -> Result<Vec<u8>, AttestError> {
    serde_jcs::to_vec(value).map_err(|e| AttestError::Json(e.to_string()))
}

/// Lower-case hex SHA-256 of `bytes`, as in-toto digests are written.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use super::*;

    /// RFC 8785 §3.2.2 and Appendix B: numbers as ECMAScript writes them, keys by UTF-16.
    #[test]
    fn the_rfc_examples_canonicalize_as_published() {
        let numbers: serde_json::Value =
            serde_json::from_str("[1E30, 4.50, 2e-3, 0.000001, 1e-7, -0]").unwrap();
        assert_eq!(
            String::from_utf8(canonical(&numbers).unwrap()).unwrap(),
            "[1e+30,4.5,0.002,0.000001,1e-7,0]"
        );
        // §3.2.3: "\u20ac" (U+20AC) sorts before "\ud83d\ude00" (U+1F600), whose UTF-16 lead
        // surrogate is smaller than U+FB33, though its UTF-8 form is larger.
        let keys: serde_json::Value =
            serde_json::from_str(r#"{"\ufb33": 1, "\ud83d\ude00": 2, "\u20ac": 3, "1": 4}"#)
                .unwrap();
        assert_eq!(
            String::from_utf8(canonical(&keys).unwrap()).unwrap(),
            "{\"1\":4,\"\u{20ac}\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}"
        );
    }
}

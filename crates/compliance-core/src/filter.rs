use std::fmt;
use std::str::FromStr;

use crate::{Attributes, Clauses};

/// Which assets a policy applies to: an AND of ORs of attribute terms. Empty means every asset.
pub type AssetFilter = Clauses<FilterTerm>;

const PREFIX: &str = "attributes.";
/// The value that stands for "any value": `attributes.k=*` means k is present.
const ANY: &str = "*";

/// How a filter term compares. `:` is kept apart from `=` only so that a term prints as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterOp {
    /// `=`: equal (or present, with `*`).
    Equals,
    /// `:`: the same as `=`, as seed 003 writes it.
    Colon,
    /// `!=`: different or absent (absent, with `*`).
    NotEquals,
}

impl FilterOp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "=",
            Self::Colon => ":",
            Self::NotEquals => "!=",
        }
    }
}

/// One term of an asset filter: `attributes.<key><op><value>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterTerm {
    pub key: String,
    pub op: FilterOp,
    pub value: String,
}

/// Why a filter term did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterTermError {
    #[error("{0:?} must start with \"attributes.\"")]
    MissingPrefix(String),
    #[error("{0:?} has no operator: write attributes.<key>=<value>, :<value> or !=<value>")]
    MissingOperator(String),
    #[error("{0:?} names no attribute")]
    EmptyKey(String),
    #[error("attribute name {0:?} has leading or trailing spaces")]
    PaddedKey(String),
    #[error("{0:?} has no value: use * to mean any value")]
    EmptyValue(String),
}

impl FilterTerm {
    /// Whether attributes satisfy this term.
    pub fn matches(&self, attributes: &Attributes) -> bool {
        let actual = attributes.get(&self.key).map(String::as_str);
        let equal = match (actual, self.value.as_str()) {
            (None, _) => false,
            (Some(_), ANY) => true,
            (Some(actual), expected) => actual == expected,
        };
        match self.op {
            FilterOp::Equals | FilterOp::Colon => equal,
            FilterOp::NotEquals => !equal,
        }
    }
}

impl FromStr for FilterTerm {
    type Err = FilterTermError;

    fn from_str(term: &str) -> Result<Self, Self::Err> {
        let rest = term
            .strip_prefix(PREFIX)
            .ok_or_else(|| FilterTermError::MissingPrefix(term.to_owned()))?;
        // The first operator wins: keys hold no '=' or ':', values may hold anything.
        let (at, op) = rest
            .char_indices()
            .find_map(|(i, c)| match c {
                '!' if rest[i..].starts_with("!=") => Some((i, FilterOp::NotEquals)),
                '=' => Some((i, FilterOp::Equals)),
                ':' => Some((i, FilterOp::Colon)),
                _ => None,
            })
            .ok_or_else(|| FilterTermError::MissingOperator(term.to_owned()))?;
        let key = &rest[..at];
        let value = &rest[at + op.as_str().len()..];
        if key.is_empty() {
            return Err(FilterTermError::EmptyKey(term.to_owned()));
        }
        if key.trim() != key {
            return Err(FilterTermError::PaddedKey(key.to_owned()));
        }
        if value.is_empty() {
            return Err(FilterTermError::EmptyValue(term.to_owned()));
        }
        Ok(Self {
            key: key.to_owned(),
            op,
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for FilterTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}{}{}", self.key, self.op.as_str(), self.value)
    }
}

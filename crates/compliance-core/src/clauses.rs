use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An AND of ORs, as both asset filters and richness assertions are written:
/// `[{"or": ["a", "b"]}, {"or": ["c"]}]` holds when (a or b) and c hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clauses<T> {
    groups: Vec<Vec<T>>,
}

/// One `{"or": [...]}` group as it travels on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrGroup {
    pub or: Vec<String>,
}

/// Why a clause list did not parse: which group, which term, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{group}].or{}: {message}", term.map(|t| format!("[{t}]")).unwrap_or_default())]
pub struct ClausesError {
    pub group: usize,
    pub term: Option<usize>,
    pub message: String,
}

impl<T> Clauses<T> {
    /// Builds a clause list from already-parsed terms.
    pub fn new(groups: Vec<Vec<T>>) -> Self {
        Self { groups }
    }

    pub fn groups(&self) -> &[Vec<T>] {
        &self.groups
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The number of terms over all groups.
    pub fn len(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }

    /// The first group none of whose terms satisfies `holds`; `None` when the whole AND holds.
    pub fn first_failing(&self, mut holds: impl FnMut(&T) -> bool) -> Option<&[T]> {
        self.groups
            .iter()
            .find(|group| !group.iter().any(&mut holds))
            .map(Vec::as_slice)
    }

    /// True when every group has a term that satisfies `holds` (an empty list always holds).
    pub fn holds(&self, holds: impl FnMut(&T) -> bool) -> bool {
        self.first_failing(holds).is_none()
    }
}

impl<T> Clauses<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    /// Parses wire groups, naming the group and term of the first error.
    pub fn parse(groups: &[OrGroup]) -> Result<Self, ClausesError> {
        let groups = groups
            .iter()
            .enumerate()
            .map(|(group_index, group)| {
                if group.or.is_empty() {
                    return Err(ClausesError {
                        group: group_index,
                        term: None,
                        message: "an or-list needs at least one term".to_owned(),
                    });
                }
                group
                    .or
                    .iter()
                    .enumerate()
                    .map(|(term_index, term)| {
                        term.parse().map_err(|error: T::Err| ClausesError {
                            group: group_index,
                            term: Some(term_index),
                            message: error.to_string(),
                        })
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { groups })
    }
}

impl<T: fmt::Display> Clauses<T> {
    /// The wire form: one `{"or": [...]}` per group, each term printed.
    pub fn to_wire(&self) -> Vec<OrGroup> {
        self.groups
            .iter()
            .map(|group| OrGroup {
                or: group.iter().map(ToString::to_string).collect(),
            })
            .collect()
    }
}

impl<T> Default for Clauses<T> {
    fn default() -> Self {
        Self { groups: Vec::new() }
    }
}

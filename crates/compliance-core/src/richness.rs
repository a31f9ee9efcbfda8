use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Attributes, Clauses};

/// RICHNESS assertions: an AND of ORs of `<name><op><value>` over the asset's attributes.
pub type RichnessAssertions = Clauses<Assertion>;

/// A relational operator of seed 003: `= != > < >= <=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssertionOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl AssertionOp {
    /// Longest first, so that `<=` is never read as `<` followed by a value `=…`.
    const ALL: [Self; 6] = [Self::Ne, Self::Ge, Self::Le, Self::Eq, Self::Gt, Self::Lt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Gt => ">",
            Self::Lt => "<",
            Self::Ge => ">=",
            Self::Le => "<=",
        }
    }

    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering.is_eq(),
            Self::Ne => ordering.is_ne(),
            Self::Gt => ordering.is_gt(),
            Self::Lt => ordering.is_lt(),
            Self::Ge => ordering.is_ge(),
            Self::Le => ordering.is_le(),
        }
    }

    fn is_ordering(self) -> bool {
        !matches!(self, Self::Eq | Self::Ne)
    }
}

/// One assertion on an asset attribute, such as `rad<7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assertion {
    pub name: String,
    pub op: AssertionOp,
    pub value: String,
}

/// Why an assertion did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("{0:?} has no operator: write <name><op><value> with op one of = != > < >= <=")]
    MissingOperator(String),
    #[error("{0:?} names no attribute")]
    EmptyName(String),
    #[error("attribute name {0:?} has leading or trailing spaces")]
    PaddedName(String),
    #[error("{0:?} has no value to compare with")]
    EmptyValue(String),
}

/// A value as an assertion compares it: a finite number when it parses as one.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

impl Assertion {
    /// `Ok` when the attributes satisfy the assertion, else why not (for the statement's reason).
    pub fn check(&self, attributes: &Attributes) -> Result<(), String> {
        let name = &self.name;
        let Some(actual) = attributes.get(name) else {
            return Err(format!("{name} is not set"));
        };
        let ordering = match (number(actual), number(&self.value)) {
            // Exact float comparison, as seed 003 asks: compliance is a signal.
            (Some(actual), Some(expected)) => actual.partial_cmp(&expected),
            _ if self.op.is_ordering() => {
                let culprit = if number(actual).is_none() {
                    actual
                } else {
                    &self.value
                };
                return Err(format!(
                    "{name} is {actual:?}; {culprit:?} is not a number, so {} cannot compare it",
                    self.op.as_str()
                ));
            }
            _ => Some(actual.as_str().cmp(self.value.as_str())),
        };
        match ordering {
            Some(ordering) if self.op.accepts(ordering) => Ok(()),
            _ => Err(format!("{name} is {actual:?}")),
        }
    }
}

impl FromStr for Assertion {
    type Err = AssertionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let at = text
            .find(['=', '!', '<', '>'])
            .ok_or_else(|| AssertionError::MissingOperator(text.to_owned()))?;
        let op = AssertionOp::ALL
            .into_iter()
            .find(|op| text[at..].starts_with(op.as_str()))
            .ok_or_else(|| AssertionError::MissingOperator(text.to_owned()))?;
        let name = &text[..at];
        let value = &text[at + op.as_str().len()..];
        if name.is_empty() {
            return Err(AssertionError::EmptyName(text.to_owned()));
        }
        if name.trim() != name {
            return Err(AssertionError::PaddedName(name.to_owned()));
        }
        if value.is_empty() {
            return Err(AssertionError::EmptyValue(text.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), self.value)
    }
}

//! The pages: the org's agents (and its branding), an agent, a package, the changes between two packages, and the
//! package's downloads. Each reads what the API's handler of the same resource reads, and words
//! the evidence as the PDF does (`compliance_pdf::wording`).

mod agents;
mod branding;
mod diff;
mod downloads;
mod package;

pub use agents::{agent, agents, generate};
pub use branding::{branding_logo, branding_style};
pub use diff::diff;
pub use downloads::{download_attestation, download_json, download_oscal, download_pdf};
pub use package::package;

use serde::Deserialize;

use super::UiError;
use crate::ApiError;

/// Rows a list page shows.
const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offset {
    offset: Option<i64>,
}

impl Offset {
    pub(super) fn get(&self) -> Result<i64, UiError> {
        match self.offset {
            None => Ok(0),
            Some(offset) if (0..=i64::from(i32::MAX)).contains(&offset) => Ok(offset),
            Some(_) => Err(UiError::Page(ApiError::bad_request(
                "offset: must be a whole number from 0",
            ))),
        }
    }
}

/// Links to the page before and after this one.
#[derive(Debug)]
pub(super) struct Pager {
    previous: Option<String>,
    next: Option<String>,
    shown: String,
}

impl Pager {
    pub(super) fn new(base: &str, offset: i64, shown: usize, total: i64) -> Self {
        let shown = i64::try_from(shown).unwrap_or(i64::MAX);
        let link = |offset: i64| format!("{base}?offset={offset}");
        Self {
            previous: (offset > 0).then(|| link((offset - PAGE).max(0))),
            next: (offset + shown < total).then(|| link(offset + shown)),
            shown: if shown == 0 {
                "none".to_owned()
            } else {
                format!("{} to {} of {total}", offset + 1, offset + shown)
            },
        }
    }
}

/// A flat table's rows: (name, value).
pub(super) type Rows = Vec<(String, String)>;

pub(super) fn rows<const N: usize>(rows: [(&str, String); N]) -> Rows {
    rows.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// An enum as its JSON spells it.
pub(super) fn spelled(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pager_links_only_to_pages_that_exist() {
        let first = Pager::new("/ui", 0, 50, 120);
        assert_eq!(
            (first.previous, first.next.as_deref()),
            (None, Some("/ui?offset=50"))
        );
        let last = Pager::new("/ui", 100, 20, 120);
        assert_eq!(
            (last.previous.as_deref(), last.next),
            (Some("/ui?offset=50"), None)
        );
        assert_eq!(last.shown, "101 to 120 of 120");
    }
}

//! Opaque page tokens that carry a listing's filters, position and page size, so that a client
//! may send only `page_token` for later pages (the SDK does).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ApiError;

pub const DEFAULT_PAGE_SIZE: i64 = 100;
pub const MAX_PAGE_SIZE: i64 = 1000;

pub fn encode<T: Serialize>(token: &T) -> String {
    // Serializing plain data structs cannot fail; an empty token would end the listing.
    serde_json::to_vec(token).map_or_else(|_| String::new(), |json| URL_SAFE_NO_PAD.encode(json))
}

pub fn decode<T: DeserializeOwned>(token: &str) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or_else(|| ApiError::bad_request("page_token: not a token this server issued"))
}

/// `page_size` from the query: 1 to 1000, 100 when absent.
pub fn page_size(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|text| {
        text.parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "page_size: {text:?} is not a number from 1 to {MAX_PAGE_SIZE}"
                ))
            })
    })
    .transpose()
}

/// What every page token records: how many per page and where the last page ended.
pub trait PageState {
    fn page_size(&self) -> i64;
    /// The sequence number or offset after which the next page starts.
    fn position(&self) -> i64;
}

/// The page to serve: the token's when one is given (it carries the filters of the first
/// request), else `fresh`; an explicit `page_size` overrides either. A token is checked like a
/// fresh request, so a forged one is a 400, never an overflow.
pub fn resume<P: DeserializeOwned + PageState>(
    fresh: P,
    token: Option<String>,
    size: Option<i64>,
    set_size: impl FnOnce(&mut P, i64),
) -> Result<P, ApiError> {
    let mut page = match token.filter(|t| !t.is_empty()) {
        Some(token) => decode(&token)?,
        None => fresh,
    };
    if let Some(size) = size {
        set_size(&mut page, size);
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page.page_size()) || page.position() < 0 {
        return Err(ApiError::bad_request(
            "page_token: not a token this server issued",
        ));
    }
    Ok(page)
}

/// The first `page_size` of `found` (fetched with one extra row) and whether more remain.
pub fn take<T>(mut found: Vec<T>, page_size: i64) -> (Vec<T>, bool) {
    let keep = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = found.len() > keep;
    found.truncate(keep);
    (found, more)
}

//! Paging, the same limits in both APIs: `/v1`'s `limit`/`offset` ([`Window`]) and the
//! archivist's opaque page tokens that carry a listing's filters, position and page size, so that
//! a client may send only `page_token` for later pages (the SDK does).
//!
//! A token is XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, over RFC 8439's ChaCha20-Poly1305)
//! of the page's JSON under a key every server shares, with a random 24-byte nonce and the org
//! and listing as associated data: clients learn nothing from it (positions are global sequence
//! numbers), cannot forge or alter one, and one org's token is refused for another.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::ApiError;
use crate::request::{query_pairs, unknown_parameter};

/// Items in a page when the request does not say, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
pub const MAX_PAGE_SIZE: i64 = 1000;
/// The archivist's request header that asks for a total count, and the one that carries it.
const REQUEST_TOTAL_COUNT: &str = "x-request-total-count";
const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// The largest `offset`: the largest integer every JSON client reads exactly (2^53 - 1).
pub const MAX_OFFSET: i64 = (1 << 53) - 1;

/// `/v1`'s page: `limit` items (1 to 1000, 100 when absent) after `offset` (0 to
/// [`MAX_OFFSET`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
}

impl Window {
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit: a number from 1 to {MAX_PAGE_SIZE}"
            )));
        }
        let offset = offset.unwrap_or(0);
        if !(0..=MAX_OFFSET).contains(&offset) {
            return Err(ApiError::bad_request(format!(
                "offset: a number from 0 to {MAX_OFFSET}"
            )));
        }
        Ok(Self { limit, offset })
    }
}

/// Whether an archivist request asked for `X-Total-Count`.
pub fn wants_total(req: &HttpRequest) -> bool {
    req.headers()
        .get(REQUEST_TOTAL_COUNT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// An archivist listing: 200, with `X-Total-Count` when a total is given.
pub fn listing(body: &impl Serialize, total: Option<i64>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(total) = total {
        response.insert_header((TOTAL_COUNT, total.to_string()));
    }
    response.json(body)
}
/// The name of the page-token key in `server_secrets` (`Store::server_secret`).
pub const PAGE_TOKEN_SECRET: &str = "page-tokens";
/// Bytes of the random nonce that leads every token.
const NONCE_BYTES: usize = 24;
const NOT_OURS: &str = "page_token: not a token this server issued";

/// What every page token records: how many per page and where the last page ended.
pub trait PageState: Serialize + DeserializeOwned {
    /// Names the listing, so that one listing's token is refused by another.
    const LISTING: &'static str;
    fn page_size(&self) -> i64;
    fn set_page_size(&mut self, size: i64);
    /// The sequence number or offset after which the next page starts.
    fn position(&self) -> i64;
}

/// Implements [`PageState`] for a listing's page type: its listing's name, and the fields holding
/// its page size and its position.
macro_rules! page_state {
    ($page:ty, $listing:literal, $position:ident) => {
        impl $crate::paging::PageState for $page {
            const LISTING: &'static str = $listing;

            fn page_size(&self) -> i64 {
                self.page_size
            }

            fn set_page_size(&mut self, size: i64) {
                self.page_size = size;
            }

            fn position(&self) -> i64 {
                self.$position
            }
        }
    };
}
pub(crate) use page_state;

/// The total a listing was asked for (`X-Request-Total-Count`), counted only then.
pub async fn total_if(
    wanted: bool,
    count: impl Future<Output = compliance_store::StoreResult<i64>>,
) -> compliance_store::StoreResult<Option<i64>> {
    if wanted {
        count.await.map(Some)
    } else {
        Ok(None)
    }
}

/// Seals and opens page tokens under the key every server sharing the database holds.
pub struct PageTokens {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str("PageTokens")
    }
}

impl PageTokens {
    /// Tokens under `key`: `Store::server_secret(PAGE_TOKEN_SECRET)`, the same on every server.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// The token for `page` of `org`'s listing: nonce, then ciphertext and tag, in base64url.
    pub fn seal<P: PageState>(&self, org: Uuid, page: &P) -> Result<String, ApiError> {
        let json = serde_json::to_vec(page)
            .map_err(|e| ApiError::unavailable(format!("page_token: {e}")))?;
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)
            .map_err(|e| ApiError::unavailable(format!("no randomness for a page token: {e}")))?;
        let aad = associated_data::<P>(org);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &json,
                    aad: &aad,
                },
            )
            .map_err(|_| ApiError::unavailable("page_token: cannot seal"))?;
        Ok(URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat()))
    }

    /// The page in `token`, if this server (or another sharing its key) sealed it for `org`.
    pub fn open<P: PageState>(&self, org: Uuid, token: &str) -> Result<P, ApiError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| ApiError::bad_request(NOT_OURS))?;
        let (nonce, sealed) = bytes
            .split_at_checked(NONCE_BYTES)
            .ok_or_else(|| ApiError::bad_request(NOT_OURS))?;
        let nonce = XNonce::try_from(nonce).map_err(|_| ApiError::bad_request(NOT_OURS))?;
        let aad = associated_data::<P>(org);
        let json = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| ApiError::bad_request(NOT_OURS))?;
        serde_json::from_slice(&json).map_err(|_| ApiError::bad_request(NOT_OURS))
    }

    /// The page to serve: the token's when one is given (it carries the filters of the first
    /// request), else `fresh`; an explicit `page_size` overrides either. A token is checked like
    /// a fresh request, so that even a sealed page out of bounds is a 400, never an overflow.
    pub fn resume<P: PageState>(
        &self,
        org: Uuid,
        fresh: P,
        token: Option<String>,
        size: Option<i64>,
    ) -> Result<P, ApiError> {
        let mut page = match token.filter(|t| !t.is_empty()) {
            Some(token) => self.open(org, &token)?,
            None => fresh,
        };
        if let Some(size) = size {
            page.set_page_size(size);
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page.page_size()) || page.position() < 0 {
            return Err(ApiError::bad_request(NOT_OURS));
        }
        Ok(page)
    }
}

impl PageTokens {
    /// The page an archivist listing asks for: `page_size` and `page_token` from the query, and
    /// every other parameter offered to `filter`, which sets it on the fresh page and answers
    /// whether it is one of the listing's (another is a 400).
    pub fn requested<P: PageState>(
        &self,
        org: Uuid,
        req: &HttpRequest,
        mut fresh: P,
        mut filter: impl FnMut(&mut P, &str, String) -> bool,
    ) -> Result<P, ApiError> {
        let (mut token, mut size) = (None, None);
        for (name, value) in query_pairs(req)? {
            if name == "page_size" {
                size = page_size(Some(&value))?;
            } else if name == "page_token" {
                token = Some(value);
            } else if !filter(&mut fresh, &name, value) {
                return Err(unknown_parameter(&name));
            }
        }
        self.resume(org, fresh, token, size)
    }

    /// The page to answer of `found` (fetched with one row more than `page_size`), and the token
    /// of the next page (`next` of the last row kept), or `""` when this page is the last.
    pub fn next<P: PageState, T>(
        &self,
        org: Uuid,
        mut found: Vec<T>,
        page_size: i64,
        next: impl FnOnce(&T) -> P,
    ) -> Result<(Vec<T>, String), ApiError> {
        let keep = usize::try_from(page_size).unwrap_or(usize::MAX);
        let more = found.len() > keep;
        found.truncate(keep);
        let token = match (more, found.last()) {
            (true, Some(last)) => self.seal(org, &next(last))?,
            _ => String::new(),
        };
        Ok((found, token))
    }
}

/// The org's id, then the listing's name: what a token is bound to.
fn associated_data<P: PageState>(org: Uuid) -> Vec<u8> {
    [org.as_bytes().as_slice(), P::LISTING.as_bytes()].concat()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Page {
        after_seq: i64,
        page_size: i64,
    }

    page_state!(Page, "test", after_seq);

    #[derive(Debug, Serialize, Deserialize)]
    struct Other {
        after_seq: i64,
        page_size: i64,
    }

    page_state!(Other, "other", after_seq);

    const ORG: Uuid = Uuid::from_u128(1);

    #[test]
    fn a_token_opens_for_its_org_and_listing_only() {
        let tokens = PageTokens::new([7; 32]);
        let page = Page {
            after_seq: 41,
            page_size: 10,
        };
        let token = tokens.seal(ORG, &page).unwrap();
        assert_eq!(tokens.open::<Page>(ORG, &token).unwrap(), page);
        assert!(tokens.open::<Page>(Uuid::from_u128(2), &token).is_err());
        assert!(tokens.open::<Other>(ORG, &token).is_err());
        assert!(PageTokens::new([8; 32]).open::<Page>(ORG, &token).is_err());
        // A fresh nonce every time: the same page never reads the same twice.
        assert_ne!(tokens.seal(ORG, &page).unwrap(), token);
    }

    #[test]
    fn a_sealed_page_out_of_bounds_is_refused_not_served() {
        let tokens = PageTokens::new([7; 32]);
        for (after_seq, page_size) in [(0, i64::MAX), (-5, 10), (0, 0)] {
            let token = tokens
                .seal(
                    ORG,
                    &Page {
                        after_seq,
                        page_size,
                    },
                )
                .unwrap();
            let fresh = Page {
                after_seq: 0,
                page_size: 1,
            };
            let resumed = tokens.resume(ORG, fresh, Some(token), None);
            assert!(resumed.is_err(), "{after_seq} {page_size}");
        }
    }
}

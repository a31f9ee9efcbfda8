//! The HTTP layer: thin actix-web handlers, each of one shape: parse the request, run one
//! closure in a tenant transaction (`Tenant<P>`, which proves the permission `P`), answer one
//! view. The archivist API is in [`archivist`], seed 000's in [`v1`], every route in [`routes`].
//!
//! Wire it with [`configure`] and wrap the app in [`error_shape`] so that every failure,
//! actix's own included, leaves as the one documented JSON error, then in
//! [`refuse_nul_in_query`] and [`catch_panics`] (outermost).

pub mod archivist;
pub mod auth;
mod error;
pub mod idempotent;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod paging;
pub mod permission;
pub mod request;
mod routes;
pub mod safety;
mod tenant;
pub mod ui;
pub mod v1;

use actix_web::web;
use compliance_store::Store;

pub use auth::{TokenCache, follow_revocations};
pub use error::{ApiError, ApiResult, ErrorBody, OrNotFound, error_response};
pub use permission::{Action, allowed};
pub use routes::{configure, error_shape};
pub use safety::{catch_panics, refuse_nul_in_query};
pub use tenant::Tenant;

/// Largest request body accepted: 1 MiB (larger is 413).
pub const MAX_BODY: usize = 1 << 20;
/// Largest audit batch body: 10,000 entries need more than 1 MiB.
pub const MAX_BATCH_BODY: usize = 16 << 20;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    /// Authenticated tokens, trusted only while [`follow_revocations`] hears every revocation.
    pub tokens: TokenCache,
    /// Seals and opens page tokens under the key every server shares.
    pub page_tokens: paging::PageTokens,
    /// PDF renders allowed at once: one fewer than the cores (at least one), so renders leave a
    /// core to every other request.
    pub renders: tokio::sync::Semaphore,
    /// Seals and opens the orgs' signing keys, under the key kept outside the database.
    pub key_seal: compliance_store::signing::KeySeal,
    /// What `GET /metrics` reports.
    pub metrics: metrics::Metrics,
    /// Makes the pages' CSRF tokens from their sessions (derived from the key every server
    /// shares, so any server accepts a form another served).
    pub csrf: ui::CsrfKey,
}

impl AppState {
    /// `page_key` is `store.server_secret(paging::PAGE_TOKEN_SECRET)`, fetched once at start;
    /// `key_sealing_key` seals the orgs' signing keys, and is never stored in the database.
    pub fn new(store: Store, page_key: [u8; 32], key_sealing_key: [u8; 32]) -> web::Data<Self> {
        Self::with_tokens(store, page_key, key_sealing_key, TokenCache::default())
    }

    /// As [`AppState::new`], with a token cache of the caller's (tests choose its lifetime).
    pub fn with_tokens(
        store: Store,
        page_key: [u8; 32],
        key_sealing_key: [u8; 32],
        tokens: TokenCache,
    ) -> web::Data<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        web::Data::new(Self {
            store,
            tokens,
            page_tokens: paging::PageTokens::new(page_key),
            csrf: ui::CsrfKey::derive(&page_key),
            renders: tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)),
            key_seal: compliance_store::signing::KeySeal::new(&key_sealing_key),
            metrics: metrics::Metrics::new(),
        })
    }
}

//! Who is calling and what they may do: a bearer token names an org and a role.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, web};
use compliance_store::Principal;
use compliance_store::revocations::{self, Heard};
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// How long an authenticated token is trusted without asking the database again. A revocation
/// through `Store::revoke_token` evicts it at once; this bounds one made by hand in SQL.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);
/// Past this many cached tokens the cache starts afresh, bounding its memory.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// The secret of `Authorization: Bearer <secret>`. Parsed here rather than by
/// actix-web-httpauth, whose `Bearer` matches the scheme case-sensitively where RFC 9110 §11.1
/// makes it case-insensitive (clients send `bearer` too).
pub fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer <token>"))?
        .to_str()
        .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim().to_owned())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be Bearer <token>"))
}

/// The principal `secret` names: from the cache while it is trusted, else from the database.
pub async fn authenticate(state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    if let Some(principal) = state.tokens.get(secret) {
        return Ok(principal);
    }
    let ticket = state.tokens.ticket();
    match state.store.authenticate(secret).await? {
        Some(principal) => {
            state.tokens.put(secret, principal, ticket);
            Ok(principal)
        }
        None => Err(ApiError::unauthenticated("unknown or revoked token")),
    }
}

/// Recently authenticated tokens, by the SHA-256 of their secret (never the secret itself),
/// trusted only while the revocation listener is sure to hear every revocation. A map under one
/// lock rather than a cache crate: entries, the listening state and what was heard change together.
#[derive(Debug)]
pub struct TokenCache {
    ttl: Duration,
    state: RwLock<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    entries: HashMap<[u8; 32], (Principal, Instant)>,
    /// Whether every revocation committed from now on will be heard.
    listening: bool,
    /// Counts what was heard: a lookup that began before the latest is not cached.
    heard: u64,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_ttl(TOKEN_CACHE_TTL)
    }
}

impl TokenCache {
    /// A cache whose entries last `ttl` at most; it caches nothing until its listener listens.
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            state: RwLock::default(),
        }
    }

    /// Whether the listener hears every revocation, so that tokens may be cached.
    pub fn is_listening(&self) -> bool {
        self.read().listening
    }

    /// Forgets what `heard` makes untrustworthy: one token, or all of them when the listener
    /// may have missed some; caches again only from `Listening` on.
    pub fn hear(&self, heard: Heard) {
        let mut state = self.write();
        state.heard = state.heard.wrapping_add(1);
        match heard {
            Heard::Revoked(Some(token)) => state.entries.retain(|_, (p, _)| p.token != token),
            Heard::Revoked(None) => state.entries.clear(),
            Heard::Listening | Heard::Lost => {
                state.entries.clear();
                state.listening = heard == Heard::Listening;
            }
        }
        drop(state);
        match heard {
            Heard::Revoked(Some(token)) => tracing::info!(%token, "revoked token evicted"),
            Heard::Revoked(None) => tracing::warn!("a revocation named no token: cache cleared"),
            Heard::Listening | Heard::Lost => {}
        }
    }

    fn key(secret: &str) -> [u8; 32] {
        Sha256::digest(secret.as_bytes()).into()
    }

    fn get(&self, secret: &str) -> Option<Principal> {
        let state = self.read();
        let (principal, at) = state.entries.get(&Self::key(secret))?;
        (at.elapsed() < self.ttl).then_some(*principal)
    }

    /// Taken before asking the database: `None` while the listener is not listening.
    fn ticket(&self) -> Option<u64> {
        let state = self.read();
        state.listening.then_some(state.heard)
    }

    /// Caches what the database answered, unless anything was heard since `ticket` (the answer
    /// may predate a revocation whose notification has already come and gone).
    fn put(&self, secret: &str, principal: Principal, ticket: Option<u64>) {
        let mut state = self.write();
        if !state.listening || ticket != Some(state.heard) {
            return;
        }
        if state.entries.len() >= TOKEN_CACHE_CAPACITY {
            state.entries.clear();
        }
        state
            .entries
            .insert(Self::key(secret), (principal, Instant::now()));
    }

    // A panic cannot happen while the lock is held (map operations only), so a poisoned lock
    // still guards consistent entries.
    fn read(&self) -> RwLockReadGuard<'_, Cached> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Cached> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps `state.tokens` true to every revocation for as long as it runs (spawn it beside the
/// server). `owner_url` is the schema owner's database URL, the one the store was opened with.
pub async fn follow_revocations(state: web::Data<AppState>, owner_url: String) {
    let Err(error) = revocations::follow(&owner_url, |heard| state.tokens.hear(heard)).await;
    // The cache stays off: every request is authenticated against the database.
    tracing::error!(%error, "not listening for token revocations: tokens are not cached");
}

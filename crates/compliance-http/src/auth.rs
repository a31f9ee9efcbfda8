//! Who is calling and what they may do: a bearer token names an org and a role.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use compliance_store::{Principal, Role};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{ApiError, AppState};

/// How long an authenticated token is trusted without asking the database again: a revoked
/// token stops working within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);
/// Past this many cached tokens the cache starts afresh, bounding its memory.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// What a request wants to do; [`allowed`] is the permission matrix of `docs/api.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Any read, and compliance checks.
    Read,
    /// Create or delete compliance policies; create policy rules.
    AdministerPolicies,
    /// Create assets, events, agents, connectors and audit entries.
    Record,
    /// Generate compliance packages.
    GeneratePackages,
}

/// The permission matrix.
pub fn allowed(role: Role, action: Action) -> bool {
    match action {
        Action::Read => true,
        Action::AdministerPolicies => role == Role::Admin,
        Action::Record => matches!(role, Role::Admin | Role::Deployer),
        Action::GeneratePackages => matches!(role, Role::Admin | Role::Auditor),
    }
}

/// The authenticated caller, extracted from `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn org(&self) -> Uuid {
        self.0.org
    }

    /// 403 unless the caller's role may do `action`.
    pub fn may(&self, action: Action) -> Result<(), ApiError> {
        if allowed(self.0.role, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                self.0.role
            )))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::unavailable("the server is not configured"))?;
            let secret = match header {
                None => {
                    return Err(ApiError::unauthenticated(
                        "missing Authorization: Bearer <token>",
                    ));
                }
                Some(Err(_)) => {
                    return Err(ApiError::unauthenticated("malformed Authorization header"));
                }
                Some(Ok(value)) => value,
            };
            let secret = secret
                .strip_prefix("Bearer ")
                .or_else(|| secret.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::unauthenticated("the Authorization header must be Bearer <token>")
                })?;
            if let Some(principal) = state.tokens.get(secret) {
                return Ok(Self(principal));
            }
            match state.store.authenticate(secret).await? {
                Some(principal) => {
                    state.tokens.put(secret, principal);
                    Ok(Self(principal))
                }
                None => Err(ApiError::unauthenticated("unknown or revoked token")),
            }
        })
    }
}

/// Recently authenticated tokens, by the SHA-256 of their secret (never the secret itself).
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl TokenCache {
    fn key(secret: &str) -> [u8; 32] {
        Sha256::digest(secret.as_bytes()).into()
    }

    fn get(&self, secret: &str) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let (principal, at) = entries.get(&Self::key(secret))?;
        (at.elapsed() < TOKEN_CACHE_TTL).then_some(*principal)
    }

    fn put(&self, secret: &str, principal: Principal) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= TOKEN_CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(Self::key(secret), (principal, Instant::now()));
        }
    }
}

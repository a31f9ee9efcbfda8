//! Signing in to the pages: the API token is kept in an `HttpOnly`, `SameSite=Strict` cookie.
//! Every form a signed-in page shows carries a CSRF token that is an HMAC of that session's
//! token under a key only the servers hold, so a form made elsewhere cannot carry it (even from
//! a sibling subdomain that can set cookies). The sign-in form, before any session exists,
//! carries a random token that must match a cookie (double submit).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use askama::Template;
use serde::Deserialize;

use super::error::UiError;
use super::{Chrome, html};
use crate::permission::Permission;
use crate::{ApiError, AppState, Tenant, auth, idempotent};

pub const SESSION_COOKIE: &str = "compliance_session";
pub const CSRF_COOKIE: &str = "compliance_csrf";

/// A signed-in page's caller, holding permission `P`, and the CSRF token its forms carry.
pub struct Session<P> {
    pub tenant: Tenant<P>,
    pub chrome: Chrome,
    permission: PhantomData<P>,
}

impl<P> std::fmt::Debug for Session<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl<P: Permission> FromRequest for Session<P> {
    type Error = UiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, UiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let write = idempotent::Request::of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                UiError::Page(ApiError::unavailable("the server is not configured"))
            })?;
            let Some(secret) = secret.filter(|s| !s.is_empty()) else {
                return Err(UiError::SignIn);
            };
            let csrf = state.csrf.token(&secret);
            let tenant = Tenant::<P>::authorize(state, &secret, write).await?;
            let branding = tenant
                .transact(async |conn| Ok(compliance_store::branding::get(conn).await?))
                .await?;
            let chrome = Chrome {
                signed_in: Some(format!("signed in as {}", tenant.role())),
                csrf,
                org: branding.display_name,
                logo: branding.logo_media_type.is_some(),
                accent: branding.accent_colour,
            };
            Ok(Self {
                tenant,
                chrome,
                permission: PhantomData,
            })
        })
    }
}

impl<P> Session<P> {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check(&self, form: &Csrf) -> Result<(), UiError> {
        check(&form.csrf, &self.chrome.csrf)
    }
}

fn check(given: &str, expected: &str) -> Result<(), UiError> {
    if same(given, expected) {
        Ok(())
    } else {
        Err(UiError::Page(ApiError::forbidden(
            "this form did not come from this site's page; reload it and try again",
        )))
    }
}

/// The key a session's CSRF token is the HMAC-SHA-256 under.
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str("CsrfKey")
    }
}

impl CsrfKey {
    /// A key of its own from the servers' shared key: HMAC(shared, label), so the CSRF tokens
    /// and what else that key protects never share a key.
    pub fn derive(shared: &[u8; 32]) -> Self {
        Self(hmac(shared, b"compliance ui csrf key v1"))
    }

    /// The CSRF token of the session whose token is `session`, hex.
    pub fn token(&self, session: &str) -> String {
        hex::encode(hmac(&self.0, session.as_bytes()))
    }
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|error| unreachable!("HMAC takes any key length: {error}"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The CSRF field every state-changing form carries.
#[derive(Debug, Deserialize)]
pub struct Csrf {
    pub csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    pub csrf: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginPage<'a> {
    chrome: Chrome,
    problem: Option<&'a str>,
}

/// GET /ui/login: the sign-in form, with a CSRF cookie when the browser has none yet.
pub async fn login_form(req: HttpRequest) -> Result<HttpResponse, UiError> {
    let csrf = match req.cookie(CSRF_COOKIE).filter(|c| c.value().len() == 64) {
        Some(kept) => kept.value().to_owned(),
        None => fresh_token()?,
    };
    let mut response = login_page(&csrf, None, actix_web::http::StatusCode::OK);
    let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf));
    Ok(response)
}

fn login_page(
    csrf: &str,
    problem: Option<&str>,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let page = LoginPage {
        chrome: Chrome {
            csrf: csrf.to_owned(),
            ..Chrome::default()
        },
        problem,
    };
    html(status, page.render())
}

/// POST /ui/login: keeps a token that authenticates, and goes to the agents.
pub async fn login(req: HttpRequest, form: web::Form<SignIn>) -> Result<HttpResponse, UiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| UiError::Page(ApiError::unavailable("the server is not configured")))?;
    let csrf = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
    if !csrf.as_deref().is_some_and(|csrf| same(csrf, &form.csrf)) {
        // A fresh cookie with the form, so that signing in again works.
        let csrf = fresh_token()?;
        let mut response = login_page(
            &csrf,
            Some("The sign-in form expired; please sign in again."),
            actix_web::http::StatusCode::FORBIDDEN,
        );
        let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf));
        return Ok(response);
    }
    let token = form.token.trim();
    // Only a token that authenticates now is kept (the pages check it again on every request).
    if let Err(error) = auth::authenticate(&state, token).await {
        let problem = if error.status == actix_web::http::StatusCode::UNAUTHORIZED {
            "That token is not valid: it is unknown, revoked or mistyped."
        } else {
            "The server could not check the token; try again shortly."
        };
        return Ok(login_page(&form.csrf, Some(problem), error.status));
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/ui"))
        .finish();
    let _ = response.add_cookie(&cookie(&req, SESSION_COOKIE, token.to_owned()));
    // The session's forms carry its own token from now on; the sign-in one is done with.
    let _ = response.add_cookie(&removal(CSRF_COOKIE));
    Ok(response)
}

/// POST /ui/logout: forgets the token. The form's CSRF token must be the session's; the token
/// itself need not authenticate any more (a revoked one's cookie is removed all the same).
pub async fn logout(req: HttpRequest, form: web::Form<Csrf>) -> Result<HttpResponse, UiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| UiError::Page(ApiError::unavailable("the server is not configured")))?;
    if let Some(session) = req.cookie(SESSION_COOKIE) {
        check(&form.csrf, &state.csrf.token(session.value()))?;
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/ui/login"))
        .finish();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        let _ = response.add_cookie(&removal(name));
    }
    Ok(response)
}

/// A cookie that removes `name` under `/ui`.
fn removal(name: &'static str) -> Cookie<'static> {
    let mut gone = Cookie::build(name, "").path("/ui").finish();
    gone.make_removal();
    gone
}

/// A cookie only this server's pages send back: `HttpOnly`, `SameSite=Strict`, under `/ui`,
/// and `Secure` when the page came over HTTPS.
fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    let secure = req.connection_info().scheme() == "https";
    Cookie::build(name, value)
        .path("/ui")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// 32 random bytes from the operating system, hex; without them no form can be protected.
fn fresh_token() -> Result<String, UiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(%error, "no randomness for a CSRF token");
        UiError::Page(ApiError::unavailable(
            "the server cannot sign anyone in now",
        ))
    })?;
    Ok(hex::encode(bytes))
}

/// Compares two tokens in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

//! A page's failure: an HTML page with the status the API would answer, or the way to sign in.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::Chrome;
use crate::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// No session, or its token no longer authenticates: to the sign-in page.
    #[error("sign in")]
    SignIn,
    #[error("{0}")]
    Page(ApiError),
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        if error.status == StatusCode::UNAUTHORIZED {
            Self::SignIn
        } else {
            Self::Page(error)
        }
    }
}

impl From<compliance_store::StoreError> for UiError {
    fn from(error: compliance_store::StoreError) -> Self {
        Self::from(ApiError::from(error))
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: String,
    message: &'a str,
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::Page(error) => error.status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/ui/login"))
                .finish(),
            Self::Page(error) => {
                // An error page offers no form, so it needs neither the session nor its token.
                let page = ErrorPage {
                    chrome: Chrome::default(),
                    status: error.status.to_string(),
                    message: &error.message,
                };
                super::html(error.status, page.render())
            }
        }
    }
}

/// The headers every page carries: nothing but this server's own resources may load or frame it.
pub(super) fn harden(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

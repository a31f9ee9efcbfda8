//! The one error shape: every failure leaves as `{"code": <gRPC code>, "message": "…"}`, in the
//! archivist style, with the HTTP status that fits.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use compliance_store::StoreError;
use serde::Serialize;

/// Seconds a client should wait before retrying while the database is unreachable.
const RETRY_AFTER_SECONDS: &str = "2";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// The gRPC status code the archivist API uses for this kind of failure (3 invalid
    /// argument, 5 not found, 7 permission denied, 16 unauthenticated, 14 unavailable, …).
    pub code: u16,
    /// What went wrong, naming the field at fault.
    pub message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400, naming the bad field in the message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 for a missing resource and for another org's alike.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 422: a well-formed request the server's rules or state refuse (a cap reached, an action
    /// type only the server writes), naming the field.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The gRPC code of a status, as the archivist API reports it.
    pub fn code(status: StatusCode) -> u16 {
        match status.as_u16() {
            400 | 415 | 422 => 3, // INVALID_ARGUMENT
            401 => 16,            // UNAUTHENTICATED
            403 => 7,             // PERMISSION_DENIED
            404 => 5,             // NOT_FOUND
            405 | 501 => 12,      // UNIMPLEMENTED
            409 => 6,             // ALREADY_EXISTS
            413 | 429 => 8,       // RESOURCE_EXHAUSTED
            503 | 504 => 14,      // UNAVAILABLE
            _ => 13,              // INTERNAL
        }
    }
}

/// The JSON error response for `status` and `message`.
pub fn error_response(status: StatusCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        ));
    }
    response.json(ErrorBody {
        code: ApiError::code(status),
        message,
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        error_response(self.status, &self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict(message) => Self::new(StatusCode::CONFLICT, message),
            StoreError::Invalid(message) => Self::bad_request(message),
            StoreError::Unavailable(message) => {
                tracing::warn!(%message, "database unavailable");
                Self::unavailable("the database is unavailable; retry shortly")
            }
            other => {
                // A bug, not bad input: log it whole, tell the client little.
                tracing::error!(error = %other, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Names what a store call did not find: `agents::get(conn, id).await.or_404("agent")?` is a
/// 404 "agent not found" (for another org's agent alike).
pub trait OrNotFound<T> {
    fn or_404(self, what: &'static str) -> ApiResult<T>;
}

impl<T> OrNotFound<T> for Result<T, StoreError> {
    fn or_404(self, what: &'static str) -> ApiResult<T> {
        self.map_err(|error| match error {
            StoreError::NotFound => ApiError::not_found(what),
            other => other.into(),
        })
    }
}

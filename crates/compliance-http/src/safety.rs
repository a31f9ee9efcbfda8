//! The last lines of defence every request passes, whatever its handler: a query string
//! PostgreSQL cannot take is refused before any handler reads it, and a panic leaves as the one
//! JSON error rather than a reset connection.

use std::panic::AssertUnwindSafe;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error_response;
use crate::request::query_pairs;

/// The response header naming a failed request, as the log does.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Refuses a query string holding a NUL character (PostgreSQL text cannot), naming the parameter.
pub async fn refuse_nul_in_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Only a decoded query can hold NUL; most requests have none to decode.
    let encoded = req.query_string();
    if encoded.contains("%00") || encoded.contains('\0') {
        let bad = query_pairs(req.request())
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(name, value)| name.contains('\0') || value.contains('\0'))
                    .map(|(name, _)| name.replace('\0', "\\u0000"))
            })
            .unwrap_or_else(|| "query string".to_owned());
        let message = format!("{bad}: strings may not contain the NUL character");
        let response = error_response(StatusCode::BAD_REQUEST, &message);
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Turns a panic in a handler into a 500 in the error shape with a request id, logged with the
/// panic's message. The handler's tenant transaction is dropped as the panic unwinds: it is
/// rolled back, and the pool discards its connection.
pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The request itself cannot be kept for the answer (handlers need it unshared), so the
    // answer leaves as an error, which actix renders through `ResponseError`.
    let path = req.path().to_owned();
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let id = Uuid::new_v4();
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id = %id, panic = %what, %path, "handler panicked");
            Err(Panicked(id).into())
        }
    }
}

/// A request whose handler panicked, named by the id the log gives it.
#[derive(Debug, thiserror::Error)]
#[error("internal error (request id {0})")]
struct Panicked(Uuid);

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error_response(self.status_code(), &self.to_string());
        if let Ok(value) = HeaderValue::from_str(&self.0.to_string()) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

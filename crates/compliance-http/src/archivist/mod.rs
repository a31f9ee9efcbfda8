//! The archivist API: compliance policies and checks (`/archivist/v1`), assets and events
//! (`/archivist/v2`), as the DataTrails SDK speaks it.

pub mod assets;
pub mod compliance;
pub mod events;
pub mod policies;

use actix_web::HttpResponse;
use actix_web::http::header::HeaderName;

/// The request header that asks for a total count, and the response header that carries it.
const REQUEST_TOTAL_COUNT: &str = "x-request-total-count";
const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// Whether the request asked for `X-Total-Count`.
fn wants_total(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(REQUEST_TOTAL_COUNT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A 200 listing, with `X-Total-Count` when a total is given.
fn listing(body: serde_json::Value, total: Option<i64>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(total) = total {
        response.insert_header((TOTAL_COUNT, total.to_string()));
    }
    response.json(body)
}

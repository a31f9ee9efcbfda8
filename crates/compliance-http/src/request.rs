//! Reading requests: JSON bodies whose errors name the field, query strings whose unknown
//! parameters are refused, and RFC 3339 times.

use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ApiError;

/// The body as `T`: it must be JSON, hold no NUL characters (PostgreSQL text cannot), and parse;
/// the error names the field at fault.
pub fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &Bytes) -> Result<T, ApiError> {
    check_json(req, body)?;
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::bad_request(format!("{field}: {}", error.into_inner()))
    })
}

/// Refuses bodies that are not declared JSON, or that hold a NUL character.
pub fn check_json(req: &HttpRequest, body: &Bytes) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be application/json, not {content_type:?}"),
        ));
    }
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::bad_request(
            "body: strings may not contain the NUL character",
        ));
    }
    Ok(())
}

/// The query string as pairs; the caller refuses the names it does not know.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(actix_web::web::Query::into_inner)
        .map_err(|error| ApiError::bad_request(format!("query string: {error}")))
}

pub fn unknown_parameter(name: &str) -> ApiError {
    ApiError::bad_request(format!("{name}: unknown query parameter"))
}

/// An RFC 3339 time, named `field` in errors, in UTC and within [`in_range`].
pub fn time(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        ApiError::bad_request(format!(
            "{field}: {text:?} is not an RFC 3339 time such as 2019-11-27T14:44:19Z"
        ))
    })?;
    in_range(field, at)
}

/// Accepted times: years 0001 to 9999 in UTC. PostgreSQL stores more, but a time outside
/// these years cannot be written back in RFC 3339 nor turned to UTC without overflow.
pub fn in_range(field: &str, at: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
    at.checked_to_offset(time::UtcOffset::UTC)
        .filter(|utc| (1..=9999).contains(&utc.year()))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{field}: out of range: times must lie from 0001-01-01T00:00:00Z to \
                 9999-12-31T23:59:59.999999Z"
            ))
        })
}

/// A time as the API writes it: RFC 3339 in UTC.
pub fn rfc3339(at: OffsetDateTime) -> String {
    // Stored times were range-checked on the way in; an unconvertible one prints as given.
    at.checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A UUID path segment, named `field` in errors.
pub fn uuid(field: &str, text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("{field}: {text:?} is not a UUID")))
}

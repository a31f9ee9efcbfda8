//! Reading requests: typed JSON bodies whose errors name the field, query strings whose unknown
//! parameters are refused, and RFC 3339 times.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::ApiError;

/// A request body type: parsed by serde (which names the field of a type error), then checked
/// for what serde cannot say.
pub trait RequestBody: DeserializeOwned + 'static {
    fn check(&self) -> Result<(), ApiError>;
}

/// What [`Body`] reads: every [`RequestBody`], and bodies with a parser of their own (the
/// archivist's policies, which the core parses).
pub trait ParseBody: Sized + 'static {
    fn parse(req: &HttpRequest, raw: &[u8]) -> Result<Self, ApiError>;
}

impl<T: RequestBody> ParseBody for T {
    fn parse(req: &HttpRequest, raw: &[u8]) -> Result<Self, ApiError> {
        let value: T = json_body(req, raw)?;
        value.check()?;
        Ok(value)
    }
}

/// Checks a body by its `validator` rules.
pub fn validated(body: &impl Validate) -> Result<(), ApiError> {
    body.validate().map_err(|errors| invalid(&errors))
}

/// A typed JSON body, with the bytes it was parsed from (an idempotent write fingerprints them).
/// Its size is bounded by the route's `PayloadConfig`.
#[derive(Debug)]
pub struct Body<T> {
    value: T,
    raw: Bytes,
}

impl<T> Body<T> {
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

impl<T> std::ops::Deref for Body<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ParseBody> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = Bytes::from_request(&req, payload);
        Box::pin(async move {
            // The payload's own failures (413 past the limit) keep their status.
            let raw = bytes.await?;
            crate::tenant::Gate::passed(&req).await;
            let value = T::parse(&req, &raw)?;
            Ok(Self { value, raw })
        })
    }
}

/// The first validation error, naming its field (nested fields as `parent.child`).
pub fn invalid(errors: &ValidationErrors) -> ApiError {
    fn first(errors: &ValidationErrors, prefix: &str) -> Option<String> {
        let mut fields: Vec<_> = errors.errors().iter().collect();
        fields.sort_by_key(|(name, _)| name.to_string());
        for (field, kind) in fields {
            let path = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            match kind {
                ValidationErrorsKind::Field(list) => {
                    if let Some(error) = list.first() {
                        let message = error
                            .message
                            .as_ref()
                            .map_or_else(|| error.code.to_string(), ToString::to_string);
                        return Some(format!("{path}: {message}"));
                    }
                }
                ValidationErrorsKind::Struct(inner) => return first(inner, &path),
                ValidationErrorsKind::List(items) => {
                    if let Some((index, inner)) = items.iter().next() {
                        return first(inner, &format!("{path}[{index}]"));
                    }
                }
            }
        }
        None
    }
    ApiError::bad_request(first(errors, "").unwrap_or_else(|| "invalid request".to_owned()))
}

/// The body as `T`: it must be JSON, hold no NUL characters (PostgreSQL text cannot), and parse;
/// the error names the field at fault.
pub fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    check_json(req, body)?;
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::bad_request(format!("{field}: {}", error.into_inner()))
    })
}

/// Refuses bodies that are not declared JSON, or that hold a NUL character.
pub fn check_json(req: &HttpRequest, body: &[u8]) -> Result<(), ApiError> {
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

/// A UUID path segment, named `field` in errors.
pub fn uuid(field: &str, text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("{field}: {text:?} is not a UUID")))
}

/// Serde readers for integers that also take a whole number written as a float (`3681.0`):
/// JSON Schema, and so OpenAPI 3.1, counts it as an integer, and clients' JSON encoders write
/// one so.
pub mod whole {
    use serde::Deserialize;
    use serde::de::{Deserializer, Error};

    fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
            return Ok(None);
        };
        if let Some(n) = number.as_i64() {
            return Ok(Some(n));
        }
        match number.as_f64() {
            // Whole and within i64 (`i64::MAX as f64` is 2^63, the first float past it).
            Some(f) if f.fract() == 0.0 && (i64::MIN as f64..i64::MAX as f64).contains(&f) => {
                Ok(Some(f as i64))
            }
            _ => Err(D::Error::custom(format!(
                "{number} is not a whole number in range"
            ))),
        }
    }

    pub fn i32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
        option_i32(deserializer)?.ok_or_else(|| D::Error::custom("a whole number is required"))
    }

    pub fn option_i32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
        number(deserializer)?
            .map(|n| i32::try_from(n).map_err(|_| D::Error::custom(format!("{n} is out of range"))))
            .transpose()
    }

    pub fn option_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        number(deserializer)
    }
}

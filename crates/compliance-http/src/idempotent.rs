//! Writes a client may retry: a POST with an `Idempotency-Key` header
//! (draft-ietf-httpapi-idempotency-key-header) has its outcome stored with the key in the very
//! transaction that wrote it, so a retry after a lost reply answers the stored outcome and
//! writes nothing again.

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use compliance_store::idempotency::{self, Outcome, Recorded};
use compliance_store::{Store, TenantConn};
use serde::Serialize;
use sha2::{Digest, Sha256};

use uuid::Uuid;

use crate::{ApiError, ApiResult};

/// The request header naming a write.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header marking an answer replayed from a stored outcome.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Longest key, in characters.
pub const MAX_KEY: usize = 255;

/// What a write answers.
#[derive(Debug)]
pub struct Written {
    pub status: StatusCode,
    /// The answer's JSON: text, never a tree of values, so it is sent (and kept) as serialized.
    pub body: String,
}

impl Written {
    /// 201 with `view`.
    pub fn created(view: &impl Serialize) -> ApiResult<Self> {
        Self::new(StatusCode::CREATED, view)
    }

    /// 200 with `view` (the archivist API answers its creations so).
    pub fn ok(view: &impl Serialize) -> ApiResult<Self> {
        Self::new(StatusCode::OK, view)
    }

    pub fn new(status: StatusCode, body: &impl Serialize) -> ApiResult<Self> {
        let body = serde_json::to_string(body).map_err(|error| {
            tracing::error!(%error, "a response did not serialize");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })?;
        Ok(Self { status, body })
    }

    fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type(ContentType::json())
            .body(self.body.clone())
    }
}

/// What an idempotent write needs of its request, taken when the request is extracted.
#[derive(Debug)]
pub struct Request {
    /// The `Idempotency-Key`, when sent; an invalid one fails the write, not a read.
    key: Result<Option<String>, ApiError>,
    method: String,
    path_and_query: String,
}

impl Request {
    pub fn of(req: &HttpRequest) -> Self {
        Self {
            key: key(req),
            method: req.method().as_str().to_owned(),
            path_and_query: req
                .uri()
                .path_and_query()
                .map_or_else(String::new, |p| p.as_str().to_owned()),
        }
    }

    /// What makes two requests the same: method, path with query, and body.
    fn fingerprint(&self, body: &[u8]) -> String {
        let mut sha = Sha256::new();
        sha.update(self.method.as_bytes());
        sha.update(b"\n");
        sha.update(self.path_and_query.as_bytes());
        sha.update(b"\n");
        sha.update(body);
        hex::encode(sha.finalize())
    }
}

/// Runs `work` in one transaction bound to `org` and answers what it wrote. With an
/// `Idempotency-Key`, a key already used for this request answers its stored outcome
/// (`Idempotent-Replayed: true`), one used for another request is 422, and a fresh one keeps the
/// outcome with the write. Failures are not kept: nothing was written, so a retry simply tries
/// again.
pub async fn write(
    store: &Store,
    org: Uuid,
    request: &Request,
    body: &[u8],
    work: impl AsyncFnOnce(&mut TenantConn) -> ApiResult<Written>,
) -> ApiResult<HttpResponse> {
    let Some(key) = request.key.clone()? else {
        let written = store.transact(org, work).await?;
        return Ok(written.response());
    };
    let request_sha256 = request.fingerprint(body);
    let mut conn = store.tenant(org).await?;
    let stored = match idempotency::find(&mut conn, &key).await {
        Ok(stored) => stored,
        Err(error) => return conn.end(Err(error.into())).await,
    };
    if let Some(first) = stored {
        conn.rollback().await?;
        return replay(&first, &request_sha256);
    }
    let written = match work(&mut conn).await {
        Ok(written) => written,
        Err(error) => return conn.end(Err(error)).await,
    };
    let outcome = Outcome {
        request_sha256: request_sha256.clone(),
        status: i16::try_from(written.status.as_u16()).unwrap_or(i16::MAX),
        response: written.body.clone(),
    };
    match idempotency::record(&mut conn, &key, &outcome).await {
        Ok(Recorded::Kept) => {
            conn.commit().await?;
            Ok(written.response())
        }
        // A concurrent request with the key committed first: ours must not stand.
        Ok(Recorded::Taken(first)) => {
            conn.rollback().await?;
            replay(&first, &request_sha256)
        }
        Err(error) => conn.end(Err(error.into())).await,
    }
}

/// The key, when sent: 1 to 255 visible ASCII characters.
fn key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=MAX_KEY).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    key.map(|k| Some(k.to_owned())).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Idempotency-Key: 1 to {MAX_KEY} visible ASCII characters"
        ))
    })
}

/// Whether `response` replays an earlier write's answer: the work this request ran (if any)
/// was rolled back, so nothing it did may be counted or acted on.
pub fn is_replay(response: &HttpResponse) -> bool {
    response.headers().contains_key(REPLAYED)
}

fn replay(first: &Outcome, request_sha256: &str) -> ApiResult<HttpResponse> {
    if first.request_sha256 != request_sha256 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key: already used for a different request",
        ));
    }
    let status = u16::try_from(first.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    Ok(HttpResponse::build(status)
        .insert_header((REPLAYED, HeaderValue::from_static("true")))
        .content_type(ContentType::json())
        .body(first.response.clone()))
}

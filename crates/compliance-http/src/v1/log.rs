//! The org's transparency log (docs/log.md): its latest signed checkpoint, its key, an entry's
//! inclusion proof and the consistency proof between two of its trees. Every proof comes with
//! the signed checkpoint of the tree it proves against, so an auditor needs nothing else.

use actix_web::HttpResponse;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Json, Path, Query};
use compliance_attest::log::{Hash, encode};
use compliance_store::log;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ConsistencyQuery, ProofQuery};
use crate::permission::Read;
use crate::request::uuid;
use compliance_store::StoreError;

use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// Largest tree size a query may name: PostgreSQL's bigint.
const MAX_SIZE: u64 = i64::MAX as u64;

/// The latest checkpoint, as a C2SP signed note (`text/plain`): signed anew when the log grew
/// and the kept one is older than a few seconds.
#[utoipa::path(get, path = "/v1/log/checkpoint", tag = "log",
    responses((status = 200, description = "The signed checkpoint", content_type = "text/plain",
        body = String)))]
pub async fn checkpoint(tenant: Tenant<Read>) -> ApiResult<HttpResponse> {
    let seal = &tenant.state().key_seal;
    let latest = tenant
        .transact(async |conn| Ok(log::latest(conn, seal).await?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(latest.note))
}

/// The log's key, as an auditor pins it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogKeyView {
    /// The checkpoints' origin line, and the key's name.
    pub origin: String,
    /// The C2SP note verifier key: `<name>+<key id>+<base64 of 0x01 ‖ Ed25519 public key>`.
    pub verifier_key: String,
}

#[utoipa::path(get, path = "/v1/log/key", tag = "log",
    responses((status = 200, description = "The log's verifier key", body = LogKeyView)))]
pub async fn key(tenant: Tenant<Read>) -> ApiResult<Json<LogKeyView>> {
    let seal = &tenant.state().key_seal;
    let key = tenant
        .transact(async |conn| Ok(log::key(conn, seal).await?))
        .await?;
    Ok(Json(LogKeyView {
        origin: key.name().to_owned(),
        verifier_key: key.verifier_key(),
    }))
}

/// A tree size the log has not reached, or one that does not hold the entry: well-formed, so
/// 422 with the range allowed, not 400.
fn past_the_log(error: StoreError) -> ApiError {
    match error {
        StoreError::Invalid(message) => ApiError::unprocessable(message),
        other => other.into(),
    }
}

fn encoded(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(encode).collect()
}

fn size(name: &str, value: Option<u64>) -> ApiResult<Option<u64>> {
    match value {
        Some(n) if n > MAX_SIZE => Err(ApiError::bad_request(format!(
            "{name}: a number from 0 to {MAX_SIZE}"
        ))),
        other => Ok(other),
    }
}

/// An entry's inclusion in a tree of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionView {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The leaf's data: the entry's RFC 8785 JSON, made again from the entry as stored.
    pub leaf_data: String,
    /// Base64 of SHA-256(0x00 ‖ leaf_data).
    pub leaf_hash: String,
    /// Base64 hashes, RFC 9162 §2.1.3's audit path.
    pub inclusion_proof: Vec<String>,
    pub root_hash: String,
    /// The signed checkpoint of the tree of `tree_size`.
    pub checkpoint: String,
}

/// The inclusion proof of an audit entry (or any event of the org).
#[utoipa::path(get, path = "/v1/audit/{id}/proof", tag = "log",
    params(("id" = uuid::Uuid, Path, description = "The entry's id"), ProofQuery),
    responses((status = 200, description = "The entry's inclusion proof", body = InclusionView),
        (status = 422, description = "A tree the log has not reached, or one without the entry",
            body = crate::ErrorBody)))]
pub async fn proof(
    tenant: Tenant<Read>,
    id: Path<String>,
    query: Query<ProofQuery>,
) -> ApiResult<Json<InclusionView>> {
    let id = uuid("id", &id)?;
    let tree_size = size("tree_size", query.tree_size)?;
    let seal = &tenant.state().key_seal;
    let (inclusion, checkpoint) = tenant
        .transact(async |conn| {
            let size = match tree_size {
                Some(size) => Some(size),
                None => {
                    // The latest checkpoint, unless the entry came after it: then the log now.
                    let latest = log::latest(conn, seal).await?.checkpoint.size;
                    let index = log::leaf_index(conn, id).await.or_404("audit entry")?;
                    (index < latest).then_some(latest)
                }
            };
            let inclusion = match log::inclusion(conn, id, size).await {
                Err(error @ StoreError::Invalid(_)) => return Err(past_the_log(error)),
                other => other.or_404("audit entry")?,
            };
            let checkpoint = log::checkpoint_of(conn, seal, inclusion.tree_size).await?;
            Ok((inclusion, checkpoint))
        })
        .await?;
    Ok(Json(InclusionView {
        leaf_index: inclusion.leaf_index,
        tree_size: inclusion.tree_size,
        leaf_hash: encode(&compliance_attest::log::leaf_hash(
            inclusion.leaf_data.as_bytes(),
        )),
        leaf_data: inclusion.leaf_data,
        inclusion_proof: encoded(&inclusion.proof),
        root_hash: encode(&inclusion.root),
        checkpoint: checkpoint.note,
    }))
}

/// The proof that one tree of the log is a prefix of another.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyView {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    /// Base64 hashes, RFC 9162 §2.1.4's consistency proof.
    pub proof: Vec<String>,
    /// The signed checkpoint of the tree of `to`.
    pub checkpoint: String,
}

#[utoipa::path(get, path = "/v1/log/consistency", tag = "log", params(ConsistencyQuery),
    responses((status = 200, description = "The consistency proof", body = ConsistencyView),
        (status = 422, description = "Sizes out of order, or past the log's end",
            body = crate::ErrorBody)))]
pub async fn consistency(
    tenant: Tenant<Read>,
    query: Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyView>> {
    let from = size("from", Some(query.from))?.unwrap_or(0);
    let to = size("to", query.to)?;
    let seal = &tenant.state().key_seal;
    let (proof, checkpoint) = tenant
        .transact(async |conn| {
            let to = match to {
                Some(to) => to,
                None => log::latest(conn, seal).await?.checkpoint.size,
            };
            let proof = log::consistency(conn, from, to)
                .await
                .map_err(past_the_log)?;
            let checkpoint = log::checkpoint_of(conn, seal, to).await?;
            Ok((proof, checkpoint))
        })
        .await?;
    Ok(Json(ConsistencyView {
        from: proof.from,
        to: proof.to,
        from_root: encode(&proof.from_root),
        to_root: encode(&proof.to_root),
        proof: encoded(&proof.proof),
        checkpoint: checkpoint.note,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_largest_size_is_postgresql_s_bigint() {
        assert_eq!(super::MAX_SIZE, 9_223_372_036_854_775_807);
    }
}

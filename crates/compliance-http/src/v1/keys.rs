//! The org's public signing keys, as an auditor fetches them to verify attestations, and their
//! rotation.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Json;
use compliance_attest::Jwk;
use compliance_store::signing::{self, KeyRecord};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::idempotent::Written;
use crate::permission::{ManageKeys, Read};
use crate::{ApiError, ApiResult, Tenant};

/// One public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Lower-case hex SHA-256 of the SubjectPublicKeyInfo DER: an envelope signature's `keyid`.
    pub key_id: String,
    /// `ecdsa-sha2-nistp256`: ECDSA over P-256 with SHA-256, ASN.1 DER signatures.
    pub scheme: &'static str,
    /// SubjectPublicKeyInfo, PEM.
    pub pem: String,
    #[schema(value_type = Object)]
    pub jwk: Jwk,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stopped signing; `null` while it signs.
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

impl From<&KeyRecord> for KeyView {
    fn from(key: &KeyRecord) -> Self {
        Self {
            key_id: key.key_id.clone(),
            scheme: compliance_attest::SCHEME,
            pem: key.public_key.to_pem(),
            jwk: key.public_key.jwk(),
            created_at: key.created_at,
            retired_at: key.retired_at,
        }
    }
}

/// Every key the org ever signed with, the signing one first.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyView>,
}

/// The org's public keys, retired ones included (old attestations verify with them).
#[utoipa::path(get, path = "/v1/keys", tag = "packages",
    responses((status = 200, description = "The org's public keys", body = KeyList)))]
pub async fn list(tenant: Tenant<Read>) -> ApiResult<Json<KeyList>> {
    let keys = tenant
        .transact(async |conn| Ok(signing::list(conn).await?))
        .await?;
    Ok(Json(KeyList {
        keys: keys.iter().map(KeyView::from).collect(),
    }))
}

/// Retires the signing key (it stays listed, and what it signed still verifies with it) and
/// makes the next one, which signs every attestation from then on.
#[utoipa::path(post, path = "/v1/keys/rotate", tag = "packages",
    responses((status = 201, description = "The new signing key", body = KeyView)))]
pub async fn rotate(tenant: Tenant<ManageKeys>) -> ApiResult<HttpResponse> {
    let seal = &tenant.state().key_seal;
    tenant
        .write_bodiless(async |conn| {
            let key_id = signing::rotate(conn, seal).await?.public().key_id();
            let keys = signing::list(conn).await?;
            let made = keys.iter().find(|k| k.key_id == key_id).ok_or_else(|| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            })?;
            Written::created(&KeyView::from(made))
        })
        .await
}

//! The org's public signing keys, as an auditor fetches them to verify attestations.

use actix_web::web::Json;
use compliance_attest::Jwk;
use compliance_store::signing::{self, KeyRecord};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::permission::Read;
use crate::{ApiResult, Tenant};

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

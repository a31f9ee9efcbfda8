//! A package's attestation: its DSSE envelope, kept with the package, append-only like it.

use compliance_attest::Envelope;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::attestations;
use crate::{StoreError, StoreResult, TenantConn};

/// Keeps `envelope` as `package`'s attestation, signed by `key_id`.
pub async fn put(
    conn: &mut TenantConn,
    package: Uuid,
    key_id: &str,
    envelope: &Envelope,
) -> StoreResult<()> {
    let json = serde_json::to_string(envelope)
        .map_err(|e| StoreError::Invalid(format!("attestation: {e}")))?;
    let org = conn.org();
    diesel::insert_into(attestations::table)
        .values((
            attestations::org_id.eq(org),
            attestations::package_id.eq(package),
            attestations::key_id.eq(key_id),
            attestations::envelope.eq(json),
        ))
        .execute(conn.db())
        .await?;
    Ok(())
}

/// The package's attestation; `None` for a package generated before attestations were made
/// (and for another org's, alike).
pub async fn get(conn: &mut TenantConn, package: Uuid) -> StoreResult<Option<Envelope>> {
    let json: Option<String> = attestations::table
        .filter(attestations::package_id.eq(package))
        .select(attestations::envelope)
        .first(conn.db())
        .await
        .optional()?;
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("attestation of {package}: {e}")))
    })
    .transpose()
}

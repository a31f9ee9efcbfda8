//! The org's settings: what its ingestion keeps (docs/ingest.md).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::org_settings;
use crate::{StoreResult, TenantConn};

/// Whether the org keeps tools' arguments and results as text (else their SHA-256 digests).
pub async fn keep_tool_payloads(conn: &mut TenantConn) -> StoreResult<bool> {
    Ok(org_settings::table
        .select(org_settings::keep_tool_payloads)
        .first(conn.db())
        .await
        .optional()?
        .unwrap_or(false))
}

/// Sets whether the org keeps tools' arguments and results as text.
pub async fn set_keep_tool_payloads(conn: &mut TenantConn, keep: bool) -> StoreResult<()> {
    diesel::insert_into(org_settings::table)
        .values((
            org_settings::org_id.eq(conn.org()),
            org_settings::keep_tool_payloads.eq(keep),
        ))
        .on_conflict(org_settings::org_id)
        .do_update()
        .set((
            org_settings::keep_tool_payloads.eq(keep),
            org_settings::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn.db())
        .await?;
    Ok(())
}

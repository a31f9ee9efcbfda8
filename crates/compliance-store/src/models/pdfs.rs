//! Packages' rendered PDFs: a package never changes, so its PDF is rendered once and kept.

use compliance_core::sha256_hex;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::{compliance_packages, package_pdfs};
use crate::{StoreError, StoreResult, TenantConn};

/// The package's stored PDF, if one was kept; `None` too for another org's package. A PDF that
/// no longer matches the hash stored beside it is [`StoreError::Corrupt`].
pub async fn get(conn: &mut TenantConn, package_id: Uuid) -> StoreResult<Option<Vec<u8>>> {
    let stored: Option<(Vec<u8>, String)> = package_pdfs::table
        .filter(package_pdfs::package_id.eq(package_id))
        .select((package_pdfs::pdf, package_pdfs::sha256))
        .first(conn.db())
        .await
        .optional()?;
    match stored {
        Some((pdf, sha256)) if sha256_hex(&pdf) != sha256 => Err(StoreError::Corrupt(format!(
            "the PDF of package {package_id} does not match its sha256"
        ))),
        Some((pdf, _)) => Ok(Some(pdf)),
        None => Ok(None),
    }
}

/// A kept PDF as a download serves it: the bytes (checked against their hash) and the name of
/// the package's agent, in one query; `None` when no PDF is kept (or the package is another
/// org's). The package's content is not read: the PDF was rendered from it, sealed, once.
pub async fn download(
    conn: &mut TenantConn,
    package_id: Uuid,
) -> StoreResult<Option<(Vec<u8>, String)>> {
    use crate::schema::agents;
    let stored: Option<(Vec<u8>, String, String)> = package_pdfs::table
        .inner_join(
            compliance_packages::table.on(compliance_packages::org_id
                .eq(package_pdfs::org_id)
                .and(compliance_packages::id.eq(package_pdfs::package_id))),
        )
        .inner_join(
            agents::table.on(agents::org_id
                .eq(compliance_packages::org_id)
                .and(agents::id.eq(compliance_packages::agent_id))),
        )
        .filter(package_pdfs::package_id.eq(package_id))
        .select((package_pdfs::pdf, package_pdfs::sha256, agents::name))
        .first(conn.db())
        .await
        .optional()?;
    match stored {
        Some((pdf, sha256, _)) if sha256_hex(&pdf) != sha256 => Err(StoreError::Corrupt(format!(
            "the PDF of package {package_id} does not match its sha256"
        ))),
        Some((pdf, _, agent)) => Ok(Some((pdf, agent))),
        None => Ok(None),
    }
}

/// Keeps the package's rendered PDF; whether these bytes were kept. The first PDF kept stays:
/// a later one (a second, racing render) is dropped and the call still succeeds, answering
/// false. Another org's package is [`StoreError::NotFound`].
pub async fn put(conn: &mut TenantConn, package_id: Uuid, bytes: &[u8]) -> StoreResult<bool> {
    // Through row-level security first: the key is global, so a conflict alone would tell one
    // org whether another's package has a PDF.
    compliance_packages::table
        .filter(compliance_packages::id.eq(package_id))
        .select(compliance_packages::id)
        .first::<Uuid>(conn.db())
        .await?;
    let inserted = diesel::insert_into(package_pdfs::table)
        .values((
            package_pdfs::org_id.eq(conn.org()),
            package_pdfs::package_id.eq(package_id),
            package_pdfs::pdf.eq(bytes),
            package_pdfs::sha256.eq(sha256_hex(bytes)),
        ))
        .on_conflict((package_pdfs::org_id, package_pdfs::package_id))
        .do_nothing()
        .execute(conn.db())
        .await?;
    Ok(inserted == 1)
}

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

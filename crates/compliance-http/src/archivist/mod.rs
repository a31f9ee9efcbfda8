//! The archivist API: compliance policies and checks (`/archivist/v1`), assets and events
//! (`/archivist/v2`), as the DataTrails SDK speaks it.

pub mod assets;
pub mod compliance;
pub mod compliance_policies;
pub mod events;

/// The org as the archivist names it: `tenant/<uuid>`.
fn tenant_identity(org: uuid::Uuid) -> String {
    format!("tenant/{org}")
}

//! PostgreSQL persistence for the compliance service.
//!
//! Tenancy is enforced twice: by the database (row-level security, FORCEd, on every tenant table,
//! in sessions logged in as the `compliance_app` role, which cannot bypass it or become another
//! role) and by the types (every tenant store function takes a [`TenantConn`], a transaction
//! already bound to one org). The operator paths that must cross orgs (authenticating a token,
//! creating an org) are methods of [`Store`], on a separate pool as the schema owner.

pub mod embedded;
mod error;
pub mod models;
#[rustfmt::skip]
mod schema;
mod store;
mod tenant;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{StoreError, StoreResult};
pub use models::*;
pub use store::{
    IDLE_IN_TRANSACTION_TIMEOUT, MIGRATIONS, PoolUse, STATEMENT_TIMEOUT, Store, TENANT_ROLE,
    ensure_database, migrate,
};
pub use tenant::TenantConn;

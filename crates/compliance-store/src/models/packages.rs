//! Compliance packages: versioned per agent, sealed, chained, and never changed once stored.

use compliance_core::PackageSeal;
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::compliance_packages;
use crate::{StoreError, StoreResult, TenantConn};

/// A package's content as assembled, before it is sealed and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPackage {
    pub agent_id: Uuid,
    /// The token that asked for it.
    pub generated_by: Uuid,
    pub generated_at: OffsetDateTime,
    pub content: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = compliance_packages, check_for_backend(diesel::pg::Pg))]
pub struct PackageRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub agent_id: Uuid,
    pub version: i32,
    pub generated_by: Uuid,
    pub generated_at: OffsetDateTime,
    pub content: serde_json::Value,
    pub content_sha256: String,
    pub previous_sha256: String,
}

impl PackageRecord {
    fn seal(&self) -> PackageSeal<'_> {
        PackageSeal {
            id: self.id,
            org_id: self.org_id,
            agent_id: self.agent_id,
            version: self.version,
            generated_by: self.generated_by,
            generated_at: self.generated_at,
            previous_sha256: &self.previous_sha256,
            content: &self.content,
        }
    }
}

/// Stores the agent's next version, sealed and linked to the one before. Generations for one
/// agent are serialized by a transaction-scoped lock, so versions have no gaps or duplicates.
pub async fn append(conn: &mut TenantConn, package: &NewPackage) -> StoreResult<PackageRecord> {
    // The lock key is derived from the agent id, a UUID: no user text reaches the SQL.
    conn.db()
        .batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(hashtextextended('compliance_packages:{}', 0))",
            package.agent_id
        ))
        .await?;
    let previous: Option<(i32, String)> = compliance_packages::table
        .filter(compliance_packages::agent_id.eq(package.agent_id))
        .order(compliance_packages::version.desc())
        .select((
            compliance_packages::version,
            compliance_packages::content_sha256,
        ))
        .first(conn.db())
        .await
        .optional()?;
    let (version, previous_sha256) = previous.map_or((1, String::new()), |(v, sha)| (v + 1, sha));
    let mut record = PackageRecord {
        id: Uuid::new_v4(),
        org_id: conn.org(),
        agent_id: package.agent_id,
        version,
        generated_by: package.generated_by,
        generated_at: package.generated_at,
        content: package.content.clone(),
        content_sha256: String::new(),
        previous_sha256,
    };
    record.content_sha256 = record.seal().sha256();
    let stored: PackageRecord = diesel::insert_into(compliance_packages::table)
        .values((
            compliance_packages::org_id.eq(record.org_id),
            compliance_packages::id.eq(record.id),
            compliance_packages::agent_id.eq(record.agent_id),
            compliance_packages::version.eq(record.version),
            compliance_packages::generated_by.eq(record.generated_by),
            compliance_packages::generated_at.eq(record.generated_at),
            compliance_packages::content.eq(&record.content),
            compliance_packages::content_sha256.eq(&record.content_sha256),
            compliance_packages::previous_sha256.eq(&record.previous_sha256),
        ))
        .returning(PackageRecord::as_returning())
        .get_result(conn.db())
        .await?;
    Ok(stored)
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> StoreResult<PackageRecord> {
    Ok(compliance_packages::table
        .filter(compliance_packages::id.eq(id))
        .select(PackageRecord::as_select())
        .first(conn.db())
        .await?)
}

/// Packages newest first (of one agent, or all), one page, and how many there are.
pub async fn list(
    conn: &mut TenantConn,
    agent_id: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<PackageRecord>, i64)> {
    let filtered = || {
        let mut query = compliance_packages::table.into_boxed();
        if let Some(agent_id) = agent_id {
            query = query.filter(compliance_packages::agent_id.eq(agent_id));
        }
        query
    };
    let packages = filtered()
        .order((
            compliance_packages::generated_at.desc(),
            compliance_packages::version.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(PackageRecord::as_select())
        .load(conn.db())
        .await?;
    let total = filtered().count().get_result(conn.db()).await?;
    Ok((packages, total))
}

/// Recomputes every version's seal and link for one agent: the number of versions when the
/// chain is intact, else which version breaks it.
pub async fn verify_chain(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<usize> {
    let chain: Vec<PackageRecord> = compliance_packages::table
        .filter(compliance_packages::agent_id.eq(agent_id))
        .order(compliance_packages::version)
        .select(PackageRecord::as_select())
        .load(conn.db())
        .await?;
    let mut previous = String::new();
    for (expected, package) in (1..).zip(&chain) {
        let broken = |why: &str| {
            StoreError::Corrupt(format!(
                "package {} (version {}): {why}",
                package.id, package.version
            ))
        };
        if package.version != expected {
            return Err(broken("a version is missing before it"));
        }
        if package.previous_sha256 != previous {
            return Err(broken("previous_sha256 does not match the version before"));
        }
        if package.seal().sha256() != package.content_sha256 {
            return Err(broken("content_sha256 does not match its content"));
        }
        previous.clone_from(&package.content_sha256);
    }
    Ok(chain.len())
}

//! Compliance packages: versioned per agent, sealed, chained, witnessed by the agent's audit
//! trail, and never changed once stored.

use std::collections::BTreeMap;

use compliance_core::{AuditEntry, Outcome, PackageSeal, Verdict};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::events::{self, Metadata, NewEvent};
use crate::schema::{compliance_packages, events as events_table};
use crate::{StoreError, StoreResult, TenantConn};

/// The action type of the audit entry that records, and later witnesses, every stored version.
pub const GENERATED: &str = "compliance.generated";

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

/// Takes the transaction-scoped lock that serializes one agent's generations (re-entrant: a
/// transaction that holds it may take it again).
pub(crate) async fn lock_agent(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<()> {
    // The lock key is derived from the agent id, a UUID: no user text reaches the SQL.
    conn.db()
        .batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(hashtextextended('compliance_packages:{agent_id}', 0))"
        ))
        .await?;
    Ok(())
}

/// Where an agent's chain ends: its latest stored version.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = compliance_packages, check_for_backend(diesel::pg::Pg))]
pub(crate) struct Latest {
    pub id: Uuid,
    pub version: i32,
    pub generated_at: OffsetDateTime,
    pub content_sha256: String,
}

/// The agent's latest stored version, if it has one; hold [`lock_agent`] for it to stay latest.
pub(crate) async fn latest(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<Option<Latest>> {
    Ok(compliance_packages::table
        .filter(compliance_packages::agent_id.eq(agent_id))
        .order(compliance_packages::version.desc())
        .select(Latest::as_select())
        .first(conn.db())
        .await
        .optional()?)
}

/// Stores the agent's next version, sealed and linked to the one before, and records it in the
/// agent's trail as [`GENERATED`] (the witness [`verify_agent`] counts on). Generations for one
/// agent are serialized by a transaction-scoped lock, so versions have no gaps or duplicates.
pub async fn append(conn: &mut TenantConn, package: &NewPackage) -> StoreResult<PackageRecord> {
    lock_agent(conn, package.agent_id).await?;
    let (version, previous_sha256) = latest(conn, package.agent_id)
        .await?
        .map_or((1, String::new()), |latest| {
            (latest.version + 1, latest.content_sha256)
        });
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
    witness(conn, &stored).await?;
    Ok(stored)
}

/// Records a stored version in its agent's trail, in the same transaction: so a version removed
/// later leaves its entry behind, and the chain check sees the gap.
async fn witness(conn: &mut TenantConn, package: &PackageRecord) -> StoreResult<()> {
    let metadata = serde_json::to_value(Witness {
        package_id: package.id,
        version: package.version,
        content_sha256: package.content_sha256.clone(),
    })
    .map_err(|error| StoreError::Invalid(format!("generation entry: {error}")))?;
    let mut entry = AuditEntry::new(package.agent_id, GENERATED);
    entry.policy_verdict = Some(Verdict::Permit);
    entry.status = Some(Outcome::Success);
    entry.metadata = Metadata::from_value(&metadata);
    let mut entry = NewEvent::from(entry);
    // Who generated it: the token, as the archivist's principal.
    entry.principal_declared = serde_json::json!({ "token": package.generated_by });
    events::append(conn, &entry).await?;
    Ok(())
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

/// One version of an agent's package as a list of versions shows it: without its content.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = compliance_packages, check_for_backend(diesel::pg::Pg))]
pub struct Version {
    pub id: Uuid,
    pub version: i32,
    pub generated_at: OffsetDateTime,
    pub content_sha256: String,
}

/// Every version of the agent's package, newest first, without their contents.
pub async fn versions(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<Vec<Version>> {
    Ok(compliance_packages::table
        .filter(compliance_packages::agent_id.eq(agent_id))
        .order(compliance_packages::version.desc())
        .select(Version::as_select())
        .load(conn.db())
        .await?)
}

/// An agent's chain of versions as verified: a broken chain is a finding to show, not a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStatus {
    /// Every version checked is in place, sealed, linked and witnessed by the trail.
    pub verified: bool,
    /// How many versions, counting from version 1, were found intact.
    pub versions_checked: i32,
    /// What breaks the chain, when it is broken.
    pub problem: Option<String>,
}

/// What a [`GENERATED`] entry's metadata says about the version it witnesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Witness {
    package_id: Uuid,
    version: i32,
    content_sha256: String,
}

/// How far a check reaches: the whole chain, or versions 1 to the given one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Whole,
    UpTo(i32),
}

/// The chain of the package's agent up to that package: versions 1 to its version in place,
/// sealed, linked, and each witnessed by its [`GENERATED`] entry. A missing package (or
/// another org's) is [`StoreError::NotFound`]; a broken chain is a status.
pub async fn verify_up_to(conn: &mut TenantConn, package_id: Uuid) -> StoreResult<ChainStatus> {
    let (agent_id, version): (Uuid, i32) = compliance_packages::table
        .filter(compliance_packages::id.eq(package_id))
        .select((compliance_packages::agent_id, compliance_packages::version))
        .first(conn.db())
        .await?;
    // Chain before trail: every version read has its entry committed with it, so no lock.
    let chain = load_chain(conn, agent_id, Reach::UpTo(version)).await?;
    let witnesses = load_witnesses(conn, agent_id).await?;
    Ok(check(&chain, &witnesses, Reach::UpTo(version)))
}

/// The agent's whole chain: every version in place, sealed, linked and witnessed, and as many
/// versions as the trail records generations, so a removed last version is found too. An
/// agent with no versions and no generations has an empty, verified chain.
pub async fn verify_agent(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<ChainStatus> {
    // A generation committing between the two reads would look like a removed version.
    lock_agent(conn, agent_id).await?;
    let chain = load_chain(conn, agent_id, Reach::Whole).await?;
    let witnesses = load_witnesses(conn, agent_id).await?;
    Ok(check(&chain, &witnesses, Reach::Whole))
}

/// [`verify_agent`] as a count: the number of versions when the chain is intact, else
/// [`StoreError::Corrupt`] saying which version breaks it.
pub async fn verify_chain(conn: &mut TenantConn, agent_id: Uuid) -> StoreResult<usize> {
    let status = verify_agent(conn, agent_id).await?;
    match status.problem {
        // versions_checked counts versions, so it is never negative.
        None => Ok(usize::try_from(status.versions_checked).unwrap_or(0)),
        Some(problem) => Err(StoreError::Corrupt(problem)),
    }
}

async fn load_chain(
    conn: &mut TenantConn,
    agent_id: Uuid,
    reach: Reach,
) -> StoreResult<Vec<PackageRecord>> {
    let mut query = compliance_packages::table
        .filter(compliance_packages::agent_id.eq(agent_id))
        .into_boxed();
    if let Reach::UpTo(version) = reach {
        query = query.filter(compliance_packages::version.le(version));
    }
    Ok(query
        .order(compliance_packages::version)
        .select(PackageRecord::as_select())
        .load(conn.db())
        .await?)
}

/// The agent's [`GENERATED`] entries in the order they were written, each read as a witness
/// (`Err` with the entry's id when its metadata names no version).
async fn load_witnesses(
    conn: &mut TenantConn,
    agent_id: Uuid,
) -> StoreResult<Vec<Result<Witness, Uuid>>> {
    let entries: Vec<(Uuid, serde_json::Value)> = events_table::table
        .filter(events_table::asset_id.eq(agent_id))
        .filter(events_table::display_type.eq(GENERATED))
        .order(events_table::seq)
        .select((events_table::id, events_table::metadata))
        .load(conn.db())
        .await?;
    Ok(entries
        .into_iter()
        .map(|(id, metadata)| {
            serde_json::from_value::<Witness>(metadata)
                .ok()
                .filter(|witness| witness.version >= 1)
                .ok_or(id)
        })
        .collect())
}

/// Checks each version in order (no gap, linked to the one before, its seal recomputed, its
/// entry in the trail naming it), then that every entry names a version the check reached.
fn check(
    chain: &[PackageRecord],
    witnesses: &[Result<Witness, Uuid>],
    reach: Reach,
) -> ChainStatus {
    let mut checked = 0;
    let broken = |checked: i32, problem: String| ChainStatus {
        verified: false,
        versions_checked: checked,
        problem: Some(problem),
    };
    let mut by_version: BTreeMap<i32, Vec<&Witness>> = BTreeMap::new();
    for witness in witnesses.iter().flatten() {
        by_version.entry(witness.version).or_default().push(witness);
    }
    let mut previous = "";
    for (expected, package) in (1..).zip(chain) {
        let at = |why: &str| {
            format!(
                "package {} (version {}): {why}",
                package.id, package.version
            )
        };
        if package.version != expected {
            return broken(checked, at("a version is missing before it"));
        }
        if package.previous_sha256 != previous {
            return broken(
                checked,
                at("previous_sha256 does not match the version before"),
            );
        }
        if package.seal().sha256() != package.content_sha256 {
            return broken(checked, at("content_sha256 does not match its content"));
        }
        let Some(entries) = by_version.get(&package.version) else {
            return broken(checked, at("the trail has no generation entry for it"));
        };
        if entries
            .iter()
            .any(|w| w.package_id != package.id || w.content_sha256 != package.content_sha256)
        {
            return broken(
                checked,
                at("the trail's generation entry names another package or content_sha256"),
            );
        }
        previous = &package.content_sha256;
        checked = package.version;
    }
    if let Some(Err(entry)) = witnesses.iter().find(|witness| witness.is_err()) {
        return broken(
            checked,
            format!("the trail's generation entry {entry} names no package version"),
        );
    }
    let beyond = by_version.range(checked + 1..).next();
    if let (Reach::Whole, Some((version, entries))) = (reach, beyond) {
        let named: Vec<String> = entries.iter().map(|w| w.package_id.to_string()).collect();
        return broken(
            checked,
            format!(
                "package {} (version {version}): the trail records its generation but the \
                 chain ends at version {checked}: a stored version was removed",
                named.join(", ")
            ),
        );
    }
    ChainStatus {
        verified: true,
        versions_checked: checked,
        problem: None,
    }
}

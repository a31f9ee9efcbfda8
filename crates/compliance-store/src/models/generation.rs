//! Generating a compliance package: gather what the store knows about the agent at one instant,
//! let the core assemble it, seal and store the next version, and record the generation in the
//! agent's audit trail, all in the caller's transaction.

use compliance_attest::log::encode;
use compliance_core::microseconds;
use compliance_core::package::{
    ConnectorConfig, Framework, LogAnchor, LogPrefix, PackageContent, PackageInputs,
    PolicyEvidence, PolicyRule, assemble,
};
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::packages::GENERATED;
use super::packages::{NewPackage, PackageRecord};
use super::signing::KeySeal;
use super::{agents, compliance, connectors, figures, log, packages, policies, rules};
use crate::{StoreError, StoreResult, TenantConn};

/// Generates the agent's next package as of `at` (entries strictly before the generation time
/// count), or later if a previous version is later: see [`generation_time`]. SOC 2 and the
/// crosswalks of `frameworks` are judged. The org's log is held while the figures are counted
/// (no event of the org commits meanwhile), the agent's trail checked whole against it, and its
/// checkpoint signed with the key `seal` opens.
pub async fn generate(
    conn: &mut TenantConn,
    agent_id: Uuid,
    generated_by: Uuid,
    at: OffsetDateTime,
    frameworks: &[Framework],
    seal: &KeySeal,
) -> StoreResult<PackageRecord> {
    // Lock first, then fix the time: no racing generation gets a later version at an earlier time.
    packages::lock_agent(conn, agent_id).await?;
    let tree_size = log::lock(conn).await?.size;
    let previous = packages::latest(conn, agent_id).await?;
    let at = generation_time(
        at,
        previous.as_ref().map(|latest| latest.generated_at),
        OffsetDateTime::now_utc(),
    );
    let profile = agents::get(conn, agent_id).await?.profile;
    let connectors: Vec<ConnectorConfig> = connectors::list(conn, Some(agent_id))
        .await?
        .into_iter()
        .map(|c| c.config)
        .collect();
    let rules: Vec<PolicyRule> = rules::list(conn, Some(agent_id))
        .await?
        .into_iter()
        .map(|r| r.rule)
        .collect();
    let figures::TrailFigures {
        groups: audit,
        activity,
    } = figures::trail(conn, agent_id, at).await?;
    let counted = audit.iter().map(|group| group.count).sum();
    log::check_whole(conn, agent_id, counted, at).await?;
    let drift = figures::drift(conn, agent_id, at).await?;
    let evidence = policy_evidence(conn, agent_id, at).await?;
    let previous_log = match &previous {
        Some(latest) => content(&packages::get(conn, latest.id).await?)?.log,
        None => None,
    };
    let log = anchor(conn, seal, agent_id, at, tree_size, previous_log).await?;
    let content = assemble(&PackageInputs {
        agent: &profile,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        activity: &activity,
        drift: &drift,
        policies: &evidence,
        frameworks,
        log: Some(&log),
    });
    let content = serde_json::to_value(&content)
        .map_err(|error| StoreError::Invalid(format!("package content: {error}")))?;
    // Re-takes the lock this transaction holds, and records the generation in the trail.
    packages::append(
        conn,
        &NewPackage {
            agent_id,
            generated_by,
            generated_at: at,
            content,
        },
    )
    .await
}

/// The package's place in the log: the checkpoint of the tree of `tree_size`, the consistency
/// proof from the previous version's tree, and the agent's back-dated entries.
async fn anchor(
    conn: &mut TenantConn,
    seal: &KeySeal,
    agent_id: Uuid,
    at: OffsetDateTime,
    tree_size: u64,
    previous: Option<LogAnchor>,
) -> StoreResult<LogAnchor> {
    let checkpoint = log::checkpoint_at(conn, seal, tree_size).await?;
    let previous = match previous {
        Some(previous) => {
            let proof = log::consistency(conn, previous.tree_size, tree_size).await?;
            Some(LogPrefix {
                tree_size: previous.tree_size,
                root_hash: encode(&proof.from_root),
                consistency_proof: proof.proof.iter().map(encode).collect(),
            })
        }
        None => None,
    };
    Ok(LogAnchor {
        origin: checkpoint.checkpoint.origin,
        tree_size,
        root_hash: encode(&checkpoint.checkpoint.root),
        checkpoint: checkpoint.note,
        previous,
        back_dated: figures::back_dated(conn, agent_id, at).await?,
    })
}

/// Every compliance policy's statement about the agent at `at`, as package evidence.
async fn policy_evidence(
    conn: &mut TenantConn,
    agent_id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<Vec<PolicyEvidence>> {
    let stored_policies = policies::all(conn).await?;
    let all: Vec<_> = stored_policies
        .iter()
        .map(|stored| stored.policy.clone())
        .collect();
    let statements = compliance::check_asset_against(conn, agent_id, at, &all).await?;
    let evidence = statements
        .statements
        .iter()
        .filter_map(|statement| {
            let stored = stored_policies
                .iter()
                .find(|p| p.policy.id == statement.policy)?;
            Some(PolicyEvidence {
                identity: stored.policy.identity(),
                display_name: stored.policy.spec.display_name.clone(),
                compliance_type: stored
                    .policy
                    .spec
                    .policy
                    .compliance_type()
                    .name()
                    .to_owned(),
                controls: stored.policy.spec.controls.clone(),
                compliant: statement.compliant,
                reason: statement.reason.clone(),
            })
        })
        .collect::<Vec<_>>();
    Ok(evidence)
}

/// When a generation that asked for `at` takes place: `at`, unless the agent's previous
/// version is later; then the clock `now`, or the previous version's time if the clock is
/// behind it. So `generated_at` never decreases with the version. To the microsecond, as
/// PostgreSQL keeps it (the seal covers the time as it reads back).
pub fn generation_time(
    at: OffsetDateTime,
    previous: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let at = microseconds(at);
    match previous {
        Some(previous) if previous > at => microseconds(now).max(previous),
        _ => at,
    }
}

/// A stored package's content, read back.
pub fn content(package: &PackageRecord) -> StoreResult<PackageContent> {
    serde_json::from_value(package.content.clone())
        .map_err(|error| StoreError::Corrupt(format!("package {}: {error}", package.id)))
}

//! Generating a compliance package: gather what the store knows about the agent at one instant,
//! let the core assemble it, seal and store the next version, and record the generation in the
//! agent's audit trail, all in the caller's transaction.

use compliance_core::package::{
    AgentProfile, ConnectorConfig, PackageContent, PackageInputs, PolicyEvidence, PolicyRule,
    assemble,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::events::{AuditFields, NewEvent};
use super::packages::{NewPackage, PackageRecord};
use super::{agents, compliance, connectors, events, figures, packages, policies, rules};
use crate::{StoreError, StoreResult, TenantConn};

/// The action type of the audit entry every generation writes.
pub const GENERATED: &str = "compliance.generated";

/// Generates the agent's next package as of `at` (entries strictly before `at` count).
pub async fn generate(
    conn: &mut TenantConn,
    agent_id: Uuid,
    generated_by: Uuid,
    at: OffsetDateTime,
) -> StoreResult<PackageRecord> {
    // PostgreSQL keeps microseconds: seal the time as it will read back.
    let at = at
        .replace_nanosecond(at.nanosecond() / 1000 * 1000)
        .unwrap_or(at);
    let agent = agents::get(conn, agent_id).await?.agent;
    let connectors: Vec<ConnectorConfig> = connectors::list(conn, Some(agent_id))
        .await?
        .into_iter()
        .map(|c| ConnectorConfig {
            connector_type: c.connector.connector_type,
            vendor: c.connector.vendor,
            purpose: c.connector.purpose,
            data_categories: c.connector.data_categories,
            region: c.connector.region,
            permitted_operations: c.connector.permitted_operations,
        })
        .collect();
    let rules: Vec<PolicyRule> = rules::list(conn, Some(agent_id))
        .await?
        .into_iter()
        .map(|r| PolicyRule {
            name: r.rule.name,
            rule_type: r.rule.rule_type,
            connector: r.rule.connector,
            action_pattern: r.rule.action_pattern,
            risk_threshold: r.rule.risk_threshold,
        })
        .collect();
    let audit = figures::audit_groups(conn, agent_id, at).await?;
    let drift = figures::drift(conn, agent_id, at).await?;
    let stored_policies = policies::all(conn).await?;
    let all: Vec<_> = stored_policies
        .iter()
        .map(|stored| stored.policy.clone())
        .collect();
    let statements = compliance::check_asset_against(conn, agent_id, at, &all).await?;
    let evidence: Vec<PolicyEvidence> = statements
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
        .collect();
    let profile = AgentProfile {
        id: agent.id,
        name: agent.name,
        description: agent.description,
        permitted_systems: agent.permitted_systems,
        permitted_actions: agent.permitted_actions,
        permitted_data_types: agent.permitted_data_types,
        max_actions_per_hour: agent.max_actions_per_hour,
    };
    let content = assemble(&PackageInputs {
        agent: &profile,
        connectors: &connectors,
        rules: &rules,
        audit: &audit,
        drift: &drift,
        policies: &evidence,
    });
    let content = serde_json::to_value(&content)
        .map_err(|error| StoreError::Invalid(format!("package content: {error}")))?;
    let package = packages::append(
        conn,
        &NewPackage {
            agent_id,
            generated_by,
            generated_at: at,
            content,
        },
    )
    .await?;
    let entry = NewEvent {
        id: Uuid::new_v4(),
        asset_id: agent_id,
        display_type: GENERATED.to_owned(),
        correlation_value: None,
        declared_at: None,
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: Default::default(),
        asset_attributes: Default::default(),
        principal_declared: serde_json::json!({ "token": generated_by }),
        audit: AuditFields {
            policy_verdict: Some("PERMIT".to_owned()),
            status: Some("success".to_owned()),
            metadata: serde_json::json!({
                "package_id": package.id,
                "version": package.version,
                "content_sha256": package.content_sha256,
            }),
            ..AuditFields::default()
        },
    };
    events::append(conn, &entry).await?;
    Ok(package)
}

/// A stored package's content, read back.
pub fn content(package: &PackageRecord) -> StoreResult<PackageContent> {
    serde_json::from_value(package.content.clone())
        .map_err(|error| StoreError::Corrupt(format!("package {}: {error}", package.id)))
}

use compliance_core::{CompliancePolicy, PolicyBody, PolicySpec, Seconds, Variability};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::strings;
use crate::schema::compliance_policies;
use crate::{StoreError, StoreResult, TenantConn};

/// A stored compliance policy.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    pub policy: CompliancePolicy,
    pub created_at: OffsetDateTime,
    /// Creation order, for paging.
    pub seq: i64,
}

/// Which policies to list: exact matches on the given fields, after `after_seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyQuery {
    pub compliance_type: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub after_seq: Option<i64>,
    pub limit: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = compliance_policies, check_for_backend(diesel::pg::Pg))]
struct PolicyRow {
    id: Uuid,
    seq: i64,
    compliance_type: String,
    display_name: String,
    description: String,
    asset_filter: serde_json::Value,
    event_display_type: String,
    closing_event_display_type: String,
    time_period_seconds: i64,
    dynamic_window: i64,
    dynamic_variability: f64,
    richness_assertions: serde_json::Value,
    controls: Vec<Option<String>>,
    created_at: OffsetDateTime,
}

impl TryFrom<PolicyRow> for StoredPolicy {
    type Error = StoreError;

    fn try_from(row: PolicyRow) -> StoreResult<Self> {
        let corrupt = |error: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("compliance policy {}: {error}", row.id))
        };
        let body = PolicyBody {
            identity: String::new(),
            compliance_type: row.compliance_type,
            description: row.description,
            display_name: row.display_name,
            asset_filter: serde_json::from_value(row.asset_filter).map_err(|e| corrupt(&e))?,
            event_display_type: row.event_display_type,
            closing_event_display_type: row.closing_event_display_type,
            time_period_seconds: Seconds(row.time_period_seconds),
            dynamic_window: Seconds(row.dynamic_window),
            dynamic_variability: Variability(row.dynamic_variability),
            richness_assertions: serde_json::from_value(row.richness_assertions)
                .map_err(|e| corrupt(&e))?,
            controls: strings(row.controls),
        };
        let spec = PolicySpec::try_from(body).map_err(|e| corrupt(&e))?;
        Ok(Self {
            policy: CompliancePolicy { id: row.id, spec },
            created_at: row.created_at,
            seq: row.seq,
        })
    }
}

/// Stores a validated policy under a new identity.
pub async fn create(conn: &mut TenantConn, spec: &PolicySpec) -> StoreResult<StoredPolicy> {
    let policy = CompliancePolicy {
        id: Uuid::new_v4(),
        spec: spec.clone(),
    };
    let body = PolicyBody::from(&policy);
    let to_json = |groups: &Vec<compliance_core::OrGroup>| {
        serde_json::to_value(groups).map_err(|error| StoreError::Invalid(error.to_string()))
    };
    let org = conn.org();
    let row: PolicyRow = diesel::insert_into(compliance_policies::table)
        .values((
            compliance_policies::org_id.eq(org),
            compliance_policies::id.eq(policy.id),
            compliance_policies::compliance_type.eq(&body.compliance_type),
            compliance_policies::display_name.eq(&body.display_name),
            compliance_policies::description.eq(&body.description),
            compliance_policies::asset_filter.eq(to_json(&body.asset_filter)?),
            compliance_policies::event_display_type.eq(&body.event_display_type),
            compliance_policies::closing_event_display_type.eq(&body.closing_event_display_type),
            compliance_policies::time_period_seconds.eq(body.time_period_seconds.0),
            compliance_policies::dynamic_window.eq(body.dynamic_window.0),
            compliance_policies::dynamic_variability.eq(body.dynamic_variability.0),
            compliance_policies::richness_assertions.eq(to_json(&body.richness_assertions)?),
            compliance_policies::controls.eq(&spec.controls),
        ))
        .returning(PolicyRow::as_returning())
        .get_result(conn.db())
        .await?;
    row.try_into()
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> StoreResult<StoredPolicy> {
    let row: PolicyRow = compliance_policies::table
        .filter(compliance_policies::id.eq(id))
        .select(PolicyRow::as_select())
        .first(conn.db())
        .await?;
    row.try_into()
}

/// Deletes a policy and answers it as it was.
pub async fn delete(conn: &mut TenantConn, id: Uuid) -> StoreResult<StoredPolicy> {
    let row: PolicyRow =
        diesel::delete(compliance_policies::table.filter(compliance_policies::id.eq(id)))
            .returning(PolicyRow::as_returning())
            .get_result(conn.db())
            .await?;
    row.try_into()
}

fn filtered(query: &PolicyQuery) -> compliance_policies::BoxedQuery<'_, diesel::pg::Pg> {
    let mut select = compliance_policies::table.into_boxed();
    if let Some(compliance_type) = &query.compliance_type {
        select = select.filter(compliance_policies::compliance_type.eq(compliance_type));
    }
    if let Some(display_name) = &query.display_name {
        select = select.filter(compliance_policies::display_name.eq(display_name));
    }
    if let Some(description) = &query.description {
        select = select.filter(compliance_policies::description.eq(description));
    }
    select
}

/// Policies in creation order, one page.
pub async fn list(conn: &mut TenantConn, query: &PolicyQuery) -> StoreResult<Vec<StoredPolicy>> {
    let rows: Vec<PolicyRow> = filtered(query)
        .filter(compliance_policies::seq.gt(query.after_seq.unwrap_or(0)))
        .order(compliance_policies::seq)
        .limit(query.limit)
        .select(PolicyRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// How many policies match, ignoring paging.
pub async fn count(conn: &mut TenantConn, query: &PolicyQuery) -> StoreResult<i64> {
    Ok(filtered(query).count().get_result(conn.db()).await?)
}

/// Every policy of the org, in creation order: what a compliance check tests against.
pub async fn all(conn: &mut TenantConn) -> StoreResult<Vec<StoredPolicy>> {
    let rows: Vec<PolicyRow> = compliance_policies::table
        .order(compliance_policies::seq)
        .select(PolicyRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

//! Policy rules: what the policy engine permits, denies or escalates, per connector and action.

use compliance_core::PolicyRule;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::parsed;
use crate::schema::policy_rules;
use crate::{StoreError, StoreResult, TenantConn};

/// A policy rule to add, for one agent or (`agent_id` `None`) every agent of the org.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    pub id: Uuid,
    pub agent_id: Option<Uuid>,
    pub rule: PolicyRule,
}

/// A stored policy rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRecord {
    pub id: Uuid,
    pub agent_id: Option<Uuid>,
    pub rule: PolicyRule,
    pub created_at: OffsetDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = policy_rules, check_for_backend(diesel::pg::Pg))]
struct RuleRow {
    id: Uuid,
    name: String,
    agent_id: Option<Uuid>,
    rule_type: String,
    connector: String,
    action_pattern: String,
    risk_threshold: i32,
    created_at: OffsetDateTime,
}

impl TryFrom<RuleRow> for RuleRecord {
    type Error = StoreError;

    fn try_from(row: RuleRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            agent_id: row.agent_id,
            rule: PolicyRule {
                name: row.name,
                rule_type: parsed("rule_type", &row.rule_type)?,
                connector: row.connector,
                action_pattern: row.action_pattern,
                risk_threshold: row.risk_threshold,
            },
            created_at: row.created_at,
        })
    }
}

pub async fn create(conn: &mut TenantConn, rule: &NewRule) -> StoreResult<RuleRecord> {
    let org = conn.org();
    let row: RuleRow = diesel::insert_into(policy_rules::table)
        .values((
            policy_rules::org_id.eq(org),
            policy_rules::id.eq(rule.id),
            policy_rules::name.eq(&rule.rule.name),
            policy_rules::agent_id.eq(rule.agent_id),
            policy_rules::rule_type.eq(rule.rule.rule_type.as_str()),
            policy_rules::connector.eq(&rule.rule.connector),
            policy_rules::action_pattern.eq(&rule.rule.action_pattern),
            policy_rules::risk_threshold.eq(rule.rule.risk_threshold),
        ))
        .returning(RuleRow::as_returning())
        .get_result(conn.db())
        .await?;
    row.try_into()
}

/// The rules governing one agent (its own and the org-wide ones), or all.
fn governing(agent_id: Option<Uuid>) -> policy_rules::BoxedQuery<'static, diesel::pg::Pg> {
    let query = policy_rules::table.into_boxed();
    match agent_id {
        Some(agent_id) => query.filter(
            policy_rules::agent_id
                .eq(agent_id)
                .or(policy_rules::agent_id.is_null()),
        ),
        None => query,
    }
}

/// Rules in creation order: all, or those governing one agent (its own and the org-wide ones).
pub async fn list(conn: &mut TenantConn, agent_id: Option<Uuid>) -> StoreResult<Vec<RuleRecord>> {
    let rows: Vec<RuleRow> = governing(agent_id)
        .order(policy_rules::seq)
        .select(RuleRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// One page of [`list`] in the same order, and how many there are in all.
pub async fn page(
    conn: &mut TenantConn,
    agent_id: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<RuleRecord>, i64)> {
    let rows: Vec<RuleRow> = governing(agent_id)
        .order(policy_rules::seq)
        .limit(limit)
        .offset(offset)
        .select(RuleRow::as_select())
        .load(conn.db())
        .await?;
    let total = governing(agent_id).count().get_result(conn.db()).await?;
    let rules = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<_>>()?;
    Ok((rules, total))
}

//! Policy rules: what the policy engine permits, denies or escalates, per connector and action.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::policy_rules;
use crate::{StoreResult, TenantConn};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    pub id: Uuid,
    pub name: String,
    /// The agent it governs; `None` for every agent of the org.
    pub agent_id: Option<Uuid>,
    /// `permit`, `deny` or `escalate`.
    pub rule_type: String,
    pub connector: String,
    /// A glob over actions, such as `detections:*`.
    pub action_pattern: String,
    /// 0–100.
    pub risk_threshold: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRecord {
    pub rule: NewRule,
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

impl From<RuleRow> for RuleRecord {
    fn from(row: RuleRow) -> Self {
        Self {
            rule: NewRule {
                id: row.id,
                name: row.name,
                agent_id: row.agent_id,
                rule_type: row.rule_type,
                connector: row.connector,
                action_pattern: row.action_pattern,
                risk_threshold: row.risk_threshold,
            },
            created_at: row.created_at,
        }
    }
}

pub async fn create(conn: &mut TenantConn, rule: &NewRule) -> StoreResult<RuleRecord> {
    let org = conn.org();
    let row: RuleRow = diesel::insert_into(policy_rules::table)
        .values((
            policy_rules::org_id.eq(org),
            policy_rules::id.eq(rule.id),
            policy_rules::name.eq(&rule.name),
            policy_rules::agent_id.eq(rule.agent_id),
            policy_rules::rule_type.eq(&rule.rule_type),
            policy_rules::connector.eq(&rule.connector),
            policy_rules::action_pattern.eq(&rule.action_pattern),
            policy_rules::risk_threshold.eq(rule.risk_threshold),
        ))
        .returning(RuleRow::as_returning())
        .get_result(conn.db())
        .await?;
    Ok(row.into())
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
    Ok(rows.into_iter().map(Into::into).collect())
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
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

//! The audit figures a compliance package reports, computed by PostgreSQL with GROUP BY: an
//! agent's trail is never loaded into memory.

use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::events;
use crate::{StoreResult, TenantConn};

/// Audit entries of one kind: action type × connector × verdict × status, with their span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditGroup {
    pub action_type: String,
    pub connector: Option<String>,
    pub policy_verdict: Option<String>,
    pub status: Option<String>,
    pub count: i64,
    pub first: OffsetDateTime,
    pub last: OffsetDateTime,
}

/// The agent's trail before `until`, grouped; every package figure derives from these rows.
/// One index-only scan of `events_figures`.
pub async fn audit_groups(
    conn: &mut TenantConn,
    agent_id: Uuid,
    until: OffsetDateTime,
) -> StoreResult<Vec<AuditGroup>> {
    let rows: Vec<GroupRow> = events::table
        .filter(events::asset_id.eq(agent_id))
        .filter(events::occurred_at.lt(until))
        .group_by((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
        ))
        .select((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
            count_star(),
            min(events::occurred_at),
            max(events::occurred_at),
        ))
        .order((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
        ))
        .load(conn.db())
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            // A group always has rows, so min and max are never NULL.
            Some(AuditGroup {
                action_type: row.action_type,
                connector: row.connector,
                policy_verdict: row.policy_verdict,
                status: row.status,
                count: row.count,
                first: row.first?,
                last: row.last?,
            })
        })
        .collect())
}

#[derive(Queryable)]
struct GroupRow {
    action_type: String,
    connector: Option<String>,
    policy_verdict: Option<String>,
    status: Option<String>,
    count: i64,
    first: Option<OffsetDateTime>,
    last: Option<OffsetDateTime>,
}

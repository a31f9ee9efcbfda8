//! Agents: an agent is an asset (same id, `arc_display_type` "AI Agent") plus its declared intent.

use compliance_core::AgentProfile;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::assets::{self, NewAsset};
use super::strings;
use crate::schema::agents;
use crate::{StoreResult, TenantConn};

/// The `arc_display_type` of the asset behind every agent.
pub const AGENT_DISPLAY_TYPE: &str = "AI Agent";

/// A registered agent: its profile, as it declared itself, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub profile: AgentProfile,
    pub created_at: OffsetDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = agents, check_for_backend(diesel::pg::Pg))]
struct AgentRow {
    id: Uuid,
    name: String,
    description: String,
    permitted_systems: Vec<Option<String>>,
    permitted_actions: Vec<Option<String>>,
    permitted_data_types: Vec<Option<String>>,
    max_actions_per_hour: Option<i32>,
    created_at: OffsetDateTime,
    discovered: bool,
}

impl From<AgentRow> for AgentRecord {
    fn from(row: AgentRow) -> Self {
        Self {
            profile: AgentProfile {
                id: row.id,
                name: row.name,
                description: row.description,
                permitted_systems: strings(row.permitted_systems),
                permitted_actions: strings(row.permitted_actions),
                permitted_data_types: strings(row.permitted_data_types),
                max_actions_per_hour: row.max_actions_per_hour,
                discovered: row.discovered,
            },
            created_at: row.created_at,
        }
    }
}

/// Registers the agent and the asset behind it.
pub async fn create(conn: &mut TenantConn, agent: &AgentProfile) -> StoreResult<AgentRecord> {
    let asset = NewAsset {
        id: agent.id,
        attributes: [
            ("arc_display_type", AGENT_DISPLAY_TYPE),
            ("arc_display_name", agent.name.as_str()),
            ("arc_description", agent.description.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        behaviours: vec!["RecordEvidence".to_owned()],
    };
    assets::create(conn, &asset).await?;
    let org = conn.org();
    let row: AgentRow = diesel::insert_into(agents::table)
        .values((
            agents::org_id.eq(org),
            agents::id.eq(agent.id),
            agents::name.eq(&agent.name),
            agents::description.eq(&agent.description),
            agents::permitted_systems.eq(&agent.permitted_systems),
            agents::permitted_actions.eq(&agent.permitted_actions),
            agents::permitted_data_types.eq(&agent.permitted_data_types),
            agents::max_actions_per_hour.eq(agent.max_actions_per_hour),
            agents::discovered.eq(agent.discovered),
        ))
        .returning(AgentRow::as_returning())
        .get_result(conn.db())
        .await?;
    Ok(row.into())
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> StoreResult<AgentRecord> {
    let row: AgentRow = agents::table
        .filter(agents::id.eq(id))
        .select(AgentRow::as_select())
        .first(conn.db())
        .await?;
    Ok(row.into())
}

/// Agents in registration order, one page, and how many there are.
pub async fn list(
    conn: &mut TenantConn,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<AgentRecord>, i64)> {
    let rows: Vec<AgentRow> = agents::table
        .order(agents::seq)
        .limit(limit)
        .offset(offset)
        .select(AgentRow::as_select())
        .load(conn.db())
        .await?;
    let total = agents::table.count().get_result(conn.db()).await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

/// Serializes additions to one inventory — an agent's connectors or rules, or an org's org-wide
/// rules (`scope` is then the org's id) — until the transaction ends, so that a count checked
/// before an insert still holds when it commits.
pub async fn lock_inventory(conn: &mut TenantConn, scope: Uuid) -> StoreResult<()> {
    use diesel_async::SimpleAsyncConnection;
    // The key is derived from a UUID: no user text reaches the SQL.
    conn.db()
        .batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(hashtextextended('inventory:{scope}', 0))"
        ))
        .await?;
    Ok(())
}

/// The org's agents named `name`, in registration order: each id, and whether it was discovered.
pub async fn named(conn: &mut TenantConn, name: &str) -> StoreResult<Vec<(Uuid, bool)>> {
    Ok(agents::table
        .filter(agents::name.eq(name))
        .order(agents::seq)
        .select((agents::id, agents::discovered))
        .load(conn.db())
        .await?)
}

/// Which of `ids` are the org's agents.
pub async fn existing(conn: &mut TenantConn, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    Ok(agents::table
        .filter(agents::id.eq_any(ids))
        .select(agents::id)
        .load(conn.db())
        .await?)
}

/// Serializes, until the caller's transaction ends, the discovery of agents named `name`: two
/// exports naming a new agent at once make one agent, not two.
pub async fn lock_name(conn: &mut TenantConn, name: &str) -> StoreResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('compliance_agent_name:' || $1 || ':' || $2, 0))")
        .bind::<diesel::sql_types::Text, _>(conn.org().to_string())
        .bind::<diesel::sql_types::Text, _>(name)
        .execute(conn.db())
        .await?;
    Ok(())
}

//! An agent's connector configurations: which vendor systems it reaches, for what, and where.
//! No credentials are stored.

use compliance_core::ConnectorConfig;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::strings;
use crate::schema::connectors;
use crate::{StoreResult, TenantConn};

/// A connector configuration to add to an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewConnector {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub config: ConnectorConfig,
}

/// A stored connector configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRecord {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub config: ConnectorConfig,
    pub created_at: OffsetDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = connectors, check_for_backend(diesel::pg::Pg))]
struct ConnectorRow {
    id: Uuid,
    agent_id: Uuid,
    connector_type: String,
    vendor: String,
    purpose: String,
    data_categories: Vec<Option<String>>,
    region: String,
    permitted_operations: Vec<Option<String>>,
    created_at: OffsetDateTime,
}

impl From<ConnectorRow> for ConnectorRecord {
    fn from(row: ConnectorRow) -> Self {
        Self {
            id: row.id,
            agent_id: row.agent_id,
            config: ConnectorConfig {
                connector_type: row.connector_type,
                vendor: row.vendor,
                purpose: row.purpose,
                data_categories: strings(row.data_categories),
                region: row.region,
                permitted_operations: strings(row.permitted_operations),
            },
            created_at: row.created_at,
        }
    }
}

pub async fn create(
    conn: &mut TenantConn,
    connector: &NewConnector,
) -> StoreResult<ConnectorRecord> {
    let org = conn.org();
    let row: ConnectorRow = diesel::insert_into(connectors::table)
        .values((
            connectors::org_id.eq(org),
            connectors::id.eq(connector.id),
            connectors::agent_id.eq(connector.agent_id),
            connectors::connector_type.eq(&connector.config.connector_type),
            connectors::vendor.eq(&connector.config.vendor),
            connectors::purpose.eq(&connector.config.purpose),
            connectors::data_categories.eq(&connector.config.data_categories),
            connectors::region.eq(&connector.config.region),
            connectors::permitted_operations.eq(&connector.config.permitted_operations),
        ))
        .returning(ConnectorRow::as_returning())
        .get_result(conn.db())
        .await?;
    Ok(row.into())
}

/// The connectors of one agent, or all.
fn of_agent(agent_id: Option<Uuid>) -> connectors::BoxedQuery<'static, diesel::pg::Pg> {
    let query = connectors::table.into_boxed();
    match agent_id {
        Some(agent_id) => query.filter(connectors::agent_id.eq(agent_id)),
        None => query,
    }
}

/// Connectors in creation order, of one agent or of all.
pub async fn list(
    conn: &mut TenantConn,
    agent_id: Option<Uuid>,
) -> StoreResult<Vec<ConnectorRecord>> {
    let rows: Vec<ConnectorRow> = of_agent(agent_id)
        .order(connectors::seq)
        .select(ConnectorRow::as_select())
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
) -> StoreResult<(Vec<ConnectorRecord>, i64)> {
    let rows: Vec<ConnectorRow> = of_agent(agent_id)
        .order(connectors::seq)
        .limit(limit)
        .offset(offset)
        .select(ConnectorRow::as_select())
        .load(conn.db())
        .await?;
    let total = of_agent(agent_id).count().get_result(conn.db()).await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

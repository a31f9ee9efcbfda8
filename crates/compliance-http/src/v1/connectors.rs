//! An agent's connector configurations: which vendor systems it reaches, for what, and where.

use actix_web::HttpResponse;
use actix_web::web::{Json, Query};
use compliance_core::ConnectorConfig;
use compliance_store::agents;
use compliance_store::connectors::{self, ConnectorRecord, NewConnector};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{ByAgent, known_agent, valid_names, valid_operations};
use crate::idempotent::Written;
use crate::permission::{Read, Record};
use crate::request::{Body, RequestBody, validated};
use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// Most connector configurations one agent may have: each is in every package and PDF.
pub const MAX_CONNECTORS_PER_AGENT: i64 = 100;

/// POST /v1/connectors. No credentials are accepted: an unknown field is refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRequest {
    pub agent_id: Uuid,
    /// The system kind, such as `crowdstrike`: what audit entries name as `connector`.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub connector_type: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub vendor: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub purpose: String,
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    #[schema(value_type = Vec<crate::openapi::schema::Name>, max_items = 100)]
    pub data_categories: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub region: String,
    /// `resource:action` operations the agent may perform through it.
    #[serde(default)]
    #[validate(
        custom(function = "valid_operations"),
        custom(function = "valid_names")
    )]
    #[schema(value_type = Vec<crate::openapi::schema::Operation>, max_items = 100)]
    pub permitted_operations: Vec<String>,
}

impl RequestBody for ConnectorRequest {
    fn check(&self) -> ApiResult<()> {
        validated(self)
    }
}

impl ConnectorRequest {
    fn connector(&self) -> NewConnector {
        NewConnector {
            id: Uuid::new_v4(),
            agent_id: self.agent_id,
            config: ConnectorConfig {
                connector_type: self.connector_type.clone(),
                vendor: self.vendor.clone(),
                purpose: self.purpose.clone(),
                data_categories: self.data_categories.clone(),
                region: self.region.clone(),
                permitted_operations: self.permitted_operations.clone(),
            },
        }
    }
}

/// A connector configuration as the API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorView {
    pub id: Uuid,
    pub agent_id: Uuid,
    #[serde(flatten)]
    pub config: ConnectorConfig,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&ConnectorRecord> for ConnectorView {
    fn from(record: &ConnectorRecord) -> Self {
        Self {
            id: record.id,
            agent_id: record.agent_id,
            config: record.config.clone(),
            created_at: record.created_at,
        }
    }
}

/// A page of connector configurations, in creation order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    pub connectors: Vec<ConnectorView>,
    /// Connectors in all pages.
    pub total: i64,
}

/// Adds a connector configuration to an agent (at most 100 per agent).
#[utoipa::path(post, path = "/v1/connectors", tag = "connectors", request_body = ConnectorRequest,
    responses((status = 201, description = "Added", body = ConnectorView)))]
pub async fn create(
    tenant: Tenant<Record>,
    body: Body<ConnectorRequest>,
) -> ApiResult<HttpResponse> {
    let connector = body.connector();
    tenant
        .write(&body, async |conn| {
            agents::get(conn, connector.agent_id)
                .await
                .or_404("agent")?;
            agents::lock_inventory(conn, connector.agent_id).await?;
            let (_, configured) = connectors::page(conn, Some(connector.agent_id), 1, 0).await?;
            if configured >= MAX_CONNECTORS_PER_AGENT {
                return Err(ApiError::unprocessable(format!(
                    "agent_id: the agent already has {MAX_CONNECTORS_PER_AGENT} connectors, \
                     the most one may have"
                )));
            }
            let created = connectors::create(conn, &connector).await?;
            Written::created(&ConnectorView::from(&created))
        })
        .await
}

/// Connector configurations, of one agent or all, in creation order.
#[utoipa::path(get, path = "/v1/connectors", tag = "connectors", params(ByAgent),
    responses((status = 200, description = "A page of connectors", body = ConnectorList)))]
pub async fn list(tenant: Tenant<Read>, query: Query<ByAgent>) -> ApiResult<Json<ConnectorList>> {
    let window = query.window()?;
    let (connectors, total) = tenant
        .transact(async |conn| {
            known_agent(conn, query.agent_id).await.or_404("agent")?;
            Ok(connectors::page(conn, query.agent_id, window.limit, window.offset).await?)
        })
        .await?;
    let connectors = connectors.iter().map(ConnectorView::from).collect();
    Ok(Json(ConnectorList { connectors, total }))
}

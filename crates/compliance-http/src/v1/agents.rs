//! Agents: registered with what they declare they will do.

use actix_web::HttpResponse;
use actix_web::web::{Json, Path, Query};
use compliance_core::AgentProfile;
use compliance_store::agents::{self, AgentRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{Paging, valid_names, valid_operations};
use crate::idempotent::Written;
use crate::paging::Window;
use crate::permission::{Read, Record};
use crate::request::{Body, RequestBody, uuid, validated, whole};
use crate::{ApiResult, OrNotFound, Tenant};

/// What the agent declares it will do; the package holds it to this.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredIntent {
    /// Systems it may reach, such as `crowdstrike`.
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    #[schema(value_type = Vec<crate::openapi::schema::Name>, max_items = 100)]
    pub permitted_systems: Vec<String>,
    /// `resource:action` operations, such as `detections:read` or `detections:*`.
    #[serde(default)]
    #[validate(
        custom(function = "valid_operations"),
        custom(function = "valid_names")
    )]
    #[schema(value_type = Vec<crate::openapi::schema::Operation>, max_items = 100)]
    pub permitted_actions: Vec<String>,
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    #[schema(value_type = Vec<crate::openapi::schema::Name>, max_items = 100)]
    pub permitted_data_types: Vec<String>,
    #[serde(default, deserialize_with = "whole::option_i32")]
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub max_actions_per_hour: Option<i32>,
}

/// POST /v1/agents
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub description: String,
    #[serde(default)]
    #[validate(nested)]
    pub declared_intent: DeclaredIntent,
}

impl RequestBody for AgentRequest {
    fn check(&self) -> ApiResult<()> {
        validated(self)
    }
}

impl AgentRequest {
    /// The new agent's profile, under a fresh id.
    fn profile(&self) -> AgentProfile {
        let intent = &self.declared_intent;
        AgentProfile {
            id: Uuid::new_v4(),
            name: self.name.clone(),
            description: self.description.clone(),
            permitted_systems: intent.permitted_systems.clone(),
            permitted_actions: intent.permitted_actions.clone(),
            permitted_data_types: intent.permitted_data_types.clone(),
            max_actions_per_hour: intent.max_actions_per_hour,
            discovered: false,
        }
    }
}

/// An agent as the API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    pub id: Uuid,
    /// The archivist asset behind the agent: `assets/<id>`.
    pub asset_identity: String,
    pub name: String,
    pub description: String,
    pub declared_intent: DeclaredIntent,
    /// First seen in its traces (`POST /v1/traces`), never registered: it declared nothing.
    pub discovered: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&AgentRecord> for AgentView {
    fn from(record: &AgentRecord) -> Self {
        let profile = &record.profile;
        Self {
            id: profile.id,
            asset_identity: format!("assets/{}", profile.id),
            name: profile.name.clone(),
            description: profile.description.clone(),
            declared_intent: DeclaredIntent {
                permitted_systems: profile.permitted_systems.clone(),
                permitted_actions: profile.permitted_actions.clone(),
                permitted_data_types: profile.permitted_data_types.clone(),
                max_actions_per_hour: profile.max_actions_per_hour,
            },
            discovered: profile.discovered,
            created_at: record.created_at,
        }
    }
}

/// A page of agents, in registration order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    pub agents: Vec<AgentView>,
    /// Agents in all pages.
    pub total: i64,
}

/// Registers an agent (and the archivist asset behind it).
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = AgentRequest,
    responses((status = 201, description = "Registered", body = AgentView)))]
pub async fn create(tenant: Tenant<Record>, body: Body<AgentRequest>) -> ApiResult<HttpResponse> {
    let profile = body.profile();
    tenant
        .write(&body, async |conn| {
            let created = agents::create(conn, &profile).await?;
            Written::created(&AgentView::from(&created))
        })
        .await
}

/// One agent.
#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = Uuid, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent", body = AgentView)))]
pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<AgentView>> {
    let id = uuid("id", &id)?;
    let agent = tenant
        .transact(async |conn| agents::get(conn, id).await.or_404("agent"))
        .await?;
    Ok(Json(AgentView::from(&agent)))
}

/// The org's agents, in registration order.
#[utoipa::path(get, path = "/v1/agents", tag = "agents", params(Paging),
    responses((status = 200, description = "A page of agents", body = AgentList)))]
pub async fn list(tenant: Tenant<Read>, query: Query<Paging>) -> ApiResult<Json<AgentList>> {
    let window = Window::new(query.limit, query.offset)?;
    let (agents, total) = tenant
        .transact(async |conn| Ok(agents::list(conn, window.limit, window.offset).await?))
        .await?;
    let agents = agents.iter().map(AgentView::from).collect();
    Ok(Json(AgentList { agents, total }))
}

//! Agents, their connector configurations and policy rules.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use compliance_store::StoreError;
use compliance_store::agents::{self, AgentRecord, NewAgent};
use compliance_store::connectors::{self, ConnectorRecord, NewConnector};
use compliance_store::rules::{self, NewRule, RuleRecord};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use validator::Validate;

use super::{invalid, known_agent, limit_offset, one_of};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::request::{json_body, rfc3339, uuid};
use crate::{ApiResult, AppState, missing};

/// Most connector configurations one agent may have: each is in every package and PDF.
pub const MAX_CONNECTORS_PER_AGENT: i64 = 100;
/// Most policy rules that may apply to one agent (its own and the org-wide ones), and org-wide.
pub const MAX_RULES: i64 = 1000;

/// `resource:action`, where action may be `*`.
fn valid_operation(text: &str) -> Result<(), validator::ValidationError> {
    match text.split_once(':') {
        Some((resource, action))
            if !resource.is_empty() && !action.is_empty() && !action.contains(':') =>
        {
            Ok(())
        }
        _ => Err(validator::ValidationError::new("operation").with_message(
            "must be resource:action, such as detections:read or detections:*".into(),
        )),
    }
}

fn valid_operations(list: &[String]) -> Result<(), validator::ValidationError> {
    list.iter().try_for_each(|op| valid_operation(op))
}

fn valid_names(list: &[String]) -> Result<(), validator::ValidationError> {
    if list.len() > 100
        || list
            .iter()
            .any(|n| n.trim().is_empty() || n.chars().count() > 200)
    {
        return Err(validator::ValidationError::new("names")
            .with_message("at most 100 non-blank names of at most 200 characters".into()));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct DeclaredIntent {
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    pub permitted_systems: Vec<String>,
    #[serde(default)]
    #[validate(
        custom(function = "valid_operations"),
        custom(function = "valid_names")
    )]
    pub permitted_actions: Vec<String>,
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    pub permitted_data_types: Vec<String>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub max_actions_per_hour: Option<i32>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 4000))]
    pub description: String,
    #[serde(default)]
    #[validate(nested)]
    pub declared_intent: DeclaredIntent,
}

pub fn agent_json(record: &AgentRecord) -> Value {
    let a = &record.agent;
    json!({
        "id": a.id,
        "asset_identity": format!("assets/{}", a.id),
        "name": a.name,
        "description": a.description,
        "declared_intent": {
            "permitted_systems": a.permitted_systems,
            "permitted_actions": a.permitted_actions,
            "permitted_data_types": a.permitted_data_types,
            "max_actions_per_hour": a.max_actions_per_hour,
        },
        "created_at": rfc3339(record.created_at),
    })
}

/// POST /v1/agents
pub async fn create_agent(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let request: AgentRequest = json_body(&req, &body)?;
    request.validate().map_err(|e| invalid(&e))?;
    let agent = NewAgent {
        id: Uuid::new_v4(),
        name: request.name,
        description: request.description,
        permitted_systems: request.declared_intent.permitted_systems,
        permitted_actions: request.declared_intent.permitted_actions,
        permitted_data_types: request.declared_intent.permitted_data_types,
        max_actions_per_hour: request.declared_intent.max_actions_per_hour,
    };
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let created = agents::create(&mut *conn, &agent).await?;
        Written::new(StatusCode::CREATED, &agent_json(&created))
    })
    .await
}

/// GET /v1/agents/{id}
pub async fn read_agent(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("id", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let agent = agents::get(&mut conn, id).await;
    let agent = conn.end(agent).await.map_err(missing("agent"))?;
    Ok(HttpResponse::Ok().json(agent_json(&agent)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// GET /v1/agents
pub async fn list_agents(
    caller: Caller,
    state: Data<AppState>,
    query: Query<Paging>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = limit_offset(query.limit, query.offset)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let listed = agents::list(&mut conn, limit, offset).await;
    let (listed, total) = conn.end(listed).await?;
    let agents: Vec<Value> = listed.iter().map(agent_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "agents": agents, "total": total })))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRequest {
    pub agent_id: Uuid,
    #[validate(length(min = 1, max = 100))]
    pub connector_type: String,
    #[validate(length(min = 1, max = 200))]
    pub vendor: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    pub purpose: String,
    #[serde(default)]
    #[validate(custom(function = "valid_names"))]
    pub data_categories: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    pub region: String,
    #[serde(default)]
    #[validate(
        custom(function = "valid_operations"),
        custom(function = "valid_names")
    )]
    pub permitted_operations: Vec<String>,
}

pub fn connector_json(record: &ConnectorRecord) -> Value {
    let c = &record.connector;
    json!({
        "id": c.id,
        "agent_id": c.agent_id,
        "connector_type": c.connector_type,
        "vendor": c.vendor,
        "purpose": c.purpose,
        "data_categories": c.data_categories,
        "region": c.region,
        "permitted_operations": c.permitted_operations,
        "created_at": rfc3339(record.created_at),
    })
}

/// POST /v1/connectors. No credentials are accepted: an unknown field is refused.
pub async fn create_connector(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let request: ConnectorRequest = json_body(&req, &body)?;
    request.validate().map_err(|e| invalid(&e))?;
    let connector = NewConnector {
        id: Uuid::new_v4(),
        agent_id: request.agent_id,
        connector_type: request.connector_type,
        vendor: request.vendor,
        purpose: request.purpose,
        data_categories: request.data_categories,
        region: request.region,
        permitted_operations: request.permitted_operations,
    };
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let created = async {
            agents::get(&mut *conn, connector.agent_id).await?;
            agents::lock_inventory(&mut *conn, connector.agent_id).await?;
            let (_, configured) = connectors::page(&mut *conn, Some(connector.agent_id), 1, 0).await?;
            if configured >= MAX_CONNECTORS_PER_AGENT {
                return Err(StoreError::Invalid(format!(
                    "agent_id: the agent already has {MAX_CONNECTORS_PER_AGENT} connectors, the most one may have"
                )));
            }
            connectors::create(&mut *conn, &connector).await
        }
        .await.map_err(missing("agent"))?;
        Written::new(StatusCode::CREATED, &connector_json(&created))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByAgent {
    agent_id: Option<Uuid>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// GET /v1/connectors?agent_id=&limit=&offset=: in creation order, with the total.
pub async fn list_connectors(
    caller: Caller,
    state: Data<AppState>,
    query: Query<ByAgent>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = limit_offset(query.limit, query.offset)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let listed = async {
        known_agent(&mut conn, query.agent_id).await?;
        connectors::page(&mut conn, query.agent_id, limit, offset).await
    }
    .await;
    let (listed, total) = conn.end(listed).await.map_err(missing("agent"))?;
    let connectors: Vec<Value> = listed.iter().map(connector_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "total": total, "connectors": connectors })))
}

fn valid_rule_type(text: &str) -> Result<(), validator::ValidationError> {
    one_of(text, &["permit", "deny", "escalate"], "rule_type")
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    pub agent_id: Option<Uuid>,
    #[validate(custom(function = "valid_rule_type"))]
    pub rule_type: String,
    #[validate(length(min = 1, max = 100))]
    pub connector: String,
    #[validate(custom(function = "valid_operation"))]
    pub action_pattern: String,
    #[validate(range(min = 0, max = 100))]
    pub risk_threshold: i32,
}

pub fn rule_json(record: &RuleRecord) -> Value {
    let r = &record.rule;
    json!({
        "id": r.id,
        "name": r.name,
        "agent_id": r.agent_id,
        "rule_type": r.rule_type,
        "connector": r.connector,
        "action_pattern": r.action_pattern,
        "risk_threshold": r.risk_threshold,
        "created_at": rfc3339(record.created_at),
    })
}

/// POST /v1/policies (admin)
pub async fn create_rule(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::AdministerPolicies)?;
    let request: RuleRequest = json_body(&req, &body)?;
    request.validate().map_err(|e| invalid(&e))?;
    let rule = NewRule {
        id: Uuid::new_v4(),
        name: request.name,
        agent_id: request.agent_id,
        rule_type: request.rule_type,
        connector: request.connector,
        action_pattern: request.action_pattern,
        risk_threshold: request.risk_threshold,
    };
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let created = async {
            if let Some(agent) = rule.agent_id {
                agents::get(&mut *conn, agent).await?;
            }
            // An agent's own rules and the org-wide ones all reach its package.
            let scope = rule.agent_id.unwrap_or(conn.org());
            agents::lock_inventory(&mut *conn, scope).await?;
            let (_, existing) = rules::page(&mut *conn, rule.agent_id, 1, 0).await?;
            if existing >= MAX_RULES {
                return Err(StoreError::Invalid(format!(
                    "agent_id: {MAX_RULES} policy rules already apply, the most there may be"
                )));
            }
            rules::create(&mut *conn, &rule).await
        }
        .await
        .map_err(missing("agent"))?;
        Written::new(StatusCode::CREATED, &rule_json(&created))
    })
    .await
}

/// GET /v1/policies?agent_id=&limit=&offset=: in creation order, with the total.
pub async fn list_rules(
    caller: Caller,
    state: Data<AppState>,
    query: Query<ByAgent>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = limit_offset(query.limit, query.offset)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let listed = async {
        known_agent(&mut conn, query.agent_id).await?;
        rules::page(&mut conn, query.agent_id, limit, offset).await
    }
    .await;
    let (listed, total) = conn.end(listed).await.map_err(missing("agent"))?;
    let rules: Vec<Value> = listed.iter().map(rule_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "total": total, "policies": rules })))
}

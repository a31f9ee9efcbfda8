//! The policy engine's rules: what it permits, denies or escalates, per connector and action.
//! (The archivist's compliance policies are another thing: `crate::archivist`.)

use actix_web::HttpResponse;
use actix_web::web::{Json, Query};
use compliance_core::{PolicyRule, RuleType};
use compliance_store::agents;
use compliance_store::rules::{self, NewRule, RuleRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{ByAgent, known_agent, valid_operation};
use crate::idempotent::Written;
use crate::permission::{ManagePolicyRules, Read};
use crate::request::{Body, RequestBody, validated, whole};
use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// Most policy rules that may apply to one agent (its own and the org-wide ones), and org-wide.
pub const MAX_RULES: i64 = 1000;

/// POST /v1/policies
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The agent it governs; every agent of the org when absent.
    pub agent_id: Option<Uuid>,
    pub rule_type: RuleType,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub connector: String,
    /// A glob over actions, such as `detections:*`.
    #[validate(custom(function = "valid_operation"))]
    #[schema(value_type = crate::openapi::schema::Operation)]
    pub action_pattern: String,
    #[serde(deserialize_with = "whole::i32")]
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub risk_threshold: i32,
}

impl RequestBody for RuleRequest {
    fn check(&self) -> ApiResult<()> {
        validated(self)
    }
}

impl RuleRequest {
    fn rule(&self) -> NewRule {
        NewRule {
            id: Uuid::new_v4(),
            agent_id: self.agent_id,
            rule: PolicyRule {
                name: self.name.clone(),
                rule_type: self.rule_type,
                connector: self.connector.clone(),
                action_pattern: self.action_pattern.clone(),
                risk_threshold: self.risk_threshold,
            },
        }
    }
}

/// A policy rule as the API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    /// `null` for a rule over every agent of the org.
    pub agent_id: Option<Uuid>,
    #[serde(flatten)]
    pub rule: PolicyRule,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&RuleRecord> for RuleView {
    fn from(record: &RuleRecord) -> Self {
        Self {
            id: record.id,
            agent_id: record.agent_id,
            rule: record.rule.clone(),
            created_at: record.created_at,
        }
    }
}

/// A page of policy rules, in creation order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub policies: Vec<RuleView>,
    /// Rules in all pages.
    pub total: i64,
}

/// Adds a policy rule, for one agent or the whole org (at most 1000 apply to an agent).
#[utoipa::path(post, path = "/v1/policies", tag = "policy rules", request_body = RuleRequest,
    responses((status = 201, description = "Added", body = RuleView)))]
pub async fn create(
    tenant: Tenant<ManagePolicyRules>,
    body: Body<RuleRequest>,
) -> ApiResult<HttpResponse> {
    let rule = body.rule();
    tenant
        .write(&body, async |conn| {
            known_agent(conn, rule.agent_id).await.or_404("agent")?;
            // An agent's own rules and the org-wide ones all reach its package.
            let scope = rule.agent_id.unwrap_or(conn.org());
            agents::lock_inventory(conn, scope).await?;
            let (_, existing) = rules::page(conn, rule.agent_id, 1, 0).await?;
            if existing >= MAX_RULES {
                return Err(ApiError::unprocessable(format!(
                    "agent_id: {MAX_RULES} policy rules already apply, the most there may be"
                )));
            }
            let created = rules::create(conn, &rule).await?;
            Written::created(&RuleView::from(&created))
        })
        .await
}

/// Policy rules: all, or those governing one agent (its own and the org-wide ones).
#[utoipa::path(get, path = "/v1/policies", tag = "policy rules", params(ByAgent),
    responses((status = 200, description = "A page of policy rules", body = RuleList)))]
pub async fn list(tenant: Tenant<Read>, query: Query<ByAgent>) -> ApiResult<Json<RuleList>> {
    let window = query.window()?;
    let (rules, total) = tenant
        .transact(async |conn| {
            known_agent(conn, query.agent_id).await.or_404("agent")?;
            Ok(rules::page(conn, query.agent_id, window.limit, window.offset).await?)
        })
        .await?;
    let policies = rules.iter().map(RuleView::from).collect();
    Ok(Json(RuleList { policies, total }))
}

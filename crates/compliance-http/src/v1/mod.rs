//! The compliance packages API of seed 000, under `/v1`: agents, their connectors and policy
//! rules, the audit trail, and the packages themselves.

pub mod agents;
pub mod audit;
pub mod branding;
pub mod connectors;
pub mod diff;
pub mod keys;
pub mod log;
pub mod oscal;
pub mod packages;
pub mod rules;
pub mod traces;

use compliance_core::Outcome;
use compliance_store::{StoreResult, TenantConn};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::ValidationError;

use crate::ApiResult;
use crate::paging::Window;

/// A `resource:action` operation: one `:`, both sides non-empty (the action may be `*`).
pub const OPERATION_PATTERN: &str = "^[^:]+:[^:]+$";
/// Most names in a list (systems, actions, data categories, operations).
const MAX_NAMES: usize = 100;
/// Longest name in such a list, in characters.
const MAX_NAME: usize = 200;

/// `resource:action`, where action may be `*`.
fn valid_operation(text: &str) -> Result<(), ValidationError> {
    match text.split_once(':') {
        Some((resource, action))
            if !resource.is_empty() && !action.is_empty() && !action.contains(':') =>
        {
            Ok(())
        }
        _ => Err(ValidationError::new("operation").with_message(
            "must be resource:action, such as detections:read or detections:*".into(),
        )),
    }
}

fn valid_operations(list: &[String]) -> Result<(), ValidationError> {
    list.iter().try_for_each(|op| valid_operation(op))
}

/// At most 100 names, each non-blank and at most 200 characters.
fn valid_names(list: &[String]) -> Result<(), ValidationError> {
    if list.len() > MAX_NAMES
        || list
            .iter()
            .any(|n| n.trim().is_empty() || n.chars().count() > MAX_NAME)
    {
        return Err(ValidationError::new("names").with_message(
            format!("at most {MAX_NAMES} non-blank names of at most {MAX_NAME} characters").into(),
        ));
    }
    Ok(())
}

/// The query of a package comparison (`/v1/compliance/{id}/diff`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Against {
    /// The package to compare with: another version of the same agent's package.
    pub against: Uuid,
}

/// The query of a list that may be narrowed to one agent.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ByAgent {
    /// Only this agent's (404 when the org has no such agent).
    agent_id: Option<Uuid>,
    /// Items in the page: 1 to 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Items skipped before the page.
    #[param(minimum = 0, maximum = 9_007_199_254_740_991.0)]
    offset: Option<i64>,
}

impl ByAgent {
    fn window(&self) -> ApiResult<Window> {
        Window::new(self.limit, self.offset)
    }
}

/// The query of the agent list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items in the page: 1 to 1000.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<i64>,
    /// Items skipped before the page.
    #[param(minimum = 0, maximum = 9_007_199_254_740_991.0)]
    pub(crate) offset: Option<i64>,
}

/// GET /v1/audit/{id}/proof
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The tree to prove against: the latest checkpoint's when absent.
    #[param(minimum = 1, maximum = 9_223_372_036_854_775_807_i64)]
    pub tree_size: Option<u64>,
}

/// GET /v1/log/consistency
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree's size.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub from: u64,
    /// The newer tree's size: the latest checkpoint's when absent.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub to: Option<u64>,
}

/// The query of the trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrailQuery {
    /// Only this agent's (404 when the org has no such agent).
    pub(crate) agent_id: Option<Uuid>,
    pub(crate) action_type: Option<String>,
    pub(crate) connector: Option<String>,
    pub(crate) status: Option<Outcome>,
    /// Items in the page: 1 to 1000.
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<i64>,
    /// Items skipped before the page.
    #[param(minimum = 0, maximum = 9_007_199_254_740_991.0)]
    pub(crate) offset: Option<i64>,
}

/// A list filtered by an agent names one of the caller's: another org's, or none, is a 404
/// (exactly alike), never an empty list that looks like an agent without entries.
pub(crate) async fn known_agent(conn: &mut TenantConn, agent: Option<Uuid>) -> StoreResult<()> {
    if let Some(agent) = agent {
        compliance_store::agents::get(conn, agent).await?;
    }
    Ok(())
}

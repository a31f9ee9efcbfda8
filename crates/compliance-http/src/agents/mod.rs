//! The compliance packages API of seed 000, under `/v1`: agents, connectors, policy rules, the
//! audit trail, and the packages themselves.

pub mod audit;
pub mod packages;
pub mod registry;

use compliance_store::{StoreResult, TenantConn, agents};
use uuid::Uuid;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::ApiError;

/// The first validation error, naming its field (nested fields as `parent.child`).
pub(crate) fn invalid(errors: &ValidationErrors) -> ApiError {
    fn first(errors: &ValidationErrors, prefix: &str) -> Option<String> {
        let mut fields: Vec<_> = errors.errors().iter().collect();
        fields.sort_by_key(|(name, _)| name.to_string());
        for (field, kind) in fields {
            let path = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            match kind {
                ValidationErrorsKind::Field(list) => {
                    if let Some(error) = list.first() {
                        let message = error
                            .message
                            .as_ref()
                            .map_or_else(|| error.code.to_string(), ToString::to_string);
                        return Some(format!("{path}: {message}"));
                    }
                }
                ValidationErrorsKind::Struct(inner) => return first(inner, &path),
                ValidationErrorsKind::List(items) => {
                    if let Some((index, inner)) = items.iter().next() {
                        return first(inner, &format!("{path}[{index}]"));
                    }
                }
            }
        }
        None
    }
    ApiError::bad_request(first(errors, "").unwrap_or_else(|| "invalid request".to_owned()))
}

/// Whether `text` is one of `allowed`; the error lists them.
pub(crate) fn one_of(
    text: &str,
    allowed: &[&str],
    code: &'static str,
) -> Result<(), validator::ValidationError> {
    if allowed.contains(&text) {
        return Ok(());
    }
    let message = format!("must be one of {}", allowed.join(", "));
    Err(validator::ValidationError::new(code).with_message(message.into()))
}

/// `limit` (1–1000, default 100) and `offset` (≥ 0) from a query.
pub(crate) fn limit_offset(
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit: a number from 1 to 1000"));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request("offset: zero or more"));
    }
    Ok((limit, offset))
}

/// A list filtered by an agent names one of the caller's: another org's, or none, is a 404
/// (exactly alike), never an empty list that looks like an agent without entries.
pub(crate) async fn known_agent(conn: &mut TenantConn, agent: Option<Uuid>) -> StoreResult<()> {
    if let Some(agent) = agent {
        agents::get(conn, agent).await?;
    }
    Ok(())
}

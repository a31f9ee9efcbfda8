//! The compliance check (`/archivist/v1/compliance/assets/{uuid}`): an asset against every
//! policy of the org, at a point in time.

use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::{Statement, microseconds};
use compliance_store::compliance::check_asset;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::paging;
use crate::permission::Read;
use crate::request::{in_range, query_pairs, time, unknown_parameter, uuid};
use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// The most statements one response carries; more answer 206 with a page token.
pub const STATEMENT_LIMIT: i64 = 100;

#[derive(Debug, Serialize, Deserialize)]
struct Page {
    /// Unix nanoseconds: a later page answers for the same instant as the first.
    at: i128,
    offset: i64,
    page_size: i64,
}

paging::page_state!(Page, "compliance", offset);

/// One policy's statement about the asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    /// `compliance_policies/<uuid>`.
    pub compliance_policy_identity: String,
    pub compliant: bool,
    /// Why, in words.
    pub reason: String,
}

impl From<&Statement> for StatementView {
    fn from(s: &Statement) -> Self {
        Self {
            compliance_policy_identity: format!("compliance_policies/{}", s.policy),
            compliant: s.compliant,
            reason: s.reason.clone(),
        }
    }
}

/// The asset's compliance at one instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceView {
    /// Whether every policy's statement is compliant.
    pub compliant: bool,
    /// One statement per policy, at most 100 per response.
    pub compliance: Vec<StatementView>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
    /// The instant answered for: `compliant_at`, or the instant of the request.
    #[serde(with = "time::serde::rfc3339")]
    pub compliant_at: OffsetDateTime,
}

/// The asset against every compliance policy of the org, at `compliant_at` (now when absent).
#[utoipa::path(get, path = "/archivist/v1/compliance/assets/{uuid}", tag = "archivist compliance",
    params(
        ("uuid" = Uuid, Path, description = "The asset's id"),
        ("compliant_at" = Option<String>, Query, format = DateTime, description = "RFC 3339; now when absent"),
        ("page_size" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Statements per page"),
        ("page_token" = Option<String>, Query, description = "The previous page's `next_page_token`"),
    ),
    responses(
        (status = 200, description = "Every statement", body = ComplianceView),
        (status = 206, description = "The first statements; more with `next_page_token`", body = ComplianceView),
    ))]
pub async fn check(
    tenant: Tenant<Read>,
    req: HttpRequest,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let asset = uuid("uuid", &id)?;
    let mut at = None;
    let mut size = None;
    let mut token = None;
    for (name, value) in query_pairs(&req)? {
        match name.as_str() {
            "compliant_at" => at = Some(microseconds(time("compliant_at", &value)?)),
            "page_size" => size = paging::page_size(Some(&value))?,
            "page_token" => token = Some(value),
            _ => return Err(unknown_parameter(&name)),
        }
    }
    // The true current instant (to PostgreSQL's microsecond), never cut to whole seconds: an
    // event recorded a moment ago counts (docs/policies.md, "The instant of a check").
    let now = || microseconds(OffsetDateTime::now_utc());
    let mut page = match token.filter(|t| !t.is_empty()) {
        Some(token) => tenant.state().page_tokens.open(tenant.org(), &token)?,
        None => Page {
            at: at.unwrap_or_else(now).unix_timestamp_nanos(),
            offset: 0,
            page_size: STATEMENT_LIMIT,
        },
    };
    if let Some(size) = size {
        page.page_size = size.min(STATEMENT_LIMIT);
    }
    if !(1..=STATEMENT_LIMIT).contains(&page.page_size) || page.offset < 0 {
        return Err(ApiError::bad_request(
            "page_token: not a token this server issued",
        ));
    }
    let at = match at {
        Some(at) if page.offset == 0 => at,
        _ => OffsetDateTime::from_unix_timestamp_nanos(page.at)
            .map_err(|_| ApiError::bad_request("page_token: out of range"))
            .and_then(|at| in_range("page_token", at))?,
    };
    let answer = tenant
        .transact(async |conn| check_asset(conn, asset, at).await.or_404("asset"))
        .await?;
    let start = usize::try_from(page.offset)
        .unwrap_or(usize::MAX)
        .min(answer.statements.len());
    let end = start
        .saturating_add(usize::try_from(page.page_size).unwrap_or(usize::MAX))
        .min(answer.statements.len());
    let more = end < answer.statements.len();
    let next_page_token = if more {
        let next = Page {
            at: at.unix_timestamp_nanos(),
            offset: i64::try_from(end).unwrap_or(i64::MAX),
            page_size: page.page_size,
        };
        tenant.state().page_tokens.seal(tenant.org(), &next)?
    } else {
        String::new()
    };
    let status = if more {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(ComplianceView {
        compliant: answer.compliant,
        compliance: answer.statements[start..end]
            .iter()
            .map(StatementView::from)
            .collect(),
        next_page_token,
        compliant_at: at,
    }))
}

//! The archivist's compliance policies (`/archivist/v1/compliance_policies`): the five types of
//! seed 003, created, read, listed and deleted. (`/v1`'s policy rules are another thing:
//! `crate::v1::rules`.)

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::{PolicyBody, PolicySpec};
use compliance_store::policies::{self, PolicyQuery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::idempotent::Written;
use crate::paging::{self, DEFAULT_PAGE_SIZE, listing, wants_total};
use crate::permission::{ManageCompliancePolicies, Read};
use crate::request::{Body, ParseBody, check_json, uuid};
use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// A policy in its wire form, parsed by the core (which names the field at fault).
#[derive(Debug)]
pub struct PolicyRequest(PolicySpec);

impl ParseBody for PolicyRequest {
    fn parse(req: &HttpRequest, raw: &[u8]) -> ApiResult<Self> {
        check_json(req, raw)?;
        PolicySpec::from_json(raw)
            .map(Self)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// A page of compliance policies, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    #[schema(value_type = Vec<crate::openapi::schema::Policy>)]
    pub compliance_policies: Vec<PolicyBody>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Creates a compliance policy.
#[utoipa::path(post, path = "/archivist/v1/compliance_policies", tag = "archivist compliance policies",
    request_body = crate::openapi::schema::Policy,
    responses((status = 200, description = "Created", body = crate::openapi::schema::Policy)))]
pub async fn create(
    tenant: Tenant<ManageCompliancePolicies>,
    body: Body<PolicyRequest>,
) -> ApiResult<HttpResponse> {
    tenant
        .write(&body, async |conn| {
            let stored = policies::create(conn, &body.0).await?;
            Written::ok(&PolicyBody::from(&stored.policy))
        })
        .await
}

/// One compliance policy.
#[utoipa::path(get, path = "/archivist/v1/compliance_policies/{uuid}", tag = "archivist compliance policies",
    params(("uuid" = Uuid, Path, description = "The policy's id")),
    responses((status = 200, description = "The policy", body = crate::openapi::schema::Policy)))]
pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<PolicyBody>> {
    let id = uuid("uuid", &id)?;
    let stored = tenant
        .transact(async |conn| policies::get(conn, id).await.or_404("compliance policy"))
        .await?;
    Ok(Json(PolicyBody::from(&stored.policy)))
}

/// Deletes a compliance policy, answering it as it was.
#[utoipa::path(delete, path = "/archivist/v1/compliance_policies/{uuid}", tag = "archivist compliance policies",
    params(("uuid" = Uuid, Path, description = "The policy's id")),
    responses((status = 200, description = "The deleted policy", body = crate::openapi::schema::Policy)))]
pub async fn delete(
    tenant: Tenant<ManageCompliancePolicies>,
    id: Path<String>,
) -> ApiResult<Json<PolicyBody>> {
    let id = uuid("uuid", &id)?;
    let deleted = tenant
        .transact(async |conn| policies::delete(conn, id).await.or_404("compliance policy"))
        .await?;
    Ok(Json(PolicyBody::from(&deleted.policy)))
}

/// What a page token remembers of a policy listing.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    compliance_type: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    after_seq: i64,
    page_size: i64,
}

paging::page_state!(Page, "compliance_policies", after_seq);

/// Compliance policies, oldest first, filtered by type, name or description.
#[utoipa::path(get, path = "/archivist/v1/compliance_policies", tag = "archivist compliance policies",
    params(
        ("compliance_type" = Option<String>, Query, description = "Such as `COMPLIANCE_SINCE`"),
        ("display_name" = Option<String>, Query),
        ("description" = Option<String>, Query),
        ("page_size" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Policies per page"),
        ("page_token" = Option<String>, Query, description = "The previous page's `next_page_token`"),
        ("X-Request-Total-Count" = Option<String>, Header, description = "`true` to be answered `X-Total-Count`"),
    ),
    responses((status = 200, description = "A page of policies", body = PolicyList,
        headers(("X-Total-Count" = i64, description = "When asked for: policies in all pages")))))]
pub async fn list(tenant: Tenant<Read>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let fresh = Page {
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let tokens = &tenant.state().page_tokens;
    let page = tokens.requested(tenant.org(), &req, fresh, |page, name, value| {
        let filter = match name {
            "compliance_type" => &mut page.compliance_type,
            "display_name" => &mut page.display_name,
            "description" => &mut page.description,
            _ => return false,
        };
        *filter = Some(value);
        true
    })?;
    let query = PolicyQuery {
        compliance_type: page.compliance_type.clone(),
        display_name: page.display_name.clone(),
        description: page.description.clone(),
        after_seq: Some(page.after_seq),
        limit: page.page_size + 1,
    };
    let total = wants_total(&req);
    let (found, total) = tenant
        .transact(async |conn| {
            let found = policies::list(conn, &query).await?;
            let total = paging::total_if(total, policies::count(conn, &query)).await?;
            Ok((found, total))
        })
        .await?;
    let (found, next_page_token) =
        tokens.next(tenant.org(), found, page.page_size, |last| Page {
            after_seq: last.seq,
            ..page
        })?;
    let compliance_policies = found.iter().map(|p| PolicyBody::from(&p.policy)).collect();
    let body = PolicyList {
        compliance_policies,
        next_page_token,
    };
    Ok(listing(&body, total))
}

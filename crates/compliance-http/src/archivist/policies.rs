use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::{PolicyBody, PolicySpec};
use compliance_store::policies::{self, PolicyQuery};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{listing, wants_total};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::paging::{self, DEFAULT_PAGE_SIZE};
use crate::request::{check_json, query_pairs, unknown_parameter, uuid};
use crate::{ApiError, ApiResult, AppState, missing};

/// What a page token remembers of a policy listing.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    compliance_type: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    after_seq: i64,
    page_size: i64,
}

impl paging::PageState for Page {
    const LISTING: &'static str = "compliance_policies";

    fn page_size(&self) -> i64 {
        self.page_size
    }

    fn position(&self) -> i64 {
        self.after_seq
    }
}

/// POST /archivist/v1/compliance_policies
pub async fn create(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::AdministerPolicies)?;
    check_json(&req, &body)?;
    let spec = PolicySpec::from_json(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let stored = policies::create(&mut *conn, &spec).await?;
        Written::new(StatusCode::OK, &PolicyBody::from(&stored.policy))
    })
    .await
}

/// GET /archivist/v1/compliance_policies/{uuid}
pub async fn read(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("uuid", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let stored = policies::get(&mut conn, id).await;
    let stored = conn
        .end(stored)
        .await
        .map_err(missing("compliance policy"))?;
    Ok(HttpResponse::Ok().json(PolicyBody::from(&stored.policy)))
}

/// DELETE /archivist/v1/compliance_policies/{uuid}: answers the deleted policy.
pub async fn delete(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    caller.may(Action::AdministerPolicies)?;
    let id = uuid("uuid", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let deleted = policies::delete(&mut conn, id).await;
    let deleted = conn
        .end(deleted)
        .await
        .map_err(missing("compliance policy"))?;
    Ok(HttpResponse::Ok().json(PolicyBody::from(&deleted.policy)))
}

/// GET /archivist/v1/compliance_policies
pub async fn list(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let mut page = Page {
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let mut token = None;
    let mut size = None;
    for (name, value) in query_pairs(&req)? {
        match name.as_str() {
            "compliance_type" => page.compliance_type = Some(value),
            "display_name" => page.display_name = Some(value),
            "description" => page.description = Some(value),
            "page_size" => size = paging::page_size(Some(&value))?,
            "page_token" => token = Some(value),
            _ => return Err(unknown_parameter(&name)),
        }
    }
    let page = state
        .page_tokens
        .resume(caller.org(), page, token, size, |p, n| p.page_size = n)?;
    let query = PolicyQuery {
        compliance_type: page.compliance_type.clone(),
        display_name: page.display_name.clone(),
        description: page.description.clone(),
        after_seq: Some(page.after_seq),
        limit: page.page_size + 1,
    };
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = async {
        let found = policies::list(&mut conn, &query).await?;
        let total = if wants_total(&req) {
            Some(policies::count(&mut conn, &query).await?)
        } else {
            None
        };
        Ok::<_, compliance_store::StoreError>((found, total))
    }
    .await;
    let (found, total) = conn.end(found).await?;
    let (found, more) = paging::take(found, page.page_size);
    let next_page_token = match (more, found.last()) {
        (true, Some(last)) => state.page_tokens.seal(
            caller.org(),
            &Page {
                after_seq: last.seq,
                ..page
            },
        )?,
        _ => String::new(),
    };
    let bodies: Vec<PolicyBody> = found
        .iter()
        .map(|stored| PolicyBody::from(&stored.policy))
        .collect();
    Ok(listing(
        json!({ "compliance_policies": bodies, "next_page_token": next_page_token }),
        total,
    ))
}

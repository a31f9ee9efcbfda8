//! The Compliance API of seed 000: generate, list, read, and download as PDF.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::{self, Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use compliance_store::generation::{self, generate};
use compliance_store::packages::{self, PackageRecord};
use compliance_store::{agents, orgs, pdfs};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{known_agent, limit_offset};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::request::{json_body, rfc3339, uuid};
use crate::{ApiError, ApiResult, AppState, missing};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateRequest {
    agent_id: Uuid,
}

/// The package as the API writes it: the seed's fields, the sections, version and hashes.
fn package_json(package: &PackageRecord, full: bool) -> Value {
    let mut body = json!({
        "id": package.id,
        "org_id": package.org_id,
        "agent_id": package.agent_id,
        "generated_by": package.generated_by,
        "generated_at": rfc3339(package.generated_at),
        "version": package.version,
        "content_sha256": package.content_sha256,
        "previous_sha256": package.previous_sha256,
    });
    let sections: &[&str] = if full {
        &[
            "execution_graph",
            "data_flow_diagram",
            "vsq_responses",
            "sub_processors",
            "control_mappings",
            "compliance_policies",
            "drift",
            "agent",
        ]
    } else {
        &["execution_graph", "control_mappings"]
    };
    for section in sections {
        body[*section] = package
            .content
            .get(*section)
            .cloned()
            .unwrap_or(Value::Null);
    }
    body
}

/// POST /v1/compliance (admin or auditor): generates the agent's next version, 201.
pub async fn create(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::GeneratePackages)?;
    let request: GenerateRequest = json_body(&req, &body)?;
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let package = generate(
            &mut *conn,
            request.agent_id,
            caller.0.token,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(missing("agent"))?;
        Written::new(StatusCode::CREATED, &package_json(&package, true))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    agent_id: Option<Uuid>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// GET /v1/compliance?agent_id=: newest first, with the total.
pub async fn list(
    caller: Caller,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = limit_offset(query.limit, query.offset)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let listed = async {
        known_agent(&mut conn, query.agent_id).await?;
        packages::list(&mut conn, query.agent_id, limit, offset).await
    }
    .await;
    let (listed, total) = conn.end(listed).await.map_err(missing("agent"))?;
    let packages: Vec<Value> = listed.iter().map(|p| package_json(p, false)).collect();
    Ok(HttpResponse::Ok().json(json!({ "packages": packages, "total": total })))
}

/// GET /v1/compliance/{id}: the package, and whether the chain up to it verifies.
pub async fn read(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("package_id", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = async {
        let package = packages::get(&mut conn, id).await?;
        let chain = packages::verify_up_to(&mut conn, id).await?;
        Ok::<_, compliance_store::StoreError>((package, chain))
    }
    .await;
    let (package, chain) = conn
        .end(found)
        .await
        .map_err(missing("compliance package"))?;
    let mut body = package_json(&package, true);
    body["chain"] = json!(chain);
    Ok(HttpResponse::Ok().json(body))
}

/// GET /v1/agents/{id}/chain: the agent's whole chain of versions verified, including that no
/// version after the last one stored was removed (the trail witnesses every generation).
pub async fn chain(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("agent_id", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let verified = async {
        agents::get(&mut conn, id).await?;
        packages::verify_agent(&mut conn, id).await
    }
    .await;
    let chain = conn.end(verified).await.map_err(missing("agent"))?;
    Ok(HttpResponse::Ok().json(chain))
}

/// A file-name-safe slug: lower-case ASCII letters and digits, runs of others as one `-`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "agent".to_owned()
    } else {
        slug.chars().take(60).collect()
    }
}

/// GET /v1/compliance/{id}/pdf: rendered on the first download and kept, since a package never
/// changes; later downloads serve the kept bytes.
pub async fn pdf(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("package_id", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let loaded = async {
        let package = packages::get(&mut conn, id).await?;
        let agent = agents::get(&mut conn, package.agent_id).await?;
        let org = orgs::current(&mut conn).await?;
        let kept = pdfs::get(&mut conn, id).await?;
        Ok::<_, compliance_store::StoreError>((package, agent, org, kept))
    }
    .await;
    let (package, agent, org, kept) = conn
        .end(loaded)
        .await
        .map_err(missing("compliance package"))?;
    let filename = format!("compliance-{}-{}.pdf", slug(&agent.agent.name), package.id);
    let bytes = match kept {
        Some(bytes) => bytes,
        None => render_and_keep(&state, caller.org(), &org.name, package).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/pdf"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes))
}

/// Renders the package's PDF, at most [`AppState::renders`] at a time, and keeps it.
async fn render_and_keep(
    state: &AppState,
    org_id: Uuid,
    org_name: &str,
    package: PackageRecord,
) -> ApiResult<Vec<u8>> {
    let content = generation::content(&package)?;
    let org_name = org_name.to_owned();
    // Renders wait their turn here, off the CPU, so downloads cannot starve other requests.
    let _permit = state
        .renders
        .acquire()
        .await
        .map_err(|_| ApiError::unavailable("the PDF renderer is unavailable"))?;
    let id = package.id;
    // Rendering is CPU work: keep it off the async workers.
    let bytes = web::block(move || {
        compliance_pdf::render(&compliance_pdf::PackageDocument {
            org_name: &org_name,
            package_id: package.id,
            version: package.version,
            generated_at: package.generated_at,
            generated_by: package.generated_by,
            content_sha256: &package.content_sha256,
            previous_sha256: &package.previous_sha256,
            content: &content,
        })
    })
    .await
    .map_err(|_| ApiError::unavailable("the PDF renderer is unavailable"))?
    .map_err(|error| {
        tracing::error!(%error, "PDF rendering failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the PDF could not be rendered",
        )
    })?;
    let mut conn = state.store.tenant(org_id).await?;
    let kept = async {
        // A racing render may have kept its bytes first: every download serves the kept ones.
        if pdfs::put(&mut conn, id, &bytes).await? {
            return Ok(None);
        }
        pdfs::get(&mut conn, id).await
    }
    .await;
    let kept = conn
        .end(kept)
        .await
        .map_err(missing("compliance package"))?;
    Ok(kept.unwrap_or(bytes))
}

//! Compliance packages (seed 000): generate, list, read, verify the chain, and download as PDF.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::{self, Json, Path, Query};
use compliance_attest::{Envelope, PackagePredicate, Statement, Subject, canonical, digest};
use compliance_core::package::{ControlMappings, ExecutionGraph, Framework, PackageContent};
use compliance_store::generation::{self, generate};
use compliance_store::packages::{self, ChainStatus, PackageRecord};
use compliance_store::{agents, attestations, pdfs, signing};

use super::branding::OrgBrand;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ByAgent, known_agent};
use crate::idempotent::{Written, is_replay};
use crate::permission::{GeneratePackages, Read};
use crate::request::{Body, RequestBody, uuid};
use crate::{ApiError, ApiResult, AppState, OrNotFound, Tenant};

/// POST /v1/compliance
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    pub agent_id: Uuid,
    /// The frameworks to judge the agent against beside SOC 2, which is always judged: every
    /// one when absent, SOC 2 alone when empty.
    #[serde(default)]
    pub frameworks: Option<Vec<Framework>>,
}

impl GenerateRequest {
    fn frameworks(&self) -> &[Framework] {
        self.frameworks.as_deref().unwrap_or(Framework::ALL)
    }
}

impl RequestBody for GenerateRequest {
    fn check(&self) -> ApiResult<()> {
        Ok(())
    }
}

/// What identifies a version and seals it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageHeader {
    pub id: Uuid,
    pub org_id: Uuid,
    pub agent_id: Uuid,
    /// The token that generated it.
    pub generated_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// 1 for the agent's first package, one more for each after.
    pub version: i32,
    /// SHA-256 of the sealed package (docs/packages.md says what is sealed).
    pub content_sha256: String,
    /// The previous version's `content_sha256`; empty for version 1.
    pub previous_sha256: String,
}

impl PackageHeader {
    /// `generated_at` as the JSON writes it.
    pub(crate) fn generated_at_rfc3339(&self) -> String {
        self.generated_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

impl From<&PackageRecord> for PackageHeader {
    fn from(p: &PackageRecord) -> Self {
        Self {
            id: p.id,
            org_id: p.org_id,
            agent_id: p.agent_id,
            generated_by: p.generated_by,
            generated_at: p.generated_at,
            version: p.version,
            content_sha256: p.content_sha256.clone(),
            previous_sha256: p.previous_sha256.clone(),
        }
    }
}

/// A whole package: its header and every section, as the core assembled them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageView {
    #[serde(flatten)]
    pub header: PackageHeader,
    #[serde(flatten)]
    pub content: PackageContent,
}

impl PackageView {
    pub fn of(package: &PackageRecord) -> ApiResult<Self> {
        Ok(Self {
            header: PackageHeader::from(package),
            content: generation::content(package)?,
        })
    }
}

/// A package as read back, with whether the chain up to it verifies.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedPackage {
    #[serde(flatten)]
    pub package: PackageView,
    pub chain: ChainView,
}

/// Whether a chain of versions is whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    /// Every version checked is in place, sealed, linked and witnessed by the trail.
    pub verified: bool,
    /// How many versions, counting from version 1, were found intact.
    pub versions_checked: i32,
    /// What breaks the chain, when it is broken.
    pub problem: Option<String>,
}

impl From<ChainStatus> for ChainView {
    fn from(chain: ChainStatus) -> Self {
        Self {
            verified: chain.verified,
            versions_checked: chain.versions_checked,
            problem: chain.problem,
        }
    }
}

/// A package in a list: its header, what the agent did and which controls it covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageSummary {
    #[serde(flatten)]
    pub header: PackageHeader,
    pub execution_graph: ExecutionGraph,
    pub control_mappings: ControlMappings,
}

/// A page of packages, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageList {
    pub packages: Vec<PackageSummary>,
    /// Packages in all pages.
    pub total: i64,
}

/// Generates the agent's next version, with its PDF and its signed attestation.
#[utoipa::path(post, path = "/v1/compliance", tag = "packages", request_body = GenerateRequest,
    responses((status = 201, description = "Generated", body = PackageView)))]
pub async fn create(
    tenant: Tenant<GeneratePackages>,
    body: Body<GenerateRequest>,
) -> ApiResult<HttpResponse> {
    let (agent, token, frameworks) = (body.agent_id, tenant.token(), body.frameworks());
    let seal = &tenant.state().key_seal;
    let mut generated = None;
    let answer = tenant
        .write(&body, async |conn| {
            let package = generate(
                conn,
                agent,
                token,
                OffsetDateTime::now_utc(),
                frameworks,
                seal,
            )
            .await
            .or_404("agent")?;
            let written = Written::created(&PackageView::of(&package)?);
            generated = Some(package);
            written
        })
        .await?;
    // Signed before the generation is answered (a replayed answer finds it signed already; a
    // request that lost a race for its key generated nothing that stands).
    if let Some(package) = generated.filter(|_| !is_replay(&answer)) {
        tenant.state().metrics.package_generated();
        attest(tenant.state(), &package).await?;
    }
    Ok(answer)
}

/// The package's attestation, made if it has none: its PDF rendered and kept, and a statement
/// naming the PDF and the package's JSON (RFC 8785) signed with the org's key. Made right after
/// the generating transaction commits, not inside it: the render would hold the agent's lock
/// and serialize every generation behind PDF renders. A package whose server stopped in between
/// is attested on its first request for one; everything signed is deterministic (the PDF's bytes,
/// RFC 6979 signatures), so racing attesters agree, and the first kept wins.
pub async fn attest(state: &AppState, package: &PackageRecord) -> ApiResult<Envelope> {
    let org = package.org_id;
    let kept = state
        .store
        .transact(org, async |conn| {
            Ok::<_, ApiError>(attestations::get(conn, package.id).await?)
        })
        .await?;
    if let Some(envelope) = kept {
        return Ok(envelope);
    }
    let (brand, agent_name) = state
        .store
        .transact(org, async |conn| {
            let brand = OrgBrand::current(conn).await?;
            let agent_name = agents::get(conn, package.agent_id).await?.profile.name;
            Ok::<_, ApiError>((brand, agent_name))
        })
        .await?;
    let view = PackageView::of(package)?;
    let json = canonical(&view).map_err(internal)?;
    let pdf = render(state, brand, package.clone()).await?;
    state
        .store
        .transact(org, async |conn| {
            if !pdfs::put(conn, package.id, &pdf).await? {
                // Kept by a racing download or attester: the same bytes (the render is
                // deterministic), and those are what the statement must name.
                let kept = pdfs::get(conn, package.id).await?;
                if kept.as_deref() != Some(pdf.as_slice()) {
                    return Err(internal("a kept PDF differs from its render"));
                }
            }
            if let Some(envelope) = attestations::get(conn, package.id).await? {
                return Ok(envelope);
            }
            let key = signing::active(conn, &state.key_seal).await?;
            let statement = Statement::package(
                Subject::sha256(json_name(package), digest(&json)),
                Subject::sha256(pdf_name(&agent_name, package), digest(&pdf)),
                PackagePredicate {
                    org_id: package.org_id.to_string(),
                    agent_id: package.agent_id.to_string(),
                    package_id: package.id.to_string(),
                    version: package.version,
                    generated_at: view.header.generated_at_rfc3339(),
                    content_sha256: package.content_sha256.clone(),
                    previous_sha256: package.previous_sha256.clone(),
                    controls_covered: view.content.controls_covered(),
                    log_checkpoint: view.content.log.as_ref().map(|l| l.checkpoint.clone()),
                },
            );
            let envelope = Envelope::sign(&statement, &key).map_err(internal)?;
            attestations::put(conn, package.id, &key.public().key_id(), &envelope).await?;
            Ok(envelope)
        })
        .await
}

/// The name the attestation gives a package's JSON.
fn json_name(package: &PackageRecord) -> String {
    format!("compliance-{}.json", package.id)
}

/// The PDF's file name, as downloads name it.
fn pdf_name(agent_name: &str, package: &PackageRecord) -> String {
    format!("compliance-{}-{}.pdf", slug(agent_name), package.id)
}

/// A failure that is ours, not the caller's.
fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "attestation failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// The package's signed attestation.
#[utoipa::path(get, path = "/v1/compliance/{id}/attestation", tag = "packages",
    params(("id" = Uuid, Path, description = "The package's id")),
    responses((status = 200, description = "The DSSE envelope of the package's in-toto statement",
        body = crate::openapi::schema::DsseEnvelope)))]
pub async fn attestation(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<Envelope>> {
    let id = uuid("package_id", &id)?;
    let package = tenant
        .transact(async |conn| packages::get(conn, id).await.or_404("compliance package"))
        .await?;
    // A package generated before attestations, or whose server stopped before signing, is
    // attested now.
    Ok(Json(attest(tenant.state(), &package).await?))
}

/// Packages, of one agent or all, newest first.
#[utoipa::path(get, path = "/v1/compliance", tag = "packages", params(ByAgent),
    responses((status = 200, description = "A page of packages", body = PackageList)))]
pub async fn list(tenant: Tenant<Read>, query: Query<ByAgent>) -> ApiResult<Json<PackageList>> {
    let window = query.window()?;
    let (listed, total) = tenant
        .transact(async |conn| {
            known_agent(conn, query.agent_id).await.or_404("agent")?;
            Ok(packages::list(conn, query.agent_id, window.limit, window.offset).await?)
        })
        .await?;
    let packages = listed
        .iter()
        .map(|package| {
            let content = generation::content(package)?;
            Ok(PackageSummary {
                header: PackageHeader::from(package),
                execution_graph: content.execution_graph,
                control_mappings: content.control_mappings,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(PackageList { packages, total }))
}

/// One package, and whether the chain of versions up to it verifies.
#[utoipa::path(get, path = "/v1/compliance/{id}", tag = "packages",
    params(("id" = Uuid, Path, description = "The package's id")),
    responses((status = 200, description = "The package", body = VerifiedPackage)))]
pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<VerifiedPackage>> {
    let id = uuid("package_id", &id)?;
    let (package, chain) = tenant
        .transact(async |conn| {
            let package = packages::get(conn, id).await.or_404("compliance package")?;
            Ok((package, packages::verify_up_to(conn, id).await?))
        })
        .await?;
    Ok(Json(VerifiedPackage {
        package: PackageView::of(&package)?,
        chain: chain.into(),
    }))
}

/// The agent's whole chain of versions verified, including that no version after the last one
/// stored was removed (the trail witnesses every generation).
#[utoipa::path(get, path = "/v1/agents/{id}/chain", tag = "packages",
    params(("id" = Uuid, Path, description = "The agent's id")),
    responses((status = 200, description = "The chain's status", body = ChainView)))]
pub async fn chain(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<ChainView>> {
    let id = uuid("agent_id", &id)?;
    let chain = tenant
        .transact(async |conn| {
            agents::get(conn, id).await.or_404("agent")?;
            Ok(packages::verify_agent(conn, id).await?)
        })
        .await?;
    Ok(Json(chain.into()))
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

/// The package as a PDF: rendered on the first download and kept, since a package never
/// changes; later downloads serve the kept bytes.
#[utoipa::path(get, path = "/v1/compliance/{id}/pdf", tag = "packages",
    params(("id" = Uuid, Path, description = "The package's id")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf",
        body = Vec<u8>)))]
pub async fn pdf(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<HttpResponse> {
    let id = uuid("package_id", &id)?;
    // A kept PDF, the usual case, is one query; only a package without one is read whole.
    let found = tenant
        .transact(async |conn| {
            if let Some(kept) = pdfs::download(conn, id).await? {
                return Ok(Ok(kept));
            }
            let package = packages::get(conn, id).await.or_404("compliance package")?;
            let agent = agents::get(conn, package.agent_id).await?;
            let brand = OrgBrand::current(conn).await?;
            Ok(Err((package, agent.profile.name, brand)))
        })
        .await?;
    let (bytes, agent) = match found {
        Ok(kept) => kept,
        Err((package, agent, brand)) => (
            render_and_keep(tenant.state(), tenant.org(), brand, package).await?,
            agent,
        ),
    };
    let filename = format!("compliance-{}-{id}.pdf", slug(&agent));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/pdf"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes))
}

/// Renders the package's PDF, at most [`AppState::renders`] at a time, and keeps it (a package
/// generated before attestations has no PDF kept yet).
async fn render_and_keep(
    state: &AppState,
    org_id: Uuid,
    brand: OrgBrand,
    package: PackageRecord,
) -> ApiResult<Vec<u8>> {
    let id = package.id;
    let bytes = render(state, brand, package).await?;
    let kept = state
        .store
        .transact(org_id, async |conn| {
            // A racing render may have kept its bytes first: every download serves the kept ones.
            if pdfs::put(conn, id, &bytes).await? {
                return Ok(None);
            }
            pdfs::get(conn, id).await.or_404("compliance package")
        })
        .await?;
    Ok(kept.unwrap_or(bytes))
}

/// The package's PDF, rendered off the async workers, at most [`AppState::renders`] at a time.
async fn render(state: &AppState, brand: OrgBrand, package: PackageRecord) -> ApiResult<Vec<u8>> {
    // Renders wait their turn here, off the CPU, so renders cannot starve other requests.
    let _permit = state
        .renders
        .acquire()
        .await
        .map_err(|_| ApiError::unavailable("the PDF renderer is unavailable"))?;
    let started = std::time::Instant::now();
    let pdf = web::block(move || render_pdf(&brand, &package))
        .await
        .map_err(|_| ApiError::unavailable("the PDF renderer is unavailable"))??;
    state.metrics.rendered(started);
    Ok(pdf)
}

/// The package's PDF, as the auditor downloads it (and the demo writes it), for the org as
/// `brand` has it.
pub fn render_pdf(brand: &OrgBrand, package: &PackageRecord) -> ApiResult<Vec<u8>> {
    let content = generation::content(package)?;
    compliance_pdf::render(&compliance_pdf::PackageDocument {
        org_name: &brand.org_name,
        package_id: package.id,
        version: package.version,
        generated_at: package.generated_at,
        generated_by: package.generated_by,
        content_sha256: &package.content_sha256,
        previous_sha256: &package.previous_sha256,
        content: &content,
        branding: brand.for_pdf(),
    })
    .map_err(|error| {
        tracing::error!(%error, "PDF rendering failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the PDF could not be rendered",
        )
    })
}

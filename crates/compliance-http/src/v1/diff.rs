//! GET /v1/compliance/{id}/diff?against={other}: what changed between two packages of one agent.

use actix_web::web::{Json, Path, Query};
use compliance_core::package::{PackageDiff, diff};
use compliance_store::generation;
use compliance_store::packages::{self, PackageRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::Against;
use super::packages::PackageHeader;
use crate::permission::Read;
use crate::request::uuid;
use uuid::Uuid;

use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// The two packages and the changes from `against` to `package`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffView {
    pub package: PackageHeader,
    pub against: PackageHeader,
    /// The earlier of the two is the "from" side whichever way round they are asked for, so
    /// `added` always means added over time.
    pub changes: PackageDiff,
}

/// What changed between two versions of an agent's package.
#[utoipa::path(get, path = "/v1/compliance/{id}/diff", tag = "packages",
    params(("id" = Uuid, Path, description = "The package's id"), Against),
    responses((status = 200, description = "The changes, earlier version to later", body = DiffView),
        (status = 422, description = "The two packages are of different agents",
            body = crate::ErrorBody)))]
pub async fn read(
    tenant: Tenant<Read>,
    id: Path<String>,
    query: Query<Against>,
) -> ApiResult<Json<DiffView>> {
    let id = uuid("package_id", &id)?;
    let compared = compare(&tenant, id, query.against).await?;
    Ok(Json(DiffView {
        package: PackageHeader::from(&compared.package),
        against: PackageHeader::from(&compared.against),
        changes: compared.changes,
    }))
}

/// Two packages of one agent and what changed between them.
#[derive(Debug)]
pub struct Compared {
    pub package: PackageRecord,
    pub against: PackageRecord,
    /// From the earlier of the two to the later, whichever way round they were asked for.
    pub changes: PackageDiff,
    pub earlier: i32,
    pub later: i32,
}

/// Compares package `id` with `against`: 404 for a package the caller's org does not have, 422
/// for two packages of different agents (the API's and the page's one rule).
pub async fn compare(tenant: &Tenant<Read>, id: Uuid, against: Uuid) -> ApiResult<Compared> {
    let (package, against) = tenant
        .transact(async |conn| {
            let package = packages::get(conn, id).await.or_404("compliance package")?;
            let against = packages::get(conn, against)
                .await
                .or_404("compliance package")?;
            Ok((package, against))
        })
        .await?;
    if package.agent_id != against.agent_id {
        return Err(ApiError::unprocessable(
            "against: the two packages are of different agents",
        ));
    }
    let (earlier, later) = if against.version <= package.version {
        (&against, &package)
    } else {
        (&package, &against)
    };
    let changes = diff(&generation::content(earlier)?, &generation::content(later)?);
    let (earlier, later) = (earlier.version, later.version);
    Ok(Compared {
        package,
        against,
        changes,
        earlier,
        later,
    })
}

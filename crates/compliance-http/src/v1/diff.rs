//! GET /v1/compliance/{id}/diff?against={other}: what changed between two packages of one agent.

use actix_web::web::{Json, Path, Query};
use compliance_core::package::{PackageDiff, diff};
use compliance_store::generation;
use compliance_store::packages;
use serde::Serialize;
use utoipa::ToSchema;

use super::Against;
use super::packages::PackageHeader;
use crate::permission::Read;
use crate::request::uuid;
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
    let (package, against) = tenant
        .transact(async |conn| {
            let package = packages::get(conn, id).await.or_404("compliance package")?;
            let against = packages::get(conn, query.against)
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
    Ok(Json(DiffView {
        package: PackageHeader::from(&package),
        against: PackageHeader::from(&against),
        changes,
    }))
}

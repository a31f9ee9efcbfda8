//! Assets (`/archivist/v2/assets`): what the SDK's `assets` calls create, read and list.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::Attributes;
use compliance_store::assets::{self, AssetQuery, AssetRecord, NewAsset};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tenant_identity;
use crate::idempotent::Written;
use crate::paging::{self, DEFAULT_PAGE_SIZE, listing, wants_total};
use crate::permission::{Read, Record};
use crate::request::{Body, RequestBody, uuid};
use crate::{ApiResult, OrNotFound, Tenant, limits};

/// POST /archivist/v2/assets: what the SDK's `assets.create` sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetRequest {
    /// At most 32, each at most 100 characters.
    #[serde(default)]
    #[schema(value_type = crate::openapi::schema::Behaviours)]
    behaviours: Vec<String>,
    /// At most 100 attributes: names of 1 to 200 characters, values of at most 4096 (300 for
    /// `arc_display_type` and the correlation keys), 32 KiB in all.
    #[serde(default)]
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    attributes: Attributes,
    /// Every event of every asset is a leaf of the org's transparency log, so each asset
    /// answers `MERKLE_LOG`, whichever is asked.
    #[serde(default)]
    #[allow(dead_code)]
    proof_mechanism: Option<ProofMechanism>,
    /// Accepted for compatibility; no asset here is public.
    #[serde(default)]
    #[allow(dead_code)]
    public: Option<bool>,
}

/// The archivist's proof mechanisms, by the names the DataTrails SDK sends.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[allow(clippy::enum_variant_names)] // the wire names
pub enum ProofMechanism {
    #[serde(rename = "PROOF_MECHANISM_UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "SIMPLE_HASH")]
    SimpleHash,
    #[serde(rename = "MERKLE_LOG")]
    MerkleLog,
}

impl RequestBody for AssetRequest {
    fn check(&self) -> ApiResult<()> {
        limits::attributes("attributes", &self.attributes)?;
        limits::behaviours(&self.behaviours)
    }
}

/// An asset as the archivist API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    /// `assets/<uuid>`.
    pub identity: String,
    pub behaviours: Vec<String>,
    /// The attributes as of the latest event.
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    pub attributes: Attributes,
    /// Always `CONFIRMED`: an asset is committed when it is created.
    pub confirmation_status: &'static str,
    pub tracked: &'static str,
    pub owner: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub at_time: OffsetDateTime,
    pub storage_integrity: &'static str,
    /// `MERKLE_LOG`: the asset's events are leaves of the org's log (`/v1/audit/{id}/proof`).
    pub proof_mechanism: &'static str,
    pub chain_id: &'static str,
    pub public: bool,
    pub tenant_identity: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl AssetView {
    pub fn of(org: Uuid, asset: &AssetRecord) -> Self {
        Self {
            identity: format!("assets/{}", asset.id),
            behaviours: asset.behaviours.clone(),
            attributes: asset.current_attributes.clone(),
            confirmation_status: "CONFIRMED",
            tracked: "TRACKED",
            owner: "",
            at_time: OffsetDateTime::now_utc(),
            storage_integrity: "TENANT_STORAGE",
            proof_mechanism: "MERKLE_LOG",
            chain_id: "",
            public: false,
            tenant_identity: tenant_identity(org),
            created_at: asset.created_at,
        }
    }
}

/// A page of assets, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetList {
    pub assets: Vec<AssetView>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Creates an asset.
#[utoipa::path(post, path = "/archivist/v2/assets", tag = "archivist assets",
    request_body = AssetRequest,
    responses((status = 200, description = "Created", body = AssetView)))]
pub async fn create(tenant: Tenant<Record>, body: Body<AssetRequest>) -> ApiResult<HttpResponse> {
    let asset = NewAsset {
        id: Uuid::new_v4(),
        attributes: body.attributes.clone(),
        behaviours: body.behaviours.clone(),
    };
    let org = tenant.org();
    tenant
        .write(&body, async |conn| {
            let created = assets::create(conn, &asset).await?;
            Written::ok(&AssetView::of(org, &created))
        })
        .await
}

/// One asset.
#[utoipa::path(get, path = "/archivist/v2/assets/{uuid}", tag = "archivist assets",
    params(("uuid" = Uuid, Path, description = "The asset's id")),
    responses((status = 200, description = "The asset", body = AssetView)))]
pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<AssetView>> {
    let id = uuid("uuid", &id)?;
    let asset = tenant
        .transact(async |conn| assets::get(conn, id).await.or_404("asset"))
        .await?;
    Ok(Json(AssetView::of(tenant.org(), &asset)))
}

/// What a page token remembers of an asset listing.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    attributes: Attributes,
    /// Only CONFIRMED exists here: asking for any other status lists nothing.
    unconfirmed: bool,
    after_seq: i64,
    page_size: i64,
}

paging::page_state!(Page, "assets", after_seq);

/// Assets, filtered by `attributes.<name>=<value>` (any number of them, all must match).
#[utoipa::path(get, path = "/archivist/v2/assets", tag = "archivist assets",
    params(
        ("confirmation_status" = Option<String>, Query, description = "Only `CONFIRMED` lists anything"),
        ("page_size" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Assets per page"),
        ("page_token" = Option<String>, Query, description = "The previous page's `next_page_token`"),
        ("X-Request-Total-Count" = Option<String>, Header, description = "`true` to be answered `X-Total-Count`"),
    ),
    responses((status = 200, description = "A page of assets", body = AssetList,
        headers(("X-Total-Count" = i64, description = "When asked for: assets in all pages")))))]
pub async fn list(tenant: Tenant<Read>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let fresh = Page {
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let tokens = &tenant.state().page_tokens;
    let page = tokens.requested(tenant.org(), &req, fresh, |page, name, value| {
        if let Some(key) = name.strip_prefix("attributes.") {
            page.attributes.insert(key.to_owned(), value);
        } else if name == "confirmation_status" {
            page.unconfirmed = value != "CONFIRMED";
        } else {
            return false;
        }
        true
    })?;
    let total = wants_total(&req);
    if page.unconfirmed {
        let empty = AssetList {
            assets: Vec::new(),
            next_page_token: String::new(),
        };
        return Ok(listing(&empty, total.then_some(0)));
    }
    let query = AssetQuery {
        attributes: page.attributes.clone(),
        after_seq: Some(page.after_seq),
        limit: page.page_size + 1,
    };
    let (found, total) = tenant
        .transact(async |conn| {
            let found = assets::list(conn, &query).await?;
            let total = paging::total_if(total, assets::count(conn, &query)).await?;
            Ok((found, total))
        })
        .await?;
    let (found, next_page_token) =
        tokens.next(tenant.org(), found, page.page_size, |last| Page {
            after_seq: last.seq,
            ..page
        })?;
    let assets = found
        .iter()
        .map(|a| AssetView::of(tenant.org(), a))
        .collect();
    Ok(listing(
        &AssetList {
            assets,
            next_page_token,
        },
        total,
    ))
}

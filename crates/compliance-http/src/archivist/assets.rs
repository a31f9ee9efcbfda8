use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::Attributes;
use compliance_store::assets::{self, AssetQuery, AssetRecord, NewAsset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{listing, wants_total};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::paging::{self, DEFAULT_PAGE_SIZE};
use crate::request::{json_body, query_pairs, rfc3339, unknown_parameter, uuid};
use crate::{ApiResult, AppState, limits, missing};

/// POST /archivist/v2/assets: what the SDK's `assets.create` sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetRequest {
    #[serde(default)]
    behaviours: Vec<String>,
    #[serde(default)]
    attributes: Attributes,
    // Accepted for compatibility; every asset here is stored the same way.
    #[serde(default)]
    #[allow(dead_code)]
    proof_mechanism: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    public: Option<bool>,
}

/// An asset as the archivist API writes it.
pub fn asset_json(org: Uuid, asset: &AssetRecord) -> Value {
    json!({
        "identity": format!("assets/{}", asset.id),
        "behaviours": asset.behaviours,
        "attributes": asset.current_attributes,
        "confirmation_status": "CONFIRMED",
        "tracked": "TRACKED",
        "owner": "",
        "at_time": rfc3339(time::OffsetDateTime::now_utc()),
        "storage_integrity": "TENANT_STORAGE",
        "proof_mechanism": "SIMPLE_HASH",
        "chain_id": "",
        "public": false,
        "tenant_identity": format!("tenant/{org}"),
        "created_at": rfc3339(asset.created_at),
    })
}

pub async fn create(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let request: AssetRequest = json_body(&req, &body)?;
    limits::attributes("attributes", &request.attributes)?;
    limits::behaviours(&request.behaviours)?;
    let asset = NewAsset {
        id: Uuid::new_v4(),
        attributes: request.attributes,
        behaviours: request.behaviours,
    };
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let created = assets::create(&mut *conn, &asset).await?;
        Written::new(StatusCode::OK, &asset_json(caller.org(), &created))
    })
    .await
}

pub async fn read(
    caller: Caller,
    state: Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = uuid("uuid", &id)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let asset = assets::get(&mut conn, id).await;
    let asset = conn.end(asset).await.map_err(missing("asset"))?;
    Ok(HttpResponse::Ok().json(asset_json(caller.org(), &asset)))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    attributes: Attributes,
    /// Only CONFIRMED exists here: asking for any other status lists nothing.
    unconfirmed: bool,
    after_seq: i64,
    page_size: i64,
}

impl paging::PageState for Page {
    const LISTING: &'static str = "assets";

    fn page_size(&self) -> i64 {
        self.page_size
    }

    fn position(&self) -> i64 {
        self.after_seq
    }
}

/// GET /archivist/v2/assets?attributes.<key>=<value>
pub async fn list(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let mut page = Page {
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let (mut token, mut size) = (None, None);
    for (name, value) in query_pairs(&req)? {
        if let Some(key) = name.strip_prefix("attributes.") {
            page.attributes.insert(key.to_owned(), value);
            continue;
        }
        match name.as_str() {
            "confirmation_status" => page.unconfirmed = value != "CONFIRMED",
            "page_size" => size = paging::page_size(Some(&value))?,
            "page_token" => token = Some(value),
            _ => return Err(unknown_parameter(&name)),
        }
    }
    let page = state
        .page_tokens
        .resume(caller.org(), page, token, size, |p, n| p.page_size = n)?;
    if page.unconfirmed {
        let total = wants_total(&req).then_some(0);
        return Ok(listing(
            json!({ "assets": [], "next_page_token": "" }),
            total,
        ));
    }
    let query = AssetQuery {
        attributes: page.attributes.clone(),
        after_seq: Some(page.after_seq),
        limit: page.page_size + 1,
    };
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = async {
        let found = assets::list(&mut conn, &query).await?;
        let total = if wants_total(&req) {
            Some(assets::count(&mut conn, &query).await?)
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
    let assets: Vec<Value> = found.iter().map(|a| asset_json(caller.org(), a)).collect();
    Ok(listing(
        json!({ "assets": assets, "next_page_token": next_page_token }),
        total,
    ))
}

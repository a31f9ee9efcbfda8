use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::{Attributes, correlation_value};
use compliance_store::assets;
use compliance_store::events::{self, AuditFields, EventQuery, EventRecord, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{listing, wants_total};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::paging::{self, DEFAULT_PAGE_SIZE};
use crate::request::{json_body, query_pairs, rfc3339, time, unknown_parameter, uuid};
use crate::{ApiResult, AppState, limits, missing};

/// The `assets/-/events` wildcard: events of every asset.
const ANY_ASSET: &str = "-";

/// POST /archivist/v2/assets/{uuid}/events: what the SDK's `events.create` sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRequest {
    #[serde(default = "record")]
    operation: String,
    #[serde(default = "record_evidence")]
    behaviour: String,
    #[serde(default)]
    event_attributes: Attributes,
    #[serde(default)]
    asset_attributes: Attributes,
    timestamp_declared: Option<String>,
    #[serde(default)]
    principal_declared: serde_json::Map<String, Value>,
}

fn record() -> String {
    "Record".to_owned()
}

fn record_evidence() -> String {
    "RecordEvidence".to_owned()
}

/// An event as the archivist API writes it.
pub fn event_json(org: Uuid, record: &EventRecord) -> Value {
    let event = &record.event;
    json!({
        "identity": format!("assets/{}/events/{}", event.asset_id, event.id),
        "asset_identity": format!("assets/{}", event.asset_id),
        "operation": event.operation,
        "behaviour": event.behaviour,
        "event_attributes": event.event_attributes,
        "asset_attributes": event.asset_attributes,
        "timestamp_declared": rfc3339(record.occurred_at),
        "timestamp_accepted": rfc3339(record.accepted_at),
        "timestamp_committed": rfc3339(record.accepted_at),
        "principal_declared": event.principal_declared,
        "principal_accepted": {},
        "confirmation_status": "CONFIRMED",
        "transaction_id": "",
        "block_number": 0,
        "transaction_index": 0,
        "from": "",
        "tenant_identity": format!("tenant/{org}"),
    })
}

pub async fn create(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    asset: Path<String>,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let asset_id = uuid("uuid", &asset)?;
    let request: EventRequest = json_body(&req, &body)?;
    limits::attributes("event_attributes", &request.event_attributes)?;
    limits::attributes("asset_attributes", &request.asset_attributes)?;
    let principal_declared = Value::Object(request.principal_declared);
    limits::json(
        "principal_declared",
        &principal_declared,
        limits::MAX_PRINCIPAL_BYTES,
    )?;
    limits::chars("operation", &request.operation, limits::MAX_BEHAVIOUR)?;
    limits::chars("behaviour", &request.behaviour, limits::MAX_BEHAVIOUR)?;
    let declared_at = request
        .timestamp_declared
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| time("timestamp_declared", t))
        .transpose()?;
    let event = NewEvent {
        id: Uuid::new_v4(),
        asset_id,
        display_type: request
            .event_attributes
            .get("arc_display_type")
            .cloned()
            .unwrap_or_default(),
        correlation_value: correlation_value(&request.event_attributes).map(str::to_owned),
        declared_at,
        operation: request.operation,
        behaviour: request.behaviour,
        event_attributes: request.event_attributes,
        asset_attributes: request.asset_attributes,
        principal_declared,
        audit: AuditFields::default(),
    };
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let appended = async {
            // The asset must be the caller's: another org's is as missing as an unknown one.
            assets::get(&mut *conn, asset_id).await?;
            events::append(&mut *conn, &event).await
        }
        .await
        .map_err(missing("asset"))?;
        Written::new(StatusCode::OK, &event_json(caller.org(), &appended))
    })
    .await
}

pub async fn read(
    caller: Caller,
    state: Data<AppState>,
    ids: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (asset, event) = ids.into_inner();
    let asset = uuid("asset uuid", &asset)?;
    let event = uuid("event uuid", &event)?;
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = events::get(&mut conn, asset, event).await;
    let found = conn.end(found).await.map_err(missing("event"))?;
    Ok(HttpResponse::Ok().json(event_json(caller.org(), &found)))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    asset: Option<Uuid>,
    event_attributes: Attributes,
    unconfirmed: bool,
    offset: i64,
    page_size: i64,
}

impl paging::PageState for Page {
    const LISTING: &'static str = "events";

    fn page_size(&self) -> i64 {
        self.page_size
    }

    fn position(&self) -> i64 {
        self.offset
    }
}

/// GET /archivist/v2/assets/{uuid|-}/events?event_attributes.<key>=<value>, newest first.
pub async fn list(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    asset: Path<String>,
) -> ApiResult<HttpResponse> {
    let asset = match asset.as_str() {
        ANY_ASSET => None,
        id => Some(uuid("uuid", id)?),
    };
    let mut page = Page {
        asset,
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let (mut token, mut size) = (None, None);
    for (name, value) in query_pairs(&req)? {
        if let Some(key) = name.strip_prefix("event_attributes.") {
            page.event_attributes.insert(key.to_owned(), value);
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
            json!({ "events": [], "next_page_token": "" }),
            total,
        ));
    }
    let query = EventQuery {
        asset_id: page.asset,
        event_attributes: page.event_attributes.clone(),
        limit: page.page_size + 1,
        offset: page.offset,
        ..EventQuery::default()
    };
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = async {
        if let Some(asset) = page.asset {
            assets::get(&mut conn, asset).await?;
        }
        let found = events::list(&mut conn, &query).await?;
        let total = if wants_total(&req) {
            Some(events::count(&mut conn, &query).await?)
        } else {
            None
        };
        Ok::<_, compliance_store::StoreError>((found, total))
    }
    .await;
    let (found, total) = conn.end(found).await.map_err(missing("asset"))?;
    let (found, more) = paging::take(found, page.page_size);
    let next_page_token = if more {
        state.page_tokens.seal(
            caller.org(),
            &Page {
                offset: page.offset + page.page_size,
                ..page
            },
        )?
    } else {
        String::new()
    };
    let events: Vec<Value> = found.iter().map(|e| event_json(caller.org(), e)).collect();
    Ok(listing(
        json!({ "events": events, "next_page_token": next_page_token }),
        total,
    ))
}

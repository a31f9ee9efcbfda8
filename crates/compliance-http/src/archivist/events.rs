//! Events (`/archivist/v2/assets/{uuid}/events`): an asset's history, append-only.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::{Attributes, correlation_value};
use compliance_store::assets;
use compliance_store::events::{self, AuditFields, EventQuery, EventRecord, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tenant_identity;
use crate::idempotent::Written;
use crate::paging::{self, DEFAULT_PAGE_SIZE, listing, wants_total};
use crate::permission::{Read, Record};
use crate::request::{Body, RequestBody, time, uuid};
use crate::{ApiResult, OrNotFound, Tenant, limits};

/// The `assets/-/events` wildcard: events of every asset.
const ANY_ASSET: &str = "-";

/// POST /archivist/v2/assets/{uuid}/events: what the SDK's `events.create` sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// At most 100 characters; `Record` when absent.
    #[serde(default = "record")]
    #[schema(max_length = 100)]
    operation: String,
    /// At most 100 characters; `RecordEvidence` when absent.
    #[serde(default = "record_evidence")]
    #[schema(max_length = 100)]
    behaviour: String,
    /// As an asset's attributes (same limits); `arc_display_type` is the event's type.
    #[serde(default)]
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    event_attributes: Attributes,
    /// Attributes this event sets on its asset.
    #[serde(default)]
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    asset_attributes: Attributes,
    /// When it happened (RFC 3339); the time the server accepts it when absent or empty.
    #[schema(format = DateTime)]
    timestamp_declared: Option<String>,
    /// Who declared it: a JSON object of at most 4 KiB.
    #[serde(default)]
    #[schema(value_type = Object)]
    principal_declared: serde_json::Map<String, Value>,
}

fn record() -> String {
    "Record".to_owned()
}

fn record_evidence() -> String {
    "RecordEvidence".to_owned()
}

impl RequestBody for EventRequest {
    fn check(&self) -> ApiResult<()> {
        limits::attributes("event_attributes", &self.event_attributes)?;
        limits::attributes("asset_attributes", &self.asset_attributes)?;
        limits::json(
            "principal_declared",
            &Value::Object(self.principal_declared.clone()),
            limits::MAX_PRINCIPAL_BYTES,
        )?;
        limits::chars("operation", &self.operation, limits::MAX_BEHAVIOUR)?;
        limits::chars("behaviour", &self.behaviour, limits::MAX_BEHAVIOUR)
    }
}

impl EventRequest {
    fn event(&self, asset_id: Uuid) -> ApiResult<NewEvent> {
        let declared_at = self
            .timestamp_declared
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| time("timestamp_declared", t))
            .transpose()?;
        Ok(NewEvent {
            id: Uuid::new_v4(),
            asset_id,
            display_type: self
                .event_attributes
                .get("arc_display_type")
                .cloned()
                .unwrap_or_default(),
            correlation_value: correlation_value(&self.event_attributes).map(str::to_owned),
            declared_at,
            operation: self.operation.clone(),
            behaviour: self.behaviour.clone(),
            event_attributes: self.event_attributes.clone(),
            asset_attributes: self.asset_attributes.clone(),
            principal_declared: Value::Object(self.principal_declared.clone()),
            audit: AuditFields::default(),
        })
    }
}

/// An event as the archivist API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// `assets/<uuid>/events/<uuid>`.
    pub identity: String,
    pub asset_identity: String,
    pub operation: String,
    pub behaviour: String,
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    pub event_attributes: Attributes,
    #[schema(value_type = crate::openapi::schema::AttributeMap)]
    pub asset_attributes: Attributes,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp_declared: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp_accepted: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp_committed: OffsetDateTime,
    #[schema(value_type = Object)]
    pub principal_declared: Value,
    #[schema(value_type = Object)]
    pub principal_accepted: serde_json::Map<String, Value>,
    /// Always `CONFIRMED`: an event is committed when it is accepted.
    pub confirmation_status: &'static str,
    pub transaction_id: &'static str,
    pub block_number: u64,
    pub transaction_index: u64,
    pub from: &'static str,
    pub tenant_identity: String,
}

impl EventView {
    pub fn of(org: Uuid, record: &EventRecord) -> Self {
        let event = &record.event;
        Self {
            identity: format!("assets/{}/events/{}", event.asset_id, event.id),
            asset_identity: format!("assets/{}", event.asset_id),
            operation: event.operation.clone(),
            behaviour: event.behaviour.clone(),
            event_attributes: event.event_attributes.clone(),
            asset_attributes: event.asset_attributes.clone(),
            timestamp_declared: record.occurred_at,
            timestamp_accepted: record.accepted_at,
            timestamp_committed: record.accepted_at,
            principal_declared: event.principal_declared.clone(),
            principal_accepted: serde_json::Map::new(),
            confirmation_status: "CONFIRMED",
            transaction_id: "",
            block_number: 0,
            transaction_index: 0,
            from: "",
            tenant_identity: tenant_identity(org),
        }
    }
}

/// A page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<EventView>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Appends an event to an asset.
#[utoipa::path(post, path = "/archivist/v2/assets/{uuid}/events", tag = "archivist events",
    params(("uuid" = Uuid, Path, description = "The asset's id")),
    request_body = EventRequest,
    responses((status = 200, description = "Appended", body = EventView)))]
pub async fn create(
    tenant: Tenant<Record>,
    asset: Path<String>,
    body: Body<EventRequest>,
) -> ApiResult<HttpResponse> {
    let event = body.event(uuid("uuid", &asset)?)?;
    let org = tenant.org();
    let mut appended = 0;
    let answer = tenant
        .write(&body, async |conn| {
            // The asset must be the caller's: another org's is as missing as an unknown one.
            assets::get(conn, event.asset_id).await.or_404("asset")?;
            let stored = events::append(conn, &event).await?;
            appended = 1;
            Written::ok(&EventView::of(org, &stored))
        })
        .await?;
    if !crate::idempotent::is_replay(&answer) {
        let source = crate::metrics::Source::ArchivistEvents;
        tenant.state().metrics.entries(source, appended);
    }
    Ok(answer)
}

/// One event of an asset.
#[utoipa::path(get, path = "/archivist/v2/assets/{uuid}/events/{event}", tag = "archivist events",
    params(("uuid" = Uuid, Path, description = "The asset's id"),
        ("event" = Uuid, Path, description = "The event's id")),
    responses((status = 200, description = "The event", body = EventView)))]
pub async fn read(tenant: Tenant<Read>, ids: Path<(String, String)>) -> ApiResult<Json<EventView>> {
    let (asset, event) = ids.into_inner();
    let asset = uuid("asset uuid", &asset)?;
    let event = uuid("event uuid", &event)?;
    let found = tenant
        .transact(async |conn| events::get(conn, asset, event).await.or_404("event"))
        .await?;
    Ok(Json(EventView::of(tenant.org(), &found)))
}

/// What a page token remembers of an event listing.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    asset: Option<Uuid>,
    event_attributes: Attributes,
    unconfirmed: bool,
    offset: i64,
    page_size: i64,
}

paging::page_state!(Page, "events", offset);

/// An asset's events (or every asset's, for `-`), newest first, filtered by
/// `event_attributes.<name>=<value>`.
#[utoipa::path(get, path = "/archivist/v2/assets/{uuid}/events", tag = "archivist events",
    params(
        ("uuid" = String, Path, pattern = "^(-|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
            description = "The asset's id, or `-` for every asset"),
        ("confirmation_status" = Option<String>, Query, description = "Only `CONFIRMED` lists anything"),
        ("page_size" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Events per page"),
        ("page_token" = Option<String>, Query, description = "The previous page's `next_page_token`"),
        ("X-Request-Total-Count" = Option<String>, Header, description = "`true` to be answered `X-Total-Count`"),
    ),
    responses((status = 200, description = "A page of events", body = EventList,
        headers(("X-Total-Count" = i64, description = "When asked for: events in all pages")))))]
pub async fn list(
    tenant: Tenant<Read>,
    req: HttpRequest,
    asset: Path<String>,
) -> ApiResult<HttpResponse> {
    let asset = match asset.as_str() {
        ANY_ASSET => None,
        id => Some(uuid("uuid", id)?),
    };
    let fresh = Page {
        asset,
        page_size: DEFAULT_PAGE_SIZE,
        ..Page::default()
    };
    let tokens = &tenant.state().page_tokens;
    let page = tokens.requested(tenant.org(), &req, fresh, |page, name, value| {
        if let Some(key) = name.strip_prefix("event_attributes.") {
            page.event_attributes.insert(key.to_owned(), value);
        } else if name == "confirmation_status" {
            page.unconfirmed = value != "CONFIRMED";
        } else {
            return false;
        }
        true
    })?;
    let total = wants_total(&req);
    if page.unconfirmed {
        let empty = EventList {
            events: Vec::new(),
            next_page_token: String::new(),
        };
        return Ok(listing(&empty, total.then_some(0)));
    }
    let query = EventQuery {
        asset_id: page.asset,
        event_attributes: page.event_attributes.clone(),
        limit: page.page_size + 1,
        offset: page.offset,
        ..EventQuery::default()
    };
    let (found, total) = tenant
        .transact(async |conn| {
            if let Some(asset) = query.asset_id {
                assets::get(conn, asset).await.or_404("asset")?;
            }
            let found = events::list(conn, &query).await?;
            let total = paging::total_if(total, events::count(conn, &query)).await?;
            Ok((found, total))
        })
        .await?;
    let next_offset = page.offset + page.page_size;
    let (found, next_page_token) = tokens.next(tenant.org(), found, page.page_size, |_| Page {
        offset: next_offset,
        ..page
    })?;
    let events = found
        .iter()
        .map(|e| EventView::of(tenant.org(), e))
        .collect();
    Ok(listing(
        &EventList {
            events,
            next_page_token,
        },
        total,
    ))
}

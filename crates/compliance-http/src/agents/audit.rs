//! The audit trail: an agent's entries are events on its asset, append-only.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use compliance_store::agents;
use compliance_store::events::{self, AuditFields, EventQuery, EventRecord, Metadata, NewEvent};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use uuid::Uuid;
use validator::Validate;

use super::{invalid, known_agent, limit_offset, one_of};
use crate::auth::{Action, Caller};
use crate::idempotent::{self, Written};
use crate::request::{json_body, rfc3339, time};
use crate::{ApiError, ApiResult, AppState, limits, missing};

/// Most entries one batch may carry.
pub const MAX_BATCH: usize = 10_000;

fn valid_verdict(text: &str) -> Result<(), validator::ValidationError> {
    one_of(text, &["PERMIT", "ESCALATE", "DENY"], "policy_verdict")
}

fn valid_status(text: &str) -> Result<(), validator::ValidationError> {
    one_of(text, &["success", "error", "blocked"], "status")
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub agent_id: Uuid,
    #[validate(length(min = 1, max = 100))]
    pub action_type: String,
    #[validate(length(min = 1, max = 100))]
    pub connector: Option<String>,
    #[validate(length(max = 1000))]
    pub target_resource: Option<String>,
    #[validate(custom(function = "valid_verdict"))]
    pub policy_verdict: Option<String>,
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    #[validate(range(min = 0))]
    pub duration_ms: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    pub correlation_id: Option<String>,
    /// Kept as sent (checked one entry at a time), so a batch is never a tree in memory.
    pub metadata: Option<Box<RawValue>>,
    /// When it happened; now when absent.
    pub created_at: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    #[validate(nested)]
    pub entries: Vec<AuditEntry>,
}

impl AuditEntry {
    fn into_event(self, field: &str) -> Result<NewEvent, ApiError> {
        let metadata = match self.metadata {
            Some(raw) => {
                let field = format!("{field}metadata");
                // One entry's metadata at a time, at most a few KiB: parsed only to be checked.
                let parsed: Value = serde_json::from_str(raw.get())
                    .map_err(|error| ApiError::bad_request(format!("{field}: {error}")))?;
                if !parsed.is_object() {
                    return Err(ApiError::bad_request(format!("{field}: must be an object")));
                }
                limits::json(&field, &parsed, limits::MAX_METADATA_BYTES)?;
                Metadata::from_raw(raw)
            }
            None => Metadata::default(),
        };
        let declared_at = self
            .created_at
            .as_deref()
            .map(|t| time(&format!("{field}created_at"), t))
            .transpose()?;
        let mut event_attributes = compliance_core::Attributes::new();
        event_attributes.insert("arc_display_type".to_owned(), self.action_type.clone());
        if let Some(id) = &self.correlation_id {
            event_attributes.insert("arc_correlation_value".to_owned(), id.clone());
        }
        Ok(NewEvent {
            id: Uuid::new_v4(),
            asset_id: self.agent_id,
            display_type: self.action_type,
            correlation_value: self.correlation_id,
            declared_at,
            operation: "Record".to_owned(),
            behaviour: "RecordEvidence".to_owned(),
            event_attributes,
            asset_attributes: compliance_core::Attributes::new(),
            principal_declared: json!({}),
            audit: AuditFields {
                connector: self.connector,
                target_resource: self.target_resource,
                policy_verdict: self.policy_verdict,
                status: self.status,
                duration_ms: self.duration_ms,
                metadata,
            },
        })
    }
}

pub fn entry_json(record: &EventRecord) -> Value {
    let e = &record.event;
    json!({
        "id": e.id,
        "agent_id": e.asset_id,
        "action_type": e.display_type,
        "connector": e.audit.connector,
        "target_resource": e.audit.target_resource,
        "policy_verdict": e.audit.policy_verdict,
        "status": e.audit.status,
        "duration_ms": e.audit.duration_ms,
        "correlation_id": e.correlation_value,
        "metadata": e.audit.metadata,
        "created_at": rfc3339(record.occurred_at),
        "recorded_at": rfc3339(record.accepted_at),
    })
}

/// POST /v1/audit: one entry.
pub async fn append(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let entry: AuditEntry = json_body(&req, &body)?;
    entry.validate().map_err(|e| invalid(&e))?;
    let event = entry.into_event("")?;
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let stored = async {
            agents::get(&mut *conn, event.asset_id).await?;
            events::append(&mut *conn, &event).await
        }
        .await
        .map_err(missing("agent"))?;
        Written::new(StatusCode::CREATED, &entry_json(&stored))
    })
    .await
}

/// POST /v1/audit/batch: up to 10,000 entries in one transaction, all or nothing.
pub async fn append_batch(
    caller: Caller,
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    caller.may(Action::Record)?;
    let batch: Batch = json_body(&req, &body)?;
    if batch.entries.is_empty() || batch.entries.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "entries: 1 to {MAX_BATCH} entries, not {}",
            batch.entries.len()
        )));
    }
    batch.validate().map_err(|e| invalid(&e))?;
    let events = batch
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| entry.into_event(&format!("entries[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let agents_named: BTreeSet<Uuid> = events.iter().map(|e| e.asset_id).collect();
    idempotent::write(&state, &caller, &req, &body, async |conn| {
        let appended = async {
            for agent in &agents_named {
                agents::get(&mut *conn, *agent).await?;
            }
            events::append_many(&mut *conn, &events).await
        }
        .await
        .map_err(missing("agent"))?;
        Written::new(StatusCode::CREATED, &json!({ "appended": appended }))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailQuery {
    agent_id: Option<Uuid>,
    action_type: Option<String>,
    connector: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// GET /v1/audit: newest first, with the total.
pub async fn list(
    caller: Caller,
    state: Data<AppState>,
    query: Query<TrailQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let (limit, offset) = limit_offset(query.limit, query.offset)?;
    let filter = EventQuery {
        asset_id: query.agent_id,
        display_type: query.action_type,
        connector: query.connector,
        status: query.status,
        agents_only: true,
        limit,
        offset,
        ..EventQuery::default()
    };
    let mut conn = state.store.tenant(caller.org()).await?;
    let found = async {
        known_agent(&mut conn, filter.asset_id).await?;
        let entries = events::list(&mut conn, &filter).await?;
        let total = events::count(&mut conn, &filter).await?;
        Ok::<_, compliance_store::StoreError>((entries, total))
    }
    .await;
    let (entries, total) = conn.end(found).await.map_err(missing("agent"))?;
    let entries: Vec<Value> = entries.iter().map(entry_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "entries": entries, "total": total })))
}

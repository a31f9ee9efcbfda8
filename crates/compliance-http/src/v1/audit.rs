//! The audit trail: an agent's entries are events on its asset, append-only.

use std::collections::BTreeSet;

use actix_web::HttpResponse;
use actix_web::web::{Json, Query};
use compliance_core::{AuditEntry, Metadata, Outcome, Verdict};
use compliance_store::events::{self, EventQuery, EventRecord, NewEvent};
use compliance_store::{agents, packages};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{TrailQuery, known_agent};
use crate::idempotent::{Written, is_replay};
use crate::metrics::Source;
use crate::paging::Window;
use crate::permission::{Read, Record};
use crate::request::{Body, RequestBody, time, validated, whole};
use crate::{ApiError, ApiResult, OrNotFound, Tenant, limits};

/// Most entries one batch may carry.
pub const MAX_BATCH: usize = 10_000;

/// POST /v1/audit: one entry, as the agent declares it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    pub agent_id: Uuid,
    /// Such as `connector.called`, `drift.detected`, `approval.requested`; not
    /// `compliance.generated`, which the server alone writes (422).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub action_type: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub connector: Option<String>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub target_resource: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Option<Outcome>,
    #[serde(default, deserialize_with = "whole::option_i64")]
    #[validate(range(min = 0))]
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991.0)]
    pub duration_ms: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// A JSON object of at most 16 KiB. Kept as sent (checked one entry at a time), so a batch
    /// is never a tree in memory.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Box<RawValue>>,
    /// When it happened (RFC 3339); the time the server accepts it when absent.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<String>,
}

impl RequestBody for EntryRequest {
    fn check(&self) -> ApiResult<()> {
        validated(self)?;
        reserved("action_type", &self.action_type)
    }
}

/// Action types only the server writes: a package's generation is witnessed by the entry the
/// generating transaction writes, so a client's would be a forgery (docs/packages.md).
fn reserved(field: &str, action_type: &str) -> ApiResult<()> {
    if action_type == packages::GENERATED {
        return Err(ApiError::unprocessable(format!(
            "{field}: {action_type} is written by the server alone, when it generates a package"
        )));
    }
    Ok(())
}

impl EntryRequest {
    /// The entry as the core knows it; `field` prefixes the names in errors (`entries[3].`).
    fn entry(&self, field: &str) -> ApiResult<AuditEntry> {
        let mut entry = AuditEntry::new(self.agent_id, &self.action_type);
        entry.connector.clone_from(&self.connector);
        entry.target_resource.clone_from(&self.target_resource);
        entry.policy_verdict = self.policy_verdict;
        entry.status = self.status;
        entry.duration_ms = self.duration_ms;
        entry.correlation_id.clone_from(&self.correlation_id);
        entry.declared_at = self
            .created_at
            .as_deref()
            .map(|t| time(&format!("{field}created_at"), t))
            .transpose()?;
        if let Some(raw) = &self.metadata {
            let field = format!("{field}metadata");
            // One entry's metadata at a time, at most a few KiB: parsed to be checked, and kept
            // as the text it parses to, so that every number is one a JSON reader reads back
            // (PostgreSQL keeps numbers exactly, and would otherwise hand back some, such as
            // 1e-400 or 1e-20000, that it cannot store or that no double can hold).
            let parsed: Value = serde_json::from_str(raw.get())
                .map_err(|error| ApiError::bad_request(format!("{field}: {error}")))?;
            if !parsed.is_object() {
                return Err(ApiError::bad_request(format!("{field}: must be an object")));
            }
            limits::json(&field, &parsed, limits::MAX_METADATA_BYTES)?;
            entry.metadata = Metadata::from_value(&parsed);
        }
        Ok(entry)
    }
}

/// POST /v1/audit/batch
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 10,000 entries.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 10_000)]
    pub entries: Vec<EntryRequest>,
}

impl RequestBody for BatchRequest {
    fn check(&self) -> ApiResult<()> {
        if self.entries.is_empty() || self.entries.len() > MAX_BATCH {
            return Err(ApiError::bad_request(format!(
                "entries: 1 to {MAX_BATCH} entries, not {}",
                self.entries.len()
            )));
        }
        validated(self)?;
        for (i, entry) in self.entries.iter().enumerate() {
            reserved(&format!("entries[{i}].action_type"), &entry.action_type)?;
        }
        Ok(())
    }
}

/// An audit entry as the API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub action_type: String,
    pub connector: Option<String>,
    pub target_resource: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Option<Outcome>,
    pub duration_ms: Option<i64>,
    pub correlation_id: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// When it happened: as declared, else when it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the server accepted it.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

impl From<&EventRecord> for EntryView {
    fn from(record: &EventRecord) -> Self {
        let e = &record.event;
        Self {
            id: e.id,
            agent_id: e.asset_id,
            action_type: e.display_type.clone(),
            connector: e.audit.connector.clone(),
            target_resource: e.audit.target_resource.clone(),
            policy_verdict: e.audit.policy_verdict,
            status: e.audit.status,
            duration_ms: e.audit.duration_ms,
            correlation_id: e.correlation_value.clone(),
            metadata: e.audit.metadata.clone(),
            created_at: record.occurred_at,
            recorded_at: record.accepted_at,
        }
    }
}

/// What a batch appended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Appended {
    pub appended: usize,
}

/// A page of the trail, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryList {
    pub entries: Vec<EntryView>,
    /// Entries in all pages.
    pub total: i64,
}

/// Appends one entry to an agent's trail.
#[utoipa::path(post, path = "/v1/audit", tag = "audit", request_body = EntryRequest,
    responses((status = 201, description = "Appended", body = EntryView)))]
pub async fn append(tenant: Tenant<Record>, body: Body<EntryRequest>) -> ApiResult<HttpResponse> {
    let event = NewEvent::from(body.entry("")?);
    // Counted once committed: a replayed answer's work, if it ran, was rolled back.
    let mut appended = 0;
    let answer = tenant
        .write(&body, async |conn| {
            agents::get(conn, event.asset_id).await.or_404("agent")?;
            let stored = events::append(conn, &event).await?;
            appended = 1;
            Written::created(&EntryView::from(&stored))
        })
        .await?;
    if !is_replay(&answer) {
        tenant.state().metrics.entries(Source::Audit, appended);
    }
    Ok(answer)
}

/// Appends up to 10,000 entries in one transaction, all or nothing.
#[utoipa::path(post, path = "/v1/audit/batch", tag = "audit", request_body = BatchRequest,
    responses((status = 201, description = "Appended", body = Appended)))]
pub async fn append_batch(
    tenant: Tenant<Record>,
    body: Body<BatchRequest>,
) -> ApiResult<HttpResponse> {
    let events: std::sync::Arc<[NewEvent]> = body
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| entry.entry(&format!("entries[{i}].")).map(NewEvent::from))
        .collect::<ApiResult<Vec<_>>>()?
        .into();
    let agents_named: BTreeSet<Uuid> = events.iter().map(|e| e.asset_id).collect();
    let mut counted = 0;
    let answer = tenant
        .write(&body, async |conn| {
            for agent in &agents_named {
                agents::get(conn, *agent).await.or_404("agent")?;
            }
            let appended = events::append_many(conn, std::sync::Arc::clone(&events)).await?;
            counted = appended;
            Written::created(&Appended { appended })
        })
        .await?;
    if !is_replay(&answer) {
        tenant.state().metrics.entries(Source::Batch, counted);
    }
    Ok(answer)
}

/// The trail, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(TrailQuery),
    responses((status = 200, description = "A page of entries", body = EntryList)))]
pub async fn list(tenant: Tenant<Read>, query: Query<TrailQuery>) -> ApiResult<Json<EntryList>> {
    let query = query.into_inner();
    let window = Window::new(query.limit, query.offset)?;
    let filter = EventQuery {
        asset_id: query.agent_id,
        display_type: query.action_type,
        connector: query.connector,
        status: query.status,
        agents_only: true,
        limit: window.limit,
        offset: window.offset,
        ..EventQuery::default()
    };
    let (entries, total) = tenant
        .transact(async |conn| {
            known_agent(conn, filter.asset_id).await.or_404("agent")?;
            let entries = events::list(conn, &filter).await?;
            Ok((entries, events::count(conn, &filter).await?))
        })
        .await?;
    let entries = entries.iter().map(EntryView::from).collect();
    Ok(Json(EntryList { entries, total }))
}

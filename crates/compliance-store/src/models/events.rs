use std::sync::Arc;

use compliance_attest::log::LogLeaf;
pub use compliance_core::Metadata;
use compliance_core::{Attributes, AuditEntry, Outcome, Verdict, microseconds};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{attributes, json, log, parsed};
use crate::schema::events;
use crate::{StoreResult, TenantConn};

/// Rows per INSERT in a batch: one array per column, so the statement's size does not grow.
const BATCH_ROWS: usize = 5000;

/// The columns an agent's audit-trail entry adds to an event (seed 000).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFields {
    pub connector: Option<String>,
    pub target_resource: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Option<Outcome>,
    pub duration_ms: Option<i64>,
    pub metadata: Metadata,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub id: Uuid,
    pub asset_id: Uuid,
    /// `arc_display_type`, or an audit entry's action type.
    pub display_type: String,
    pub correlation_value: Option<String>,
    pub declared_at: Option<OffsetDateTime>,
    pub operation: String,
    pub behaviour: String,
    pub event_attributes: Attributes,
    pub asset_attributes: Attributes,
    pub principal_declared: serde_json::Value,
    pub audit: AuditFields,
}

impl From<AuditEntry> for NewEvent {
    /// An audit entry becomes an event on its agent's asset: its action type is the event's
    /// `arc_display_type`, its correlation id the event's correlation value.
    fn from(entry: AuditEntry) -> Self {
        let mut event_attributes = Attributes::new();
        event_attributes.insert("arc_display_type".to_owned(), entry.action_type.clone());
        if let Some(id) = &entry.correlation_id {
            event_attributes.insert("arc_correlation_value".to_owned(), id.clone());
        }
        Self {
            id: Uuid::new_v4(),
            asset_id: entry.agent_id,
            display_type: entry.action_type,
            correlation_value: entry.correlation_id,
            declared_at: entry.declared_at,
            operation: "Record".to_owned(),
            behaviour: "RecordEvidence".to_owned(),
            event_attributes,
            asset_attributes: Attributes::new(),
            principal_declared: serde_json::Value::Object(serde_json::Map::new()),
            audit: AuditFields {
                connector: entry.connector,
                target_resource: entry.target_resource,
                policy_verdict: entry.policy_verdict,
                status: entry.status,
                duration_ms: entry.duration_ms,
                metadata: entry.metadata,
            },
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event: NewEvent,
    pub accepted_at: OffsetDateTime,
    /// Declared when given, else accepted: the event's time for every policy.
    pub occurred_at: OffsetDateTime,
    pub seq: i64,
    /// Its leaf of the org's log; `None` only for a row inserted behind the API's back.
    pub leaf_index: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
struct EventInsert<'a> {
    org_id: Uuid,
    asset_id: Uuid,
    id: Uuid,
    display_type: &'a str,
    correlation_value: Option<&'a str>,
    declared_at: Option<OffsetDateTime>,
    operation: &'a str,
    behaviour: &'a str,
    event_attributes: serde_json::Value,
    asset_attributes: serde_json::Value,
    principal_declared: &'a serde_json::Value,
    connector: Option<&'a str>,
    target_resource: Option<&'a str>,
    policy_verdict: Option<&'a str>,
    status: Option<&'a str>,
    duration_ms: Option<i64>,
    metadata: serde_json::Value,
    leaf_index: i64,
}

impl<'a> EventInsert<'a> {
    fn new(org: Uuid, event: &'a NewEvent, leaf_index: i64) -> Self {
        Self {
            leaf_index,
            org_id: org,
            asset_id: event.asset_id,
            id: event.id,
            display_type: &event.display_type,
            correlation_value: event.correlation_value.as_deref(),
            declared_at: event.declared_at.map(microseconds),
            operation: &event.operation,
            behaviour: &event.behaviour,
            event_attributes: json(&event.event_attributes),
            asset_attributes: json(&event.asset_attributes),
            principal_declared: &event.principal_declared,
            connector: event.audit.connector.as_deref(),
            target_resource: event.audit.target_resource.as_deref(),
            policy_verdict: event.audit.policy_verdict.map(Verdict::as_str),
            status: event.audit.status.map(Outcome::as_str),
            duration_ms: event.audit.duration_ms,
            // One entry's metadata, at most a few KiB: parsed for the jsonb column.
            metadata: event.audit.metadata.to_value(),
        }
    }
}

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
struct EventRow {
    id: Uuid,
    asset_id: Uuid,
    seq: i64,
    display_type: String,
    correlation_value: Option<String>,
    declared_at: Option<OffsetDateTime>,
    accepted_at: OffsetDateTime,
    occurred_at: OffsetDateTime,
    operation: String,
    behaviour: String,
    event_attributes: serde_json::Value,
    asset_attributes: serde_json::Value,
    principal_declared: serde_json::Value,
    connector: Option<String>,
    target_resource: Option<String>,
    policy_verdict: Option<String>,
    status: Option<String>,
    duration_ms: Option<i64>,
    /// As PostgreSQL writes it: kept as text, never read into doubles, so every number it holds
    /// (it keeps them exactly) reaches the client as stored.
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Text>("events.metadata::text"))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Text>)]
    #[diesel(sql_type = diesel::sql_types::Text)]
    metadata: String,
    leaf_index: Option<i64>,
}

impl TryFrom<EventRow> for EventRecord {
    type Error = crate::StoreError;

    fn try_from(row: EventRow) -> StoreResult<Self> {
        Ok(Self {
            event: NewEvent {
                id: row.id,
                asset_id: row.asset_id,
                display_type: row.display_type,
                correlation_value: row.correlation_value,
                declared_at: row.declared_at,
                operation: row.operation,
                behaviour: row.behaviour,
                event_attributes: attributes(row.event_attributes)?,
                asset_attributes: attributes(row.asset_attributes)?,
                principal_declared: row.principal_declared,
                audit: AuditFields {
                    connector: row.connector,
                    target_resource: row.target_resource,
                    policy_verdict: row
                        .policy_verdict
                        .map(|v| parsed("policy_verdict", &v))
                        .transpose()?,
                    status: row.status.map(|s| parsed("status", &s)).transpose()?,
                    duration_ms: row.duration_ms,
                    metadata: Metadata::from_text(row.metadata).map_err(|error| {
                        crate::StoreError::Corrupt(format!("metadata is not JSON: {error}"))
                    })?,
                },
            },
            accepted_at: row.accepted_at,
            occurred_at: row.occurred_at,
            seq: row.seq,
            leaf_index: row.leaf_index,
        })
    }
}

/// `event`, accepted at `accepted_at`, as its leaf of the org's log records it (docs/log.md):
/// what the stored row says, so a proof made from the row again hashes the same.
pub(crate) fn leaf(
    org: Uuid,
    event: &NewEvent,
    accepted_at: OffsetDateTime,
) -> StoreResult<LogLeaf> {
    let metadata = serde_json::from_str(event.audit.metadata.get())
        .map_err(|e| crate::StoreError::Corrupt(format!("metadata is not JSON: {e}")))?;
    Ok(LogLeaf {
        org_id: org.to_string(),
        asset_id: event.asset_id.to_string(),
        id: event.id.to_string(),
        display_type: event.display_type.clone(),
        correlation_value: event.correlation_value.clone(),
        // As stored: whole microseconds, floored (sent so, PostgreSQL keeps it exactly).
        declared_at: event.declared_at.map(microseconds).map(log::instant),
        accepted_at: log::instant(accepted_at),
        operation: event.operation.clone(),
        behaviour: event.behaviour.clone(),
        event_attributes: json(&event.event_attributes),
        asset_attributes: json(&event.asset_attributes),
        principal_declared: event.principal_declared.clone(),
        connector: event.audit.connector.clone(),
        target_resource: event.audit.target_resource.clone(),
        policy_verdict: event.audit.policy_verdict.map(|v| v.as_str().to_owned()),
        status: event.audit.status.map(|s| s.as_str().to_owned()),
        duration_ms: event.audit.duration_ms,
        metadata,
    })
}

impl EventRecord {
    /// The event as its leaf of the org's log records it (docs/log.md).
    pub fn leaf(&self, org: Uuid) -> StoreResult<LogLeaf> {
        leaf(org, &self.event, self.accepted_at)
    }
}

/// Which events to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub asset_id: Option<Uuid>,
    pub display_type: Option<String>,
    pub connector: Option<String>,
    pub status: Option<Outcome>,
    /// Event attributes that must all match exactly.
    pub event_attributes: Attributes,
    /// Only events of agents (their audit trails).
    pub agents_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Appends one event to its asset's history, and to the org's log.
pub async fn append(conn: &mut TenantConn, event: &NewEvent) -> StoreResult<EventRecord> {
    let org = conn.org();
    let head = log::lock(conn).await?;
    let row: EventRow = diesel::insert_into(events::table)
        .values(EventInsert::new(org, event, log::stored(head.size)?))
        .returning(EventRow::as_returning())
        .get_result(conn.db())
        .await?;
    let record: EventRecord = row.try_into()?;
    let hash = log::leaf_hash(org, &record.event, record.accepted_at)?;
    log::append(conn, head, std::slice::from_ref(&record.event), vec![hash]).await?;
    Ok(record)
}

/// Appends many events, and logs them in their order; all or nothing with the caller's
/// transaction.
pub async fn append_many(conn: &mut TenantConn, batch: Arc<[NewEvent]>) -> StoreResult<usize> {
    let org = conn.org();
    let head = log::lock(conn).await?;
    // Each leaf is made from the batch as sent (as its row reads back), on a core of its own
    // while PostgreSQL inserts the rows.
    let hashing = {
        let batch = Arc::clone(&batch);
        tokio::task::spawn_blocking(move || {
            batch
                .iter()
                .map(|event| log::leaf_hash(org, event, head.accepted_at))
                .collect::<StoreResult<Vec<_>>>()
        })
    };
    let appended = insert_chunks(conn, &batch, Some(log::stored(head.size)?)).await?;
    let hashes = hashing
        .await
        .map_err(|error| crate::StoreError::Corrupt(format!("hashing leaves failed: {error}")))??;
    log::append(conn, head, &batch, hashes).await?;
    Ok(appended)
}

/// [`append_many`] without the log: only the benchmark measuring the log's cost calls it, since
/// an event outside the log fails the next package's check that the log is whole.
#[doc(hidden)]
pub async fn insert_many(conn: &mut TenantConn, batch: &[NewEvent]) -> StoreResult<usize> {
    insert_chunks(conn, batch, None).await
}

/// One event of the org, whatever its asset.
pub async fn by_id(conn: &mut TenantConn, id: Uuid) -> StoreResult<EventRecord> {
    let row: EventRow = events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn.db())
        .await?;
    row.try_into()
}

/// The events that are leaves `from..to` of the org's log, in leaf order.
pub(crate) async fn by_leaves(
    conn: &mut TenantConn,
    from: i64,
    to: i64,
) -> StoreResult<Vec<EventRecord>> {
    let rows: Vec<EventRow> = events::table
        .filter(events::leaf_index.ge(from))
        .filter(events::leaf_index.lt(to))
        .order(events::leaf_index)
        .select(EventRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Each chunk of a batch is one
/// `INSERT … SELECT FROM unnest(<one array per column>)`: a constant statement, prepared once,
/// instead of a freshly parsed multi-row VALUES list.
/// `first_leaf` is the first row's leaf index, the others' follow in order; `None` inserts rows
/// that are no leaf (the benchmark's baseline).
async fn insert_chunks(
    conn: &mut TenantConn,
    batch: &[NewEvent],
    first_leaf: Option<i64>,
) -> StoreResult<usize> {
    let org = conn.org();
    let mut appended = 0;
    for chunk in batch.chunks(BATCH_ROWS) {
        let first = first_leaf.map(|first| first + appended as i64);
        appended += insert_query(org, chunk, first).execute(conn.db()).await?;
    }
    Ok(appended)
}

/// One chunk's `INSERT … SELECT FROM unnest(<one array per column>)`.
fn insert_query(
    org: Uuid,
    chunk: &[NewEvent],
    first_leaf: Option<i64>,
) -> diesel::query_builder::BoxedSqlQuery<'_, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    let column = |f: &dyn Fn(&NewEvent) -> Option<String>| chunk.iter().map(f).collect::<Vec<_>>();
    // Metadata travels as text and becomes jsonb in PostgreSQL, never a tree in memory.
    diesel::sql_query(
        "INSERT INTO events (org_id, asset_id, id, display_type, correlation_value, declared_at, operation, \
           behaviour, event_attributes, asset_attributes, principal_declared, connector, target_resource, \
           policy_verdict, status, duration_ms, metadata, leaf_index) \
         SELECT $1, a, i, d, c, t, o, b, ea, aa, p, cn, tr, pv, s, dm, m::jsonb, $18 + n - 1 \
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], \
           $7::text[], $8::text[], $9::jsonb[], $10::jsonb[], $11::jsonb[], $12::text[], $13::text[], \
           $14::text[], $15::text[], $16::int8[], $17::text[]) \
           WITH ORDINALITY AS u(a, i, d, c, t, o, b, ea, aa, p, cn, tr, pv, s, dm, m, n)",
    )
    .into_boxed()
    .bind::<SqlUuid, _>(org)
    .bind::<Array<SqlUuid>, _>(chunk.iter().map(|e| e.asset_id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(chunk.iter().map(|e| e.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(chunk.iter().map(|e| e.display_type.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(column(&|e| e.correlation_value.clone()))
    .bind::<Array<Nullable<Timestamptz>>, _>(chunk.iter().map(|e| e.declared_at.map(microseconds)).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(chunk.iter().map(|e| e.operation.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(chunk.iter().map(|e| e.behaviour.clone()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(chunk.iter().map(|e| json(&e.event_attributes)).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(chunk.iter().map(|e| json(&e.asset_attributes)).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(chunk.iter().map(|e| e.principal_declared.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(column(&|e| e.audit.connector.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(&|e| e.audit.target_resource.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(&|e| e.audit.policy_verdict.map(|v| v.as_str().to_owned())))
    .bind::<Array<Nullable<Text>>, _>(column(&|e| e.audit.status.map(|s| s.as_str().to_owned())))
    .bind::<Array<Nullable<BigInt>>, _>(chunk.iter().map(|e| e.audit.duration_ms).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(chunk.iter().map(|e| e.audit.metadata.get().to_owned()).collect::<Vec<_>>())
    .bind::<Nullable<BigInt>, _>(first_leaf)
}

/// One event of one asset.
pub async fn get(conn: &mut TenantConn, asset_id: Uuid, id: Uuid) -> StoreResult<EventRecord> {
    let row: EventRow = events::table
        .filter(events::asset_id.eq(asset_id))
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn.db())
        .await?;
    row.try_into()
}

fn filtered(query: &EventQuery) -> events::BoxedQuery<'_, diesel::pg::Pg> {
    let mut select = events::table.into_boxed();
    if let Some(asset_id) = query.asset_id {
        select = select.filter(events::asset_id.eq(asset_id));
    }
    if let Some(display_type) = &query.display_type {
        select = select.filter(events::display_type.eq(display_type));
    }
    if let Some(connector) = &query.connector {
        select = select.filter(events::connector.eq(connector));
    }
    if let Some(status) = &query.status {
        select = select.filter(events::status.eq(status.as_str()));
    }
    if query.agents_only {
        select = select.filter(
            events::asset_id.eq_any(crate::schema::agents::table.select(crate::schema::agents::id)),
        );
    }
    if !query.event_attributes.is_empty() {
        select = select.filter(events::event_attributes.contains(json(&query.event_attributes)));
    }
    select
}

/// Events newest first, one page.
pub async fn list(conn: &mut TenantConn, query: &EventQuery) -> StoreResult<Vec<EventRecord>> {
    let rows: Vec<EventRow> = filtered(query)
        .order((events::occurred_at.desc(), events::seq.desc()))
        .limit(query.limit)
        .offset(query.offset)
        .select(EventRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// How many events match, ignoring paging.
pub async fn count(conn: &mut TenantConn, query: &EventQuery) -> StoreResult<i64> {
    Ok(filtered(query).count().get_result(conn.db()).await?)
}

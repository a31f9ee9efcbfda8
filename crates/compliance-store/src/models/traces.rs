//! Spans recorded as audit entries (docs/ingest.md): each span's agent found by id or by name,
//! an agent nobody registered made as *discovered*, and the entries appended in one batch.

use std::collections::{BTreeMap, BTreeSet};

use compliance_core::traces::SpanEntry;
use compliance_core::{AgentProfile, AuditEntry, Metadata};
use uuid::Uuid;

use super::agents;
use super::events::{self, NewEvent};
use crate::{StoreResult, TenantConn};

/// What became of the spans given to [`record`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Entries appended.
    pub entries: usize,
    /// Spans already stored (an export sent again, or a span twice in one): not appended again.
    pub already_stored: usize,
    /// Why each span not appended was refused, one reason per span.
    pub refused: Vec<String>,
}

/// Appends an entry for each of `spans` to its agent's trail. An agent named by a name no agent
/// has is made, discovered. A name shared by two registered agents (or, with none registered, by
/// two discovered ones) refuses the span: never a guess.
pub async fn record(conn: &mut TenantConn, spans: Vec<SpanEntry>) -> StoreResult<Recorded> {
    let ids: Vec<Uuid> = spans
        .iter()
        .filter_map(|s| s.agent.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let known: BTreeSet<Uuid> = agents::existing(conn, &ids).await?.into_iter().collect();
    // Names in sorted order: discoveries lock them in that order, so two exports never wait on
    // each other in a circle.
    let names: BTreeSet<String> = spans
        .iter()
        .filter(|s| !s.agent.id.is_some_and(|id| known.contains(&id)))
        .filter_map(|s| s.agent.name.clone())
        .collect();
    let mut by_name: BTreeMap<String, Result<Uuid, String>> = BTreeMap::new();
    for name in names {
        let found = agent_named(conn, &name).await?;
        by_name.insert(name, found);
    }
    let mut recorded = Recorded::default();
    let mut entries = Vec::with_capacity(spans.len());
    for span in spans {
        let agent = match (span.agent.id, span.agent.name.as_deref()) {
            (Some(id), _) if known.contains(&id) => Ok(id),
            (_, Some(name)) => by_name
                .get(name)
                .cloned()
                .unwrap_or_else(|| Err(format!("the agent {name:?} was not looked up"))),
            (_, None) => Err(
                "names no agent: set gen_ai.agent.id, gen_ai.agent.name or the \
                              resource's service.name"
                    .to_owned(),
            ),
        };
        match agent {
            Ok(agent) => entries.push(entry(conn.org(), agent, span)),
            Err(reason) => recorded.refused.push(reason),
        }
    }
    let entries = new_only(conn, entries).await?;
    recorded.already_stored = entries.1;
    if !entries.0.is_empty() {
        recorded.entries = events::append_many(conn, entries.0.into()).await?;
    }
    Ok(recorded)
}

/// The entries not stored yet, and how many were. An entry's id is derived from its org, trace
/// and span ids, so a span sent again has the id it was stored under. The org's log is locked
/// first (after the agent-name locks, as the lock order has it), so no racing export of the same
/// spans stores them between this look and the append.
async fn new_only(
    conn: &mut TenantConn,
    entries: Vec<NewEvent>,
) -> StoreResult<(Vec<NewEvent>, usize)> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    use crate::schema::events as table;
    if entries.is_empty() {
        return Ok((entries, 0));
    }
    super::log::lock(conn).await?;
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut seen: BTreeSet<Uuid> = table::table
        .filter(table::id.eq_any(&ids))
        .select(table::id)
        .load::<Uuid>(conn.db())
        .await?
        .into_iter()
        .collect();
    let sent = entries.len();
    let fresh: Vec<NewEvent> = entries.into_iter().filter(|e| seen.insert(e.id)).collect();
    let already = sent - fresh.len();
    Ok((fresh, already))
}

/// The id of the entry a span becomes: a name-based UUID (RFC 9562 §5.5) of the org, the trace
/// and the span, the same however often the span is sent.
fn entry_id(org: Uuid, trace_id: &str, span_id: &str) -> Uuid {
    Uuid::new_v5(&org, format!("otel/{trace_id}/{span_id}").as_bytes())
}

/// The agent spans named `name` belong to: the one registered agent of that name, else the one
/// discovered, else a new discovered one.
async fn agent_named(conn: &mut TenantConn, name: &str) -> StoreResult<Result<Uuid, String>> {
    let chosen = |found: &[(Uuid, bool)]| -> Option<Result<Uuid, String>> {
        let registered: Vec<Uuid> = found.iter().filter(|a| !a.1).map(|a| a.0).collect();
        let pool = if registered.is_empty() {
            found.iter().map(|a| a.0).collect()
        } else {
            registered
        };
        match pool.as_slice() {
            [] => None,
            [id] => Some(Ok(*id)),
            many => Some(Err(format!(
                "{} agents are named {name:?}: send gen_ai.agent.id",
                many.len()
            ))),
        }
    };
    if let Some(found) = chosen(&agents::named(conn, name).await?) {
        return Ok(found);
    }
    // None yet: under the name's lock, look again (a racing export may have made it), then make it.
    agents::lock_name(conn, name).await?;
    if let Some(found) = chosen(&agents::named(conn, name).await?) {
        return Ok(found);
    }
    let profile = AgentProfile {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        discovered: true,
        ..AgentProfile::default()
    };
    agents::create(conn, &profile).await?;
    Ok(Ok(profile.id))
}

fn entry(org: Uuid, agent: Uuid, span: SpanEntry) -> NewEvent {
    let id = entry_id(org, &span.correlation_id, &span.span_id);
    let mut entry = AuditEntry::new(agent, span.action_type);
    entry.connector = span.connector;
    entry.policy_verdict = span.policy_verdict;
    entry.status = Some(span.status);
    entry.duration_ms = Some(span.duration_ms);
    entry.correlation_id = Some(span.correlation_id);
    entry.declared_at = Some(span.declared_at);
    entry.metadata = Metadata::from_value(&serde_json::Value::Object(span.metadata));
    NewEvent {
        id,
        ..NewEvent::from(entry)
    }
}

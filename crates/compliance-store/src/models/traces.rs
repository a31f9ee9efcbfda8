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
            Ok(agent) => entries.push(entry(agent, span)),
            Err(reason) => recorded.refused.push(reason),
        }
    }
    if !entries.is_empty() {
        recorded.entries = events::append_many(conn, entries.into()).await?;
    }
    Ok(recorded)
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

fn entry(agent: Uuid, span: SpanEntry) -> NewEvent {
    let mut entry = AuditEntry::new(agent, span.action_type);
    entry.connector = span.connector;
    entry.policy_verdict = span.policy_verdict;
    entry.status = Some(span.status);
    entry.duration_ms = Some(span.duration_ms);
    entry.correlation_id = Some(span.correlation_id);
    entry.declared_at = Some(span.declared_at);
    entry.metadata = Metadata::from_value(&serde_json::Value::Object(span.metadata));
    NewEvent::from(entry)
}

//! Agents' OpenTelemetry spans as audit entries (docs/ingest.md): which spans are evidence, in
//! the GenAI semantic conventions and the OpenInference and OpenLLMetry dialects, and what entry
//! each becomes. Pure: the HTTP layer decodes OTLP into [`Span`]s and resolves the agent.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Outcome, Verdict};

/// An attribute's value, as OTLP's `AnyValue` carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// Arrays, maps and bytes, as their OTLP JSON text (what an auditor can reproduce).
    Other(String),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Self::Text(text) | Self::Other(text) => text.clone(),
            Self::Bool(b) => b.to_string(),
            Self::Int(n) => n.to_string(),
            Self::Double(x) => x.to_string(),
        }
    }
}

/// A span's status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpanStatus {
    #[default]
    Unset,
    Ok,
    Error,
}

/// One span, with what it takes from its resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Span {
    /// Lower-case hex, 32 digits.
    pub trace_id: String,
    /// Lower-case hex, 16 digits.
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub status: SpanStatus,
    pub attributes: BTreeMap<String, Value>,
    /// The resource's `service.name`.
    pub service_name: Option<String>,
}

/// How a span names its agent, most specific first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentNamed {
    /// `gen_ai.agent.id`, when it is a UUID: the agent's id here.
    pub id: Option<Uuid>,
    /// `gen_ai.agent.name`, else the resource's `service.name`: matched to a registered name.
    pub name: Option<String>,
}

/// The audit entry a span becomes, but for its agent.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEntry {
    pub agent: AgentNamed,
    pub action_type: &'static str,
    pub connector: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Outcome,
    pub duration_ms: i64,
    /// The trace id: every entry of one run of the agent shares it.
    pub correlation_id: String,
    /// The span's id, hex: with the trace id, what makes a span sent again the same entry.
    pub span_id: String,
    pub declared_at: OffsetDateTime,
    /// A JSON object: the span's ids, name and dialect, the model or tool details, and the tool's
    /// arguments and result (as SHA-256 digests unless the org keeps them).
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// What becomes of a span.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Entry(Box<SpanEntry>),
    /// A span that is no evidence (a chain step, an embedding, an HTTP call): counted, not stored.
    Ignored,
    /// A span that is evidence but cannot be stored as it is; the reason names the field.
    Rejected(String),
}

/// Most bytes of a tool's arguments or result kept in an entry when the org keeps them: beyond,
/// the digest alone is kept, and the entry says so. The entry's metadata holds at most 16 KiB.
pub const KEPT_PAYLOAD_BYTES: usize = 4096;

/// Longest connector name an entry takes (as `POST /v1/audit` allows).
const CONNECTOR_CHARS: usize = 100;

/// Longest agent name (as `POST /v1/agents` allows).
pub const AGENT_NAME_CHARS: usize = 200;

/// Which convention recognised the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    GenAi,
    OpenInference,
    OpenLlmetry,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Self::GenAi => "gen_ai",
            Self::OpenInference => "openinference",
            Self::OpenLlmetry => "openllmetry",
        }
    }
}

/// The kinds of evidence a span can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tool,
    Agent,
    Model,
    Guardrail,
}

/// The action types spans become.
pub const TOOL_CALLED: &str = "connector.called";
pub const AGENT_INVOKED: &str = "agent.invoked";
pub const MODEL_CALLED: &str = "model.called";
pub const GUARDRAIL_CHECKED: &str = "guardrail.checked";

/// Maps `span` to its entry; `keep_payloads` keeps tools' arguments and results as text instead
/// of their digests.
pub fn map(span: &Span, keep_payloads: bool) -> Mapped {
    let Some((dialect, kind)) = recognise(span) else {
        return Mapped::Ignored;
    };
    match entry(span, dialect, kind, keep_payloads) {
        Ok(entry) => Mapped::Entry(Box::new(entry)),
        Err(reason) => Mapped::Rejected(reason),
    }
}

fn text<'a>(attributes: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a str> {
    match attributes.get(key) {
        Some(Value::Text(text)) if !text.is_empty() => Some(text),
        _ => None,
    }
}

/// The dialect and kind of a span that is evidence; the GenAI conventions win over the others.
fn recognise(span: &Span) -> Option<(Dialect, Kind)> {
    let attributes = &span.attributes;
    if let Some(operation) = text(attributes, "gen_ai.operation.name") {
        let kind = match operation {
            "execute_tool" => Kind::Tool,
            "invoke_agent" => Kind::Agent,
            "chat" | "text_completion" | "generate_content" => Kind::Model,
            "apply_guardrail" => Kind::Guardrail,
            _ => return None,
        };
        return Some((Dialect::GenAi, kind));
    }
    if let Some(kind) = text(attributes, "openinference.span.kind") {
        let kind = match kind.to_ascii_uppercase().as_str() {
            "TOOL" | "RETRIEVER" => Kind::Tool,
            "AGENT" => Kind::Agent,
            "LLM" => Kind::Model,
            "GUARDRAIL" => Kind::Guardrail,
            _ => return None,
        };
        return Some((Dialect::OpenInference, kind));
    }
    if let Some(kind) = text(attributes, "traceloop.span.kind") {
        let kind = match kind {
            "tool" => Kind::Tool,
            "agent" => Kind::Agent,
            _ => return None,
        };
        return Some((Dialect::OpenLlmetry, kind));
    }
    None
}

fn entry(span: &Span, dialect: Dialect, kind: Kind, keep: bool) -> Result<SpanEntry, String> {
    let attributes = &span.attributes;
    let declared_at = declared_at(span)?;
    let duration_ms = i64::try_from((span.end_unix_nano - span.start_unix_nano) / 1_000_000)
        .map_err(|_| "endTimeUnixNano: the span lasts too long".to_owned())?;
    let first = |keys: &[&str]| keys.iter().find_map(|key| text(attributes, key));
    let (action_type, connector) = match kind {
        Kind::Tool => {
            let named = match dialect {
                Dialect::GenAi => first(&["gen_ai.tool.name", "gen_ai.data_source.id"]),
                Dialect::OpenInference => first(&["tool.name"]).or(Some(span.name.as_str())),
                Dialect::OpenLlmetry => first(&["traceloop.entity.name"]),
            };
            let Some(named) = named.filter(|n| !n.is_empty()) else {
                return Err(format!(
                    "attributes: a tool call names no tool ({})",
                    tool_keys(dialect)
                ));
            };
            (TOOL_CALLED, Some(named.to_owned()))
        }
        Kind::Agent => (AGENT_INVOKED, None),
        Kind::Model => (
            MODEL_CALLED,
            first(&[
                "gen_ai.provider.name",
                "gen_ai.system",
                "llm.provider",
                "llm.system",
            ])
            .map(str::to_owned),
        ),
        Kind::Guardrail => (GUARDRAIL_CHECKED, None),
    };
    if let Some(name) = &connector
        && name.chars().count() > CONNECTOR_CHARS
    {
        return Err(format!(
            "attributes: the connector (tool or provider) name is longer than {CONNECTOR_CHARS} \
             characters"
        ));
    }
    let agent = agent_named(span);
    if let Some(name) = &agent.name
        && name.chars().count() > AGENT_NAME_CHARS
    {
        return Err(format!(
            "attributes: the agent's name is longer than {AGENT_NAME_CHARS} characters"
        ));
    }
    let policy_verdict = verdict(attributes, kind, span.status)?;
    let mut metadata = serde_json::Map::new();
    let mut put = |key: &str, value: serde_json::Value| {
        metadata.insert(key.to_owned(), value);
    };
    put("otel_dialect", dialect.name().into());
    put("otel_span_name", span.name.clone().into());
    put("otel_span_id", span.span_id.clone().into());
    if let Some(parent) = &span.parent_span_id {
        put("otel_parent_span_id", parent.clone().into());
    }
    for (key, name) in [
        ("gen_ai.tool.call.id", "tool_call_id"),
        ("gen_ai.tool.type", "tool_type"),
        ("gen_ai.request.model", "model"),
        ("gen_ai.response.model", "response_model"),
        ("llm.model_name", "model"),
        ("gen_ai.agent.name", "agent_name"),
        ("gen_ai.agent.id", "agent_id"),
    ] {
        if let Some(value) = attributes.get(key) {
            put(name, value.text().into());
        }
    }
    for (key, name) in [
        ("gen_ai.usage.input_tokens", "input_tokens"),
        ("gen_ai.usage.output_tokens", "output_tokens"),
    ] {
        if let Some(Value::Int(n)) = attributes.get(key) {
            put(name, (*n).into());
        }
    }
    if let Some(service) = &span.service_name {
        put("service_name", service.clone().into());
    }
    if kind == Kind::Tool {
        let (arguments, result) = payload_keys(dialect);
        for (key, name) in [(arguments, "arguments"), (result, "result")] {
            if let Some(value) = attributes.get(key) {
                payload(&mut metadata, name, &value.text(), keep);
            }
        }
    }
    Ok(SpanEntry {
        agent,
        action_type,
        connector,
        policy_verdict,
        status: match span.status {
            SpanStatus::Error => Outcome::Error,
            SpanStatus::Ok | SpanStatus::Unset => Outcome::Success,
        },
        duration_ms,
        correlation_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
        declared_at,
        metadata,
    })
}

fn tool_keys(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::GenAi => "gen_ai.tool.name or gen_ai.data_source.id",
        Dialect::OpenInference => "tool.name",
        Dialect::OpenLlmetry => "traceloop.entity.name",
    }
}

/// Where each dialect puts a tool's arguments and its result.
fn payload_keys(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::GenAi => ("gen_ai.tool.call.arguments", "gen_ai.tool.call.result"),
        Dialect::OpenInference => ("input.value", "output.value"),
        Dialect::OpenLlmetry => ("traceloop.entity.input", "traceloop.entity.output"),
    }
}

/// A tool's arguments or result: always its SHA-256, and the text too when the org keeps it and
/// it is at most [`KEPT_PAYLOAD_BYTES`] (else the entry says why it is not there).
fn payload(
    metadata: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    text: &str,
    keep: bool,
) {
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    metadata.insert(format!("{name}_sha256"), digest.into());
    if !keep {
        return;
    }
    if text.len() <= KEPT_PAYLOAD_BYTES {
        metadata.insert(name.to_owned(), text.into());
    } else {
        metadata.insert(
            format!("{name}_not_kept"),
            format!(
                "{} bytes, more than the {KEPT_PAYLOAD_BYTES} an entry keeps: the digest alone is kept",
                text.len()
            )
            .into(),
        );
    }
}

fn declared_at(span: &Span) -> Result<OffsetDateTime, String> {
    if span.start_unix_nano == 0 {
        return Err("startTimeUnixNano: required".to_owned());
    }
    if span.end_unix_nano < span.start_unix_nano {
        return Err("endTimeUnixNano: before startTimeUnixNano".to_owned());
    }
    // Nanoseconds since 1970 fit an i128; time keeps microseconds, as PostgreSQL does.
    let micros = i128::from(span.start_unix_nano / 1_000) * 1_000;
    OffsetDateTime::from_unix_timestamp_nanos(micros)
        .map_err(|_| "startTimeUnixNano: out of range".to_owned())
}

fn agent_named(span: &Span) -> AgentNamed {
    let id = text(&span.attributes, "gen_ai.agent.id").and_then(|id| id.parse().ok());
    let name = text(&span.attributes, "gen_ai.agent.name")
        .map(str::to_owned)
        .or_else(|| span.service_name.clone().filter(|n| !n.is_empty()));
    AgentNamed { id, name }
}

/// A guardrail's decision, or a verdict a span states: `compliance.policy_verdict` on any span
/// (in any case; another value refuses the span); on a guardrail, `gen_ai.guardrail.decision` /
/// `microsoft.security.decision.type` (allow, deny, or anything else: escalate),
/// `gen_ai.guardrail.tripwire_triggered`, else its status.
fn verdict(
    attributes: &BTreeMap<String, Value>,
    kind: Kind,
    status: SpanStatus,
) -> Result<Option<Verdict>, String> {
    if let Some(stated) = text(attributes, "compliance.policy_verdict") {
        return stated.to_ascii_uppercase().parse().map(Some).map_err(|_| {
            format!(
                "attributes: compliance.policy_verdict {stated:?} is none of PERMIT, ESCALATE, DENY"
            )
        });
    }
    if kind != Kind::Guardrail {
        return Ok(None);
    }
    let decision = [
        "gen_ai.guardrail.decision",
        "microsoft.security.decision.type",
    ]
    .iter()
    .find_map(|key| text(attributes, key));
    if let Some(decision) = decision {
        return Ok(Some(match decision.to_ascii_lowercase().as_str() {
            "allow" | "allowed" | "pass" | "permit" => Verdict::Permit,
            "deny" | "denied" | "block" | "blocked" => Verdict::Deny,
            _ => Verdict::Escalate,
        }));
    }
    if let Some(Value::Bool(triggered)) = attributes.get("gen_ai.guardrail.tripwire_triggered") {
        return Ok(Some(if *triggered {
            Verdict::Deny
        } else {
            Verdict::Permit
        }));
    }
    Ok(Some(match status {
        SpanStatus::Error => Verdict::Deny,
        SpanStatus::Ok | SpanStatus::Unset => Verdict::Permit,
    }))
}

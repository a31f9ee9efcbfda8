//! OTLP/HTTP trace ingestion (docs/ingest.md): an agent instrumented with OpenTelemetry exports
//! its spans here, and the spans that are evidence become entries of its audit trail.

use std::collections::BTreeMap;
use std::io::Read as _;

use actix_web::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse};
use compliance_core::traces::{self, Mapped, Span, SpanEntry, SpanStatus, Value};
use compliance_store::{settings, traces as recorded};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::permission::{ManageSettings, Read, Record};
use crate::request::{Body, ParseBody, RequestBody};
use crate::{ApiError, ApiResult, Tenant, limits};

/// Most spans one export may carry (the SDKs' exporters send batches of 512 by default).
pub const MAX_SPANS: usize = 10_000;

/// Most bytes an export may hold once decompressed, as the compressed body's limit.
pub const MAX_EXPORT_BYTES: usize = crate::MAX_BATCH_BODY;

/// How the export was encoded, and so how the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

/// An OTLP `ExportTraceServiceRequest`, in binary protobuf or OTLP's JSON, gzip-compressed or not.
#[derive(Debug)]
pub struct Export {
    request: ExportTraceServiceRequest,
    encoding: Encoding,
}

impl ParseBody for Export {
    fn parse(req: &HttpRequest, raw: &[u8]) -> ApiResult<Self> {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        let inflated;
        let body = match header(CONTENT_ENCODING).trim() {
            "" | "identity" => raw,
            "gzip" => {
                inflated = gunzip(raw)?;
                &inflated
            }
            other => {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Encoding must be gzip or none, not {other:?}"),
                ));
            }
        };
        let content_type = header(CONTENT_TYPE);
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let (request, encoding) = match essence {
            "application/x-protobuf" | "application/protobuf" => (
                ExportTraceServiceRequest::decode(body).map_err(|error| {
                    ApiError::bad_request(format!("body: not an OTLP protobuf export: {error}"))
                })?,
                Encoding::Protobuf,
            ),
            "application/json" => (json_export(body)?, Encoding::Json),
            _ => {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "Content-Type must be application/x-protobuf or application/json, not \
                         {content_type:?}"
                    ),
                ));
            }
        };
        let spans: usize = request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        if spans > MAX_SPANS {
            return Err(ApiError::bad_request(format!(
                "resourceSpans: {spans} spans, more than the {MAX_SPANS} one export may carry"
            )));
        }
        Ok(Self { request, encoding })
    }
}

/// Inflates a gzip body, refusing one that inflates past [`MAX_EXPORT_BYTES`].
fn gunzip(raw: &[u8]) -> ApiResult<Vec<u8>> {
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .take(MAX_EXPORT_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|error| ApiError::bad_request(format!("body: not gzip: {error}")))?;
    if inflated.len() > MAX_EXPORT_BYTES {
        return Err(ApiError::new(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: inflates past {MAX_EXPORT_BYTES} bytes"),
        ));
    }
    Ok(inflated)
}

/// OTLP's JSON: ids in hex, 64-bit integers as strings or numbers, and enums as numbers or, as
/// the protobuf JSON mapping also allows, their names (rewritten to numbers before parsing).
fn json_export(body: &[u8]) -> ApiResult<ExportTraceServiceRequest> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("body: {error}")))?;
    enum_names_to_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        ApiError::bad_request(format!("{path}: {}", error.into_inner()))
    })
}

/// Rewrites `kind` (`SPAN_KIND_…`) and `code` (`STATUS_CODE_…`) names to their numbers.
fn enum_names_to_numbers(value: &mut serde_json::Value) {
    const KINDS: [&str; 6] = [
        "SPAN_KIND_UNSPECIFIED",
        "SPAN_KIND_INTERNAL",
        "SPAN_KIND_SERVER",
        "SPAN_KIND_CLIENT",
        "SPAN_KIND_PRODUCER",
        "SPAN_KIND_CONSUMER",
    ];
    const CODES: [&str; 3] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
    match value {
        serde_json::Value::Object(map) => {
            for (key, names) in [("kind", &KINDS[..]), ("code", &CODES[..])] {
                if let Some(serde_json::Value::String(name)) = map.get(key)
                    && let Some(n) = names.iter().position(|known| known == name)
                {
                    map.insert(key.to_owned(), n.into());
                }
            }
            map.values_mut().for_each(enum_names_to_numbers);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(enum_names_to_numbers),
        _ => {}
    }
}

/// An attribute value as the core reads it.
fn value(value: Option<&AnyValue>) -> Value {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => Value::Text(s.clone()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(n)) => Value::Int(*n),
        Some(any_value::Value::DoubleValue(x)) => Value::Double(*x),
        // Arrays, maps and bytes as OTLP's JSON writes them: what an auditor can reproduce.
        Some(_) => Value::Other(
            value
                .and_then(|v| serde_json::to_string(v).ok())
                .unwrap_or_default(),
        ),
        None => Value::Other(String::new()),
    }
}

/// An attribute's key, and its value when it is text.
fn text_of(kv: &KeyValue) -> impl Iterator<Item = &String> {
    let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    };
    std::iter::once(&kv.key).chain(value)
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, Value> {
    list.iter()
        .map(|kv| (kv.key.clone(), value(kv.value.as_ref())))
        .collect()
}

/// What an export's spans came to.
#[derive(Debug, Default)]
struct Tally {
    entries: Vec<SpanEntry>,
    ignored: usize,
    /// Spans stored by an earlier export (or twice in this one), not stored again.
    already_stored: usize,
    /// Why spans were refused, each reason with how many spans it refused.
    rejected: BTreeMap<String, i64>,
}

impl Tally {
    fn reject(&mut self, reason: String) {
        *self.rejected.entry(reason).or_default() += 1;
    }

    /// Sorts a mapped span into the tally; an entry whose metadata is past the limit of
    /// `POST /v1/audit` is refused as that endpoint refuses it.
    fn add(&mut self, mapped: Mapped) {
        match mapped {
            Mapped::Ignored => self.ignored += 1,
            Mapped::Rejected(reason) => self.reject(reason),
            Mapped::Entry(mut entry) => {
                // Checked as a value and put back: no copy of the metadata per span.
                let metadata = serde_json::Value::Object(std::mem::take(&mut entry.metadata));
                if let Err(error) = limits::json("metadata", &metadata, limits::MAX_METADATA_BYTES)
                {
                    return self.reject(error.message);
                }
                if let serde_json::Value::Object(map) = metadata {
                    entry.metadata = map;
                }
                self.entries.push(*entry);
            }
        }
    }

    /// OTLP's partial success: the spans refused, and a message saying why, and how many spans
    /// were no evidence; `None` when every span was stored.
    fn partial_success(&self) -> Option<ExportTracePartialSuccess> {
        if self.rejected.is_empty() && self.ignored == 0 && self.already_stored == 0 {
            return None;
        }
        let mut said: Vec<String> = self
            .rejected
            .iter()
            .map(|(reason, n)| format!("{n} rejected: {reason}"))
            .collect();
        if self.ignored > 0 {
            said.push(format!(
                "{} not stored: they map to no audit entry (docs/ingest.md)",
                self.ignored
            ));
        }
        if self.already_stored > 0 {
            said.push(format!(
                "{} not stored again: already stored, by an export sent before or earlier in \
                 this one (docs/ingest.md)",
                self.already_stored
            ));
        }
        Some(ExportTracePartialSuccess {
            rejected_spans: self.rejected.values().sum(),
            error_message: said.join("; "),
        })
    }
}

/// The spans of `request`, each with its resource's `service.name`.
fn spans(request: &ExportTraceServiceRequest, tally: &mut Tally) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = resource_spans
            .resource
            .as_ref()
            .map_or(&[][..], |r| &r.attributes);
        let all = || resource_spans.scope_spans.iter().flat_map(|s| &s.spans);
        // PostgreSQL's text and jsonb cannot hold NUL: such a span could not be stored as sent.
        if resource.iter().flat_map(text_of).any(|t| t.contains('\0')) {
            for _ in all() {
                tally.reject("resource: text may not contain the NUL character".to_owned());
            }
            continue;
        }
        let service_name = resource
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(
                |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(any_value::Value::StringValue(name)) => Some(name.clone()),
                    _ => None,
                },
            );
        // Each span carries the name: a long one would be copied per span, and names no agent.
        if service_name
            .as_ref()
            .is_some_and(|name| name.chars().count() > traces::AGENT_NAME_CHARS)
        {
            for _ in all() {
                tally.reject(format!(
                    "resource: service.name is longer than {} characters",
                    traces::AGENT_NAME_CHARS
                ));
            }
            continue;
        }
        for span in all() {
            if span.trace_id.len() != 16 || span.trace_id.iter().all(|b| *b == 0) {
                tally.reject("traceId: must be 16 bytes, not all zero".to_owned());
                continue;
            }
            if span.span_id.len() != 8 || span.span_id.iter().all(|b| *b == 0) {
                tally.reject("spanId: must be 8 bytes, not all zero".to_owned());
                continue;
            }
            let texts = std::iter::once(&span.name).chain(span.attributes.iter().flat_map(text_of));
            if texts.into_iter().any(|t| t.contains('\0')) {
                tally.reject("text may not contain the NUL character".to_owned());
                continue;
            }
            let status = match span.status.as_ref().map(|s| s.code) {
                Some(1) => SpanStatus::Ok,
                Some(2) => SpanStatus::Error,
                _ => SpanStatus::Unset,
            };
            spans.push(Span {
                trace_id: hex::encode(&span.trace_id),
                span_id: hex::encode(&span.span_id),
                parent_span_id: (!span.parent_span_id.is_empty())
                    .then(|| hex::encode(&span.parent_span_id)),
                name: span.name.clone(),
                start_unix_nano: span.start_time_unix_nano,
                end_unix_nano: span.end_time_unix_nano,
                status,
                attributes: attributes(&span.attributes),
                service_name: service_name.clone(),
            });
        }
    }
    spans
}

/// Receives an OTLP/HTTP trace export: the spans that are evidence become audit entries of
/// their agents (one transaction), the others are counted.
#[utoipa::path(post, path = "/v1/traces", tag = "traces",
    request_body(description = "An OTLP `ExportTraceServiceRequest`: binary protobuf or OTLP JSON, \
        optionally gzip (`Content-Encoding: gzip`)",
        content((Vec<u8> = "application/x-protobuf"), (Object = "application/json"))),
    responses((status = 200, description = "An OTLP `ExportTraceServiceResponse`, encoded as \
        the request was; `partialSuccess` counts and explains the spans refused and those that \
        are no evidence", body = Object, content_type = "application/json")))]
pub async fn export(tenant: Tenant<Record>, body: Body<Export>) -> ApiResult<HttpResponse> {
    let mut tally = Tally::default();
    let spans = spans(&body.request, &mut tally);
    let tally = tenant
        .transact(async |conn| {
            let keep = settings::keep_tool_payloads(conn).await?;
            for span in &spans {
                tally.add(traces::map(span, keep));
            }
            let entries = std::mem::take(&mut tally.entries);
            let recorded = recorded::record(conn, entries).await?;
            for reason in recorded.refused {
                tally.reject(reason);
            }
            tally.already_stored = recorded.already_stored;
            Ok((tally, recorded.entries))
        })
        .await?;
    let (tally, stored) = tally;
    tenant
        .state()
        .metrics
        .entries(crate::metrics::Source::Traces, stored);
    let response = ExportTraceServiceResponse {
        partial_success: tally.partial_success(),
    };
    Ok(match body.encoding {
        Encoding::Protobuf => HttpResponse::Ok()
            .content_type("application/x-protobuf")
            .body(response.encode_to_vec()),
        Encoding::Json => HttpResponse::Ok().json(&response),
    })
}

/// The org's ingestion settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Keep tools' arguments and results (up to 4 KiB each) as text in the entries spans become;
    /// when false (the default) only their SHA-256 digests are kept.
    pub keep_tool_payloads: bool,
}

impl RequestBody for IngestSettings {
    /// A boolean has nothing to check beyond its type.
    fn check(&self) -> ApiResult<()> {
        Ok(())
    }
}

/// What the org's trace ingestion keeps.
#[utoipa::path(get, path = "/v1/settings/ingest", tag = "traces",
    responses((status = 200, description = "The settings", body = IngestSettings)))]
pub async fn read_settings(
    tenant: Tenant<Read>,
) -> ApiResult<actix_web::web::Json<IngestSettings>> {
    let keep_tool_payloads = tenant
        .transact(async |conn| Ok(settings::keep_tool_payloads(conn).await?))
        .await?;
    Ok(actix_web::web::Json(IngestSettings { keep_tool_payloads }))
}

/// Sets what the org's trace ingestion keeps (admin).
#[utoipa::path(put, path = "/v1/settings/ingest", tag = "traces", request_body = IngestSettings,
    responses((status = 200, description = "The settings, as set", body = IngestSettings)))]
pub async fn write_settings(
    tenant: Tenant<ManageSettings>,
    body: Body<IngestSettings>,
) -> ApiResult<HttpResponse> {
    let keep = body.keep_tool_payloads;
    tenant
        .write(&body, async |conn| {
            settings::set_keep_tool_payloads(conn, keep).await?;
            crate::idempotent::Written::ok(&IngestSettings {
                keep_tool_payloads: keep,
            })
        })
        .await
}

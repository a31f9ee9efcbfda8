//! OTLP trace ingestion over real HTTP: an export of 10,000 GenAI tool-call spans (binary
//! protobuf, as the SDKs' exporters send it) through `POST /v1/traces`, each run appending 10,000
//! audit entries with the log, beside psql's `\copy` of 10,000 rows of the same shape into the
//! same table. A baseline that fails fails the bench.
//!
//! Prints markdown rows for docs/performance.md. Run:
//! `cargo bench -p compliance-http --bench traces`
#![allow(clippy::expect_used, clippy::unwrap_used)] // benchmark set-up with known-good inputs

use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use compliance_http::paging::PAGE_TOKEN_SECRET;
use compliance_http::{AppState, configure};
use compliance_store::Role;
use compliance_store::testing::{TestDb, psql_copy};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

const RUNS: usize = 5;
const SPANS: usize = 10_000;

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

/// Run `run`'s export: its own traces, since a span sent again is not stored again.
fn export(agent: &str, run: u128) -> Vec<u8> {
    let start = 1_764_583_200_000_000_000u64;
    let spans = (0..SPANS)
        .map(|n| Span {
            trace_id: ((run << 64) | (n as u128 / 16 + 1)).to_be_bytes().to_vec(),
            span_id: (n as u64 + 1).to_be_bytes().to_vec(),
            name: "execute_tool jira".to_owned(),
            start_time_unix_nano: start + n as u64 * 1_000_000,
            end_time_unix_nano: start + n as u64 * 1_000_000 + 12_000_000,
            attributes: vec![
                text("gen_ai.operation.name", "execute_tool"),
                text("gen_ai.tool.name", "jira"),
                text("gen_ai.agent.id", agent),
                text("gen_ai.tool.call.id", &format!("call-{n}")),
                text(
                    "gen_ai.tool.call.arguments",
                    &format!("{{\"issue\": \"SOC-{n}\"}}"),
                ),
            ],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", "bench-agent")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    actix_rt::System::new().block_on(async {
        let db = TestDb::new().await;
        let org = db.store.ensure_organization("bench").await.unwrap();
        let token = db.store.issue_token(org.id, Role::Admin).await.unwrap().secret;
        let page_key = db.store.server_secret(PAGE_TOKEN_SECRET).await.unwrap();
        let state = AppState::new(db.store.clone(), page_key, [3; 32]);
        let server = HttpServer::new(move || App::new().configure(configure(state.clone())))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
        let base = format!("http://{}", server.addrs()[0]);
        actix_rt::spawn(server.run());
        let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
        let created = client
            .post(format!("{base}/v1/agents"))
            .bearer_auth(&token)
            .send_json(&serde_json::json!({"name": "bench-agent"}))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let agent = created["id"].as_str().unwrap().to_owned();
        let mut times = Vec::new();
        for run in 0..RUNS {
            let body = export(&agent, run as u128);
            let started = Instant::now();
            let mut answered = client
                .post(format!("{base}/v1/traces"))
                .bearer_auth(&token)
                .insert_header(("Content-Type", "application/x-protobuf"))
                .send_body(body)
                .await
                .unwrap();
            let bytes = answered.body().await.unwrap();
            times.push(started.elapsed());
            assert_eq!(answered.status().as_u16(), 200, "{bytes:?}");
            // Every span stored: the answer carries no partial success.
            assert!(bytes.is_empty(), "{bytes:?}");
        }
        // The same rows, as CSV, by psql's \copy.
        let csv: String = (0..SPANS)
            .map(|n| {
                format!(
                    "{},{agent},{},connector.called,2025-12-01T10:00:00Z,jira,,success,12,{},\"{{\"\"otel_dialect\"\": \"\"gen_ai\"\", \"\"otel_span_name\"\": \"\"execute_tool jira\"\", \"\"otel_span_id\"\": \"\"{n:016x}\"\", \"\"tool_call_id\"\": \"\"call-{n}\"\", \"\"service_name\"\": \"\"bench-agent\"\", \"\"arguments_sha256\"\": \"\"{:064x}\"\"}}\",\"{{\"\"arc_display_type\"\": \"\"connector.called\"\"}}\"\n",
                    org.id,
                    uuid::Uuid::new_v4(),
                    format_args!("{:032x}", n / 16 + 1),
                    n
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rows.csv");
        std::fs::write(&file, csv).unwrap();
        // The cluster's account reads the file: the directory must let it in.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let columns = "org_id, asset_id, id, display_type, declared_at, connector, policy_verdict, \
                       status, duration_ms, correlation_value, metadata, event_attributes";
        let copy: Vec<Duration> = (0..RUNS)
            .map(|_| psql_copy(&db.url, &file, SPANS, columns))
            .collect();
        let (ours, copy) = (median(times), median(copy));
        println!();
        println!("| {SPANS} spans, one export | median of {RUNS} | rows/s |");
        println!("|---|---:|---:|");
        println!(
            "| `POST /v1/traces` (protobuf over HTTP: decode, map, one agent, {SPANS} entries appended with the log) | {:.1} ms | {:.0} |",
            ours.as_secs_f64() * 1e3,
            SPANS as f64 / ours.as_secs_f64()
        );
        println!(
            "| psql `\\copy` of {SPANS} rows of the same shape (BEGIN, COPY, ROLLBACK) | {:.1} ms | {:.0} |",
            copy.as_secs_f64() * 1e3,
            SPANS as f64 / copy.as_secs_f64()
        );
        println!(
            "| ours ÷ `\\copy`, in rows/s | {:.2}× | |",
            copy.as_secs_f64() / ours.as_secs_f64()
        );
    });
}

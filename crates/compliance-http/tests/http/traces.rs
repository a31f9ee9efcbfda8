//! OTLP/HTTP ingestion over real HTTP, on its JSON path: the OTLP specification's own example
//! payload (`fixtures/otlp-trace-example.json`, from opentelemetry-proto's `examples/trace.json`),
//! its encoding rules (hex ids in either case, 64-bit integers as strings, enums as names or
//! numbers), gzip, partial success, agents found by name or discovered, and the payload setting.
//! The protobuf path is judged by the stock Python exporter in `tests/compat/test_otlp.py`.

use std::io::Write as _;

use serde_json::{Value, json};

use crate::support::*;

async fn export(server: &Server, token: &str, body: &Value, gzip: bool) -> Reply {
    let auth = format!("Bearer {token}");
    let bytes = serde_json::to_vec(body).unwrap();
    if !gzip {
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        return server.raw("POST", "/v1/traces", &headers, bytes).await;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&bytes).unwrap();
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
    ];
    server
        .raw("POST", "/v1/traces", &headers, encoder.finish().unwrap())
        .await
}

fn rejected(reply: &Reply) -> i64 {
    let value = &reply.body["partialSuccess"]["rejectedSpans"];
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

fn attribute(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

/// A span as OTLP JSON writes it; `extra` is merged in.
fn span(trace: &str, span: &str, name: &str, attributes: Vec<Value>, extra: Value) -> Value {
    let mut span = json!({"traceId": trace, "spanId": span, "name": name,
        "startTimeUnixNano": "1764583200000000000", "endTimeUnixNano": "1764583200250000000",
        "kind": "SPAN_KIND_CLIENT", "attributes": attributes});
    span.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    span
}

/// A GenAI `execute_tool` span of `tool` by the agent of id `agent`, with `more` attributes.
fn tool_call(
    trace: &str,
    id: &str,
    tool: &str,
    agent: &str,
    more: Vec<Value>,
    extra: Value,
) -> Value {
    let mut attributes = vec![
        attribute(
            "gen_ai.operation.name",
            json!({"stringValue": "execute_tool"}),
        ),
        attribute("gen_ai.tool.name", json!({"stringValue": tool})),
        attribute("gen_ai.agent.id", json!({"stringValue": agent})),
    ];
    attributes.extend(more);
    span(
        trace,
        id,
        &format!("execute_tool {tool}"),
        attributes,
        extra,
    )
}

fn request(service: &str, spans: Vec<Value>) -> Value {
    json!({"resourceSpans": [{
        "resource": {"attributes": [attribute("service.name", json!({"stringValue": service}))]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}]}]})
}

async fn trail(server: &Server, agent: &str) -> Vec<Value> {
    let listed = server
        .get(
            &format!("/v1/audit?agent_id={agent}&limit=100"),
            server.admin(),
        )
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    listed.body["entries"].as_array().unwrap().clone()
}

#[actix_rt::test]
async fn the_otlp_specifications_example_is_read_and_its_span_counted_not_stored() {
    let server = Server::start().await;
    let example: Value =
        serde_json::from_str(include_str!("fixtures/otlp-trace-example.json")).unwrap();
    let answered = export(&server, server.admin(), &example, false).await;
    assert_eq!(answered.status, 200, "{answered:?}");
    assert_eq!(rejected(&answered), 0, "{answered:?}");
    let message = answered.body["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(message.contains("1 not stored"), "{message}");
    let agents = server.get("/v1/agents", server.admin()).await;
    assert_eq!(
        agents.body["total"], 0,
        "a span that is no evidence names no agent"
    );
}

#[actix_rt::test]
async fn genai_tool_calls_in_otlp_json_become_entries_of_their_agent() {
    let server = Server::start().await;
    let created = server
        .post("/v1/agents", server.admin(), &json!({"name": "triage"}))
        .await;
    let agent = created.body["id"].as_str().unwrap().to_owned();
    let trace = "5B8EFFF798038103D269B633813FC60C";
    let tool = |id: &str, tool: &str, extra: Value| {
        let more = vec![
            attribute("gen_ai.usage.input_tokens", json!({"intValue": "42"})),
            attribute(
                "gen_ai.tool.call.arguments",
                json!({"stringValue": "{\"q\":1}"}),
            ),
        ];
        tool_call(trace, id, tool, &agent, more, extra)
    };
    let body = request(
        "triage",
        vec![
            tool("EEE19B7EC3C1B174", "crowdstrike", json!({})),
            tool(
                "eee19b7ec3c1b175",
                "jira",
                json!({"status": {"code": "STATUS_CODE_ERROR", "message": "refused"}, "kind": 3}),
            ),
            // No trace id: refused, and said why.
            tool("eee19b7ec3c1b176", "jira", json!({"traceId": ""})),
            // Text PostgreSQL cannot hold: refused, not a failed export.
            tool("eee19b7ec3c1b177", "ji\u{0}ra", json!({})),
        ],
    );
    let answered = export(&server, server.admin(), &body, true).await;
    assert_eq!(answered.status, 200, "{answered:?}");
    assert_eq!(rejected(&answered), 2, "{answered:?}");
    let message = answered.body["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(message.contains("traceId"), "{message}");
    assert!(message.contains("NUL"), "{message}");
    let entries = trail(&server, &agent).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry["action_type"], "connector.called");
        assert_eq!(entry["duration_ms"], 250);
        assert_eq!(entry["correlation_id"], trace.to_ascii_lowercase());
        assert_eq!(entry["created_at"], "2025-12-01T10:00:00Z");
        assert_eq!(entry["metadata"]["input_tokens"], 42);
        assert!(entry["metadata"]["arguments_sha256"].is_string(), "{entry}");
        assert!(
            entry["metadata"].get("arguments").is_none(),
            "digests only by default"
        );
    }
    let jira = entries.iter().find(|e| e["connector"] == "jira").unwrap();
    assert_eq!(jira["status"], "error");
    let crowdstrike = entries
        .iter()
        .find(|e| e["connector"] == "crowdstrike")
        .unwrap();
    assert_eq!(crowdstrike["status"], "success");
    assert_eq!(crowdstrike["metadata"]["otel_span_id"], "eee19b7ec3c1b174");
}

#[actix_rt::test]
async fn agents_are_found_by_name_discovered_when_unknown_and_refused_when_ambiguous() {
    let server = Server::start().await;
    for _ in 0..2 {
        let twin = server
            .post("/v1/agents", server.admin(), &json!({"name": "twin"}))
            .await;
        assert_eq!(twin.status, 201);
    }
    let call = |id: &str| {
        span(
            "0af7651916cd43dd8448eb211c80319c",
            id,
            "tool",
            vec![
                attribute("traceloop.span.kind", json!({"stringValue": "tool"})),
                attribute("traceloop.entity.name", json!({"stringValue": "slack"})),
            ],
            json!({}),
        )
    };
    let ambiguous = export(
        &server,
        server.admin(),
        &request("twin", vec![call("b7ad6b7169203331")]),
        false,
    )
    .await;
    assert_eq!(rejected(&ambiguous), 1, "{ambiguous:?}");
    assert!(
        ambiguous.body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("2 agents are named \"twin\""),
        "{ambiguous:?}"
    );
    // A service name no agent could have refuses its spans, once each.
    let long = "s".repeat(201);
    let refused = export(
        &server,
        server.admin(),
        &request(
            &long,
            vec![call("b7ad6b7169203330"), call("b7ad6b716920333a")],
        ),
        false,
    )
    .await;
    assert_eq!(rejected(&refused), 2, "{refused:?}");
    assert!(
        refused.body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("service.name is longer than 200"),
        "{refused:?}"
    );
    // Twice from a service nobody registered: one discovered agent, with both calls.
    for id in ["b7ad6b7169203332", "b7ad6b7169203333"] {
        let answered = export(
            &server,
            server.admin(),
            &request("shadow", vec![call(id)]),
            false,
        )
        .await;
        assert_eq!(answered.status, 200, "{answered:?}");
        assert!(answered.body.get("partialSuccess").is_none() || rejected(&answered) == 0);
    }
    let agents = server.get("/v1/agents?limit=100", server.admin()).await;
    let shadow: Vec<&Value> = agents.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "shadow")
        .collect();
    assert_eq!(shadow.len(), 1, "{agents:?}");
    assert_eq!(shadow[0]["discovered"], true);
    let id = shadow[0]["id"].as_str().unwrap();
    assert_eq!(trail(&server, id).await.len(), 2);
    // Its package, and the package's OSCAL, say it declared nothing.
    let package = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    assert_eq!(package.status, 201, "{package:?}");
    assert_eq!(package.body["agent"]["discovered"], true);
    let oscal = server
        .get(
            &format!(
                "/v1/compliance/{}/oscal",
                package.body["id"].as_str().unwrap()
            ),
            server.admin(),
        )
        .await;
    let props = oscal.body["assessment-results"]["results"][0]["props"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "agent-registration" && p["value"] == "discovered-unregistered"),
        "{props:?}"
    );
    // Registered afterwards: later spans go to the registered agent, the discovered one keeps
    // what it received.
    let registered = server
        .post("/v1/agents", server.admin(), &json!({"name": "shadow"}))
        .await;
    let registered = registered.body["id"].as_str().unwrap().to_owned();
    let later = export(
        &server,
        server.admin(),
        &request("shadow", vec![call("b7ad6b716920333b")]),
        false,
    )
    .await;
    assert_eq!(rejected(&later), 0, "{later:?}");
    assert_eq!(trail(&server, &registered).await.len(), 1);
    let calls = |entries: Vec<Value>| {
        entries
            .iter()
            .filter(|e| e["action_type"] == "connector.called")
            .count()
    };
    assert_eq!(calls(trail(&server, id).await), 2);
    // Another org's exporter with the same name discovers its own agent.
    let theirs = &server.globex[&compliance_store::Role::Admin];
    export(
        &server,
        theirs,
        &request("shadow", vec![call("b7ad6b7169203334")]),
        false,
    )
    .await;
    let ours = server.get(&format!("/v1/agents/{id}"), theirs).await;
    assert_eq!(ours.status, 404);
}

#[actix_rt::test]
async fn an_admin_may_keep_tool_payloads_and_no_one_else_may_change_it() {
    let server = Server::start().await;
    let settings = json!({"keep_tool_payloads": true});
    let viewer = &server.acme[&compliance_store::Role::Viewer];
    let refused = server
        .call("PUT", "/v1/settings/ingest", Some(viewer), Some(&settings))
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let before = server.get("/v1/settings/ingest", viewer).await;
    assert_eq!(before.body["keep_tool_payloads"], false);
    let set = server
        .call(
            "PUT",
            "/v1/settings/ingest",
            Some(server.admin()),
            Some(&settings),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    let call = span(
        "0af7651916cd43dd8448eb211c80319d",
        "b7ad6b7169203335",
        "search",
        vec![
            attribute("openinference.span.kind", json!({"stringValue": "TOOL"})),
            attribute("tool.name", json!({"stringValue": "vector-db"})),
            attribute("input.value", json!({"stringValue": "find the host"})),
        ],
        json!({}),
    );
    export(
        &server,
        server.admin(),
        &request("keeper", vec![call]),
        false,
    )
    .await;
    let agents = server.get("/v1/agents", server.admin()).await;
    let id = agents.body["agents"][0]["id"].as_str().unwrap().to_owned();
    let entries = trail(&server, &id).await;
    assert_eq!(entries[0]["metadata"]["arguments"], "find the host");
    assert!(entries[0]["metadata"]["arguments_sha256"].is_string());
}

#[actix_rt::test]
async fn admins_and_deployers_may_export_traces_and_no_other_role() {
    let server = Server::start().await;
    let body = request("matrix", vec![]);
    for role in compliance_store::Role::ALL {
        let answered = export(&server, &server.acme[&role], &body, false).await;
        let may = matches!(
            role,
            compliance_store::Role::Admin | compliance_store::Role::Deployer
        );
        if may {
            assert_eq!(answered.status, 200, "{role}: {answered:?}");
        } else {
            answered.assert_error(403, 7, &format!("the {role} role may not do this"));
        }
    }
    let unauthenticated = server
        .raw(
            "POST",
            "/v1/traces",
            &[("Content-Type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(unauthenticated.status, 401);
}

#[actix_rt::test]
async fn a_span_sent_again_is_stored_once() {
    let server = Server::start().await;
    let agent = server.new_agent(server.admin(), "triage").await;
    let tool = |trace: &str, id: &str, tool: &str| {
        tool_call(trace, id, tool, &agent, Vec::new(), json!({}))
    };
    let trace = "5b8efff798038103d269b633813fc60c";
    let batch = |trace: &str| {
        request(
            "triage",
            vec![
                tool(trace, "eee19b7ec3c1b174", "crowdstrike"),
                tool(trace, "eee19b7ec3c1b175", "jira"),
                // The same span twice in one export.
                tool(trace, "eee19b7ec3c1b175", "jira"),
            ],
        )
    };
    let message = |reply: &Reply| {
        reply.body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let first = export(&server, server.admin(), &batch(trace), false).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(rejected(&first), 0, "a span sent twice is not refused");
    assert!(message(&first).contains("1 not stored again"), "{first:?}");
    // The exporter retries (the hex in another case is the same id).
    let again = export(&server, server.admin(), &batch(&trace.to_uppercase()), true).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert!(message(&again).contains("3 not stored again"), "{again:?}");
    assert_eq!(trail(&server, &agent).await.len(), 2, "stored once");
    // A span of another trace with the same span id is another entry.
    let other = export(
        &server,
        server.admin(),
        &request(
            "triage",
            vec![tool(
                "6b8efff798038103d269b633813fc60c",
                "eee19b7ec3c1b174",
                "jira",
            )],
        ),
        false,
    )
    .await;
    assert_eq!(other.body["partialSuccess"], Value::Null, "{other:?}");
    assert_eq!(trail(&server, &agent).await.len(), 3);
    // The log holds exactly the entries stored: a package counts them.
    let package = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await;
    assert_eq!(package.status, 201, "{package:?}");
    assert_eq!(package.body["execution_graph"]["total_actions"], 3);
}

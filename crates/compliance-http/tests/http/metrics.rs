//! GET /metrics over real HTTP: the Prometheus text format, counting what was done (by route
//! pattern, never the raw path), and closed to anyone without the operator's token once set.

use compliance_http::AppState;
use compliance_http::paging::PAGE_TOKEN_SECRET;
use compliance_store::testing::TestDb;
use serde_json::json;

use crate::support::*;

/// The value of the sample `name` (labels included, as printed), if exposed.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics(server: &Server) -> String {
    let reply = server.raw("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.headers["content-type"].starts_with("text/plain; version=0.0.4"),
        "{reply:?}"
    );
    reply.body.as_str().unwrap().to_owned()
}

#[actix_rt::test]
async fn metrics_count_requests_entries_packages_and_errors() {
    let server = Server::start().await;
    let id = server.new_agent(server.admin(), "metered").await;
    for n in 0..2 {
        let entry = json!({"agent_id": id, "action_type": "connector.called", "connector": "jira",
                           "target_resource": format!("T-{n}"), "policy_verdict": "PERMIT", "status": "success"});
        assert_eq!(
            server
                .post("/v1/audit", server.admin(), &entry)
                .await
                .status,
            201
        );
    }
    let batch = json!({"entries": [{"agent_id": id, "action_type": "connector.called"},
                                   {"agent_id": id, "action_type": "connector.called"},
                                   {"agent_id": id, "action_type": "connector.called"}]});
    assert_eq!(
        server
            .post("/v1/audit/batch", server.admin(), &batch)
            .await
            .status,
        201
    );
    let package = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    assert_eq!(package.status, 201);
    let missing = "/v1/agents/00000000-0000-0000-0000-000000000000";
    assert_eq!(server.get(missing, server.admin()).await.status, 404);
    assert_eq!(
        server
            .get(&format!("/v1/agents/{id}"), server.admin())
            .await
            .status,
        200
    );

    // Invented methods share one label: a client cannot add series without end.
    for method in ["FOO1", "FOO2"] {
        server.raw(method, "/v1/agents", &[], Vec::new()).await;
    }
    let text = metrics(&server).await;
    assert!(!text.contains("FOO"), "{text}");
    assert!(text.contains(r#"method="other""#), "{text}");
    assert_eq!(
        sample(
            &text,
            r#"compliance_audit_entries_ingested_total{source="audit"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"compliance_audit_entries_ingested_total{source="audit_batch"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "compliance_packages_generated_total"),
        Some(1.0)
    );
    assert!(
        sample(&text, "compliance_pdf_render_seconds_count") >= Some(1.0),
        "{text}"
    );
    // By the route's pattern: the two reads of two ids are one series, per status.
    assert_eq!(
        sample(
            &text,
            r#"compliance_http_requests_total{method="GET",route="/v1/agents/{id}",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"compliance_http_requests_total{method="GET",route="/v1/agents/{id}",status="404"}"#
        ),
        Some(1.0)
    );
    assert!(!text.contains(&id), "no raw path is a label");
    assert!(
        sample(
            &text,
            r#"compliance_http_errors_total{code="5",status="404"}"#
        ) >= Some(1.0)
    );
    assert!(
        sample(
            &text,
            r#"compliance_http_request_duration_seconds_count{method="POST",route="/v1/audit"}"#
        ) == Some(2.0)
    );
    assert!(sample(&text, "compliance_db_pool_max_connections") > Some(0.0));
    assert!(
        sample(&text, "compliance_db_pool_checkouts_total") >= Some(7.0),
        "{text}"
    );
    assert!(sample(&text, "compliance_db_pool_wait_seconds_total").is_some());
    assert!(sample(&text, "compliance_db_pool_waiting").is_some());
}

#[actix_rt::test]
async fn with_a_token_set_metrics_answer_only_its_bearer() {
    let db = TestDb::new().await;
    let page_key = db.store.server_secret(PAGE_TOKEN_SECRET).await.unwrap();
    let state = AppState::new(db.store.clone(), page_key, KEY_SEALING_KEY);
    state.metrics.protect("scrape-me".to_owned());
    let base = serve_state(state);
    let client = awc::Client::default();
    for authorization in [None, Some("Bearer wrong"), Some("Bearer scrape-m")] {
        let mut request = client.get(format!("{base}/metrics"));
        if let Some(value) = authorization {
            request = request.insert_header(("Authorization", value));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{authorization:?}");
    }
    let mut response = client
        .get(format!("{base}/metrics"))
        .insert_header(("Authorization", "Bearer scrape-me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.body().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("compliance_db_pool_max_connections"));
}

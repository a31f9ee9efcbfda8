//! Evidence that never lies, over HTTP: times that cannot be stored, text PostgreSQL refuses,
//! published size limits at the limit and one past it, a panic mid-transaction, paged lists,
//! PDFs kept once rendered, and the package chain as the API shows it.

use compliance_store::Role;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::support::*;

const JSON: (&str, &str) = ("Content-Type", "application/json");

async fn asset(server: &Server) -> String {
    let created = server
        .post(
            "/archivist/v2/assets",
            server.admin(),
            &json!({"attributes": {"arc_display_type": "Traffic Light"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    created.body["identity"].as_str().unwrap().to_owned()
}

async fn agent(server: &Server) -> String {
    let created = server
        .post(
            "/v1/agents",
            server.admin(),
            &json!({"name": "limits-agent", "description": "d"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

async fn events_of(server: &Server, asset: &str) -> usize {
    let listed = server
        .get(&format!("/archivist/v2/{asset}/events"), server.admin())
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    listed.body["events"].as_array().unwrap().len()
}

#[actix_rt::test]
async fn times_that_cannot_be_stored_are_400_naming_the_field() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let agent = agent(&server).await;
    let unstorable = [
        "9999-12-31T23:59:59-05:00",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
    ];
    for at in unstorable {
        let encoded = at.replace('+', "%2B");
        server
            .get(
                &format!("/archivist/v1/compliance/{light}?compliant_at={encoded}"),
                server.admin(),
            )
            .await
            .assert_error(400, 3, "compliant_at: out of range");
        let event =
            json!({"event_attributes": {"arc_display_type": "X"}, "timestamp_declared": at});
        server
            .post(
                &format!("/archivist/v2/{light}/events"),
                server.admin(),
                &event,
            )
            .await
            .assert_error(400, 3, "timestamp_declared: out of range");
        let entry = json!({"agent_id": agent, "action_type": "connector.called", "created_at": at});
        server
            .post("/v1/audit", server.admin(), &entry)
            .await
            .assert_error(400, 3, "created_at: out of range");
        let batch = json!({"entries": [
            {"agent_id": agent, "action_type": "a"},
            {"agent_id": agent, "action_type": "a", "created_at": at}]});
        server
            .post("/v1/audit/batch", server.admin(), &batch)
            .await
            .assert_error(400, 3, "entries[1].created_at: out of range");
    }
    // The edges of the range are accepted and read back.
    for at in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"] {
        let event =
            json!({"event_attributes": {"arc_display_type": "X"}, "timestamp_declared": at});
        let created = server
            .post(
                &format!("/archivist/v2/{light}/events"),
                server.admin(),
                &event,
            )
            .await;
        assert_eq!(created.status, 200, "{created:?}");
        assert_eq!(created.body["timestamp_declared"], at);
    }
    // A forged page token carrying an instant out of range.
    let token = base64_url(br#"{"at": 253402300800000000000, "offset": 1, "page_size": 1}"#);
    server
        .get(
            &format!("/archivist/v1/compliance/{light}?page_token={token}"),
            server.admin(),
        )
        .await
        .assert_error(400, 3, "page_token");
    assert_eq!(events_of(&server, &light).await, 2, "only the edges stored");
    let ready = server.get("/readyz", server.admin()).await;
    assert_eq!(ready.status, 200, "the server is still up: {ready:?}");
}

/// Base64url without padding, as the server's page tokens are written.
fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[actix_rt::test]
async fn nul_in_any_query_parameter_is_400_naming_it() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let paths = [
        "/archivist/v1/compliance_policies?display_name=a%00b".to_owned(),
        "/archivist/v2/assets?attributes.arc_display_type=a%00b".to_owned(),
        format!("/archivist/v2/{light}/events?event_attributes.arc_display_type=a%00"),
        "/v1/audit?connector=crowd%00strike".to_owned(),
        "/v1/audit?action_type=%00".to_owned(),
        "/v1/audit?status=success%00".to_owned(),
    ];
    for path in paths {
        let name = path
            .split_once('?')
            .unwrap()
            .1
            .split('=')
            .next()
            .unwrap()
            .to_owned();
        server.get(&path, server.admin()).await.assert_error(
            400,
            3,
            &format!("{name}: strings may not contain the NUL"),
        );
    }
}

#[actix_rt::test]
async fn published_limits_hold_at_the_limit_and_refuse_one_past_it() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let agent = agent(&server).await;
    let events = format!("/archivist/v2/{light}/events");
    let post = |path: String, body: Value| {
        let server = &server;
        async move { server.post(&path, server.admin(), &body).await }
    };
    // An indexed display type: 300 characters of four UTF-8 bytes each fit; 301 do not.
    let wide = |n: usize| "𝕎".repeat(n);
    for key in ["arc_display_type", "arc_correlation_value"] {
        let ok = post(
            events.clone(),
            json!({"event_attributes": {"arc_display_type": wide(300), key: wide(300)}}),
        )
        .await;
        assert_eq!(ok.status, 200, "{key} at the limit: {ok:?}");
        post(
            events.clone(),
            json!({"event_attributes": {key: wide(301)}}),
        )
        .await
        .assert_error(400, 3, &format!("event_attributes.{key}: longer than 300"));
    }
    // A 3,000-character display type, which no B-tree could index.
    post(
        events.clone(),
        json!({"event_attributes": {"arc_display_type": "x".repeat(3000)}}),
    )
    .await
    .assert_error(400, 3, "event_attributes.arc_display_type");
    // Other attribute values: 4,096 characters.
    let ok = post(
        events.clone(),
        json!({"asset_attributes": {"note": "n".repeat(4096)}}),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    post(
        events.clone(),
        json!({"asset_attributes": {"note": "n".repeat(4097)}}),
    )
    .await
    .assert_error(400, 3, "asset_attributes.note: longer than 4096");
    // 100 attributes, not 101; 32 KiB in all.
    let many = |n: usize| -> Value {
        (0..n)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let ok = post(
        "/archivist/v2/assets".to_owned(),
        json!({"attributes": many(100)}),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    post(
        "/archivist/v2/assets".to_owned(),
        json!({"attributes": many(101)}),
    )
    .await
    .assert_error(400, 3, "attributes: more than 100 attributes");
    let big: serde_json::Map<_, _> = (0..9)
        .map(|i| (format!("k{i}"), json!("b".repeat(4000))))
        .collect();
    post(
        "/archivist/v2/assets".to_owned(),
        json!({"attributes": big}),
    )
    .await
    .assert_error(
        400,
        3,
        "attributes: names and values together exceed 32768 bytes",
    );
    // Metadata: 16 KiB as JSON and 16 levels deep.
    let metadata = |bytes: usize| json!({"m": "x".repeat(bytes - 8)});
    let ok = post(
        "/v1/audit".to_owned(),
        json!({"agent_id": agent, "action_type": "a", "metadata": metadata(16 * 1024)}),
    )
    .await;
    assert_eq!(ok.status, 201, "{ok:?}");
    post(
        "/v1/audit".to_owned(),
        json!({"agent_id": agent, "action_type": "a", "metadata": metadata(16 * 1024 + 1)}),
    )
    .await
    .assert_error(400, 3, "metadata: larger than 16384 bytes");
    let mut deep = json!(1);
    for _ in 0..17 {
        deep = json!([deep]);
    }
    post(
        "/v1/audit".to_owned(),
        json!({"agent_id": agent, "action_type": "a", "metadata": {"d": deep}}),
    )
    .await
    .assert_error(400, 3, "metadata: nested deeper than 16");
    // A policy's event display type is held to the events' limit.
    let policy = |n: usize| {
        json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "p",
               "event_display_type": "e".repeat(n), "time_period_seconds": "10"})
    };
    let ok = post("/archivist/v1/compliance_policies".to_owned(), policy(300)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    post("/archivist/v1/compliance_policies".to_owned(), policy(301))
        .await
        .assert_error(400, 3, "event_display_type: longer than 300");
}

#[actix_rt::test]
async fn a_panic_mid_transaction_is_a_500_with_a_request_id_and_writes_nothing() {
    let server = Server::start().await;
    let admin = format!("Bearer {}", server.admin());
    let reply = server
        .raw(
            "POST",
            PANIC_ROUTE,
            &[("Authorization", admin.as_str()), JSON],
            b"{}".to_vec(),
        )
        .await;
    reply.assert_error(500, 13, "internal error (request id ");
    let id = reply.headers.get("x-request-id").expect("a request id");
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains(id.as_str()),
        "{reply:?}"
    );
    let assets = server.get("/archivist/v2/assets", server.admin()).await;
    assert_eq!(assets.status, 200, "the server still answers: {assets:?}");
    assert_eq!(
        assets.body["assets"].as_array().unwrap().len(),
        0,
        "the asset written before the panic was rolled back"
    );
}

#[actix_rt::test]
async fn connector_and_rule_lists_are_paged_with_a_total() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    for n in 0..5 {
        let connector =
            json!({"agent_id": agent, "connector_type": format!("c{n}"), "vendor": "V"});
        assert_eq!(
            server
                .post("/v1/connectors", server.admin(), &connector)
                .await
                .status,
            201
        );
        let rule = json!({"agent_id": agent, "name": format!("r{n}"), "rule_type": "deny",
                          "connector": format!("c{n}"), "action_pattern": "x:y", "risk_threshold": 50});
        assert_eq!(
            server
                .post("/v1/policies", server.admin(), &rule)
                .await
                .status,
            201
        );
    }
    for (path, key, name) in [
        ("/v1/connectors", "connectors", "connector_type"),
        ("/v1/policies", "policies", "name"),
    ] {
        let page = server
            .get(
                &format!("{path}?agent_id={agent}&limit=2&offset=3"),
                server.admin(),
            )
            .await;
        assert_eq!(page.status, 200, "{page:?}");
        assert_eq!(page.body["total"], 5);
        let names: Vec<_> = page.body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[name].as_str().unwrap().to_owned())
            .collect();
        let expected = if key == "connectors" {
            ["c3", "c4"]
        } else {
            ["r3", "r4"]
        };
        assert_eq!(names, expected);
        server
            .get(&format!("{path}?limit=1001"), server.admin())
            .await
            .assert_error(400, 3, "limit");
    }
}

async fn generated(server: &Server, agent: &str) -> Value {
    let package = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await;
    assert_eq!(package.status, 201, "{package:?}");
    package.body
}

#[actix_rt::test]
async fn a_pdf_is_rendered_once_and_its_kept_bytes_are_served() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let generated = generated(&server, &agent).await;
    let id = generated["id"].as_str().unwrap();
    // Rendered and kept when the package was generated (its attestation names it).
    let org = server.db.store.ensure_organization("acme").await.unwrap();
    let kept = server
        .db
        .store
        .transact(org.id, async |conn| {
            compliance_store::pdfs::get(conn, id.parse().unwrap()).await
        })
        .await
        .unwrap()
        .expect("kept at generation");
    assert!(kept.starts_with(b"%PDF"), "a PDF");
    // Every download serves the kept bytes: nothing renders again.
    let admin = format!("Bearer {}", server.admin());
    for _ in 0..2 {
        let pdf = server
            .raw_bytes("GET", &format!("/v1/compliance/{id}/pdf"), &admin)
            .await;
        assert!(pdf == kept, "the kept bytes");
    }
    // A package kept without its PDF (one generated before PDFs were kept at generation)
    // renders on its first download, keeps the bytes, and serves the same after.
    let mut owner = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    owner
        .batch_execute(&format!(
            "ALTER TABLE package_pdfs DISABLE TRIGGER package_pdfs_append_only; \
             DELETE FROM package_pdfs WHERE package_id = '{id}'; \
             ALTER TABLE package_pdfs ENABLE TRIGGER package_pdfs_append_only;"
        ))
        .await
        .unwrap();
    let path = format!("/v1/compliance/{id}/pdf");
    let rendered = server.raw_bytes("GET", &path, &admin).await;
    assert!(rendered == kept, "the same bytes, rendered again");
    let stored = server
        .db
        .store
        .transact(org.id, async |conn| {
            compliance_store::pdfs::get(conn, id.parse().unwrap()).await
        })
        .await
        .unwrap();
    assert!(
        stored.as_deref() == Some(rendered.as_slice()),
        "kept as served"
    );
    assert!(server.raw_bytes("GET", &path, &admin).await == rendered);
}

#[actix_rt::test]
async fn the_chain_is_shown_and_a_removed_last_version_is_found() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            generated(&server, &agent).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let viewer = &server.acme[&Role::Viewer];
    let read = server
        .get(&format!("/v1/compliance/{}", ids[1]), viewer)
        .await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(
        read.body["chain"],
        json!({"verified": true, "versions_checked": 2, "problem": null})
    );
    let chain = server
        .get(&format!("/v1/agents/{agent}/chain"), viewer)
        .await;
    assert_eq!(chain.body["verified"], true, "{chain:?}");
    assert_eq!(chain.body["versions_checked"], 3);
    // The schema owner removes the last version behind the triggers' back.
    let mut owner = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    owner
        .batch_execute(&format!(
            "ALTER TABLE compliance_packages DISABLE TRIGGER compliance_packages_append_only; \
             ALTER TABLE package_pdfs DISABLE TRIGGER package_pdfs_append_only; \
             ALTER TABLE attestations DISABLE TRIGGER attestations_append_only; \
             DELETE FROM attestations WHERE package_id = '{id}'; \
             DELETE FROM package_pdfs WHERE package_id = '{id}'; \
             DELETE FROM compliance_packages WHERE id = '{id}'; \
             ALTER TABLE attestations ENABLE TRIGGER attestations_append_only; \
             ALTER TABLE package_pdfs ENABLE TRIGGER package_pdfs_append_only; \
             ALTER TABLE compliance_packages ENABLE TRIGGER compliance_packages_append_only;",
            id = ids[2]
        ))
        .await
        .unwrap();
    let chain = server
        .get(&format!("/v1/agents/{agent}/chain"), viewer)
        .await;
    assert_eq!(chain.status, 200, "{chain:?}");
    assert_eq!(chain.body["verified"], false, "{chain:?}");
    assert!(
        chain.body["problem"].as_str().unwrap().contains('3'),
        "{chain:?}"
    );
    // Another org's agent is a 404, as everywhere.
    server
        .get(
            &format!("/v1/agents/{agent}/chain"),
            &server.globex[&Role::Admin],
        )
        .await
        .assert_error(404, 5, "agent");
}

/// Found by Schemathesis: a batch kept metadata as sent, and PostgreSQL, which keeps numbers
/// exactly, refused some (1e-20000, past its scale) with a 500 and handed back others no JSON
/// reader could read, so the trail itself answered 500. Every number is now kept as the double
/// it parses to, alike in one entry and in a batch, and reads back.
#[actix_rt::test]
async fn metadata_numbers_of_any_magnitude_are_kept_and_read_back() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let numbers = [
        ("tiny", "1e-400"),
        ("past_postgres_scale", "1e-20000"),
        ("huge", "1.5e300"),
        ("near_max", "1.7976931348623157e308"),
        ("smallest", "5e-324"),
        ("wide_integer", "123456789012345678901234567890"),
        ("u64", "18446744073709551615"),
        ("negative_zero", "-0.0"),
    ];
    for (name, number) in numbers {
        let entry = format!(
            r#"{{"agent_id": "{agent}", "action_type": "{name}", "metadata": {{"n": {number}}}}}"#
        );
        for (path, body) in [
            ("/v1/audit", entry.clone()),
            ("/v1/audit/batch", format!(r#"{{"entries": [{entry}]}}"#)),
        ] {
            let written = server
                .raw(
                    "POST",
                    path,
                    &[
                        ("Authorization", &format!("Bearer {}", server.admin())),
                        JSON,
                    ],
                    body.into_bytes(),
                )
                .await;
            assert_eq!(written.status, 201, "{path} {name}: {written:?}");
        }
        let expected: f64 = number.parse().unwrap();
        let trail = server
            .get(
                &format!("/v1/audit?agent_id={agent}&action_type={name}"),
                server.admin(),
            )
            .await;
        assert_eq!(trail.status, 200, "{name}: {trail:?}");
        let entries = trail.body["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{name}: {trail:?}");
        for entry in entries {
            let kept = entry["metadata"]["n"].as_f64().unwrap();
            assert_eq!(kept, expected, "{name}: {entry}");
        }
    }
    // The archivist's view of the same events reads them too.
    let events = server
        .get(
            "/archivist/v2/assets/-/events?page_size=100",
            server.admin(),
        )
        .await;
    assert_eq!(events.status, 200, "{events:?}");
}

//! The published OpenAPI description against the server it describes: every documented
//! operation is a route, every route is documented, each undocumented method is a 405 naming the
//! documented ones, and the `/docs` page is served whole from the binary.

use std::collections::{BTreeMap, BTreeSet};

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

/// Every operation of both APIs, as the routes serve them.
const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/archivist/v1/compliance_policies"),
    ("GET", "/archivist/v1/compliance_policies"),
    ("GET", "/archivist/v1/compliance_policies/{uuid}"),
    ("DELETE", "/archivist/v1/compliance_policies/{uuid}"),
    ("GET", "/archivist/v1/compliance/assets/{uuid}"),
    ("POST", "/archivist/v2/assets"),
    ("GET", "/archivist/v2/assets"),
    ("GET", "/archivist/v2/assets/{uuid}"),
    ("POST", "/archivist/v2/assets/{uuid}/events"),
    ("GET", "/archivist/v2/assets/{uuid}/events"),
    ("GET", "/archivist/v2/assets/{uuid}/events/{event}"),
    ("POST", "/v1/agents"),
    ("GET", "/v1/agents"),
    ("GET", "/v1/agents/{id}"),
    ("GET", "/v1/agents/{id}/chain"),
    ("POST", "/v1/connectors"),
    ("GET", "/v1/connectors"),
    ("POST", "/v1/policies"),
    ("GET", "/v1/policies"),
    ("POST", "/v1/audit"),
    ("GET", "/v1/audit"),
    ("POST", "/v1/audit/batch"),
    ("POST", "/v1/compliance"),
    ("GET", "/v1/compliance"),
    ("GET", "/v1/compliance/{id}"),
    ("GET", "/v1/compliance/{id}/pdf"),
    ("GET", "/v1/compliance/{id}/attestation"),
    ("GET", "/v1/compliance/{id}/oscal"),
    ("GET", "/v1/compliance/{id}/diff"),
    ("GET", "/v1/keys"),
    ("POST", "/v1/keys/rotate"),
    ("GET", "/v1/audit/{id}/proof"),
    ("GET", "/v1/log/checkpoint"),
    ("GET", "/v1/log/key"),
    ("GET", "/v1/log/consistency"),
    ("POST", "/v1/traces"),
    ("GET", "/v1/settings/ingest"),
    ("PUT", "/v1/settings/ingest"),
    ("GET", "/v1/settings/branding"),
    ("PUT", "/v1/settings/branding"),
    ("GET", "/v1/settings/branding/logo"),
];

/// The documented operations: method and path template.
fn documented(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut operations = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "delete", "put", "patch"] {
            if item.get(method).is_some() {
                operations
                    .entry(path.clone())
                    .or_insert_with(BTreeSet::new)
                    .insert(method.to_uppercase());
            }
        }
    }
    operations
}

#[actix_rt::test]
async fn the_description_is_openapi_3_1_of_every_route_and_no_other() {
    let server = Server::start().await;
    let document = server.call("GET", "/openapi.json", None, None).await;
    assert_eq!(document.status, 200);
    let document = document.body;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in OPERATIONS {
        expected
            .entry((*path).to_owned())
            .or_default()
            .insert((*method).to_owned());
    }
    assert_eq!(documented(&document), expected);
    // The bearer scheme, required everywhere but on the health probes.
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, methods) in &expected {
        for method in methods {
            let operation = &document["paths"][path][method.to_lowercase()];
            let responses = operation["responses"].as_object().unwrap();
            let health = path.ends_with("z");
            assert_eq!(
                health,
                operation["security"] == json!([]),
                "{method} {path}"
            );
            for status in ["400", "500", "503"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
            if !health {
                for status in ["401", "403", "404"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
            // Every write but OTLP's export (which has no such key) takes an Idempotency-Key.
            let idempotent = path != "/v1/traces";
            if method == "POST" || method == "PUT" {
                // Only a write with a body can be too large or of the wrong type.
                let with_body = operation.get("requestBody").is_some();
                let statuses: Vec<&str> =
                    [("413", with_body), ("415", with_body), ("422", idempotent)]
                        .into_iter()
                        .filter_map(|(status, applies)| applies.then_some(status))
                        .collect();
                for status in statuses {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
                let parameters = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                assert_eq!(
                    parameters.iter().any(|p| p["name"] == "idempotency-key"),
                    idempotent,
                    "{method} {path}"
                );
            }
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success answer"
            );
        }
    }
    // Every error answer is the one error shape.
    assert_eq!(
        document["components"]["schemas"]["ErrorBody"]["required"],
        json!(["code", "message"])
    );
}

/// A documented path with its template filled in.
fn concrete(path: &str) -> String {
    path.replace("{uuid}", "00000000-0000-4000-8000-000000000001")
        .replace("{event}", "00000000-0000-4000-8000-000000000002")
        .replace("{id}", "00000000-0000-4000-8000-000000000003")
}

#[actix_rt::test]
async fn each_documented_operation_is_served_and_other_methods_are_405_with_allow() {
    let server = Server::start().await;
    let document = server.call("GET", "/openapi.json", None, None).await.body;
    for (path, methods) in documented(&document) {
        let url = concrete(&path);
        for method in &methods {
            // Without a token: the route exists (401), or is a health probe (200).
            let reply = server.call(method, &url, None, None).await;
            let expected = if path.ends_with('z') { 200 } else { 401 };
            assert_eq!(reply.status, expected, "{method} {path}: {reply:?}");
        }
        for method in ["GET", "POST", "DELETE", "PUT", "PATCH"] {
            if methods.contains(method) {
                continue;
            }
            let reply = server.call(method, &url, None, None).await;
            reply.assert_error(405, 12, "is not allowed");
            let allow: BTreeSet<String> = reply.headers["allow"]
                .split(", ")
                .map(str::to_owned)
                .collect();
            assert_eq!(&allow, &methods, "{method} {path}");
        }
    }
}

#[actix_rt::test]
async fn a_caller_without_the_permission_hears_403_whatever_the_body() {
    let server = Server::start().await;
    let viewer = &server.acme[&Role::Viewer];
    // Bodies that are wrong in every way a 400 could name: the role is refused first, so it
    // learns nothing of what the body would have got wrong.
    let bad = json!({"unknown": "field", "name": ""});
    for (method, path) in OPERATIONS.iter().filter(|(m, _)| *m == "POST") {
        let reply = server
            .call(method, &concrete(path), Some(viewer), Some(&bad))
            .await;
        reply.assert_error(403, 7, "the viewer role may not do this");
        let reply = server
            .raw(
                method,
                &concrete(path),
                &[
                    ("Authorization", &format!("Bearer {viewer}")),
                    ("Content-Type", "text/plain"),
                ],
                b"not json".to_vec(),
            )
            .await;
        reply.assert_error(403, 7, "the viewer role may not do this");
    }
}

#[actix_rt::test]
async fn the_docs_page_is_served_from_the_binary() {
    let server = Server::start().await;
    // `/docs` leads to the page (the client follows the redirect to `/docs/`).
    let bare = server.call("GET", "/docs", None, None).await;
    assert_eq!(bare.status, 200, "{bare:?}");
    assert!(
        bare.body.as_str().unwrap().contains("swagger-ui"),
        "{bare:?}"
    );
    let page = server.call("GET", "/docs/", None, None).await;
    assert_eq!(page.status, 200, "{page:?}");
    let html = page.body.as_str().unwrap().to_owned();
    assert!(html.contains("swagger-ui"), "{html}");
    // Nothing is fetched from elsewhere: every script and style is a path of ours.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "{asset} in {html}");
        let reply = server
            .call("GET", &format!("/docs/{asset}"), None, None)
            .await;
        assert_eq!(reply.status, 200, "{asset}");
    }
    let initializer = server
        .call("GET", "/docs/swagger-initializer.js", None, None)
        .await;
    assert!(
        initializer.body.as_str().unwrap().contains("/openapi.json"),
        "{initializer:?}"
    );
}

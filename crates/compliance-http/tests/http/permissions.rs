//! The permission matrix as one table, and cross-org access on every endpoint.

use compliance_store::Role;
use serde_json::json;

use crate::support::*;

/// Creates a policy, an asset with an event, as acme's admin: identities of each.
async fn fixtures(server: &Server) -> (String, String, String) {
    let policy = server
        .post(
            "/archivist/v1/compliance_policies",
            server.admin(),
            &json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "r", "richness_assertions": [{"or": ["a=1"]}]}),
        )
        .await;
    let asset = server
        .post(
            "/archivist/v2/assets",
            server.admin(),
            &json!({"attributes": {"a": "1"}}),
        )
        .await;
    let asset = asset.body["identity"].as_str().unwrap().to_owned();
    let event = server
        .post(
            &format!("/archivist/v2/{asset}/events"),
            server.admin(),
            &json!({"event_attributes": {"arc_display_type": "x"}}),
        )
        .await;
    (
        policy.body["identity"].as_str().unwrap().to_owned(),
        asset,
        event.body["identity"].as_str().unwrap().to_owned(),
    )
}

#[actix_rt::test]
async fn the_permission_matrix() {
    let server = Server::start().await;
    let (policy, asset, event) = fixtures(&server).await;
    let policy_body = json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "r", "richness_assertions": [{"or": ["a=1"]}]});
    let event_body = json!({"event_attributes": {"arc_display_type": "x"}});
    let asset_body = json!({"attributes": {}});
    use Role::{Admin, Auditor, Deployer, Viewer};
    // (method, path, body, roles allowed)
    let matrix: Vec<(&str, String, Option<&serde_json::Value>, Vec<Role>)> = vec![
        (
            "POST",
            "/archivist/v1/compliance_policies".into(),
            Some(&policy_body),
            vec![Admin],
        ),
        (
            "GET",
            "/archivist/v1/compliance_policies".into(),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "GET",
            format!("/archivist/v1/{policy}"),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "POST",
            "/archivist/v2/assets".into(),
            Some(&asset_body),
            vec![Admin, Deployer],
        ),
        (
            "GET",
            "/archivist/v2/assets".into(),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "GET",
            format!("/archivist/v2/{asset}"),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "POST",
            format!("/archivist/v2/{asset}/events"),
            Some(&event_body),
            vec![Admin, Deployer],
        ),
        (
            "GET",
            format!("/archivist/v2/{asset}/events"),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "GET",
            format!("/archivist/v2/{event}"),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
        (
            "GET",
            format!("/archivist/v1/compliance/{asset}"),
            None,
            vec![Admin, Deployer, Auditor, Viewer],
        ),
    ];
    for (method, path, body, allowed) in &matrix {
        for role in Role::ALL {
            let reply = server
                .call(method, path, Some(&server.acme[&role]), *body)
                .await;
            if allowed.contains(&role) {
                assert_eq!(reply.status, 200, "{role} {method} {path}: {reply:?}");
            } else {
                reply.assert_error(403, 7, role.as_str());
            }
        }
    }
    // DELETE last, as it removes the policy; a forbidden role must leave it in place.
    for role in [Deployer, Auditor, Viewer] {
        let reply = server
            .call(
                "DELETE",
                &format!("/archivist/v1/{policy}"),
                Some(&server.acme[&role]),
                None,
            )
            .await;
        reply.assert_error(403, 7, role.as_str());
    }
    let deleted = server
        .call(
            "DELETE",
            &format!("/archivist/v1/{policy}"),
            Some(server.admin()),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200);
}

#[actix_rt::test]
async fn another_orgs_resources_are_404_on_every_endpoint() {
    let server = Server::start().await;
    let (policy, asset, event) = fixtures(&server).await;
    let intruder = &server.globex[&Role::Admin];
    let probes = [
        ("GET", format!("/archivist/v1/{policy}"), None),
        ("DELETE", format!("/archivist/v1/{policy}"), None),
        ("GET", format!("/archivist/v2/{asset}"), None),
        ("GET", format!("/archivist/v2/{asset}/events"), None),
        (
            "POST",
            format!("/archivist/v2/{asset}/events"),
            Some(json!({"event_attributes": {"arc_display_type": "x"}})),
        ),
        ("GET", format!("/archivist/v2/{event}"), None),
        ("GET", format!("/archivist/v1/compliance/{asset}"), None),
    ];
    for (method, path, body) in &probes {
        let reply = server
            .call(method, path, Some(intruder), body.as_ref())
            .await;
        reply.assert_error(404, 5, "not found");
    }
    // Lists simply do not show them.
    let policies = server
        .get("/archivist/v1/compliance_policies", intruder)
        .await;
    assert!(
        policies.body["compliance_policies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let assets = server.get("/archivist/v2/assets", intruder).await;
    assert!(assets.body["assets"].as_array().unwrap().is_empty());
    let events = server.get("/archivist/v2/assets/-/events", intruder).await;
    assert!(events.body["events"].as_array().unwrap().is_empty());
    // And acme's data is intact.
    assert_eq!(
        server
            .get(&format!("/archivist/v1/{policy}"), server.admin())
            .await
            .status,
        200
    );
    let acme_events = server
        .get(&format!("/archivist/v2/{asset}/events"), server.admin())
        .await;
    assert_eq!(
        acme_events.body["events"].as_array().unwrap().len(),
        1,
        "the intruder's event was not written"
    );
}

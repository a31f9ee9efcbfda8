//! Every bad input answers the one error shape with the right status, and writes nothing.

use compliance_store::Role;
use serde_json::json;

use crate::support::*;

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[actix_rt::test]
async fn tokens_missing_unknown_or_revoked_are_401() {
    let server = Server::start().await;
    let path = "/archivist/v1/compliance_policies";
    server
        .call("GET", path, None, None)
        .await
        .assert_error(401, 16, "missing");
    server
        .call("GET", path, Some("cst_0000"), None)
        .await
        .assert_error(401, 16, "unknown or revoked");
    let basic = server
        .raw("GET", path, &[("Authorization", "Basic YTpi")], vec![])
        .await;
    basic.assert_error(401, 16, "Bearer");
    let org = server.db.store.ensure_organization("acme").await.unwrap();
    let token = server
        .db
        .store
        .issue_token(org.id, Role::Viewer)
        .await
        .unwrap();
    server.db.store.revoke_token(token.id).await.unwrap();
    server
        .call("GET", path, Some(&token.secret), None)
        .await
        .assert_error(401, 16, "revoked");
}

#[actix_rt::test]
async fn malformed_bodies_are_400_naming_the_field_and_write_nothing() {
    let server = Server::start().await;
    let admin = format!("Bearer {}", server.admin());
    let auth = ("Authorization", admin.as_str());
    let policies = "/archivist/v1/compliance_policies";
    let cases: Vec<(&str, &[u8], u16, &str)> = vec![
        (policies, b"{\"compliance_type\": ", 400, "body"),
        (policies, b"[]", 400, "body"),
        (policies, br#"{"compliance_type": "COMPLIANCE_SINCE", "display_name": "d", "event_display_type": "E"}"#, 400, "time_period_seconds"),
        (policies, br#"{"compliance_type": "COMPLIANCE_SINCE", "display_name": "d", "event_display_type": "E", "time_period_seconds": "-1"}"#, 400, "time_period_seconds"),
        (policies, br#"{"compliance_type": "NOPE", "display_name": "d"}"#, 400, "compliance_type"),
        (policies, br#"{"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "d", "richness_assertions": [{"or": ["rad"]}]}"#, 400, "richness_assertions[0].or[0]"),
        ("/archivist/v2/assets", br#"{"attributes": {"rad": 7}}"#, 400, "attributes.rad"),
        ("/archivist/v2/assets", br#"{"atributes": {}}"#, 400, "atributes"),
        ("/archivist/v2/assets", br#"{"attributes": {"a": "x\u0000y"}}"#, 400, "NUL"),
    ];
    for (path, body, status, says) in cases {
        let reply = server.raw("POST", path, &[auth, JSON], body.to_vec()).await;
        reply.assert_error(status, 3, says);
    }
    let asset = server
        .post(
            "/archivist/v2/assets",
            server.admin(),
            &json!({"attributes": {}}),
        )
        .await;
    let events = format!(
        "/archivist/v2/{}/events",
        asset.body["identity"].as_str().unwrap()
    );
    let bad_time = server
        .raw(
            "POST",
            &events,
            &[auth, JSON],
            br#"{"timestamp_declared": "yesterday"}"#.to_vec(),
        )
        .await;
    bad_time.assert_error(400, 3, "timestamp_declared");
    let wrong_type = server
        .raw(
            "POST",
            &events,
            &[auth, ("Content-Type", "text/plain")],
            b"{}".to_vec(),
        )
        .await;
    wrong_type.assert_error(415, 3, "Content-Type");
    let no_type = server.raw("POST", &events, &[auth], b"{}".to_vec()).await;
    no_type.assert_error(415, 3, "Content-Type");

    // Nothing was written by any of them.
    let listed = server.get(policies, server.admin()).await;
    assert!(
        listed.body["compliance_policies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let assets = server.get("/archivist/v2/assets", server.admin()).await;
    assert_eq!(assets.body["assets"].as_array().unwrap().len(), 1);
    assert!(
        server.get(&events, server.admin()).await.body["events"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_rt::test]
async fn bad_query_strings_paths_methods_and_sizes() {
    let server = Server::start().await;
    let admin = server.admin().to_owned();
    let get = |path: &'static str| {
        let server = &server;
        let admin = admin.clone();
        async move { server.get(path, &admin).await }
    };
    get("/archivist/v1/compliance_policies?page_size=0")
        .await
        .assert_error(400, 3, "page_size");
    get("/archivist/v1/compliance_policies?page_size=1001")
        .await
        .assert_error(400, 3, "page_size");
    get("/archivist/v1/compliance_policies?page_size=ten")
        .await
        .assert_error(400, 3, "page_size");
    get("/archivist/v1/compliance_policies?colour=red")
        .await
        .assert_error(400, 3, "colour");
    get("/archivist/v1/compliance_policies?page_token=garbage")
        .await
        .assert_error(400, 3, "page_token");
    get("/archivist/v2/assets?page_size=%zz")
        .await
        .assert_error(400, 3, "page_size");
    // A name that is not UTF-8 is refused as unknown, named as far as it decodes.
    get("/archivist/v2/assets?%FF%FE=1").await.assert_error(
        400,
        3,
        "\u{fffd}\u{fffd}: unknown query parameter",
    );
    get("/archivist/v2/assets/not-a-uuid")
        .await
        .assert_error(400, 3, "not-a-uuid");
    get("/archivist/v1/compliance_policies/123")
        .await
        .assert_error(400, 3, "uuid");
    get("/archivist/v1/compliance/assets/00000000-0000-0000-0000-000000000001?compliant_at=yesterday")
        .await
        .assert_error(400, 3, "compliant_at");
    get("/archivist/v1/compliance/assets/00000000-0000-0000-0000-000000000001")
        .await
        .assert_error(404, 5, "asset not found");
    get("/archivist/v2/assets/00000000-0000-0000-0000-000000000001/events")
        .await
        .assert_error(404, 5, "asset not found");
    get("/archivist/v3/nothing")
        .await
        .assert_error(404, 5, "no such endpoint");

    let put = server
        .call("PUT", "/archivist/v2/assets", Some(&admin), None)
        .await;
    put.assert_error(405, 12, "PUT");

    let big = format!("{{\"attributes\": {{\"a\": \"{}\"}}}}", "x".repeat(1 << 20));
    let auth = format!("Bearer {admin}");
    let reply = server
        .raw(
            "POST",
            "/archivist/v2/assets",
            &[("Authorization", &auth), JSON],
            big.into_bytes(),
        )
        .await;
    reply.assert_error(413, 8, "size limit");
    assert!(
        server.get("/archivist/v2/assets", &admin).await.body["assets"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_rt::test]
async fn forged_page_tokens_are_400_not_an_overflow() {
    use base64::Engine;
    let server = Server::start().await;
    let forge = |json: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
    };
    let cases = [
        (
            "/archivist/v1/compliance_policies",
            json!({"after_seq": 0, "page_size": i64::MAX}),
        ),
        (
            "/archivist/v2/assets",
            json!({"attributes": {}, "unconfirmed": false, "after_seq": -5, "page_size": 10}),
        ),
        (
            "/archivist/v2/assets/-/events",
            json!({"asset": null, "event_attributes": {}, "unconfirmed": false, "offset": i64::MAX, "page_size": i64::MAX}),
        ),
        (
            "/archivist/v1/compliance/assets/00000000-0000-0000-0000-000000000001",
            json!({"at": 0, "offset": -1, "page_size": 5}),
        ),
    ];
    for (path, token) in cases {
        let reply = server
            .get(
                &format!("{path}?page_token={}", forge(token)),
                server.admin(),
            )
            .await;
        reply.assert_error(400, 3, "page_token");
    }
}

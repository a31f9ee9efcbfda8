//! `Idempotency-Key` on every POST: a retry answers the first outcome and writes nothing again,
//! the same key with another request is 422, keys are per org, and racing retries write once.

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

const JSON: (&str, &str) = ("Content-Type", "application/json");

async fn send(server: &Server, token: &str, path: &str, key: &str, body: &Value) -> Reply {
    send_bytes(server, token, path, key, serde_json::to_vec(body).unwrap()).await
}

async fn send_bytes(server: &Server, token: &str, path: &str, key: &str, body: Vec<u8>) -> Reply {
    let auth = format!("Bearer {token}");
    server
        .raw(
            "POST",
            path,
            &[
                ("Authorization", auth.as_str()),
                ("Idempotency-Key", key),
                JSON,
            ],
            body,
        )
        .await
}

async fn agent(server: &Server) -> String {
    let created = server
        .post(
            "/v1/agents",
            server.admin(),
            &json!({"name": "idem", "description": "d"}),
        )
        .await;
    created.body["id"].as_str().unwrap().to_owned()
}

async fn total(server: &Server, path: &str, key: &str) -> u64 {
    let listed = server.get(path, server.admin()).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    match key {
        "" => listed.body.as_array().map_or(0, |a| a.len() as u64),
        key => listed.body[key]
            .as_u64()
            .or_else(|| listed.body[key].as_array().map(|a| a.len() as u64))
            .unwrap(),
    }
}

#[actix_rt::test]
async fn every_post_replays_its_first_outcome_and_writes_once() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let light = server
        .post(
            "/archivist/v2/assets",
            server.admin(),
            &json!({"attributes": {"rad": "1"}}),
        )
        .await
        .body["identity"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, Value, String, &str)> = vec![
        (
            "/archivist/v1/compliance_policies",
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "r",
                   "richness_assertions": [{"or": ["rad<7"]}]}),
            "/archivist/v1/compliance_policies".to_owned(),
            "compliance_policies",
        ),
        (
            "/archivist/v2/assets",
            json!({"attributes": {"arc_display_type": "Lamp"}}),
            "/archivist/v2/assets?attributes.arc_display_type=Lamp".to_owned(),
            "assets",
        ),
        (
            "/archivist/v2/{light}/events",
            json!({"event_attributes": {"arc_display_type": "Check"}}),
            format!("/archivist/v2/{light}/events?event_attributes.arc_display_type=Check"),
            "events",
        ),
        (
            "/v1/agents",
            json!({"name": "second", "description": "d"}),
            "/v1/agents".to_owned(),
            "total",
        ),
        (
            "/v1/connectors",
            json!({"agent_id": agent, "connector_type": "jira", "vendor": "Atlassian"}),
            format!("/v1/connectors?agent_id={agent}"),
            "total",
        ),
        (
            "/v1/policies",
            json!({"agent_id": agent, "name": "n", "rule_type": "deny", "connector": "jira",
                   "action_pattern": "issues:delete", "risk_threshold": 90}),
            format!("/v1/policies?agent_id={agent}"),
            "total",
        ),
        (
            "/v1/audit",
            json!({"agent_id": agent, "action_type": "connector.called"}),
            format!("/v1/audit?agent_id={agent}&action_type=connector.called"),
            "total",
        ),
        (
            "/v1/audit/batch",
            json!({"entries": [{"agent_id": agent, "action_type": "batch.entry"},
                               {"agent_id": agent, "action_type": "batch.entry"}]}),
            format!("/v1/audit?agent_id={agent}&action_type=batch.entry"),
            "total",
        ),
        (
            "/v1/compliance",
            json!({"agent_id": agent}),
            format!("/v1/compliance?agent_id={agent}"),
            "total",
        ),
    ];
    for (n, (path, body, count_path, count_key)) in cases.into_iter().enumerate() {
        let path = path.replace("/{light}", &format!("/{light}"));
        let key = format!("key-{n}");
        let before = total(&server, &count_path, count_key).await;
        let first = send(&server, server.admin(), &path, &key, &body).await;
        assert!(
            first.status == 200 || first.status == 201,
            "{path}: {first:?}"
        );
        let after_first = total(&server, &count_path, count_key).await;
        assert!(after_first > before, "{path}: the first request wrote");
        let again = send(&server, server.admin(), &path, &key, &body).await;
        assert_eq!(again.status, first.status, "{path}");
        assert_eq!(again.body, first.body, "{path}: the stored answer");
        assert_eq!(
            again.headers.get("idempotent-replayed").map(String::as_str),
            Some("true"),
            "{path}"
        );
        assert_eq!(
            total(&server, &count_path, count_key).await,
            after_first,
            "{path}: the retry wrote nothing"
        );
        // The same JSON in other bytes is another request: a retry sends the same bytes.
        let other = serde_json::to_vec_pretty(&body).unwrap();
        send_bytes(&server, server.admin(), &path, &key, other)
            .await
            .assert_error(
                422,
                3,
                "Idempotency-Key: already used for a different request",
            );
    }
}

#[actix_rt::test]
async fn keys_are_per_org_and_a_failure_keeps_none() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let entry = json!({"agent_id": agent, "action_type": "x"});
    // Another org's request with the same key is its own (and here a 404: not its agent).
    send(
        &server,
        &server.globex[&Role::Admin],
        "/v1/audit",
        "shared",
        &entry,
    )
    .await
    .assert_error(404, 5, "agent");
    // That failure kept nothing, in either org: acme's first use of the key writes.
    let created = send(&server, server.admin(), "/v1/audit", "shared", &entry).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert!(!created.headers.contains_key("idempotent-replayed"));
    // A bad request keeps nothing either: the key is still free for a good one.
    send(
        &server,
        server.admin(),
        "/v1/audit",
        "later",
        &json!({"agent_id": agent}),
    )
    .await
    .assert_error(400, 3, "action_type");
    let good = send(&server, server.admin(), "/v1/audit", "later", &entry).await;
    assert_eq!(good.status, 201, "{good:?}");
}

#[actix_rt::test]
async fn malformed_keys_are_400() {
    let server = Server::start().await;
    let body = json!({"name": "a", "description": "d"});
    for key in ["", &"k".repeat(256), "with space", "naïve"] {
        let auth = format!("Bearer {}", server.admin());
        let reply = server
            .raw(
                "POST",
                "/v1/agents",
                &[
                    ("Authorization", auth.as_str()),
                    ("Idempotency-Key", key),
                    JSON,
                ],
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
        reply.assert_error(400, 3, "Idempotency-Key");
    }
}

#[actix_rt::test]
async fn racing_retries_of_one_batch_append_it_once() {
    let server = Server::start().await;
    let agent = agent(&server).await;
    let entries: Vec<Value> = (0..50)
        .map(|n| json!({"agent_id": agent, "action_type": "raced", "target_resource": format!("r{n}")}))
        .collect();
    let batch = json!({ "entries": entries });
    let answers = futures_util::future::join_all(
        (0..8).map(|_| send(&server, server.admin(), "/v1/audit/batch", "race", &batch)),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status, 201, "{answer:?}");
        assert_eq!(answer.body, json!({"appended": 50}));
    }
    assert_eq!(
        total(
            &server,
            &format!("/v1/audit?agent_id={agent}&action_type=raced"),
            "total"
        )
        .await,
        50,
        "appended once"
    );
}

//! GET /v1/compliance/{id}/diff over real HTTP: the changes between two versions agree with the
//! two packages' own JSON, either way round; other agents' and other orgs' packages are refused.

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

async fn generate(server: &Server, agent: &str) -> String {
    let package = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await;
    assert_eq!(package.status, 201, "{package:?}");
    package.body["id"].as_str().unwrap().to_owned()
}

async fn total_actions(server: &Server, package: &str) -> Value {
    let read = server
        .get(&format!("/v1/compliance/{package}"), server.admin())
        .await;
    read.body["execution_graph"]["total_actions"].clone()
}

#[actix_rt::test]
async fn a_diff_names_what_changed_between_two_versions() {
    let server = Server::start().await;
    let id = server.new_agent(server.admin(), "diff-agent").await;
    let first = generate(&server, &id).await;
    let connector = json!({"agent_id": id, "connector_type": "slack", "vendor": "Slack", "purpose": "notify",
                           "data_categories": ["messages"], "region": "us-1", "permitted_operations": ["chat:write"]});
    let added = server
        .post("/v1/connectors", server.admin(), &connector)
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    for n in 0..3 {
        let entry = json!({"agent_id": id, "action_type": "connector.called", "connector": "slack",
                           "target_resource": format!("channel/{n}"), "policy_verdict": "PERMIT", "status": "success"});
        assert_eq!(
            server
                .post("/v1/audit", server.admin(), &entry)
                .await
                .status,
            201
        );
    }
    let second = generate(&server, &id).await;

    let viewer = &server.acme[&Role::Viewer];
    let forward = server
        .get(
            &format!("/v1/compliance/{second}/diff?against={first}"),
            viewer,
        )
        .await;
    assert_eq!(forward.status, 200, "{forward:?}");
    assert_eq!(forward.body["package"]["version"], 2);
    assert_eq!(forward.body["against"]["version"], 1);
    let changes = &forward.body["changes"];
    assert_eq!(changes["connectors"]["added"], json!(["slack"]));
    assert_eq!(changes["sub_processors"]["added"], json!(["Slack"]));
    let figure = |name: &str| {
        changes["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["figure"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} changed: {changes}"))
    };
    // The figures are the packages' own: each side as its package's JSON says.
    let total = figure("total_actions");
    assert_eq!(total["from"], total_actions(&server, &first).await);
    assert_eq!(total["to"], total_actions(&server, &second).await);
    assert_ne!(total["from"], total["to"]);

    // Asked the other way round, the changes still run from the earlier to the later.
    let backward = server
        .get(
            &format!("/v1/compliance/{first}/diff?against={second}"),
            viewer,
        )
        .await;
    assert_eq!(backward.status, 200, "{backward:?}");
    assert_eq!(backward.body["changes"], forward.body["changes"]);
    assert_eq!(backward.body["package"]["version"], 1);

    let same = server
        .get(
            &format!("/v1/compliance/{first}/diff?against={first}"),
            viewer,
        )
        .await;
    assert_eq!(same.body["changes"]["figures"], json!([]), "{same:?}");
}

#[actix_rt::test]
async fn a_diff_refuses_other_agents_other_orgs_and_bad_queries() {
    let server = Server::start().await;
    let (one, two) = (
        server.new_agent(server.admin(), "one").await,
        server.new_agent(server.admin(), "two").await,
    );
    let (a, b) = (generate(&server, &one).await, generate(&server, &two).await);
    server
        .get(
            &format!("/v1/compliance/{a}/diff?against={b}"),
            server.admin(),
        )
        .await
        .assert_error(422, 3, "different agents");
    let intruder = &server.globex[&Role::Admin];
    server
        .get(&format!("/v1/compliance/{a}/diff?against={a}"), intruder)
        .await
        .assert_error(404, 5, "not found");
    // Another org's package as the one compared with is as unknown as a missing one.
    let theirs = server.new_agent(intruder, "theirs").await;
    let theirs = server
        .post("/v1/compliance", intruder, &json!({"agent_id": theirs}))
        .await;
    let theirs = theirs.body["id"].as_str().unwrap();
    server
        .get(
            &format!("/v1/compliance/{a}/diff?against={theirs}"),
            server.admin(),
        )
        .await
        .assert_error(404, 5, "not found");
    for query in ["", "?against=nope", &format!("?against={a}&extra=1")] {
        let reply = server
            .get(&format!("/v1/compliance/{a}/diff{query}"), server.admin())
            .await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
    }
}

//! The compliance packages API (seed 000) over real HTTP: inputs, generation, versions, PDF,
//! roles, cross-org isolation and all-or-nothing batches.

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

async fn agent(server: &Server, name: &str) -> String {
    let created = server
        .post(
            "/v1/agents",
            server.admin(),
            &json!({"name": name, "description": "Triages detections",
                    "declared_intent": {"permitted_systems": ["crowdstrike"], "permitted_actions": ["detections:*"],
                                        "permitted_data_types": ["security_events"], "max_actions_per_hour": 100}}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

fn entry(agent: &str, n: usize) -> Value {
    json!({"agent_id": agent, "action_type": "connector.called", "connector": "crowdstrike",
           "target_resource": format!("detections/{n}"), "policy_verdict": if n.is_multiple_of(10) { "ESCALATE" } else { "PERMIT" },
           "status": "success", "duration_ms": 12, "created_at": format!("2026-03-{:02}T10:00:00Z", 1 + n % 28)})
}

#[actix_rt::test]
async fn inputs_generation_versions_and_the_pdf() {
    let server = Server::start().await;
    let id = agent(&server, "Triage Agent: Ω").await;
    let read = server
        .get(&format!("/v1/agents/{id}"), &server.acme[&Role::Viewer])
        .await;
    assert_eq!(
        read.body["declared_intent"]["permitted_actions"],
        json!(["detections:*"])
    );
    let asset = server
        .get(&format!("/archivist/v2/assets/{id}"), server.admin())
        .await;
    assert_eq!(
        asset.body["attributes"]["arc_display_type"], "AI Agent",
        "an agent is an asset"
    );

    let connector = json!({"agent_id": id, "connector_type": "crowdstrike", "vendor": "CrowdStrike", "purpose": "detections",
                           "data_categories": ["security_events"], "region": "us-1", "permitted_operations": ["detections:read"]});
    assert_eq!(
        server
            .post("/v1/connectors", server.admin(), &connector)
            .await
            .status,
        201
    );
    let listed = server
        .get(&format!("/v1/connectors?agent_id={id}"), server.admin())
        .await;
    assert_eq!(listed.body["connectors"].as_array().unwrap().len(), 1);
    let rule = json!({"name": "escalate containment", "agent_id": id, "rule_type": "escalate", "connector": "crowdstrike",
                      "action_pattern": "hosts:contain", "risk_threshold": 70});
    server
        .post("/v1/policies", &server.acme[&Role::Deployer], &rule)
        .await
        .assert_error(403, 7, "deployer");
    assert_eq!(
        server
            .post("/v1/policies", server.admin(), &rule)
            .await
            .status,
        201
    );

    let one = server
        .post("/v1/audit", &server.acme[&Role::Deployer], &entry(&id, 0))
        .await;
    assert_eq!(one.status, 201, "{one:?}");
    assert_eq!(one.body["policy_verdict"], "ESCALATE");
    let batch: Vec<Value> = (1..2000).map(|n| entry(&id, n)).collect();
    let appended = server
        .post(
            "/v1/audit/batch",
            server.admin(),
            &json!({"entries": batch}),
        )
        .await;
    assert_eq!(
        (appended.status, appended.body["appended"].as_u64()),
        (201, Some(1999)),
        "{appended:?}"
    );
    let trail = server
        .get(&format!("/v1/audit?agent_id={id}&limit=3"), server.admin())
        .await;
    assert_eq!(trail.body["total"], 2000);
    assert_eq!(trail.body["entries"].as_array().unwrap().len(), 3);
    let mut escalations = 0;
    for offset in [0, 1000] {
        let page = server.get(&format!("/v1/audit?agent_id={id}&action_type=connector.called&limit=1000&offset={offset}"), server.admin()).await;
        escalations += page.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["policy_verdict"] == "ESCALATE")
            .count();
    }
    assert_eq!(escalations, 200);

    server
        .post(
            "/v1/compliance",
            &server.acme[&Role::Deployer],
            &json!({"agent_id": id}),
        )
        .await
        .assert_error(403, 7, "deployer");
    let first = server
        .post(
            "/v1/compliance",
            &server.acme[&Role::Auditor],
            &json!({"agent_id": id}),
        )
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["previous_sha256"], "");
    assert_eq!(first.body["execution_graph"]["total_actions"], 2000);
    assert_eq!(
        first.body["execution_graph"]["policy_verdicts"],
        json!({"PERMIT": 1800, "ESCALATE": 200, "DENY": 0})
    );
    assert_eq!(
        first.body["execution_graph"]["connectors_used"],
        json!(["crowdstrike"])
    );
    assert!(
        first.body["data_flow_diagram"]["mermaid"]
            .as_str()
            .unwrap()
            .starts_with("graph LR")
    );
    assert!(
        first.body["control_mappings"]["controls_covered"]
            .as_array()
            .unwrap()
            .contains(&json!("CC6.1"))
    );

    let second = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    assert_eq!(second.body["version"], 2);
    assert_eq!(second.body["previous_sha256"], first.body["content_sha256"]);
    assert_eq!(
        second.body["execution_graph"]["operations_performed"]["compliance.generated"], 1,
        "the first generation is in the trail"
    );

    let packages = server
        .get(
            &format!("/v1/compliance?agent_id={id}"),
            &server.acme[&Role::Viewer],
        )
        .await;
    assert_eq!(packages.body["total"], 2);
    assert_eq!(packages.body["packages"][0]["version"], 2, "newest first");
    let package_id = first.body["id"].as_str().unwrap();
    let read = server
        .get(
            &format!("/v1/compliance/{package_id}"),
            &server.acme[&Role::Viewer],
        )
        .await;
    let mut read = read.body;
    let chain = read.as_object_mut().unwrap().remove("chain");
    assert_eq!(
        chain,
        Some(json!({"verified": true, "versions_checked": 1, "problem": null}))
    );
    assert_eq!(read, first.body, "a stored package never changes");

    let pdf = server
        .get(
            &format!("/v1/compliance/{package_id}/pdf"),
            &server.acme[&Role::Viewer],
        )
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers["content-disposition"],
        format!("attachment; filename=\"compliance-triage-agent-{package_id}.pdf\"")
    );
    assert!(pdf.body.as_str().unwrap_or_default().starts_with("%PDF"));
}

#[actix_rt::test]
async fn another_orgs_agent_and_packages_are_404() {
    let server = Server::start().await;
    let id = agent(&server, "acme-agent").await;
    let package = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    let package_id = package.body["id"].as_str().unwrap();
    let intruder = &server.globex[&Role::Admin];
    server
        .get(&format!("/v1/agents/{id}"), intruder)
        .await
        .assert_error(404, 5, "agent not found");
    server
        .get(&format!("/v1/compliance/{package_id}"), intruder)
        .await
        .assert_error(404, 5, "not found");
    server
        .get(&format!("/v1/compliance/{package_id}/pdf"), intruder)
        .await
        .assert_error(404, 5, "not found");
    server
        .post("/v1/compliance", intruder, &json!({"agent_id": id}))
        .await
        .assert_error(404, 5, "agent not found");
    server
        .post("/v1/audit", intruder, &entry(&id, 1))
        .await
        .assert_error(404, 5, "agent not found");
    let connector = json!({"agent_id": id, "connector_type": "x", "vendor": "X"});
    server
        .post("/v1/connectors", intruder, &connector)
        .await
        .assert_error(404, 5, "agent not found");
    for list in [
        "/v1/agents",
        "/v1/compliance",
        "/v1/audit",
        "/v1/connectors",
        "/v1/policies",
    ] {
        let reply = server.get(list, intruder).await;
        assert_eq!(reply.status, 200, "{list}");
        let total = reply.body["total"].as_u64();
        assert_eq!(total, Some(0), "{list}: {reply:?}");
    }
}

#[actix_rt::test]
async fn a_batch_is_all_or_nothing_and_inputs_are_validated() {
    let server = Server::start().await;
    let id = agent(&server, "batcher").await;
    let mut batch: Vec<Value> = (0..500).map(|n| entry(&id, n)).collect();
    batch[321]["policy_verdict"] = json!("MAYBE");
    let bad = server
        .post(
            "/v1/audit/batch",
            server.admin(),
            &json!({"entries": batch}),
        )
        .await;
    bad.assert_error(400, 3, "entries[321].policy_verdict");
    let mut batch: Vec<Value> = (0..500).map(|n| entry(&id, n)).collect();
    batch[400]["agent_id"] = json!("00000000-0000-0000-0000-000000000001");
    server
        .post(
            "/v1/audit/batch",
            server.admin(),
            &json!({"entries": batch}),
        )
        .await
        .assert_error(404, 5, "agent not found");
    let too_many: Vec<Value> = (0..10_001).map(|n| entry(&id, n)).collect();
    server
        .post(
            "/v1/audit/batch",
            server.admin(),
            &json!({"entries": too_many}),
        )
        .await
        .assert_error(400, 3, "10000");
    let trail = server
        .get(&format!("/v1/audit?agent_id={id}"), server.admin())
        .await;
    assert_eq!(trail.body["total"], 0, "nothing of any failed batch stayed");

    let cases = [
        ("/v1/agents", json!({"name": ""}), "name"),
        (
            "/v1/agents",
            json!({"name": "a", "declared_intent": {"permitted_actions": ["read"]}}),
            "declared_intent.permitted_actions",
        ),
        (
            "/v1/connectors",
            json!({"agent_id": id, "connector_type": "jira", "vendor": "Atlassian", "api_key": "secret"}),
            "api_key",
        ),
        (
            "/v1/connectors",
            json!({"agent_id": id, "connector_type": "jira", "vendor": "Atlassian", "permitted_operations": ["create"]}),
            "permitted_operations",
        ),
        (
            "/v1/policies",
            json!({"name": "r", "rule_type": "allow", "connector": "jira", "action_pattern": "issues:*", "risk_threshold": 5}),
            "rule_type",
        ),
        (
            "/v1/policies",
            json!({"name": "r", "rule_type": "deny", "connector": "jira", "action_pattern": "issues:*", "risk_threshold": 101}),
            "risk_threshold",
        ),
        (
            "/v1/audit",
            json!({"agent_id": id, "action_type": "x", "status": "fine"}),
            "status",
        ),
        (
            "/v1/audit",
            json!({"agent_id": id, "action_type": "x", "created_at": "tuesday"}),
            "created_at",
        ),
        (
            "/v1/compliance",
            json!({"agent_id": "not-a-uuid"}),
            "agent_id",
        ),
    ];
    for (path, body, says) in cases {
        server
            .post(path, server.admin(), &body)
            .await
            .assert_error(400, 3, says);
    }
    server
        .get("/v1/audit?limit=0", server.admin())
        .await
        .assert_error(400, 3, "limit");
    server
        .get(
            "/v1/compliance/00000000-0000-0000-0000-000000000009/pdf",
            server.admin(),
        )
        .await
        .assert_error(404, 5, "not found");
}

#[actix_rt::test]
async fn racing_generations_get_consecutive_versions() {
    // A session open for every racer before the race: none waits for the pool or for a new
    // session (both waits are bounded, then 503), only for the agent's lock, so a slow runner
    // makes the race slower, not failed.
    let mut db = compliance_store::testing::TestDb::new().await;
    db.store = compliance_store::Store::connect(&db.url, 32).unwrap();
    let org = db.store.ensure_organization("acme").await.unwrap();
    let mut sessions = Vec::new();
    for _ in 0..32 {
        sessions.push(db.store.tenant(org.id).await.unwrap());
    }
    for session in sessions {
        session.commit().await.unwrap();
    }
    let server = std::rc::Rc::new(Server::start_on(db).await);
    let id = agent(&server, "racer").await;
    let racers: Vec<_> = (0..32)
        .map(|_| {
            let server = server.clone();
            let id = id.clone();
            actix_rt::spawn(async move {
                // SOC 2 alone: each racer's PDF (rendered one at a time) stays short.
                let body = json!({"agent_id": id, "frameworks": []});
                server.post("/v1/compliance", server.admin(), &body).await
            })
        })
        .collect();
    let mut versions = Vec::new();
    for racer in racers {
        let reply = racer.await.unwrap();
        assert_eq!(reply.status, 201, "{reply:?}");
        versions.push(reply.body["version"].as_i64().unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=32).collect::<Vec<_>>());
}

#[actix_rt::test]
async fn a_compliance_policy_naming_a_criterion_is_evidence_for_it() {
    let server = Server::start().await;
    let id = agent(&server, "deployer-watch").await;
    let policy = json!({
        "compliance_type": "COMPLIANCE_SINCE", "display_name": "Deployed within 30 days",
        "asset_filter": [{"or": ["attributes.arc_display_type=AI Agent"]}],
        "event_display_type": "agent.deployed", "time_period_seconds": 2_592_000, "controls": ["CC8.1"]
    });
    let created = server
        .post("/archivist/v1/compliance_policies", server.admin(), &policy)
        .await;
    assert_eq!(created.body["controls"], json!(["CC8.1"]), "{created:?}");
    let evidence = |package: &Value| {
        let cc81 = package["control_mappings"]["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == "CC8.1")
            .unwrap()
            .clone();
        (
            cc81["status"].as_str().unwrap().to_owned(),
            cc81["evidence"].to_string(),
        )
    };
    let before = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    let (status, text) = evidence(&before.body);
    assert_eq!(status, "not_evidenced");
    assert!(
        text.contains("Deployed within 30 days") && text.contains("non-compliant: No events found"),
        "{text}"
    );

    let deployed = json!({"agent_id": id, "action_type": "agent.deployed", "policy_verdict": "PERMIT", "status": "success",
                          "created_at": "2026-01-01T00:00:00Z"});
    let recent = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let mut recent_deploy = deployed.clone();
    recent_deploy["created_at"] = json!(
        recent
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    assert_eq!(
        server
            .post("/v1/audit", server.admin(), &recent_deploy)
            .await
            .status,
        201
    );
    let after = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    let (status, text) = evidence(&after.body);
    assert_eq!(status, "covered", "{text}");
    assert!(
        text.contains("Deployed within 30 days") && text.contains("): compliant"),
        "{text}"
    );
}

#[actix_rt::test]
async fn only_the_server_writes_a_generation_entry() {
    let server = Server::start().await;
    let id = agent(&server, "forger").await;
    let forged = json!({"agent_id": id, "action_type": "compliance.generated",
                        "metadata": {"package_id": id, "version": 1, "content_sha256": "0".repeat(64)}});
    server
        .post("/v1/audit", server.admin(), &forged)
        .await
        .assert_error(
            422,
            3,
            "action_type: compliance.generated is written by the server alone",
        );
    let batch = json!({"entries": [entry(&id, 1), forged]});
    server
        .post("/v1/audit/batch", server.admin(), &batch)
        .await
        .assert_error(422, 3, "entries[1].action_type: compliance.generated");
    let trail = server
        .get(&format!("/v1/audit?agent_id={id}"), server.admin())
        .await;
    assert_eq!(trail.body["total"], 0, "{trail:?}");
    // The server's own entry is written with every package.
    let generated = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    assert_eq!(generated.status, 201, "{generated:?}");
    let trail = server
        .get(
            &format!("/v1/audit?agent_id={id}&action_type=compliance.generated"),
            server.admin(),
        )
        .await;
    assert_eq!(trail.body["total"], 1, "{trail:?}");
}

#[actix_rt::test]
async fn a_generation_judges_the_frameworks_it_asks_for() {
    let server = Server::start().await;
    let id = agent(&server, "crosswalked").await;
    let ids = |package: &Value| -> Vec<String> {
        package["crosswalks"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|c| c["framework_id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let generate = async |body: Value| server.post("/v1/compliance", server.admin(), &body).await;
    let all = generate(json!({"agent_id": id})).await;
    assert_eq!(all.status, 201, "{all:?}");
    assert_eq!(ids(&all.body), ["iso_42001", "eu_ai_act", "nist_ai_rmf"]);
    let some = generate(json!({"agent_id": id, "frameworks": ["nist_ai_rmf", "eu_ai_act"]})).await;
    assert_eq!(ids(&some.body), ["eu_ai_act", "nist_ai_rmf"]);
    // SOC 2 alone: no crosswalks field at all, and SOC 2 still judged.
    let soc2 = generate(json!({"agent_id": id, "frameworks": ["soc2"]})).await;
    assert!(soc2.body.get("crosswalks").is_none(), "{soc2:?}");
    assert_eq!(
        soc2.body["control_mappings"]["controls"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
    // What was generated reads back the same, and the chain over all three verifies.
    let read = server
        .get(
            &format!("/v1/compliance/{}", some.body["id"].as_str().unwrap()),
            server.admin(),
        )
        .await;
    assert_eq!(read.body["crosswalks"], some.body["crosswalks"]);
    let chain = server
        .get(&format!("/v1/agents/{id}/chain"), server.admin())
        .await;
    assert_eq!(chain.body["verified"], true, "{chain:?}");
    assert_eq!(chain.body["versions_checked"], 3);
    // An unknown framework is named, and nothing is generated.
    generate(json!({"agent_id": id, "frameworks": ["soc2", "iso_27001"]}))
        .await
        .assert_error(400, 3, "frameworks[1]");
    let listed = server
        .get(&format!("/v1/compliance?agent_id={id}"), server.admin())
        .await;
    assert_eq!(listed.body["total"], 3, "{listed:?}");
}

#[actix_rt::test]
async fn a_compliance_policy_may_name_a_crosswalk_criterion() {
    let server = Server::start().await;
    let id = agent(&server, "logged").await;
    let policy = json!({
        "compliance_type": "COMPLIANCE_SINCE", "display_name": "Logged within a day",
        "asset_filter": [{"or": ["attributes.arc_display_type=AI Agent"]}],
        "event_display_type": "connector.called", "time_period_seconds": 86_400,
        "controls": ["A.6.2.8", "Art.12"]
    });
    let created = server
        .post("/archivist/v1/compliance_policies", server.admin(), &policy)
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    let package = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": id, "frameworks": ["iso_42001"]}),
        )
        .await
        .body;
    let a628 = package["crosswalks"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "A.6.2.8")
        .unwrap()
        .clone();
    assert!(
        a628["evidence"].to_string().contains("Logged within a day"),
        "{a628}"
    );
}

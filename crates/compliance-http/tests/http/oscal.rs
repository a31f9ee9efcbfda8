//! The OSCAL export judged by NIST's own schema (vendored under tests/schemas/), and what it says
//! of the package: a finding per criterion, satisfied exactly when covered, and back-matter
//! naming the attestation and the PDF by the digests their downloads have.

use compliance_attest::digest;
use serde_json::{Value, json};

use crate::support::*;

const SCHEMA: &str = include_str!("../schemas/oscal_assessment-results_schema-1.2.3.json");

async fn package(server: &Server) -> Value {
    let agent = server
        .post("/v1/agents", server.admin(), &json!({"name": "oscal-agent",
            "declared_intent": {"permitted_systems": ["jira"], "permitted_actions": ["issues:create"]}}))
        .await;
    let agent = agent.body["id"].as_str().unwrap().to_owned();
    let entry = json!({"agent_id": agent, "action_type": "connector.called", "connector": "jira",
                       "policy_verdict": "PERMIT", "status": "success"});
    assert_eq!(
        server
            .post("/v1/audit", server.admin(), &entry)
            .await
            .status,
        201
    );
    server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await
        .body
}

#[actix_rt::test]
async fn the_oscal_export_validates_against_nists_schema_and_says_what_the_package_says() {
    let server = Server::start().await;
    let package = package(&server).await;
    let id = package["id"].as_str().unwrap();
    let reply = server
        .get(&format!("/v1/compliance/{id}/oscal"), server.admin())
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let document = reply.body;
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{document:#}");
    // The validator does refuse a document that breaks the schema.
    let mut broken = document.clone();
    broken["assessment-results"]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("reviewed-controls");
    assert!(!validator.is_valid(&broken));

    let result = &document["assessment-results"]["results"][0];
    // SOC 2 and every crosswalk, one control selection each, one finding per criterion.
    let mut frameworks = vec![("soc2", &package["control_mappings"])];
    for crosswalk in package["crosswalks"].as_array().unwrap() {
        frameworks.push((crosswalk["framework_id"].as_str().unwrap(), crosswalk));
    }
    assert_eq!(frameworks.len(), 4, "{package:#}");
    let selections = result["reviewed-controls"]["control-selections"]
        .as_array()
        .unwrap();
    assert_eq!(selections.len(), frameworks.len());
    let controls: Vec<(&str, &Value)> = frameworks
        .iter()
        .zip(selections)
        .flat_map(|((framework, mappings), selection)| {
            assert_eq!(selection["description"], mappings["framework"]);
            assert_eq!(selection["props"][0]["value"], *framework);
            let controls = mappings["controls"].as_array().unwrap();
            assert_eq!(
                selection["include-controls"].as_array().unwrap().len(),
                controls.len()
            );
            controls.iter().map(|c| (*framework, c))
        })
        .collect();
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), controls.len());
    assert!(controls.len() > 11 + 15, "{}", controls.len());
    for ((framework, control), finding) in controls.iter().zip(findings) {
        assert_eq!(finding["target"]["target-id"], control["control"]);
        assert_eq!(finding["props"][0]["value"], *framework, "{finding}");
        let satisfied = control["status"] == "covered";
        assert_eq!(
            finding["target"]["status"]["state"],
            if satisfied {
                "satisfied"
            } else {
                "not-satisfied"
            },
            "{finding}"
        );
    }
    assert_eq!(result["start"], package["generated_at"]);
    // The log tree the figures were counted over, as the package states it.
    let props = result["props"].as_array().unwrap();
    let prop = |name: &str| {
        props
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].clone())
    };
    assert_eq!(
        prop("log-tree-size"),
        Some(json!(package["log"]["tree_size"].to_string()))
    );
    assert_eq!(
        prop("log-root-hash"),
        Some(package["log"]["root_hash"].clone())
    );
    assert_eq!(prop("agent-registration"), Some(json!("registered")));
    // Back-matter: the attestation and the PDF, by the digests of what downloads serve.
    let resources = document["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap();
    let hash_of = |href: &str| {
        resources
            .iter()
            .find(|r| r["rlinks"][0]["href"].as_str().unwrap().ends_with(href))
            .map(|r| {
                r["rlinks"][0]["hashes"][0]["value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .unwrap_or_else(|| panic!("no {href} in {resources:?}"))
    };
    let admin = format!("Bearer {}", server.admin());
    let pdf = server
        .raw_bytes("GET", &format!("/v1/compliance/{id}/pdf"), &admin)
        .await;
    assert_eq!(hash_of("/pdf"), digest(&pdf));
    let envelope = server
        .raw_bytes("GET", &format!("/v1/compliance/{id}/attestation"), &admin)
        .await;
    assert_eq!(hash_of("/attestation"), digest(&envelope));
    // The same package is always the same document.
    let again = server
        .get(&format!("/v1/compliance/{id}/oscal"), server.admin())
        .await;
    assert_eq!(again.body, document);
}

#[actix_rt::test]
async fn another_orgs_package_has_no_oscal_export() {
    let server = Server::start().await;
    let package = package(&server).await;
    let id = package["id"].as_str().unwrap();
    server
        .get(
            &format!("/v1/compliance/{id}/oscal"),
            &server.globex[&compliance_store::Role::Viewer],
        )
        .await
        .assert_error(404, 5, "compliance package not found");
}

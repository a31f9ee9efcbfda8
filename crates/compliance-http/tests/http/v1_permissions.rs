//! The `/v1` permission matrix as one table over every route and every role, and another org's
//! agent or package, named in any body, list filter or path, answering 404 as a missing one does.

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

use Role::{Admin, Auditor, Deployer};

/// Every role: every `GET /v1/…` is open to all of them.
const ANY: &[Role] = &Role::ALL;
/// A UUID no org has anything under.
const MISSING: &str = "00000000-0000-4000-8000-00000000dead";

/// What an org holds, as its `/v1` lists count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Holdings {
    agents: u64,
    connectors: u64,
    rules: u64,
    entries: u64,
    packages: u64,
    keys: u64,
}

impl Holdings {
    fn plus(self, more: Self) -> Self {
        Self {
            agents: self.agents + more.agents,
            connectors: self.connectors + more.connectors,
            rules: self.rules + more.rules,
            entries: self.entries + more.entries,
            packages: self.packages + more.packages,
            keys: self.keys + more.keys,
        }
    }
}

async fn total(server: &Server, path: &str, token: &str) -> u64 {
    let listed = server.get(path, token).await;
    assert_eq!(listed.status, 200, "{path}: {listed:?}");
    listed.body["total"].as_u64().unwrap()
}

/// How many signing keys the org of `token` ever had.
async fn keys(server: &Server, token: &str) -> u64 {
    let listed = server.get("/v1/keys", token).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    listed.body["keys"].as_array().unwrap().len() as u64
}

/// Everything the org of `token` holds.
async fn holdings(server: &Server, token: &str) -> Holdings {
    Holdings {
        agents: total(server, "/v1/agents", token).await,
        connectors: total(server, "/v1/connectors", token).await,
        rules: total(server, "/v1/policies", token).await,
        entries: total(server, "/v1/audit", token).await,
        packages: total(server, "/v1/compliance", token).await,
        keys: keys(server, token).await,
    }
}

/// An org's agent with one of everything: a connector, a rule, an audit entry and a package.
struct Fixture {
    agent: String,
    package: String,
}

async fn fixture(server: &Server, token: &str, name: &str) -> Fixture {
    let created = server
        .post("/v1/agents", token, &json!({"name": name}))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let agent = created.body["id"].as_str().unwrap().to_owned();
    for (path, body) in [
        ("/v1/connectors", connector(&agent)),
        ("/v1/policies", rule(Some(&agent))),
        ("/v1/audit", entry(&agent)),
    ] {
        let created = server.post(path, token, &body).await;
        assert_eq!(created.status, 201, "{path}: {created:?}");
    }
    let package = server
        .post("/v1/compliance", token, &json!({"agent_id": agent}))
        .await;
    assert_eq!(package.status, 201, "{package:?}");
    Fixture {
        agent,
        package: package.body["id"].as_str().unwrap().to_owned(),
    }
}

fn connector(agent: &str) -> Value {
    json!({"agent_id": agent, "connector_type": "jira", "vendor": "Atlassian",
           "permitted_operations": ["issues:read"]})
}

fn rule(agent: Option<&str>) -> Value {
    json!({"name": "no deletes", "agent_id": agent, "rule_type": "deny", "connector": "jira",
           "action_pattern": "issues:delete", "risk_threshold": 50})
}

fn entry(agent: &str) -> Value {
    json!({"agent_id": agent, "action_type": "connector.called", "connector": "jira",
           "policy_verdict": "PERMIT", "status": "success"})
}

/// One row of the matrix: a route, the roles that may use it, and what a success writes.
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    allowed: &'static [Role],
    writes: Holdings,
}

impl Route {
    fn read(path: String) -> Self {
        Self {
            method: "GET",
            path,
            body: None,
            allowed: ANY,
            writes: Holdings::default(),
        }
    }

    fn write(path: &str, body: Value, allowed: &'static [Role], writes: Holdings) -> Self {
        Self {
            method: "POST",
            path: path.to_owned(),
            body: Some(body),
            allowed,
            writes,
        }
    }
}

/// Every route of `/v1` (`compliance_http::v1`), with docs/api.md's permission matrix.
fn matrix(agent: &str, package: &str) -> Vec<Route> {
    let one = Holdings::default();
    vec![
        Route::write(
            "/v1/agents",
            json!({"name": "matrix-agent"}),
            &[Admin, Deployer],
            Holdings { agents: 1, ..one },
        ),
        Route::read("/v1/agents".to_owned()),
        Route::read(format!("/v1/agents/{agent}")),
        Route::read(format!("/v1/agents/{agent}/chain")),
        Route::write(
            "/v1/connectors",
            connector(agent),
            &[Admin, Deployer],
            Holdings {
                connectors: 1,
                ..one
            },
        ),
        Route::read(format!("/v1/connectors?agent_id={agent}")),
        Route::write(
            "/v1/policies",
            rule(Some(agent)),
            &[Admin],
            Holdings { rules: 1, ..one },
        ),
        Route::read(format!("/v1/policies?agent_id={agent}")),
        Route::write(
            "/v1/audit",
            entry(agent),
            &[Admin, Deployer],
            Holdings { entries: 1, ..one },
        ),
        Route::write(
            "/v1/audit/batch",
            json!({"entries": [entry(agent), entry(agent)]}),
            &[Admin, Deployer],
            Holdings { entries: 2, ..one },
        ),
        Route::read(format!("/v1/audit?agent_id={agent}")),
        Route::write(
            "/v1/compliance",
            json!({"agent_id": agent}),
            &[Admin, Auditor],
            // The generation is witnessed by its `compliance.generated` entry.
            Holdings {
                packages: 1,
                entries: 1,
                ..one
            },
        ),
        Route::read(format!("/v1/compliance?agent_id={agent}")),
        Route::read(format!("/v1/compliance/{package}")),
        Route::read(format!("/v1/compliance/{package}/pdf")),
        Route::read(format!("/v1/compliance/{package}/attestation")),
        Route::read(format!("/v1/compliance/{package}/oscal")),
        Route::read(format!("/v1/compliance/{package}/diff?against={package}")),
        Route::read("/v1/keys".to_owned()),
        Route::read("/v1/log/key".to_owned()),
        Route::read("/v1/log/consistency?from=0".to_owned()),
        Route::write(
            "/v1/keys/rotate",
            json!({}),
            &[Admin],
            Holdings { keys: 1, ..one },
        ),
        Route::read("/v1/settings/branding".to_owned()),
        Route {
            method: "PUT",
            path: "/v1/settings/branding".to_owned(),
            body: Some(json!({"display_name": "Matrix Org", "accent_colour": "#1d4ed8"})),
            allowed: &[Admin],
            writes: one,
        },
    ]
}

#[actix_rt::test]
async fn the_v1_permission_matrix_over_every_route_and_role() {
    let server = Server::start().await;
    let acme = fixture(&server, server.admin(), "acme-agent").await;
    let globex_admin = &server.globex[&Admin];
    fixture(&server, globex_admin, "globex-agent").await;
    let globex_before = holdings(&server, globex_admin).await;
    for route in matrix(&acme.agent, &acme.package) {
        let (method, path) = (route.method, &route.path);
        for role in Role::ALL {
            let before = holdings(&server, server.admin()).await;
            let reply = server
                .call(method, path, Some(&server.acme[&role]), route.body.as_ref())
                .await;
            let after = holdings(&server, server.admin()).await;
            if route.allowed.contains(&role) {
                let success = if method == "POST" { 201 } else { 200 };
                assert_eq!(reply.status, success, "{role} {method} {path}: {reply:?}");
                assert_eq!(
                    after,
                    before.plus(route.writes),
                    "{role} {method} {path} wrote"
                );
            } else {
                assert_eq!(reply.status, 403, "{role} {method} {path}: {reply:?}");
                reply.assert_error(403, 7, &format!("the {role} role may not do this"));
                assert_eq!(after, before, "{role} {method} {path} wrote nothing");
            }
        }
    }
    assert_eq!(
        holdings(&server, globex_admin).await,
        globex_before,
        "another org's holdings never change"
    );
}

/// The routes that name another org's agent (in the body or the path) or package, with the
/// roles that may use them, so that a 404 is never a 403 in disguise.
fn naming(agent: &str, package: &str, own_agent: &str) -> Vec<Route> {
    let none = Holdings::default();
    vec![
        Route::read(format!("/v1/agents/{agent}")),
        Route::read(format!("/v1/agents/{agent}/chain")),
        Route::read(format!("/v1/compliance/{package}")),
        Route::read(format!("/v1/compliance/{package}/pdf")),
        Route::write("/v1/connectors", connector(agent), &[Admin, Deployer], none),
        Route::write("/v1/policies", rule(Some(agent)), &[Admin], none),
        Route::write("/v1/audit", entry(agent), &[Admin, Deployer], none),
        // The caller's own agent around it: the foreign one still fails the whole batch.
        Route::write(
            "/v1/audit/batch",
            json!({"entries": [entry(own_agent), entry(agent), entry(own_agent)]}),
            &[Admin, Deployer],
            none,
        ),
        Route::write(
            "/v1/compliance",
            json!({"agent_id": agent}),
            &[Admin, Auditor],
            none,
        ),
    ]
}

/// Every list filtered by `?agent_id=`.
fn filtered(agent: &str) -> Vec<Route> {
    ["connectors", "policies", "audit", "compliance"]
        .into_iter()
        .map(|list| Route::read(format!("/v1/{list}?agent_id={agent}")))
        .collect()
}

/// A list filtered by an agent the caller's org does not have is a 404, exactly as for an agent
/// that never existed (docs/api.md), never an empty list that looks like an idle agent.
const FILTERED_BY_AN_UNKNOWN_AGENT: u16 = 404;

#[actix_rt::test]
async fn another_orgs_agent_in_any_body_filter_or_path_is_404_as_a_missing_one() {
    let server = Server::start().await;
    let acme = fixture(&server, server.admin(), "acme-agent").await;
    // An org-wide rule of acme's own, which an agent filter also lists.
    let org_wide = server
        .post("/v1/policies", server.admin(), &rule(None))
        .await;
    assert_eq!(org_wide.status, 201, "{org_wide:?}");
    let globex_admin = &server.globex[&Admin];
    let globex = fixture(&server, globex_admin, "globex-agent").await;
    let acme_before = holdings(&server, server.admin()).await;
    let globex_before = holdings(&server, globex_admin).await;
    let probes = [
        (
            naming(&globex.agent, &globex.package, &acme.agent),
            naming(MISSING, MISSING, &acme.agent),
            404,
        ),
        (
            filtered(&globex.agent),
            filtered(MISSING),
            FILTERED_BY_AN_UNKNOWN_AGENT,
        ),
    ];
    for (foreign, missing, status) in &probes {
        for (route, unknown) in foreign.iter().zip(missing) {
            let (method, path) = (route.method, &route.path);
            for &role in route.allowed {
                let token = &server.acme[&role];
                let reply = server
                    .call(method, path, Some(token), route.body.as_ref())
                    .await;
                assert_eq!(reply.status, *status, "{role} {method} {path}: {reply:?}");
                if reply.status == 404 {
                    reply.assert_error(404, 5, "not found");
                }
                // Nothing of globex's shows: the answer is the one a never-seen id gets.
                let never_existed = server
                    .call(method, &unknown.path, Some(token), unknown.body.as_ref())
                    .await;
                assert_eq!(
                    (reply.status, &reply.body),
                    (never_existed.status, &never_existed.body),
                    "{role} {method} {path}: another org's agent is exactly a missing one"
                );
            }
        }
    }
    assert_eq!(holdings(&server, server.admin()).await, acme_before);
    assert_eq!(holdings(&server, globex_admin).await, globex_before);
}

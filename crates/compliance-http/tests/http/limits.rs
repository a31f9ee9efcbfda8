//! Every row of docs/api.md's "Limits" table not already held by
//! `evidence::published_limits_hold_at_the_limit_and_refuse_one_past_it`: each value at its limit
//! is accepted, one past it is a 400 naming the field (413 for a body).

use compliance_store::{Role, rules};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::support::*;

/// `n` characters of four UTF-8 bytes each: limits count characters, not bytes.
fn wide(n: usize) -> String {
    "𝕎".repeat(n)
}

/// `count` distinct names of `chars` characters each.
fn names(count: usize, chars: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{i:04}{}", wide(chars - 4)))
        .collect()
}

/// `count` distinct `resource:action` operations of `chars` characters each.
fn operations(count: usize, chars: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{i:04}:{}", "r".repeat(chars - 5)))
        .collect()
}

/// `base` with `field` set to `value` (a dotted field sets inside a nested object).
fn with(base: &Value, field: &str, value: Value) -> Value {
    let mut body = base.clone();
    let mut target = &mut body;
    let mut parts = field.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            target[part] = value;
            break;
        }
        if target.get(part).is_none() {
            target[part] = json!({});
        }
        target = &mut target[part];
    }
    body
}

/// One limit: the body at it (accepted) and one past it (a 400 whose message says `says`).
struct Limit {
    path: String,
    at: Value,
    past: Value,
    says: String,
}

impl Limit {
    /// `field` of `base` at `at` and past it at `past`; the 400 names the field.
    fn field(path: &str, base: &Value, field: &str, at: Value, past: Value) -> Self {
        Self::says(path, base, field, at, past, &format!("{field}: "))
    }

    fn says(path: &str, base: &Value, field: &str, at: Value, past: Value, says: &str) -> Self {
        Self {
            path: path.to_owned(),
            at: with(base, field, at),
            past: with(base, field, past),
            says: says.to_owned(),
        }
    }
}

/// A reply as a failure shows it: the status and the start of the body.
fn brief(reply: &Reply) -> String {
    let body = reply.body.to_string();
    format!(
        "{} {}",
        reply.status,
        body.chars().take(300).collect::<String>()
    )
}

/// Asserts every limit: at it a success, one past it a 400 naming the field.
async fn hold(server: &Server, limits: &[Limit]) {
    for limit in limits {
        let (path, says) = (&limit.path, &limit.says);
        let at = server.post(path, server.admin(), &limit.at).await;
        assert!(
            matches!(at.status, 200 | 201),
            "{path}, at the limit of {says:?}: {}",
            brief(&at)
        );
        let past = server.post(path, server.admin(), &limit.past).await;
        assert_eq!(past.status, 400, "{path}, past {says:?}: {}", brief(&past));
        let message = past.body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(says.as_str()),
            "{path}: {message:?} should name {says:?}"
        );
        past.assert_error(400, 3, says);
    }
}

async fn agent(server: &Server, token: &str, name: &str) -> String {
    let created = server
        .post("/v1/agents", token, &json!({"name": name}))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

async fn asset(server: &Server) -> String {
    let created = server
        .post("/archivist/v2/assets", server.admin(), &json!({}))
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    created.body["identity"].as_str().unwrap().to_owned()
}

async fn org_id(server: &Server, name: &str) -> Uuid {
    server.db.store.ensure_organization(name).await.unwrap().id
}

#[actix_rt::test]
async fn an_agents_name_description_and_declared_intent_lists_hold_their_limits() {
    let server = Server::start().await;
    let path = "/v1/agents";
    let base = json!({"name": "limits-agent"});
    let mut limits = vec![
        Limit::field(path, &base, "name", json!(wide(200)), json!(wide(201))),
        Limit::field(
            path,
            &base,
            "description",
            json!(wide(4000)),
            json!(wide(4001)),
        ),
    ];
    for list in ["permitted_systems", "permitted_data_types"] {
        let field = format!("declared_intent.{list}");
        limits.push(Limit::field(
            path,
            &base,
            &field,
            json!(names(100, 200)),
            json!(names(101, 200)),
        ));
        limits.push(Limit::field(
            path,
            &base,
            &field,
            json!(names(100, 200)),
            json!(names(1, 201)),
        ));
    }
    let field = "declared_intent.permitted_actions";
    limits.push(Limit::field(
        path,
        &base,
        field,
        json!(operations(100, 200)),
        json!(operations(101, 200)),
    ));
    limits.push(Limit::field(
        path,
        &base,
        field,
        json!(operations(100, 200)),
        json!(operations(1, 201)),
    ));
    hold(&server, &limits).await;
}

#[actix_rt::test]
async fn a_connectors_fields_and_lists_hold_their_limits() {
    let server = Server::start().await;
    let agent = agent(&server, server.admin(), "limits-agent").await;
    let path = "/v1/connectors";
    let base = json!({"agent_id": agent, "connector_type": "jira", "vendor": "Atlassian"});
    let mut limits = Vec::new();
    for (field, max) in [
        ("connector_type", 100),
        ("vendor", 200),
        ("purpose", 1000),
        ("region", 100),
    ] {
        limits.push(Limit::field(
            path,
            &base,
            field,
            json!(wide(max)),
            json!(wide(max + 1)),
        ));
    }
    limits.push(Limit::field(
        path,
        &base,
        "data_categories",
        json!(names(100, 200)),
        json!(names(101, 200)),
    ));
    limits.push(Limit::field(
        path,
        &base,
        "data_categories",
        json!(names(100, 200)),
        json!(names(1, 201)),
    ));
    limits.push(Limit::field(
        path,
        &base,
        "permitted_operations",
        json!(operations(100, 200)),
        json!(operations(101, 200)),
    ));
    limits.push(Limit::field(
        path,
        &base,
        "permitted_operations",
        json!(operations(100, 200)),
        json!(operations(1, 201)),
    ));
    hold(&server, &limits).await;
}

#[actix_rt::test]
async fn an_agent_has_at_most_100_connectors() {
    let server = Server::start().await;
    let full = agent(&server, server.admin(), "full").await;
    let other = agent(&server, server.admin(), "other").await;
    let connector = |agent: &str, n: usize| json!({"agent_id": agent, "connector_type": format!("c{n}"), "vendor": "V"});
    for n in 0..100 {
        let created = server
            .post("/v1/connectors", server.admin(), &connector(&full, n))
            .await;
        assert_eq!(created.status, 201, "connector {n}: {created:?}");
    }
    server
        .post("/v1/connectors", server.admin(), &connector(&full, 100))
        .await
        .assert_error(422, 3, "agent_id: the agent already has 100 connectors");
    let listed = server
        .get(&format!("/v1/connectors?agent_id={full}"), server.admin())
        .await;
    assert_eq!(listed.body["total"], 100, "the 101st was not written");
    // The limit is per agent.
    let created = server
        .post("/v1/connectors", server.admin(), &connector(&other, 0))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
}

/// Writes `count` rules straight through the store (HTTP would take minutes on a slow runner).
async fn rules_in_store(server: &Server, org: &str, agent: Option<&str>, count: usize) {
    let mut conn = server
        .db
        .store
        .tenant(org_id(server, org).await)
        .await
        .unwrap();
    let agent_id = agent.map(|a| a.parse().unwrap());
    for n in 0..count {
        let rule = rules::NewRule {
            id: Uuid::new_v4(),
            agent_id,
            rule: compliance_core::PolicyRule {
                name: format!("stored {n}"),
                rule_type: compliance_core::RuleType::Deny,
                connector: "jira".to_owned(),
                action_pattern: "issues:delete".to_owned(),
                risk_threshold: 50,
            },
        };
        rules::create(&mut conn, &rule).await.unwrap();
    }
    conn.commit().await.unwrap();
}

fn rule(agent: Option<&str>) -> Value {
    json!({"name": "http", "agent_id": agent, "rule_type": "deny", "connector": "jira",
           "action_pattern": "issues:delete", "risk_threshold": 50})
}

#[actix_rt::test]
async fn at_most_1000_policy_rules_apply_to_an_agent_or_an_org() {
    let server = Server::start().await;
    let (acme, globex) = (server.admin(), &server.globex[&Role::Admin]);
    let post = |token: &str, agent: Option<&str>| {
        let body = rule(agent);
        let token = token.to_owned();
        let server = &server;
        async move { server.post("/v1/policies", &token, &body).await }
    };
    // acme: org-wide rules only. The 1,000th is accepted, the 1,001st refused, and since all
    // of them apply to every agent, so is a rule of an agent's own.
    let acme_agent = agent(&server, acme, "acme-agent").await;
    rules_in_store(&server, "acme", None, 999).await;
    let at = post(acme, None).await;
    assert_eq!(at.status, 201, "the 1,000th org-wide rule: {at:?}");
    post(acme, None)
        .await
        .assert_error(422, 3, "agent_id: 1000 policy rules already apply");
    post(acme, Some(&acme_agent)).await.assert_error(
        422,
        3,
        "agent_id: 1000 policy rules already apply",
    );
    // globex: an agent's own rules and the org-wide ones count together, agent by agent.
    let full = agent(&server, globex, "full").await;
    let other = agent(&server, globex, "other").await;
    rules_in_store(&server, "globex", None, 500).await;
    rules_in_store(&server, "globex", Some(&full), 499).await;
    let at = post(globex, Some(&full)).await;
    assert_eq!(at.status, 201, "the 1,000th rule of the agent: {at:?}");
    post(globex, Some(&full)).await.assert_error(
        422,
        3,
        "agent_id: 1000 policy rules already apply",
    );
    let elsewhere = post(globex, Some(&other)).await;
    assert_eq!(
        elsewhere.status, 201,
        "another agent has 500: {elsewhere:?}"
    );
    // An org-wide rule would apply to the full agent: the org's rules (1,001) are past the limit.
    post(globex, None)
        .await
        .assert_error(422, 3, "agent_id: 1000 policy rules already apply");
    for (token, agent, total) in [(acme, &acme_agent, 1000), (globex, &full, 1000)] {
        let listed = server
            .get(&format!("/v1/policies?agent_id={agent}&limit=1"), token)
            .await;
        assert_eq!(
            listed.body["total"], total,
            "nothing past the limit was written"
        );
    }
}

#[actix_rt::test]
async fn an_audit_entrys_fields_hold_their_limits_alone_and_in_a_batch() {
    let server = Server::start().await;
    let agent = agent(&server, server.admin(), "limits-agent").await;
    let base = json!({"agent_id": agent, "action_type": "connector.called"});
    let fields = [
        ("action_type", 100),
        ("connector", 100),
        ("correlation_id", 200),
        ("target_resource", 1000),
    ];
    let mut limits = Vec::new();
    for (field, max) in fields {
        limits.push(Limit::field(
            "/v1/audit",
            &base,
            field,
            json!(wide(max)),
            json!(wide(max + 1)),
        ));
        // In a batch, the entry is named by its index.
        let batch = |value: String| json!({"entries": [base, with(&base, field, json!(value))]});
        limits.push(Limit {
            path: "/v1/audit/batch".to_owned(),
            at: batch(wide(max)),
            past: batch(wide(max + 1)),
            says: format!("entries[1].{field}: "),
        });
    }
    // Metadata 16 levels deep is accepted (17 is refused in evidence.rs).
    let mut deep = json!(1);
    for _ in 0..15 {
        deep = json!([deep]);
    }
    let mut deeper = json!([deep.clone()]);
    deeper = json!({"d": deeper});
    limits.push(Limit::says(
        "/v1/audit",
        &base,
        "metadata",
        json!({"d": deep}),
        deeper,
        "metadata: nested deeper than 16 levels",
    ));
    hold(&server, &limits).await;
}

fn entries(agent: &str, count: usize) -> Value {
    let entry = json!({"agent_id": agent, "action_type": "a"});
    json!({ "entries": vec![entry; count] })
}

#[actix_rt::test]
async fn a_batch_holds_1_to_10000_entries() {
    let server = Server::start().await;
    let agent = agent(&server, server.admin(), "batcher").await;
    for count in [1, 10_000] {
        let appended = server
            .post("/v1/audit/batch", server.admin(), &entries(&agent, count))
            .await;
        assert_eq!(appended.status, 201, "{count} entries: {appended:?}");
        assert_eq!(appended.body["appended"], count);
    }
    for count in [0, 10_001] {
        server
            .post("/v1/audit/batch", server.admin(), &entries(&agent, count))
            .await
            .assert_error(400, 3, &format!("entries: 1 to 10000 entries, not {count}"));
    }
    let trail = server
        .get(
            &format!("/v1/audit?agent_id={agent}&limit=1"),
            server.admin(),
        )
        .await;
    assert_eq!(
        trail.body["total"], 10_001,
        "the refused batches wrote nothing"
    );
}

/// `body` as JSON followed by spaces up to exactly `size` bytes.
fn padded(body: &Value, size: usize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(body).unwrap();
    assert!(bytes.len() <= size);
    bytes.resize(size, b' ');
    bytes
}

#[actix_rt::test]
async fn request_bodies_hold_1_mib_and_a_batch_16_mib() {
    let server = Server::start().await;
    let agent = agent(&server, server.admin(), "limits-agent").await;
    let light = asset(&server).await;
    const MIB: usize = 1 << 20;
    let policy = json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "r",
                        "richness_assertions": [{"or": ["a=1"]}]});
    let entry = json!({"agent_id": agent, "action_type": "a"});
    // Every POST route, with a body it accepts.
    let routes = [
        ("/archivist/v1/compliance_policies".to_owned(), policy, MIB),
        ("/archivist/v2/assets".to_owned(), json!({}), MIB),
        (
            format!("/archivist/v2/{light}/events"),
            json!({"event_attributes": {"arc_display_type": "x"}}),
            MIB,
        ),
        ("/v1/agents".to_owned(), json!({"name": "padded"}), MIB),
        (
            "/v1/connectors".to_owned(),
            json!({"agent_id": agent, "connector_type": "c", "vendor": "v"}),
            MIB,
        ),
        ("/v1/policies".to_owned(), rule(Some(&agent)), MIB),
        ("/v1/audit".to_owned(), entry.clone(), MIB),
        (
            "/v1/audit/batch".to_owned(),
            json!({"entries": [entry]}),
            16 * MIB,
        ),
        ("/v1/compliance".to_owned(), json!({"agent_id": agent}), MIB),
    ];
    let auth = format!("Bearer {}", server.admin());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    for (path, body, limit) in &routes {
        let at = server
            .raw("POST", path, &headers, padded(body, *limit))
            .await;
        assert!(matches!(at.status, 200 | 201), "{path} at {limit}: {at:?}");
        let past = server
            .raw("POST", path, &headers, padded(body, limit + 1))
            .await;
        past.assert_error(413, 8, "payload reached size limit");
    }
    // Only the bodies at the limit were written.
    for (path, total) in [
        ("/v1/agents", 2),
        ("/v1/connectors", 1),
        ("/v1/policies", 1),
        ("/v1/compliance", 1),
        // audit, batch and the package's own compliance.generated entry
        ("/v1/audit", 3),
    ] {
        let listed = server.get(path, server.admin()).await;
        assert_eq!(listed.body["total"], total, "{path}: {listed:?}");
    }
    let events = server
        .get(&format!("/archivist/v2/{light}/events"), server.admin())
        .await;
    assert_eq!(events.body["events"].as_array().unwrap().len(), 1);
}

#[actix_rt::test]
async fn behaviours_operations_and_principal_declared_hold_their_limits() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let events = format!("/archivist/v2/{light}/events");
    let event = json!({"event_attributes": {"arc_display_type": "x"}});
    let behaviours = |count: usize, chars: usize| json!(names(count, chars));
    let principal = |bytes: usize| {
        // {"p":"…"} is 8 bytes around its value, as compact JSON.
        json!({"p": "x".repeat(bytes - 8)})
    };
    let nested = |levels: usize| {
        let mut value = json!(1);
        for _ in 1..levels {
            value = json!([value]);
        }
        json!({ "d": value })
    };
    let limits = [
        Limit::says(
            "/archivist/v2/assets",
            &json!({}),
            "behaviours",
            behaviours(32, 100),
            behaviours(33, 100),
            "behaviours: more than 32 behaviours",
        ),
        Limit::says(
            "/archivist/v2/assets",
            &json!({}),
            "behaviours",
            behaviours(32, 100),
            json!(["b", wide(101)]),
            "behaviours[1]: longer than 100 characters",
        ),
        Limit::field(
            &events,
            &event,
            "operation",
            json!(wide(100)),
            json!(wide(101)),
        ),
        Limit::field(
            &events,
            &event,
            "behaviour",
            json!(wide(100)),
            json!(wide(101)),
        ),
        Limit::says(
            &events,
            &event,
            "principal_declared",
            principal(4096),
            principal(4097),
            "principal_declared: larger than 4096 bytes",
        ),
        Limit::says(
            &events,
            &event,
            "principal_declared",
            nested(16),
            nested(17),
            "principal_declared: nested deeper than 16 levels",
        ),
    ];
    hold(&server, &limits).await;
}

/// `count` attributes `k0…` whose names and values are `bytes` UTF-8 bytes in all.
fn attributes(count: usize, bytes: usize) -> Value {
    let names: usize = (0..count).map(|i| format!("k{i}").len()).sum();
    let values = bytes - names;
    let map: Map<String, Value> = (0..count)
        .map(|i| {
            let share = values / count + usize::from(i < values % count);
            (format!("k{i}"), json!("v".repeat(share)))
        })
        .collect();
    map.into()
}

#[actix_rt::test]
async fn every_attribute_map_holds_its_limits() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let events = format!("/archivist/v2/{light}/events");
    let event = json!({"event_attributes": {"arc_display_type": "x"}});
    let many = |n: usize| attributes(n, 10 * n);
    let named = |name: String| json!({ name: "v" });
    let mut limits = Vec::new();
    for (path, base, map) in [
        ("/archivist/v2/assets", json!({}), "attributes"),
        (events.as_str(), event.clone(), "asset_attributes"),
        (events.as_str(), json!({}), "event_attributes"),
    ] {
        limits.push(Limit::says(
            path,
            &base,
            map,
            many(100),
            many(101),
            &format!("{map}: more than 100 attributes"),
        ));
        let name_says = format!("{map}: attribute names are 1 to 200 characters");
        limits.push(Limit::says(
            path,
            &base,
            map,
            named(wide(200)),
            named(wide(201)),
            &name_says,
        ));
        limits.push(Limit::says(
            path,
            &base,
            map,
            named("n".to_owned()),
            named(String::new()),
            &name_says,
        ));
        limits.push(Limit::says(
            path,
            &base,
            map,
            json!({"note": wide(4096)}),
            json!({"note": wide(4097)}),
            &format!("{map}.note: longer than 4096 characters"),
        ));
        limits.push(Limit::says(
            path,
            &base,
            map,
            attributes(9, 32 * 1024),
            attributes(9, 32 * 1024 + 1),
            &format!("{map}: names and values together exceed 32768 bytes"),
        ));
    }
    // The older correlation attribute is indexed like the newer one.
    limits.push(Limit::says(
        &events,
        &json!({}),
        "event_attributes",
        json!({"arc_correlation_id": wide(300)}),
        json!({"arc_correlation_id": wide(301)}),
        "event_attributes.arc_correlation_id: longer than 300 characters",
    ));
    hold(&server, &limits).await;
}

#[actix_rt::test]
async fn a_policys_fields_terms_controls_and_periods_hold_their_limits() {
    let server = Server::start().await;
    let path = "/archivist/v1/compliance_policies";
    let richness = json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "r",
                          "richness_assertions": [{"or": ["a=1"]}]});
    let pairing = json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "display_name": "p",
                         "event_display_type": "open", "closing_event_display_type": "close"});
    let since = json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "s",
                       "event_display_type": "e", "time_period_seconds": "10"});
    let tolerance = json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "display_name": "t",
                           "event_display_type": "open", "closing_event_display_type": "close",
                           "dynamic_window": "10", "dynamic_variability": 1.5});
    // `terms` terms in two groups.
    let terms = |terms: usize, term: &dyn Fn(usize) -> String| {
        let half = terms / 2;
        json!([{"or": (0..half).map(term).collect::<Vec<_>>()},
               {"or": (half..terms).map(term).collect::<Vec<_>>()}])
    };
    let filter_term = |i: usize| format!("attributes.k{i}=v");
    let assertion = |i: usize| format!("k{i}=1");
    let controls = |n: usize| json!((0..n).map(|i| format!("C{i}.1")).collect::<Vec<_>>());
    // 100 years of 365 days, in seconds.
    let century: u64 = 100 * 365 * 24 * 60 * 60;
    let limits = [
        Limit::field(
            path,
            &richness,
            "display_name",
            json!(wide(1024)),
            json!(wide(1025)),
        ),
        Limit::field(
            path,
            &richness,
            "description",
            json!(wide(16_384)),
            json!(wide(16_385)),
        ),
        Limit::field(
            path,
            &pairing,
            "closing_event_display_type",
            json!(wide(300)),
            json!(wide(301)),
        ),
        Limit::says(
            path,
            &richness,
            "asset_filter",
            terms(1000, &filter_term),
            terms(1001, &filter_term),
            "asset_filter: more than 1000 terms",
        ),
        Limit::says(
            path,
            &richness,
            "richness_assertions",
            terms(1000, &assertion),
            terms(1001, &assertion),
            "richness_assertions: more than 1000 terms",
        ),
        Limit::says(
            path,
            &richness,
            "controls",
            controls(64),
            controls(65),
            "controls: at most 64 criteria",
        ),
        Limit::field(
            path,
            &since,
            "time_period_seconds",
            json!(century.to_string()),
            json!((century + 1).to_string()),
        ),
        Limit::field(
            path,
            &tolerance,
            "dynamic_window",
            json!(century.to_string()),
            json!((century + 1).to_string()),
        ),
    ];
    hold(&server, &limits).await;
}

#[actix_rt::test]
async fn page_size_and_limit_are_1_to_1000_on_every_list() {
    let server = Server::start().await;
    let light = asset(&server).await;
    let lists = [
        ("/archivist/v1/compliance_policies".to_owned(), "page_size"),
        ("/archivist/v2/assets".to_owned(), "page_size"),
        (format!("/archivist/v2/{light}/events"), "page_size"),
        ("/archivist/v2/assets/-/events".to_owned(), "page_size"),
        (format!("/archivist/v1/compliance/{light}"), "page_size"),
        ("/v1/agents".to_owned(), "limit"),
        ("/v1/connectors".to_owned(), "limit"),
        ("/v1/policies".to_owned(), "limit"),
        ("/v1/audit".to_owned(), "limit"),
        ("/v1/compliance".to_owned(), "limit"),
    ];
    for (path, name) in &lists {
        for size in [1, 1000] {
            let listed = server
                .get(&format!("{path}?{name}={size}"), server.admin())
                .await;
            assert_eq!(listed.status, 200, "{path}?{name}={size}: {listed:?}");
        }
        for size in [0, 1001] {
            let listed = server
                .get(&format!("{path}?{name}={size}"), server.admin())
                .await;
            listed.assert_error(400, 3, &format!("{name}: "));
        }
    }
}

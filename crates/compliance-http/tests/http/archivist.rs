//! The archivist API end to end: policies, assets, events and compliance checks.

use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

fn since() -> Value {
    json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "description": "Maintenance should be performed every 72h",
        "display_name": "Regular Maintenance",
        "asset_filter": [{"or": ["attributes.arc_display_type=Traffic Light"]}],
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": "259200"
    })
}

fn richness() -> Value {
    json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "Rad limit",
        "richness_assertions": [{"or": ["rad<7"]}]
    })
}

async fn asset(server: &Server, attributes: Value) -> String {
    let created = server
        .post(
            "/archivist/v2/assets",
            server.admin(),
            &json!({"behaviours": ["RecordEvidence"], "attributes": attributes}),
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.body["confirmation_status"], "CONFIRMED");
    created.body["identity"].as_str().unwrap().to_owned()
}

async fn event(
    server: &Server,
    asset: &str,
    display_type: &str,
    declared: &str,
    sets: Value,
) -> Value {
    let body = json!({
        "operation": "Record",
        "behaviour": "RecordEvidence",
        "event_attributes": {"arc_display_type": display_type},
        "asset_attributes": sets,
        "timestamp_declared": declared,
        "principal_declared": {"issuer": "test", "subject": "tester"}
    });
    let created = server
        .post(
            &format!("/archivist/v2/{asset}/events"),
            server.admin(),
            &body,
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    created.body
}

#[actix_rt::test]
async fn a_policy_is_created_read_listed_counted_and_deleted() {
    let server = Server::start().await;
    let created = server
        .post(
            "/archivist/v1/compliance_policies",
            server.admin(),
            &since(),
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    let identity = created.body["identity"].as_str().unwrap().to_owned();
    assert!(identity.starts_with("compliance_policies/"));
    assert_eq!(created.body["time_period_seconds"], "259200");
    assert_eq!(
        created.body["closing_event_display_type"], "",
        "every field written"
    );
    assert_eq!(created.body["dynamic_variability"], 0);

    let read = server
        .get(
            &format!("/archivist/v1/{identity}"),
            &server.acme[&Role::Viewer],
        )
        .await;
    assert_eq!((read.status, &read.body), (200, &created.body));

    for n in 0..4 {
        let mut body = richness();
        body["display_name"] = json!(format!("rad {n}"));
        assert_eq!(
            server
                .post("/archivist/v1/compliance_policies", server.admin(), &body)
                .await
                .status,
            200
        );
    }
    // Paging: page_size 2 of 5, then only the token, as the SDK sends it.
    let mut seen = Vec::new();
    let mut path = "/archivist/v1/compliance_policies?page_size=2".to_owned();
    loop {
        let page = server.get(&path, server.admin()).await;
        assert_eq!(page.status, 200, "{page:?}");
        let items = page.body["compliance_policies"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|p| p["identity"].as_str().unwrap().to_owned()),
        );
        let token = page.body["next_page_token"].as_str().unwrap();
        if token.is_empty() {
            break;
        }
        path = format!("/archivist/v1/compliance_policies?page_token={token}");
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], identity);
    // The token carries the filters.
    let filtered = server
        .get(
            "/archivist/v1/compliance_policies?compliance_type=COMPLIANCE_RICHNESS&page_size=1",
            server.admin(),
        )
        .await;
    let token = filtered.body["next_page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = server
        .get(
            &format!("/archivist/v1/compliance_policies?page_token={token}"),
            server.admin(),
        )
        .await;
    assert_eq!(
        next.body["compliance_policies"][0]["compliance_type"],
        "COMPLIANCE_RICHNESS"
    );

    let count = server
        .call(
            "GET",
            "/archivist/v1/compliance_policies?page_size=1&compliance_type=COMPLIANCE_SINCE",
            Some(server.admin()),
            None,
        )
        .await;
    assert!(
        !count.headers.contains_key("x-total-count"),
        "only when asked"
    );
    let client = awc::Client::default();
    let mut response = client
        .get(format!(
            "{}/archivist/v1/compliance_policies?page_size=1&compliance_type=COMPLIANCE_SINCE",
            server.base
        ))
        .insert_header(("Authorization", format!("Bearer {}", server.admin())))
        .insert_header(("X-Request-Total-Count", "true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("x-total-count").unwrap(), "1");
    let _ = response.body().await;

    let deleted = server
        .call(
            "DELETE",
            &format!("/archivist/v1/{identity}"),
            Some(server.admin()),
            None,
        )
        .await;
    assert_eq!(
        (deleted.status, &deleted.body),
        (200, &created.body),
        "DELETE answers the policy"
    );
    let gone = server
        .get(&format!("/archivist/v1/{identity}"), server.admin())
        .await;
    gone.assert_error(404, 5, "compliance policy not found");
}

#[actix_rt::test]
async fn compliance_at_a_point_in_time_follows_declared_events_and_attribute_changes() {
    let server = Server::start().await;
    let since = server
        .post(
            "/archivist/v1/compliance_policies",
            server.admin(),
            &since(),
        )
        .await;
    let rich = server
        .post(
            "/archivist/v1/compliance_policies",
            server.admin(),
            &richness(),
        )
        .await;
    let light = asset(
        &server,
        json!({"arc_display_type": "Traffic Light", "rad": "3"}),
    )
    .await;
    let lamp = asset(&server, json!({"arc_display_type": "Lamp", "rad": "3"})).await;
    event(
        &server,
        &light,
        "Maintenance Performed",
        "2026-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    event(
        &server,
        &light,
        "Reading",
        "2026-01-02T00:00:00Z",
        json!({"rad": "9"}),
    )
    .await;

    let check = |asset: String, at: &'static str| {
        let server = &server;
        async move {
            server
                .get(
                    &format!("/archivist/v1/compliance/{asset}?compliant_at={at}"),
                    &server.acme[&Role::Viewer],
                )
                .await
        }
    };
    let early = check(light.clone(), "2026-01-01T12:00:00Z").await;
    assert_eq!(early.status, 200, "{early:?}");
    assert_eq!(early.body["compliant"], true, "{early:?}");
    assert_eq!(early.body["compliant_at"], "2026-01-01T12:00:00Z");
    assert_eq!(early.body["next_page_token"], "");
    let statements = early.body["compliance"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(
        statements[0]["compliance_policy_identity"],
        since.body["identity"]
    );
    assert_eq!(statements[0]["reason"], "");

    let late = check(light.clone(), "2026-01-05T00:00:01Z").await;
    assert_eq!(late.body["compliant"], false);
    assert_eq!(
        late.body["compliance"][0]["reason"],
        "Duration 345601s exceeds limit 259200s"
    );
    assert_eq!(
        late.body["compliance"][1]["compliance_policy_identity"],
        rich.body["identity"]
    );
    assert_eq!(
        late.body["compliance"][1]["reason"],
        "rad<7 failed: rad is \"9\""
    );

    let before_anything = check(light.clone(), "2025-12-31T00:00:00Z").await;
    assert_eq!(
        before_anything.body["compliance"][0]["reason"],
        "No events found"
    );
    assert_eq!(
        before_anything.body["compliance"][1]["compliant"], true,
        "rad was 3 then"
    );

    // The lamp is outside SINCE's filter: only RICHNESS applies.
    let lamp = check(lamp, "2026-01-05T00:00:00Z").await;
    assert_eq!(lamp.body["compliance"].as_array().unwrap().len(), 1);
    assert_eq!(lamp.body["compliant"], true);

    // Without compliant_at: now, echoed in UTC (tests/http/fresh.rs checks it is the true now).
    let now = server
        .get(&format!("/archivist/v1/compliance/{light}"), server.admin())
        .await;
    let echoed = now.body["compliant_at"].as_str().unwrap();
    assert!(echoed.ends_with('Z'), "{echoed}");
}

#[actix_rt::test]
async fn more_statements_than_the_limit_answer_206_with_a_token() {
    let server = Server::start().await;
    for n in 0..105 {
        let mut body = richness();
        body["display_name"] = json!(format!("rad {n}"));
        assert_eq!(
            server
                .post("/archivist/v1/compliance_policies", server.admin(), &body)
                .await
                .status,
            200
        );
    }
    let light = asset(&server, json!({"rad": "8"})).await;
    let first = server
        .get(
            &format!("/archivist/v1/compliance/{light}?compliant_at=2026-01-01T00:00:00Z"),
            server.admin(),
        )
        .await;
    assert_eq!(first.status, 206, "{:?}", first.body["next_page_token"]);
    assert_eq!(first.body["compliance"].as_array().unwrap().len(), 100);
    let token = first.body["next_page_token"].as_str().unwrap();
    let rest = server
        .get(
            &format!("/archivist/v1/compliance/{light}?page_token={token}"),
            server.admin(),
        )
        .await;
    assert_eq!(rest.status, 200);
    assert_eq!(rest.body["compliance"].as_array().unwrap().len(), 5);
    assert_eq!(
        rest.body["compliant_at"], "2026-01-01T00:00:00Z",
        "the token keeps the time"
    );
    assert_eq!(rest.body["compliant"], false);
}

#[actix_rt::test]
async fn assets_and_events_are_created_read_and_listed() {
    let server = Server::start().await;
    let light = asset(
        &server,
        json!({"arc_display_type": "Traffic Light", "colour": "Gelb grün"}),
    )
    .await;
    let _other = asset(&server, json!({"arc_display_type": "Lamp"})).await;
    let read = server
        .get(&format!("/archivist/v2/{light}"), server.admin())
        .await;
    assert_eq!(read.body["attributes"]["colour"], "Gelb grün");
    let listed = server
        .get(
            "/archivist/v2/assets?attributes.arc_display_type=Traffic%20Light",
            server.admin(),
        )
        .await;
    let assets = listed.body["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0]["identity"], light.as_str());
    let pending = server
        .get(
            "/archivist/v2/assets?confirmation_status=PENDING",
            server.admin(),
        )
        .await;
    assert!(pending.body["assets"].as_array().unwrap().is_empty());

    let created = event(
        &server,
        &light,
        "Inspection",
        "2026-03-01T10:00:00Z",
        json!({"colour": "Rot"}),
    )
    .await;
    let identity = created["identity"].as_str().unwrap();
    assert!(identity.starts_with(&format!("{light}/events/")));
    assert_eq!(created["timestamp_declared"], "2026-03-01T10:00:00Z");
    assert_eq!(created["confirmation_status"], "CONFIRMED");
    assert_eq!(created["principal_declared"]["subject"], "tester");
    let read = server
        .get(&format!("/archivist/v2/{identity}"), server.admin())
        .await;
    assert_eq!(read.body, created);
    assert_eq!(
        server
            .get(&format!("/archivist/v2/{light}"), server.admin())
            .await
            .body["attributes"]["colour"],
        "Rot"
    );

    event(
        &server,
        &light,
        "Maintenance Performed",
        "2026-03-02T10:00:00Z",
        json!({}),
    )
    .await;
    let by_type = server
        .get(
            &format!("/archivist/v2/{light}/events?event_attributes.arc_display_type=Inspection"),
            server.admin(),
        )
        .await;
    assert_eq!(by_type.body["events"].as_array().unwrap().len(), 1);
    let everywhere = server
        .get("/archivist/v2/assets/-/events?page_size=1", server.admin())
        .await;
    assert_eq!(everywhere.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        everywhere.body["events"][0]["event_attributes"]["arc_display_type"],
        "Maintenance Performed",
        "newest first"
    );
    let token = everywhere.body["next_page_token"].as_str().unwrap();
    let next = server
        .get(
            &format!("/archivist/v2/assets/-/events?page_token={token}"),
            server.admin(),
        )
        .await;
    assert_eq!(next.body["events"][0]["identity"], identity);
}

#[actix_rt::test]
async fn health_and_readiness() {
    let server = Server::start().await;
    assert_eq!(server.call("GET", "/healthz", None, None).await.status, 200);
    let ready = server.call("GET", "/readyz", None, None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (200, Some("ready"))
    );
}

//! Record, then check at once: the check without `compliant_at` sees what was just recorded,
//! for every policy type (docs/policies.md, "The instant of a check").

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::*;

/// RFC 3339 for `seconds_ago` seconds before now.
fn ago(seconds_ago: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let at =
        time::OffsetDateTime::from_unix_timestamp((now.as_secs() - seconds_ago) as i64).unwrap();
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Waits for the start of a fresh second, so that what follows shares one second (if a check
/// were cut to whole seconds, the event just recorded would not count).
async fn start_of_a_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let rest = Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
    actix_rt::time::sleep(rest + Duration::from_millis(5)).await;
}

struct Trail<'a> {
    server: &'a Server,
    asset: String,
}

impl<'a> Trail<'a> {
    async fn new(server: &'a Server, policy: Value) -> Self {
        let created = server
            .post("/archivist/v1/compliance_policies", server.admin(), &policy)
            .await;
        assert_eq!(created.status, 200, "{created:?}");
        let asset = server
            .post(
                "/archivist/v2/assets",
                server.admin(),
                &json!({"attributes": {"arc_display_type": "Traffic Light", "rad": "9"}}),
            )
            .await;
        assert_eq!(asset.status, 200, "{asset:?}");
        let asset = asset.body["identity"].as_str().unwrap().to_owned();
        Self { server, asset }
    }

    /// Records an event; `declared` of `None` means "now, as the server accepts it".
    async fn record(&self, display_type: &str, correlation: &str, declared: Option<String>) {
        self.record_with(display_type, correlation, declared, json!({}))
            .await;
    }

    async fn record_with(
        &self,
        display_type: &str,
        correlation: &str,
        declared: Option<String>,
        sets: Value,
    ) {
        let mut body = json!({
            "operation": "Record",
            "behaviour": "RecordEvidence",
            "event_attributes": {
                "arc_display_type": display_type,
                "arc_correlation_value": correlation,
            },
            "asset_attributes": sets,
        });
        if let Some(declared) = declared {
            body["timestamp_declared"] = json!(declared);
        }
        let created = self
            .server
            .post(
                &format!("/archivist/v2/{}/events", self.asset),
                self.server.admin(),
                &body,
            )
            .await;
        assert_eq!(created.status, 200, "{created:?}");
    }

    async fn compliant_now(&self) -> Value {
        let answer = self
            .server
            .get(
                &format!("/archivist/v1/compliance/{}", self.asset),
                self.server.admin(),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body
    }
}

#[actix_rt::test]
async fn since_sees_the_event_just_recorded() {
    let server = Server::start().await;
    let trail = Trail::new(
        &server,
        json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "Maintained",
               "event_display_type": "Maintenance Performed", "time_period_seconds": "3600"}),
    )
    .await;
    assert_eq!(trail.compliant_now().await["compliant"], false);
    start_of_a_second().await;
    trail.record("Maintenance Performed", "m-1", None).await;
    let answer = trail.compliant_now().await;
    assert_eq!(answer["compliant"], true, "{answer}");
}

#[actix_rt::test]
async fn current_outstanding_sees_the_closing_just_recorded() {
    let server = Server::start().await;
    let trail = Trail::new(
        &server,
        json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "display_name": "Closed",
               "event_display_type": "Maintenance Requests",
               "closing_event_display_type": "Maintenance Performed"}),
    )
    .await;
    trail
        .record("Maintenance Requests", "c-1", Some(ago(60)))
        .await;
    assert_eq!(trail.compliant_now().await["compliant"], false);
    start_of_a_second().await;
    trail.record("Maintenance Performed", "c-1", None).await;
    let answer = trail.compliant_now().await;
    assert_eq!(answer["compliant"], true, "{answer}");
}

#[actix_rt::test]
async fn period_outstanding_sees_the_closing_just_recorded() {
    let server = Server::start().await;
    let trail = Trail::new(
        &server,
        json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "display_name": "Closed in time",
               "event_display_type": "Maintenance Requests",
               "closing_event_display_type": "Maintenance Performed",
               "time_period_seconds": "30"}),
    )
    .await;
    // Open for 20 s of a 30 s limit, closed below: in time.
    trail
        .record("Maintenance Requests", "c-1", Some(ago(20)))
        .await;
    start_of_a_second().await;
    // A second opening, older than the limit, closed just now: late, non-compliant at once.
    trail
        .record("Maintenance Requests", "c-2", Some(ago(100)))
        .await;
    trail.record("Maintenance Performed", "c-2", None).await;
    trail.record("Maintenance Performed", "c-1", None).await;
    let answer = trail.compliant_now().await;
    let reason = answer["compliance"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("\"c-2\" was closed after"),
        "the closing just recorded counts: {answer}"
    );
}

#[actix_rt::test]
async fn dynamic_tolerance_sees_the_closing_just_recorded() {
    let server = Server::start().await;
    let trail = Trail::new(
        &server,
        json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "display_name": "Steady",
               "event_display_type": "Maintenance Requests",
               "closing_event_display_type": "Maintenance Performed",
               "dynamic_window": "3600", "dynamic_variability": 1.5}),
    )
    .await;
    for (n, opened) in [(1, 50), (2, 40), (3, 30)] {
        let id = format!("p{n}");
        trail
            .record("Maintenance Requests", &id, Some(ago(opened)))
            .await;
        trail
            .record("Maintenance Performed", &id, Some(ago(opened - 1)))
            .await;
    }
    trail
        .record("Maintenance Requests", "slow", Some(ago(200)))
        .await;
    assert_eq!(trail.compliant_now().await["compliant"], true);
    start_of_a_second().await;
    // Closed just now after about 200 s, where the others took 1 s: an outlier at once.
    trail.record("Maintenance Performed", "slow", None).await;
    let answer = trail.compliant_now().await;
    assert_eq!(answer["compliant"], false, "{answer}");
    let reason = answer["compliance"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("\"slow\""), "{reason}");
}

#[actix_rt::test]
async fn richness_sees_the_attribute_just_set() {
    let server = Server::start().await;
    let trail = Trail::new(
        &server,
        json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "Rad limit",
               "richness_assertions": [{"or": ["rad<7"]}]}),
    )
    .await;
    assert_eq!(trail.compliant_now().await["compliant"], false);
    start_of_a_second().await;
    trail
        .record_with("Reading", "r-1", None, json!({"rad": "5"}))
        .await;
    let answer = trail.compliant_now().await;
    assert_eq!(answer["compliant"], true, "{answer}");
}

#[actix_rt::test]
async fn the_instant_used_is_echoed_and_kept_by_the_page_token() {
    let server = Server::start().await;
    for n in 0..3 {
        let body = json!({"compliance_type": "COMPLIANCE_RICHNESS",
            "display_name": format!("rad {n}"), "richness_assertions": [{"or": ["rad<7"]}]});
        assert_eq!(
            server
                .post("/archivist/v1/compliance_policies", server.admin(), &body)
                .await
                .status,
            200
        );
    }
    let trail = Trail {
        asset: server
            .post(
                "/archivist/v2/assets",
                server.admin(),
                &json!({"attributes": {"rad": "9"}}),
            )
            .await
            .body["identity"]
            .as_str()
            .unwrap()
            .to_owned(),
        server: &server,
    };
    let first = server
        .get(
            &format!("/archivist/v1/compliance/{}?page_size=2", trail.asset),
            server.admin(),
        )
        .await;
    assert_eq!(first.status, 206, "{first:?}");
    let echoed = first.body["compliant_at"].as_str().unwrap().to_owned();
    time::OffsetDateTime::parse(&echoed, &time::format_description::well_known::Rfc3339).unwrap();
    // Let the clock move on, then set the attribute: the second page must not see it.
    start_of_a_second().await;
    trail
        .record_with("Reading", "r-1", None, json!({"rad": "5"}))
        .await;
    let token = first.body["next_page_token"].as_str().unwrap();
    let rest = server
        .get(
            &format!(
                "/archivist/v1/compliance/{}?page_token={token}",
                trail.asset
            ),
            server.admin(),
        )
        .await;
    assert_eq!(rest.status, 200, "{rest:?}");
    assert_eq!(rest.body["compliant_at"], echoed.as_str());
    assert_eq!(
        rest.body["compliant"], false,
        "answered for the first page's instant"
    );
}

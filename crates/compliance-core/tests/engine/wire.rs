use compliance_core::{CompliancePolicy, Policy, PolicyBody, PolicySpec};
use serde_json::{Value, json};

use crate::support::POLICY;

const SEED_EXAMPLES: &str = include_str!("../../examples/seed_policies.json");

fn parse(body: &Value) -> Result<PolicySpec, compliance_core::PolicyError> {
    PolicySpec::from_json(body.to_string().as_bytes())
}

fn print(spec: &PolicySpec) -> Value {
    let policy = CompliancePolicy {
        id: POLICY,
        spec: spec.clone(),
    };
    serde_json::to_value(PolicyBody::from(&policy)).expect("a body serializes")
}

/// The error's field and message, for a body that must be rejected.
fn reject(body: Value) -> (String, String) {
    let error = parse(&body).expect_err(&format!("{body} should be rejected"));
    (error.field, error.message)
}

#[test]
fn the_seed_examples_parse_and_round_trip() {
    let examples: Vec<Value> = serde_json::from_str(SEED_EXAMPLES).expect("fixture is JSON");
    assert_eq!(examples.len(), 7);
    for example in &examples {
        let spec = parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
        let printed = print(&spec);
        assert_eq!(
            parse(&printed).as_ref(),
            Ok(&spec),
            "round trip of {example}"
        );
        let used: &[&str] = match spec.policy {
            Policy::Since { .. } => &["event_display_type", "time_period_seconds"],
            Policy::CurrentOutstanding { .. } => {
                &["event_display_type", "closing_event_display_type"]
            }
            Policy::PeriodOutstanding { .. } => &[
                "event_display_type",
                "closing_event_display_type",
                "time_period_seconds",
            ],
            Policy::DynamicTolerance { .. } => &[
                "event_display_type",
                "closing_event_display_type",
                "dynamic_window",
                "dynamic_variability",
            ],
            Policy::Richness { .. } => &["richness_assertions"],
        };
        let common = [
            "compliance_type",
            "description",
            "display_name",
            "asset_filter",
        ];
        for field in common.iter().chain(used) {
            let (sent, written) = (&example[*field], &printed[*field]);
            // Seconds are written as strings whichever form they came in.
            let same = sent == written
                || sent.as_u64().map(|n| n.to_string()).as_deref() == written.as_str();
            assert!(same, "{field}: sent {sent}, written {written}");
        }
    }
}

#[test]
fn every_field_is_written_with_its_default_when_unused() {
    let spec = parse(&json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "Rad limit",
        "richness_assertions": [{ "or": ["rad<7"] }]
    }))
    .expect("valid");
    assert_eq!(
        print(&spec),
        json!({
            "identity": format!("compliance_policies/{POLICY}"),
            "compliance_type": "COMPLIANCE_RICHNESS",
            "description": "",
            "display_name": "Rad limit",
            "asset_filter": [],
            "event_display_type": "",
            "closing_event_display_type": "",
            "time_period_seconds": "0",
            "dynamic_window": "0",
            "dynamic_variability": 0,
            "richness_assertions": [{ "or": ["rad<7"] }]
        })
    );
}

#[test]
fn numbers_and_numeric_strings_are_both_accepted() {
    let body = |window: Value, variability: Value| {
        json!({
            "compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE",
            "display_name": "d",
            "event_display_type": "Open",
            "closing_event_display_type": "Close",
            "dynamic_window": window,
            "dynamic_variability": variability
        })
    };
    let a = parse(&body(json!(600), json!(1.5))).expect("numbers");
    let b = parse(&body(json!("600"), json!("1.5"))).expect("strings");
    let c = parse(&body(json!(600.0), json!(1.5))).expect("a whole float");
    assert_eq!(a, b);
    assert_eq!(a, c);
    let printed = print(&a);
    assert_eq!(printed["dynamic_window"], json!("600"));
    assert_eq!(printed["dynamic_variability"], json!(1.5));
}

#[test]
fn bad_policies_name_the_field() {
    let since = |extra: Value| {
        let mut body = json!({
            "compliance_type": "COMPLIANCE_SINCE",
            "display_name": "d",
            "event_display_type": "Maintenance Performed",
            "time_period_seconds": "10"
        });
        for (key, value) in extra.as_object().expect("an object") {
            body[key] = value.clone();
        }
        body
    };
    let cases = [
        (
            since(json!({ "compliance_type": "COMPLIANCE_SOMETIMES" })),
            "compliance_type",
        ),
        (
            since(json!({ "compliance_type": "SINCE" })),
            "compliance_type",
        ),
        (since(json!({ "display_name": " " })), "display_name"),
        (
            since(json!({ "event_display_type": "" })),
            "event_display_type",
        ),
        (
            since(json!({ "time_period_seconds": "0" })),
            "time_period_seconds",
        ),
        (
            since(json!({ "time_period_seconds": -5 })),
            "time_period_seconds",
        ),
        (
            since(json!({ "time_period_seconds": "ten" })),
            "time_period_seconds",
        ),
        (
            since(json!({ "time_period_seconds": 1.5 })),
            "time_period_seconds",
        ),
        (
            since(json!({ "time_period_seconds": "99999999999999" })),
            "time_period_seconds",
        ),
        (
            since(json!({ "time_period_seconds": [] })),
            "time_period_seconds",
        ),
        // Unused by SINCE but malformed:
        (
            since(json!({ "dynamic_variability": -1 })),
            "dynamic_variability",
        ),
        (
            since(json!({ "dynamic_variability": "NaN" })),
            "dynamic_variability",
        ),
        (since(json!({ "dynamic_window": "soon" })), "dynamic_window"),
        (
            since(json!({ "richness_assertions": [{ "or": ["rad"] }] })),
            "richness_assertions[0].or[0]",
        ),
        (
            since(json!({ "asset_filter": [{ "or": [] }] })),
            "asset_filter[0].or",
        ),
        (
            since(json!({ "asset_filter": [{ "or": ["location=x"] }] })),
            "asset_filter[0].or[0]",
        ),
        (
            since(json!({ "asset_filter": [{ "and": ["attributes.x=y"] }] })),
            "asset_filter[0].and",
        ),
        (
            since(json!({ "asset_filter": "attributes.x=y" })),
            "asset_filter",
        ),
        (since(json!({ "display_name": 7 })), "display_name"),
        (
            since(json!({ "display_name": "x".repeat(1025) })),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let (got, message) = reject(body.clone());
        assert_eq!(got, field, "{body} → {message}");
        assert!(!message.is_empty());
    }
}

#[test]
fn each_type_requires_its_fields() {
    let cases = [
        (
            json!({ "compliance_type": "COMPLIANCE_SINCE", "event_display_type": "E" }),
            "time_period_seconds",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_SINCE", "time_period_seconds": 5 }),
            "event_display_type",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "event_display_type": "E" }),
            "closing_event_display_type",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "event_display_type": "E", "closing_event_display_type": "E" }),
            "closing_event_display_type",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "event_display_type": "E", "closing_event_display_type": "F" }),
            "time_period_seconds",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "event_display_type": "E", "closing_event_display_type": "F", "dynamic_variability": 1 }),
            "dynamic_window",
        ),
        (
            json!({ "compliance_type": "COMPLIANCE_RICHNESS" }),
            "richness_assertions",
        ),
        (json!({ "display_name": "no type" }), "compliance_type"),
    ];
    for (mut body, field) in cases {
        if body.get("display_name").is_none() {
            body["display_name"] = json!("d");
        }
        let (got, message) = reject(body.clone());
        assert_eq!(got, field, "{body} → {message}");
    }
}

#[test]
fn unknown_fields_and_malformed_json_are_rejected() {
    let (field, message) = reject(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "d",
        "event_display_type": "E",
        "time_period_second": 10
    }));
    assert!(message.contains("time_period_second"), "{field}: {message}");
    let error = PolicySpec::from_json(b"{\"compliance_type\": ").expect_err("truncated");
    assert!(error.message.contains("EOF"), "{error}");
    let error = PolicySpec::from_json(b"[]").expect_err("not an object");
    assert_eq!(error.field, "body");
}

#[test]
fn controls_are_an_optional_extension_written_only_when_set() {
    let with = parse(&json!({
        "compliance_type": "COMPLIANCE_RICHNESS", "display_name": "d",
        "richness_assertions": [{ "or": ["rad<7"] }], "controls": ["CC7.2", "A1.2"]
    }))
    .expect("valid");
    assert_eq!(with.controls, ["CC7.2", "A1.2"]);
    assert_eq!(print(&with)["controls"], json!(["CC7.2", "A1.2"]));
    assert_eq!(parse(&print(&with)).as_ref(), Ok(&with));
    let (field, message) = reject(json!({
        "compliance_type": "COMPLIANCE_RICHNESS", "display_name": "d",
        "richness_assertions": [{ "or": ["rad<7"] }], "controls": ["CC7.2", "cc 8"]
    }));
    assert_eq!(field, "controls[1]", "{message}");
}

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
    // Each case: the body, the field named, and what the message must say about it.
    let cases = [
        (
            since(json!({ "compliance_type": "COMPLIANCE_SOMETIMES" })),
            "compliance_type",
            "\"COMPLIANCE_SOMETIMES\" is not a policy type; expected one of COMPLIANCE_SINCE, \
             COMPLIANCE_CURRENT_OUTSTANDING, COMPLIANCE_PERIOD_OUTSTANDING, \
             COMPLIANCE_DYNAMIC_TOLERANCE, COMPLIANCE_RICHNESS",
        ),
        (
            since(json!({ "compliance_type": "SINCE" })),
            "compliance_type",
            "\"SINCE\" is not a policy type",
        ),
        (
            since(json!({ "display_name": " " })),
            "display_name",
            "required and must not be blank",
        ),
        (
            since(json!({ "event_display_type": "" })),
            "event_display_type",
            "required for COMPLIANCE_SINCE",
        ),
        (
            since(json!({ "time_period_seconds": "0" })),
            "time_period_seconds",
            "required for COMPLIANCE_SINCE: a positive number of seconds",
        ),
        (
            since(json!({ "time_period_seconds": -5 })),
            "time_period_seconds",
            "must be a positive number of seconds",
        ),
        (
            since(json!({ "time_period_seconds": "ten" })),
            "time_period_seconds",
            "expected a whole number of seconds, as a number or a numeric string",
        ),
        (
            since(json!({ "time_period_seconds": 1.5 })),
            "time_period_seconds",
            "invalid value: floating point `1.5`",
        ),
        (
            since(json!({ "time_period_seconds": "99999999999999" })),
            "time_period_seconds",
            "at most 3153600000 seconds (100 years)",
        ),
        (
            since(json!({ "time_period_seconds": [] })),
            "time_period_seconds",
            "invalid type: sequence",
        ),
        // Unused by SINCE but malformed:
        (
            since(json!({ "dynamic_variability": -1 })),
            "dynamic_variability",
            "must be a finite number of standard deviations, zero or more",
        ),
        (
            since(json!({ "dynamic_variability": "NaN" })),
            "dynamic_variability",
            "must be a finite number of standard deviations, zero or more",
        ),
        (
            since(json!({ "dynamic_window": "soon" })),
            "dynamic_window",
            "invalid value: string \"soon\"",
        ),
        (
            since(json!({ "richness_assertions": [{ "or": ["rad"] }] })),
            "richness_assertions[0].or[0]",
            "\"rad\" has no operator",
        ),
        (
            since(json!({ "asset_filter": [{ "or": [] }] })),
            "asset_filter[0].or",
            "an or-list needs at least one term",
        ),
        (
            since(json!({ "asset_filter": [{ "or": ["location=x"] }] })),
            "asset_filter[0].or[0]",
            "\"location=x\" must start with \"attributes.\"",
        ),
        (
            since(json!({ "asset_filter": [{ "and": ["attributes.x=y"] }] })),
            "asset_filter[0].and",
            "unknown field `and`",
        ),
        (
            since(json!({ "asset_filter": "attributes.x=y" })),
            "asset_filter",
            "invalid type: string",
        ),
        (
            since(json!({ "display_name": 7 })),
            "display_name",
            "invalid type: integer `7`",
        ),
        (
            since(json!({ "display_name": "x".repeat(1025) })),
            "display_name",
            "longer than 1024 characters",
        ),
    ];
    for (body, field, says) in cases {
        let (got, message) = reject(body.clone());
        assert_eq!(got, field, "{body} → {message}");
        assert!(
            message.contains(says),
            "{field}: {message:?} should say {says:?}"
        );
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
        "richness_assertions": [{ "or": ["rad<7"] }],
        "controls": ["CC7.2", "A1.2", "A.6.2.8", "Art.26.6", "GOVERN-6.1"]
    }))
    .expect("valid");
    let ids = ["CC7.2", "A1.2", "A.6.2.8", "Art.26.6", "GOVERN-6.1"];
    assert_eq!(with.controls, ids);
    assert_eq!(print(&with)["controls"], json!(ids));
    assert_eq!(parse(&print(&with)).as_ref(), Ok(&with));
    let (field, message) = reject(json!({
        "compliance_type": "COMPLIANCE_RICHNESS", "display_name": "d",
        "richness_assertions": [{ "or": ["rad<7"] }], "controls": ["CC7.2", "cc 8"]
    }));
    assert_eq!(field, "controls[1]", "{message}");
    // Parentheses are no OSCAL token: Article 26(6) is written Art.26.6.
    let (field, _) = reject(json!({
        "compliance_type": "COMPLIANCE_RICHNESS", "display_name": "d",
        "richness_assertions": [{ "or": ["rad<7"] }], "controls": ["Art.26(6)"]
    }));
    assert_eq!(field, "controls[0]");
}

#[test]
fn errors_print_as_field_then_message() {
    let error = parse(&json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "d",
        "event_display_type": "E"
    }))
    .expect_err("no period");
    assert_eq!(
        error.to_string(),
        "time_period_seconds: required for COMPLIANCE_SINCE: a positive number of seconds"
    );
    let error = parse(&json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "d",
        "richness_assertions": [{ "or": ["rad<7"] }],
        "asset_filter": [{ "or": ["attributes.k=v", "x=y"] }]
    }))
    .expect_err("no prefix");
    assert_eq!(
        error.to_string(),
        "asset_filter[0].or[1]: \"x=y\" must start with \"attributes.\""
    );
}

/// A body of `compliance_type` that sets `field` to `value` on top of what the type requires.
fn with(compliance_type: &str, field: &str, value: Value) -> Value {
    let mut body = json!({
        "compliance_type": compliance_type,
        "display_name": "d",
        "event_display_type": "Open",
        "closing_event_display_type": "Close",
        "time_period_seconds": 10,
        "dynamic_window": 10,
        "richness_assertions": [{ "or": ["rad<7"] }]
    });
    body[field] = value;
    body
}

/// `n` one-term or-groups of `term`.
fn terms(term: &str, n: usize) -> Value {
    Value::Array((0..n).map(|_| json!({ "or": [term] })).collect())
}

#[test]
fn every_published_limit_holds_at_the_limit_and_fails_one_past_it() {
    let century = 100 * 365 * 24 * 60 * 60_i64;
    // Characters, not bytes: each `ü` is two bytes.
    let text = |n: usize| json!("ü".repeat(n));
    let controls = |n: usize| json!((0..n).map(|i| format!("CC{i}")).collect::<Vec<_>>());
    let cases = [
        ("COMPLIANCE_SINCE", "display_name", text(1024), text(1025)),
        (
            "COMPLIANCE_SINCE",
            "description",
            text(16_384),
            text(16_385),
        ),
        (
            "COMPLIANCE_SINCE",
            "event_display_type",
            text(300),
            text(301),
        ),
        (
            "COMPLIANCE_CURRENT_OUTSTANDING",
            "closing_event_display_type",
            text(300),
            text(301),
        ),
        (
            "COMPLIANCE_SINCE",
            "time_period_seconds",
            json!(century),
            json!(century + 1),
        ),
        (
            "COMPLIANCE_PERIOD_OUTSTANDING",
            "time_period_seconds",
            json!(century),
            json!(century + 1),
        ),
        (
            "COMPLIANCE_DYNAMIC_TOLERANCE",
            "dynamic_window",
            json!(century),
            json!(century + 1),
        ),
        (
            "COMPLIANCE_DYNAMIC_TOLERANCE",
            "dynamic_window",
            json!(1),
            json!(0),
        ),
        (
            "COMPLIANCE_SINCE",
            "time_period_seconds",
            json!(1),
            json!(0),
        ),
        ("COMPLIANCE_SINCE", "dynamic_window", json!(0), json!(-1)),
        (
            "COMPLIANCE_DYNAMIC_TOLERANCE",
            "dynamic_variability",
            json!(0),
            json!(-0.001),
        ),
        (
            "COMPLIANCE_SINCE",
            "asset_filter",
            terms("attributes.größe=groß", 1000),
            terms("attributes.größe=groß", 1001),
        ),
        (
            "COMPLIANCE_RICHNESS",
            "richness_assertions",
            terms("größe=groß", 1000),
            terms("größe=groß", 1001),
        ),
        (
            "COMPLIANCE_RICHNESS",
            "richness_assertions",
            terms("rad<7", 1),
            json!([]),
        ),
        ("COMPLIANCE_SINCE", "controls", controls(64), controls(65)),
        (
            "COMPLIANCE_SINCE",
            "controls",
            json!(["CC6.1.23456789ab"]),
            json!(["CC6.1.23456789abc"]),
        ),
    ];
    for (compliance_type, field, at_limit, past) in cases {
        let body = with(compliance_type, field, at_limit);
        parse(&body).unwrap_or_else(|e| panic!("{compliance_type} {field} at the limit: {e}"));
        let (got, message) = reject(with(compliance_type, field, past));
        assert!(
            got.starts_with(field),
            "{compliance_type} {field} one past the limit: rejected as {got}: {message}"
        );
    }
}

#[test]
fn fields_a_type_does_not_use_are_accepted_but_not_stored() {
    let spec = parse(&json!({
        "compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING",
        "display_name": "Outstanding Maintenance Requests",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed",
        "time_period_seconds": "259200",
        "dynamic_window": 600,
        "dynamic_variability": 1.5,
        "richness_assertions": [{ "or": ["rad<7"] }]
    }))
    .expect("unused fields are accepted");
    let printed = print(&spec);
    assert_eq!(printed["time_period_seconds"], json!("0"));
    assert_eq!(printed["dynamic_window"], json!("0"));
    assert_eq!(printed["dynamic_variability"], json!(0));
    assert_eq!(printed["richness_assertions"], json!([]));
    assert_eq!(
        printed["closing_event_display_type"],
        json!("Maintenance Performed")
    );
}

use compliance_core::{FilterOp, FilterTerm, FilterTermError, History, check};
use serde_json::json;

use crate::support::*;

fn term(text: &str) -> FilterTerm {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn the_seeds_colon_form_and_the_equals_form_both_mean_equality() {
    let colon = term("attributes.arc_location_identity:locations/5eef2b71");
    assert_eq!(colon.op, FilterOp::Colon);
    assert_eq!(colon.key, "arc_location_identity");
    assert_eq!(colon.value, "locations/5eef2b71");
    let attributes = asset(&[("arc_location_identity", "locations/5eef2b71")]).attributes;
    assert!(colon.matches(&attributes));
    assert!(term("attributes.arc_location_identity=locations/5eef2b71").matches(&attributes));
    assert!(!term("attributes.arc_location_identity=locations/other").matches(&attributes));
}

#[test]
fn values_keep_spaces_colons_and_unicode() {
    let t = term("attributes.arc_display_type=Traffic Light: Ampel 🚦");
    assert_eq!(t.value, "Traffic Light: Ampel 🚦");
    assert_eq!(
        t.to_string(),
        "attributes.arc_display_type=Traffic Light: Ampel 🚦"
    );
}

#[test]
fn not_equals_and_the_any_value() {
    let lit = asset(&[("arc_display_type", "Traffic Light")]).attributes;
    let bare = asset(&[]).attributes;
    let cases = [
        ("attributes.arc_display_type=*", true, false),
        ("attributes.arc_display_type!=*", false, true),
        ("attributes.arc_display_type!=Traffic Light", false, true),
        ("attributes.arc_display_type!=Lamp", true, true),
    ];
    for (text, on_lit, on_bare) in cases {
        assert_eq!(
            term(text).matches(&lit),
            on_lit,
            "{text} on a traffic light"
        );
        assert_eq!(
            term(text).matches(&bare),
            on_bare,
            "{text} on an asset without the key"
        );
    }
}

#[test]
fn bad_terms_are_rejected_with_the_reason() {
    let error = |s: &str| s.parse::<FilterTerm>().expect_err(s);
    assert!(matches!(
        error("arc_display_type=x"),
        FilterTermError::MissingPrefix(_)
    ));
    assert!(matches!(
        error("attributes.arc_display_type"),
        FilterTermError::MissingOperator(_)
    ));
    assert!(matches!(
        error("attributes.=x"),
        FilterTermError::EmptyKey(_)
    ));
    assert!(matches!(
        error("attributes.k="),
        FilterTermError::EmptyValue(_)
    ));
    assert!(matches!(
        error("attributes. k=v"),
        FilterTermError::PaddedKey(_)
    ));
}

#[test]
fn an_asset_no_filter_matches_gets_no_statements_and_is_compliant() {
    let since = policy(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "Lamps only",
        "asset_filter": [{ "or": ["attributes.arc_display_type=Lamp"] }],
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": 10
    }));
    let traffic_light = History::new(asset(&[("arc_display_type", "Traffic Light")]), vec![]);
    let compliance = check(std::slice::from_ref(&since), &traffic_light, t(100));
    assert!(compliance.compliant);
    assert!(compliance.statements.is_empty());

    let lamp = History::new(asset(&[("arc_display_type", "Lamp")]), vec![]);
    let compliance = check(&[since], &lamp, t(100));
    assert!(!compliance.compliant);
    assert_eq!(compliance.statements[0].reason, "No events found");
}

#[test]
fn the_filter_sees_the_attributes_at_the_query_time() {
    let since = policy(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "Lamps only",
        "asset_filter": [
            { "or": ["attributes.arc_display_type=Lamp", "attributes.kind=lamp"] },
            { "or": ["attributes.site!=retired"] }
        ],
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": 10
    }));
    let history = History::new(
        asset(&[("kind", "lamp")]),
        vec![event("Decommissioned", 50).setting("site", "retired")],
    );
    assert_eq!(
        check(std::slice::from_ref(&since), &history, t(50))
            .statements
            .len(),
        1
    );
    assert!(check(&[since], &history, t(51)).statements.is_empty());
}

#[test]
fn every_applicable_policy_must_pass() {
    let pass = policy(json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "has a name",
        "richness_assertions": [{ "or": ["name=*x"] }, { "or": ["name!=y"] }]
    }));
    let mut fail = pass.clone();
    fail.id = uuid::Uuid::from_u128(2);
    fail.spec = compliance_core::PolicySpec::from_json(
        json!({
            "compliance_type": "COMPLIANCE_SINCE",
            "display_name": "never maintained",
            "event_display_type": "Maintenance Performed",
            "time_period_seconds": 10
        })
        .to_string()
        .as_bytes(),
    )
    .expect("valid");
    let history = History::new(asset(&[("name", "*x")]), vec![]);
    let compliance = check(&[pass.clone(), fail.clone()], &history, t(0));
    assert!(!compliance.compliant);
    let verdicts: Vec<_> = compliance
        .statements
        .iter()
        .map(|s| (s.policy, s.compliant))
        .collect();
    assert_eq!(verdicts, [(pass.id, true), (fail.id, false)]);
}

#[test]
fn an_empty_filter_matches_every_asset() {
    let body = |filter: serde_json::Value| {
        policy(json!({
            "compliance_type": "COMPLIANCE_SINCE",
            "display_name": "every asset",
            "asset_filter": filter,
            "event_display_type": "Maintenance Performed",
            "time_period_seconds": 10
        }))
    };
    let everything = body(json!([]));
    assert!(everything.spec.asset_filter.is_empty());
    for attributes in [
        &[][..],
        &[("arc_display_type", "Lamp")],
        &[("größe", "groß")],
    ] {
        let history = History::new(asset(attributes), vec![]);
        let compliance = check(std::slice::from_ref(&everything), &history, t(100));
        assert_eq!(compliance.statements.len(), 1, "{attributes:?}");
    }
    // The same policy with a filter no asset above meets applies to none of them.
    let lamps = body(json!([{ "or": ["attributes.kind=lamp"] }]));
    let history = History::new(asset(&[("arc_display_type", "Lamp")]), vec![]);
    assert!(check(&[lamps], &history, t(100)).statements.is_empty());
}

#[test]
fn the_first_operator_ends_the_key_and_the_value_keeps_the_rest() {
    let cases = [
        ("attributes.k=a!=b:c", "k", FilterOp::Equals, "a!=b:c"),
        ("attributes.k:v=w", "k", FilterOp::Colon, "v=w"),
        ("attributes.k!=a=b", "k", FilterOp::NotEquals, "a=b"),
        ("attributes.a!b=c", "a!b", FilterOp::Equals, "c"),
        (
            "attributes.größe=sehr groß ✓",
            "größe",
            FilterOp::Equals,
            "sehr groß ✓",
        ),
    ];
    for (text, key, op, value) in cases {
        let parsed = term(text);
        assert_eq!(
            (parsed.key.as_str(), parsed.op, parsed.value.as_str()),
            (key, op, value),
            "{text}"
        );
        assert_eq!(parsed.to_string(), text);
    }
}

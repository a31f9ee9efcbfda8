use compliance_core::{Assertion, AssertionError, AssertionOp, CompliancePolicy, History, check};
use serde_json::json;

use crate::support::*;

fn richness(groups: serde_json::Value) -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "Rad limit",
        "richness_assertions": groups
    }))
}

fn on(attributes: &[(&str, &str)], policy: &CompliancePolicy) -> compliance_core::Statement {
    compliance_core::evaluate(policy, &History::new(asset(attributes), vec![]), t(0))
}

#[test]
fn the_operators_compare_numbers() {
    let cases = [
        ("rad<7", "6.9", true),
        ("rad<7", "7", false),
        ("rad<=7", "7", true),
        ("rad>7", "7", false),
        ("rad>=7", "7", true),
        ("rad=7", "7.0", true),
        ("rad!=7", "7.0", false),
        ("rad>9", "10", true), // as numbers, not as strings
        ("rad=10", "1e1", true),
        ("rad=0.3", "0.30000000000000004", false), // exact, as the seed says
    ];
    for (assertion, value, expected) in cases {
        let statement = on(&[("rad", value)], &richness(json!([{ "or": [assertion] }])));
        assert_eq!(
            statement.compliant, expected,
            "{assertion} with rad={value}: {statement:?}"
        );
    }
}

#[test]
fn equality_on_strings_with_spaces_and_unicode() {
    let policy = richness(json!([{ "or": ["colour=Gelb grün 🚦"] }]));
    assert_passes(&on(&[("colour", "Gelb grün 🚦")], &policy));
    assert_fails(
        &on(&[("colour", "Gelb")], &policy),
        "colour=Gelb grün 🚦 failed: colour is \"Gelb\"",
    );
}

#[test]
fn an_ordering_on_a_non_number_fails_with_a_reason() {
    let policy = richness(json!([{ "or": ["rad<7"] }]));
    assert_fails(
        &on(&[("rad", "high")], &policy),
        "rad<7 failed: rad is \"high\"; \"high\" is not a number, so < cannot compare it",
    );
    assert_fails(
        &on(&[("rad", "3")], &richness(json!([{ "or": ["rad<low"] }]))),
        "rad<low failed: rad is \"3\"; \"low\" is not a number, so < cannot compare it",
    );
}

#[test]
fn a_missing_attribute_fails() {
    // Whatever the operator, != included.
    for assertion in [
        "rad=7", "rad!=7", "rad>7", "rad<7", "rad>=7", "rad<=7", "rad!=x",
    ] {
        assert_fails(
            &on(&[("other", "7")], &richness(json!([{ "or": [assertion] }]))),
            &format!("{assertion} failed: rad is not set"),
        );
    }
}

#[test]
fn an_and_of_ors() {
    let policy = richness(json!([{ "or": ["rad<7", "rad=10"] }, { "or": ["status=ok"] }]));
    assert_passes(&on(&[("rad", "10"), ("status", "ok")], &policy));
    assert_fails(
        &on(&[("rad", "12"), ("status", "ok")], &policy),
        "rad<7 or rad=10 failed: rad is \"12\"",
    );
    assert_fails(
        &on(&[("rad", "1"), ("status", "bad")], &policy),
        "status=ok failed: status is \"bad\"",
    );
}

#[test]
fn attributes_follow_the_events_that_set_them() {
    let policy = richness(json!([{ "or": ["rad<7"] }]));
    let history = History::new(
        asset(&[("rad", "5")]),
        vec![
            event("Reading", 10).setting("rad", "2"),
            // Back-filled: accepted late, declared early; it applies from its declared time.
            event("Reading", 50).declared(t(5)).setting("rad", "8"),
        ],
    );
    let at = |s| compliance_core::evaluate(&policy, &history, t(s)).compliant;
    assert!(at(5), "creation attributes until the first event");
    assert!(!at(6), "rad=8 from 5 on");
    assert!(!at(10), "the event at 10 does not count at 10");
    assert!(at(11), "rad=2 from 10 on");
}

#[test]
fn the_policy_checks_the_asset_as_a_whole() {
    let history = History::new(asset(&[("rad", "8")]), vec![]);
    let compliance = check(&[richness(json!([{ "or": ["rad<7"] }]))], &history, t(0));
    assert!(!compliance.compliant);
    assert_eq!(compliance.statements.len(), 1);
    assert_eq!(compliance.statements[0].policy, POLICY);
}

#[test]
fn parsing_takes_the_longest_operator_first() {
    let parse = |s: &str| s.parse::<Assertion>();
    assert_eq!(parse("rad<=7").map(|a| a.op), Ok(AssertionOp::Le));
    assert_eq!(parse("rad>=7").map(|a| a.op), Ok(AssertionOp::Ge));
    assert_eq!(parse("rad!=7").map(|a| a.op), Ok(AssertionOp::Ne));
    let a = parse("rad<==7").expect("parses");
    assert_eq!((a.op, a.value.as_str()), (AssertionOp::Le, "=7"));
    assert_eq!(a.to_string(), "rad<==7");
}

#[test]
fn parsing_errors_are_clear() {
    let parse = |s: &str| {
        s.parse::<Assertion>()
            .map_err(|e| (e.clone(), e.to_string()))
    };
    assert!(matches!(
        parse("rad"),
        Err((AssertionError::MissingOperator(_), _))
    ));
    assert!(matches!(
        parse("<7"),
        Err((AssertionError::EmptyName(_), _))
    ));
    assert!(matches!(
        parse("rad<"),
        Err((AssertionError::EmptyValue(_), _))
    ));
    assert!(matches!(
        parse("rad !7"),
        Err((AssertionError::MissingOperator(_), _))
    ));
    let (_, message) = parse("rad <7").expect_err("padded");
    assert_eq!(
        message,
        "attribute name \"rad \" has leading or trailing spaces"
    );
}

#[test]
fn docs_example_rad_5_then_9_at_10s() {
    let policy = richness(json!([{ "or": ["rad<7"] }]));
    let history = History::new(
        asset(&[("rad", "5")]),
        vec![event("Reading", 10).setting("rad", "9")],
    );
    assert_passes(&compliance_core::evaluate(&policy, &history, t(10)));
    assert_fails(
        &compliance_core::evaluate(&policy, &history, t(11)),
        "rad<7 failed: rad is \"9\"",
    );
}

#[test]
fn only_finite_numbers_compare_as_numbers() {
    let holds = [
        ("rad>-4", "-3.5"),
        ("rad<-3", "-3.5"),
        ("rad=-3.5", "-3.50"),
        // Not finite, so compared as strings: equal as written.
        ("rad=inf", "inf"),
        ("rad=NaN", "NaN"),
        ("rad!=low", "high"),
    ];
    for (assertion, value) in holds {
        assert_passes(&on(
            &[("rad", value)],
            &richness(json!([{ "or": [assertion] }])),
        ));
    }
    assert_fails(
        &on(&[("rad", "5")], &richness(json!([{ "or": ["rad<inf"] }]))),
        "rad<inf failed: rad is \"5\"; \"inf\" is not a number, so < cannot compare it",
    );
    assert_fails(
        &on(&[("rad", "NaN")], &richness(json!([{ "or": ["rad>=0"] }]))),
        "rad>=0 failed: rad is \"NaN\"; \"NaN\" is not a number, so >= cannot compare it",
    );
    assert_fails(
        &on(
            &[("rad", "low")],
            &richness(json!([{ "or": ["rad!=low"] }])),
        ),
        "rad!=low failed: rad is \"low\"",
    );
}

#[test]
fn the_reason_gives_why_each_assertion_of_the_failing_group_failed() {
    let policy = richness(json!([
        { "or": ["rad<9"] },
        { "or": ["rad<7", "größe=groß", "rad>x"] }
    ]));
    assert_fails(
        &on(&[("rad", "8")], &policy),
        "rad<7 or größe=groß or rad>x failed: rad is \"8\"; größe is not set; \
         rad is \"8\"; \"x\" is not a number, so > cannot compare it",
    );
}

use serde_json::json;

use crate::support::*;

fn maintenance_every_10s() -> compliance_core::CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "Regular Maintenance",
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": "10"
    }))
}

#[test]
fn empty_history_has_no_events() {
    assert_fails(
        &judge(&maintenance_every_10s(), vec![], 100),
        "No events found",
    );
}

#[test]
fn exactly_at_the_limit_is_compliant_and_one_second_more_is_not() {
    let policy = maintenance_every_10s();
    let history = || vec![event("Maintenance Performed", 0)];
    assert_passes(&judge(&policy, history(), 10));
    assert_fails(
        &judge(&policy, history(), 11),
        "Duration 11s exceeds limit 10s",
    );
}

#[test]
fn an_event_exactly_at_the_query_time_does_not_count() {
    let policy = maintenance_every_10s();
    assert_fails(
        &judge(&policy, vec![event("Maintenance Performed", 50)], 50),
        "No events found",
    );
    let events = vec![
        event("Maintenance Performed", 30),
        event("Maintenance Performed", 50),
    ];
    assert_fails(
        &judge(&policy, events, 50),
        "Duration 20s exceeds limit 10s",
    );
}

#[test]
fn only_the_newest_event_of_the_type_counts() {
    let events = vec![
        event("Maintenance Performed", 0),
        event("Maintenance Performed", 95),
        event("Inspection", 99),
    ];
    assert_passes(&judge(&maintenance_every_10s(), events, 100));
}

#[test]
fn the_declared_timestamp_wins_over_the_accepted_one() {
    // Accepted at 100 but declared at 0: back-filled history counts from 0.
    let events = vec![event("Maintenance Performed", 100).declared(t(0))];
    assert_fails(
        &judge(&maintenance_every_10s(), events, 101),
        "Duration 101s exceeds limit 10s",
    );
}

#[test]
fn fractions_of_a_second_are_reported() {
    let events = vec![event("Maintenance Performed", 0)];
    let at = t(10) + time::Duration::milliseconds(500);
    let statement = compliance_core::evaluate(
        &maintenance_every_10s(),
        &compliance_core::History::new(asset(&[]), events),
        at,
    );
    assert_fails(&statement, "Duration 10.5s exceeds limit 10s");
}

#[test]
fn unicode_and_spaces_in_the_display_type() {
    let policy = policy(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "Wartung",
        "event_display_type": "Wartung durchgeführt 🔧",
        "time_period_seconds": 10
    }));
    assert_passes(&judge(
        &policy,
        vec![event("Wartung durchgeführt 🔧", 5)],
        10,
    ));
    assert_fails(
        &judge(&policy, vec![event("Wartung durchgefuhrt 🔧", 5)], 10),
        "No events found",
    );
}

#[test]
fn docs_example_maintenance_at_noon_with_a_10s_limit() {
    use time::macros::datetime;
    let noon = datetime!(2026-01-01 12:00:00 UTC);
    let history = compliance_core::History::new(
        asset(&[]),
        vec![compliance_core::Event::new(
            ASSET,
            "Maintenance Performed",
            noon,
        )],
    );
    let at = |s: i64| {
        compliance_core::evaluate(
            &maintenance_every_10s(),
            &history,
            noon + time::Duration::seconds(s),
        )
    };
    assert_passes(&at(10));
    assert_fails(&at(11), "Duration 11s exceeds limit 10s");
    assert_fails(&at(0), "No events found");
}

#[test]
fn durations_print_whole_seconds_or_up_to_six_decimals() {
    let events = || vec![event("Maintenance Performed", 0)];
    let after = |micros: i64| {
        compliance_core::evaluate(
            &maintenance_every_10s(),
            &compliance_core::History::new(asset(&[]), events()),
            t(10) + time::Duration::microseconds(micros),
        )
    };
    assert_fails(&after(1), "Duration 10.000001s exceeds limit 10s");
    assert_fails(&after(250_000), "Duration 10.25s exceeds limit 10s");
    assert_fails(&after(10_000_000), "Duration 20s exceeds limit 10s");
    assert_passes(&after(0));
}

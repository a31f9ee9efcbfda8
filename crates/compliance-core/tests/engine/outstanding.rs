use compliance_core::CompliancePolicy;
use serde_json::json;

use crate::support::*;

fn no_outstanding_requests() -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING",
        "display_name": "Outstanding Maintenance Requests",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed"
    }))
}

fn requests_closed_within_10s() -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING",
        "display_name": "Maintenance within 10s",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed",
        "time_period_seconds": "10"
    }))
}

fn request(s: i64, value: &str) -> compliance_core::Event {
    event("Maintenance Requests", s).correlated(value)
}

fn performed(s: i64, value: &str) -> compliance_core::Event {
    event("Maintenance Performed", s).correlated(value)
}

#[test]
fn current_empty_history_is_compliant() {
    assert_passes(&judge(&no_outstanding_requests(), vec![], 10));
}

#[test]
fn current_a_closed_request_is_compliant() {
    let events = vec![request(0, "c-1"), performed(5, "c-1")];
    assert_passes(&judge(&no_outstanding_requests(), events, 10));
}

#[test]
fn current_a_closing_event_exactly_at_the_query_time_does_not_count_yet() {
    let events = vec![request(0, "c-1"), performed(10, "c-1")];
    assert_fails(
        &judge(&no_outstanding_requests(), events.clone(), 10),
        "No closing event for Maintenance Requests \"c-1\"",
    );
    assert_passes(&judge(&no_outstanding_requests(), events, 11));
}

#[test]
fn current_an_opening_exactly_at_the_query_time_does_not_count() {
    assert_passes(&judge(
        &no_outstanding_requests(),
        vec![request(10, "c-1")],
        10,
    ));
}

#[test]
fn current_a_closing_with_another_value_does_not_close() {
    let events = vec![request(0, "c-1"), request(1, "c-2"), performed(5, "c-2")];
    assert_fails(
        &judge(&no_outstanding_requests(), events, 10),
        "No closing event for Maintenance Requests \"c-1\"",
    );
}

#[test]
fn current_an_opening_without_correlation_value_can_never_be_closed() {
    let events = vec![
        event("Maintenance Requests", 0),
        event("Maintenance Performed", 1),
    ];
    assert_fails(
        &judge(&no_outstanding_requests(), events, 10),
        "No closing event for Maintenance Requests without arc_correlation_value",
    );
}

#[test]
fn current_the_older_attribute_name_arc_correlation_id_pairs_too() {
    let events = vec![
        event("Maintenance Requests", 0).with_event_attribute("arc_correlation_id", "legacy"),
        event("Maintenance Performed", 3).with_event_attribute("arc_correlation_id", "legacy"),
    ];
    assert_passes(&judge(&no_outstanding_requests(), events, 10));
}

#[test]
fn current_opening_and_closing_at_the_same_instant_pair() {
    // Input order puts the closing first; the instant is still one pair.
    let events = vec![performed(4, "c-1"), request(4, "c-1")];
    assert_passes(&judge(&no_outstanding_requests(), events, 10));
}

#[test]
fn current_a_closing_before_the_opening_does_not_close_it() {
    let events = vec![performed(1, "c-1"), request(2, "c-1")];
    assert_fails(
        &judge(&no_outstanding_requests(), events, 10),
        "No closing event for Maintenance Requests \"c-1\"",
    );
}

#[test]
fn current_a_reused_value_opens_anew_and_extra_opens_are_counted() {
    let events = vec![
        request(0, "c-1"),
        performed(1, "c-1"),
        request(2, "c-1"),
        request(3, "c-2"),
        request(4, "c-3"),
    ];
    assert_fails(
        &judge(&no_outstanding_requests(), events, 10),
        "No closing event for Maintenance Requests \"c-1\" (and 2 more still open)",
    );
}

#[test]
fn period_closed_exactly_at_the_limit_is_compliant() {
    let events = vec![request(0, "c-1"), performed(10, "c-1")];
    assert_passes(&judge(&requests_closed_within_10s(), events, 100));
}

#[test]
fn period_closed_one_second_late_names_the_pair_and_durations() {
    let events = vec![request(0, "c-1"), performed(11, "c-1")];
    assert_fails(
        &judge(&requests_closed_within_10s(), events, 100),
        "Maintenance Requests \"c-1\" was closed after 11s, exceeding limit 10s",
    );
}

#[test]
fn period_an_open_request_is_judged_by_its_age_at_the_query_time() {
    let policy = requests_closed_within_10s();
    assert_passes(&judge(&policy, vec![request(0, "c-1")], 10));
    assert_fails(
        &judge(&policy, vec![request(0, "c-1")], 11),
        "Maintenance Requests \"c-1\" is still open after 11s, exceeding limit 10s",
    );
}

#[test]
fn period_reports_the_earliest_violation_and_counts_the_rest() {
    let events = vec![
        request(0, "late"),
        request(1, "fine"),
        performed(5, "fine"),
        performed(30, "late"),
        request(40, "overdue"),
    ];
    assert_fails(
        &judge(&requests_closed_within_10s(), events, 100),
        "Maintenance Requests \"late\" was closed after 30s, exceeding limit 10s \
         (and 1 more exceed it too)",
    );
}

#[test]
fn period_empty_history_is_compliant() {
    assert_passes(&judge(&requests_closed_within_10s(), vec![], 100));
}

#[test]
fn docs_example_period_limit_10s_request_c1_at_0s() {
    let policy = requests_closed_within_10s();
    // Still open: compliant at 10s, not at 11s.
    assert_passes(&judge(&policy, vec![request(0, "c-1")], 10));
    assert_fails(
        &judge(&policy, vec![request(0, "c-1")], 11),
        "Maintenance Requests \"c-1\" is still open after 11s, exceeding limit 10s",
    );
    // Closed at 10s: compliant forever.
    let on_time = || vec![request(0, "c-1"), performed(10, "c-1")];
    for at in [10, 11, 12, 1_000, 100_000_000] {
        assert_passes(&judge(&policy, on_time(), at));
    }
    // Closed at 11s: non-compliant from then on (at 11s itself the closing does not count yet).
    let late = || vec![request(0, "c-1"), performed(11, "c-1")];
    assert_fails(
        &judge(&policy, late(), 11),
        "Maintenance Requests \"c-1\" is still open after 11s, exceeding limit 10s",
    );
    for at in [12, 1_000, 100_000_000] {
        assert_fails(
            &judge(&policy, late(), at),
            "Maintenance Requests \"c-1\" was closed after 11s, exceeding limit 10s",
        );
    }
    assert_passes(&judge(&policy, late(), 10));
}

#[test]
fn period_an_older_open_request_is_named_before_a_later_late_pair() {
    let events = vec![
        request(0, "open"),
        request(5, "late"),
        performed(50, "late"),
    ];
    assert_fails(
        &judge(&requests_closed_within_10s(), events, 100),
        "Maintenance Requests \"open\" is still open after 100s, exceeding limit 10s \
         (and 1 more exceed it too)",
    );
}

#[test]
fn current_the_oldest_open_request_is_named_even_without_a_correlation_value() {
    let events = vec![
        request(5, "c-1"),
        event("Maintenance Requests", 2),
        request(7, "c-2"),
    ];
    assert_fails(
        &judge(&no_outstanding_requests(), events, 10),
        "No closing event for Maintenance Requests without arc_correlation_value \
         (and 2 more still open)",
    );
}

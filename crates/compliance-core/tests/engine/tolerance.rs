use compliance_core::{CompliancePolicy, Event};
use serde_json::json;

use crate::support::*;

fn tolerance(variability: f64, window: i64) -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE",
        "display_name": "outlying Maintenance Requests",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed",
        "dynamic_window": window,
        "dynamic_variability": variability
    }))
}

/// One pair per duration, each opened at `start` and correlated as `<name><position>`.
fn pairs(name: &str, start: i64, durations: &[i64]) -> Vec<Event> {
    durations
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            let value = format!("{name}{i}");
            [
                event("Maintenance Requests", start).correlated(value.clone()),
                event("Maintenance Performed", start + d).correlated(value),
            ]
        })
        .collect()
}

#[test]
fn durations_1_2_3_20_are_an_outlier_at_1_5_and_fine_at_2() {
    let events = pairs("p", 0, &[1, 2, 3, 20]);
    assert_fails(
        &judge(&tolerance(1.5, 1000), events.clone(), 100),
        "Maintenance Requests \"p3\" took 20s, 1.72 standard deviations from the mean 6.5s \
         of 4 pairs closed in the window (limit 1.5)",
    );
    assert_passes(&judge(&tolerance(2.0, 1000), events, 100));
}

#[test]
fn fewer_than_two_pairs_or_no_deviation_is_compliant() {
    assert_passes(&judge(&tolerance(0.0, 1000), vec![], 100));
    assert_passes(&judge(&tolerance(0.0, 1000), pairs("p", 0, &[7]), 100));
    assert_passes(&judge(
        &tolerance(0.0, 1000),
        pairs("p", 0, &[5, 5, 5]),
        100,
    ));
}

#[test]
fn only_pairs_closing_within_the_window_count() {
    // At 100 with an 80s window the window is [20, 100): the 1s pair closes at 1, outside,
    // so only 20, 21 and 22 count, and none is 1.5σ out.
    let mut events = pairs("a", 0, &[1]);
    events.extend(pairs("b", 50, &[20, 21, 22]));
    assert_passes(&judge(&tolerance(1.5, 80), events.clone(), 100));
    // With the whole history in the window, the 1s pair is an outlier.
    let statement = judge(&tolerance(1.5, 1000), events, 100);
    assert!(!statement.compliant, "{statement:?}");
    assert!(
        statement.reason.contains("\"a0\" took 1s"),
        "{}",
        statement.reason
    );
}

#[test]
fn a_pair_closing_exactly_at_the_window_start_counts_and_one_at_the_query_time_does_not() {
    // Closings at 80, 80, 80 and 100.
    let events = pairs("p", 79, &[1, 1, 1, 21]);
    // Window [80, 100): the 21s pair closing at 100 is out, and 1, 1, 1 do not deviate.
    assert_passes(&judge(&tolerance(1.5, 20), events.clone(), 100));
    // Window [80, 101): all four count, so the three at the window's start must be in it.
    let statement = judge(&tolerance(1.5, 21), events, 101);
    assert!(!statement.compliant, "{statement:?}");
}

#[test]
fn an_opening_before_the_window_counts_when_its_closing_is_inside() {
    // Window [85, 100): the a-pairs opened at 0, before it, but closed at 90..92, inside.
    let mut events = pairs("a", 0, &[90, 91, 92]);
    events.extend(pairs("b", 86, &[1]));
    let statement = judge(&tolerance(1.5, 15), events, 100);
    assert!(statement.reason.contains("\"b0\" took 1s"), "{statement:?}");
}

#[test]
fn a_pair_exactly_at_the_limit_in_deviations_is_compliant() {
    // Durations 1, 1, 1, 1, 6: mean 2s, σ = 2s, so the 6s pair is exactly 2σ out (exact floats).
    let events = pairs("p", 0, &[1, 1, 1, 1, 6]);
    assert_passes(&judge(&tolerance(2.0, 1000), events.clone(), 100));
    assert_fails(
        &judge(&tolerance(1.99, 1000), events.clone(), 100),
        "Maintenance Requests \"p4\" took 6s, 2.00 standard deviations from the mean 2s \
         of 5 pairs closed in the window (limit 1.99)",
    );
    // Variability 0: any deviation at all fails.
    assert!(!judge(&tolerance(0.0, 1000), events, 100).compliant);
}

#[test]
fn a_pair_opened_and_closed_at_one_instant_took_0s() {
    let mut events = pairs("p", 0, &[10, 10, 10]);
    // The closing is given first; the instant is still one pair.
    events.push(event("Maintenance Performed", 50).correlated("p3"));
    events.push(event("Maintenance Requests", 50).correlated("p3"));
    assert_fails(
        &judge(&tolerance(1.5, 1000), events, 100),
        "Maintenance Requests \"p3\" took 0s, 1.73 standard deviations from the mean 7.5s \
         of 4 pairs closed in the window (limit 1.5)",
    );
}

//! Package figures against answers worked out by hand: drift pairing, severities, mean and max
//! resolution times, the open list; and a batch that fails in a later insert chunk.

use compliance_core::Verdict;
use compliance_core::package::{ActivityDay, OpenDrift};
use compliance_store::StoreError;
use compliance_store::events::{self, AuditFields, Metadata, NewEvent};
use compliance_store::figures;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use crate::support::*;

const T: OffsetDateTime = datetime!(2026-05-01 12:00:00 UTC);

fn entry(
    agent: u128,
    action: &str,
    correlation: Option<&str>,
    at: i64,
    metadata: serde_json::Value,
) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::new_v4(),
        asset_id: id(agent),
        display_type: action.to_owned(),
        correlation_value: correlation.map(str::to_owned),
        declared_at: Some(T + Duration::seconds(at)),
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[("arc_display_type", action)]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields {
            metadata: Metadata::from_value(&metadata),
            ..AuditFields::default()
        },
    }
}

fn detected(correlation: Option<&str>, at: i64, severity: Option<&str>) -> NewEvent {
    let mut metadata = serde_json::json!({"drift_type": format!("scope-{at}")});
    if let Some(severity) = severity {
        metadata["severity"] = serde_json::json!(severity);
    }
    entry(1, "drift.detected", correlation, at, metadata)
}

fn resolved(correlation: &str, at: i64) -> NewEvent {
    entry(
        1,
        "drift.resolved",
        Some(correlation),
        at,
        serde_json::json!({}),
    )
}

#[tokio::test]
async fn drift_figures_match_the_hand_worked_answer() {
    let world = World::new().await;
    crate::generation::agent(&world, 1).await;
    let trail = vec![
        detected(Some("a"), 0, Some("high")),
        resolved("a", 60), // closes a@0 after 60 s
        resolved("b", 5),  // before b was detected: closes nothing
        detected(Some("b"), 10, Some("low")),
        resolved("b", 130),                    // closes b@10 after 120 s
        detected(Some("c"), 20, None),         // never resolved, no severity
        detected(None, 30, Some("high")),      // no correlation id: can never be resolved
        detected(Some("a"), 100, Some("low")), // a second detection of a: a@60 is before it
        resolved("a", 400),                    // closes a@100 after 300 s
        detected(Some("e"), 200, Some("high")),
        resolved("e", 1010), // after the package's instant: e is still open then
        resolved("zzz", 50), // resolves nothing ever detected
    ];
    let mut conn = world.acme().await;
    events::append_many(&mut conn, trail.clone().into())
        .await
        .unwrap();
    let drift = figures::drift(&mut conn, id(1), T + Duration::seconds(1000))
        .await
        .unwrap();
    conn.commit().await.unwrap();

    assert_eq!(drift.detected, 6);
    assert_eq!(drift.resolved, 3, "a@0, b@10 and a@100");
    assert_eq!(
        drift.by_severity.into_iter().collect::<Vec<_>>(),
        [
            ("high".to_owned(), 3),
            ("low".to_owned(), 2),
            ("unspecified".to_owned(), 1)
        ]
    );
    assert_eq!(
        drift.mean_seconds_to_resolve,
        Some(160.0),
        "(60 + 120 + 300) / 3"
    );
    assert_eq!(drift.max_seconds_to_resolve, Some(300.0));
    let open = |correlation: Option<&str>, at: i64, severity: Option<&str>| OpenDrift {
        correlation_id: correlation.map(str::to_owned),
        detected_at: T + Duration::seconds(at),
        drift_type: Some(format!("scope-{at}")),
        severity: severity.map(str::to_owned),
    };
    assert_eq!(
        drift.open,
        [
            open(Some("e"), 200, Some("high")),
            open(None, 30, Some("high")),
            open(Some("c"), 20, None)
        ],
        "most recent first"
    );
}

#[tokio::test]
async fn the_open_list_holds_the_twenty_most_recent() {
    let world = World::new().await;
    crate::generation::agent(&world, 1).await;
    let trail: Vec<NewEvent> = (0..25)
        .map(|n| detected(Some(&format!("d{n}")), n, Some("medium")))
        .collect();
    let mut conn = world.acme().await;
    events::append_many(&mut conn, trail.clone().into())
        .await
        .unwrap();
    let drift = figures::drift(&mut conn, id(1), T + Duration::hours(1))
        .await
        .unwrap();
    conn.commit().await.unwrap();
    assert_eq!(drift.detected, 25);
    assert_eq!(
        (drift.mean_seconds_to_resolve, drift.max_seconds_to_resolve),
        (None, None)
    );
    let open: Vec<_> = drift
        .open
        .iter()
        .map(|o| o.correlation_id.clone().unwrap())
        .collect();
    let expected: Vec<_> = (5..25).rev().map(|n| format!("d{n}")).collect();
    assert_eq!(open, expected);
}

#[tokio::test]
async fn a_batch_failing_in_a_later_insert_chunk_leaves_nothing() {
    let world = World::new().await;
    crate::generation::agent(&world, 1).await;
    // More than one chunk of 5,000 rows; the last entry names no asset of this org.
    let mut batch: Vec<NewEvent> = (0..6_001)
        .map(|n| entry(1, "connector.called", None, n, serde_json::json!({"n": n})))
        .collect();
    batch[6_000].asset_id = id(404);
    let mut conn = world.acme().await;
    let failed = events::append_many(&mut conn, batch.clone().into()).await;
    assert!(
        !matches!(failed, Ok(_) | Err(StoreError::NotFound)),
        "the second chunk must fail: {failed:?}"
    );
    let _ = conn.end(failed).await;
    let mut raw = raw(&world).await;
    let stored = count(
        &mut raw,
        "SELECT count(*) AS n FROM events WHERE display_type = 'connector.called'",
    )
    .await;
    assert_eq!(
        stored, 0,
        "the first chunk's 5,000 rows went with the failure"
    );
}

/// An entry of agent 1 at `at` seconds from `T` with `verdict`.
fn judged(at: i64, action: &str, verdict: Option<Verdict>) -> NewEvent {
    let mut entry = entry(1, action, None, at, serde_json::json!({}));
    entry.audit.policy_verdict = verdict;
    entry
}

#[tokio::test]
async fn the_trail_is_counted_per_utc_day_by_verdict_and_folds_into_the_groups() {
    let world = World::new().await;
    crate::generation::agent(&world, 1).await;
    crate::generation::agent(&world, 2).await;
    let midnight = -12 * 3600; // T is noon: 2026-05-01 00:00:00 UTC
    let mut trail = vec![
        judged(midnight - 1, "connector.called", Some(Verdict::Permit)), // 30 April
        judged(midnight, "connector.called", Some(Verdict::Permit)),     // 1 May
        judged(0, "connector.called", Some(Verdict::Escalate)),
        judged(1, "connector.called", Some(Verdict::Deny)),
        judged(2, "drift.detected", None),
        judged(3, "approval.requested", Some(Verdict::Escalate)),
        judged(-midnight + 86_400, "connector.called", None), // 3 May; 2 May is quiet
        judged(3 * 86_400, "connector.called", Some(Verdict::Permit)), // at the package's instant: not counted
    ];
    let mut other = judged(5, "connector.called", Some(Verdict::Deny));
    other.asset_id = id(2);
    trail.push(other);
    let mut conn = world.acme().await;
    events::append_many(&mut conn, trail.into()).await.unwrap();
    let until = T + Duration::days(3);
    let figures::TrailFigures {
        groups: folded,
        activity,
    } = figures::trail(&mut conn, id(1), until).await.unwrap();
    let groups = figures::audit_groups(&mut conn, id(1), until)
        .await
        .unwrap();
    conn.commit().await.unwrap();

    let day = |day, [permit, escalate, deny, unjudged, drift_detected]: [i64; 5]| ActivityDay {
        day,
        permit,
        escalate,
        deny,
        unjudged,
        drift_detected,
    };
    assert_eq!(
        activity,
        [
            day(date!(2026 - 04 - 30), [1, 0, 0, 0, 0]),
            day(date!(2026 - 05 - 01), [1, 2, 1, 1, 1]),
            day(date!(2026 - 05 - 03), [0, 0, 0, 1, 0]),
        ]
    );
    let total: i64 = groups.iter().map(|g| g.count).sum();
    assert_eq!(
        activity.iter().map(ActivityDay::entries).sum::<i64>(),
        total
    );
    // The groups folded from the days are the ones PostgreSQL groups without them.
    let sorted = |mut g: Vec<figures::AuditGroup>| {
        g.sort_by_key(|a| format!("{a:?}"));
        g
    };
    assert_eq!(sorted(folded), sorted(groups));
}

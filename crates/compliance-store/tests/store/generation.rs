use std::sync::Arc;

use compliance_core::AgentProfile;
use compliance_core::package::Framework;
use compliance_store::agents;
use compliance_store::generation::{self, generate, generation_time};
use compliance_store::packages::{self, PackageRecord};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::support::*;

/// Registers agent `n` in acme, if new.
pub async fn agent(world: &World, n: u128) {
    let mut conn = world.acme().await;
    if agents::get(&mut conn, id(n)).await.is_err() {
        let agent = AgentProfile {
            id: id(n),
            name: format!("agent {n}"),
            ..Default::default()
        };
        agents::create(&mut conn, &agent).await.unwrap();
    }
    conn.commit().await.unwrap();
}

/// Generates agent `n`'s next package as of `at`, through the whole generation path.
pub async fn generated(world: &World, n: u128, at: OffsetDateTime) -> PackageRecord {
    let mut conn = world.acme().await;
    let package = generate(&mut conn, id(n), id(99), at, Framework::ALL, &seal()).await;
    conn.end(package).await.unwrap()
}

#[test]
fn the_generation_time_is_the_requested_one_unless_the_previous_version_is_later() {
    let at = datetime!(2026-06-01 12:00:00.123456789 UTC);
    let now = datetime!(2026-06-01 12:05:00 UTC);
    let micro = datetime!(2026-06-01 12:00:00.123456 UTC);
    assert_eq!(generation_time(at, None, now), micro, "to the microsecond");
    let earlier = datetime!(2026-06-01 11:00:00 UTC);
    assert_eq!(generation_time(at, Some(earlier), now), micro);
    assert_eq!(
        generation_time(at, Some(micro), now),
        micro,
        "the same instant"
    );
    let later = datetime!(2026-06-01 12:01:00 UTC);
    assert_eq!(
        generation_time(at, Some(later), now),
        now,
        "the clock, past both"
    );
    let ahead = datetime!(2026-06-02 00:00:00 UTC);
    assert_eq!(
        generation_time(at, Some(ahead), now),
        ahead,
        "never before the previous version, even when the clock is"
    );
}

#[tokio::test]
async fn a_generation_asked_for_a_time_before_the_last_version_gets_a_later_one() {
    let world = World::new().await;
    agent(&world, 1).await;
    // Ahead of the clock, so the previous version's time is the floor, not the clock.
    let ahead = datetime!(2100-01-01 00:00:00 UTC);
    let first = generated(&world, 1, ahead).await;
    assert_eq!(first.generated_at, ahead);
    let second = generated(&world, 1, ahead - Duration::days(1)).await;
    assert_eq!((second.version, second.generated_at), (2, ahead));
    let third = generated(&world, 1, ahead + Duration::minutes(1)).await;
    assert_eq!(
        (third.version, third.generated_at),
        (3, ahead + Duration::minutes(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_generations_get_versions_1_to_8_in_the_order_of_their_times() {
    let world = Arc::new(World::new().await);
    agent(&world, 1).await;
    let base = OffsetDateTime::now_utc() - Duration::hours(1);
    // Shuffled on purpose: whichever takes the lock first may have asked for the latest time.
    let asked: Vec<OffsetDateTime> = [5, 2, 7, 0, 3, 6, 1, 4]
        .into_iter()
        .map(|minutes| base + Duration::minutes(minutes))
        .collect();
    let racers: Vec<_> = asked
        .iter()
        .map(|&at| {
            let world = world.clone();
            tokio::spawn(async move { (at, generated(&world, 1, at).await) })
        })
        .collect();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.unwrap());
    }
    results.sort_by_key(|(_, package)| package.version);
    let versions: Vec<i32> = results.iter().map(|(_, p)| p.version).collect();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    for pair in results.windows(2) {
        assert!(
            pair[0].1.generated_at <= pair[1].1.generated_at,
            "version {} at {} after version {} at {}",
            pair[0].1.version,
            pair[0].1.generated_at,
            pair[1].1.version,
            pair[1].1.generated_at
        );
    }
    for (at, package) in &results {
        assert!(
            package.generated_at >= *at - Duration::microseconds(1),
            "never before the time asked for"
        );
    }
    let mut conn = world.acme().await;
    let (listed, _) = packages::list(&mut conn, Some(id(1)), 10, 0).await.unwrap();
    let listed: Vec<i32> = listed.iter().map(|p| p.version).collect();
    assert_eq!(
        listed,
        (1..=8).rev().collect::<Vec<_>>(),
        "newest first is highest first"
    );
    let status = packages::verify_agent(&mut conn, id(1)).await.unwrap();
    assert!(status.verified, "{status:?}");
    assert_eq!(status.versions_checked, 8);
}

#[tokio::test]
async fn each_generation_is_recorded_in_the_trail_with_its_version_and_seal() {
    let world = World::new().await;
    agent(&world, 1).await;
    let first = generated(&world, 1, OffsetDateTime::now_utc()).await;
    let second = generated(&world, 1, OffsetDateTime::now_utc()).await;
    let mut conn = world.acme().await;
    let query = compliance_store::events::EventQuery {
        asset_id: Some(id(1)),
        display_type: Some(generation::GENERATED.to_owned()),
        limit: 10,
        ..Default::default()
    };
    let entries = compliance_store::events::list(&mut conn, &query)
        .await
        .unwrap();
    let metadata: Vec<_> = entries
        .iter()
        .map(|e| e.event.audit.metadata.to_value())
        .collect();
    assert_eq!(
        metadata,
        [
            serde_json::json!({"package_id": second.id, "version": 2, "content_sha256": second.content_sha256}),
            serde_json::json!({"package_id": first.id, "version": 1, "content_sha256": first.content_sha256}),
        ]
    );
}

//! Idempotency keys: per org under row-level security, first outcome kept, expired ones purged.

use compliance_store::idempotency::{self, KEPT_FOR, Outcome, Recorded};
use diesel_async::SimpleAsyncConnection;

use crate::support::*;

fn outcome(status: i16) -> Outcome {
    Outcome {
        request_sha256: "abc".to_owned(),
        status,
        response: serde_json::json!({"status": status}).to_string(),
    }
}

#[tokio::test]
async fn the_first_outcome_stays_and_another_org_sees_none() {
    let world = World::new().await;
    let mut acme = world.acme().await;
    assert_eq!(
        idempotency::record(&mut acme, "k", &outcome(201))
            .await
            .unwrap(),
        Recorded::Kept
    );
    assert_eq!(
        idempotency::record(&mut acme, "k", &outcome(200))
            .await
            .unwrap(),
        Recorded::Taken(outcome(201))
    );
    acme.commit().await.unwrap();
    let mut globex = world.globex().await;
    assert_eq!(idempotency::find(&mut globex, "k").await.unwrap(), None);
    assert_eq!(
        idempotency::record(&mut globex, "k", &outcome(200))
            .await
            .unwrap(),
        Recorded::Kept,
        "keys are per org"
    );
    globex.commit().await.unwrap();
}

#[tokio::test]
async fn keys_past_their_day_are_purged_and_younger_ones_kept() {
    let world = World::new().await;
    let mut acme = world.acme().await;
    for key in ["old", "young"] {
        idempotency::record(&mut acme, key, &outcome(201))
            .await
            .unwrap();
    }
    acme.commit().await.unwrap();
    let mut raw = raw(&world).await;
    raw.batch_execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'",
    )
    .await
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(world.store().purge_idempotency_keys(now).await.unwrap(), 1);
    let mut acme = world.acme().await;
    assert_eq!(idempotency::find(&mut acme, "old").await.unwrap(), None);
    assert!(
        idempotency::find(&mut acme, "young")
            .await
            .unwrap()
            .is_some()
    );
    acme.commit().await.unwrap();
    assert_eq!(KEPT_FOR, time::Duration::hours(24));
}

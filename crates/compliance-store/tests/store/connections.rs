use compliance_store::assets::{self, NewAsset};
use compliance_store::{Store, StoreError};

use crate::support::*;

#[tokio::test]
async fn an_abandoned_transaction_leaves_nothing_and_its_connection_is_not_reused() {
    let world = World::new().await;
    // One connection: anything the pool hands out next is the same socket, unless discarded.
    let store = Store::connect(&world.db.url, 1).unwrap();
    let mut abandoned = store.tenant(world.acme.id).await.unwrap();
    assets::create(
        &mut abandoned,
        &NewAsset {
            id: id(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    drop(abandoned);

    let mut globex = store.tenant(world.globex.id).await.unwrap();
    assets::create(
        &mut globex,
        &NewAsset {
            id: id(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        assets::get(&mut globex, id(1)).await,
        Err(StoreError::NotFound)
    ));
    globex.commit().await.unwrap();

    let mut acme = store.tenant(world.acme.id).await.unwrap();
    assert!(
        matches!(
            assets::get(&mut acme, id(1)).await,
            Err(StoreError::NotFound)
        ),
        "rolled back"
    );
    assert!(
        matches!(
            assets::get(&mut acme, id(2)).await,
            Err(StoreError::NotFound)
        ),
        "globex's"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_not_a_crash() {
    let store = Store::connect("host=/nonexistent port=5 user=nobody dbname=none", 1).unwrap();
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.tenant(id(1)).await,
        Err(StoreError::Unavailable(_))
    ));
}

use compliance_core::package::Framework;
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

#[tokio::test]
async fn an_abandoned_generation_frees_its_agent_at_once() {
    let world = World::new().await;
    crate::generation::agent(&world, 7).await;
    let store = Store::connect(&world.db.url, 3).unwrap();
    let at = time::OffsetDateTime::now_utc();
    // Healthy connections returned before and after the abandoned one, so that the next
    // checkout is a healthy one whether the pool hands out its oldest or newest first.
    let before = store.tenant(world.acme.id).await.unwrap();
    let mut abandoned = store.tenant(world.acme.id).await.unwrap();
    let after = store.tenant(world.acme.id).await.unwrap();
    // Mid-generation: the agent's lock is held and version 1 written, uncommitted.
    compliance_store::generation::generate(
        &mut abandoned,
        id(7),
        id(99),
        at,
        Framework::ALL,
        &seal(),
    )
    .await
    .unwrap();
    before.commit().await.unwrap();
    drop(abandoned);
    after.commit().await.unwrap();

    // Were the abandoned transaction still open in the pool, this would wait on the agent's
    // lock until the statement timeout cancelled it.
    let mut next = store.tenant(world.acme.id).await.unwrap();
    let package = compliance_store::generation::generate(
        &mut next,
        id(7),
        id(99),
        at,
        Framework::ALL,
        &seal(),
    )
    .await;
    let package = next.end(package).await.unwrap();
    assert_eq!(package.version, 1, "the abandoned version was rolled back");
}

#[tokio::test]
async fn pooled_sessions_end_a_transaction_left_idle() {
    let world = World::new().await;
    let store = Store::connect(&world.db.url, 1).unwrap();
    let mut conn = store.tenant(world.acme.id).await.unwrap();
    let timeout = conn
        .setting("idle_in_transaction_session_timeout")
        .await
        .unwrap();
    conn.commit().await.unwrap();
    assert_eq!(
        timeout,
        format!(
            "{}s",
            compliance_store::IDLE_IN_TRANSACTION_TIMEOUT.as_secs()
        )
    );
}

#[tokio::test]
async fn operator_paths_have_their_own_pool_beside_the_tenant_sessions() {
    let world = World::new().await;
    // One tenant session, held: the owner's pool still serves token lookups and new orgs.
    let store = Store::connect(&world.db.url, 1).unwrap();
    let held = store.tenant(world.acme.id).await.unwrap();
    let token = store
        .issue_token(world.acme.id, compliance_store::Role::Viewer)
        .await
        .unwrap();
    let principal = store.authenticate(&token.secret).await.unwrap();
    assert_eq!(principal.map(|p| p.org), Some(world.acme.id));
    store.ensure_organization("initech").await.unwrap();
    held.commit().await.unwrap();
}

#[tokio::test]
async fn open_sets_up_the_tenant_login_before_the_first_request() {
    let world = World::new().await;
    let store = Store::open(&world.db.url, 1).await.unwrap();
    let mut conn = store.tenant(world.acme.id).await.unwrap();
    assert_eq!(
        compliance_store::orgs::current(&mut conn).await.unwrap(),
        world.acme
    );
    conn.commit().await.unwrap();
    assert!(matches!(
        Store::open("host=/nonexistent port=5 user=nobody dbname=none", 1).await,
        Err(StoreError::Unavailable(_))
    ));
}

//! Server secrets: made once, the same for every server, out of the tenant role's reach.

use crate::support::*;

#[tokio::test]
async fn a_secret_is_made_once_and_every_caller_gets_the_same() {
    let world = World::new().await;
    let store = world.store();
    let (a, b) = tokio::join!(
        store.server_secret("page-tokens"),
        store.server_secret("page-tokens")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_ne!(a, [0u8; 32], "random, not zero");
    let other = store.server_secret("tenant-password").await.unwrap();
    assert_ne!(a, other, "each name its own");
    let again = compliance_store::Store::connect(&world.db.url, 1)
        .unwrap()
        .server_secret("page-tokens")
        .await
        .unwrap();
    assert_eq!(again, a, "a second server reads the first one's");
}

#[tokio::test]
async fn the_tenant_role_cannot_read_server_secrets() {
    let world = World::new().await;
    world.store().server_secret("page-tokens").await.unwrap();
    let mut raw = raw(&world).await;
    as_tenant(&mut raw, Some(world.acme.id)).await;
    let refused = try_sql(&mut raw, "SELECT secret FROM server_secrets").await;
    assert!(
        refused.is_err_and(|message| message.contains("permission denied")),
        "the tenant role reads no secret"
    );
    end(&mut raw).await;
}

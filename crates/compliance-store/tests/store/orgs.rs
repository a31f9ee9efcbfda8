use compliance_store::{Role, StoreError};

use crate::support::*;

#[tokio::test]
async fn an_org_is_created_once_by_name() {
    let world = World::new().await;
    let again = world.store().ensure_organization("acme").await.unwrap();
    assert_eq!(again, world.acme);
    assert_eq!(world.store().organization_count().await.unwrap(), 2);
    let mut acme = world.acme().await;
    assert_eq!(
        compliance_store::orgs::current(&mut acme).await.unwrap(),
        world.acme
    );
}

#[tokio::test]
async fn a_token_authenticates_until_revoked_and_only_its_hash_is_stored() {
    let world = World::new().await;
    let token = world
        .store()
        .issue_token(world.acme.id, Role::Auditor)
        .await
        .unwrap();
    assert!(token.secret.starts_with("cst_") && token.secret.len() == 4 + 64);
    let principal = world
        .store()
        .authenticate(&token.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (principal.org, principal.token, principal.role),
        (world.acme.id, token.id, Role::Auditor)
    );

    // Change the last hex digit, whatever it is.
    let last = if token.secret.ends_with('0') {
        '1'
    } else {
        '0'
    };
    let wrong = format!("{}{last}", &token.secret[..token.secret.len() - 1]);
    assert_eq!(world.store().authenticate(&wrong).await.unwrap(), None);
    assert_eq!(
        world.store().authenticate("Bearer nonsense").await.unwrap(),
        None
    );

    let mut conn = raw(&world).await;
    let hashed = compliance_core::sha256_hex(token.secret.as_bytes());
    let stored = count(
        &mut conn,
        &format!(
            "SELECT count(*) AS n FROM api_tokens WHERE encode(secret_sha256, 'hex') = '{hashed}'"
        ),
    )
    .await;
    assert_eq!(stored, 1);
    let plain = count(
        &mut conn,
        &format!(
            "SELECT count(*) AS n FROM api_tokens t WHERE row_to_json(t)::text LIKE '%{}%'",
            token.secret
        ),
    )
    .await;
    assert_eq!(plain, 0, "the secret itself is never stored");

    world.store().revoke_token(token.id).await.unwrap();
    assert_eq!(
        world.store().authenticate(&token.secret).await.unwrap(),
        None
    );
    let unknown = world.store().revoke_token(id(404)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

#[test]
fn roles_parse_from_their_names_only() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>(), Ok(role));
    }
    assert!("root".parse::<Role>().is_err());
}

//! Tenancy through the tenant pool itself: its sessions log in as `compliance_app`, so no
//! statement they run becomes the owner or sees past row-level security.

use compliance_store::{Role, Store, StoreError, TENANT_ROLE};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::support::*;

#[derive(diesel::QueryableByName)]
struct Users {
    #[diesel(sql_type = diesel::sql_types::Text)]
    current: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    session: String,
}

/// `current_user` and `session_user` of the session.
async fn users(conn: &mut AsyncPgConnection) -> (String, String) {
    let users: Users =
        diesel::sql_query("SELECT current_user::text AS current, session_user::text AS session")
            .get_result(conn)
            .await
            .unwrap();
    (users.current, users.session)
}

fn tenant_role() -> (String, String) {
    (TENANT_ROLE.to_owned(), TENANT_ROLE.to_owned())
}

/// Runs `sql` in a savepoint, so that a refusal leaves the transaction usable; what it did
/// stays when it succeeds.
async fn attempt(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), String> {
    conn.batch_execute("SAVEPOINT attempt").await.unwrap();
    let result = conn.batch_execute(sql).await.map_err(|e| e.to_string());
    let undo = match result {
        Ok(()) => "RELEASE SAVEPOINT attempt",
        Err(_) => "ROLLBACK TO SAVEPOINT attempt",
    };
    conn.batch_execute(undo).await.unwrap();
    result
}

/// The schema owner's name: the user of the test database's URL.
async fn owner(world: &World) -> String {
    users(&mut raw(world).await).await.0
}

#[tokio::test]
async fn a_tenant_session_is_the_tenant_role_and_cannot_become_the_owner() {
    let world = World::new().await;
    asset(&world, &world.globex, 1).await;
    let owner = owner(&world).await;
    let mut acme = world.acme().await;
    let conn = acme.raw();
    assert_eq!(users(conn).await, tenant_role(), "logged in as the tenant");

    attempt(conn, "RESET ROLE").await.unwrap();
    attempt(conn, "RESET SESSION AUTHORIZATION").await.unwrap();
    assert_eq!(users(conn).await, tenant_role(), "nothing to go back to");
    for escape in [
        format!("SET ROLE {owner}"),
        format!("SET SESSION AUTHORIZATION {owner}"),
        format!("SELECT set_config('role', '{owner}', false)"),
    ] {
        let refused = attempt(conn, &escape).await.unwrap_err();
        assert!(refused.contains("permission denied"), "{escape}: {refused}");
    }
    assert_eq!(users(conn).await, tenant_role());

    let globex = world.globex.id;
    let seen = count(
        conn,
        &format!("SELECT count(*) AS n FROM assets WHERE org_id = '{globex}'"),
    )
    .await;
    assert_eq!(seen, 0, "another org's rows, after every attempt");
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM organizations").await,
        1
    );
}

#[tokio::test]
async fn without_an_org_a_tenant_session_sees_no_rows() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    asset(&world, &world.globex, 2).await;
    let mut acme = world.acme().await;
    let conn = acme.raw();
    assert_eq!(count(conn, "SELECT count(*) AS n FROM assets").await, 1);

    conn.batch_execute("RESET ROLE; SELECT set_config('app.org_id', '', true)")
        .await
        .unwrap();
    for table in ["assets", "organizations", "api_tokens", "events", "agents"] {
        let seen = count(conn, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert_eq!(seen, 0, "{table} with the org unset");
    }
    conn.batch_execute("RESET app.org_id").await.unwrap();
    assert_eq!(count(conn, "SELECT count(*) AS n FROM assets").await, 0);

    // Outside any transaction too: nothing bound, nothing seen.
    conn.batch_execute("COMMIT; RESET ROLE").await.unwrap();
    assert_eq!(users(conn).await, tenant_role());
    for table in ["assets", "organizations"] {
        let seen = count(conn, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert_eq!(seen, 0, "{table} outside a transaction");
    }
}

#[tokio::test]
async fn a_tenant_session_reads_no_secret_and_only_its_own_tokens_and_changes_none() {
    let world = World::new().await;
    world.store().server_secret("page-tokens").await.unwrap();
    world
        .store()
        .issue_token(world.acme.id, Role::Viewer)
        .await
        .unwrap();
    world
        .store()
        .issue_token(world.globex.id, Role::Admin)
        .await
        .unwrap();
    let mut acme = world.acme().await;
    let conn = acme.raw();
    attempt(conn, "RESET ROLE").await.unwrap();

    let refused = attempt(conn, "SELECT name, secret FROM server_secrets")
        .await
        .unwrap_err();
    assert!(refused.contains("permission denied"), "{refused}");
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM api_tokens").await,
        1,
        "its own token only"
    );
    let globex = world.globex.id;
    for change in [
        "UPDATE api_tokens SET role = 'admin'".to_owned(),
        "UPDATE api_tokens SET revoked = false".to_owned(),
        "DELETE FROM api_tokens".to_owned(),
        format!(
            "INSERT INTO api_tokens (org_id, id, secret_sha256, role) \
             VALUES ('{globex}', gen_random_uuid(), sha256('x'), 'admin')"
        ),
        "INSERT INTO server_secrets (name, secret) VALUES ('mine', sha256('x'))".to_owned(),
        format!("ALTER ROLE {TENANT_ROLE} BYPASSRLS"),
    ] {
        assert!(attempt(conn, &change).await.is_err(), "{change}");
    }
}

#[tokio::test]
async fn an_owner_that_cannot_set_the_tenant_password_is_told_what_to_grant() {
    let world = World::new().await;
    let weak = format!("weak_{}", uuid::Uuid::new_v4().simple());
    let mut owner = raw(&world).await;
    // A new secret (the weak owner makes it), so the password would have to change.
    owner
        .batch_execute(&format!(
            "DELETE FROM server_secrets WHERE name = 'tenant-password'; \
             CREATE ROLE {weak} NOLOGIN; GRANT SELECT, INSERT ON server_secrets TO {weak}"
        ))
        .await
        .unwrap();
    let store = Store::connect(&with_role(&world.db.url, &weak), 2).unwrap();
    let error = store.tenant(world.acme.id).await.unwrap_err();
    owner
        .batch_execute(&format!("DROP OWNED BY {weak}; DROP ROLE {weak}"))
        .await
        .unwrap();
    let StoreError::Unavailable(message) = error else {
        panic!("{error:?}");
    };
    assert!(message.contains("CREATEROLE"), "{message}");
    assert!(
        message.contains(&format!("GRANT {TENANT_ROLE} TO")),
        "{message}"
    );
}

/// `url` with its sessions switched to `role` (the owner's privileges narrowed to that role's).
fn with_role(url: &str, role: &str) -> String {
    if url.starts_with("postgres") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}options=-c%20role%3D{role}")
    } else {
        format!("{url} options='-c role={role}'")
    }
}

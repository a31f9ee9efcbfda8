//! Tenancy proven at the database level: raw SQL under the tenant role, whatever the WHERE says.

use diesel_async::RunQueryDsl;

use crate::support::*;

#[tokio::test]
async fn the_tenant_role_cannot_bypass_row_level_security_and_owns_nothing() {
    let world = World::new().await;
    let mut conn = raw(&world).await;
    let bypass = count(
        &mut conn,
        "SELECT count(*) AS n FROM pg_roles WHERE rolname = 'compliance_app' \
         AND NOT rolsuper AND NOT rolbypassrls AND NOT rolcreaterole AND NOT rolcreatedb",
    )
    .await;
    assert_eq!(
        bypass, 1,
        "compliance_app must be neither superuser nor BYPASSRLS, and create nothing"
    );
    let owned = count(
        &mut conn,
        "SELECT count(*) AS n FROM pg_tables WHERE tableowner = 'compliance_app'",
    )
    .await;
    assert_eq!(owned, 0);
    // Every table holding an org's rows, found from the schema so a new one cannot be missed.
    let mut tables: Vec<String> = diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.columns \
         WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY 1",
    )
    .load::<Name>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    assert!(tables.len() >= 10, "{tables:?}");
    assert!(tables.iter().any(|t| t == "idempotency_keys"), "{tables:?}");
    tables.push("organizations".to_owned());
    for table in &tables {
        let forced = count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM pg_class WHERE relname = '{table}' \
                      AND relrowsecurity AND relforcerowsecurity"
            ),
        )
        .await;
        assert_eq!(
            forced, 1,
            "{table} must ENABLE and FORCE row-level security"
        );
    }
}

#[tokio::test]
async fn one_org_reads_none_of_anothers_rows_even_when_it_asks_for_them() {
    let world = World::new().await;
    asset(&world, &world.globex, 1).await;
    let mut conn = raw(&world).await;
    as_tenant(&mut conn, Some(world.acme.id)).await;
    let globex = world.globex.id;
    let seen = count(
        &mut conn,
        &format!("SELECT count(*) AS n FROM assets WHERE org_id = '{globex}'"),
    )
    .await;
    assert_eq!(seen, 0);
    let orgs = count(&mut conn, "SELECT count(*) AS n FROM organizations").await;
    assert_eq!(orgs, 1, "an org sees its own row only");
    end(&mut conn).await;

    as_tenant(&mut conn, Some(globex)).await;
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM assets").await,
        1
    );
    end(&mut conn).await;

    // No org bound: nothing at all, not an error.
    as_tenant(&mut conn, None).await;
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM assets").await,
        0
    );
    end(&mut conn).await;
}

#[tokio::test]
async fn one_org_cannot_insert_into_another() {
    let world = World::new().await;
    let mut conn = raw(&world).await;
    as_tenant(&mut conn, Some(world.acme.id)).await;
    let error = try_sql(
        &mut conn,
        &format!(
            "INSERT INTO assets (org_id, id) VALUES ('{}', gen_random_uuid())",
            world.globex.id
        ),
    )
    .await
    .unwrap_err();
    assert!(error.contains("row-level security"), "{error}");
    end(&mut conn).await;

    as_tenant(&mut conn, None).await;
    let error = try_sql(
        &mut conn,
        &format!(
            "INSERT INTO assets (org_id, id) VALUES ('{}', gen_random_uuid())",
            world.acme.id
        ),
    )
    .await
    .unwrap_err();
    assert!(
        error.contains("row-level security"),
        "with no org bound: {error}"
    );
    end(&mut conn).await;
}

#[tokio::test]
async fn one_org_cannot_update_into_another_even_with_the_privilege() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    asset(&world, &world.globex, 2).await;
    let mut conn = raw(&world).await;
    // Grant more than the app ever has, inside a transaction that is rolled back: the policy,
    // not the missing privilege, must be what stops the move.
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute(
        "BEGIN; GRANT UPDATE ON assets TO compliance_app; SET LOCAL ROLE compliance_app",
    )
    .await
    .unwrap();
    conn.batch_execute(&format!(
        "SELECT set_config('app.org_id', '{}', true)",
        world.acme.id
    ))
    .await
    .unwrap();
    let moved = try_sql(
        &mut conn,
        &format!(
            "UPDATE assets SET org_id = '{}' WHERE id = '{}'",
            world.globex.id,
            id(1)
        ),
    )
    .await
    .unwrap_err();
    assert!(moved.contains("row-level security"), "{moved}");
    end(&mut conn).await;

    conn.batch_execute(
        "BEGIN; GRANT UPDATE ON assets TO compliance_app; SET LOCAL ROLE compliance_app",
    )
    .await
    .unwrap();
    conn.batch_execute(&format!(
        "SELECT set_config('app.org_id', '{}', true)",
        world.acme.id
    ))
    .await
    .unwrap();
    let touched = try_sql(
        &mut conn,
        &format!(
            "UPDATE assets SET behaviours = '{{x}}' WHERE id = '{}'",
            id(2)
        ),
    )
    .await
    .unwrap();
    assert_eq!(touched, 0, "another org's row is invisible to UPDATE");
    end(&mut conn).await;
}

#[tokio::test]
async fn the_store_answers_not_found_for_another_orgs_rows() {
    let world = World::new().await;
    asset(&world, &world.globex, 1).await;
    let mut acme = world.acme().await;
    let result = compliance_store::assets::get(&mut acme, id(1)).await;
    assert!(
        matches!(result, Err(compliance_store::StoreError::NotFound)),
        "{result:?}"
    );
    // Creating the same id in another org is not a conflict that leaks existence.
    let mine = compliance_store::assets::NewAsset {
        id: id(1),
        ..Default::default()
    };
    compliance_store::assets::create(&mut acme, &mine)
        .await
        .unwrap();
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

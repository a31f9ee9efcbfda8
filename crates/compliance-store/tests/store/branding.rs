//! The org's branding: set, read back and replaced; invisible to another org, even by SQL; and
//! held to its caps by the database itself.

use compliance_store::branding::{self, Logo, NewBranding};

use crate::support::*;

fn logo() -> Logo {
    Logo {
        media_type: "image/svg+xml".to_owned(),
        image: b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        raster: vec![0x89, b'P', b'N', b'G'],
    }
}

#[tokio::test]
async fn branding_is_set_replaced_and_kept_to_its_org() {
    let world = World::new().await;
    let mut acme = world.acme().await;
    assert_eq!(
        branding::get(&mut acme).await.unwrap(),
        branding::Branding::default()
    );
    let logo = logo();
    branding::set(
        &mut acme,
        &NewBranding {
            display_name: Some("Acme Security"),
            accent_colour: Some("#1d4ed8"),
            logo: Some(&logo),
        },
    )
    .await
    .unwrap();
    acme.commit().await.unwrap();

    let mut acme = world.acme().await;
    let set = branding::get(&mut acme).await.unwrap();
    assert_eq!(set.display_name.as_deref(), Some("Acme Security"));
    assert_eq!(set.accent_colour.as_deref(), Some("#1d4ed8"));
    assert_eq!(set.logo_media_type.as_deref(), Some("image/svg+xml"));
    assert_eq!(
        set.logo_bytes,
        Some(i32::try_from(logo.image.len()).unwrap())
    );
    assert_eq!(branding::logo(&mut acme).await.unwrap(), Some(logo));
    // A replacement unsets what it leaves out.
    branding::set(
        &mut acme,
        &NewBranding {
            display_name: Some("Acme"),
            ..NewBranding::default()
        },
    )
    .await
    .unwrap();
    acme.commit().await.unwrap();
    let mut acme = world.acme().await;
    let replaced = branding::get(&mut acme).await.unwrap();
    assert_eq!(
        (
            replaced.display_name.as_deref(),
            replaced.accent_colour,
            replaced.logo_bytes
        ),
        (Some("Acme"), None, None)
    );
    assert_eq!(branding::logo(&mut acme).await.unwrap(), None);
    acme.commit().await.unwrap();

    let mut globex = world.globex().await;
    assert_eq!(
        branding::get(&mut globex).await.unwrap(),
        branding::Branding::default(),
        "another org's branding is not seen"
    );
    globex.commit().await.unwrap();
    let mut conn = raw(&world).await;
    as_tenant(&mut conn, Some(world.globex.id)).await;
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM org_branding").await,
        0
    );
    let overwrite = try_sql(
        &mut conn,
        &format!(
            "UPDATE org_branding SET display_name = 'pwned' WHERE org_id = '{}'",
            world.acme.id
        ),
    )
    .await;
    assert_eq!(overwrite, Ok(0), "nor changed");
    end(&mut conn).await;
}

#[tokio::test]
async fn the_database_holds_the_caps() {
    let world = World::new().await;
    let mut conn = raw(&world).await;
    as_tenant(&mut conn, Some(world.acme.id)).await;
    let org = world.acme.id;
    for (columns, values, why) in [
        ("display_name", "''", "an empty name"),
        ("accent_colour", "'blue'", "a colour not #rrggbb"),
        ("accent_colour", "'#1D4ED8'", "upper case"),
        (
            "logo_media_type, logo",
            r"'image/png', '\x89'",
            "a logo without its raster",
        ),
        (
            "logo_media_type, logo, logo_raster",
            r"'image/gif', '\x47', '\x89'",
            "a GIF",
        ),
        (
            "logo_media_type, logo, logo_raster",
            r"'image/png', decode(repeat('00', 262145), 'hex'), '\x89'",
            "a logo over 256 KiB",
        ),
    ] {
        try_sql(&mut conn, "SAVEPOINT s").await.unwrap();
        let refused = try_sql(
            &mut conn,
            &format!("INSERT INTO org_branding (org_id, {columns}) VALUES ('{org}', {values})"),
        )
        .await;
        try_sql(&mut conn, "ROLLBACK TO SAVEPOINT s").await.unwrap();
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("check constraint")),
            "{why}: {refused:?}"
        );
    }
    end(&mut conn).await;
}

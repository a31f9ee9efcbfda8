//! The org's branding over HTTP: an admin sets it, everyone reads it, the logo is served as an
//! image that runs nothing, the next package's PDF shows it, another org sees none of it, and
//! every bad upload is refused with its reason and leaves the branding as it was.

use base64::Engine as _;
use compliance_store::Role;
use serde_json::{Value, json};

use crate::support::*;

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="90" height="30"><rect width="90" height="30" fill="#0b5394"/><path d="M10 5 L20 25 L30 5 Z" fill="#ffffff"/></svg>"##;

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn branding(name: &str, accent: &str, svg: &str) -> Value {
    json!({
        "display_name": name,
        "accent_colour": accent,
        "logo": {"media_type": "image/svg+xml", "data": base64(svg.as_bytes())},
    })
}

/// The PDF's text, as pdftotext reads it.
fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[actix_rt::test]
async fn an_admin_brands_the_org_and_its_next_pdf_shows_it() {
    let server = Server::start().await;
    let viewer = &server.acme[&Role::Viewer];
    let unset = server.get("/v1/settings/branding", viewer).await;
    assert_eq!(unset.status, 200, "{unset:?}");
    assert_eq!(
        unset.body,
        json!({"display_name": null, "accent_colour": null, "logo": null, "updated_at": null})
    );
    let agent = server.new_agent(server.admin(), "triage-agent").await;
    let before = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await;
    assert_eq!(before.status, 201, "{before:?}");

    let body = branding("Acme Security", "#0B5394", LOGO);
    let refused = server
        .call("PUT", "/v1/settings/branding", Some(viewer), Some(&body))
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let set = server
        .call(
            "PUT",
            "/v1/settings/branding",
            Some(server.admin()),
            Some(&body),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["display_name"], "Acme Security");
    assert_eq!(set.body["accent_colour"], "#0b5394", "kept in lower case");
    assert_eq!(set.body["logo"]["media_type"], "image/svg+xml");
    assert_eq!(set.body["logo"]["href"], "/v1/settings/branding/logo");
    let read = server.get("/v1/settings/branding", viewer).await;
    assert_eq!(read.body, set.body);

    let logo = server
        .raw(
            "GET",
            "/v1/settings/branding/logo",
            &[("Authorization", &format!("Bearer {viewer}"))],
            Vec::new(),
        )
        .await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.headers["content-type"], "image/svg+xml");
    assert_eq!(logo.headers["x-content-type-options"], "nosniff");
    assert!(logo.headers["content-security-policy"].contains("sandbox"));
    let served = server
        .raw_bytes(
            "GET",
            "/v1/settings/branding/logo",
            &format!("Bearer {viewer}"),
        )
        .await;
    let served = String::from_utf8(served).unwrap();
    assert!(
        served.contains("#0b5394") && served.starts_with("<svg"),
        "{served}"
    );
    assert_eq!(
        set.body["logo"]["bytes"].as_u64(),
        Some(served.len() as u64)
    );

    let after = server
        .post(
            "/v1/compliance",
            server.admin(),
            &json!({"agent_id": agent}),
        )
        .await;
    assert_eq!(after.status, 201, "{after:?}");
    let pdf = |id: &Value| format!("/v1/compliance/{}/pdf", id.as_str().unwrap());
    let auth = format!("Bearer {}", server.admin());
    let branded = text_of(
        &server
            .raw_bytes("GET", &pdf(&after.body["id"]), &auth)
            .await,
    );
    assert!(
        branded.contains("Acme Security (account acme)"),
        "the title page names the org as it asked: {branded}"
    );
    assert!(branded.contains("Acme Security · triage-agent · compliance package v2"));
    let earlier = text_of(
        &server
            .raw_bytes("GET", &pdf(&before.body["id"]), &auth)
            .await,
    );
    assert!(
        !earlier.contains("Acme Security"),
        "a package's PDF keeps the branding it was rendered with"
    );

    // Another org has its own, unset; and the logo is not there for it.
    let globex = &server.globex[&Role::Admin];
    let theirs = server.get("/v1/settings/branding", globex).await;
    assert_eq!(theirs.body["display_name"], Value::Null);
    let none = server.get("/v1/settings/branding/logo", globex).await;
    none.assert_error(404, 5, "logo");

    // A replacement unsets what it leaves out.
    let cleared = server
        .call(
            "PUT",
            "/v1/settings/branding",
            Some(server.admin()),
            Some(&json!({"display_name": "Acme"})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(
        (&cleared.body["accent_colour"], &cleared.body["logo"]),
        (&Value::Null, &Value::Null)
    );
}

#[actix_rt::test]
async fn a_bad_branding_is_refused_with_its_reason_and_changes_nothing() {
    let server = Server::start().await;
    let set = server
        .call(
            "PUT",
            "/v1/settings/branding",
            Some(server.admin()),
            Some(&branding("Acme Security", "#0b5394", LOGO)),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    let svg = |inner: &str| {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{inner}</svg>"#)
    };
    let logo = |media_type: &str, bytes: &[u8]| json!({"logo": {"media_type": media_type, "data": base64(bytes)}});
    for (body, status, says) in [
        (
            json!({"accent_colour": "#ffcc00"}),
            422,
            "contrast of 1.51:1",
        ),
        (json!({"accent_colour": "blue"}), 422, "#rrggbb"),
        (json!({"display_name": " "}), 422, "display_name"),
        (json!({"display_name": "x".repeat(121)}), 422, "1 to 120"),
        (
            json!({"display_name": "a\u{7}b"}),
            422,
            "control characters",
        ),
        (
            json!({"display_name": "Acme \u{202e}ytiruceS"}),
            422,
            "bidirectional",
        ),
        (json!({"colour": "#000000"}), 400, "unknown field"),
        (
            logo("image/svg+xml", svg("<script>alert(1)</script>").as_bytes()),
            422,
            "has a script",
        ),
        (
            logo("image/svg+xml", svg("<text>ACME</text>").as_bytes()),
            422,
            "convert it to paths",
        ),
        (
            logo(
                "image/svg+xml",
                svg(r#"<image href="https://example.com/logo.png"/>"#).as_bytes(),
            ),
            422,
            "embeds or links an image",
        ),
        (logo("image/png", b"not a png"), 422, "not a PNG"),
        (logo("image/gif", b"GIF89a"), 422, "neither image/png"),
        (
            logo("image/png", &vec![0; 256 * 1024 + 1]),
            422,
            "at most 262144",
        ),
        (
            json!({"logo": {"media_type": "image/png", "data": "%%%"}}),
            422,
            "not base64",
        ),
    ] {
        let refused = server
            .call(
                "PUT",
                "/v1/settings/branding",
                Some(server.admin()),
                Some(&body),
            )
            .await;
        assert_eq!(refused.status, status, "{body}: {refused:?}");
        assert!(
            refused.body["message"].as_str().unwrap().contains(says),
            "{body}: {refused:?}"
        );
    }
    let kept = server.get("/v1/settings/branding", server.admin()).await;
    assert_eq!(kept.body, set.body, "nothing refused was stored");
}

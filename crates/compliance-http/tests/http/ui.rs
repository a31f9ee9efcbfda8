//! The pages under /ui over real HTTP: signing in keeps the token in a strict `HttpOnly`
//! cookie, state-changing forms need the session's CSRF token, roles and other orgs answer as the
//! API does (as HTML pages), and what the trail says is escaped. The browser suite
//! (tests/browser) checks the same pages in Chromium.

use compliance_store::Role;
use serde_json::json;

use crate::support::*;

/// A page's answer: status, every `Set-Cookie`, the other headers, and the body as text.
#[derive(Debug)]
struct Page {
    status: u16,
    cookies: Vec<String>,
    location: Option<String>,
    content_type: String,
    csp: Option<String>,
    body: String,
}

async fn page(server: &Server, method: &str, path: &str, cookies: &str, form: &str) -> Page {
    // Redirects are what these tests look at, so none is followed.
    let client = awc::Client::builder().disable_redirects().finish();
    let mut request = client
        .request(method.parse().unwrap(), format!("{}{path}", server.base))
        .timeout(PATIENCE);
    if !cookies.is_empty() {
        request = request.insert_header(("Cookie", cookies));
    }
    let mut response = if method == "POST" {
        request
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .send_body(form.to_owned())
            .await
            .unwrap()
    } else {
        request.send().await.unwrap()
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, content_type, csp) = (
        header("location"),
        header("content-type").unwrap_or_default(),
        header("content-security-policy"),
    );
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = response.body().limit(16 << 20).await.unwrap();
    Page {
        status: response.status().as_u16(),
        cookies,
        location,
        content_type,
        csp,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The value a `Set-Cookie` of `page` gives `name`.
fn cookie<'a>(page: &'a Page, name: &str) -> Option<&'a str> {
    page.cookies.iter().find_map(|c| {
        let value = c.strip_prefix(&format!("{name}="))?;
        Some(value.split(';').next().unwrap_or_default())
    })
}

/// Signs in with `token`; the `Cookie` header the session's requests carry, and its CSRF token.
async fn signed_in(server: &Server, token: &str) -> (String, String) {
    let form = page(server, "GET", "/ui/login", "", "").await;
    let csrf = cookie(&form, CSRF).unwrap().to_owned();
    let answer = page(
        server,
        "POST",
        "/ui/login",
        &format!("{CSRF}={csrf}"),
        &format!("csrf={csrf}&token={token}"),
    )
    .await;
    assert_eq!(answer.status, 303, "{answer:?}");
    let cookies = format!("{SESSION}={}", cookie(&answer, SESSION).unwrap());
    let agents = page(server, "GET", "/ui", &cookies, "").await;
    (cookies, form_token(&agents.body))
}

/// The CSRF token a page's forms carry.
fn form_token(body: &str) -> String {
    let field = body
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .unwrap_or_else(|| panic!("a form with a CSRF token: {body}"));
    field.split('"').next().unwrap().to_owned()
}

const SESSION: &str = "compliance_session";
const CSRF: &str = "compliance_csrf";

async fn versions(server: &Server, agent: &str) -> u64 {
    let listed = server
        .get(&format!("/v1/compliance?agent_id={agent}"), server.admin())
        .await;
    listed.body["total"].as_u64().unwrap()
}

#[actix_rt::test]
async fn signing_in_keeps_the_token_in_a_strict_http_only_cookie() {
    let server = Server::start().await;
    let away = page(&server, "GET", "/ui", "", "").await;
    assert_eq!(
        (away.status, away.location.as_deref()),
        (303, Some("/ui/login"))
    );

    let form = page(&server, "GET", "/ui/login", "", "").await;
    assert_eq!(form.status, 200);
    assert!(form.content_type.starts_with("text/html"), "{form:?}");
    let csp = form.csp.as_deref().unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let set = form.cookies.iter().find(|c| c.starts_with(CSRF)).unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(set.contains(attribute), "{set} has {attribute}");
    }
    let csrf = cookie(&form, CSRF).unwrap().to_owned();
    assert!(form.body.contains(&format!("value=\"{csrf}\"")));

    // The form's token must be the cookie's: a form from elsewhere signs nobody in.
    let forged = page(
        &server,
        "POST",
        "/ui/login",
        &format!("{CSRF}={csrf}"),
        &format!("csrf={}&token={}", "0".repeat(64), server.admin()),
    )
    .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    assert!(cookie(&forged, SESSION).is_none());
    assert!(forged.body.contains("expired"), "{}", forged.body);

    let wrong = page(
        &server,
        "POST",
        "/ui/login",
        &format!("{CSRF}={csrf}"),
        &format!("csrf={csrf}&token=nope"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.content_type.starts_with("text/html"),
        "a page, not JSON"
    );
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    assert!(cookie(&wrong, SESSION).is_none());

    let answer = page(
        &server,
        "POST",
        "/ui/login",
        &format!("{CSRF}={csrf}"),
        &format!("csrf={csrf}&token={}", server.admin()),
    )
    .await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/ui"))
    );
    let session = answer
        .cookies
        .iter()
        .find(|c| c.starts_with(SESSION))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(session.contains(attribute), "{session} has {attribute}");
    }
    // The sign-in token is done with; the session's forms carry a token of the session's own.
    assert_eq!(cookie(&answer, CSRF), Some(""), "{:?}", answer.cookies);
    let (cookies, csrf) = signed_in(&server, server.admin()).await;
    assert_ne!(csrf, form_token(&form.body));
    let (_, other) = signed_in(&server, &server.acme[&Role::Auditor]).await;
    assert_ne!(csrf, other, "each session's token is its own");
    let agents = page(&server, "GET", "/ui", &cookies, "").await;
    assert_eq!(agents.status, 200);
    assert!(agents.body.contains("signed in as admin"));
    // Signing out needs the session's token too, and forgets both cookies.
    let wrong_method = page(&server, "GET", "/ui/logout", &cookies, "").await;
    assert_eq!(wrong_method.status, 405);
    assert!(
        wrong_method.content_type.starts_with("text/html"),
        "{wrong_method:?}"
    );
    let kept = page(&server, "POST", "/ui/logout", &cookies, "csrf=nope").await;
    assert_eq!(kept.status, 403);
    let out = page(
        &server,
        "POST",
        "/ui/logout",
        &cookies,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(
        (out.status, out.location.as_deref()),
        (303, Some("/ui/login"))
    );
    assert!(
        out.cookies
            .iter()
            .any(|c| c.starts_with(&format!("{SESSION}=;")) && c.contains("Max-Age=0")),
        "{:?}",
        out.cookies
    );
}

#[actix_rt::test]
async fn pages_refuse_what_the_role_may_not_and_other_orgs_ids_are_404() {
    let server = Server::start().await;
    let id = server.new_agent(server.admin(), "paged-agent").await;
    let generate = format!("/ui/agents/{id}/generate");

    let (viewer, csrf) = signed_in(&server, &server.acme[&Role::Viewer]).await;
    let read = page(&server, "GET", &format!("/ui/agents/{id}"), &viewer, "").await;
    assert_eq!(read.status, 200);
    assert!(
        !read.body.contains("Generate a new package"),
        "no button for a viewer"
    );
    let refused = page(&server, "POST", &generate, &viewer, &format!("csrf={csrf}")).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.content_type.starts_with("text/html"));
    assert!(
        refused.body.contains("viewer role may not"),
        "{}",
        refused.body
    );
    assert_eq!(versions(&server, &id).await, 0);

    let (auditor, csrf) = signed_in(&server, &server.acme[&Role::Auditor]).await;
    let forged = page(&server, "POST", &generate, &auditor, "csrf=forged").await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        versions(&server, &id).await,
        0,
        "a forged form generates nothing"
    );
    let made = page(
        &server,
        "POST",
        &generate,
        &auditor,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(made.status, 303, "{made:?}");
    assert_eq!(versions(&server, &id).await, 1);
    let package = made.location.unwrap();
    let shown = page(&server, "GET", &package, &auditor, "").await;
    assert_eq!(shown.status, 200);
    assert!(
        shown
            .body
            .contains("paged-agent: compliance package, version 1")
    );

    let (outsider, _) = signed_in(&server, &server.globex[&Role::Admin]).await;
    for path in [
        format!("/ui/agents/{id}"),
        package.clone(),
        format!("{package}/pdf"),
        format!("{package}/json"),
        format!(
            "{package}/diff?against={}",
            package.rsplit('/').next().unwrap()
        ),
    ] {
        let hidden = page(&server, "GET", &path, &outsider, "").await;
        assert_eq!(hidden.status, 404, "{path}: {hidden:?}");
        assert!(hidden.content_type.starts_with("text/html"), "{path}");
    }
    let missing = page(&server, "GET", "/ui/nowhere", &outsider, "").await;
    assert_eq!(missing.status, 404);
    let bad = page(&server, "GET", "/ui/agents/not-a-uuid", &outsider, "").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("agent_id"), "{}", bad.body);
}

#[actix_rt::test]
async fn a_page_escapes_what_the_agent_and_its_connectors_say() {
    let server = Server::start().await;
    let hostile = "<script>alert(1)</script>";
    let id = server.new_agent(server.admin(), hostile).await;
    let connector = json!({"agent_id": id, "connector_type": "x\"><img src=x onerror=alert(2)>",
                           "vendor": "V&W", "purpose": "p", "data_categories": ["<b>"], "region": "r"});
    assert_eq!(
        server
            .post("/v1/connectors", server.admin(), &connector)
            .await
            .status,
        201
    );
    let package = server
        .post("/v1/compliance", server.admin(), &json!({"agent_id": id}))
        .await;
    let package = package.body["id"].as_str().unwrap().to_owned();
    let (cookies, _) = signed_in(&server, server.admin()).await;
    for path in [
        "/ui".to_owned(),
        format!("/ui/agents/{id}"),
        format!("/ui/packages/{package}"),
    ] {
        let shown = page(&server, "GET", &path, &cookies, "").await;
        assert_eq!(shown.status, 200, "{path}");
        assert!(!shown.body.contains("<script>"), "{path} runs no script");
        assert!(!shown.body.contains("<img"), "{path} adds no element");
        assert!(
            shown.body.contains("&#60;script&#62;") || shown.body.contains("&lt;script&gt;"),
            "{path}"
        );
    }
    let svg = page(
        &server,
        "GET",
        &format!("/ui/packages/{package}"),
        &cookies,
        "",
    )
    .await;
    assert!(svg.body.contains("<svg"), "the diagram is inline");
    assert!(
        svg.body.contains("V&#38;W") || svg.body.contains("V&amp;W"),
        "its text is escaped"
    );
}

#[actix_rt::test]
async fn signing_out_clears_a_revoked_tokens_session_and_its_pages_close() {
    let server = Server::start().await;
    let org = server.db.store.ensure_organization("acme").await.unwrap();
    let issued = server
        .db
        .store
        .issue_token(org.id, Role::Viewer)
        .await
        .unwrap();
    let (cookies, csrf) = signed_in(&server, &issued.secret).await;
    server.db.store.revoke_token(issued.id).await.unwrap();
    // The revocation is heard, or the cached token expires: either way the pages close.
    let mut closed = false;
    for _ in 0..100 {
        let read = page(&server, "GET", "/ui", &cookies, "").await;
        if read.status == 303 {
            closed = true;
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(closed, "a revoked token's session ends");
    let out = page(
        &server,
        "POST",
        "/ui/logout",
        &cookies,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(cookie(&out, SESSION), Some(""), "{:?}", out.cookies);
}

#[actix_rt::test]
async fn the_pages_wear_the_orgs_branding_and_only_its_own() {
    let server = Server::start().await;
    let (cookies, _) = signed_in(&server, server.admin()).await;
    let plain = page(&server, "GET", "/ui", &cookies, "").await;
    assert!(
        !plain.body.contains("/ui/branding"),
        "unset, the frame is plain"
    );
    let logo = r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20" fill="#0b5394"/></svg>"##;
    let set = server
        .call(
            "PUT",
            "/v1/settings/branding",
            Some(server.admin()),
            Some(&json!({
                "display_name": "Acme <Security>",
                "accent_colour": "#0b5394",
                "logo": {"media_type": "image/svg+xml",
                         "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, logo)},
            })),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    let branded = page(&server, "GET", "/ui", &cookies, "").await;
    assert!(
        branded
            .body
            .contains("Acme &#60;Security&#62; · Compliance evidence"),
        "the display name, escaped: {}",
        branded.body
    );
    assert!(branded.body.contains(r#"<img src="/ui/branding/logo""#));
    assert!(branded.body.contains(r#"href="/ui/branding.css""#));
    let css = page(&server, "GET", "/ui/branding.css", &cookies, "").await;
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"));
    assert_eq!(css.body.trim(), ":root { --accent: #0b5394; }");
    let image = page(&server, "GET", "/ui/branding/logo", &cookies, "").await;
    assert_eq!(
        (image.status, image.content_type.as_str()),
        (200, "image/svg+xml")
    );
    assert!(image.csp.is_some_and(|csp| csp.contains("sandbox")));

    // Another org's session sees its own frame, and no logo.
    let (theirs, _) = signed_in(&server, &server.globex[&Role::Viewer]).await;
    let other = page(&server, "GET", "/ui", &theirs, "").await;
    assert!(!other.body.contains("Acme"), "{}", other.body);
    let none = page(&server, "GET", "/ui/branding/logo", &theirs, "").await;
    assert_eq!(none.status, 404);
    assert!(none.content_type.starts_with("text/html"));
    // Without a session, neither is served.
    let anonymous = page(&server, "GET", "/ui/branding.css", "", "").await;
    assert_eq!(anonymous.status, 303);
}

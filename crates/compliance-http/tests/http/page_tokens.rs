//! Page tokens are sealed (XChaCha20-Poly1305, bound to the org and the listing): they reveal no
//! position, cannot be altered, and are refused for another org or another listing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use compliance_store::Role;
use serde_json::json;

use crate::support::*;

const ASSETS: &str = "/archivist/v2/assets";
const NOT_OURS: &str = "page_token: not a token this server issued";

/// A server whose two orgs have three assets each; acme's first page token (page size 1).
async fn acme_token() -> (Server, String) {
    let server = Server::start().await;
    for tokens in [&server.acme, &server.globex] {
        for n in 0..3 {
            let body = json!({"attributes": {"arc_display_type": "Light", "n": n.to_string()}});
            let created = server.post(ASSETS, &tokens[&Role::Admin], &body).await;
            assert_eq!(created.status, 200, "{created:?}");
        }
    }
    let first = server
        .get(&format!("{ASSETS}?page_size=1"), server.admin())
        .await;
    let token = first.body["next_page_token"].as_str().unwrap().to_owned();
    assert!(!token.is_empty(), "{first:?}");
    (server, token)
}

fn next_page(token: &str) -> String {
    format!("{ASSETS}?page_token={token}")
}

#[actix_rt::test]
async fn a_page_token_of_one_org_is_refused_for_another() {
    let (server, token) = acme_token().await;
    let own = server.get(&next_page(&token), server.admin()).await;
    assert_eq!(own.status, 200, "{own:?}");
    assert_eq!(own.body["assets"].as_array().unwrap().len(), 1);
    for role in Role::ALL {
        server
            .get(&next_page(&token), &server.globex[&role])
            .await
            .assert_error(400, 3, NOT_OURS);
    }
}

#[actix_rt::test]
async fn a_page_token_shows_nothing_in_clear() {
    let (server, token) = acme_token().await;
    let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
    let text = String::from_utf8_lossy(&bytes);
    for field in ["after_seq", "page_size", "attributes", "Light"] {
        assert!(!text.contains(field), "{field} in clear: {text:?}");
    }
    // A fresh nonce each time: the same page never reads the same twice.
    let again = server
        .get(&format!("{ASSETS}?page_size=1"), server.admin())
        .await;
    assert_ne!(again.body["next_page_token"], token.as_str());
}

#[actix_rt::test]
async fn an_altered_page_token_is_refused() {
    let (server, token) = acme_token().await;
    let mut altered = Vec::new();
    for at in [0, token.len() / 2, token.len() - 2] {
        let mut chars: Vec<char> = token.chars().collect();
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        altered.push(chars.into_iter().collect::<String>());
    }
    altered.push(token[..token.len() - 4].to_owned());
    altered.push(format!("{token}AAAA"));
    altered
        .push(URL_SAFE_NO_PAD.encode(
            br#"{"attributes": {}, "unconfirmed": false, "after_seq": 0, "page_size": 1}"#,
        ));
    for forged in altered {
        server
            .get(&next_page(&forged), server.admin())
            .await
            .assert_error(400, 3, NOT_OURS);
    }
}

#[actix_rt::test]
async fn a_page_token_of_one_listing_is_refused_by_another() {
    let (server, token) = acme_token().await;
    for listing in [
        "/archivist/v1/compliance_policies",
        "/archivist/v2/assets/-/events",
    ] {
        server
            .get(&format!("{listing}?page_token={token}"), server.admin())
            .await
            .assert_error(400, 3, NOT_OURS);
    }
}

#[actix_rt::test]
async fn servers_sharing_the_database_accept_each_others_page_tokens() {
    let (server, token) = acme_token().await;
    let other = serve(server.db.store.clone()).await;
    let next = awc::Client::default()
        .get(format!("{other}{}", next_page(&token)))
        .insert_header(("Authorization", format!("Bearer {}", server.admin())))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200);
}

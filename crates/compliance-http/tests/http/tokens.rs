//! Bearer tokens and the cache in front of them: a revocation reaches every server sharing the
//! database at once (LISTEN/NOTIFY), and a server that cannot hear revocations caches nothing.

use std::time::{Duration, Instant};

use actix_web::web;
use compliance_http::paging::PAGE_TOKEN_SECRET;
use compliance_http::{AppState, TokenCache, follow_revocations};
use compliance_store::testing::TestDb;
use compliance_store::{IssuedToken, Role};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::proxy::Proxy;
use crate::support::*;

const PATH: &str = "/archivist/v1/compliance_policies";

/// One server's app, its cache kept an hour, listening for revocations on `listen_url`.
struct Instance {
    state: web::Data<AppState>,
    base: String,
    client: awc::Client,
}

impl Instance {
    async fn start(db: &TestDb, listen_url: &str) -> Self {
        let page_key = db.store.server_secret(PAGE_TOKEN_SECRET).await.unwrap();
        // An hour: no entry expires during a test, so only what the cache hears evicts one.
        let tokens = TokenCache::with_ttl(Duration::from_secs(3600));
        let state = AppState::with_tokens(db.store.clone(), page_key, KEY_SEALING_KEY, tokens);
        actix_rt::spawn(follow_revocations(state.clone(), listen_url.to_owned()));
        let base = serve_state(state.clone());
        let instance = Self {
            state,
            base,
            client: awc::Client::builder().timeout(PATIENCE).finish(),
        };
        instance.until_listening(true).await;
        instance
    }

    async fn status(&self, token: &str) -> u16 {
        self.client
            .get(format!("{}{PATH}", self.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Waits, within [`PATIENCE`], for the listener to be connected (or not).
    async fn until_listening(&self, listening: bool) {
        let deadline = Instant::now() + PATIENCE;
        while self.state.tokens.is_listening() != listening {
            assert!(
                Instant::now() < deadline,
                "listening never became {listening}"
            );
            actix_rt::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Asks with `token` until it is refused, within [`PATIENCE`]: a notification takes a
    /// moment to arrive.
    async fn until_refused(&self, token: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let status = self.status(token).await;
            if status == 401 {
                return;
            }
            assert_eq!(status, 200);
            assert!(
                Instant::now() < deadline,
                "the revoked token is still served"
            );
            actix_rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn viewer(db: &TestDb) -> IssuedToken {
    let org = db.store.ensure_organization("acme").await.unwrap();
    db.store.issue_token(org.id, Role::Viewer).await.unwrap()
}

/// Raw SQL as the schema owner.
async fn sql(db: &TestDb, statement: &str) {
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    conn.batch_execute(statement).await.unwrap();
}

/// Revokes in SQL, bypassing `Store::revoke_token`, so no notification is sent: only a token
/// served from a cache still works afterwards.
async fn revoke_unannounced(db: &TestDb, token: Uuid) {
    sql(
        db,
        &format!("UPDATE api_tokens SET revoked = true WHERE id = '{token}'"),
    )
    .await;
}

#[actix_rt::test]
async fn a_revocation_on_one_server_is_heard_by_the_other_at_once() {
    let db = TestDb::new().await;
    let (a, b) = (
        Instance::start(&db, &db.url).await,
        Instance::start(&db, &db.url).await,
    );
    let token = viewer(&db).await;
    let cached = viewer(&db).await;
    for server in [&a, &b] {
        assert_eq!(server.status(&token.secret).await, 200);
        assert_eq!(server.status(&cached.secret).await, 200);
    }
    // Both serve from their caches: a revocation nobody announced goes unnoticed there.
    revoke_unannounced(&db, cached.id).await;
    assert_eq!(a.status(&cached.secret).await, 200);
    assert_eq!(b.status(&cached.secret).await, 200);

    db.store.revoke_token(token.id).await.unwrap();
    b.until_refused(&token.secret).await;
    a.until_refused(&token.secret).await;
    // The other cached token was not evicted with it.
    assert_eq!(b.status(&cached.secret).await, 200);
}

#[actix_rt::test]
async fn a_server_whose_listener_is_down_serves_nothing_from_its_cache() {
    let db = TestDb::new().await;
    let proxy = Proxy::to(&db.url);
    let server = Instance::start(&db, &proxy.url).await;
    let missed = viewer(&db).await;
    let unannounced = viewer(&db).await;
    let live = viewer(&db).await;
    for token in [&missed, &unannounced, &live] {
        assert_eq!(server.status(&token.secret).await, 200);
    }
    revoke_unannounced(&db, unannounced.id).await;
    assert_eq!(server.status(&unannounced.secret).await, 200, "cached");

    proxy.cut();
    server.until_listening(false).await;
    // Its notification can reach nobody: the listener is down and cannot reconnect.
    db.store.revoke_token(missed.id).await.unwrap();
    assert_eq!(server.status(&missed.secret).await, 401);
    assert_eq!(server.status(&unannounced.secret).await, 401);
    // Authenticated against the database each time, and not cached meanwhile.
    assert_eq!(server.status(&live.secret).await, 200);
    revoke_unannounced(&db, live.id).await;
    assert_eq!(server.status(&live.secret).await, 401);

    // Back: it caches again, and hears revocations again.
    proxy.restore();
    server.until_listening(true).await;
    let again = viewer(&db).await;
    assert_eq!(server.status(&again.secret).await, 200);
    db.store.revoke_token(again.id).await.unwrap();
    server.until_refused(&again.secret).await;
}

#[actix_rt::test]
async fn an_unknown_token_is_never_cached() {
    let db = TestDb::new().await;
    let server = Instance::start(&db, &db.url).await;
    let secret = format!("cst_{}", "ab".repeat(32));
    assert_eq!(server.status(&secret).await, 401);
    // The same secret becomes a token (as issuing one would make it): the 401 was not kept.
    let org = db.store.ensure_organization("acme").await.unwrap();
    let hash: String = Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    sql(
        &db,
        &format!(
            "INSERT INTO api_tokens (org_id, id, secret_sha256, role) \
             VALUES ('{}', '{}', '\\x{hash}', 'viewer')",
            org.id,
            Uuid::new_v4()
        ),
    )
    .await;
    assert_eq!(server.status(&secret).await, 200);
}

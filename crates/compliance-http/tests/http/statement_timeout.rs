//! A statement that runs past the store's `statement_timeout` is cancelled by PostgreSQL, and the
//! request answers 503 with Retry-After in the error shape, having written nothing.

use std::cell::Cell;
use std::time::Duration;

use compliance_store::STATEMENT_TIMEOUT;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;

use crate::support::*;

/// Tenant sessions of this test's database waiting for a lock (read afresh on each call:
/// outside a transaction, pg_stat_activity is no snapshot).
async fn waiting_on_a_lock(watcher: &tokio_postgres::Client) -> i64 {
    watcher
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND usename = 'compliance_app' \
             AND wait_event_type = 'Lock'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[actix_rt::test]
async fn a_statement_past_the_timeout_is_503_with_retry_after_and_writes_nothing() {
    let server = Server::start().await;
    let created = server
        .post("/v1/agents", server.admin(), &json!({"name": "before"}))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    // Every tenant session runs under the store's timeout (10 s; a constant, not configurable).
    let org = server.db.store.ensure_organization("acme").await.unwrap();
    let mut tenant = server.db.store.tenant(org.id).await.unwrap();
    let setting = tenant.setting("statement_timeout").await.unwrap();
    tenant.commit().await.unwrap();
    assert_eq!(setting, format!("{}s", STATEMENT_TIMEOUT.as_secs()));

    // The schema owner holds the agents table in an open transaction: every request that reads
    // or writes it waits on the lock until its statement times out.
    let mut holder = AsyncPgConnection::establish(&server.db.url).await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE agents IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let (watcher, connection) = tokio_postgres::connect(&server.db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_rt::spawn(connection);
    let answered = Cell::new(false);
    let blocked = json!({"name": "blocked"});
    let requests = async {
        let answers = tokio::join!(
            server.get("/v1/agents", server.admin()),
            server.post("/v1/agents", server.admin(), &blocked),
        );
        answered.set(true);
        answers
    };
    // Seen blocked on the lock (not failing for another reason) while they wait.
    let watch = async {
        let mut most = 0;
        while !answered.get() {
            most = most.max(waiting_on_a_lock(&watcher).await);
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
        most
    };
    let ((read, write), most_waiting) = tokio::join!(requests, watch);
    assert_eq!(most_waiting, 2, "both requests waited on the lock");
    for reply in [&read, &write] {
        reply.assert_error(503, 14, "the database is unavailable; retry shortly");
        assert_eq!(
            reply.headers.get("retry-after").map(String::as_str),
            Some("2"),
            "{reply:?}"
        );
    }

    holder.batch_execute("ROLLBACK").await.unwrap();
    let listed = server.get("/v1/agents", server.admin()).await;
    assert_eq!(listed.status, 200, "the server serves again: {listed:?}");
    let names: Vec<_> = listed.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["before"], "the timed-out write left nothing behind");
}

//! Token revocations heard at once by every server sharing the database: the revoking
//! transaction sends `NOTIFY`, and each server LISTENs on a connection of its own (a pooled one
//! would stop listening when it went back to the pool).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls, Socket};
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// The channel a revocation is announced on; the payload is the token's id.
pub const CHANNEL: &str = "compliance_token_revoked";
/// The listener's `application_name`, to find it in `pg_stat_activity`.
pub const LISTENER_NAME: &str = "compliance-revocations";
/// How often the listener checks that its session still answers: a dead peer that never
/// closed the socket is found within this and [`CHECK_TIMEOUT`].
const CHECK_EVERY: Duration = Duration::from_secs(10);
/// How long connecting, or a check, may take before the connection counts as lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// The first wait before reconnecting, doubled after each failure up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// What the listener hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// LISTEN is in effect: every revocation committed from now on will be heard.
    Listening,
    /// A token was revoked; `None` when the payload is not a token id (a NOTIFY sent by hand).
    Revoked(Option<Uuid>),
    /// The connection is gone: revocations go unheard until the next `Listening`.
    Lost,
}

/// Announces the revocation of `token` inside the revoking transaction: PostgreSQL delivers
/// the notification only if that transaction commits.
pub(crate) async fn announce(conn: &mut AsyncPgConnection, token: Uuid) -> StoreResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(token.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Listens for revocations on a connection of its own to `owner_url` for as long as it is
/// polled, telling `hear` what it hears, and reconnects with backoff after a loss. Returns only
/// if `owner_url` is not a connection string.
pub async fn follow(owner_url: &str, mut hear: impl FnMut(Heard)) -> StoreResult<Infallible> {
    let mut config: Config = owner_url
        .parse()
        .map_err(|e| StoreError::Invalid(format!("the database URL: {e}")))?;
    config
        .application_name(LISTENER_NAME)
        .connect_timeout(CHECK_TIMEOUT);
    let mut retry = FIRST_RETRY;
    loop {
        let mut listened = false;
        let lost = listen(&config, &mut hear, &mut listened).await;
        hear(Heard::Lost);
        // A connection that did listen starts the backoff afresh.
        if listened {
            retry = FIRST_RETRY;
        }
        tracing::warn!(error = %lost, ?retry, "token revocations unheard: reconnecting");
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// One connection's life: LISTEN, then relay notifications and check the session until it
/// fails; the failure.
async fn listen(config: &Config, hear: &mut impl FnMut(Heard), listened: &mut bool) -> StoreError {
    let (client, mut connection) = match connect(config).await {
        Ok(connected) => connected,
        Err(error) => return error,
    };
    if let Err(error) = relay(&mut connection, subscribe(&client), hear).await {
        return error;
    }
    *listened = true;
    hear(Heard::Listening);
    tracing::info!("listening for token revocations");
    loop {
        let check = async {
            tokio::time::sleep(CHECK_EVERY).await;
            subscribe(&client).await
        };
        if let Err(error) = relay(&mut connection, check, hear).await {
            return error;
        }
    }
}

async fn connect(config: &Config) -> StoreResult<(Client, Connection<Socket, NoTlsStream>)> {
    tokio::time::timeout(CHECK_TIMEOUT, config.connect(NoTls))
        .await
        .map_err(|_| StoreError::Unavailable("connecting timed out".to_owned()))?
        .map_err(unavailable)
}

/// LISTEN, within [`CHECK_TIMEOUT`]; again on a session that listens already is a no-op that
/// proves it still answers.
async fn subscribe(client: &Client) -> StoreResult<()> {
    tokio::time::timeout(
        CHECK_TIMEOUT,
        client.batch_execute(&format!("LISTEN {CHANNEL}")),
    )
    .await
    .map_err(|_| StoreError::Unavailable("LISTEN timed out".to_owned()))?
    .map_err(unavailable)
}

/// Runs `work` while relaying the connection's notifications to `hear` (the connection makes
/// progress only while it is polled); fails when either fails.
async fn relay(
    connection: &mut Connection<Socket, NoTlsStream>,
    work: impl Future<Output = StoreResult<()>>,
    hear: &mut impl FnMut(Heard),
) -> StoreResult<()> {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            message = poll_fn(|cx| connection.poll_message(cx)) => match message {
                Some(Ok(AsyncMessage::Notification(note))) => {
                    hear(Heard::Revoked(note.payload().parse().ok()));
                }
                // A notice: nothing to do with revocations.
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(unavailable(error)),
                None => return Err(StoreError::Unavailable("the connection closed".to_owned())),
            },
        }
    }
}

fn unavailable(error: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

//! `compliance-server`: serves the API, migrates, and manages tokens. Thin: the work lives in
//! the `compliance-*` crates.

mod database;
mod demo;
mod key_sealing;
mod private_file;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::middleware::from_fn;
use actix_web::web;
use clap::{Parser, Subcommand};
use compliance_http::paging::PAGE_TOKEN_SECRET;
use compliance_http::{
    AppState, catch_panics, configure, error_shape, follow_revocations, refuse_nul_in_query,
};
use compliance_store::{Role, Store};
use tracing_actix_web::TracingLogger;
use uuid::Uuid;

use crate::database::Database;

#[derive(Debug, Parser)]
#[command(name = "compliance-server", version, about)]
struct Cli {
    /// Where the embedded database and the first admin token live.
    #[arg(
        long,
        env = "COMPLIANCE_DATA_DIR",
        default_value = "./var",
        global = true
    )]
    data_dir: PathBuf,
    /// An existing PostgreSQL to use instead of the embedded one.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// The file holding the key that seals the orgs' signing keys (made if missing); keep it
    /// outside the database and its backups. Default: `<data dir>/key-sealing-key`.
    #[arg(long, env = "COMPLIANCE_KEY_SEALING_KEY_FILE", global = true)]
    key_sealing_key_file: Option<PathBuf>,
    /// The address to serve on.
    #[arg(
        long,
        env = "COMPLIANCE_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    listen: SocketAddr,
    /// The bearer token `GET /metrics` asks for; without one, it answers loopback clients only.
    #[arg(
        long,
        env = "COMPLIANCE_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    metrics_token: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Seed a demo org and agent, generate a compliance package (JSON and PDF in
    /// `<data dir>/demo/`), then serve.
    Demo,
    /// Create or revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token (and the org, if new); prints the secret alone on stdout.
    Create {
        #[arg(long)]
        org: String,
        /// admin, deployer, auditor or viewer.
        #[arg(long)]
        role: Role,
    },
    /// Revoke a token by its id.
    Revoke { token_id: Uuid },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match actix_web::rt::System::new().block_on(async { run(cli).await }) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(message) => message,
    };
    eprintln!("compliance-server: {runtime}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), String> {
    let database = Database::open(&cli.data_dir, cli.database_url.as_deref()).await?;
    // Opened, not just connected: a tenant role the owner cannot let in stops us here.
    let store = Store::open(database.url(), 16)
        .await
        .map_err(|e| e.to_string())?;
    let command = cli.command.unwrap_or(Command::Serve);
    // Only a server keeps its cluster up; a one-shot command leaves it as it found it.
    let supervisor = matches!(command, Command::Serve | Command::Demo)
        .then(|| database.supervise())
        .flatten();
    let key_sealing_key = || {
        let path = cli
            .key_sealing_key_file
            .clone()
            .unwrap_or_else(|| cli.data_dir.join("key-sealing-key"));
        key_sealing::load_or_create(&path)
    };
    match command {
        Command::Serve => {
            let state = state(store, key_sealing_key()?).await?;
            protect_metrics(&state, cli.metrics_token.clone());
            serve(&cli.data_dir, cli.listen, state, database.url()).await?;
        }
        Command::Migrate => eprintln!("migrations applied"),
        Command::Demo => {
            // The first start's admin token comes first, so `var/admin-token` exists either way.
            database::first_admin_token(&store, &cli.data_dir).await?;
            let state = state(store, key_sealing_key()?).await?;
            protect_metrics(&state, cli.metrics_token.clone());
            let demo = demo::run(&state, &cli.data_dir).await?;
            banner(&demo, cli.listen);
            serve(&cli.data_dir, cli.listen, state, database.url()).await?;
        }
        Command::Token(TokenCommand::Create { org, role }) => {
            let org = store
                .ensure_organization(&org)
                .await
                .map_err(|e| e.to_string())?;
            // The org's signing key is made with it (its first package would make it otherwise).
            let seal = compliance_store::signing::KeySeal::new(&key_sealing_key()?);
            store
                .transact(org.id, async |conn| {
                    compliance_store::signing::active(conn, &seal).await
                })
                .await
                .map_err(|e| format!("cannot make the org's signing key: {e}"))?;
            let token = store
                .issue_token(org.id, role)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "token {} for org {} ({}) with role {role}",
                token.id, org.name, org.id
            );
            println!("{}", token.secret);
        }
        Command::Token(TokenCommand::Revoke { token_id }) => {
            store.revoke_token(token_id).await.map_err(|e| match e {
                compliance_store::StoreError::NotFound => format!("no token {token_id}"),
                other => other.to_string(),
            })?;
            eprintln!("token {token_id} revoked");
        }
    }
    if let Some(supervisor) = supervisor {
        supervisor.abort();
    }
    database.close().await
}

fn banner(demo: &demo::Demo, listen: SocketAddr) {
    let base = format!("http://{listen}");
    let package = &demo.package;
    println!(
        "Demo: org \"demo\", agent triage-agent ({}), compliance package v{} ({})",
        demo.agent, package.version, package.id
    );
    println!("  content SHA-256 {}", package.content_sha256);
    println!("  JSON: {}", demo.json.display());
    println!("  PDF:  {}", demo.pdf.display());
    println!(
        "  signed attestation (DSSE): {}",
        demo.attestation.display()
    );
    println!();
    println!("Open {base}/ui and sign in with the token below: the auditor's pages.");
    println!("Try it (admin token for org \"demo\"):");
    println!("  export TOKEN={} BASE={base}", demo.token);
    println!(
        "  curl -s \"$BASE/v1/compliance?agent_id={}\" -H \"Authorization: Bearer $TOKEN\"",
        demo.agent
    );
    println!(
        "  curl -s \"$BASE/v1/audit?agent_id={}&limit=5\" -H \"Authorization: Bearer $TOKEN\"",
        demo.agent
    );
    println!(
        "  curl -s -X POST $BASE/v1/compliance -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{{\"agent_id\": \"{}\"}}'",
        demo.agent
    );
    println!(
        "  curl -s $BASE/v1/compliance/{}/pdf -H \"Authorization: Bearer $TOKEN\" -o package.pdf",
        package.id
    );
    println!(
        "  curl -s \"$BASE/archivist/v1/compliance/assets/{}\" -H \"Authorization: Bearer $TOKEN\"",
        demo.agent
    );
    println!(
        "  curl -s $BASE/v1/compliance/{}/attestation -H \"Authorization: Bearer $TOKEN\"",
        package.id
    );
    println!("  curl -s $BASE/v1/keys -H \"Authorization: Bearer $TOKEN\"");
    println!("Every call is described at $BASE/openapi.json, to try in a browser at $BASE/docs/");
    println!();
}

/// Removes expired idempotency keys once an hour, for as long as the server runs.
async fn purge_idempotency_keys(store: Store) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        match store
            .purge_idempotency_keys(time::OffsetDateTime::now_utc())
            .await
        {
            Ok(purged) => tracing::debug!(purged, "expired idempotency keys removed"),
            Err(error) => tracing::warn!(%error, "expired idempotency keys not removed"),
        }
    }
}

/// What every handler shares: the store, the page-token key, the key-sealing key.
async fn state(store: Store, key_sealing_key: [u8; 32]) -> Result<web::Data<AppState>, String> {
    let page_key = store
        .server_secret(PAGE_TOKEN_SECRET)
        .await
        .map_err(|e| format!("cannot read the page-token key: {e}"))?;
    Ok(AppState::new(store, page_key, key_sealing_key))
}

/// Asks `GET /metrics` for the operator's token, if one was given (an empty one is none).
fn protect_metrics(state: &AppState, token: Option<String>) {
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        state.metrics.protect(token);
    }
}

/// Serves on `listen`; `owner_url` is the database URL the store was opened with, for the
/// revocation listener's own connection.
async fn serve(
    data_dir: &std::path::Path,
    listen: SocketAddr,
    state: web::Data<AppState>,
    owner_url: &str,
) -> Result<(), String> {
    database::first_admin_token(&state.store, data_dir).await?;
    actix_web::rt::spawn(purge_idempotency_keys(state.store.clone()));
    let revocations = actix_web::rt::spawn(follow_revocations(state.clone(), owner_url.to_owned()));
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(error_shape())
            .wrap(from_fn(refuse_nul_in_query))
            .wrap(from_fn(catch_panics))
            .wrap(from_fn(compliance_http::metrics::record))
            .wrap(TracingLogger::default())
            .configure(configure(state.clone()))
    })
    .disable_signals()
    .shutdown_timeout(10)
    .bind(listen)
    .map_err(|e| format!("cannot listen on {listen}: {e}"))?
    .run();
    tracing::info!(%listen, "serving");
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        database::shutdown_signal().await;
        tracing::info!("shutting down");
        handle.stop(true).await;
    });
    let served = server.await.map_err(|e| e.to_string());
    // Stopped before the embedded cluster is, so that it does not try to reconnect.
    revocations.abort();
    served
}

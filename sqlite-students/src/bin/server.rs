//! `sqlite-students-server`: the `Alunos` table behind an HTTP JSON API.
//!
//! A thin wrapper: parse flags, open the database, bind, print
//! `listening on <addr>`, and serve until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use clap::Parser;
use sqlite_students::server::{self, DEFAULT_CONNECTIONS, Database};
use sqlite_students::{DEFAULT_DB, print_lines};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The Alunos database as an HTTP JSON API: GET, POST, PATCH and DELETE on /alunos.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::SQLITE_STUDENTS)]
    listen: String,
    /// The SQLite database file; created, with its table, if missing.
    #[arg(long, default_value = DEFAULT_DB)]
    db: PathBuf,
    /// How many SQLite connections to keep open at most.
    #[arg(long, default_value_t = DEFAULT_CONNECTIONS, value_name = "N")]
    connections: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match serve(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(stop_signals()?, shutdown.clone()));

    // Open the database before listening, so that a file that cannot serve
    // (not a database, a foreign `Alunos` table, no permission) stops the
    // server with a reason instead of failing every request.
    let db = Database::open(&args.db, args.connections)
        .with_context(|| format!("cannot use the database {}", args.db.display()))?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_lines(&[format!("listening on {}", listener.local_addr()?)]);
    tracing::info!("serving {}", db.path().display());
    server::run(listener, Arc::new(db), shutdown).await?;
    Ok(())
}

/// The signals that ask the server to stop: Ctrl-C (SIGINT) and SIGTERM.
/// Handlers are installed when this returns, not when first awaited.
#[cfg(unix)]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

async fn cancel_on_signal(signals: impl Future<Output = ()>, token: CancellationToken) {
    signals.await;
    tracing::info!("stop requested");
    token.cancel();
}

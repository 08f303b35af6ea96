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

/// The Alunos database as an HTTP JSON API: the students under /alunos.
#[derive(Debug, Parser)]
#[command(version, after_help = server::HELP_ROUTES)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::SQLITE_STUDENTS)]
    listen: String,
    /// The SQLite database file; created, with its table, if missing.
    #[arg(long, default_value = DEFAULT_DB)]
    db: PathBuf,
    /// How many SQLite connections to the database file to keep open at
    /// most (clients are --max-connections).
    #[arg(long, default_value_t = DEFAULT_CONNECTIONS, value_name = "N")]
    connections: usize,
    #[command(flatten)]
    limits: common::serve::HttpLimitFlags,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(serve(Args::parse()).await)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = common::cli::shutdown_on_signals()?;

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
    server::run(listener, Arc::new(db), &args.limits.limits(), shutdown).await?;
    Ok(())
}

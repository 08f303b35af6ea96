//! `rpc-calculator-server`: the calculator's server, JSON-RPC (HTTP and
//! WebSocket) and XML-RPC (`/RPC2`) on one port.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, and run
//! the library's server until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use clap::Parser;
use rpc_calculator::input::print_line;
use rpc_calculator::procedures::Procedures;
use rpc_calculator::server::{self, ServerConfig};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Calculator server: add, sub, mul, pow, div and calculate over JSON-RPC
/// 2.0 (HTTP POST and WebSocket) and XML-RPC (POST /RPC2), on one port.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::RPC_CALCULATOR)]
    listen: String,
    /// The largest request body (or WebSocket message) accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = server::DEFAULT_MAX_BODY)]
    max_body: u32,
    /// Seconds a client has to send a request's headers, and again its body;
    /// idle connections are closed after this long.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_TIMEOUT.as_secs_f64())]
    timeout: f64,
    /// The most WebSocket sessions and HTTP requests in progress at once.
    #[arg(long, value_name = "N", default_value_t = server::DEFAULT_MAX_CONNECTIONS)]
    max_connections: u32,
    /// Do not print the transcript (one line per call) on stdout.
    #[arg(long)]
    quiet: bool,
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
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    anyhow::ensure!(args.max_body > 0, "--max-body must be at least 1 byte");
    anyhow::ensure!(
        args.max_connections > 0,
        "--max-connections must be at least 1"
    );
    let config = ServerConfig {
        max_body: args.max_body,
        timeout,
        max_connections: args.max_connections,
    };
    let procedures = if args.quiet {
        Procedures::quiet()
    } else {
        Procedures::with_transcript(Arc::new(|line: String| print_line(&line)))
    };
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(stop_signals()?, shutdown.clone()));

    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_line(&format!("listening on {}", listener.local_addr()?));
    server::run(listener, config, procedures, shutdown).await?;
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

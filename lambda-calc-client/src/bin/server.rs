//! `lambda-calc-server`: the calculator API, locally or on AWS Lambda.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, and serve
//! the library's router until Ctrl-C or SIGTERM. Built with `--features
//! lambda` and started by Lambda (`AWS_LAMBDA_RUNTIME_API` is set), it runs
//! the same router as a Lambda function instead.

use anyhow::Context as _;
use clap::Parser;
use lambda_calc_client::server;
use lambda_calc_client::session::print_line;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// The course's REST calculator: GET /api/{op}/{a}/{b} with op one of soma,
/// sub, div, mult. Runs as an AWS Lambda function when Lambda starts it
/// (build with --features lambda).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::LAMBDA_CALC)]
    listen: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let result = if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        on_lambda().await
    } else {
        serve(args).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "lambda")]
async fn on_lambda() -> anyhow::Result<()> {
    tracing::info!("running as an AWS Lambda function");
    lambda_calc_client::lambda::run().await?;
    Ok(())
}

#[cfg(not(feature = "lambda"))]
async fn on_lambda() -> anyhow::Result<()> {
    anyhow::bail!(
        "AWS_LAMBDA_RUNTIME_API is set, but this build cannot run on Lambda: \
         build it with `--features lambda`"
    )
}

async fn serve(args: Args) -> anyhow::Result<()> {
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(stop_signals()?, shutdown.clone()));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_line(&format!("listening on {}", listener.local_addr()?));
    server::run(listener, shutdown).await?;
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

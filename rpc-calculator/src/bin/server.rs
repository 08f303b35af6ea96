//! `rpc-calculator-server`: the calculator's server, JSON-RPC (HTTP and
//! WebSocket) and XML-RPC (`/RPC2`) on one port.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, and run
//! the library's server until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use clap::Parser;
use common::cli::{print_line, shutdown_on_signals, stdout_transcript};
use common::serve::HttpLimitFlags;
use rpc_calculator::procedures::Procedures;
use rpc_calculator::server::{self, ServerConfig};
use std::process::ExitCode;

/// Calculator server: add, sub, mul, pow, div and calculate over JSON-RPC
/// 2.0 (HTTP POST and WebSocket) and XML-RPC (POST /RPC2), on one port.
#[derive(Debug, Parser)]
#[command(version, after_help = rpc_calculator::NUMBERS_HELP)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::RPC_CALCULATOR)]
    listen: String,
    /// The largest request body (or WebSocket message) accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = server::DEFAULT_MAX_BODY)]
    max_body: u32,
    #[command(flatten)]
    limits: HttpLimitFlags,
    /// Do not print the transcript (one line per call) on stdout.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(serve(Args::parse()).await)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.max_body > 0, "--max-body must be at least 1 byte");
    let config = ServerConfig {
        max_body: args.max_body,
        limits: args.limits.limits(),
    };
    let procedures = if args.quiet {
        Procedures::quiet()
    } else {
        Procedures::with_transcript(stdout_transcript())
    };
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = shutdown_on_signals()?;

    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_line(&format!("listening on {}", listener.local_addr()?));
    server::run(listener, config, procedures, shutdown).await?;
    Ok(())
}

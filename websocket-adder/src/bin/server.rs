//! `websocket-adder-server`: the page, `/hello`, `/push` and `/add` on one port.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, push the
//! lines typed on standard input to the pages, and run the library's server
//! until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use clap::Parser;
use common::cli::{print_line, shutdown_on_signals, stdin_lines, stdout_transcript};
use common::serve::HttpLimitFlags;
use std::io::IsTerminal;
use std::process::ExitCode;
use tokio::net::TcpListener;
use websocket_adder::server::{self, Console, DEFAULT_MAX_MESSAGE, ServerConfig};

/// WebSocket server: the browser page at /, and the WebSockets /hello
/// (example 1), /push (example 2: the lines you type here go to every open
/// page) and /add (the exercise), all on one HTTP port.
///
/// Sums are exact, every digit (1e28 + 0.1 = 10000000000000000000000000000.1);
/// a number has at most 100 significant digits and is 0 or between 1e-999 and
/// 1e+1000 in magnitude; anything else is refused with the bound it crosses.
///
/// Limits apply to each listener. A WebSocket that sends nothing (no
/// message, no pong) for --timeout is sent a ping, and closed if it is still
/// silent --timeout later; browsers answer pings by themselves.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::WEBSOCKET_ADDER)]
    listen: String,
    /// Also serve example 1 alone, as the slide's server does on port 8765
    /// (every path greets). Without a value: 127.0.0.1:8765.
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1,
          default_missing_value = common::addr::WEBSOCKET_HELLO)]
    hello: Option<String>,
    /// The largest WebSocket message read, in bytes; a larger one closes
    /// its connection with status 1009. Also the longest line pushed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_MESSAGE)]
    max_message: usize,
    // The same limit flags as every HTTP server of the workspace.
    #[command(flatten)]
    limits: HttpLimitFlags,
    /// Do not print the transcript (greetings, additions, pushes) on stdout.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(serve(Args::parse()).await)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.max_message > 0, "--max-message must be at least 1");
    let mut console = Console::default().with_operator(stdin_lines());
    if !args.quiet {
        console = console.with_transcript(stdout_transcript());
    }
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = shutdown_on_signals()?;

    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let hello = match &args.hello {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (--hello)"))?,
        ),
        None => None,
    };
    let addr = listener.local_addr()?;
    print_line(&format!("listening on {addr}"));
    if let Some(hello) = &hello {
        print_line(&format!("hello listening on {}", hello.local_addr()?));
    }
    if std::io::stdin().is_terminal() {
        eprintln!(
            "open http://{addr}/ in a browser; type a line here and press Enter to push it to every open page"
        );
    }
    let config = ServerConfig {
        max_message: args.max_message,
        limits: args.limits.limits(),
    };
    server::run(listener, hello, config, console, shutdown).await?;
    Ok(())
}

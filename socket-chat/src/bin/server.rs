//! `socket-chat-server`: the server of the socket exercises.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, and run
//! the library's server until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use clap::Parser;
use common::cli::{print_line, shutdown_on_signals, stdin_lines, stdout_transcript};
use common::serve::LimitFlags;
use socket_chat::Mode;
use socket_chat::net::{Listener, Transport, check_addr, default_unix_path};
use socket_chat::server::{self, Console, ServerConfig};
use socket_chat::wire::{Codec, DEFAULT_MAX_MESSAGE};
use std::path::PathBuf;
use std::process::ExitCode;

/// Socket exercises server: TCP echo, terminal chat, upper-case echo over
/// TCP, UDP or a Unix socket.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// What to do with each message.
    #[arg(long, value_enum, default_value_t = Mode::Chat)]
    mode: Mode,
    /// The transport to listen on.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// Address to listen on, HOST:PORT (port 0: any free port).
    /// Default: 127.0.0.1:50009, or 127.0.0.1:1234 in upper mode.
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// Socket file for --transport unix [default: $TMPDIR/socket-chat.sock].
    #[arg(long)]
    path: Option<PathBuf>,
    /// How messages are framed on the wire.
    #[arg(long, value_enum, default_value_t = Codec::Text)]
    codec: Codec,
    /// Chat: strict turns; the operator answers each client message once.
    #[arg(long)]
    sync: bool,
    /// The longest message accepted, in bytes; longer ones close the connection.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE, value_name = "BYTES")]
    max_message: usize,
    /// Chat: the operator's name on the messages sent with --codec proto.
    #[arg(long, default_value = "operator")]
    name: String,
    /// Do not print the transcript (connections and messages) on stdout.
    #[arg(long)]
    quiet: bool,
    /// `--max-connections` and `--timeout`, as every server of the workspace.
    #[command(flatten)]
    limits: LimitFlags,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(serve(Args::parse()).await)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let addr = args
        .listen
        .clone()
        .unwrap_or_else(|| args.mode.default_addr().to_owned());
    if args.transport != Transport::Unix {
        check_addr(&addr, true)?;
    }
    let config = ServerConfig {
        mode: args.mode,
        codec: args.codec,
        sync: args.sync,
        max_message: args.max_message,
        operator_name: args.name,
        limits: args.limits.limits(),
    };
    config.check()?;
    let mut console = Console::default();
    if !args.quiet {
        console = console.with_transcript(stdout_transcript());
    }
    if args.mode == Mode::Chat {
        console = console.with_operator(stdin_lines());
    }
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = shutdown_on_signals()?;

    match args.transport {
        Transport::Udp => {
            let socket = tokio::net::UdpSocket::bind(&addr)
                .await
                .with_context(|| format!("cannot listen on udp {addr}"))?;
            print_line(&format!("listening on {}", socket.local_addr()?));
            server::run_udp(socket, config, console, shutdown).await?;
        }
        Transport::Tcp => {
            let listener = Listener::bind_tcp(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            print_line(&format!("listening on {}", listener.local_name()?));
            server::run(listener, config, console, shutdown).await?;
        }
        Transport::Unix => {
            let path = args.path.unwrap_or_else(default_unix_path);
            let listener = bind_unix(&path)?;
            print_line(&format!("listening on {}", listener.local_name()?));
            // The listener owns the socket file and removes it when dropped,
            // which happens when `run` returns.
            server::run(listener, config, console, shutdown).await?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn bind_unix(path: &std::path::Path) -> anyhow::Result<Listener> {
    Listener::bind_unix(path).with_context(|| format!("cannot listen on {}", path.display()))
}

#[cfg(not(unix))]
fn bind_unix(_path: &std::path::Path) -> anyhow::Result<Listener> {
    Err(socket_chat::net::no_unix_sockets().into())
}

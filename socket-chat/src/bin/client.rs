//! `socket-chat-client`: the client of the socket exercises.
//!
//! A thin wrapper: parse flags, then run the library's client session with
//! stdin as the user's lines, replies on stdout, notices on stderr.

use clap::Parser;
use common::cli::{print_line, stdin_lines};
use socket_chat::Mode;
use socket_chat::client::{SessionConfig, session};
use socket_chat::net::{Transport, default_unix_path};
use socket_chat::wire::{Codec, DEFAULT_MAX_MESSAGE};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Socket exercises client: reads messages from stdin (a terminal or a
/// pipe), prints the server's replies on stdout.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// What the server does (must match the server's --mode).
    #[arg(long, value_enum, default_value_t = Mode::Chat)]
    mode: Mode,
    /// The transport to connect with.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// Server address, HOST:PORT.
    /// Default: 127.0.0.1:50009, or 127.0.0.1:1234 in upper mode.
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Socket file for --transport unix [default: $TMPDIR/socket-chat.sock].
    #[arg(long)]
    path: Option<PathBuf>,
    /// How messages are framed on the wire (must match the server's).
    #[arg(long, value_enum, default_value_t = Codec::Text)]
    codec: Codec,
    /// Chat: strict turns; send a line, then wait for the answer.
    #[arg(long)]
    sync: bool,
    /// Your name on the messages sent with --codec proto [default: $USER].
    #[arg(long)]
    name: Option<String>,
    /// UDP: seconds to wait for each reply.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    timeout: f64,
    /// The server's --max-message: the client accepts every reply to a
    /// message of that size (an echo is 5 bytes longer, an upper case up
    /// to 3 times), plus 1 KiB for the server's notices.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE, value_name = "BYTES")]
    max_message: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(run(Args::parse()).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let Ok(timeout) = Duration::try_from_secs_f64(args.timeout) else {
        anyhow::bail!("--timeout must be a positive number of seconds");
    };
    let config = SessionConfig {
        mode: args.mode,
        transport: args.transport,
        addr: args
            .connect
            .unwrap_or_else(|| args.mode.default_addr().to_owned()),
        path: args.path.unwrap_or_else(default_unix_path),
        codec: args.codec,
        sync: args.sync,
        name: args
            .name
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "client".to_owned()),
        timeout,
        max_message: args.max_message,
    };
    if std::io::stdin().is_terminal() {
        let hint = match config.mode {
            Mode::Chat => "type a message and press Enter; you speak first (Ctrl-D ends the chat)",
            Mode::Echo | Mode::Upper => "type a message and press Enter (Ctrl-D to quit)",
        };
        eprintln!("{hint}");
    }
    let notice = |line: &str| eprintln!("{line}");
    Ok(session(&config, stdin_lines(), print_line, notice).await?)
}

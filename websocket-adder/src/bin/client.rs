//! `websocket-adder-client`: add numbers, say hello, or listen to pushes.
//!
//! A thin wrapper: parse flags, open one WebSocket with the library's
//! client, and connect it to the command line, standard input and output.

use clap::Parser;
use common::cli::{print_line, stdin_lines};
use common::escape::{SHOWN, escape};
use std::io::IsTerminal;
use std::process::ExitCode;
use websocket_adder::client::{Client, ClientError, Pushed, endpoint};

/// WebSocket adder client. `websocket-adder-client 3 4` prints 7; with no
/// numbers, it adds each line of standard input (`3 4`, `3,4`, `3;4` or
/// `{"a":3,"b":4}`) over one connection and prints each reply.
///
/// Sums are exact, every digit (1e28 0.1 prints 10000000000000000000000000000.1);
/// a number has at most 100 significant digits and is 0 or between 1e-999 and
/// 1e+1000 in magnitude.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The two numbers to add (or one argument holding both, like "3,4"),
    /// after the options. Anything that begins with a hyphen is a number
    /// here (-.5, -1e-5, -3,4), sent as typed, so that these arguments and a
    /// line of standard input are read alike, by the server.
    #[arg(allow_hyphen_values = true, conflicts_with_all = ["hello", "listen_push"])]
    numbers: Vec<String>,
    /// Server address, HOST:PORT; the path (/add, /hello, /push) follows
    /// from what you ask.
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::WEBSOCKET_ADDER)]
    connect: String,
    /// The whole WebSocket URL, path included (overrides --connect), for
    /// servers that answer on another path: ws://127.0.0.1:8765/
    #[arg(long)]
    url: Option<String>,
    /// Example 1: send NAME to /hello and print the greeting.
    #[arg(long, value_name = "NAME", conflicts_with = "listen_push")]
    hello: Option<String>,
    /// Example 2: print the messages pushed on /push as they arrive, until
    /// the server closes or Ctrl-C.
    #[arg(long)]
    listen_push: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    let args = Args::parse();
    if let Some(option) = args.numbers.iter().find(|word| looks_like_an_option(word)) {
        return common::cli::exit_code(Err(anyhow::anyhow!(
            "{} comes after the numbers; options go before them",
            escape(option, SHOWN)
        )));
    }
    let url = |path: &str| {
        args.url
            .clone()
            .unwrap_or_else(|| endpoint(&args.connect, path))
    };
    let outcome = if let Some(name) = &args.hello {
        hello(&url("/hello"), name).await
    } else if args.listen_push {
        listen(&url("/push")).await
    } else if args.numbers.is_empty() {
        add_lines(&url("/add")).await
    } else {
        add_once(&url("/add"), &args.numbers.join(" ")).await
    };
    common::cli::exit_code(outcome.map_err(anyhow::Error::from))
}

/// `--connect` after the numbers would be taken for a number (they accept
/// hyphens); no number begins with two hyphens and a letter, so say so
/// rather than send it.
fn looks_like_an_option(word: &str) -> bool {
    word.strip_prefix("--")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// A reply of the server as the terminal shows it: control characters
/// escaped (a server must not drive the user's terminal), nothing cut (a
/// sum or a pushed line is the output the user asked for).
fn shown(reply: &str) -> std::borrow::Cow<'_, str> {
    escape(reply, usize::MAX)
}

async fn hello(url: &str, name: &str) -> Result<(), ClientError> {
    let mut client = Client::connect(url).await?;
    let greeting = client.hello(name).await;
    if let Ok(greeting) = &greeting {
        print_line(&shown(greeting));
    }
    client.close().await;
    greeting.map(drop)
}

async fn add_once(url: &str, request: &str) -> Result<(), ClientError> {
    let mut client = Client::connect(url).await?;
    let sum = client.add(request).await;
    if let Ok(sum) = &sum {
        print_line(&shown(sum));
    }
    // Politely, even after a refusal: the connection itself is fine.
    client.close().await;
    sum.map(drop)
}

/// Each line of standard input is one request; each reply is one line of
/// output, errors included (`error: ...`), so output lines match input
/// lines. The exit code says whether every request was answered with a sum.
async fn add_lines(url: &str) -> Result<(), ClientError> {
    let mut client = Client::connect(url).await?;
    if std::io::stdin().is_terminal() {
        eprintln!("type two numbers and press Enter, like 3 4 (Ctrl-D to quit)");
    }
    let mut lines = stdin_lines();
    let (mut asked, mut refused) = (0, 0);
    while let Some(line) = lines.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        asked += 1;
        match client.add(&line).await {
            Ok(sum) => print_line(&shown(&sum)),
            Err(ClientError::Refused(reason)) => {
                refused += 1;
                print_line(&format!("error: {}", escape(&reason, SHOWN)));
            }
            Err(e) => return Err(e),
        }
    }
    client.close().await;
    if refused > 0 {
        return Err(ClientError::Refused(format!(
            "{refused} of {asked} requests were refused"
        )));
    }
    Ok(())
}

async fn listen(url: &str) -> Result<(), ClientError> {
    let mut client = Client::connect(url).await?;
    eprintln!("connected to {url}; pushed messages follow (Ctrl-C to stop)");
    loop {
        let pushed = tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                client.close().await;
                return Ok(());
            }
            pushed = client.next_push() => pushed?,
        };
        match pushed {
            Pushed::Message(text) => print_line(&shown(&text)),
            Pushed::Closed(why) => {
                eprintln!("the server closed the connection{why}");
                return Ok(());
            }
        }
    }
}

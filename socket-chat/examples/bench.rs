//! Echo round trips per second, as users run the server: its own process,
//! with the transcript on (the default) and with `--quiet`.
//!
//! ```text
//! cargo run --release -p socket-chat --example socket-chat-bench
//! ```
//!
//! The server is `socket-chat-server --mode echo`, built and started as a
//! separate process; its stdout (the transcript, one line per message) is
//! read as fast as it comes, as a terminal or a log collector would. The
//! clients are plain tokio sockets in this process that each send a line and
//! wait for its echo before sending the next, so every message is one full
//! round trip over loopback. Each figure is the best of three runs, on one
//! connection (latency) and on 50 (capacity: client and server share the
//! machine's cores). The last row is what the transcript costs.
//! `--seconds N` sets how long each run lasts (default 3).

use common::testing::{Launcher, built_binary};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: [usize; 2] = [1, 50];
const RUNS: usize = 3;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let duration = Duration::from_secs(seconds);
    let server = Launcher::fixed(built_binary("socket-chat", "socket-chat-server"));

    println!("echo round trips per second over loopback (best of {RUNS} × {seconds} s)");
    println!(
        "{:<36}{:>14}{:>16}",
        "server", "1 connection", "50 connections"
    );
    let mut rows = Vec::new();
    for (name, quiet) in [
        ("socket-chat-server (transcript on)", false),
        ("socket-chat-server --quiet", true),
    ] {
        let mut args = vec!["--listen", "127.0.0.1:0", "--mode", "echo"];
        if quiet {
            args.push("--quiet");
        }
        let program = server.start_server(&args);
        program.discard_stdout();
        let addr = program.addr().to_owned();
        let mut rates = Vec::new();
        for connections in CONNECTIONS {
            rates.push(best_of(&addr, connections, duration).await?);
        }
        println!("{name:<36}{:>14.0}{:>16.0}", rates[0], rates[1]);
        rows.push(rates);
    }
    let cost = |i: usize| 100.0 * (1.0 - rows[0][i] / rows[1][i]);
    println!(
        "{:<36}{:>13.1}%{:>15.1}%",
        "transcript cost",
        cost(0),
        cost(1)
    );
    Ok(())
}

/// The best of [`RUNS`] measurements.
async fn best_of(addr: &str, connections: usize, duration: Duration) -> anyhow::Result<f64> {
    let mut best: f64 = 0.0;
    for _ in 0..RUNS {
        best = best.max(measure(addr, connections, duration).await?);
    }
    Ok(best)
}

/// Total round trips per second over `connections` concurrent connections.
async fn measure(addr: &str, connections: usize, duration: Duration) -> anyhow::Result<f64> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        clients.spawn(async move {
            let mut stream = BufReader::new(stream);
            let mut reply = String::new();
            let mut count = 0u64;
            while Instant::now() < deadline {
                stream.get_mut().write_all(b"Ol\xc3\xa1, mundo\n").await?;
                reply.clear();
                stream.read_line(&mut reply).await?;
                anyhow::ensure!(reply == "Eco=>Olá, mundo\n", "wrong reply {reply:?}");
                count += 1;
            }
            Ok(count)
        });
    }
    let mut total = 0;
    while let Some(done) = clients.join_next().await {
        total += done??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

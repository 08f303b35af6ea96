//! Echo round trips per second, as users run the server: its own process,
//! with the transcript on (the default) and with `--quiet`; and the slides'
//! client against our server and against the slides' own Python server.
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
//! round trip over loopback. Each figure is the best of three runs (the two
//! servers' runs alternate), on one
//! connection (latency) and on 50 (capacity: client and server share the
//! machine's cores). The last row is what the transcript costs.
//!
//! Then the slides' client pattern, on one connection: send `Olá` with no
//! newline and wait for `Eco=>Olá`, as `sockobj.send(msg.encode())` and
//! `sockobj.recv(1024)` do. It is measured against our server with its
//! default flags (transcript on) and against the slides' `Server.py`
//! (`tests/slides/server.py`, run by `python3 -u` as the interop tests run
//! it, so each transcript line is written at once, as ours is), their runs
//! alternating, best of three, and the ratio is printed.
//!
//! `--seconds N` sets how long each run lasts (default 3). As in the tests,
//! `SOCKET_CHAT_SERVER` may name another server to measure (a student's, an older build).

use common::testing::{Launcher, built_binary, cpu_time, spawn_python};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: [usize; 2] = [1, 50];
const RUNS: usize = 3;

/// The slides' echo server, as the interop tests run it.
const SLIDE_SERVER: &str = include_str!("../tests/slides/server.py");

/// What a client sends and waits for.
#[derive(Clone, Copy)]
enum Pattern {
    /// A line, and its echo as a line.
    Line,
    /// The slides' client: `Olá` with no newline, then its echo.
    Slides,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let duration = Duration::from_secs(seconds);
    let server = Launcher::new(
        "SOCKET_CHAT_SERVER",
        built_binary("socket-chat", "socket-chat-server"),
    );

    println!("echo round trips per second over loopback (best of {RUNS} × {seconds} s)");
    println!(
        "{:<36}{:>14}{:>16}",
        "server", "1 connection", "50 connections"
    );
    // Both servers run at once, and their runs alternate: what else the
    // machine does then weighs on both alike.
    let servers: Vec<_> = [false, true]
        .into_iter()
        .map(|quiet| {
            let mut args = vec!["--listen", "127.0.0.1:0", "--mode", "echo"];
            if quiet {
                args.push("--quiet");
            }
            let program = server.start_server(&args);
            program.discard_stdout();
            program
        })
        .collect();
    let mut rows = [Vec::new(), Vec::new()];
    let mut cpu = [Vec::new(), Vec::new()];
    for connections in CONNECTIONS {
        let mut best = [0.0f64; 2];
        let mut least = [f64::MAX; 2];
        for _ in 0..RUNS {
            for (i, program) in servers.iter().enumerate() {
                let before = cpu_time(program.pid());
                let (rate, count) =
                    measure(program.addr(), connections, duration, Pattern::Line).await?;
                let after = cpu_time(program.pid());
                best[i] = best[i].max(rate);
                if let (Some(before), Some(after)) = (before, after) {
                    let micros = (after - before).as_secs_f64() * 1e6 / count as f64;
                    least[i] = least[i].min(micros);
                }
            }
        }
        for i in 0..2 {
            rows[i].push(best[i]);
            cpu[i].push(least[i]);
        }
    }
    for (i, name) in [
        "socket-chat-server (transcript on)",
        "socket-chat-server --quiet",
    ]
    .into_iter()
    .enumerate()
    {
        println!("{name:<36}{:>14.0}{:>16.0}", rows[i][0], rows[i][1]);
    }
    let cost = |i: usize| 100.0 * (1.0 - rows[0][i] / rows[1][i]);
    println!(
        "{:<36}{:>13.1}%{:>15.1}%",
        "transcript cost",
        cost(0),
        cost(1)
    );
    if cpu.iter().flatten().all(|c| *c < f64::MAX) {
        println!("server CPU time per round trip (µs, least of {RUNS}; not moved by other load)");
        for (i, name) in [
            "socket-chat-server (transcript on)",
            "socket-chat-server --quiet",
        ]
        .into_iter()
        .enumerate()
        {
            println!("{name:<36}{:>14.2}{:>16.2}", cpu[i][0], cpu[i][1]);
        }
        let more = |i: usize| 100.0 * (cpu[0][i] / cpu[1][i] - 1.0);
        println!(
            "{:<36}{:>13.1}%{:>15.1}%",
            "transcript's extra CPU",
            more(0),
            more(1)
        );
    }
    slides_client(&servers[0], duration).await?;
    Ok(())
}

/// The slides' client on one connection: our server (default flags)
/// against the slides' Python server, runs alternating, best of [`RUNS`].
async fn slides_client(ours: &common::testing::Program, duration: Duration) -> anyhow::Result<()> {
    let mut python = spawn_python(SLIDE_SERVER, &[]);
    let python_addr = python.wait_listening().to_owned();
    python.discard_stdout();
    let mut best = [0.0f64; 2];
    for _ in 0..RUNS {
        for (i, addr) in [ours.addr(), python_addr.as_str()].into_iter().enumerate() {
            let (rate, _) = measure(addr, 1, duration, Pattern::Slides).await?;
            best[i] = best[i].max(rate);
        }
    }
    println!("the slides' client (`Olá` without newline, then recv), 1 connection, round trips/s");
    println!(
        "{:<36}{:>14.0}",
        "socket-chat-server (default flags)", best[0]
    );
    println!(
        "{:<36}{:>14.0}",
        "the slides' Server.py (python3 -u)", best[1]
    );
    println!("{:<36}{:>13.2}×", "ours / Python", best[0] / best[1]);
    Ok(())
}

/// Round trips per second over `connections` concurrent connections, and
/// how many were made.
async fn measure(
    addr: &str,
    connections: usize,
    duration: Duration,
    pattern: Pattern,
) -> anyhow::Result<(f64, u64)> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        clients.spawn(async move {
            let mut stream = BufReader::new(stream);
            let mut reply = String::new();
            let mut bytes = Vec::new();
            let mut count = 0u64;
            while Instant::now() < deadline {
                match pattern {
                    Pattern::Line => {
                        stream.get_mut().write_all(b"Ol\xc3\xa1, mundo\n").await?;
                        reply.clear();
                        stream.read_line(&mut reply).await?;
                        anyhow::ensure!(reply == "Eco=>Olá, mundo\n", "wrong reply {reply:?}");
                    }
                    Pattern::Slides => {
                        const REPLY: &[u8] = "Eco=>Olá".as_bytes();
                        stream.get_mut().write_all("Olá".as_bytes()).await?;
                        bytes.resize(REPLY.len(), 0);
                        stream.read_exact(&mut bytes).await?;
                        anyhow::ensure!(bytes == REPLY, "wrong reply {bytes:?}");
                    }
                }
                count += 1;
            }
            Ok(count)
        });
    }
    let mut total = 0;
    while let Some(done) = clients.join_next().await {
        total += done??;
    }
    Ok((total as f64 / start.elapsed().as_secs_f64(), total))
}

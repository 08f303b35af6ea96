//! Requests per second of the calculator API as users run it: our
//! `lambda-calc-server` against the Python stand-in of the course's Chalice
//! app, driven by the same Rust client in the same run.
//!
//! ```text
//! cargo run --release -p lambda-calc-client --example lambda-calc-client-bench [-- --seconds N]
//! ```
//!
//! * **Our server** is built (`common::testing::built_binary`) and started
//!   as a separate process with its default flags, on a free port, its
//!   stdout read as fast as it comes. As in the tests,
//!   `LAMBDA_CALC_SERVER` may name another server to measure instead.
//! * **The Python program** is `python/chalice_app.py` (`http.server` with
//!   threads and keep-alive), the stand-in of the slides' Chalice app;
//!   skipped, with a line saying so, when `python3` is missing.
//! * **The client** is this crate's [`Client`] (reqwest), the one
//!   `lambda-calc-client` uses, one per connection: each connection sends
//!   `GET /api/mult/A/B` and waits for the answer before the next. `A`
//!   counts up and `B` cycles through 2..=99 with it, so no two requests of a
//!   connection are the same and no cache can answer for the server; every
//!   answer is checked (the client checks the key, this program the value).
//! * **1 and 50 connections**: on this 2-core machine one connection
//!   measures the latency of a round trip, fifty the server's capacity.
//!
//! Each figure is the best of three runs of `--seconds` (default 3) after
//! every connection has been opened, one after the other, and has had one
//! answer. The two servers take turns run by run, so a burst of load
//! elsewhere on the machine falls on both. Beside each rate, the server's
//! CPU time per request (`common::testing::cpu_time`, the smallest of the
//! three runs): what other programs take from the cores moves it less than
//! the rate. Client and server share the cores, so at 50 connections the
//! client's own work bounds the figures too.
//!
//! At its default level our server writes no line per answered request
//! (refusals go to stderr), so there is no transcript to weigh here.

use anyhow::Context as _;
use common::number::Number;
use common::testing::{Launcher, Program, built_binary, cpu_time, has_python, spawn_python};
use lambda_calc_client::client::{Client, ClientConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The stand-in of the slides' Chalice app.
const CHALICE_APP: &str = include_str!("../python/chalice_app.py");

/// The connection counts measured: latency, then capacity.
const CONNECTIONS: [usize; 2] = [1, 50];

/// Runs per figure; the best one is kept.
const RUNS: usize = 3;

/// A server under measurement.
struct Target {
    name: &'static str,
    program: Program,
    base_url: String,
}

/// One run: requests answered per second, and what they cost the server.
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    cpu_per_request: Option<Duration>,
}

/// The best of several runs: the highest rate, the lowest CPU per request.
#[derive(Default)]
struct Best {
    rate: f64,
    cpu_per_request: Option<Duration>,
}

impl Best {
    fn add(&mut self, run: Run) {
        self.rate = self.rate.max(run.rate);
        self.cpu_per_request = match (self.cpu_per_request, run.cpu_per_request) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: f64 = match std::env::args().skip_while(|a| a != "--seconds").nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("--seconds wants a number, not {text:?}"))?,
        None => 3.0,
    };
    let duration = Duration::from_secs_f64(seconds);

    let launcher = Launcher::new(
        "LAMBDA_CALC_SERVER",
        built_binary("lambda-calc-client", "lambda-calc-server"),
    );
    let name = if launcher.is_default() {
        "Rust lambda-calc-server"
    } else {
        "$LAMBDA_CALC_SERVER"
    };
    let ours = launcher.start_server(&["--listen", "127.0.0.1:0"]);
    // Read whatever the server prints, as a terminal would, without keeping it.
    ours.discard_stdout();
    let mut targets = vec![target(name, ours)];
    if has_python() {
        let mut python = spawn_python(CHALICE_APP, &["--listen", "127.0.0.1:0"]);
        python.wait_listening();
        python.discard_stdout();
        targets.push(target("Python chalice_app.py", python));
    } else {
        println!("Python 3 not found: the Python stand-in is skipped");
    }

    println!(
        "GET /api/mult/A/B with this crate's Client, every answer checked; \
         best of {RUNS} runs of {seconds} s"
    );
    for connections in CONNECTIONS {
        let mut best: Vec<Best> = targets.iter().map(|_| Best::default()).collect();
        for _ in 0..RUNS {
            for (target, best) in targets.iter().zip(&mut best) {
                let run = measure(target, connections, duration)
                    .await
                    .with_context(|| {
                        format!(
                            "{} failed; its stderr:\n{}",
                            target.name,
                            target.program.stderr()
                        )
                    })?;
                best.add(run);
            }
        }
        let plural = if connections == 1 { "" } else { "s" };
        println!("{connections} connection{plural}:");
        for (target, best) in targets.iter().zip(&best) {
            let cpu = match best.cpu_per_request {
                Some(cpu) => format!("{:>7.1} µs server CPU/request", micros(cpu)),
                None => "server CPU time unknown (no /proc)".to_owned(),
            };
            println!("  {:<26} {:>9.0} requests/s  {cpu}", target.name, best.rate);
        }
        if let [ours, python] = best.as_slice() {
            let cpu_ratio = match (ours.cpu_per_request, python.cpu_per_request) {
                (Some(ours), Some(python)) if !ours.is_zero() => {
                    format!(
                        ", {:.2}× less CPU per request",
                        micros(python) / micros(ours)
                    )
                }
                _ => String::new(),
            };
            println!(
                "  ours / Python: {:.2}× the requests/s{cpu_ratio}",
                ours.rate / python.rate
            );
        }
    }
    Ok(())
}

fn target(name: &'static str, program: Program) -> Target {
    let base_url = format!("http://{}/api", program.socket_addr());
    Target {
        name,
        program,
        base_url,
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// One run against `target`: `connections` clients, each one request at a
/// time, for `duration` once all of them are connected.
async fn measure(target: &Target, connections: usize, duration: Duration) -> anyhow::Result<Run> {
    // Every connection and the clock start together; connecting and the
    // first answer are not part of the figure.
    let start = Arc::new(Barrier::new(connections + 1));
    let mut tasks = Vec::with_capacity(connections);
    for connection in 0..connections {
        // One Client each: a Client keeps one connection per server, so
        // each task is one connection with one request in flight.
        let client = Client::new(ClientConfig {
            base_url: target.base_url.clone(),
            // A failure is a failure here, not something to hide by asking again.
            retries: 0,
            ..ClientConfig::default()
        })?;
        let mut operands = Operands::for_connection(connection);
        // Connected one after the other: `http.server` listens with a
        // backlog of 5, and 50 connections opened at once overflow it, so
        // some wait for the kernel's SYN-ACK retries (1, 2, 4, 8 s...),
        // which is not what a steady load measures.
        ask(&client, operands.next()).await?;
        let start = Arc::clone(&start);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let deadline = Instant::now() + duration;
            let mut answered = 0u64;
            while Instant::now() < deadline {
                ask(&client, operands.next()).await?;
                answered += 1;
            }
            anyhow::Ok(answered)
        }));
    }
    start.wait().await;
    let started = Instant::now();
    let cpu_before = cpu_time(target.program.pid());
    let mut answered = 0;
    for task in tasks {
        answered += task.await??;
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu_time(target.program.pid());
    let cpu_per_request = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) if answered > 0 => {
            Some(after.saturating_sub(before).div_f64(answered as f64))
        }
        _ => None,
    };
    Ok(Run {
        rate: answered as f64 / elapsed.as_secs_f64(),
        cpu_per_request,
    })
}

/// The operands of one connection's requests, never the same twice in a
/// run: `A` counts up from `connection`·10⁹, `B` cycles through 2..=99.
struct Operands {
    a: u64,
}

impl Operands {
    fn for_connection(connection: usize) -> Self {
        Self {
            a: connection as u64 * 1_000_000_000,
        }
    }

    fn next(&mut self) -> (u64, u64) {
        self.a += 1;
        (self.a, 2 + self.a % 98)
    }
}

/// `GET /api/mult/a/b`, and the answer checked: `a·b`, exactly.
async fn ask(client: &Client, (a, b): (u64, u64)) -> anyhow::Result<()> {
    let reply = client
        .calculate("mult", &a.to_string(), &b.to_string())
        .await?;
    let value = Number::parse_result(&reply.value)
        .with_context(|| format!("mult {a} {b}: {} is not a number", reply.shown()))?;
    let expected = Number::from(a * b);
    anyhow::ensure!(
        value == expected,
        "mult {a} {b}: the server answered {}, not {expected}",
        reply.shown()
    );
    Ok(())
}

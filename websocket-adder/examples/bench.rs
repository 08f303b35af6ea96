//! Additions per second over one WebSocket and over 50, against our server
//! as users run it (its own process, transcript on, and with `--quiet`) and
//! against the Python `websockets` adder of `python/adder_server.py`.
//!
//! ```text
//! cargo run --release -p websocket-adder --example websocket-adder-bench
//! ```
//!
//! Our server is `websocket-adder-server`, built and started as a separate
//! process with its default flags; its stdout (the transcript, two lines per
//! addition) is read as fast as it comes, as a terminal would. The Python
//! one is started with `python3` (skipped, with a note, when the
//! `websockets` package is missing). The load is the same for all: each
//! connection sends `i.j 0.5`, waits for the sum and checks it before
//! sending the next, so every addition is one full round trip over
//! loopback. Each figure is the best of three runs; `--seconds N` sets how
//! long each run lasts (default 3). The last rows are what the transcript
//! costs, and how many times Python's rate ours is. As in the tests,
//! `WEBSOCKET_ADDER_SERVER` may name another server to measure.
//!
//! The ceiling: the same load as plain TCP round trips (8 bytes out, 8
//! back, no WebSocket, no arithmetic) against a minimal tokio echo server,
//! this program started again as a separate process with `--echo-server`.
//! No server of any protocol answers more round trips than that here, with
//! a client sharing the two cores.

use common::testing::{Launcher, built_binary, cpu_time};
use futures_util::{SinkExt as _, StreamExt as _};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: [usize; 2] = [1, 50];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--echo-server") {
        return echo_server().await;
    }
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let duration = Duration::from_secs(seconds);
    let server = Launcher::new(
        "WEBSOCKET_ADDER_SERVER",
        built_binary("websocket-adder", "websocket-adder-server"),
    );

    println!("additions per second, one round trip each, over loopback (best of 3 × {seconds} s)");
    println!(
        "{:<40}{:>14}{:>16}",
        "server", "1 connection", "50 connections"
    );
    // Both run at once and their runs alternate: what else the machine
    // does then weighs on both alike.
    let programs: Vec<_> = [false, true]
        .into_iter()
        .map(|quiet| {
            let mut args = vec!["--listen", "127.0.0.1:0"];
            if quiet {
                args.push("--quiet");
            }
            let program = server.start_server(&args);
            program.discard_stdout();
            program
        })
        .collect();
    let urls: Vec<String> = programs
        .iter()
        .map(|p| format!("ws://{}/add", p.addr()))
        .collect();
    let mut ours = [Vec::new(), Vec::new()];
    let mut cpu = [Vec::new(), Vec::new()];
    for connections in CONNECTIONS {
        let mut best = [0.0f64; 2];
        let mut least = [f64::MAX; 2];
        for _ in 0..3 {
            for (i, url) in urls.iter().enumerate() {
                let pid = programs[i].pid();
                let before = cpu_time(pid);
                let (rate, count) = measure(url, connections, duration).await?;
                let after = cpu_time(pid);
                best[i] = best[i].max(rate);
                if let (Some(before), Some(after)) = (before, after) {
                    least[i] = least[i].min((after - before).as_secs_f64() * 1e6 / count as f64);
                }
            }
        }
        for i in 0..2 {
            ours[i].push(best[i]);
            cpu[i].push(least[i]);
        }
    }
    print_row("websocket-adder-server (transcript on)", &ours[0]);
    print_row("websocket-adder-server --quiet", &ours[1]);
    let python = match PythonServer::start() {
        Ok(python) => {
            let rates = measure_all(&python.url, duration).await?;
            print_row("Python websockets", &rates);
            Some(rates)
        }
        Err(why) => {
            println!("{:<40}skipped: {why}", "Python websockets");
            None
        }
    };
    let ceiling = echo_ceiling(duration).await?;
    print_row("ceiling: plain TCP echo (8 bytes)", &ceiling);
    let cost = |i: usize| 100.0 * (1.0 - ours[0][i] / ours[1][i]);
    let extra = |i: usize| 100.0 * (cpu[0][i] / cpu[1][i] - 1.0);
    println!(
        "{:<40}{:>13.1}%{:>15.1}%",
        "transcript cost",
        cost(0),
        cost(1)
    );
    if cpu.iter().flatten().all(|c| *c < f64::MAX) {
        println!("server CPU time per addition (µs, least of 3; not moved by other load)");
        print_cpu_row("websocket-adder-server (transcript on)", &cpu[0]);
        print_cpu_row("websocket-adder-server --quiet", &cpu[1]);
        println!(
            "{:<40}{:>13.1}%{:>15.1}%",
            "transcript's extra server CPU per add",
            extra(0),
            extra(1)
        );
    }
    let share = |i: usize| 100.0 * ours[0][i] / ceiling[i];
    println!(
        "{:<40}{:>13.0}%{:>15.0}%",
        "ours (transcript on) / ceiling",
        share(0),
        share(1)
    );
    if let Some(python) = python {
        let ratio = |i: usize| ours[0][i] / python[i];
        println!(
            "{:<40}{:>13.1}×{:>15.1}×",
            "ours (transcript on) / Python",
            ratio(0),
            ratio(1)
        );
    }
    Ok(())
}

fn print_cpu_row(name: &str, micros: &[f64]) {
    println!("{name:<40}{:>14.2}{:>16.2}", micros[0], micros[1]);
}

fn print_row(name: &str, rates: &[f64]) {
    println!("{name:<40}{:>14.0}{:>16.0}", rates[0], rates[1]);
}

/// The best of three runs per figure: other programs on the machine can
/// only make a run slower, never faster.
async fn measure_all(url: &str, duration: Duration) -> anyhow::Result<Vec<f64>> {
    let mut rates = Vec::new();
    for connections in CONNECTIONS {
        let mut best: f64 = 0.0;
        for _ in 0..3 {
            best = best.max(measure(url, connections, duration).await?.0);
        }
        rates.push(best);
    }
    Ok(rates)
}

/// Additions per second over `connections` concurrent WebSockets, and how
/// many were made.
async fn measure(url: &str, connections: usize, duration: Duration) -> anyhow::Result<(f64, u64)> {
    let mut sockets = Vec::new();
    for _ in 0..connections {
        // `true`: TCP_NODELAY, as the server sets it.
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
        sockets.push(ws);
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = tokio::task::JoinSet::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        clients.spawn(async move {
            let mut count = 0u64;
            while Instant::now() < deadline {
                let j = count % 100;
                ws.send(Message::text(format!("{i}.{j} 0.5"))).await?;
                let reply = match ws.next().await {
                    Some(Ok(Message::Text(text))) => text,
                    other => anyhow::bail!("unexpected reply {other:?}"),
                };
                // i.j + 0.5, written out by hand (j < 100, one or two digits).
                let expected = expected_sum(i as u64, j);
                anyhow::ensure!(
                    reply.as_str() == expected,
                    "{i}.{j} 0.5 gave {reply}, not {expected}"
                );
                count += 1;
            }
            ws.close(None).await?;
            Ok(count)
        });
    }
    let mut total = 0;
    while let Some(done) = clients.join_next().await {
        total += done??;
    }
    Ok((total as f64 / start.elapsed().as_secs_f64(), total))
}

/// The sum of `i.j` and `0.5` as the adder prints it (no trailing zeros).
fn expected_sum(i: u64, j: u64) -> String {
    // i.j is i + j/10 when j < 10 and i + j/100 otherwise; in thousandths:
    let thousandths = i * 1000 + if j < 10 { j * 100 } else { j * 10 } + 500;
    let (whole, frac) = (thousandths / 1000, thousandths % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// `--echo-server`: the ceiling's server, every byte read written back.
async fn echo_server() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                if stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Round trips per second against the echo server, at 1 and 50
/// connections, best of three.
async fn echo_ceiling(duration: Duration) -> anyhow::Result<Vec<f64>> {
    let server = Launcher::fixed(std::env::current_exe()?).start_server(&["--echo-server"]);
    let addr = server.addr().to_owned();
    let mut rates = Vec::new();
    for connections in CONNECTIONS {
        let mut best: f64 = 0.0;
        for _ in 0..3 {
            best = best.max(echo_round_trips(&addr, connections, duration).await?);
        }
        rates.push(best);
    }
    Ok(rates)
}

async fn echo_round_trips(
    addr: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut streams = Vec::new();
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = tokio::task::JoinSet::new();
    for mut stream in streams {
        clients.spawn(async move {
            let mut count = 0u64;
            let mut reply = [0u8; 8];
            while Instant::now() < deadline {
                let message = count.to_le_bytes();
                stream.write_all(&message).await?;
                stream.read_exact(&mut reply).await?;
                anyhow::ensure!(reply == message, "the echo differs");
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

/// `python3 python/adder_server.py 0`, stopped when dropped.
struct PythonServer {
    child: Child,
    url: String,
}

impl PythonServer {
    fn start() -> Result<Self, String> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/adder_server.py");
        let mut child = common::platform::python()
            .args([script, "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run Python 3: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let Some(addr) = first.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let mut stderr = String::new();
            if let Some(err) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut BufReader::new(err), &mut stderr);
            }
            let last = stderr.lines().last().unwrap_or("no output").to_owned();
            return Err(format!(
                "the Python server did not start ({last}); pip install websockets"
            ));
        };
        let url = format!("ws://{addr}/");
        Ok(Self { child, url })
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn expected_sums() {
        assert_eq!(super::expected_sum(3, 5), "4");
        assert_eq!(super::expected_sum(3, 0), "3.5");
        assert_eq!(super::expected_sum(0, 25), "0.75");
        assert_eq!(super::expected_sum(12, 50), "13");
    }
}

//! Requests per second from one client with keep-alive, against the local
//! Rust server and against the Python stand-in of the Chalice app.
//!
//! ```text
//! cargo run --release -p lambda-calc-client --example lambda-calc-client-bench [-- SECONDS]
//! ```
//!
//! One client, one request at a time, over one kept-alive connection: each
//! figure is a full round trip (`GET /api/mult/8/5`, answer checked), so it
//! measures latency as much as the server. The Rust server runs in this
//! process (its own tasks); the Python one is `python/chalice_app.py`,
//! skipped if `python3` is missing.

use lambda_calc_client::client::{Client, ClientConfig};
use lambda_calc_client::server;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs: f64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 3.0,
    };
    let duration = Duration::from_secs_f64(secs);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let serving = stop.clone();
    let server = tokio::spawn(async move {
        server::run(listener, &common::serve::Limits::default(), serving).await
    });
    let rust = measure(&format!("http://{addr}/api"), duration).await?;
    println!("Rust server (axum), 1 client, keep-alive:  {rust:>7.0} requests/s");
    stop.cancel();
    server.await??;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/chalice_app.py");
    match Command::new("python3")
        .args([script, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(mut python) => {
            let mut first = String::new();
            if let Some(out) = python.stdout.take() {
                BufReader::new(out).read_line(&mut first)?;
            }
            let addr = first.trim().trim_start_matches("listening on ").to_owned();
            let result = measure(&format!("http://{addr}/api"), duration).await;
            let _ = python.kill();
            let _ = python.wait();
            println!(
                "Python stand-in (http.server), same client: {:>7.0} requests/s",
                result?
            );
        }
        Err(e) => println!("Python stand-in skipped: cannot run python3 ({e})"),
    }
    Ok(())
}

/// Sequential GETs for `duration`; requests per second.
async fn measure(url: &str, duration: Duration) -> anyhow::Result<f64> {
    let client = Client::new(ClientConfig {
        base_url: url.to_owned(),
        retries: 0,
        ..ClientConfig::default()
    })?;
    // Warm up: open the connection, check the answer.
    let first = client.calculate("mult", "8", "5").await?;
    anyhow::ensure!(first.value == "40", "wrong answer: {}", first.body);
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < duration {
        client.calculate("mult", "8", "5").await?;
        count += 1;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

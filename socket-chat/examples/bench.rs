//! Echo round trips per second, on one connection and on 100 at once.
//!
//! ```text
//! cargo run --release -p socket-chat --example socket-chat-bench
//! ```
//!
//! The server runs in this process (the library's `server::run` on a port
//! chosen by the system, without the transcript); the clients are plain
//! tokio sockets that each send a line and wait for its echo before sending
//! the next, so every message is one full round trip over loopback.
//! `--seconds N` sets how long each measurement lasts (default 3).

use socket_chat::Mode;
use socket_chat::net::Listener;
use socket_chat::server::{self, Console, ServerConfig};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let duration = Duration::from_secs(seconds);

    let listener = Listener::bind_tcp("127.0.0.1:0").await?;
    let addr = listener.local_name()?;
    let shutdown = CancellationToken::new();
    let config = ServerConfig {
        mode: Mode::Echo,
        ..ServerConfig::default()
    };
    let server = tokio::spawn(server::run(
        listener,
        config,
        Console::quiet(),
        shutdown.clone(),
    ));

    println!("echo round trips over loopback ({seconds} s each)");
    for connections in [1usize, 100] {
        let rate = measure(&addr, connections, duration).await?;
        println!("  {connections:>3} connection(s): {rate:>9.0} round trips/s");
    }

    shutdown.cancel();
    server.await??;
    Ok(())
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

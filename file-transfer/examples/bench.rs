//! Throughput of a 1 GB file over loopback, integrity check on, beside the
//! slide's Python pair and `socat`.
//!
//! ```text
//! cargo run --release -p file-transfer --example file-transfer-bench
//! cargo run --release -p file-transfer --example file-transfer-bench -- --size 200MB --dir /tmp
//! ```
//!
//! `--dir` is where the files go: by default `/dev/shm` (memory), so the
//! figures measure the transfer and the digests, not the disk; on a disk,
//! our `fsync` makes us wait for the disk and the others do not.
//!
//! Our server runs in this process (the library's `server::run`), our client
//! is the library's `Client`. Each figure is the time from connecting to
//! having the whole file on disk at the other end, verified and synced:
//! for an upload that includes the client's SHA-256 pass over the file
//! before it sends, the server's SHA-256 as it receives, `fsync` and
//! `rename`; for a download, the client's SHA-256 and `fsync` (the server
//! already knows the digest: it computed it when the file was uploaded).
//! The slide's Python pair (16 KiB reads, no digest, no sync) and `socat`
//! (a plain copy from a socket to a file, the practical ceiling) are timed
//! the same way, from the client's start to its end. The file is random
//! bytes (zeros would let the sparse-file shortcut cheat). Each figure is
//! the best of 5 runs.

use file_transfer::auth::{Accounts, Credentials};
use file_transfer::client::{Client, NoProgress};
use file_transfer::server::{self, DEFAULT_CHUNK, SLIDE_CHUNK, ServerConfig};
use file_transfer::store::Store;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "bench";

/// Runs per figure; the best is kept (the machine's other work only ever slows a run).
const RUNS: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let size = std::env::args()
        .skip_while(|a| a != "--size")
        .nth(1)
        .map(|s| file_transfer::parse_size(&s.replace("MB", "000000").replace("GB", "000000000")))
        .transpose()
        .map_err(anyhow::Error::msg)?
        .unwrap_or(1_000_000_000);
    let base = std::env::args()
        .skip_while(|a| a != "--dir")
        .nth(1)
        .map(std::path::PathBuf::from)
        .or_else(|| Some(std::path::PathBuf::from("/dev/shm")).filter(|p| p.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base)?;
    let source = dir.path().join("source.bin");
    write_random(&source, size)?;
    let mb = size as f64 / 1e6;
    println!(
        "{mb:.0} MB over loopback, files in {}; MB/s (1 MB = 10^6 bytes), best of {RUNS}",
        base.display()
    );

    for (label, chunk) in [
        ("16 KiB (slide)", SLIDE_CHUNK),
        ("256 KiB (default)", DEFAULT_CHUNK),
    ] {
        let (up, down) = ours(dir.path(), &source, chunk).await?;
        println!(
            "  file-transfer, {label:<18} upload {:>6.0}   download {:>6.0}",
            mb / up,
            mb / down
        );
    }
    let raw = raw(dir.path(), &source).await?;
    println!(
        "  file-transfer --raw (no login, digest shown, sync) {:>6.0}",
        mb / raw
    );
    match python_pair(dir.path(), &source) {
        Ok(t) => println!("  slide's Python pair (16 KiB)        {:>6.0}", mb / t),
        Err(e) => println!("  slide's Python pair: not measured ({e})"),
    }
    for block in [None, Some("262144")] {
        match socat(dir.path(), &source, block) {
            Ok(t) => println!(
                "  socat{:<31}{:>6.0}",
                block.map_or(" (8 KiB blocks)".to_owned(), |_| " -b 262144".to_owned()),
                mb / t
            ),
            Err(e) => println!("  socat: not measured ({e})"),
        }
    }
    Ok(())
}

/// A file of `size` pseudo-random bytes.
fn write_random(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    out.get_ref().sync_all()
}

/// Flush dirty pages so one measurement does not pay for the last one's.
fn settle() {
    let _ = Command::new("sync").status();
}

fn best(times: impl IntoIterator<Item = f64>) -> f64 {
    times.into_iter().fold(f64::INFINITY, f64::min)
}

/// Upload then download seconds with `chunk`-byte frames both ways.
async fn ours(dir: &Path, source: &Path, chunk: usize) -> anyhow::Result<(f64, f64)> {
    let root = dir.join(format!("root-{chunk}"));
    std::fs::create_dir_all(&root)?;
    let store = Arc::new(Store::open(&root, 0, u64::MAX)?);
    let mut accounts = Accounts::new([0; 32]);
    accounts.insert("bench", Credentials::new(PASSWORD, 4096)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let shutdown = CancellationToken::new();
    let config = ServerConfig {
        accounts,
        chunk,
        limits: common::serve::Limits::default(),
        transcript: None,
    };
    let running = tokio::spawn(server::run(listener, store, config, shutdown.clone()));
    let open = || async {
        let mut client = Client::connect(&addr, Duration::from_secs(60)).await?;
        client.set_chunk(chunk);
        client.login("bench", PASSWORD).await?;
        anyhow::Ok(client)
    };
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    let dest = dir.join("received.bin");
    for _ in 0..RUNS {
        settle();
        let start = Instant::now();
        open()
            .await?
            .put(source, "bench.bin", false, &NoProgress)
            .await?;
        ups.push(start.elapsed().as_secs_f64());
        settle();
        let start = Instant::now();
        open()
            .await?
            .get("bench.bin", &dest, false, &NoProgress)
            .await?;
        downs.push(start.elapsed().as_secs_f64());
    }
    shutdown.cancel();
    running.await??;
    std::fs::remove_dir_all(&root)?;
    Ok((best(ups), best(downs)))
}

/// Seconds for our `--raw` pair: `server::run_raw` (the slide's protocol,
/// its 16 KiB default) and `client::get_raw`, which shows the SHA-256 of
/// what arrived and syncs it.
async fn raw(dir: &Path, source: &Path) -> anyhow::Result<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let shutdown = CancellationToken::new();
    let limits = common::serve::Limits::default();
    let file = source.to_owned();
    let token = shutdown.clone();
    let running = tokio::spawn(async move {
        server::run_raw(listener, file, SLIDE_CHUNK, &limits, None, token).await
    });
    let dest = dir.join("raw.bin");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        settle();
        let start = Instant::now();
        file_transfer::client::get_raw(&addr, &dest, Duration::from_secs(60), &NoProgress).await?;
        times.push(start.elapsed().as_secs_f64());
    }
    shutdown.cancel();
    running.await??;
    Ok(best(times))
}

/// The slide's server and client (ports and paths from the command line).
fn python_pair(dir: &Path, source: &Path) -> anyhow::Result<f64> {
    const SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
print('listening on %s:%d' % s.getsockname(), flush=True)
while True:
    conn, addr = s.accept()
    f = open(sys.argv[1], 'rb')
    l = f.read(1024*16)
    while (l):
        conn.send(l)
        l = f.read(1024*16)
    f.close()
    conn.close()
"#;
    const CLIENT: &str = r#"
import socket, sys
s = socket.socket()
s.connect(('127.0.0.1', int(sys.argv[1])))
with open(sys.argv[2], 'wb') as f:
    while True:
        data = s.recv(1024*16)
        if not data:
            break
        f.write(data)
s.close()
"#;
    let mut server = Command::new("python3")
        .args(["-c", SERVER])
        .arg(source)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut first = String::new();
    if let Some(out) = server.stdout.take() {
        BufReader::new(out).read_line(&mut first)?;
    }
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let dest = dir.join("python.bin");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        settle();
        let start = Instant::now();
        let status = Command::new("python3")
            .args(["-c", CLIENT, &port])
            .arg(&dest)
            .status()?;
        times.push(start.elapsed().as_secs_f64());
        anyhow::ensure!(status.success(), "the Python client failed");
    }
    let _ = server.kill();
    let _ = server.wait();
    Ok(best(times))
}

/// `socat` from a file to a socket, and from the socket to a file.
fn socat(dir: &Path, source: &Path, block: Option<&str>) -> anyhow::Result<f64> {
    let dest = dir.join("socat.bin");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut args = vec!["-u".to_owned()];
        if let Some(b) = block {
            args.extend(["-b".to_owned(), b.to_owned()]);
        }
        let mut server = Command::new("socat")
            .args(&args)
            .arg(format!("FILE:{}", source.display()))
            .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"))
            .spawn()?;
        settle();
        let start = Instant::now();
        let status = Command::new("socat")
            .args(&args)
            .arg(format!("TCP:127.0.0.1:{port},retry=100,interval=0.01"))
            .arg(format!("CREATE:{}", dest.display()))
            .status()?;
        times.push(start.elapsed().as_secs_f64());
        let _ = server.wait();
        anyhow::ensure!(status.success(), "socat failed");
    }
    Ok(best(times))
}

//! Throughput of files over loopback, measured as users run the programs:
//! our server as a separate process with its default flags, the slides'
//! Python server, and `socat` (a plain copy, the practical ceiling).
//!
//! ```text
//! cargo run --release -p file-transfer --example file-transfer-bench
//! cargo run --release -p file-transfer --example file-transfer-bench -- --size 1GB --dir /tmp
//! ```
//!
//! `--size` is the file of one connection (default 300 MB); with 50
//! connections each moves a fiftieth of it at the same time, so every row
//! moves the same bytes. `--dir` is where the files go: by default
//! `/dev/shm` (memory), so the figures measure the transfer and the
//! digests, not the disk; on a disk our `fsync` waits for the disk and the
//! others do not.
//!
//! * **The slides' protocol** (the server sends the file and closes): one
//!   Rust client, the library's `get_raw` that `file-transfer-client get
//!   --raw` runs (256 KiB reads, a plain copy, `fsync`), drives
//!   `file-transfer-server --raw FILE` and the slides' `Server.py`, whose
//!   16 KiB reads and sends and printed lines are kept as the slide has them.
//! * **Our protocol** (login, SHA-256 on both ends, `fsync`, atomic rename,
//!   previous versions kept): the library's `Client`, as
//!   `file-transfer-client put`/`get` runs it, against
//!   `file-transfer-server --root DIR` with one account (PBKDF2 at its
//!   default 100,000 iterations, paid by the client at each login). The
//!   slides have no such program: these rows compare with `socat`.
//! * **`socat -u -b 262144`**: file → TCP → file, two processes, no digest,
//!   no sync.
//!
//! Our server's transcript (its stdout) is read as fast as it comes, as a
//! terminal would. Each figure is the time from the client's start to the
//! whole file verified (our protocol) and synced at the other end; every
//! transfer's size and content are checked (the raw copies against the file
//! once the clock has stopped). The file is random bytes (zeros
//! would let the sparse-file shortcut cheat). Each figure is the best of 3
//! runs (other programs only ever slow a run). As in the tests,
//! `FILE_TRANSFER_SERVER` may name another server to measure.

use anyhow::Context as _;
use common::testing::{Launcher, Program, built_binary, spawn_python};
use file_transfer::client::{self, Client, NoProgress};
use file_transfer::wire::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const USER: &str = file_transfer::DEFAULT_USER;
const PASSWORD: &str = "bench";
const RUNS: usize = 3;
const CONNECTIONS: [usize; 2] = [1, 50];
const TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client of the slides' server waits for its first bytes.
const PATIENCE: Duration = Duration::from_secs(15);

/// The slides' `Server.py`, as it is, with the port and the file from the
/// command line and the address printed first (for the benchmark to find).
const SLIDES_SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
print('listening on %s:%d' % s.getsockname())
while True:
    conn, addr = s.accept()
    print ('Conectado por:', addr)
    f = open(sys.argv[1],'rb')
    l = f.read(1024*16)
    while (l):
        conn.send(l)
        l = f.read(1024*16)
    f.close()
    print('Envio completo')
    conn.close()
    print('Conexão fechada')
"#;

/// One file to move: where it is, its size and SHA-256.
struct Sample {
    path: PathBuf,
    size: u64,
    digest: Digest,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let size = flag("--size")
        .map(|s| file_transfer::parse_size(&s.replace("MB", "000000").replace("GB", "000000000")))
        .transpose()
        .map_err(anyhow::Error::msg)?
        .unwrap_or(300_000_000);
    let base = flag("--dir")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| p.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base)?;
    // [one connection's file, each of 50 connections' file]
    let samples = [
        Sample::write(&dir.path().join("whole.bin"), size, 1)?,
        Sample::write(&dir.path().join("part.bin"), size / 50, 2)?,
    ];
    let mb = |secs: f64| size as f64 / 1e6 / secs;
    println!(
        "{:.0} MB over loopback in total per figure, files in {}; MB/s (10^6 bytes), best of {RUNS}",
        size as f64 / 1e6,
        base.display()
    );

    let socat = if has_socat() {
        Some(mb(best(|| {
            socat_copy(&samples[0].path, &dir.path().join("socat.bin"))
        })?))
    } else {
        println!("socat is not installed: no ceiling to compare with");
        None
    };
    let share = |rate: f64| socat.map_or(String::new(), |s| format!("{:>5.0}%", 100.0 * rate / s));
    if let Some(rate) = socat {
        println!(
            "{:<52}{rate:>8.0}",
            "socat -u -b 262144 (1 connection; the ceiling)"
        );
    }

    println!(
        "\nthe slides' protocol, one Rust client (get --raw){:>14}{:>8}",
        "MB/s", "socat"
    );
    let server = Launcher::new(
        "FILE_TRANSFER_SERVER",
        built_binary("file-transfer", "file-transfer-server"),
    );
    let mut ratios = Vec::new();
    for (sample, connections) in samples.iter().zip(CONNECTIONS) {
        let ours = start(&server, &["--raw", &sample.path.to_string_lossy()], &[]);
        let secs = best_async(|| raw_all(ours.addr(), dir.path(), sample, connections, TIMEOUT));
        let ours_rate = mb(secs.await?);
        println!(
            "{:<52}{ours_rate:>8.0}{}",
            format!("  file-transfer-server --raw, {}", plural(connections)),
            share(ours_rate)
        );
        drop(ours);
        let mut python = spawn_python(SLIDES_SERVER, &[&sample.path.to_string_lossy()]);
        python.wait_listening();
        python.discard_stdout();
        let label = format!("  the slides' Server.py, {}", plural(connections));
        // Server.py serves one client at a time from a backlog of one
        // (`listen(1)`): clients beyond it wait in SYN retries, or forever.
        let secs = best_async(|| raw_all(python.addr(), dir.path(), sample, connections, PATIENCE));
        match secs.await {
            Ok(secs) => {
                let rate = mb(secs);
                println!("{label:<52}{rate:>8.0}{}", share(rate));
                ratios.push((connections, ours_rate / rate));
            }
            Err(e) => println!("{label:<52}  failed: {e}"),
        }
    }
    for (connections, ratio) in ratios {
        println!(
            "{:<52}{ratio:>7.1}×",
            format!("  ours / Python, {}", plural(connections))
        );
    }

    println!(
        "\nour protocol (login, SHA-256 both ends, fsync){:>16}{:>8}",
        "MB/s", "socat"
    );
    let root = dir.path().join("root");
    std::fs::create_dir(&root)?;
    let ours = start(
        &server,
        &["--root", &root.to_string_lossy()],
        &[(file_transfer::PASSWORD_ENV, PASSWORD)],
    );
    for (sample, connections) in samples.iter().zip(CONNECTIONS) {
        let up = mb(best_async(|| put_all(ours.addr(), sample, connections)).await?);
        println!(
            "{:<52}{up:>8.0}{}",
            format!("  put, {}", plural(connections)),
            share(up)
        );
        let down = mb(best_async(|| get_all(ours.addr(), dir.path(), sample, connections)).await?);
        println!(
            "{:<52}{down:>8.0}{}",
            format!("  get, {}", plural(connections)),
            share(down)
        );
    }
    Ok(())
}

fn flag(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn plural(connections: usize) -> String {
    if connections == 1 {
        "1 connection".to_owned()
    } else {
        format!("{connections} connections")
    }
}

/// Our server, a separate process with its default flags and `args`, its
/// transcript read as it comes.
fn start(server: &Launcher, args: &[&str], env: &[(&str, &str)]) -> Program {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut program = server.spawn_with(&all, |cmd| {
        cmd.envs(env.iter().copied());
    });
    program.wait_listening();
    program.discard_stdout();
    program
}

impl Sample {
    /// A file of `size` pseudo-random bytes (from `seed`), and its digest.
    fn write(path: &Path, size: u64, seed: u64) -> anyhow::Result<Sample> {
        use sha2::Digest as _;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut hasher = sha2::Sha256::new();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ seed;
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
            hasher.update(&block[..n]);
            left -= n as u64;
        }
        out.flush()?;
        Ok(Sample {
            path: path.to_owned(),
            size,
            digest: hasher.finalize().into(),
        })
    }
}

/// Flush dirty pages, so that one run does not pay for the last one's.
fn settle() {
    let _ = Command::new("sync").status();
}

/// The least of [`RUNS`] timings.
fn best(mut run: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<f64> {
    let mut least = f64::INFINITY;
    for _ in 0..RUNS {
        settle();
        least = least.min(run()?);
    }
    Ok(least)
}

async fn best_async<F: Future<Output = anyhow::Result<f64>>>(
    mut run: impl FnMut() -> F,
) -> anyhow::Result<f64> {
    let mut least = f64::INFINITY;
    for _ in 0..RUNS {
        settle();
        least = least.min(run().await?);
    }
    Ok(least)
}

/// Seconds for `connections` clients, started together, to each run `one(i)`.
async fn together<F>(connections: usize, one: impl Fn(usize) -> F) -> anyhow::Result<f64>
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let start = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..connections {
        clients.spawn(one(i));
    }
    while let Some(done) = clients.join_next().await {
        done??;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// The slides' protocol: each client connects and receives the file, a
/// plain copy (as `get --raw` without `--sha256`). Every copy is compared
/// with the sample once the clock has stopped.
async fn raw_all(
    addr: &str,
    dir: &Path,
    sample: &Sample,
    connections: usize,
    patience: Duration,
) -> anyhow::Result<f64> {
    let dest = |i: usize| dir.join(format!("raw-{i}.bin"));
    let secs = together(connections, |i| {
        let addr = addr.to_owned();
        let dest = dest(i);
        let size = sample.size;
        async move {
            let (got, _) = client::get_raw(&addr, &dest, patience, false, &NoProgress).await?;
            anyhow::ensure!(got == size, "get --raw: {got} bytes, not the {size} sent");
            Ok(())
        }
    })
    .await?;
    let expected = std::fs::read(&sample.path)?;
    for i in 0..connections {
        anyhow::ensure!(
            std::fs::read(dest(i))? == expected,
            "get --raw: the copy differs from the file"
        );
        std::fs::remove_file(dest(i))?;
    }
    Ok(secs)
}

async fn logged_in(addr: &str) -> anyhow::Result<Client> {
    let mut client = Client::connect(addr, TIMEOUT).await?;
    client.login(USER, PASSWORD).await?;
    Ok(client)
}

/// Our protocol: each client logs in and uploads the sample as its own name.
async fn put_all(addr: &str, sample: &Sample, connections: usize) -> anyhow::Result<f64> {
    together(connections, |i| {
        let addr = addr.to_owned();
        let path = sample.path.clone();
        let (size, digest) = (sample.size, sample.digest);
        async move {
            let sent = logged_in(&addr)
                .await?
                .put(&path, &format!("file-{i}.bin"), false, &NoProgress)
                .await
                .context("put")?;
            anyhow::ensure!(sent.size == size && sent.digest == digest, "put: {sent:?}");
            Ok(())
        }
    })
    .await
}

/// Our protocol: each client logs in and downloads what it uploaded.
async fn get_all(
    addr: &str,
    dir: &Path,
    sample: &Sample,
    connections: usize,
) -> anyhow::Result<f64> {
    together(connections, |i| {
        let addr = addr.to_owned();
        let dest = dir.join(format!("got-{i}.bin"));
        let (size, digest) = (sample.size, sample.digest);
        async move {
            let got = logged_in(&addr)
                .await?
                .get(&format!("file-{i}.bin"), &dest, false, &NoProgress)
                .await
                .context("get")?;
            anyhow::ensure!(got.size == size && got.digest == digest, "get: {got:?}");
            std::fs::remove_file(&dest)?;
            Ok(())
        }
    })
    .await
}

/// Wait until something listens on 127.0.0.1:`port`, as `/proc/net/tcp`
/// shows (a test connection would take the one `socat` accepts).
fn wait_for_listener(port: u16) -> anyhow::Result<()> {
    // `0100007F:PORT ... 0A`: local address 127.0.0.1, state LISTEN.
    let local = format!("0100007F:{port:04X}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let table = std::fs::read_to_string("/proc/net/tcp")?;
        let listening = table.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A")
        });
        if listening {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    anyhow::bail!("socat did not listen on port {port} within 10 s")
}

/// True if `socat -V` runs (it has no `--version`).
fn has_socat() -> bool {
    Command::new("socat")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `socat` from a file to a socket, and from the socket to a file: seconds.
fn socat_copy(source: &Path, dest: &Path) -> anyhow::Result<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let block = ["-u", "-b", "262144"];
    let mut server = Command::new("socat")
        .args(block)
        .arg(format!("FILE:{}", source.display()))
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"))
        .spawn()?;
    // Start the clock once the server listens, or the client's connection
    // retries (10 ms apart) would count against the ceiling.
    wait_for_listener(port)?;
    let start = Instant::now();
    let status = Command::new("socat")
        .args(block)
        .arg(format!("TCP:127.0.0.1:{port},retry=100,interval=0.01"))
        .arg(format!("CREATE:{}", dest.display()))
        .status()?;
    let secs = start.elapsed().as_secs_f64();
    let _ = server.wait();
    anyhow::ensure!(status.success(), "socat failed");
    std::fs::remove_file(dest)?;
    Ok(secs)
}

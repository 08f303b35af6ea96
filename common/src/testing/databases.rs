//! Real database servers for tests and benchmarks, each of its own: a
//! MariaDB and a PostgreSQL server started in a temporary directory on a
//! Unix socket (no port: servers of tests running side by side never
//! collide), and SQLite files through the `sqlite3` program. Each command
//! line client reads its SQL on stdin and answers within [`timeout()`].
//!
//! Enabled by the `databases` feature, in `[dev-dependencies]`.

use crate::testing::timeout;
use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod mariadb;
pub mod postgres;
pub mod sqlite;

/// True if the tests run as root (as in CI), where the servers need care.
/// Why the MariaDB and PostgreSQL tests skip on Windows: they start their
/// servers on Unix sockets (no port, so that parallel tests never collide).
pub(crate) const UNIX_ONLY: &str =
    "the test starts its database server on a Unix socket, which needs Linux or macOS";

pub(crate) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Run `cmd` with `input` on its stdin, waiting at most `limit` for it to
/// exit: its output, or why it did not finish (it is killed then). The
/// database clients read their scripts on stdin; threads write the script
/// and read both outputs, so that no full pipe blocks either side.
pub fn output_within(cmd: &mut Command, input: &str, limit: Duration) -> Result<Output, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        // A program that stops reading early (an error with -bail) closes
        // the pipe: the rest of the script is not needed.
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = read_all(child.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not finish within {limit:?}"));
            }
            Err(e) => return Err(format!("could not wait for {program}: {e}")),
        }
    };
    let _ = writer.join();
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The first 60 lines of a script, for the message of a script refused.
pub fn script_head(script: &str) -> String {
    script.lines().take(60).collect::<Vec<_>>().join("\n")
}

/// Wait until the database server `child` logs a line containing `ready` on
/// its stderr (piped), within [`timeout()`]; past it, `stop` the server and
/// fail with its log. The log is then drained for good, so that the server
/// never blocks on a full pipe.
#[track_caller]
pub fn wait_until_ready(child: &mut Child, ready: &str, stop: impl FnOnce(&mut Child)) {
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + timeout();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = line.contains(ready);
                log.push(line);
                if done {
                    break;
                }
            }
            Err(_) => {
                stop(child);
                panic!("the server did not log {ready:?}:\n{}", log.join("\n"));
            }
        }
    }
    std::thread::spawn(move || while rx.recv().is_ok() {});
}

/// A client's output of one JSON array per line, as rows.
#[track_caller]
pub fn json_rows(out: &str) -> Vec<Vec<serde_json::Value>> {
    out.lines()
        .map(|line| {
            serde_json::from_str::<Vec<serde_json::Value>>(line)
                .unwrap_or_else(|e| panic!("not a JSON array ({e}): {line}"))
        })
        .collect()
}

//! What the black-box tests of `lambda-calc-client` share.
//!
//! The programs under test are started by command, never linked: set
//! `LAMBDA_CALC_SERVER` or `LAMBDA_CALC_CLIENT` to a command (for example
//! `"python3 my_server.py"`) and these tests grade that program instead of
//! ours. The server receives `--listen 127.0.0.1:0`; the client receives
//! `--url URL` and, depending on the test, `--value`, `--timeout SECS`,
//! `--retries N`, `--interactive`, `--ca-cert FILE` and `OP A B`.
#![allow(dead_code)] // each test file uses a different part of this module

use common::testing::{Finished, Launcher, Program, http_exchange, timeout};
use lambda_calc_client::client::{Reply, parse_reply};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "LAMBDA_CALC_SERVER",
        env!("CARGO_BIN_EXE_lambda-calc-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "LAMBDA_CALC_CLIENT",
        env!("CARGO_BIN_EXE_lambda-calc-client"),
    )
}

/// Start the server on a free loopback port, and wait until it listens.
pub fn start_server() -> Program {
    server().start_server(&["--listen", "127.0.0.1:0"])
}

/// The API's base URL on a running server: `http://127.0.0.1:PORT/api`.
pub fn api_url(server: &Program) -> String {
    format!("http://{}/api", server.socket_addr())
}

/// Run the client to its end with `args` after `--url url`, feeding `stdin`.
pub fn run_client(url: &str, args: &[&str], stdin: &str) -> Finished {
    run_client_with(url, args, stdin, |_| {})
}

/// [`run_client`], adjusting the command first (environment).
pub fn run_client_with(
    url: &str,
    args: &[&str],
    stdin: &str,
    adjust: impl FnOnce(&mut std::process::Command),
) -> Finished {
    let mut all = vec!["--url", url];
    all.extend_from_slice(args);
    let mut program = client().spawn_with(&all, |cmd| {
        cmd.env_remove("CALC_API_URL");
        adjust(cmd);
    });
    for line in stdin.lines() {
        program.write_line(line);
    }
    program.finish()
}

/// The one line a failed client printed on stderr, checked to be one
/// `error: ...` line (retry notices before it are allowed).
#[track_caller]
pub fn error_line(done: &Finished) -> String {
    assert_eq!(
        done.status.code(),
        Some(1),
        "the client should fail with exit code 1; stdout {:?}, stderr {:?}",
        done.stdout,
        done.stderr
    );
    let last = done.stderr.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("error: "),
        "the last stderr line should be `error: ...`: {:?}",
        done.stderr
    );
    assert_eq!(
        done.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .count(),
        1,
        "exactly one error line: {:?}",
        done.stderr
    );
    last
}

/// A reply of the server under test, read off the wire.
pub use common::testing::HttpReply;

/// What a calculator reply holds beyond HTTP (import it with
/// `use support::CalcReply as _`).
pub trait CalcReply {
    /// The body as a calculator result (one member holding a number).
    fn result(&self) -> Reply;
    /// Chalice's error: `(Code, Message)`; fails the test if it is not one.
    fn chalice_error(&self) -> (String, String);
}

impl CalcReply for HttpReply {
    #[track_caller]
    fn result(&self) -> Reply {
        let status = StatusCode::from_u16(self.status).expect("a status code");
        parse_reply(status, "", &self.body)
            .unwrap_or_else(|e| panic!("not a result ({e}): {} {:?}", self.status, self.body))
    }

    #[track_caller]
    fn chalice_error(&self) -> (String, String) {
        let json = self.json();
        let field = |name: &str| {
            json[name]
                .as_str()
                .unwrap_or_else(|| panic!("no string {name:?} in {:?}", self.body))
                .to_owned()
        };
        let members = json.as_object().map(|o| o.len());
        assert_eq!(
            members,
            Some(2),
            "exactly Code and Message: {:?}",
            self.body
        );
        (field("Code"), field("Message"))
    }
}

/// Send one raw HTTP/1.1 request (`GET path`, or any method) and read the
/// reply to the end. The path is sent byte for byte, so tests control the
/// percent-encoding exactly.
pub fn request(addr: SocketAddr, method: &str, path: &str) -> HttpReply {
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    http_exchange(addr, head.as_bytes())
}

/// `GET path` on the server under test.
pub fn get(server: &Program, path: &str) -> HttpReply {
    request(server.socket_addr(), "GET", path)
}

/// What a [`FakeServer`] does with one request.
#[derive(Debug, Clone)]
pub enum Canned {
    /// Answer with this status, content type and body.
    Answer(u16, &'static str, String),
    /// Read the request, then close the connection without a word.
    Close,
    /// Read the request and never answer (until the fake server is dropped).
    Hang,
    /// Read the request, send these bytes, whatever they are, and close.
    Raw(&'static [u8]),
    /// Answer with this status and a body announced as 1 GiB: send the
    /// first [`ENDLESS_SENT`] bytes of it as fast as the client reads, then
    /// send nothing more (until the fake server is dropped). A client that
    /// reads the whole body waits for its timeout.
    Endless(u16),
}

/// How much of a [`Canned::Endless`] body is sent: far more than any
/// client should read, far less than it announces.
pub const ENDLESS_SENT: usize = 16 << 20;

impl Canned {
    /// A JSON answer.
    pub fn json(status: u16, body: &str) -> Self {
        Canned::Answer(status, "application/json", body.to_owned())
    }
}

/// A scripted HTTP server for the client's robustness tests: the n-th
/// request gets the n-th canned answer (the last one repeats). It counts
/// requests, so tests can tell whether the client retried.
pub struct FakeServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl FakeServer {
    /// Start serving `script` on a free loopback port.
    pub fn start(script: Vec<Canned>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one answer");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (seen, stopped) = (Arc::clone(&requests), Arc::clone(&stop));
        let script = Arc::new(script);
        let next = Arc::new(AtomicUsize::new(0));
        thread::spawn(move || {
            for stream in listener.incoming() {
                if *stopped.0.lock().expect("lock") {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let n = next.fetch_add(1, Ordering::SeqCst);
                let canned = script[n.min(script.len() - 1)].clone();
                let (seen, stopped) = (Arc::clone(&seen), Arc::clone(&stopped));
                thread::spawn(move || serve(stream, canned, &seen, &stopped));
            }
        });
        Self {
            addr,
            requests,
            stop,
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT/api`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The request lines received so far (`GET /api/mult/8/5 HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        let seen = self.requests.lock().expect("lock");
        seen.iter().map(|(_, line)| line.clone()).collect()
    }

    /// The pauses between one request and the next.
    pub fn gaps(&self) -> Vec<Duration> {
        let seen = self.requests.lock().expect("lock");
        seen.windows(2).map(|w| w[1].0 - w[0].0).collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().expect("lock") = true;
        wake.notify_all();
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: TcpStream,
    canned: Canned,
    seen: &Mutex<Vec<(Instant, String)>>,
    stop: &(Mutex<bool>, Condvar),
) {
    let _ = stream.set_read_timeout(Some(timeout()));
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    seen.lock()
        .expect("lock")
        .push((Instant::now(), line.trim_end().to_owned()));
    // Skip the headers.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut stream = &stream;
    let head = |status: u16, content_type: &str, length: usize| {
        format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
            StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Whatever"),
        )
    };
    match canned {
        Canned::Answer(status, content_type, body) => {
            let _ = write!(stream, "{}{body}", head(status, content_type, body.len()));
        }
        Canned::Close => {}
        Canned::Hang => wait_for_stop(stop),
        Canned::Raw(bytes) => {
            let _ = stream.write_all(bytes);
        }
        Canned::Endless(status) => {
            let _ = stream.write_all(head(status, "text/html", 1 << 30).as_bytes());
            let chunk = [b'x'; 64 * 1024];
            // A write fails once the client has closed the connection: it
            // read what it wanted and gave up on the rest.
            let sent = (0..ENDLESS_SENT / chunk.len()).all(|_| stream.write_all(&chunk).is_ok());
            if sent {
                wait_for_stop(stop);
            }
        }
    }
}

/// Block until the fake server is dropped.
fn wait_for_stop(stop: &(Mutex<bool>, Condvar)) {
    let (flag, wake) = stop;
    let mut stopped = flag.lock().expect("lock");
    while !*stopped {
        stopped = wake.wait(stopped).expect("lock");
    }
}

/// The slide's Python client (`python/cliente_chalice.py`).
pub const PYTHON_CLIENT: &str = include_str!("../../python/cliente_chalice.py");

/// The Python stand-in of the course's Chalice app (`python/chalice_app.py`).
pub const PYTHON_CHALICE_APP: &str = include_str!("../../python/chalice_app.py");

/// Start the Python stand-in on a free port.
pub fn start_python_app() -> Program {
    let mut app = testing::spawn_python(PYTHON_CHALICE_APP, &["--listen", "127.0.0.1:0"]);
    app.wait_listening();
    app
}

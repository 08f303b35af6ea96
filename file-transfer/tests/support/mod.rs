//! What the black-box tests of `file-transfer` share.
//!
//! The programs under test are started by command, never linked: set
//! `FILE_TRANSFER_SERVER` or `FILE_TRANSFER_CLIENT` to a command (for example
//! `"python3 my_server.py"`) and these tests grade that program instead of
//! ours. The server receives `--listen 127.0.0.1:0 --root DIR --iterations
//! 4096` (plus `--timeout`, `--keep-versions`, `--max-size`, `--accounts`,
//! `--raw` where a test needs them) and the password in
//! `FILE_TRANSFER_PASSWORD`; the client receives `--connect ADDR` and a
//! subcommand (`ls`, `get`, `put`, `exercise`).
//!
//! The tests speak the protocol through two encoders written from the
//! README alone, never through the crate's own `wire` and `auth` modules (a
//! suite that encoded with the code under test could not catch it drifting
//! from the README): [`proto`] in Rust, under [`Wire`], a test client that
//! speaks frame by frame so a test can misbehave on purpose (stop
//! mid-upload, lie about a digest, send a name with `/`); and
//! `ft_client.py` in Python, the course's language ([`python_client`]).
#![allow(dead_code)] // each test file uses a different part of this module

pub mod proto;

use common::testing::{Finished, Launcher, Program, timeout};
use proto::{Digest, HEADER_LEN, Incoming, Message};
use sha2::{Digest as _, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The account every test logs in with.
pub const USER: &str = "aluno";

/// Its password.
pub const PASSWORD: &str = "segredo";

/// PBKDF2 iterations for test accounts: the minimum, to keep debug builds fast.
pub const ITERATIONS: &str = "4096";

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "FILE_TRANSFER_SERVER",
        env!("CARGO_BIN_EXE_file-transfer-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "FILE_TRANSFER_CLIENT",
        env!("CARGO_BIN_EXE_file-transfer-client"),
    )
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Digest {
    Sha256::digest(data).into()
}

/// SHA-256 of `data` in hex.
pub fn sha256_hex(data: &[u8]) -> String {
    proto::hex(&sha256(data))
}

/// Bytes that are not all alike (so a misplaced chunk would show).
pub fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

/// A served directory and the server on it.
pub struct Served {
    /// The server.
    pub server: Program,
    /// Its root directory (removed when dropped).
    pub root: tempfile::TempDir,
}

impl Served {
    /// A server on an empty root, with the single test account.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(&[], args)
    }

    /// A server on a root that holds `files`, with the single test account.
    pub fn start_with(files: &[(&str, &[u8])], args: &[&str]) -> Self {
        Self::start_adjusted(files, args, |_| {})
    }

    /// Like [`Served::start_with`], adjusting the server's command first
    /// (an environment variable such as `RUST_LOG`).
    pub fn start_adjusted(
        files: &[(&str, &[u8])],
        args: &[&str],
        adjust: impl FnOnce(&mut std::process::Command),
    ) -> Self {
        let root = tempfile::tempdir().expect("a temporary root");
        for (name, data) in files {
            std::fs::write(root.path().join(name), data).expect("write a served file");
        }
        let server = start_server_adjusted(root.path(), args, adjust);
        Self { server, root }
    }

    /// The server's address.
    pub fn addr(&self) -> String {
        self.server.addr().to_owned()
    }

    /// A path in the root.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// The content of a file in the root.
    #[track_caller]
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
    }

    /// The names in the root, hidden ones included, sorted.
    pub fn names(&self) -> Vec<String> {
        common::testing::file_names(self.root.path())
    }

    /// Hidden files in the root (temporary or partial uploads).
    pub fn hidden(&self) -> Vec<String> {
        self.names()
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    /// Run the client with `args` (after `--connect ADDR`) in `cwd`.
    pub fn client(&self, cwd: &Path, args: &[&str]) -> Finished {
        run_client(&self.addr(), cwd, args, PASSWORD)
    }

    /// Start the client with `args` in `cwd`, without waiting for it.
    pub fn spawn_client(&self, cwd: &Path, args: &[&str]) -> Program {
        spawn_client(&self.addr(), cwd, args, PASSWORD)
    }

    /// A protocol-level client, logged in.
    pub fn wire(&self) -> Wire {
        let mut wire = Wire::connect(&self.addr());
        let reply = wire.login(USER, PASSWORD);
        assert!(
            matches!(reply, Message::Welcome { .. }),
            "login failed: {reply:?}"
        );
        wire
    }

    /// Wait until the server has finished with the connection from `peer`
    /// (it prints `Conexão fechada: <peer>` after cleaning up).
    #[track_caller]
    pub fn wait_closed(&mut self, peer: SocketAddr) {
        self.server.expect_line(&format!("Conexão fechada: {peer}"));
    }
}

/// Start the server on `root` with the test account and `args`.
pub fn start_server_on(root: &Path, args: &[&str]) -> Program {
    start_server_adjusted(root, args, |_| {})
}

/// Like [`start_server_on`], adjusting the command first.
pub fn start_server_adjusted(
    root: &Path,
    args: &[&str],
    adjust: impl FnOnce(&mut std::process::Command),
) -> Program {
    let root = root.to_str().expect("a UTF-8 temporary path");
    let mut all = vec![
        "--listen",
        "127.0.0.1:0",
        "--root",
        root,
        "--iterations",
        ITERATIONS,
    ];
    all.extend_from_slice(args);
    let mut program = server().spawn_with(&all, |cmd| {
        cmd.env("FILE_TRANSFER_PASSWORD", PASSWORD);
        adjust(cmd);
    });
    program.wait_listening();
    program
}

/// Start the client against `addr` with `args`, in `cwd`, with `password`.
pub fn spawn_client(addr: &str, cwd: &Path, args: &[&str], password: &str) -> Program {
    let mut all = vec!["--connect", addr];
    all.extend_from_slice(args);
    client().spawn_with(&all, |cmd| {
        cmd.current_dir(cwd)
            .env("FILE_TRANSFER_PASSWORD", password)
            .env_remove("RUST_LOG");
    })
}

/// Run the client to its end.
pub fn run_client(addr: &str, cwd: &Path, args: &[&str], password: &str) -> Finished {
    spawn_client(addr, cwd, args, password).finish()
}

/// Check a client run succeeded and return its stdout lines.
#[track_caller]
pub fn ok(done: Finished) -> Vec<String> {
    assert!(
        done.status.success(),
        "the client failed ({}): {}",
        done.status,
        done.stderr
    );
    done.stdout
}

/// Check a client run failed with one `error: ...` line mentioning `needle`.
#[track_caller]
pub fn failed(done: &Finished, needle: &str) {
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    let last = done.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(needle),
        "expected an `error: ...{needle}...` line, got {:?}",
        done.stderr
    );
}

/// The Python client written from the README (`ft_client.py`).
pub const PYTHON_CLIENT: &str = include_str!("ft_client.py");

/// Run the Python client against `addr` as `user`: it logs in, runs
/// `commands` (`ls`, `get NAME DEST`, `put SRC NAME`) on one connection and
/// prints one tab-separated line per result (see `ft_client.py`).
pub fn python_client(addr: &str, user: &str, password: &str, commands: &[&str]) -> Finished {
    let mut args = vec![addr, user, password];
    args.extend_from_slice(commands);
    common::testing::run_python(PYTHON_CLIENT, &args, "")
}

/// A client that speaks the protocol one frame at a time.
pub struct Wire {
    stream: TcpStream,
    nonce: Digest,
}

impl Wire {
    /// Connect and read the greeting.
    #[track_caller]
    pub fn connect(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        let mut wire = Self::over(stream);
        match wire.recv() {
            Some(Incoming::Message(Message::Hello { protocol, nonce })) => {
                assert_eq!(protocol, proto::PROTOCOL);
                wire.nonce = nonce;
            }
            other => panic!("expected HELLO, got {other:?}"),
        }
        wire
    }

    /// Speak frames over `stream` as they come, without expecting a
    /// greeting (the test reads what the server says first, or plays the
    /// server itself).
    #[track_caller]
    pub fn over(stream: TcpStream) -> Self {
        stream
            .set_read_timeout(Some(timeout()))
            .expect("set a read timeout");
        Self {
            stream,
            nonce: [0; 32],
        }
    }

    /// The nonce of the server's greeting (zero before it).
    pub fn server_nonce(&self) -> Digest {
        self.nonce
    }

    /// Our end's address, as the server's transcript shows it.
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().expect("local address")
    }

    /// The socket, to misbehave with.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Log in; returns the server's last answer (WELCOME or ERROR).
    #[track_caller]
    pub fn login(&mut self, user: &str, password: &str) -> Message {
        let client_nonce = [42u8; 32];
        self.send(&Message::Auth {
            user: user.into(),
            nonce: client_nonce,
        });
        let (iterations, salt) = match self.message() {
            Message::Challenge { iterations, salt } => (iterations, salt),
            other => return other,
        };
        let message = proto::auth_message(user, &client_nonce, &self.nonce, iterations, &salt);
        let (proof, _) = proto::client_proof(password, &salt, iterations, &message);
        self.send(&Message::Proof { proof });
        self.message()
    }

    /// Send a message.
    #[track_caller]
    pub fn send(&mut self, message: &Message) {
        self.send_raw(&message.encode());
    }

    /// Send file content in data frames of at most `chunk` bytes.
    #[track_caller]
    pub fn send_data(&mut self, data: &[u8], chunk: usize) {
        for piece in data.chunks(chunk) {
            self.send_raw(&proto::data_frame(piece));
        }
    }

    /// Send raw bytes.
    #[track_caller]
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// The next frame, `None` if the server closed the connection (a reset
    /// after its last frame counts as closing).
    #[track_caller]
    pub fn recv(&mut self) -> Option<Incoming> {
        let mut header = [0u8; HEADER_LEN];
        match self.stream.read(&mut header[..1]) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
        self.stream
            .read_exact(&mut header[1..])
            .expect("a whole frame header");
        let (kind, len) = proto::parse_header(header);
        let mut body = vec![0u8; len];
        self.stream
            .read_exact(&mut body)
            .expect("a whole frame body");
        if kind == proto::kind::DATA {
            return Some(Incoming::Data(body));
        }
        Some(Incoming::Message(
            Message::decode(kind, &body).expect("a valid message"),
        ))
    }

    /// The next frame, which must be a message.
    #[track_caller]
    pub fn message(&mut self) -> Message {
        match self.recv() {
            Some(Incoming::Message(m)) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The next frame, which must be an ERROR; its code and text.
    #[track_caller]
    pub fn error(&mut self) -> (u16, String) {
        match self.message() {
            Message::Error { code, message } => (code, message),
            other => panic!("expected ERROR, got {other:?}"),
        }
    }

    /// Wait until the server closes the connection (reading anything left).
    #[track_caller]
    pub fn closed(&mut self) {
        let mut rest = Vec::new();
        match self.stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }

    /// Upload `data` as `name` in one go; the server's answer.
    #[track_caller]
    pub fn put(&mut self, name: &str, data: &[u8]) -> Message {
        self.send(&Message::Put {
            name: name.into(),
            size: data.len() as u64,
            resume: false,
        });
        match self.message() {
            Message::Ready { offset: 0 } => {}
            other => return other,
        }
        self.send_data(data, 64 * 1024);
        self.send(&Message::Trailer {
            digest: sha256(data),
        });
        self.message()
    }

    /// Download `name` whole; its content, or the server's error.
    #[track_caller]
    pub fn get(&mut self, name: &str) -> Result<Vec<u8>, (u16, String)> {
        self.send(&Message::Get {
            name: name.into(),
            offset: 0,
            prefix: [0; 32],
        });
        let (size, digest) = match self.message() {
            Message::File { size, digest, .. } => (size, digest),
            Message::Error { code, message } => return Err((code, message)),
            other => panic!("expected FILE, got {other:?}"),
        };
        let mut data = Vec::new();
        while (data.len() as u64) < size {
            match self.recv() {
                Some(Incoming::Data(chunk)) => data.extend_from_slice(&chunk),
                Some(Incoming::Message(Message::Error { code, message })) => {
                    return Err((code, message));
                }
                other => panic!("expected data, got {other:?}"),
            }
        }
        assert_eq!(sha256(&data), digest, "the FILE header's digest is wrong");
        Ok(data)
    }
}

/// Stored and its fields, or a panic with what came instead.
#[track_caller]
pub fn stored(reply: Message) -> (u64, Digest, String) {
    match reply {
        Message::Stored {
            size,
            digest,
            previous,
        } => (size, digest, previous),
        other => panic!("expected STORED, got {other:?}"),
    }
}

/// A relay to `upstream` that passes everything from the client, but only
/// the first `limit` bytes from the server, then closes both ways: a
/// connection that breaks in the middle of a download.
pub fn cutting_relay(upstream: &str, limit: usize) -> (String, std::thread::JoinHandle<()>) {
    relay(upstream, limit, Direction::Download)
}

/// A relay to `upstream` that passes everything from the server, but only
/// the first `limit` bytes from the client, then closes both ways: a
/// connection that breaks in the middle of an upload.
pub fn cutting_upload_relay(upstream: &str, limit: usize) -> (String, std::thread::JoinHandle<()>) {
    relay(upstream, limit, Direction::Upload)
}

/// Which way a relay cuts.
enum Direction {
    Download,
    Upload,
}

fn relay(upstream: &str, limit: usize, cut: Direction) -> (String, std::thread::JoinHandle<()>) {
    let relay = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
    let addr = relay.local_addr().expect("addr").to_string();
    let upstream = upstream.to_owned();
    let handle = std::thread::spawn(move || {
        let Ok((client, _)) = relay.accept() else {
            return;
        };
        let Ok(server) = TcpStream::connect(&upstream) else {
            return;
        };
        let (whole_from, whole_to, mut cut_from, mut cut_to) = match cut {
            Direction::Download => (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
                server,
                client,
            ),
            Direction::Upload => (
                server.try_clone().expect("clone"),
                client.try_clone().expect("clone"),
                client,
                server,
            ),
        };
        let (mut whole_from, mut whole_to) = (whole_from, whole_to);
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut whole_from, &mut whole_to);
        });
        let mut left = limit;
        let mut buf = [0u8; 8192];
        while left > 0 {
            let Ok(n @ 1..) = cut_from.read(&mut buf[..left.min(8192)]) else {
                break;
            };
            if cut_to.write_all(&buf[..n]).is_err() {
                break;
            }
            left -= n;
        }
        let _ = cut_to.shutdown(std::net::Shutdown::Both);
        let _ = cut_from.shutdown(std::net::Shutdown::Both);
    });
    (addr, handle)
}

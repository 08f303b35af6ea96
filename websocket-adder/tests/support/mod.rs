//! What the black-box tests of `websocket-adder` share.
//!
//! The programs under test are started by command, never linked: set
//! `WEBSOCKET_ADDER_SERVER` or `WEBSOCKET_ADDER_CLIENT` to a command (for
//! example `"python3 my_server.py"`) and these tests grade that program
//! instead of ours. The server receives `--listen 127.0.0.1:0` and, in some
//! tests, `--hello 127.0.0.1:0`, `--max-message BYTES`, `--max-connections N`,
//! `--timeout SECS`, `--header-timeout SECS`, `--quiet`; the client receives
//! `--connect HOST:PORT` or `--url URL`, and `--hello NAME`, `--listen-push`
//! or the numbers.
#![allow(dead_code)] // each test file uses a different part of this module

use common::testing::{Launcher, Program, timeout};
use futures_util::{SinkExt as _, StreamExt as _};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "WEBSOCKET_ADDER_SERVER",
        env!("CARGO_BIN_EXE_websocket-adder-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "WEBSOCKET_ADDER_CLIENT",
        env!("CARGO_BIN_EXE_websocket-adder-client"),
    )
}

/// Start the server on a free loopback port with `args`, and wait until it listens.
pub fn start_server(args: &[&str]) -> Program {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    server().start_server(&all)
}

/// `ws://<the server's address><path>`.
pub fn ws_url(server: &Program, path: &str) -> String {
    format!("ws://{}{path}", server.addr())
}

/// A WebSocket client connection, as a test holds it.
pub type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Fail the test if `future` takes longer than the test timeout.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(timeout(), future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Open the WebSocket at `path` on the server (the handshake is complete
/// when this returns).
pub async fn connect(server: &Program, path: &str) -> Ws {
    connect_url(&ws_url(server, path)).await
}

/// Open the WebSocket at `url`.
pub async fn connect_url(url: &str) -> Ws {
    let (ws, response) = within(
        &format!("connecting to {url}"),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot open the WebSocket {url}: {e}"));
    assert_eq!(response.status(), 101, "the upgrade was not accepted");
    ws
}

/// The next text message; fails the test on anything else.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match within("waiting for a text message", ws.next()).await {
            Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Send `text` and return the reply.
pub async fn ask(ws: &mut Ws, text: &str) -> String {
    within("sending", ws.send(Message::text(text)))
        .await
        .expect("send a message");
    next_text(ws).await
}

/// Read until the server's close frame, and return it.
pub async fn expect_close(ws: &mut Ws) -> CloseFrame {
    loop {
        match within("waiting for a close frame", ws.next()).await {
            Some(Ok(Message::Close(Some(frame)))) => return frame,
            Some(Ok(Message::Close(None))) => panic!("the close frame carries no status code"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// A fresh connection to `/add` still gets `3 4` → `7`.
pub async fn assert_still_adds(server: &mut Program) {
    server.assert_running();
    let mut ws = connect(server, "/add").await;
    assert_eq!(ask(&mut ws, "3 4").await, "7");
}

/// The opening handshake of RFC 6455, section 1.3, byte for byte: its key
/// must be answered with `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The answer to [`RFC_KEY`].
pub const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A WebSocket spoken by hand over a plain TCP socket, to send what a
/// well-behaved library never would (half frames, invalid UTF-8, no close).
pub struct RawWs {
    reader: BufReader<TcpStream>,
    /// The server's handshake response, status line and headers.
    pub response: Vec<String>,
}

/// Frame opcodes (RFC 6455, 5.2).
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;

impl RawWs {
    /// Connect and perform the opening handshake on `path`.
    #[track_caller]
    pub fn connect(server: &Program, path: &str) -> Self {
        let stream = TcpStream::connect(server.socket_addr()).expect("connect to the server");
        stream
            .set_read_timeout(Some(timeout()))
            .expect("set a read timeout");
        let mut raw = Self {
            reader: BufReader::new(stream),
            response: Vec::new(),
        };
        raw.send(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: {RFC_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
                server.addr()
            )
            .as_bytes(),
        );
        loop {
            let mut line = String::new();
            let n = raw
                .reader
                .read_line(&mut line)
                .expect("read the handshake response");
            assert!(n > 0, "the server closed during the handshake");
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            raw.response.push(line);
        }
        assert!(
            raw.response[0].starts_with("HTTP/1.1 101"),
            "the upgrade was refused: {:?}",
            raw.response
        );
        raw
    }

    /// The value of a response header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.iter().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Send raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.reader
            .get_mut()
            .write_all(bytes)
            .expect("send to the server");
    }

    /// Send one whole, final, masked frame.
    pub fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        self.send(&frame(opcode, payload, true));
    }

    /// Read one frame from the server: (opcode, payload).
    #[track_caller]
    pub fn read_frame(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 2];
        self.reader
            .read_exact(&mut head)
            .expect("read a frame header");
        assert_eq!(head[1] & 0x80, 0, "a server's frames must not be masked");
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.reader.read_exact(&mut b).expect("read a length");
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.reader.read_exact(&mut b).expect("read a length");
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        let mut payload = vec![0u8; usize::try_from(len).expect("a frame that fits in memory")];
        self.reader
            .read_exact(&mut payload)
            .expect("read a frame payload");
        (head[0] & 0x0f, payload)
    }

    /// Read frames until a text one, and return its text.
    #[track_caller]
    pub fn read_text(&mut self) -> String {
        loop {
            let (opcode, payload) = self.read_frame();
            match opcode {
                TEXT => return String::from_utf8(payload).expect("text frames are UTF-8"),
                0x9 | 0xA => continue,
                other => panic!("expected a text frame, got opcode {other:#x}: {payload:?}"),
            }
        }
    }

    /// Read frames until a close frame: (status code, reason).
    #[track_caller]
    pub fn read_close(&mut self) -> (u16, String) {
        loop {
            let (opcode, payload) = self.read_frame();
            if opcode == CLOSE {
                assert!(payload.len() >= 2, "the close frame carries no status code");
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
    }

    /// The underlying socket.
    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }
}

/// One client frame: FIN set if `fin`, masked (clients must mask).
pub fn frame(opcode: u8, payload: &[u8], fin: bool) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    out
}

/// A plain HTTP/1.1 GET: (status line, headers, body).
pub fn http_get(server: &Program, path: &str) -> (String, Vec<String>, String) {
    let mut stream = TcpStream::connect(server.socket_addr()).expect("connect to the server");
    stream
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr()
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a response with headers");
    let mut lines = head.lines().map(str::to_owned);
    let status = lines.next().unwrap_or_default();
    (status, lines.collect(), body.to_owned())
}

//! What the black-box tests of `rpc-calculator` share.
//!
//! The programs under test are started by command, never linked: set
//! `RPC_CALCULATOR_SERVER` or `RPC_CALCULATOR_CLIENT` to a command (for
//! example `"python3 my_server.py"`) and these tests grade that program
//! instead of ours. The server receives `--listen 127.0.0.1:0` and, in a few
//! tests, `--header-timeout SECS`, `--timeout SECS`, `--max-connections N`,
//! `--max-body BYTES` or `--quiet`; the client receives
//! `--connect HOST:PORT` and `--transport`, `--async`, `--timeout`, plus its
//! positional arguments.
//!
//! The wire helpers here are deliberately plain (a raw TCP socket writing
//! HTTP/1.1 by hand), so that what a test sends is exactly what it says.
#![allow(dead_code)] // each test file uses a different part of this module

use common::testing::{HttpReply, Launcher, Program, timeout};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "RPC_CALCULATOR_SERVER",
        env!("CARGO_BIN_EXE_rpc-calculator-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "RPC_CALCULATOR_CLIENT",
        env!("CARGO_BIN_EXE_rpc-calculator-client"),
    )
}

/// Start the server on a free loopback port with `args`, and wait until it listens.
pub fn start_server(args: &[&str]) -> Program {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    server().start_server(&all)
}

/// Run the client against `server` with `args`, feeding `stdin`; wait for it to exit.
pub fn run_client(server: &Program, args: &[&str], stdin: &str) -> common::testing::Finished {
    let mut all = vec!["--connect", server.addr()];
    all.extend_from_slice(args);
    let mut program = client().spawn(&all);
    for line in stdin.lines() {
        program.write_line(line);
    }
    program.finish()
}

/// A raw HTTP/1.1 connection to the server.
pub struct Http {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Http {
    /// Connect to the server under test.
    pub fn connect(server: &Program) -> Self {
        let addr = server.socket_addr();
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream
            .set_read_timeout(Some(timeout()))
            .expect("set a read timeout");
        Self {
            reader: BufReader::new(stream),
            addr,
        }
    }

    /// Send raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.reader
            .get_mut()
            .write_all(bytes)
            .expect("send to the server");
    }

    /// POST `body` to `path` with `content_type` (keep-alive) and read the response.
    #[track_caller]
    pub fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> HttpReply {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.send(head.as_bytes());
        self.send(body);
        self.response()
    }

    /// Read one response (status line, headers, a `Content-Length` body).
    #[track_caller]
    pub fn response(&mut self) -> HttpReply {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .expect("read the status line");
        assert!(
            n > 0,
            "the server closed the connection instead of answering"
        );
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("read a header");
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("read the body");
        HttpReply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Read until the server closes the connection; what it sent meanwhile.
    /// A reset counts as the close. Fails the test if the server neither
    /// sends nor closes within the test timeout.
    #[track_caller]
    pub fn rest(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        match self.reader.read_to_end(&mut all) {
            Ok(_) => all,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => all,
            Err(e) => panic!("the server neither answered nor closed the connection: {e}"),
        }
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }
}

/// POST one JSON-RPC body on a fresh connection; the HTTP response.
#[track_caller]
pub fn post_json(server: &Program, body: &str) -> HttpReply {
    Http::connect(server).post("/", "application/json", body.as_bytes())
}

/// Call `method` with `params` over JSON-RPC/HTTP; the whole reply object.
#[track_caller]
pub fn json_rpc(server: &Program, method: &str, params: Value) -> Value {
    let request =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = post_json(server, &request.to_string());
    assert_eq!(response.status, 200, "body: {}", response.body);
    response.json()
}

/// The exact text of a JSON-RPC reply's `result` (numbers as written on the
/// wire, not as a double).
#[track_caller]
pub fn result_text(server: &Program, method: &str, params: &str) -> String {
    let body = format!(r#"{{"jsonrpc":"2.0","id":7,"method":"{method}","params":{params}}}"#);
    let response = post_json(server, &body);
    assert_eq!(response.status, 200, "body: {}", response.body);
    #[derive(serde::Deserialize)]
    struct Reply<'a> {
        #[serde(borrow)]
        result: &'a serde_json::value::RawValue,
    }
    let reply: Reply = serde_json::from_str(&response.body)
        .unwrap_or_else(|e| panic!("no result in {:?}: {e}", response.body));
    reply.result.get().to_owned()
}

/// An XML-RPC `<methodCall>` with `params` given as typed values
/// (`"<int>15</int>"`), as Python's `xmlrpc.client` writes it.
pub fn xml_call(method: &str, params: &[&str]) -> String {
    let params: String = params
        .iter()
        .map(|p| format!("<param>\n<value>{p}</value>\n</param>\n"))
        .collect();
    format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n{params}</params>\n</methodCall>\n"
    )
}

/// POST an XML-RPC body to `/RPC2` on a fresh connection.
#[track_caller]
pub fn post_xml(server: &Program, body: &str) -> HttpReply {
    Http::connect(server).post("/RPC2", "text/xml", body.as_bytes())
}

/// The fault code in an XML-RPC fault response, if it is one.
pub fn fault_code(xml: &str) -> Option<i32> {
    // <name>faultCode</name><value><int>-32601</int></value> (or <i4>)
    let after = &xml[xml.find("faultCode</name>")? + "faultCode</name>".len()..];
    let value = &after[..after.find("</value>")?];
    let mut text = String::new();
    let mut in_tag = false;
    for c in value.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().parse().ok()
}

/// A multi-threaded runtime for tests that drive many async clients.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Check that the server still answers a fresh JSON-RPC call.
#[track_caller]
pub fn assert_still_serves(server: &mut Program) {
    server.assert_running();
    assert_eq!(
        json_rpc(server, "add", serde_json::json!([2, 3]))["result"],
        5
    );
}

/// A JSON-RPC session on a WebSocket, spoken without any JSON-RPC library:
/// text frames in, text frames out.
pub struct WebSocket {
    socket: tokio_tungstenite::tungstenite::WebSocket<TcpStream>,
}

impl WebSocket {
    /// Open a WebSocket to the server under test (`GET /` with `Upgrade`).
    #[track_caller]
    pub fn connect(server: &Program) -> Self {
        let stream = TcpStream::connect(server.socket_addr()).expect("connect to the server");
        stream
            .set_read_timeout(Some(timeout()))
            .expect("set a read timeout");
        let url = format!("ws://{}/", server.addr());
        let (socket, _) = tokio_tungstenite::tungstenite::client::client(url.as_str(), stream)
            .unwrap_or_else(|e| panic!("the WebSocket handshake failed: {e}"));
        Self { socket }
    }

    /// Send one text frame and return the next text frame the server sends.
    #[track_caller]
    pub fn call(&mut self, text: &str) -> String {
        use tokio_tungstenite::tungstenite::Message;
        self.socket
            .send(Message::text(text))
            .expect("send a WebSocket message");
        loop {
            match self.socket.read().expect("a WebSocket reply") {
                Message::Text(reply) => return reply.as_str().to_owned(),
                Message::Close(frame) => panic!("the server closed the WebSocket: {frame:?}"),
                _ => continue,
            }
        }
    }
}

//! What the black-box tests of `socket-chat` share.
//!
//! The programs under test are started by command, never linked: set
//! `SOCKET_CHAT_SERVER` or `SOCKET_CHAT_CLIENT` to a command (for example
//! `"python3 my_server.py"`) and these tests grade that program instead of
//! ours. It receives the same flags ours does (`--mode`, `--transport`,
//! `--listen`, `--connect`, `--path`, `--codec`, `--sync`, `--max-message`).
#![allow(dead_code)] // each test file uses a different part of this module

use bytes::BytesMut;
use common::message::ChatMessage;
use common::testing::{Launcher, Program, timeout};
use socket_chat::wire::{self, Codec};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "SOCKET_CHAT_SERVER",
        env!("CARGO_BIN_EXE_socket-chat-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "SOCKET_CHAT_CLIENT",
        env!("CARGO_BIN_EXE_socket-chat-client"),
    )
}

/// Start the server on a free loopback port with `args`, and wait until it listens.
pub fn start_server(args: &[&str]) -> Program {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    server().start_server(&all)
}

/// A raw TCP connection, as `nc` or the slide's Python client would make.
pub struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    /// Connect to the server under test.
    pub fn connect(server: &Program) -> Self {
        let stream = TcpStream::connect(server.socket_addr()).expect("connect to the server");
        stream
            .set_read_timeout(Some(timeout()))
            .expect("set a read timeout");
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Send raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.reader
            .get_mut()
            .write_all(bytes)
            .expect("send to the server");
    }

    /// Send `line` and a newline.
    pub fn send_line(&mut self, line: &str) {
        self.send(format!("{line}\n").as_bytes());
    }

    /// Read one line (without its newline); fails the test on timeout or
    /// end of stream.
    #[track_caller]
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .unwrap_or_else(|e| read_failed("a line", &e));
        assert!(
            n > 0,
            "the server closed the connection instead of answering"
        );
        line.trim_end_matches('\n').to_owned()
    }

    /// Read exactly `n` bytes.
    #[track_caller]
    pub fn exact(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.reader
            .read_exact(&mut buf)
            .unwrap_or_else(|e| read_failed(&format!("{n} bytes"), &e));
        buf
    }

    /// Read until the server closes the connection; everything it sent.
    /// A reset after the server's last words counts as the close.
    #[track_caller]
    pub fn rest(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        match self.reader.read_to_end(&mut all) {
            Ok(_) => all,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => all,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
    }

    /// Send `text` as one length-delimited protobuf `ChatMessage`.
    pub fn send_proto(&mut self, text: &str) {
        self.send(&frame("test", text));
    }

    /// Read one length-delimited protobuf `ChatMessage`.
    #[track_caller]
    pub fn proto(&mut self) -> ChatMessage {
        let mut buf = BytesMut::new();
        let mut byte = [0u8; 1];
        loop {
            match wire::decode(Codec::Proto, &mut buf, 1 << 20) {
                Ok(Some(frame)) => return frame.message,
                Ok(None) => {}
                Err(e) => panic!("the server sent an invalid frame: {e}"),
            }
            let n = self
                .reader
                .read(&mut byte)
                .unwrap_or_else(|e| read_failed("a frame", &e));
            assert_eq!(n, 1, "the server closed the connection mid-frame");
            buf.extend_from_slice(&byte);
        }
    }

    /// Close our sending side (the server reads end-of-stream).
    pub fn finish(&mut self) {
        let _ = self.reader.get_mut().shutdown(std::net::Shutdown::Write);
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }
}

/// One length-delimited protobuf `ChatMessage` from `sender`, as bytes.
/// The crate's `wire` module is the protocol's reference encoder
/// (`proto/chat.proto` and a varint length prefix).
pub fn frame(sender: &str, text: &str) -> Vec<u8> {
    let message = ChatMessage {
        sender: sender.into(),
        text: text.into(),
        sent_at_ms: 1_714_000_000_000,
    };
    wire::encode(Codec::Proto, &message, false).to_vec()
}

/// Chat: connect a raw client and wait until the server has given it the
/// operator (the transcript says so).
pub fn connect_and_wait_for_desk(server: &mut Program) -> Raw {
    let raw = Raw::connect(server);
    server.line_containing("the client speaks first");
    raw
}

/// True if `test` can measure the memory of the server under test: the
/// server is ours (a replacement command's memory is its own business) and
/// there is a `/proc` to read it from. Otherwise the test is skipped (a
/// failure under `REQUIRE_ALL_TESTS=1`) and should return.
pub fn can_measure_memory(test: &str) -> bool {
    testing::require(
        test,
        server().is_default(),
        "it measures our server's memory",
    ) && testing::require(
        test,
        testing::rss_kib(std::process::id()).is_some(),
        "no /proc/<pid>/status on this system",
    )
}

/// Check that the server still answers a fresh echo client.
#[track_caller]
pub fn assert_still_echoes(server: &mut Program) {
    server.assert_running();
    let mut raw = Raw::connect(server);
    raw.send_line("still there?");
    assert_eq!(raw.line(), "Eco=>still there?");
}

/// Fail the test for a read of `what` that did not succeed, in words a
/// student reads (the grader shows this message): a read timeout is "no
/// answer", not an OS error code.
#[track_caller]
pub fn read_failed(what: &str, e: &std::io::Error) -> ! {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => panic!(
            "expected {what} from the server, but it sent nothing within {} s",
            timeout().as_secs()
        ),
        std::io::ErrorKind::UnexpectedEof => {
            panic!("expected {what} from the server, but it closed the connection")
        }
        _ => panic!("expected {what} from the server, but reading failed: {e}"),
    }
}

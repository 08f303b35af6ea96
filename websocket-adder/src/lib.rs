//! WebSockets: a two-way, message-based channel that starts as HTTP.
//!
//! A WebSocket begins as an ordinary HTTP request that asks to *upgrade* the
//! connection (`Upgrade: websocket`, a random `Sec-WebSocket-Key`). The server
//! agrees with `101 Switching Protocols` and proves it understood by hashing
//! the key into `Sec-WebSocket-Accept`. From then on the same TCP connection
//! carries *frames* in both directions, whenever either side likes: text or
//! binary messages, pings and pongs, and a close frame that ends the
//! conversation politely. Because the handshake is HTTP, one server on one
//! port can serve a web page and the WebSockets that page opens, which is
//! exactly what this crate does:
//!
//! | path | what it does | course slide |
//! |---|---|---|
//! | `/` | the browser page (embedded in the binary) | `Client.html` |
//! | `/hello` | answers a name with `Ola <name>!` | "Exemplo 1" (port 8765) |
//! | `/push` | every line the server's operator types is pushed to every open page | "Exemplo 2" (port 5678) |
//! | `/add` | adds two numbers: `3 4` → `7`, `{"a":3,"b":4}` → `{"sum":7}` | "Exercício" |
//!
//! # The adder, by example
//!
//! `C:` a text message from the client, `S:` one from the server:
//!
//! ```text
//! C: 3 4
//! S: 7
//! C: 0.1;0.2
//! S: 0.3
//! C: {"a": 3, "b": 4}
//! S: {"sum":7}
//! C: abc
//! S: error: "abc" is not a number       (the connection stays open)
//! ```
//!
//! The crate is a library first: [`protocol`] is the adder's protocol (pure
//! functions), [`server`] the HTTP and WebSocket server (`run(listener, ...)`:
//! the caller binds, so tests can use port 0), and [`client`] a client with
//! one method per operation. The binaries in `src/bin/` only parse flags and
//! connect standard input and output to these.

pub mod client;
pub mod protocol;
pub mod server;

/// The browser page, served at `/`: plain HTML, CSS and JavaScript.
pub const PAGE: &str = include_str!("../static/index.html");

/// The lines of standard input, read on a thread of their own.
///
/// A dedicated thread (not `tokio::io::stdin`) because a blocking read of a
/// terminal cannot be cancelled: on a runtime thread it would keep the
/// program from exiting until the user pressed Enter. Bytes that are not
/// UTF-8 are replaced rather than ending the input. The channel closes at the
/// end of input (Ctrl-D, or the end of a pipe).
pub fn stdin_lines() -> tokio::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match stdin.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Print one line on standard output, ignoring a closed pipe
/// (`websocket-adder-client | head -1` must not panic, as `println!` would).
pub fn print_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

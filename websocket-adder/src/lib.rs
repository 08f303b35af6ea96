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
//! connect standard input and output to these, with the plumbing every
//! exercise shares (`common::cli`).

pub mod client;
pub mod protocol;
pub mod server;

/// The browser page, served at `/`: plain HTML, CSS and JavaScript.
pub const PAGE: &str = include_str!("../static/index.html");

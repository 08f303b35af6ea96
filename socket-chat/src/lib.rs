//! Sockets: the interface between an application and the transport layer.
//!
//! A socket is one end of a communication channel, named by an IP address and
//! a port (or, for a Unix socket, a file path). A server *binds* a name and
//! *listens*; a client *connects* to that name; then both *send* and *receive*.
//! This crate implements the course's socket exercises on one server and one
//! client, chosen by flags:
//!
//! | mode | the server... | course slide |
//! |---|---|---|
//! | `echo` | replies `Eco=>` + the message | "Socket - Exemplo de implementação" |
//! | `upper` | replies the message in upper case | "UDP/TCP Echo Server" |
//! | `chat` | relays between the client and the server's operator | "Socket - Exercício" |
//!
//! over TCP, UDP or a Unix socket ([`net::Transport`]), with messages as text
//! lines or length-delimited Protocol Buffers ([`wire::Codec`]).
//!
//! # The protocol, by example
//!
//! Text framing over TCP, echo mode (`C:` the client sends, `S:` the server
//! sends; `⏎` is the newline byte):
//!
//! ```text
//! C: Olá⏎
//! S: Eco=>Olá⏎
//! C: Bom dia            (no newline, then a pause: still one message)
//! S: Eco=>Bom dia       (the reply mirrors it: no newline either)
//! C: <ff fe>⏎           (not UTF-8)
//! S: error: message is not valid UTF-8 (invalid byte at offset 0)⏎
//!    (the server closes this connection; every other one goes on)
//! ```
//!
//! The server holds its clients to limits (`--max-connections`,
//! `--timeout`; see [`server::ServerConfig::limits`]), and says so in the
//! same codec before it closes:
//!
//! ```text
//!    (a client connects while 1,024 connections are being served)
//! S: error: the server is at its connection limit (1024); try again later⏎
//!    (a client sends no complete message for 60 s)
//! S: error: no complete message within 60 s; closing the connection⏎
//! ```
//!
//! Chat mode: the client speaks first; after that either side writes at any
//! time. Lines that begin with `* ` are notices from the server itself:
//!
//! ```text
//! C: Olá, tem alguém aí?⏎
//! S: Oi! Tudo bem?⏎            (typed by the server's operator)
//! S: Pode falar.⏎
//! C: Tudo ótimo.⏎
//! ```
//!
//! A second client that connects while a chat is open is told so, and waits
//! its turn (what it sends meanwhile is kept and shown when its turn comes):
//!
//! ```text
//! S: * the operator is chatting with another client; you are number 1 in line, please wait⏎
//! C: ...                       (more than 16 KiB while waiting)
//! S: * the waiting room is full (16384 bytes kept for you); the rest of what you send is read when your turn comes⏎
//! S: * the operator is ready; go ahead⏎
//! ```
//!
//! The crate is a library first: [`wire`] is the framing (pure functions),
//! [`conn`] a connection that speaks in messages, [`server`] the server
//! (`run(listener, ...)`: the caller binds, so tests can use port 0), and
//! [`client`] a client with one method per operation. The binaries in
//! `src/bin/` only parse flags and wire stdin and stdout to these, with the
//! plumbing every exercise shares (`common::cli`: logs, Ctrl-C and SIGTERM,
//! standard input on its own thread, stdout that tolerates a closed pipe).

pub mod client;
pub mod conn;
pub mod net;
pub mod server;
pub mod wire;

/// The sender name of the server's own messages (notices, errors, replies).
pub const SERVER_SENDER: &str = "server";

/// The prefix of a text line that is a notice from the server, not a message.
pub const NOTICE_PREFIX: &str = "* ";

/// What the server does with each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A terminal chat between the client's user and the server's operator.
    Chat,
    /// Reply `Eco=>` followed by the message.
    Echo,
    /// Reply the message in upper case.
    Upper,
}

impl Mode {
    /// The address a server in this mode listens on by default: the
    /// upper-case echo has its own port in the slides (1234).
    pub fn default_addr(self) -> &'static str {
        match self {
            Mode::Chat | Mode::Echo => common::addr::CHAT,
            Mode::Upper => common::addr::UPPER_ECHO,
        }
    }
}

/// The reply to `text` in a request-reply mode; `None` in chat mode, where
/// a person writes the replies.
///
/// ```
/// use socket_chat::{Mode, reply_to};
/// assert_eq!(reply_to(Mode::Echo, "Olá").as_deref(), Some("Eco=>Olá"));
/// assert_eq!(reply_to(Mode::Upper, "Olá").as_deref(), Some("OLÁ"));
/// assert_eq!(reply_to(Mode::Chat, "Olá"), None);
/// ```
pub fn reply_to(mode: Mode, text: &str) -> Option<String> {
    match mode {
        Mode::Echo => Some(format!("Eco=>{text}")),
        // `str::to_uppercase` follows Unicode, not ASCII: `á` → `Á`, `ß` → `SS`.
        Mode::Upper => Some(text.to_uppercase()),
        Mode::Chat => None,
    }
}

/// True if a received text is a server notice rather than a message.
pub fn is_notice(text: &str) -> bool {
    text.starts_with(NOTICE_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_follows_unicode() {
        assert_eq!(
            reply_to(Mode::Upper, "maísa straße").as_deref(),
            Some("MAÍSA STRASSE")
        );
    }

    #[test]
    fn echo_keeps_the_message_byte_for_byte() {
        assert_eq!(
            reply_to(Mode::Echo, " a  b ").as_deref(),
            Some("Eco=> a  b ")
        );
    }

    #[test]
    fn upper_has_its_own_default_port() {
        assert_eq!(Mode::Upper.default_addr(), "127.0.0.1:1234");
        assert_eq!(Mode::Echo.default_addr(), "127.0.0.1:50009");
    }
}

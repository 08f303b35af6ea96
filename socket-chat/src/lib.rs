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
//! C: Olá⏎               (a newline in the first read: lines, for good)
//! S: Eco=>Olá⏎
//! C: Hel                (half a line: the server waits for the rest)
//! C: lo world⏎
//! S: Eco=>Hello world⏎
//! C: <ff fe>⏎           (not UTF-8)
//! S: error: message is not valid UTF-8 (invalid byte at offset 0)⏎
//!    (the server closes this connection; every other one goes on)
//! ```
//!
//! A connection whose first read holds no newline speaks the slides'
//! protocol instead (the course's Python client): each read is a message,
//! answered at once, and the reply mirrors it, without a newline
//! ([`wire::TextFraming`]):
//!
//! ```text
//! C: Olá                (no newline, then the client waits in recv)
//! S: Eco=>Olá
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
//! time. Lines that begin with `* ` are notices from the server itself, and
//! `error: ` its errors; a line the operator typed that would read as one
//! of them (or that begins with `\`) travels with a `\` in front, which the
//! client removes (see [`wire::Said`]):
//!
//! ```text
//! C: Olá, tem alguém aí?⏎
//! S: Oi! Tudo bem?⏎            (typed by the server's operator)
//! S: Pode falar.⏎
//! S: \* bom dia⏎               (the operator typed `* bom dia`)
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

/// The prefix of a notice from the server (`* the operator is ready; go
/// ahead`), not a message.
pub const NOTICE_PREFIX: &str = "* ";

/// The prefix of an error from the server, which then closes the
/// connection (`error: message is not valid UTF-8 ...`).
pub const ERROR_PREFIX: &str = "error: ";

/// What an echo reply puts before the message.
pub const ECHO_PREFIX: &str = "Eco=>";

/// The most bytes of UTF-8 the upper case of one byte of UTF-8 takes:
/// `ΐ` (2 bytes) is `Ϊ́` (3 characters, 6 bytes).
pub const UPPER_GROWTH: usize = 3;

/// What the server may send beyond the reply to a message: its own notices
/// and errors, and in protobuf the reply's other fields (sender, time).
pub const SERVER_ROOM: usize = 1024;

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
    /// The mode as `--mode` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Chat => "chat",
            Mode::Echo => "echo",
            Mode::Upper => "upper",
        }
    }

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
        Mode::Echo => Some(format!("{ECHO_PREFIX}{text}")),
        // `str::to_uppercase` follows Unicode, not ASCII: `á` → `Á`, `ß` → `SS`.
        Mode::Upper => Some(text.to_uppercase()),
        Mode::Chat => None,
    }
}

/// The longest message a client must accept from a server whose
/// `--max-message` is `max_message`: the reply to the longest message the
/// server accepts (an echo is [`ECHO_PREFIX`] longer, an upper case up to
/// [`UPPER_GROWTH`] times; the operator's lines are held to the limit
/// itself), and [`SERVER_ROOM`] for the rest.
///
/// ```
/// use socket_chat::{Mode, longest_from_server};
/// assert_eq!(longest_from_server(Mode::Echo, 65_536), 65_536 + 5 + 1024);
/// ```
pub fn longest_from_server(mode: Mode, max_message: usize) -> usize {
    let reply = match mode {
        Mode::Echo => max_message.saturating_add(ECHO_PREFIX.len()),
        Mode::Upper => max_message.saturating_mul(UPPER_GROWTH),
        Mode::Chat => max_message,
    };
    reply.saturating_add(SERVER_ROOM)
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
    fn no_character_grows_more_than_upper_growth_in_upper_case() {
        let mut most = 0;
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let upper: usize = c.to_uppercase().map(char::len_utf8).sum();
            assert!(upper <= UPPER_GROWTH * c.len_utf8(), "{c:?} grows more");
            most = most.max(upper / c.len_utf8());
        }
        assert_eq!(most, UPPER_GROWTH, "the bound is the real maximum");
    }

    #[test]
    fn the_longest_upper_case_reply_is_accepted() {
        let message = "ΐ".repeat(1000);
        let reply = reply_to(Mode::Upper, &message).expect("a reply");
        assert!(reply.len() <= longest_from_server(Mode::Upper, message.len()));
    }

    #[test]
    fn mode_names_are_the_flags_values() {
        use clap::ValueEnum;
        for mode in Mode::value_variants() {
            let flag = mode.to_possible_value().expect("a value");
            assert_eq!(flag.get_name(), mode.name());
        }
    }

    #[test]
    fn upper_has_its_own_default_port() {
        assert_eq!(Mode::Upper.default_addr(), "127.0.0.1:1234");
        assert_eq!(Mode::Echo.default_addr(), "127.0.0.1:50009");
    }
}

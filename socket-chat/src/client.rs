//! The client: connect, then send and receive messages.
//!
//! [`Client`] speaks over a stream socket (TCP or Unix), [`DatagramClient`]
//! over UDP. Both have one method per operation. [`session`] is what the
//! `socket-chat-client` binary runs: it reads the user's lines and prints
//! what the server sends, in one of two styles the course compares:
//!
//! * **synchronous** (request-reply): send a line, block until the reply
//!   arrives, print it, then read the next line. Echo and upper always work
//!   this way; the chat does with `--sync`.
//! * **asynchronous** (the chat's default): reading the keyboard and reading
//!   the socket are independent, so messages from the other side are printed
//!   the moment they arrive, even while the user is typing.
//!
//! In the chat, [`session`] prints what the operator wrote on `output`
//! (stdout) and the server's own notices and errors on `notice` (stderr),
//! told apart by [`wire::said`]: the operator's `* bom dia` is the
//! operator's message, in both codecs.
//!
//! What the server sends reaches the user's terminal, so [`session`] shows
//! it through `common::escape`: a control character or an ESC byte in a
//! reply is printed as a visible escape (`\x1b[2J`), never obeyed. Replies
//! are never cut ([`SHOWN_REPLY`]); an error from the server is, like any
//! peer text in an error message (`common::escape::SHOWN`).
//!
//! The client accepts from the server what a server with the same
//! `--max-message` sends ([`crate::longest_from_server`]): the reply to
//! every message that server accepts, though it may be longer than the
//! message (`Eco=>`, an upper case that grows).

use crate::conn::{ConnError, Connection};
use crate::net::{self, AddrError, Stream, Transport};
use crate::wire::{self, Codec, FrameError, MAX_DATAGRAM, Said};
use crate::{ERROR_PREFIX, Mode, longest_from_server};
use common::escape::{SHOWN, escape};
use common::message::ChatMessage;
use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Why a client operation failed. Each message is one sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not `HOST:PORT`.
    #[error(transparent)]
    Address(#[from] AddrError),
    /// Nobody accepted the connection.
    #[error("cannot connect to {target}: {source}{}", server_hint(source))]
    Connect {
        /// The address or path we tried.
        target: String,
        /// What the system said.
        source: io::Error,
    },
    /// The server sent more than a server with our `--max-message` would:
    /// this client's refusal, not the server's.
    #[error(
        "the server sent a message longer than this client accepts \
         ({longest} bytes in {} mode, from --max-message {max_message})",
        mode.name()
    )]
    TooLong {
        /// The most this client accepts.
        longest: usize,
        /// The mode that decides how much longer than a message its reply may be.
        mode: Mode,
        /// The limit it was given, the server's.
        max_message: usize,
    },
    /// A message that one UDP datagram cannot carry: not sent.
    #[error(
        "the message takes {0} bytes, more than one UDP datagram carries ({MAX_DATAGRAM}); not sent"
    )]
    DatagramTooLong(usize),
    /// The server closed the connection before answering.
    #[error("the server closed the connection before replying")]
    Closed,
    /// A UDP request got no reply in time (UDP does not retransmit).
    #[error("no reply within {0:?} (UDP does not retransmit lost datagrams)")]
    NoReply(Duration),
    /// The server answered with an error (shown escaped, and cut if long).
    #[error("the server refused the message: {}", escape(.0, SHOWN))]
    Refused(String),
    /// The connection failed or the server sent something invalid.
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// A socket error.
    #[error("connection error: {0}")]
    Io(#[from] io::Error),
}

/// Only a refused connection or a missing socket file suggests that no
/// server runs there.
fn server_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => " (is the server running?)",
        _ => "",
    }
}

/// A client on a stream socket (TCP or Unix).
pub struct Client {
    conn: Connection<Stream>,
    name: String,
    mode: Mode,
    max_message: usize,
}

impl Client {
    /// Connect to the server `config` names (`addr` over TCP, `path` over a
    /// Unix socket), to speak its codec and accept what a server with its
    /// `max_message` sends in its `mode`.
    pub async fn connect(config: &SessionConfig) -> Result<Self, ClientError> {
        let SessionConfig {
            transport,
            ref addr,
            ref path,
            ..
        } = *config;
        if transport == Transport::Tcp {
            net::check_addr(addr, false)?;
        }
        let stream = net::connect(transport, addr, path)
            .await
            .map_err(|source| ClientError::Connect {
                target: target(transport, addr, path),
                source,
            })?;
        let longest = longest_from_server(config.mode, config.max_message);
        Ok(Self {
            conn: Connection::new(stream, config.codec, longest),
            name: config.name.clone(),
            mode: config.mode,
            max_message: config.max_message,
        })
    }

    /// Send one message.
    pub async fn send(&mut self, text: &str) -> Result<(), ClientError> {
        Ok(self.conn.send_text(&self.name, text).await?)
    }

    /// The next message from the server (notices included), or `None` when
    /// the server has closed the connection.
    pub async fn recv(&mut self) -> Result<Option<ChatMessage>, ClientError> {
        match self.conn.recv().await {
            Ok(frame) => Ok(frame.map(|frame| frame.message)),
            Err(ConnError::Frame(FrameError::TooLong { limit })) => Err(ClientError::TooLong {
                longest: limit,
                mode: self.mode,
                max_message: self.max_message,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The next chat message, told apart: the server's own or a person's.
    pub async fn recv_said(&mut self) -> Result<Option<Said>, ClientError> {
        let codec = self.conn.codec();
        Ok(self.recv().await?.map(|message| wire::said(codec, message)))
    }

    /// Send `text` and wait for the reply (echo and upper).
    ///
    /// A reply that starts with `error: ` is the server refusing the message
    /// (an echo reply starts with `Eco=>`, an upper-case one cannot hold a
    /// lower-case `error`), and becomes [`ClientError::Refused`].
    pub async fn request(&mut self, text: &str) -> Result<String, ClientError> {
        self.send(text).await?;
        let reply = self.recv().await?.ok_or(ClientError::Closed)?;
        match reply.text.strip_prefix(ERROR_PREFIX) {
            Some(reason) => Err(ClientError::Refused(reason.to_owned())),
            None => Ok(reply.text),
        }
    }

    /// Tell the server we will send nothing more (it sees end-of-stream).
    pub async fn finish(&mut self) -> Result<(), ClientError> {
        Ok(self.conn.shutdown().await?)
    }
}

/// A client on UDP: each request is one datagram, each reply one datagram.
pub struct DatagramClient {
    socket: UdpSocket,
    codec: Codec,
    name: String,
    timeout: Duration,
}

impl DatagramClient {
    /// "Connect" a UDP socket to `addr`. Nothing is sent yet: UDP has no
    /// handshake. Connecting only fixes the peer, so that the system reports
    /// a server that is not running (ICMP port unreachable) as an error.
    pub async fn connect(
        addr: &str,
        codec: Codec,
        name: &str,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        net::check_addr(addr, false)?;
        let connect = async {
            let server = tokio::net::lookup_host(addr)
                .await?
                .next()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host"))?;
            let local = if server.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UdpSocket::bind(local).await?;
            socket.connect(server).await?;
            Ok::<_, io::Error>(socket)
        };
        let socket = connect.await.map_err(|source| ClientError::Connect {
            target: addr.to_owned(),
            source,
        })?;
        Ok(Self {
            socket,
            codec,
            name: name.to_owned(),
            timeout,
        })
    }

    /// Send `text` in one datagram and wait for the reply datagram.
    pub async fn request(&mut self, text: &str) -> Result<String, ClientError> {
        let request = ChatMessage::now(self.name.clone(), text);
        let datagram = wire::encode_datagram(self.codec, &request, false);
        if datagram.len() > MAX_DATAGRAM {
            // The system would refuse it with "Message too long".
            return Err(ClientError::DatagramTooLong(datagram.len()));
        }
        self.socket
            .send(&datagram)
            .await
            .map_err(|e| self.refused_or(e))?;
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let len = tokio::time::timeout(self.timeout, self.socket.recv(&mut buf))
            .await
            .map_err(|_| ClientError::NoReply(self.timeout))?
            .map_err(|e| self.refused_or(e))?;
        let reply = wire::decode_datagram(self.codec, &buf[..len], MAX_DATAGRAM)
            .map_err(ConnError::from)?;
        match reply.message.text.strip_prefix(ERROR_PREFIX) {
            Some(reason) => Err(ClientError::Refused(reason.to_owned())),
            None => Ok(reply.message.text),
        }
    }

    fn refused_or(&self, e: io::Error) -> ClientError {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            ClientError::Connect {
                target: self
                    .socket
                    .peer_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                source: e,
            }
        } else {
            ClientError::Io(e)
        }
    }
}

fn target(transport: Transport, addr: &str, path: &Path) -> String {
    match transport {
        Transport::Unix => path.display().to_string(),
        Transport::Tcp | Transport::Udp => addr.to_owned(),
    }
}

/// How many characters of a reply or notice the client shows: all of them,
/// so that a reply is never cut, only escaped. What may arrive is bounded
/// already, by the client's `--max-message` ([`crate::longest_from_server`]).
pub const SHOWN_REPLY: usize = usize::MAX;

/// Server text as the user's terminal may show it.
fn shown(text: &str) -> Cow<'_, str> {
    escape(text, SHOWN_REPLY)
}

/// Everything a client session needs to know.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// What the server does: decides request-reply or chat.
    pub mode: Mode,
    /// TCP, UDP or Unix.
    pub transport: Transport,
    /// `host:port` for TCP and UDP.
    pub addr: String,
    /// The socket file for Unix.
    pub path: PathBuf,
    /// Text or protobuf framing.
    pub codec: Codec,
    /// Chat: send one line, then wait for the reply before the next.
    pub sync: bool,
    /// Our name on the messages we send.
    pub name: String,
    /// UDP: how long to wait for each reply.
    pub timeout: Duration,
    /// The server's `--max-message`: what the client accepts follows from
    /// it ([`crate::longest_from_server`]).
    pub max_message: usize,
}

/// Run a client session: take the user's lines from `input` until it ends,
/// and hand every line to print to `output` (stdout) and every notice and
/// prompt to `notice` (stderr), escaped (see the module's documentation).
///
/// Returns when the input has ended and every reply has arrived (request-
/// reply), or when either side has closed the chat.
pub async fn session(
    config: &SessionConfig,
    mut input: mpsc::Receiver<String>,
    output: impl Fn(&str),
    notice: impl Fn(&str),
) -> Result<(), ClientError> {
    if config.transport == Transport::Udp {
        if config.mode == Mode::Chat {
            return Err(ClientError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the chat needs a connection: use --transport tcp or unix with --mode chat",
            )));
        }
        let mut client =
            DatagramClient::connect(&config.addr, config.codec, &config.name, config.timeout)
                .await?;
        while let Some(line) = input.recv().await {
            output(&shown(&client.request(&line).await?));
        }
        return Ok(());
    }

    let mut client = Client::connect(config).await?;
    if config.mode != Mode::Chat {
        while let Some(line) = input.recv().await {
            output(&shown(&client.request(&line).await?));
        }
        client.finish().await?;
        return Ok(());
    }
    if config.sync {
        // Strict turns: send, then block until the other side answers.
        // Server notices (`* ...`) are shown but are not the answer.
        while let Some(line) = input.recv().await {
            client.send(&line).await?;
            loop {
                match client.recv_said().await?.ok_or(ClientError::Closed)? {
                    Said::Server(text) => notice(&shown(&text)),
                    Said::Person(text) => {
                        output(&shown(&text));
                        break;
                    }
                }
            }
        }
        client.finish().await?;
        return Ok(());
    }

    // Asynchronous chat: the keyboard and the socket, whichever speaks first.
    let mut input_open = true;
    loop {
        tokio::select! {
            line = input.recv(), if input_open => match line {
                Some(line) => client.send(&line).await?,
                None => {
                    // End of input ends the chat: the server sees end-of-stream.
                    input_open = false;
                    client.finish().await?;
                }
            },
            said = client.recv_said() => match said? {
                Some(Said::Server(text)) => notice(&shown(&text)),
                Some(Said::Person(text)) => output(&shown(&text)),
                None => {
                    if input_open {
                        notice("* the server closed the chat");
                    }
                    return Ok(());
                }
            },
        }
    }
}

//! The client: one WebSocket connection, one method per operation.
//!
//! [`Client::connect`] performs the HTTP upgrade handshake (tokio-tungstenite
//! sends the `GET` with `Upgrade: websocket` and checks the server's
//! `Sec-WebSocket-Accept`); after that every call sends one text message and
//! reads the next text message as the reply. Pings from the server are
//! answered by tungstenite on the way.
//!
//! What the server says is data, not terminal output: the errors' messages
//! show a server's text escaped ([`common::escape`]), and a program that
//! prints a reply escapes it too (the binary does).

use crate::protocol::{self, Form};
use common::escape::{SHOWN, escape};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};

/// Why an operation failed.
///
/// The tungstenite error a variant holds is not its `source`: the message
/// already says that reason in plain words, and an error printer that
/// follows the chain would print it again in tungstenite's (`IO error:
/// Connection refused (os error 111)`).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection or the upgrade handshake failed.
    #[error("cannot connect to {url}: {}{}", plain(.error), hint(.error))]
    Connect {
        /// The URL tried.
        url: String,
        /// What went wrong.
        error: tungstenite::Error,
    },
    /// The server answered with an error (its text as sent, without
    /// `error: `; shown escaped).
    #[error("{}", escape(.0, SHOWN))]
    Refused(String),
    /// The server closed the connection instead of answering (its reason,
    /// escaped, after `: `; or nothing).
    #[error("the server closed the connection{0}")]
    Closed(String),
    /// The server sent a binary message where text was expected.
    #[error("the server sent a binary message ({0} bytes) instead of text")]
    Binary(usize),
    /// The connection broke.
    #[error("the connection failed: {}", plain(.0))]
    Connection(tungstenite::Error),
}

impl From<tungstenite::Error> for ClientError {
    fn from(error: tungstenite::Error) -> Self {
        Self::Connection(error)
    }
}

/// A tungstenite error in plain words, once: an I/O error as the system
/// words it (tungstenite prefixes it with `IO error: `), anything else as
/// tungstenite words it (`HTTP error: 404 Not Found`). Escaped, since the
/// text may quote the server.
fn plain(error: &tungstenite::Error) -> String {
    let text = match error {
        tungstenite::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    };
    escape(&text, SHOWN).into_owned()
}

/// What usually causes a refused connection, said after the system's words.
fn hint(error: &tungstenite::Error) -> &'static str {
    match error {
        tungstenite::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            " (is the server running?)"
        }
        _ => "",
    }
}

/// The address of one of the server's WebSockets: `ws://HOST:PORT/path`.
///
/// ```
/// assert_eq!(websocket_adder::client::endpoint("127.0.0.1:5678", "/add"), "ws://127.0.0.1:5678/add");
/// ```
pub fn endpoint(addr: &str, path: &str) -> String {
    format!("ws://{addr}{path}")
}

/// One WebSocket connection to the server (or to any server that speaks
/// the same messages, such as the Python ones in `python/`).
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Open the WebSocket at `url` (`ws://127.0.0.1:5678/add`).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let (socket, _response) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|error| ClientError::Connect {
                url: url.to_owned(),
                error,
            })?;
        Ok(Self { socket })
    }

    /// `/add`: send one request (`3 4`, `3,4`, `{"a":3,"b":4}`) and return
    /// the server's reply (`7`, `{"sum":7}`). An error reply, in either form,
    /// is [`ClientError::Refused`] and leaves the connection usable.
    pub async fn add(&mut self, request: &str) -> Result<String, ClientError> {
        let reply = self.request(request).await?;
        let refusal = match protocol::form_of(request) {
            Form::Text => reply
                .strip_prefix(protocol::ERROR_PREFIX)
                .map(str::to_owned),
            // Only `error` is read: the sum, a number of any length, is
            // skipped unread (a `serde_json::Value` would make it a double,
            // and refuse one beyond 1.8e308).
            Form::Json => serde_json::from_str::<JsonRefusal>(&reply)
                .ok()
                .map(|refusal| refusal.error),
        };
        match refusal {
            Some(reason) => Err(ClientError::Refused(reason)),
            None => Ok(reply),
        }
    }

    /// `/hello`: send a name, return the greeting (`Ola <name>!`).
    pub async fn hello(&mut self, name: &str) -> Result<String, ClientError> {
        let reply = self.request(name).await?;
        match reply.strip_prefix(protocol::ERROR_PREFIX) {
            Some(reason) => Err(ClientError::Refused(reason.to_owned())),
            None => Ok(reply),
        }
    }

    /// `/push`: the next pushed message, or `None` when the server closes
    /// the connection (with the reason it gave, if any, for the user).
    pub async fn next_push(&mut self) -> Result<Pushed, ClientError> {
        match self.next_text().await {
            Ok(text) => Ok(Pushed::Message(text)),
            Err(ClientError::Closed(why)) => Ok(Pushed::Closed(why)),
            Err(e) => Err(e),
        }
    }

    /// Send one text message and return the next text message.
    pub async fn request(&mut self, text: &str) -> Result<String, ClientError> {
        self.socket.send(Message::text(text)).await?;
        self.next_text().await
    }

    /// The next text message; pings and pongs are skipped.
    async fn next_text(&mut self) -> Result<String, ClientError> {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                Some(Ok(Message::Binary(data))) => return Err(ClientError::Binary(data.len())),
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientError::Closed(describe_close(frame.as_ref())));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Err(tungstenite::Error::ConnectionClosed)) | None => {
                    return Err(ClientError::Closed(String::new()));
                }
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// End the conversation politely: send a close frame (1000, normal)
    /// and wait for the server's. Best effort: a server that has already
    /// gone cannot be told, and the answers already received stand.
    pub async fn close(mut self) {
        if self.socket.close(None).await.is_ok() {
            // Read until the server's close frame ends the stream.
            while let Some(Ok(_)) = self.socket.next().await {}
        }
    }
}

/// A JSON reply that is a refusal: `{"error": "..."}`.
#[derive(serde::Deserialize)]
struct JsonRefusal {
    error: String,
}

/// What [`Client::next_push`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// A message pushed by the server's operator.
    Message(String),
    /// The server closed the connection; why, for people (may be empty;
    /// the server's reason escaped).
    Closed(String),
}

/// `: 1001 the server is shutting down`, or nothing when no frame came.
fn describe_close(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!(": {}", u16::from(frame.code)),
        Some(frame) => format!(
            ": {} {}",
            u16::from(frame.code),
            escape(&frame.reason, SHOWN)
        ),
        None => String::new(),
    }
}

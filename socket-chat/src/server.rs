//! The server: accept connections, serve each in its own task, stop cleanly.
//!
//! The slide's server (`sockobj.listen(1)`, then `accept` and a `recv` loop)
//! serves one client at a time: a second client waits, unanswered, until the
//! first leaves. Here every connection gets its own task, so hundreds of
//! clients are served at once, and a client that misbehaves (invalid UTF-8, an
//! endless line, a broken protobuf frame) is told why and disconnected
//! without disturbing the others.
//!
//! The chat is different by nature: the server has one operator with one
//! keyboard. The operator is a `Desk` that one chat holds at a time; a
//! client that arrives while the desk is taken is told that it waits and its
//! place in line, and is served when its turn comes.
//!
//! Connections are accepted by `common::serve::serve`, the accept loop that
//! every server of the workspace shares: it caps the connections served at
//! once (one more is sent this server's *busy* error, in its codec, and
//! closed), fails a write that the client leaves unread for `--timeout`, and
//! on shutdown (a [`CancellationToken`]) stops accepting and waits a bounded
//! time for the connections, which watch the same token. What is this
//! protocol's own is here: how long a client may stay silent (see
//! [`ServerConfig::limits`]) and how much the chat's waiting room keeps for
//! each waiting client ([`WAITING_ROOM_BUDGET`]).
//!
//! Every string a client sent is escaped (`common::escape`) before it
//! reaches the transcript or a log line: a newline in a protobuf message
//! would otherwise forge a transcript line, and an ESC byte would reach the
//! operator's terminal.

use crate::conn::{ConnError, Connection};
use crate::net::{Listener, Peer, Stream};
use crate::wire::{self, Codec, Frame, MAX_DATAGRAM};
use crate::{ERROR_PREFIX, Mode, NOTICE_PREFIX, SERVER_SENDER, reply_to};
use common::escape::{Escaped, SHOWN};
use common::message::ChatMessage;
use common::serve::{Admitted, Limits, serve};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How many bytes of messages the chat's waiting room keeps for one waiting
/// client (each message counted with its bookkeeping). When it is full the
/// client is told, and the server stops reading from it until its turn:
/// what it sends meanwhile waits in the network (TCP's flow control), not
/// in the server's memory.
pub const WAITING_ROOM_BUDGET: usize = 16 * 1024;

/// A connection as the server holds it: admitted by `common::serve`.
type Conn = Connection<Admitted<Stream>>;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// What to do with each message.
    pub mode: Mode,
    /// How messages are framed.
    pub codec: Codec,
    /// Chat only: strict turn-taking (the operator answers each message once).
    pub sync: bool,
    /// The longest message accepted, in bytes.
    pub max_message: usize,
    /// Chat only: the operator's name on the messages it sends.
    pub operator_name: String,
    /// How many connections are served at once, and how long a client may
    /// stay silent. A client must send each complete message within
    /// `limits.timeout`: its first one in every mode (in the chat, counted
    /// from when it gets the operator), and every next one in echo and upper.
    /// Once a chat has begun it is paced by two people and has no idle
    /// limit; a client waiting in line waits for the server, not the other
    /// way round, and is bounded by the cap and [`WAITING_ROOM_BUDGET`].
    pub limits: Limits,
}

/// Why a [`ServerConfig`] cannot be served.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The operator would pass for the server itself in protobuf.
    #[error(
        "--name {SERVER_SENDER} is the sender of the server's own notices; choose another name"
    )]
    OperatorNamedServer,
}

impl ServerConfig {
    /// Check that the configuration can be served as it is.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.operator_name == SERVER_SENDER {
            return Err(ConfigError::OperatorNamedServer);
        }
        Ok(())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Echo,
            codec: Codec::Text,
            sync: false,
            max_message: wire::DEFAULT_MAX_MESSAGE,
            operator_name: "operator".to_owned(),
            limits: Limits::default(),
        }
    }
}

/// Where the server's transcript goes: one call per line (`Server conectado
/// por ...`, `Cliente enviou: ...`, and `* ` notices for the operator).
pub use common::cli::Transcript;

/// The server's side of the terminal: the transcript it prints, and, in chat
/// mode, the lines its operator types.
pub use common::cli::Console;

/// What every connection task shares.
struct Shared {
    config: ServerConfig,
    transcript: Option<Transcript>,
    desk: Desk,
    shutdown: CancellationToken,
}

impl Shared {
    fn say(&self, line: impl FnOnce() -> String) {
        if let Some(t) = &self.transcript {
            t(line());
        }
    }
}

/// The chat operator, held by one chat at a time.
///
/// `tokio::sync::Mutex` queues waiters in arrival order, so clients are
/// served first come, first served.
struct Desk {
    operator: Mutex<Operator>,
    waiting: AtomicUsize,
}

struct Operator {
    /// `None` once the operator's input has ended.
    lines: Option<mpsc::Receiver<String>>,
}

impl Operator {
    async fn next_line(&mut self) -> Option<String> {
        match &mut self.lines {
            Some(lines) => lines.recv().await,
            None => std::future::pending().await,
        }
    }

    fn is_open(&self) -> bool {
        self.lines.is_some()
    }

    /// Lines typed while no chat was open belong to nobody: drop them, and
    /// say so rather than deliver them to the next client out of context.
    fn discard_typed_ahead(&mut self, shared: &Shared) {
        if let Some(lines) = &mut self.lines {
            while let Ok(line) = lines.try_recv() {
                shared.say(|| format!("{NOTICE_PREFIX}not sent (no chat was open): {line}"));
            }
        }
    }
}

/// Serve stream connections (TCP or Unix) from `listener` until `shutdown`
/// is cancelled, then wait (up to `common::serve::SHUTDOWN_GRACE`) for open
/// connections to close.
pub async fn run(
    listener: Listener,
    config: ServerConfig,
    console: Console,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let limits = config.limits.clone();
    let busy = busy_message(config.codec, limits.max_connections);
    let shared = Arc::new(Shared {
        desk: Desk {
            operator: Mutex::new(Operator {
                lines: console.operator,
            }),
            waiting: AtomicUsize::new(0),
        },
        transcript: console.transcript,
        config,
        shutdown: shutdown.clone(),
    });
    serve(listener, &limits, &busy, shutdown, move |io, peer| {
        serve_connection(io, peer, Arc::clone(&shared))
    })
    .await
}

/// What a client over the connection cap reads before it is closed: an
/// `error:` message in the server's codec, as any other refusal.
fn busy_message(codec: Codec, max_connections: usize) -> Vec<u8> {
    let text = format!(
        "{ERROR_PREFIX}the server is at its connection limit ({max_connections}); try again later"
    );
    wire::encode(codec, &ChatMessage::now(SERVER_SENDER, text), true).to_vec()
}

async fn serve_connection(stream: Admitted<Stream>, peer: Peer, shared: Arc<Shared>) {
    let peer = peer.to_string();
    info!(%peer, "connected");
    shared.say(|| format!("Server conectado por {peer}"));
    let mut conn = Connection::accepted(stream, shared.config.codec, shared.config.max_message);
    let served = match shared.config.mode {
        Mode::Chat => serve_chat(&mut conn, &peer, &shared).await,
        Mode::Echo | Mode::Upper => serve_replies(&mut conn, &shared).await,
    };
    match served {
        Ok(()) => info!(%peer, "disconnected"),
        Err(e @ ConnError::Silent(_)) => {
            info!(%peer, error = %e, "silent client; closing the connection");
            if shared.config.mode == Mode::Chat {
                // The operator is free again: say why.
                shared.say(|| format!("{NOTICE_PREFIX}{peer} closed: {e}"));
            }
            conn.refuse(&format!("{e}; closing the connection")).await;
        }
        Err(ConnError::Frame(e)) => {
            warn!(%peer, error = %e, "bad message; closing the connection");
            conn.refuse(&e.to_string()).await;
        }
        Err(ConnError::Io(e)) => info!(%peer, error = %e, "connection lost"),
    }
}

/// A transcript line for a message a client sent.
fn client_sent(message: &ChatMessage) -> String {
    format!("Cliente enviou: {}", Escaped::new(&message.text, SHOWN))
}

/// Echo and upper: one reply per message, in order; each message must
/// arrive within the timeout.
async fn serve_replies(conn: &mut Conn, shared: &Shared) -> Result<(), ConnError> {
    let idle = shared.config.limits.timeout;
    // One timer for the connection's life, moved on only when it fires: a
    // timer per message would cost a fifth of the echo's throughput.
    let mut heard = Instant::now();
    let silence = tokio::time::sleep(idle);
    tokio::pin!(silence);
    loop {
        let frame = tokio::select! {
            () = shared.shutdown.cancelled() => return Ok(()),
            () = &mut silence => {
                let due = heard + idle;
                if due > Instant::now() {
                    silence.as_mut().reset(due);
                    continue;
                }
                return Err(ConnError::Silent(idle));
            }
            // Cancel-safe: a message cut by the timer stays in the buffer.
            frame = conn.recv() => frame?,
        };
        let Some(Frame {
            message,
            terminated,
        }) = frame
        else {
            return Ok(());
        };
        shared.say(|| client_sent(&message));
        let reply = reply_to(shared.config.mode, &message.text).unwrap_or_default();
        conn.send(&ChatMessage::now(SERVER_SENDER, reply), terminated)
            .await?;
        heard = Instant::now();
    }
}

/// The chat: wait for the operator, then relay in both directions.
async fn serve_chat(conn: &mut Conn, peer: &str, shared: &Shared) -> Result<(), ConnError> {
    let desk = &shared.desk;
    let mut early = Vec::new();
    let mut operator = match desk.operator.try_lock() {
        Ok(operator) => operator,
        Err(_) => {
            let place = desk.waiting.fetch_add(1, Ordering::SeqCst) + 1;
            let waited = wait_for_desk(conn, peer, place, shared, &mut early).await;
            desk.waiting.fetch_sub(1, Ordering::SeqCst);
            match waited? {
                Some(operator) => {
                    conn.send_text(SERVER_SENDER, "* the operator is ready; go ahead")
                        .await?;
                    operator
                }
                None => return Ok(()),
            }
        }
    };
    operator.discard_typed_ahead(shared);
    shared.say(|| format!("{NOTICE_PREFIX}chatting with {peer}; the client speaks first"));

    let sync = shared.config.sync;
    // The client must speak first, within the timeout (the operator is
    // held meanwhile); in --sync mode, turns alternate after that.
    let idle = shared.config.limits.timeout;
    let first_by = Instant::now() + idle;
    let mut client_spoke = false;
    let mut operators_turn = false;
    for frame in early {
        shared.say(|| client_sent(&frame.message));
        client_spoke = true;
        operators_turn = true;
    }
    loop {
        // In --sync mode the client's next message waits for the operator's
        // answer, unless the operator can no longer answer.
        let may_read = !(sync && operators_turn && operator.is_open());
        tokio::select! {
            () = shared.shutdown.cancelled() => {
                conn.send_text(SERVER_SENDER, "* the server is shutting down; goodbye").await?;
                return Ok(());
            }
            () = sleep_until(first_by), if !client_spoke => return Err(ConnError::Silent(idle)),
            frame = conn.recv(), if may_read => {
                let Some(frame) = frame? else {
                    shared.say(|| format!("{NOTICE_PREFIX}{peer} left the chat"));
                    return Ok(());
                };
                debug!(
                    sender = %Escaped::new(&frame.message.sender, SHOWN),
                    at = frame.message.sent_at_ms,
                    "message"
                );
                shared.say(|| client_sent(&frame.message));
                client_spoke = true;
                operators_turn = true;
            }
            line = operator.next_line(), if operator.is_open() => match line {
                None => {
                    operator.lines = None;
                    shared.say(|| format!("{NOTICE_PREFIX}the operator's input ended; replies are no longer possible"));
                }
                Some(line) if !client_spoke => {
                    shared.say(|| format!("{NOTICE_PREFIX}not sent, the client speaks first: {line}"));
                }
                Some(line) if sync && !operators_turn => {
                    shared.say(|| format!("{NOTICE_PREFIX}not sent, wait for the client's message (--sync): {line}"));
                }
                Some(line) => {
                    // Escaped in text framing, so that the client never
                    // takes the operator's `* bom dia` for a notice.
                    let text = wire::person_text(shared.config.codec, &line);
                    let message = ChatMessage::now(&shared.config.operator_name, text);
                    let len = wire::message_len(shared.config.codec, &message);
                    let max = shared.config.max_message;
                    if len > max {
                        // The client accepts what the server does: no more.
                        shared.say(|| format!(
                            "{NOTICE_PREFIX}not sent, {len} bytes is more than --max-message ({max})"
                        ));
                    } else {
                        conn.send(&message, true).await?;
                        operators_turn = false;
                    }
                }
            },
        }
    }
}

/// Tell the client it waits, keep what it sends meanwhile (up to
/// [`WAITING_ROOM_BUDGET`]), and return the operator when its turn comes;
/// `None` if it left or the server stops.
///
/// Once the budget is used, the client is told and nothing more is read
/// from it until its turn: the rest of what it sends stays in the network
/// (and, once the socket buffers are full, its sends block), so nothing is
/// lost and the server's memory holds at most the budget and the one
/// message that filled it. A client that leaves meanwhile is noticed when
/// its turn comes.
async fn wait_for_desk<'a>(
    conn: &mut Conn,
    peer: &str,
    place: usize,
    shared: &'a Shared,
    early: &mut Vec<Frame>,
) -> Result<Option<tokio::sync::MutexGuard<'a, Operator>>, ConnError> {
    conn.send_text(
        SERVER_SENDER,
        &format!(
            "{NOTICE_PREFIX}the operator is chatting with another client; \
             you are number {place} in line, please wait"
        ),
    )
    .await?;
    shared.say(|| format!("{NOTICE_PREFIX}{peer} waits for the operator (number {place} in line)"));
    let mut kept = 0;
    loop {
        let full = kept >= WAITING_ROOM_BUDGET;
        tokio::select! {
            operator = shared.desk.operator.lock() => return Ok(Some(operator)),
            () = shared.shutdown.cancelled() => {
                conn.send_text(SERVER_SENDER, "* the server is shutting down; goodbye").await?;
                return Ok(None);
            }
            frame = conn.recv(), if !full => match frame? {
                Some(frame) => {
                    kept += kept_size(&frame);
                    early.push(frame);
                    if kept >= WAITING_ROOM_BUDGET {
                        conn.send_text(
                            SERVER_SENDER,
                            &format!(
                                "{NOTICE_PREFIX}the waiting room is full ({WAITING_ROOM_BUDGET} bytes \
                                 kept for you); the rest of what you send is read when your turn comes"
                            ),
                        )
                        .await?;
                        shared.say(|| format!("{NOTICE_PREFIX}{peer} filled its place in the waiting room"));
                    }
                }
                None => {
                    shared.say(|| format!("{NOTICE_PREFIX}{peer} left before its turn"));
                    return Ok(None);
                }
            },
        }
    }
}

/// What keeping `frame` in the waiting room costs: its text and sender, and
/// the frame itself (so that a flood of empty lines is not free).
fn kept_size(frame: &Frame) -> usize {
    std::mem::size_of::<Frame>() + frame.message.text.len() + frame.message.sender.len()
}

/// Serve UDP datagrams on `socket` until `shutdown` is cancelled. Each
/// datagram is one message and gets one datagram in reply. Chat needs a
/// connection, so it is refused here.
///
/// There are no connections, so `common::serve` and its limits do not
/// apply: one buffer serves every datagram, and nothing waits for a peer.
pub async fn run_udp(
    socket: UdpSocket,
    config: ServerConfig,
    console: Console,
    shutdown: CancellationToken,
) -> io::Result<()> {
    if config.mode == Mode::Chat {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the chat needs a connection: use --transport tcp or unix with --mode chat",
        ));
    }
    let say = |line: String| {
        if let Some(t) = &console.transcript {
            t(line);
        }
    };
    // One buffer for any datagram: the largest UDP payload fits.
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        let received = tokio::select! {
            () = shutdown.cancelled() => break,
            received = socket.recv_from(&mut buf) => received,
        };
        let (len, peer) = match received {
            Ok(received) => received,
            Err(e) => {
                // On Linux an ICMP "port unreachable" for an earlier reply
                // surfaces here; it concerns that peer only.
                debug!(error = %e, "receive failed");
                continue;
            }
        };
        let (reply, terminated) =
            match wire::decode_datagram(config.codec, &buf[..len], config.max_message) {
                Ok(Frame {
                    message,
                    terminated,
                }) => {
                    say(client_sent(&message));
                    let reply = reply_to(config.mode, &message.text).unwrap_or_default();
                    (reply, terminated)
                }
                Err(e) => {
                    warn!(%peer, error = %e, "bad datagram");
                    (format!("{ERROR_PREFIX}{e}"), true)
                }
            };
        let mut datagram = wire::encode_datagram(
            config.codec,
            &ChatMessage::now(SERVER_SENDER, reply),
            terminated,
        );
        if datagram.len() > MAX_DATAGRAM {
            // The system would refuse to send it, and the client would wait
            // in vain: say why instead, in a datagram that fits.
            let error = format!(
                "{ERROR_PREFIX}the reply would be {} bytes, more than one UDP datagram carries ({MAX_DATAGRAM})",
                datagram.len()
            );
            warn!(%peer, %error, "reply too long");
            datagram = wire::encode_datagram(
                config.codec,
                &ChatMessage::now(SERVER_SENDER, error),
                terminated,
            );
        }
        if let Err(e) = socket.send_to(&datagram, peer).await {
            debug!(%peer, error = %e, "reply not sent");
        }
    }
    info!("shutting down");
    Ok(())
}

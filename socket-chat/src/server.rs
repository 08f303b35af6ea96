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
//! keyboard. The operator is a [`Desk`] that one chat holds at a time; a
//! client that arrives while the desk is taken is told that it waits and its
//! place in line, and is served when its turn comes.
//!
//! Shutdown follows tokio's graceful-shutdown pattern: a
//! [`CancellationToken`] stops the accept loop and tells every connection to
//! finish; a [`TaskTracker`] waits (for a bounded time) until they have.

use crate::conn::{ConnError, Connection};
use crate::net::{Listener, Stream};
use crate::wire::{self, Codec, Frame, MAX_DATAGRAM};
use crate::{Mode, NOTICE_PREFIX, SERVER_SENDER, reply_to};
use common::message::ChatMessage;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How long connections get to close after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Messages a waiting chat client may send before its turn; more is refused.
const MAX_WAITING_MESSAGES: usize = 64;

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Echo,
            codec: Codec::Text,
            sync: false,
            max_message: wire::DEFAULT_MAX_MESSAGE,
            operator_name: "operator".to_owned(),
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
/// is cancelled, then wait (up to 5 s) for open connections to close.
pub async fn run(
    listener: Listener,
    config: ServerConfig,
    console: Console,
    shutdown: CancellationToken,
) -> io::Result<()> {
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
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let shared = Arc::clone(&shared);
                tracker.spawn(serve_connection(stream, peer, shared));
            }
            Err(e) => {
                // Usually out of file descriptors: back off instead of
                // spinning, and keep serving the connections already open.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    info!("shutting down: no new connections");
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        warn!("some connections did not close in time");
    }
    Ok(())
}

async fn serve_connection(stream: Stream, peer: String, shared: Arc<Shared>) {
    info!(%peer, "connected");
    shared.say(|| format!("Server conectado por {peer}"));
    let mut conn = Connection::new(stream, shared.config.codec, shared.config.max_message);
    let served = match shared.config.mode {
        Mode::Chat => serve_chat(&mut conn, &peer, &shared).await,
        Mode::Echo | Mode::Upper => serve_replies(&mut conn, &shared).await,
    };
    match served {
        Ok(()) => info!(%peer, "disconnected"),
        Err(ConnError::Frame(e)) => {
            warn!(%peer, error = %e, "bad message; closing the connection");
            conn.refuse(&e.to_string()).await;
        }
        Err(ConnError::Io(e)) => info!(%peer, error = %e, "connection lost"),
    }
}

/// Echo and upper: one reply per message, in order.
async fn serve_replies(conn: &mut Connection<Stream>, shared: &Shared) -> Result<(), ConnError> {
    loop {
        let frame = tokio::select! {
            () = shared.shutdown.cancelled() => return Ok(()),
            frame = conn.recv() => frame?,
        };
        let Some(Frame {
            message,
            terminated,
        }) = frame
        else {
            return Ok(());
        };
        shared.say(|| format!("Cliente enviou: {}", message.text));
        let reply = reply_to(shared.config.mode, &message.text).unwrap_or_default();
        conn.send(&ChatMessage::now(SERVER_SENDER, reply), terminated)
            .await?;
    }
}

/// The chat: wait for the operator, then relay in both directions.
async fn serve_chat(
    conn: &mut Connection<Stream>,
    peer: &str,
    shared: &Shared,
) -> Result<(), ConnError> {
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
    // The client must speak first; in --sync mode, turns alternate after that.
    let mut client_spoke = false;
    let mut operators_turn = false;
    for frame in early {
        shared.say(|| format!("Cliente enviou: {}", frame.message.text));
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
            frame = conn.recv(), if may_read => {
                let Some(frame) = frame? else {
                    shared.say(|| format!("{NOTICE_PREFIX}{peer} left the chat"));
                    return Ok(());
                };
                debug!(sender = %frame.message.sender, at = frame.message.sent_at_ms, "message");
                shared.say(|| format!("Cliente enviou: {}", frame.message.text));
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
                    conn.send_text(&shared.config.operator_name, &line).await?;
                    operators_turn = false;
                }
            },
        }
    }
}

/// Tell the client it waits, keep what it sends meanwhile, and return the
/// operator when its turn comes; `None` if it left or the server stops.
async fn wait_for_desk<'a>(
    conn: &mut Connection<Stream>,
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
    loop {
        tokio::select! {
            operator = shared.desk.operator.lock() => return Ok(Some(operator)),
            () = shared.shutdown.cancelled() => {
                conn.send_text(SERVER_SENDER, "* the server is shutting down; goodbye").await?;
                return Ok(None);
            }
            frame = conn.recv() => match frame? {
                Some(frame) if early.len() < MAX_WAITING_MESSAGES => early.push(frame),
                Some(_) => {
                    conn.refuse("too many messages while waiting for the operator").await;
                    return Ok(None);
                }
                None => {
                    shared.say(|| format!("{NOTICE_PREFIX}{peer} left before its turn"));
                    return Ok(None);
                }
            },
        }
    }
}

/// Serve UDP datagrams on `socket` until `shutdown` is cancelled. Each
/// datagram is one message and gets one datagram in reply. Chat needs a
/// connection, so it is refused here.
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
                    say(format!("Cliente enviou: {}", message.text));
                    let reply = reply_to(config.mode, &message.text).unwrap_or_default();
                    (reply, terminated)
                }
                Err(e) => {
                    warn!(%peer, error = %e, "bad datagram");
                    (format!("error: {e}"), true)
                }
            };
        let datagram = wire::encode_datagram(
            config.codec,
            &ChatMessage::now(SERVER_SENDER, reply),
            terminated,
        );
        if let Err(e) = socket.send_to(&datagram, peer).await {
            debug!(%peer, error = %e, "reply not sent");
        }
    }
    info!("shutting down");
    Ok(())
}

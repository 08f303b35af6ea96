//! The server: one HTTP listener for the page and its three WebSockets.
//!
//! [axum] routes each HTTP request. A request for `/` gets the page; a
//! request for `/hello`, `/push` or `/add` that asks to upgrade gets `101
//! Switching Protocols`, after which the connection is a WebSocket served by
//! its own task, so hundreds of pages are served at once and a slow or
//! misbehaving one holds up nobody else.
//!
//! Two kinds of bad input are told apart:
//!
//! * a message the adder cannot add (`abc`, one number, `NaN`, 60 KB of
//!   text, a binary message) is a mistake of the person typing: it gets an
//!   `error: ...` reply and the connection stays open;
//! * a frame that breaks the WebSocket protocol itself (text that is not
//!   UTF-8, a message above the transport limit, an unmasked client frame)
//!   leaves the connection in a state the RFC says must not go on: the server
//!   sends a close frame with the matching status code (1007, 1009, 1002) and
//!   a reason, and closes that connection only.
//!
//! Push (example 2) is a [`broadcast`] channel: the operator's lines go in,
//! and every `/push` connection holds a receiver. A page subscribes *before*
//! the server answers its handshake, so once a page has its `101` it receives
//! every message pushed afterwards, and none from before.
//!
//! Hostile clients: HTTP (the connection cap, the time to send a request's
//! headers, a WebSocket handshake included) is `common::serve::http`'s
//! [`serve_router`]. What is the WebSocket's own is here: a read buffer of
//! 4 KiB that grows only with bytes that arrived (up to `--max-message`),
//! and the idle rule of [`Liveness`] (a ping after `--timeout` of silence,
//! closed after another). Peer text reaches the transcript and the logs only
//! through [`escape`].
//!
//! Shutdown: a [`CancellationToken`] stops the listeners and tells every
//! WebSocket task to send a close frame (1001, going away); [`Sessions`]
//! waits (up to 5 s, while `serve_router` waits for unfinished HTTP
//! requests) until they have finished.

use crate::PAGE;
use crate::protocol;
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::escape::{Escaped, SHOWN, escape};
use common::serve::http::serve_router;
use common::serve::{Limits, Sessions};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The largest WebSocket message the server reads, by default (64 KiB). A
/// larger one closes the connection with status 1009. An addition takes a
/// few dozen bytes and at most [`protocol::MAX_REQUEST`]; up to this size a
/// message that is not one is still answered with an `error: ...` reply. It
/// is also what a connection may cost in its read buffer, so 1,024
/// connections cost at most 64 MiB there whatever their clients send.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// How much tungstenite reads from the socket at a time, and so what a
/// WebSocket costs before its client has sent anything. Its default is
/// 128 KiB, zero-filled (so resident) on the first read of every
/// connection: 128 MiB for 1,024 idle connections. Messages here are a few
/// bytes; a larger one is read in several pieces, and the buffer grows with
/// what has arrived, up to `--max-message`.
const READ_BUFFER: usize = 4 * 1024;

/// How much tungstenite gathers before writing to the socket; every reply
/// is flushed at once anyway.
const WRITE_BUFFER: usize = 4 * 1024;

/// What a WebSocket's write buffer may hold beyond one message of
/// `--max-message` bytes (a greeting echoes a name that long): frame
/// headers, a queued control frame, and error replies, which reach a few
/// KiB when `--max-message` is tiny. Past it, the write fails and the
/// connection ends; a peer that reads nothing fails the write sooner (after
/// `--timeout`).
const WRITE_SLACK: usize = 16 * 1024;

/// How long to wait for the peer's answer to our close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Pushed messages a slow page may fall behind by before it misses some.
const PUSH_BACKLOG: usize = 256;

/// The reason sent with the close frames of a stopping server.
pub const SHUTDOWN_REASON: &str = "the server is shutting down";

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest WebSocket message (and frame) read, and the longest line
    /// pushed, in bytes.
    pub max_message: usize,
    /// The connection cap, the header timeout, and the silence a WebSocket
    /// is allowed (`--timeout`: then a ping, and after another `--timeout`
    /// without an answer the connection is closed).
    pub limits: Limits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message: DEFAULT_MAX_MESSAGE,
            limits: Limits::default(),
        }
    }
}

/// Where the server's transcript goes: one call per line.
pub use common::cli::Transcript;

/// The server's side of the terminal: the transcript it prints, and the
/// lines its operator types (pushed to every page).
pub use common::cli::Console;

/// What every request handler and WebSocket task shares.
struct Shared {
    config: ServerConfig,
    transcript: Option<Transcript>,
    pushes: broadcast::Sender<Utf8Bytes>,
    shutdown: CancellationToken,
    tracker: Sessions,
}

impl Shared {
    fn say(&self, line: impl FnOnce() -> String) {
        if let Some(t) = &self.transcript {
            t(line());
        }
    }

    /// The upgrade response, with this server's limits, and `serve` run on
    /// the WebSocket once the upgrade is done. The task is tracked from now,
    /// so a shutdown that starts before the upgrade completes still waits
    /// for it (and the task then closes at once, with a close frame).
    fn upgrade<F, Fut>(self: &Arc<Self>, ws: WebSocketUpgrade, serve: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let token = self.tracker.token();
        let max_message = self.config.max_message;
        ws.max_message_size(max_message)
            .max_frame_size(max_message)
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(WRITE_BUFFER)
            .max_write_buffer_size(max_message.saturating_add(WRITE_BUFFER + WRITE_SLACK))
            .on_upgrade(move |socket| async move {
                serve(socket).await;
                drop(token);
            })
    }

    /// The idle rule, started now, for a new WebSocket.
    fn liveness(&self) -> Liveness {
        Liveness::new(self.config.limits.timeout)
    }
}

/// Serve the page and the WebSockets on `listener`, and example 1 alone on
/// `hello_listener` if given (every path greets there, as the slide's server
/// on port 8765 does), until `shutdown` is cancelled. Then every WebSocket
/// gets a close frame, and the server waits (up to 5 s) for them to finish.
///
/// Each listener has the limits of `config` (its own cap of connections).
pub async fn run(
    listener: TcpListener,
    hello_listener: Option<TcpListener>,
    config: ServerConfig,
    console: Console,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let (pushes, _) = broadcast::channel(PUSH_BACKLOG);
    let limits = config.limits.clone();
    let shared = Arc::new(Shared {
        config,
        transcript: console.transcript,
        pushes,
        shutdown: shutdown.clone(),
        tracker: Sessions::new(),
    });
    if let Some(lines) = console.operator {
        shared.tracker.spawn(operate(lines, Arc::clone(&shared)));
    }
    let main = serve_router(
        listener,
        app(Arc::clone(&shared)),
        &limits,
        shutdown.clone(),
    );
    let hello = async {
        match hello_listener {
            Some(listener) => {
                let router = hello_app(Arc::clone(&shared));
                serve_router(listener, router, &limits, shutdown.clone()).await
            }
            None => Ok(()),
        }
    };
    // A WebSocket outlives the HTTP connection it was upgraded from, so
    // `serve_router`, which waits for those, does not wait for it: its task
    // sends its close frame (1001) and is waited for here, over the same
    // grace period and at the same time.
    let websockets = shared.tracker.wait_after(&shutdown);
    let (main, hello, ()) = tokio::join!(main, hello, websockets);
    main?;
    hello
}

/// The routes of the main listener.
fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/hello", get(hello_ws))
        .route("/push", get(push_ws))
        .route("/add", get(add_ws))
        .fallback(not_found)
        .with_state(shared)
}

/// Example 1 alone: every path is the greeting, as in the slide.
fn hello_app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(hello_ws).with_state(shared)
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page is embedded in the binary: a new build must show at once.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "not found: the page is at /, the WebSockets at /hello, /push and /add\n",
    )
}

/// The answer to a plain HTTP request on a WebSocket path: say what the path
/// is for instead of a bare 400.
fn not_upgraded(rejection: WebSocketUpgradeRejection, path: &str) -> Response {
    (
        StatusCode::UPGRADE_REQUIRED,
        [(header::UPGRADE, "websocket")],
        format!(
            "{path} is a WebSocket: open it with new WebSocket(\"ws://HOST:PORT{path}\") \
             or websocket-adder-client ({})\n",
            rejection.body_text()
        ),
    )
        .into_response()
}

async fn hello_ws(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    match ws {
        Ok(ws) => {
            let task_shared = Arc::clone(&shared);
            shared.upgrade(ws, move |socket| serve_hello(socket, peer, task_shared))
        }
        Err(rejection) => not_upgraded(rejection, "/hello"),
    }
}

async fn push_ws(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return not_upgraded(rejection, "/push"),
    };
    // Subscribe before answering the handshake: a page that has its `101`
    // is guaranteed every message pushed from then on.
    let updates = shared.pushes.subscribe();
    let listening = shared.pushes.receiver_count();
    shared.say(|| format!("+ push {peer} ({listening} listening)"));
    let task_shared = Arc::clone(&shared);
    shared.upgrade(ws, move |socket| {
        serve_push(socket, peer, updates, task_shared)
    })
}

async fn add_ws(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    match ws {
        Ok(ws) => {
            let task_shared = Arc::clone(&shared);
            shared.upgrade(ws, move |socket| serve_add(socket, peer, task_shared))
        }
        Err(rejection) => not_upgraded(rejection, "/add"),
    }
}

/// What happened to a connection, one event at a time.
enum Event {
    /// A text or binary message arrived.
    Message(Message),
    /// The server is stopping.
    Shutdown,
    /// The peer stayed silent through a ping (see [`Liveness`]).
    Silent,
    /// The peer closed (or the connection broke, already logged).
    Gone,
}

/// The idle rule of every WebSocket. A peer that sends nothing (no message,
/// no pong) for `--timeout` is sent a ping; one still silent `--timeout`
/// later is closed (1008). Browsers and WebSocket libraries answer pings by
/// themselves, so an idle page stays open; a peer that stalled (half a frame
/// sent, or a machine gone without a word) does not hold its place for ever.
///
/// The timer is not reset on every message, which would cost a timer update
/// per request: it fires at most once per `--timeout`, and then compares
/// with the time the peer was last heard.
struct Liveness {
    timeout: Duration,
    heard: Instant,
    pinged: bool,
    timer: Pin<Box<Sleep>>,
}

/// What to do when [`Liveness`]'s timer fires.
enum Wake {
    /// The peer spoke since: nothing, the timer is set again.
    Early,
    /// Silent for `--timeout`: send a ping.
    Ping,
    /// Silent for another `--timeout` after the ping: close.
    Silent,
}

impl Liveness {
    fn new(timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            timeout,
            heard: now,
            pinged: false,
            timer: Box::pin(tokio::time::sleep_until(now + timeout)),
        }
    }

    /// The peer sent a frame (a message, a ping, a pong, a close).
    fn heard(&mut self) {
        self.heard = Instant::now();
        self.pinged = false;
    }

    /// Wait for the timer; then call [`Liveness::wake`].
    async fn timer(&mut self) {
        self.timer.as_mut().await;
    }

    fn wake(&mut self) -> Wake {
        let now = Instant::now();
        let quiet_until = self.heard + self.timeout;
        if quiet_until > now {
            self.timer.as_mut().reset(quiet_until);
            Wake::Early
        } else if !self.pinged {
            self.pinged = true;
            self.timer.as_mut().reset(now + self.timeout);
            Wake::Ping
        } else {
            Wake::Silent
        }
    }

    /// The close frame's reason for a silent peer.
    fn reason(&self) -> String {
        format!(
            "no message and no answer to a ping for {} s",
            (self.timeout * 2).as_secs_f64()
        )
    }
}

/// The next thing a request-reply connection must react to. Pings from the
/// peer are answered by tungstenite itself; the peer's close frame is
/// answered by reading on, until the stream ends.
async fn next_event(
    socket: &mut WebSocket,
    peer: SocketAddr,
    shared: &Shared,
    alive: &mut Liveness,
) -> Event {
    loop {
        let received = tokio::select! {
            () = shared.shutdown.cancelled() => return Event::Shutdown,
            () = alive.timer() => match alive.wake() {
                Wake::Early => continue,
                Wake::Ping => {
                    if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                        return Event::Gone;
                    }
                    continue;
                }
                Wake::Silent => return Event::Silent,
            },
            received = socket.recv() => received,
        };
        alive.heard();
        match received {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                return Event::Message(message);
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_))) => continue,
            Some(Err(e)) => {
                fail(socket, peer, e).await;
                return Event::Gone;
            }
            None => return Event::Gone,
        }
    }
}

/// Close a peer that stayed silent through a ping.
async fn close_silent(socket: WebSocket, peer: SocketAddr, alive: &Liveness) {
    let reason = alive.reason();
    info!(%peer, "closed: {reason}");
    close(socket, close_code::POLICY, &reason).await;
}

/// Example 1: each name gets `Ola <name>!`.
async fn serve_hello(mut socket: WebSocket, peer: SocketAddr, shared: Arc<Shared>) {
    info!(%peer, "connected to /hello");
    let mut alive = shared.liveness();
    loop {
        let reply = match next_event(&mut socket, peer, &shared, &mut alive).await {
            Event::Message(Message::Text(name)) => {
                let greeting = protocol::greeting(&name);
                shared
                    .say(|| format!("< {}\n> {}", escape(&name, SHOWN), escape(&greeting, SHOWN)));
                greeting
            }
            Event::Message(_) => {
                warn!(%peer, "binary message on /hello");
                format!(
                    "{}binary messages are not understood; send your name as text",
                    protocol::ERROR_PREFIX
                )
            }
            Event::Shutdown => return close(socket, close_code::AWAY, SHUTDOWN_REASON).await,
            Event::Silent => return close_silent(socket, peer, &alive).await,
            Event::Gone => break,
        };
        if socket.send(Message::text(reply)).await.is_err() {
            break;
        }
    }
    info!(%peer, "left /hello");
}

/// The exercise: each message gets its sum, or an error, in its own form.
async fn serve_add(mut socket: WebSocket, peer: SocketAddr, shared: Arc<Shared>) {
    info!(%peer, "connected to /add");
    let mut alive = shared.liveness();
    loop {
        let reply = match next_event(&mut socket, peer, &shared, &mut alive).await {
            Event::Message(Message::Text(text)) => {
                let reply = protocol::answer(&text);
                report(&shared, peer, &escape(&text, SHOWN), &reply);
                reply
            }
            Event::Message(message) => {
                let reply = protocol::answer_binary();
                let request = format!("<binary, {} bytes>", message.into_data().len());
                report(&shared, peer, &request, &reply);
                reply
            }
            Event::Shutdown => return close(socket, close_code::AWAY, SHUTDOWN_REASON).await,
            Event::Silent => return close_silent(socket, peer, &alive).await,
            Event::Gone => break,
        };
        if socket.send(Message::text(reply)).await.is_err() {
            break;
        }
    }
    info!(%peer, "left /add");
}

/// Log a refusal, and write the exchange in the transcript. `request` is
/// already escaped; the reply may quote the request, so it is escaped too.
fn report(shared: &Shared, peer: SocketAddr, request: &str, reply: &str) {
    let reply = escape(reply, SHOWN);
    if is_error_reply(&reply) {
        warn!(%peer, %request, %reply, "refused a request");
    }
    shared.say(|| format!("< {request}\n> {reply}"));
}

fn is_error_reply(reply: &str) -> bool {
    reply.starts_with(protocol::ERROR_PREFIX) || reply.starts_with("{\"error\"")
}

/// How a `/push` connection ended.
enum Ending {
    Shutdown,
    Silent,
    Gone,
}

/// Example 2: send every pushed line; the page itself has nothing to say.
async fn serve_push(
    mut socket: WebSocket,
    peer: SocketAddr,
    mut updates: broadcast::Receiver<Utf8Bytes>,
    shared: Arc<Shared>,
) {
    info!(%peer, "connected to /push");
    let mut alive = shared.liveness();
    let ending = loop {
        let outgoing = tokio::select! {
            () = shared.shutdown.cancelled() => break Ending::Shutdown,
            () = alive.timer() => match alive.wake() {
                Wake::Early => continue,
                Wake::Ping => Message::Ping(Bytes::new()),
                Wake::Silent => break Ending::Silent,
            },
            update = updates.recv() => match update {
                Ok(text) => Message::Text(text),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(%peer, missed, "a page fell behind the pushed messages");
                    Message::text(format!("{}this page fell behind and missed {missed} messages", protocol::ERROR_PREFIX))
                }
                Err(broadcast::error::RecvError::Closed) => break Ending::Gone,
            },
            received = socket.recv() => {
                alive.heard();
                match received {
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                        Message::text(format!("{}/push only sends; send additions to /add", protocol::ERROR_PREFIX))
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        fail(&mut socket, peer, e).await;
                        break Ending::Gone;
                    }
                    None => break Ending::Gone,
                }
            },
        };
        if socket.send(outgoing).await.is_err() {
            break Ending::Gone;
        }
    };
    drop(updates);
    match ending {
        Ending::Shutdown => return close(socket, close_code::AWAY, SHUTDOWN_REASON).await,
        Ending::Silent => close_silent(socket, peer, &alive).await,
        Ending::Gone => {}
    }
    let listening = shared.pushes.receiver_count();
    shared.say(|| format!("- push {peer} ({listening} listening)"));
    info!(%peer, "left /push");
}

/// The operator: each line typed on the server's terminal goes to every page.
async fn operate(mut lines: mpsc::Receiver<String>, shared: Arc<Shared>) {
    loop {
        let line = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            line = lines.recv() => line,
        };
        let Some(line) = line else {
            info!("the operator's input ended; nothing more will be pushed");
            return;
        };
        if line.trim().is_empty() {
            continue;
        }
        // Each page's write buffer holds one message of at most this size.
        let max = shared.config.max_message;
        if line.len() > max {
            warn!(
                bytes = line.len(),
                max, "not pushed: the line is longer than --max-message"
            );
            continue;
        }
        // `send` fails only when nobody listens; the line is then lost, as
        // it would be for a page that joins later.
        let pages = shared.pushes.send(line.as_str().into()).unwrap_or(0);
        let line = escape(&line, SHOWN);
        shared.say(|| match pages {
            0 => format!("> {line} (no page is listening)"),
            1 => format!("> {line} (pushed to 1 page)"),
            n => format!("> {line} (pushed to {n} pages)"),
        });
    }
}

/// A receive error: say why in a close frame when the protocol allows it.
async fn fail(socket: &mut WebSocket, peer: SocketAddr, error: axum::Error) {
    let error = match error.into_inner().downcast::<tungstenite::Error>() {
        Ok(error) => *error,
        Err(other) => {
            warn!(%peer, error = %Escaped::new(&other.to_string(), SHOWN), "connection failed");
            return;
        }
    };
    use tungstenite::error::{CapacityError, ProtocolError};
    let (code, reason) = match &error {
        tungstenite::Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => (
            close_code::SIZE,
            format!("message too big: {size} bytes; the limit is {max_size}"),
        ),
        tungstenite::Error::Capacity(e) => (close_code::SIZE, e.to_string()),
        tungstenite::Error::Utf8(_) => (
            close_code::INVALID,
            "text message is not valid UTF-8".into(),
        ),
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            info!(%peer, "left without a close frame");
            return;
        }
        tungstenite::Error::Protocol(e) => (close_code::PROTOCOL, e.to_string()),
        other => {
            info!(%peer, error = %Escaped::new(&other.to_string(), SHOWN), "connection lost");
            return;
        }
    };
    warn!(
        %peer,
        code,
        reason = %Escaped::new(&reason, SHOWN),
        "closing a connection that broke the protocol"
    );
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: truncate_reason(&reason).into(),
    }));
    if socket.send(frame).await.is_ok() {
        drain(socket).await;
    }
}

/// Close with a close frame and wait (briefly) for the peer's answer, as
/// the closing handshake asks; a peer that never answers is dropped.
async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: truncate_reason(reason).into(),
    }));
    if socket.send(frame).await.is_ok() {
        drain(&mut socket).await;
    }
}

/// Read until the peer's close frame ends the stream, for [`CLOSE_WAIT`] at most.
async fn drain(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = socket.recv().await {}
    })
    .await;
}

/// A close frame's reason holds at most 123 bytes (RFC 6455, 5.5).
fn truncate_reason(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_owned();
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_in_a_control_frame() {
        let long = "é".repeat(100);
        let cut = truncate_reason(&long);
        assert!(cut.len() <= 123);
        assert!(long.starts_with(&cut));
        assert_eq!(truncate_reason("short"), "short");
    }

    #[test]
    fn error_replies_are_recognised_in_both_forms() {
        assert!(is_error_reply(&protocol::answer("abc")));
        assert!(is_error_reply(&protocol::answer("{\"a\":1}")));
        assert!(!is_error_reply(&protocol::answer("{\"a\":1,\"b\":2}")));
        assert!(!is_error_reply(&protocol::answer("1 2")));
    }
}

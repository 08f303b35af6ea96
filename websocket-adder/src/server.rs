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
//! * a message the adder cannot add (`abc`, one number, `NaN`, a megabyte of
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
//! Shutdown: a [`CancellationToken`] stops the listeners and tells every
//! WebSocket task to send a close frame (1001, going away); a [`TaskTracker`]
//! waits (up to 5 s) until they have finished.

use crate::PAGE;
use crate::protocol;
use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// The largest WebSocket message the server reads, by default (2 MiB). A
/// larger one closes the connection with status 1009: reading it would mean
/// holding it all in memory.
pub const DEFAULT_MAX_MESSAGE: usize = 2 << 20;

/// How long WebSocket connections get to close after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long unfinished plain HTTP requests get after shutdown is requested.
const HTTP_GRACE: Duration = Duration::from_secs(1);

/// How long to wait for the peer's answer to our close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Pushed messages a slow page may fall behind by before it misses some.
const PUSH_BACKLOG: usize = 256;

/// The longest text the transcript shows of a message.
const TRANSCRIPT_WIDTH: usize = 80;

/// The reason sent with the close frames of a stopping server.
pub const SHUTDOWN_REASON: &str = "the server is shutting down";

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest WebSocket message (and frame) read, in bytes.
    pub max_message: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message: DEFAULT_MAX_MESSAGE,
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
    tracker: TaskTracker,
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
        ws.max_message_size(self.config.max_message)
            .max_frame_size(self.config.max_message)
            .on_upgrade(move |socket| async move {
                serve(socket).await;
                drop(token);
            })
    }
}

/// Serve the page and the WebSockets on `listener`, and example 1 alone on
/// `hello_listener` if given (every path greets there, as the slide's server
/// on port 8765 does), until `shutdown` is cancelled. Then every WebSocket
/// gets a close frame, and the server waits (up to 5 s) for them to finish.
pub async fn run(
    listener: TcpListener,
    hello_listener: Option<TcpListener>,
    config: ServerConfig,
    console: Console,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let (pushes, _) = broadcast::channel(PUSH_BACKLOG);
    let shared = Arc::new(Shared {
        config,
        transcript: console.transcript,
        pushes,
        shutdown: shutdown.clone(),
        tracker: TaskTracker::new(),
    });
    if let Some(lines) = console.operator {
        shared.tracker.spawn(operate(lines, Arc::clone(&shared)));
    }
    let mut servers = tokio::task::JoinSet::new();
    servers.spawn(serve_http(
        listener,
        app(Arc::clone(&shared)),
        shutdown.clone(),
    ));
    if let Some(listener) = hello_listener {
        servers.spawn(serve_http(
            listener,
            hello_app(Arc::clone(&shared)),
            shutdown.clone(),
        ));
    }
    shutdown.cancelled().await;
    info!("shutting down: no new connections; closing the open ones");
    shared.tracker.close();
    // Plain HTTP requests are short (the page is one response); one still
    // unfinished after a second is a client that stopped halfway, and is
    // dropped. WebSockets get longer, to finish their closing handshake.
    let http = tokio::time::timeout(HTTP_GRACE, async {
        while servers.join_next().await.is_some() {}
    });
    let websockets = tokio::time::timeout(SHUTDOWN_GRACE, shared.tracker.wait());
    let (http, websockets) = tokio::join!(http, websockets);
    if http.is_err() {
        info!("dropped HTTP connections that had not finished their request");
    }
    if websockets.is_err() {
        warn!("some WebSocket connections did not close in time");
    }
    Ok(())
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

async fn serve_http(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> io::Result<()> {
    // Replies are small and awaited one by one: send each at once rather
    // than let Nagle's algorithm hold it back for company.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            info!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
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
    /// The peer closed (or the connection broke, already logged).
    Gone,
}

/// The next thing a request-reply connection must react to. Pings are
/// answered by tungstenite itself; the peer's close frame is answered by
/// reading on, until the stream ends.
async fn next_event(socket: &mut WebSocket, peer: SocketAddr, shared: &Shared) -> Event {
    loop {
        let received = tokio::select! {
            () = shared.shutdown.cancelled() => return Event::Shutdown,
            received = socket.recv() => received,
        };
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

/// Example 1: each name gets `Ola <name>!`.
async fn serve_hello(mut socket: WebSocket, peer: SocketAddr, shared: Arc<Shared>) {
    info!(%peer, "connected to /hello");
    loop {
        let reply = match next_event(&mut socket, peer, &shared).await {
            Event::Message(Message::Text(name)) => {
                let greeting = protocol::greeting(&name);
                shared.say(|| format!("< {name}\n> {greeting}"));
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
    loop {
        let (request, reply) = match next_event(&mut socket, peer, &shared).await {
            Event::Message(Message::Text(text)) => {
                let reply = protocol::answer(&text);
                (shorten(&text), reply)
            }
            Event::Message(message) => (
                format!("<binary, {} bytes>", message.into_data().len()),
                protocol::answer_binary(),
            ),
            Event::Shutdown => return close(socket, close_code::AWAY, SHUTDOWN_REASON).await,
            Event::Gone => break,
        };
        if is_error_reply(&reply) {
            warn!(%peer, %request, %reply, "refused a request");
        }
        shared.say(|| format!("< {request}\n> {reply}"));
        if socket.send(Message::text(reply)).await.is_err() {
            break;
        }
    }
    info!(%peer, "left /add");
}

fn is_error_reply(reply: &str) -> bool {
    reply.starts_with(protocol::ERROR_PREFIX) || reply.starts_with("{\"error\"")
}

/// Example 2: send every pushed line; the page itself has nothing to say.
async fn serve_push(
    mut socket: WebSocket,
    peer: SocketAddr,
    mut updates: broadcast::Receiver<Utf8Bytes>,
    shared: Arc<Shared>,
) {
    info!(%peer, "connected to /push");
    loop {
        let outgoing = tokio::select! {
            () = shared.shutdown.cancelled() => {
                drop(updates);
                return close(socket, close_code::AWAY, SHUTDOWN_REASON).await;
            }
            update = updates.recv() => match update {
                Ok(text) => text,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(%peer, missed, "a page fell behind the pushed messages");
                    format!("{}this page fell behind and missed {missed} messages", protocol::ERROR_PREFIX).into()
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    format!("{}/push only sends; send additions to /add", protocol::ERROR_PREFIX).into()
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    fail(&mut socket, peer, e).await;
                    break;
                }
                None => break,
            },
        };
        if socket.send(Message::Text(outgoing)).await.is_err() {
            break;
        }
    }
    drop(updates);
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
        // `send` fails only when nobody listens; the line is then lost, as
        // it would be for a page that joins later.
        let pages = shared.pushes.send(line.as_str().into()).unwrap_or(0);
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
            warn!(%peer, error = %other, "connection failed");
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
            info!(%peer, error = %other, "connection lost");
            return;
        }
    };
    warn!(%peer, code, %reason, "closing a connection that broke the protocol");
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

/// A message as the transcript shows it: at most 80 characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(TRANSCRIPT_WIDTH) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
    }
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
    fn the_transcript_shortens_long_messages() {
        assert_eq!(shorten("3 4"), "3 4");
        let long = "x".repeat(1000);
        assert_eq!(shorten(&long), format!("{}… (1000 bytes)", "x".repeat(80)));
    }

    #[test]
    fn error_replies_are_recognised_in_both_forms() {
        assert!(is_error_reply(&protocol::answer("abc")));
        assert!(is_error_reply(&protocol::answer("{\"a\":1}")));
        assert!(!is_error_reply(&protocol::answer("{\"a\":1,\"b\":2}")));
        assert!(!is_error_reply(&protocol::answer("1 2")));
    }
}

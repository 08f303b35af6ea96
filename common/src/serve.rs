//! The one way every server of the workspace accepts and keeps connections.
//!
//! A server that works for one polite client can be held, swollen or frozen
//! by one hostile client: a connection that sends half a request and waits,
//! a thousand such connections, a peer that stops reading its replies. The
//! rules against that are the same for every protocol, so they are written
//! once, here, and every server (raw TCP, Unix sockets, HTTP, WebSocket) runs
//! its connections through [`serve`]:
//!
//! * **A connection cap.** At most [`Limits::max_connections`] connections
//!   are served at once. One more is accepted, answered with the server's
//!   *busy* message (an HTTP 503, an `error:` line, an error frame) and
//!   closed, so that its client learns why instead of hanging in the
//!   kernel's accept queue. A place is held by the [`Admitted`] socket itself,
//!   so a connection upgraded to a WebSocket keeps counting.
//! * **Silence has a limit** ([`Limits::timeout`]). A write that the peer
//!   leaves unread for that long fails ([`Admitted`] does it for every
//!   server); each protocol applies the same limit to the waits that are its
//!   own (before the first complete message, inside a request body, before
//!   login), and HTTP has a shorter one for request headers
//!   ([`Limits::header_timeout`]).
//! * **Memory is bounded before the bytes arrive.** That part is each
//!   protocol's (its largest message, its read buffers); the cap makes the
//!   total a product of two known numbers.
//! * **Clean shutdown.** When the [`CancellationToken`] is cancelled the
//!   listener stops accepting; connections see the same token and finish;
//!   [`serve`] waits for them at most [`SHUTDOWN_GRACE`] and returns.
//!
//! This is tokio's graceful-shutdown pattern (a token to ask, a
//! [`TaskTracker`] to wait) with a semaphore in front of it. The flags that
//! set the limits are the same in every server's `--help`: [`LimitFlags`],
//! and for HTTP servers [`HttpLimitFlags`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

#[cfg(feature = "http")]
pub mod http;

/// How long open connections get to finish once shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Default most connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Default longest silence of a peer the server waits through.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default time an HTTP client has to send a request's headers.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many connections over the cap are being told "busy" at
/// once; past that, they are closed without a word (a flood must not
/// cost more than the cap it is refused by).
const MAX_REFUSING: usize = 64;

/// How long a refused connection is kept to read the busy message.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// The limits a server holds its clients to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The most connections served at once.
    pub max_connections: usize,
    /// The longest silence waited through: a write the peer does not read,
    /// and each protocol's own waits (before the first message, inside a
    /// request body, between frames).
    pub timeout: Duration,
    /// HTTP only: the time to send a request's line and headers, counted
    /// from the connection's start or the end of the previous response (so
    /// it is also how long an idle keep-alive connection stays open).
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: DEFAULT_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// The limit flags of every server: `--max-connections` and `--timeout`.
/// A binary adds them with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitFlags {
    /// The most connections served at once; one more is told the server is
    /// busy and closed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = parse_count)]
    pub max_connections: usize,
    /// Seconds a client may stay silent while the server waits for it
    /// (for its next message, inside a request, or to read a reply); then
    /// its connection is closed.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub timeout: Duration,
}

impl LimitFlags {
    /// The limits these flags set (HTTP's header timeout at its default).
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            timeout: self.timeout,
            ..Limits::default()
        }
    }
}

/// The limit flags of an HTTP server: [`LimitFlags`] and `--header-timeout`.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimitFlags {
    #[command(flatten)]
    pub connection: LimitFlags,
    /// Seconds a client has to send a request's headers, from when it
    /// connects or its previous answer was sent (an idle keep-alive
    /// connection is closed after this long).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,
}

impl HttpLimitFlags {
    /// The limits these flags set.
    pub fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            ..self.connection.limits()
        }
    }
}

/// A positive number of seconds, fractions allowed (`0.5`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

fn parse_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number of at least 1")),
    }
}

/// Something connections are accepted from: a TCP or a Unix listener, or a
/// server's own enum of them.
pub trait Listener: Send + 'static {
    /// A connected socket.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Who is at the other end, as logs and transcripts name it.
    type Peer: fmt::Display + Clone + Send + Sync + 'static;

    /// The next connection.
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Io, Self::Peer)>> + Send;
}

impl Listener for TcpListener {
    type Io = TcpStream;
    type Peer = SocketAddr;

    async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        // Requests and replies are small and awaited one by one: send each
        // at once rather than let Nagle's algorithm hold it back.
        if let Err(e) = stream.set_nodelay(true) {
            debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        Ok((stream, peer))
    }
}

/// A peer on a Unix socket: it has no address, so it is numbered.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixPeer(pub u64);

#[cfg(unix)]
impl fmt::Display for UnixPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unix#{}", self.0)
    }
}

#[cfg(unix)]
impl Listener for tokio::net::UnixListener {
    type Io = tokio::net::UnixStream;
    type Peer = UnixPeer;

    async fn accept(&self) -> io::Result<(tokio::net::UnixStream, UnixPeer)> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (stream, _) = tokio::net::UnixListener::accept(self).await?;
        Ok((stream, UnixPeer(NEXT.fetch_add(1, Ordering::Relaxed))))
    }
}

/// Accept connections from `listener` and run `handle` on each in a task of
/// its own, at most `limits.max_connections` at a time, until `shutdown` is
/// cancelled; then wait (at most [`SHUTDOWN_GRACE`]) for the connections to
/// finish, and return.
///
/// A connection over the cap is sent `busy` (if not empty) and closed.
/// `handle` receives the socket wrapped in [`Admitted`], which holds the
/// connection's place and fails writes left unread for `limits.timeout`.
/// Connections must watch `shutdown` themselves (the token is the caller's)
/// to finish promptly.
pub async fn serve<L, H, F>(
    listener: L,
    limits: &Limits,
    busy: &[u8],
    shutdown: CancellationToken,
    mut handle: H,
) -> io::Result<()>
where
    L: Listener,
    H: FnMut(Admitted<L::Io>, L::Peer) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    crate::sys::raise_fd_limit();
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let busy: Arc<[u8]> = Arc::from(busy);
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (io, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Usually out of file descriptors: back off instead of
                // spinning, and keep serving the connections already open.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match Arc::clone(&places).try_acquire_owned() {
            Ok(place) => {
                let io = Admitted::new(io, place, limits.timeout);
                tracker.spawn(handle(io, peer));
            }
            Err(_) => {
                info!(%peer, max = limits.max_connections, "refused: at the connection limit");
                if let Ok(turn) = Arc::clone(&refusing).try_acquire_owned() {
                    tracker.spawn(refuse(io, Arc::clone(&busy), turn));
                }
            }
        }
    }
    info!("shutting down: no new connections");
    drop(listener);
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        warn!(
            "some connections did not finish within {} s",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    Ok(())
}

/// Tasks that outlive the connection they came from, which shutdown must
/// wait for too: a WebSocket, once upgraded, runs in a task of its own
/// (axum's, jsonrpsee's), and [`serve`] stops watching the connection it
/// was upgraded from. Track each such task here (a [`Sessions::token`] it
/// holds, or [`Sessions::spawn`]) and run [`Sessions::wait_after`] beside the
/// server: both waits start when shutdown is asked, so together they take
/// no longer than the one grace period.
#[derive(Debug, Clone, Default)]
pub struct Sessions(TaskTracker);

impl Sessions {
    /// No session yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token that counts as one session until it is dropped: move it into
    /// the task that serves the session.
    pub fn token(&self) -> tokio_util::task::task_tracker::TaskTrackerToken {
        self.0.token()
    }

    /// Spawn `task` as a session.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(task)
    }

    /// Once `shutdown` is cancelled, wait for the sessions to end, at most
    /// [`SHUTDOWN_GRACE`]. The sessions must watch `shutdown` themselves (to
    /// send a close frame, say) for the wait to end early.
    pub async fn wait_after(&self, shutdown: &CancellationToken) {
        shutdown.cancelled().await;
        self.0.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.0.wait())
            .await
            .is_err()
        {
            warn!(
                "some sessions did not end within {} s",
                SHUTDOWN_GRACE.as_secs()
            );
        }
    }
}

/// Tell a connection over the cap that the server is busy, and close it.
///
/// After the message, what the peer already sent is read and dropped for a
/// moment: closing a socket with unread data makes the kernel send a reset,
/// and the peer would read "connection reset" instead of the message.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    busy: Arc<[u8]>,
    _turn: OwnedSemaphorePermit,
) {
    let _ = tokio::time::timeout(REFUSAL_LINGER, async {
        if !busy.is_empty() {
            io.write_all(&busy).await?;
        }
        io.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match io.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, io::Error>(())
    })
    .await;
}

/// A connection the server admitted.
///
/// It holds one of the server's `max_connections` places until it is
/// dropped, wherever it goes (into an HTTP connection, then into the
/// WebSocket it upgrades to). And it fails a write, or a flush, that makes no
/// progress for `timeout` with [`io::ErrorKind::TimedOut`]: a peer that
/// stops reading its replies fills the socket's buffers, and without this
/// the task writing to it would wait forever.
pub struct Admitted<S> {
    io: S,
    _place: OwnedSemaphorePermit,
    timeout: Duration,
    /// Armed while a write waits for the peer; reset on progress.
    stall: Option<Pin<Box<Sleep>>>,
}

impl<S> Admitted<S> {
    fn new(io: S, place: OwnedSemaphorePermit, timeout: Duration) -> Self {
        Self {
            io,
            _place: place,
            timeout,
            stall: None,
        }
    }

    /// The socket inside.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The socket inside, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// How long a write may wait for the peer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Turn a write's `Pending` into a timeout error once the peer has read
    /// nothing for `timeout`; any progress disarms the timer.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stall = None;
            return polled;
        }
        let timeout = self.timeout;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stall.as_mut().poll(cx));
        // Re-arm for the next try, should the caller go on.
        stall.as_mut().reset(Instant::now() + timeout);
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the peer read nothing for {} s", self.timeout.as_secs_f64()),
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Admitted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Admitted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use tokio::io::duplex;

    #[derive(Debug, clap::Parser)]
    struct Flags {
        #[command(flatten)]
        limits: HttpLimitFlags,
    }

    #[test]
    fn the_flags_default_to_the_documented_limits() {
        let flags = Flags::try_parse_from(["server"]).expect("defaults parse");
        assert_eq!(flags.limits.limits(), Limits::default());
        assert_eq!(
            Limits::default(),
            Limits {
                max_connections: 1024,
                timeout: Duration::from_secs(60),
                header_timeout: Duration::from_secs(10),
            }
        );
    }

    #[test]
    fn the_flags_take_fractions_of_seconds_and_refuse_zero() {
        let flags = Flags::try_parse_from([
            "server",
            "--max-connections",
            "3",
            "--timeout",
            "0.5",
            "--header-timeout",
            "2",
        ])
        .expect("valid flags");
        let limits = flags.limits.limits();
        assert_eq!(limits.max_connections, 3);
        assert_eq!(limits.timeout, Duration::from_millis(500));
        assert_eq!(limits.header_timeout, Duration::from_secs(2));
        for bad in [
            ["server", "--timeout", "0"],
            ["server", "--timeout", "-1"],
            ["server", "--timeout", "soon"],
            ["server", "--max-connections", "0"],
        ] {
            assert!(Flags::try_parse_from(bad).is_err(), "{bad:?} was accepted");
        }
    }

    fn admitted<S>(io: S, timeout: Duration) -> Admitted<S> {
        let place = Arc::new(Semaphore::new(1))
            .try_acquire_owned()
            .expect("a place");
        Admitted::new(io, place, timeout)
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_fails_after_the_timeout() {
        let (ours, _theirs) = duplex(16);
        let mut conn = admitted(ours, Duration::from_secs(60));
        let started = Instant::now();
        let err = conn
            .write_all(&[0u8; 1024])
            .await
            .expect_err("the peer never reads");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_not_cut() {
        let (ours, mut theirs) = duplex(16);
        let mut conn = admitted(ours, Duration::from_secs(10));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 16];
            loop {
                // Slower than the data comes, faster than the timeout.
                tokio::time::sleep(Duration::from_secs(5)).await;
                match theirs.read(&mut buf).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        conn.write_all(&[7u8; 64])
            .await
            .expect("progress each time");
        conn.shutdown().await.expect("closed");
        drop(conn);
        assert_eq!(reader.await.expect("reader").len(), 64);
    }

    #[tokio::test]
    async fn connections_over_the_cap_are_told_busy_and_the_rest_served() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let server = tokio::spawn(async move {
            serve(
                listener,
                &limits,
                b"busy\n",
                stop,
                |mut io, _peer| async move {
                    // Say so, then hold the place until the client closes.
                    let _ = io.write_all(b"in\n").await;
                    let mut sink = [0u8; 64];
                    while let Ok(1..) = io.read(&mut sink).await {}
                },
            )
            .await
        });
        // The first answer a client reads: "in" or "busy".
        async fn greeting(addr: SocketAddr) -> (TcpStream, String) {
            let mut conn = TcpStream::connect(addr).await.expect("connect");
            let mut first = [0u8; 3];
            match conn.read_exact(&mut first).await {
                Ok(_) => (conn, String::from_utf8_lossy(&first).into_owned()),
                // Closed without a word: too many were being refused at once.
                Err(_) => (conn, String::new()),
            }
        }
        let (one, said) = greeting(addr).await;
        assert_eq!(said, "in\n");
        let (two, said) = greeting(addr).await;
        assert_eq!(said, "in\n");
        let (mut third, said) = greeting(addr).await;
        assert_eq!(said, "bus");
        let mut rest = String::new();
        third.read_to_string(&mut rest).await.expect("read");
        assert_eq!(rest, "y\n", "then closed");

        // A place freed is a place for the next client (once the server
        // has seen the first one leave).
        drop(one);
        let fourth = loop {
            match greeting(addr).await {
                (conn, said) if said == "in\n" => break conn,
                _ => tokio::task::yield_now().await,
            }
        };
        shutdown.cancel();
        drop((two, fourth));
        server.await.expect("server task").expect("served");
    }

    #[tokio::test]
    async fn shutdown_waits_for_connections_to_finish() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let server = tokio::spawn(async move {
            serve(
                listener,
                &Limits::default(),
                b"",
                token.clone(),
                move |mut io, _peer| {
                    let token = token.clone();
                    async move {
                        let _ = io.write_all(b"hi\n").await;
                        token.cancelled().await;
                        let _ = io.write_all(b"bye\n").await;
                    }
                },
            )
            .await
        });
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        let mut hi = [0u8; 3];
        conn.read_exact(&mut hi).await.expect("served");
        shutdown.cancel();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.expect("read");
        assert_eq!(answer, "bye\n");
        server.await.expect("server task").expect("served");
    }
}

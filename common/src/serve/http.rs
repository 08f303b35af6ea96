//! HTTP/1.1 servers on top of [`serve`](super::serve): the same cap and
//! shutdown, and the limits an HTTP server needs besides.
//!
//! * **Header timeout** ([`Limits::header_timeout`]): the request line and
//!   headers must arrive within it, counted from the connection's start or
//!   the end of the previous answer, so an idle keep-alive connection is
//!   closed after it too. This is hyper's `header_read_timeout`; without it,
//!   a client that sends half a header holds its connection for ever
//!   ("slowloris").
//! * **Body timeout** ([`Limits::timeout`]): inside a request body, each
//!   piece must arrive within it of the previous one (as nginx's
//!   `client_body_timeout`), so a slow upload goes on but a stalled one
//!   fails. This is tower-http's [`TimeoutBody`]; a handler reading the body
//!   sees an error that names the timeout.
//! * **A bounded head**: at most [`MAX_HEAD`] bytes of request line and
//!   headers (431 beyond), so memory per connection is bounded before the
//!   client has sent a byte.
//! * **Busy**: a connection over the cap gets `503 Service Unavailable` with
//!   `Retry-After`.
//!
//! axum's own `axum::serve` has none of the timeouts, which is why servers
//! with an axum [`Router`](axum::Router) use [`serve_router`] instead.

use super::{Admitted, Limits, Listener, serve};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutBody;
use tracing::{debug, info};

/// The most bytes of request line and headers read; more is answered `431
/// Request Header Fields Too Large`. Browsers send 1 to 2 KiB.
pub const MAX_HEAD: usize = 16 * 1024;

/// A request body as a handler receives it: hyper's, failing if the client
/// stays silent in the middle of it for [`Limits::timeout`].
pub type Body = TimeoutBody<Incoming>;

type BoxError = Box<dyn StdError + Send + Sync>;

/// True if `error`, met while reading a [`Body`] (directly, or as the
/// source of an extractor's error), is the body timeout: the client went
/// silent in the middle of its request body. A handler answers that with
/// `408 Request Timeout` rather than a generic 400.
pub fn is_body_timeout(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        // An `io::Error` made from another error reports that error's
        // source, not the error itself: look inside.
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref())
            && is_body_timeout(inner)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Serve HTTP/1.1 on `listener` with `limits` until `shutdown` is cancelled.
///
/// `make_service` is called once per connection with the peer, and returns
/// the hyper service that answers that connection's requests. Connections
/// upgrade (to WebSocket) if the service answers `101`. On shutdown, each
/// connection finishes the request in progress and closes; [`serve`]'s grace
/// period bounds the wait.
pub async fn serve_http<L, M, S, B>(
    listener: L,
    limits: &Limits,
    shutdown: CancellationToken,
    mut make_service: M,
) -> io::Result<()>
where
    L: Listener,
    M: FnMut(L::Peer) -> S,
    S: hyper::service::Service<Request<Body>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let busy = busy_answer(limits.max_connections);
    let conn_limits = limits.clone();
    let stop = shutdown.clone();
    serve(listener, limits, &busy, shutdown, move |io, peer| {
        let service = make_service(peer.clone());
        let limits = conn_limits.clone();
        let stop = stop.clone();
        async move { serve_connection(io, peer, service, &limits, stop).await }
    })
    .await
}

/// At shutdown, how long a connection with no answer in progress gets
/// before it is closed.
const IDLE_GRACE: Duration = Duration::from_secs(1);

/// One answer in progress on a connection, from the moment hyper hands the
/// request to the service until the response body is sent (or dropped).
struct Answering(Arc<AtomicUsize>);

impl Answering {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(count))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that counts as an answer in progress until it is done:
/// a long download is not cut at shutdown.
struct CountedBody<B> {
    body: Pin<Box<B>>,
    _answer: Answering,
}

impl<B: http_body::Body> http_body::Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The answer to a connection over the cap.
fn busy_answer(max: usize) -> Vec<u8> {
    let body = format!(
        "the server is serving as many connections as it allows ({max}); try again in a moment\n"
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve_connection<I, P, S, B>(
    io: Admitted<I>,
    peer: P,
    service: S,
    limits: &Limits,
    shutdown: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    P: std::fmt::Display,
    S: hyper::service::Service<Request<Body>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let body_timeout = limits.timeout;
    let answering = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&answering);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let answer = Answering::start(&counted);
        let response = service.call(request.map(|body| TimeoutBody::new(body_timeout, body)));
        async move {
            let response = response.await?;
            Ok::<_, S::Error>(response.map(|body| CountedBody {
                body: Box::pin(body),
                _answer: answer,
            }))
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD);
    let conn = http
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => Some(served),
        () = shutdown.cancelled() => {
            // Finish the answer in progress, then close. A connection with
            // none is idle or still sending a request head: hyper would wait
            // for that head (up to the header timeout), so it gets only a
            // moment to flush what was already answered.
            conn.as_mut().graceful_shutdown();
            if answering.load(Ordering::Acquire) == 0 {
                tokio::time::timeout(IDLE_GRACE, conn).await.ok()
            } else {
                Some(conn.await)
            }
        }
    };
    let Some(served) = served else {
        debug!(%peer, "closed at shutdown before a complete request");
        return;
    };
    match served {
        Ok(()) => debug!(%peer, "connection closed"),
        Err(e) if e.is_timeout() => info!(
            %peer,
            "closed: no complete request header within {} s",
            limits.header_timeout.as_secs_f64()
        ),
        Err(e) => debug!(%peer, error = %e, "connection ended"),
    }
}

/// Serve an axum [`Router`](axum::Router) on `listener` with `limits` until
/// `shutdown` is cancelled. Handlers can extract
/// `ConnectInfo<SocketAddr>`, as with axum's own `serve`.
#[cfg(feature = "axum")]
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: &Limits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    use tower::Service as _;
    serve_http(listener, limits, shutdown, move |peer| {
        let router = router.clone();
        hyper::service::service_fn(move |mut request: Request<Body>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            router.clone().call(request)
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};

    /// A server answering `ok` to every request, with `limits`.
    async fn ok_server(limits: Limits) -> (std::net::SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            serve_http(listener, &limits, stop, |_peer| {
                hyper::service::service_fn(|_request: Request<Body>| async {
                    Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(b"ok"),
                    )))
                })
            })
            .await
        });
        (addr, shutdown)
    }

    async fn read_all(conn: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let _ = conn.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_half_sent_header_is_closed_after_the_header_timeout() {
        let limits = Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let (addr, _shutdown) = ok_server(limits).await;
        let mut stalled = TcpStream::connect(addr).await.expect("connect");
        stalled
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(10), read_all(&mut stalled))
            .await
            .expect("closed by the server");
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(!answer.contains("200"), "{answer:?}");
    }

    #[test]
    fn the_body_timeout_is_recognised_through_wrapping_errors() {
        use http_body_util::BodyExt as _;
        let timed_out = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(async {
                TimeoutBody::new(Duration::from_secs(1), Silent)
                    .collect()
                    .await
                    .expect_err("times out")
            });
        assert!(is_body_timeout(timed_out.as_ref()));
        let wrapped = io::Error::other(timed_out);
        assert!(is_body_timeout(&wrapped));
        assert!(!is_body_timeout(&io::Error::other("reset")));
    }

    /// A request body whose client went silent.
    struct Silent;

    impl http_body::Body for Silent {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }

    #[tokio::test]
    async fn at_shutdown_a_half_sent_head_is_closed_within_a_second() {
        let (addr, shutdown) = ok_server(Limits::default()).await;
        let mut stalled = TcpStream::connect(addr).await.expect("connect");
        stalled
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        // Once the server holds it (a request on a second connection is
        // answered after the first was accepted), ask it to stop.
        let mut probe = TcpStream::connect(addr).await.expect("connect");
        probe
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        assert!(read_all(&mut probe).await.starts_with("HTTP/1.1 200"));
        let asked = std::time::Instant::now();
        shutdown.cancel();
        let answer = read_all(&mut stalled).await;
        assert!(answer.is_empty(), "{answer:?}");
        // Not the header timeout (10 s) nor the whole grace (5 s).
        assert!(
            asked.elapsed() < IDLE_GRACE * 3,
            "closed {:?} after shutdown",
            asked.elapsed()
        );
    }

    #[tokio::test]
    async fn at_shutdown_a_long_answer_in_progress_is_finished() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let started_tx = std::sync::Mutex::new(Some(started_tx));
        let (release, released) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let started_tx = Arc::new(started_tx);
            serve_http(listener, &Limits::default(), stop, move |_peer| {
                let started_tx = Arc::clone(&started_tx);
                let released = released.clone();
                hyper::service::service_fn(move |_request: Request<Body>| {
                    let started_tx = Arc::clone(&started_tx);
                    let mut released = released.clone();
                    async move {
                        // A body whose second half comes only after shutdown.
                        let (tx, rx) = tokio::sync::mpsc::channel::<
                            Result<http_body::Frame<bytes::Bytes>, std::convert::Infallible>,
                        >(1);
                        tokio::spawn(async move {
                            let _ = tx.send(Ok(http_body::Frame::data("first ".into()))).await;
                            if let Some(started) = started_tx.lock().expect("lock").take() {
                                let _ = started.send(());
                            }
                            let _ = released.wait_for(|go| *go).await;
                            let _ = tx.send(Ok(http_body::Frame::data("second".into()))).await;
                        });
                        Ok::<_, std::convert::Infallible>(Response::new(Frames(rx)))
                    }
                })
            })
            .await
        });
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        started.await.expect("the answer started");
        shutdown.cancel();
        // Not a synchronisation: time must pass the idle grace, to show it
        // does not apply while an answer is in progress.
        tokio::time::sleep(IDLE_GRACE * 2).await;
        release.send(true).expect("release");
        let answer = read_all(&mut conn).await;
        // Both halves, and the end of the chunked body: the answer is whole.
        assert!(answer.contains("first \r\n"), "{answer:?}");
        assert!(answer.ends_with("second\r\n0\r\n\r\n"), "{answer:?}");
    }

    /// A response body made of the frames sent on a channel.
    struct Frames(
        tokio::sync::mpsc::Receiver<
            Result<http_body::Frame<bytes::Bytes>, std::convert::Infallible>,
        >,
    );

    impl http_body::Body for Frames {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            self.0.poll_recv(cx)
        }
    }

    #[tokio::test]
    async fn a_whole_request_is_answered() {
        let (addr, _shutdown) = ok_server(Limits::default()).await;
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let answer = read_all(&mut conn).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("ok"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_head_larger_than_the_limit_is_refused() {
        let (addr, _shutdown) = ok_server(Limits::default()).await;
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        let huge = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD)
        );
        let _ = conn.write_all(huge.as_bytes()).await;
        let answer = read_all(&mut conn).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_connection_over_the_cap_gets_503() {
        let limits = Limits {
            max_connections: 1,
            ..Limits::default()
        };
        let (addr, _shutdown) = ok_server(limits).await;
        let mut first = TcpStream::connect(addr).await.expect("connect");
        // A keep-alive request: once answered, the server holds the place.
        first
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut head = [0u8; 12];
        first.read_exact(&mut head).await.expect("answered");
        assert_eq!(&head, b"HTTP/1.1 200");
        let mut second = TcpStream::connect(addr).await.expect("connect");
        let _ = second
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let answer = read_all(&mut second).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
        assert!(answer.contains("retry-after: 1"), "{answer:?}");
    }
}

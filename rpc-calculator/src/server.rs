//! The server: JSON-RPC over HTTP and WebSocket, and XML-RPC at `/RPC2`,
//! all on one port.
//!
//! One accept loop, one HTTP/1.1 connection per task (hyper), and in front of
//! every request a small router ([`Front`]):
//!
//! | request | goes to |
//! |---|---|
//! | `POST /RPC2` | XML-RPC ([`crate::xmlrpc`]) |
//! | `GET` with `Upgrade: websocket` (any other path) | jsonrpsee: the connection becomes a WebSocket carrying JSON-RPC |
//! | `POST` (any other path) | jsonrpsee: one JSON-RPC request or batch per HTTP request |
//!
//! Both protocols end in the same [`Procedures`].
//!
//! What protects the server from its clients:
//!
//! * **Body size.** A request body larger than `max_body` is refused with 413
//!   and the protocol's error. The rest of the body is read and thrown away
//!   (up to [`DRAIN_LIMIT`]) before answering, because a client that is still
//!   sending would otherwise get a connection reset instead of the answer.
//!   Memory use stays at `max_body` per request.
//! * **Time.** A client has `timeout` to send each request's headers (an idle
//!   keep-alive connection counts: it is closed after `timeout`), and
//!   `timeout` again for the body. A WebSocket that stops answering pings is
//!   closed after about twice `timeout`. So a slow or silent client holds a
//!   connection, never the server.
//! * **Connections.** At most `max_connections` WebSocket sessions and HTTP
//!   requests in progress; beyond that, 429.
//!
//! Shutdown: the [`CancellationToken`] stops the accept loop; open HTTP
//! connections finish their request and close; WebSocket sessions are closed
//! by jsonrpsee; `run` returns once all are done (or after 5 s).

use crate::api::CalculatorServer as _;
use crate::procedures::{Origin, Procedures, Protocol};
use crate::xmlrpc;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use jsonrpsee::Methods;
use jsonrpsee::server::{
    HttpBody, PingConfig, ServerConfig as RpcConfig, TowerService, stop_channel, ws,
};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service as _;
use tower::layer::util::Identity;
use tracing::{debug, info, warn};

/// How long open connections get to finish after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The most of a refused body the server reads (and discards) so that the
/// client can read the refusal; past this it closes the connection.
pub const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Default largest request body: 1 MiB (a call is about 60 bytes).
pub const DEFAULT_MAX_BODY: u32 = 1024 * 1024;

/// Default time a client has to send a request (headers, then body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default most WebSocket sessions and HTTP requests in progress at once.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10_000;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest request body (or WebSocket message) accepted, in bytes.
    pub max_body: u32,
    /// The time a client has to send a request's headers, and again its body.
    pub timeout: Duration,
    /// The most WebSocket sessions and HTTP requests in progress at once.
    pub max_connections: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

type JsonRpc = TowerService<Identity, Identity>;

/// Serve calls from `listener` until `shutdown` is cancelled, then wait (up
/// to 5 s) for open connections to finish.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    procedures: Procedures,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let methods: Methods = procedures.clone().into_rpc().into();
    let (stop_handle, server_handle) = stop_channel();
    let rpc_config = RpcConfig::builder()
        .max_request_body_size(config.max_body)
        .max_connections(config.max_connections)
        .enable_ws_ping(
            PingConfig::new()
                .ping_interval(config.timeout)
                .inactive_limit(config.timeout),
        )
        .build();
    let builder = jsonrpsee::server::Server::builder()
        .set_config(rpc_config)
        .to_service_builder();
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let front = Front {
                    jsonrpc: builder.clone().build(methods.clone(), stop_handle.clone()),
                    procedures: procedures.clone(),
                    config: config.clone(),
                    peer,
                    tracker: tracker.clone(),
                };
                tracker.spawn(serve_connection(stream, front, shutdown.clone()));
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
    // Tells jsonrpsee's WebSocket sessions to close. It fails only if they
    // were already told, which is what we want anyway.
    let _ = server_handle.stop();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        warn!("some connections did not close in time");
    }
    Ok(())
}

/// One TCP connection: HTTP/1.1 with keep-alive, possibly upgraded to a
/// WebSocket.
async fn serve_connection(stream: TcpStream, front: Front, shutdown: CancellationToken) {
    let peer = front.peer;
    debug!(%peer, "connected");
    // Request-reply traffic is small messages: send each at once.
    if let Err(e) = stream.set_nodelay(true) {
        debug!(%peer, error = %e, "cannot set TCP_NODELAY");
    }
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(front.config.timeout);
    let service = hyper::service::service_fn(move |request| front.clone().handle(request));
    let conn = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = shutdown.cancelled() => {
            // Finish the request in progress, then close.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    match served {
        Ok(()) => debug!(%peer, "disconnected"),
        Err(e) if e.is_timeout() => info!(%peer, "closed: no request within the timeout"),
        Err(e) => debug!(%peer, error = %e, "connection ended"),
    }
}

/// The per-connection router in front of both protocols.
#[derive(Clone)]
struct Front {
    jsonrpc: JsonRpc,
    procedures: Procedures,
    config: ServerConfig,
    peer: SocketAddr,
    tracker: TaskTracker,
}

impl Front {
    async fn handle(
        self,
        mut request: Request<Incoming>,
    ) -> Result<Response<HttpBody>, Infallible> {
        let is_xml = request.uri().path() == xmlrpc::PATH;
        let upgrade = !is_xml && ws::is_upgrade_request(&request);
        let protocol = match (is_xml, upgrade) {
            (true, _) => Protocol::XmlRpc,
            (false, true) => Protocol::WebSocket,
            (false, false) => Protocol::Http,
        };
        request.extensions_mut().insert(Origin {
            protocol,
            peer: self.peer,
        });
        Ok(match protocol {
            Protocol::XmlRpc => self.xml_rpc(request).await,
            Protocol::WebSocket => self.websocket(request).await,
            Protocol::Http => self.json_rpc(request).await,
        })
    }

    /// Hand the upgrade to jsonrpsee, and keep track of the session it
    /// starts so that shutdown waits for it.
    async fn websocket(self, request: Request<Incoming>) -> Response<HttpBody> {
        let mut jsonrpc = self.jsonrpc;
        let closed = jsonrpc.on_session_closed();
        self.tracker.spawn(closed);
        info!(peer = %self.peer, "websocket session");
        match jsonrpc.call(request).await {
            Ok(response) => response,
            Err(e) => internal_error(&e.to_string()),
        }
    }

    /// JSON-RPC over HTTP: read the body within the limits, then let
    /// jsonrpsee decode and dispatch it (single call or batch).
    async fn json_rpc(self, request: Request<Incoming>) -> Response<HttpBody> {
        if request.method() != Method::POST {
            // jsonrpsee answers 405; there is no body to read.
            return match self.jsonrpc.clone().call(request).await {
                Ok(response) => response,
                Err(e) => internal_error(&e.to_string()),
            };
        }
        let (parts, body) = request.into_parts();
        let bytes = match read_body(&parts.headers, body, &self.config).await {
            Ok(bytes) => bytes,
            Err(refusal) => {
                warn!(peer = %self.peer, "json-rpc request refused: {}", refusal.message(&self.config));
                return refusal.json_response(&self.config);
            }
        };
        let request = Request::from_parts(parts, Full::new(bytes.clone()));
        match self.jsonrpc.clone().call(request).await {
            Ok(response) => conform(response, &bytes).await,
            Err(e) => internal_error(&e.to_string()),
        }
    }

    /// XML-RPC: POST only; the body is one `<methodCall>`.
    async fn xml_rpc(self, request: Request<Incoming>) -> Response<HttpBody> {
        if request.method() != Method::POST {
            let mut response =
                Response::new(HttpBody::from("XML-RPC calls are POST requests to /RPC2\n"));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let origin = request.extensions().get::<Origin>().copied();
        let (parts, body) = request.into_parts();
        let (status, xml) = match read_body(&parts.headers, body, &self.config).await {
            Ok(bytes) => (
                StatusCode::OK,
                xmlrpc::respond(&bytes, &self.procedures, origin.as_ref()),
            ),
            Err(refusal) => {
                let message = refusal.message(&self.config);
                warn!(peer = %self.peer, "xml-rpc request refused: {message}");
                let fault = dxr::Fault::new(xmlrpc::fault::TRANSPORT_ERROR, message);
                (refusal.status(), xmlrpc::encode_fault(&fault))
            }
        };
        let mut response = Response::new(HttpBody::from(xml));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        response
    }
}

/// jsonrpsee's answer for a body it could not read as a request.
const PARSE_ERROR: &[u8] =
    br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#;

/// The specification's answer for valid JSON that is not a request object.
const INVALID_REQUEST: &[u8] =
    br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}"#;

/// Bring two of jsonrpsee's HTTP answers in line with the JSON-RPC 2.0
/// specification:
///
/// * a request made only of notifications gets no response: jsonrpsee
///   sends the body `null`; here it is `204 No Content` with no body;
/// * valid JSON that is not a request object (`{"method": 1}`) is -32600
///   Invalid Request; jsonrpsee says -32700 Parse error, which the
///   specification keeps for JSON that does not parse.
async fn conform(response: Response<HttpBody>, request: &[u8]) -> Response<HttpBody> {
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return internal_error(&e.to_string()),
    };
    if parts.status == StatusCode::OK && bytes.as_ref() == b"null" {
        parts.status = StatusCode::NO_CONTENT;
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, HttpBody::empty());
    }
    if bytes.as_ref() == PARSE_ERROR
        && serde_json::from_slice::<serde::de::IgnoredAny>(request).is_ok()
    {
        return Response::from_parts(
            parts,
            HttpBody::new(Full::new(Bytes::from_static(INVALID_REQUEST))),
        );
    }
    Response::from_parts(parts, HttpBody::new(Full::new(bytes)))
}

fn internal_error(why: &str) -> Response<HttpBody> {
    warn!(error = %why, "internal error");
    jsonrpsee::server::http::response::internal_error()
}

/// Why a request body was not accepted.
#[derive(Debug)]
enum Refusal {
    /// Larger than `max_body`.
    TooLarge,
    /// Not complete within `timeout`.
    TooSlow,
    /// The connection broke while reading it.
    Broken(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TooSlow => StatusCode::REQUEST_TIMEOUT,
            Refusal::Broken(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn message(&self, config: &ServerConfig) -> String {
        match self {
            Refusal::TooLarge => format!(
                "the request body is larger than the limit of {} bytes",
                config.max_body
            ),
            Refusal::TooSlow => format!(
                "the request body did not arrive within {} s",
                config.timeout.as_secs_f64()
            ),
            Refusal::Broken(e) => format!("the request body could not be read: {e}"),
        }
    }

    /// The refusal as a JSON-RPC error response (id null: the request was
    /// never read, so its id is unknown).
    fn json_response(&self, config: &ServerConfig) -> Response<HttpBody> {
        if let Refusal::TooLarge = self {
            // jsonrpsee's own answer, the same as over a WebSocket:
            // code -32007, "Request is too big".
            return jsonrpsee::server::http::response::too_large(config.max_body);
        }
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "error": { "code": -32000, "message": self.message(config) },
            "id": null,
        });
        let mut response = Response::new(HttpBody::from(body.to_string()));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// Read a whole request body of at most `max_body` bytes within `timeout`.
async fn read_body(
    headers: &http::HeaderMap,
    mut body: Incoming,
    config: &ServerConfig,
) -> Result<Bytes, Refusal> {
    let deadline = Instant::now() + config.timeout;
    let limit = config.max_body as usize;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        // A client that asked `Expect: 100-continue` has not sent the body
        // and will not until told to: refuse at once. Any other is sending.
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !waits {
            drain(body, deadline).await;
        }
        return Err(Refusal::TooLarge);
    }
    let capacity = declared.map_or(0, |len| len as usize).min(16 * 1024);
    let mut buf = BytesMut::with_capacity(capacity);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(Refusal::TooSlow),
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Err(e))) => return Err(Refusal::Broken(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                drain(body, deadline).await;
                return Err(Refusal::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
}

/// Read and discard the rest of a refused body (at most [`DRAIN_LIMIT`]
/// bytes, until `deadline`), so that the client, still sending, can read the
/// refusal instead of a reset connection.
async fn drain(mut body: Incoming, deadline: Instant) {
    let mut drained = 0usize;
    while drained < DRAIN_LIMIT {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                drained += frame.data_ref().map_or(0, |d| d.len());
            }
            _ => return,
        }
    }
}

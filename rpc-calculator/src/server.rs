//! The server: JSON-RPC over HTTP and WebSocket, and XML-RPC at `/RPC2`,
//! all on one port.
//!
//! Connections are accepted and kept by [`common::serve::http::serve_http`],
//! the workspace's one HTTP serve path; in front of every request is a small
//! router ([`Front`]):
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
//! * **Connections and time** ([`Limits`], from `common::serve`): at most
//!   `max_connections` connections, WebSockets included (one more gets 503
//!   with `Retry-After`); `header_timeout` to send each request's headers
//!   (an idle keep-alive connection counts: it is closed after it);
//!   `timeout` between two pieces of a request body (408 and the protocol's
//!   error after it), and as the WebSocket ping interval and inactivity
//!   limit. So a slow or silent client holds one connection, never the
//!   server.
//! * **Body size.** A request body larger than `max_body` is refused with 413
//!   and the protocol's error. The rest of the body is read and thrown away
//!   (up to [`DRAIN_LIMIT`], for at most `timeout`) before answering, because
//!   a client that is still sending would otherwise get a connection reset
//!   instead of the answer. Memory use stays at `max_body` per request, and
//!   grows only as the bytes arrive.
//! * **Text from clients** (a method name) reaches the transcript only
//!   through [`common::escape`].
//!
//! Shutdown: the [`CancellationToken`] stops accepting; open HTTP connections
//! finish their request and close; jsonrpsee closes the WebSocket sessions;
//! `run` returns once all are done, or after [`common::serve::SHUTDOWN_GRACE`].

use crate::api::CalculatorServer as _;
use crate::procedures::{Origin, Procedures, Protocol};
use crate::xmlrpc;
use bytes::{Bytes, BytesMut};
use common::serve::http::{Body, serve_http};
use common::serve::{Limits, Sessions};
use futures::future::Either;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use jsonrpsee::MethodResponse;
use jsonrpsee::Methods;
use jsonrpsee::core::middleware::{BatchEntry, BatchEntryErr};
use jsonrpsee::server::middleware::rpc::{Batch, Notification, RpcServiceBuilder, RpcServiceT};
use jsonrpsee::server::{
    HttpBody, PingConfig, ServerConfig as RpcConfig, TowerService, stop_channel, ws,
};
use jsonrpsee::types::{ErrorCode, ErrorObjectOwned, Request as RpcRequest};
use serde_json::value::RawValue;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Service as _;
use tower::layer::util::{Identity, Stack};
use tracing::{info, warn};

/// The most of a refused body the server reads (and discards) so that the
/// client can read the refusal; past this it closes the connection.
pub const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Default largest request body: 1 MiB (a call is about 60 bytes; with two
/// numbers at their longest, 100 digits written out in full, about 2 KB).
pub const DEFAULT_MAX_BODY: u32 = 1024 * 1024;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest request body (or WebSocket message) accepted, in bytes.
    pub max_body: u32,
    /// Connections, header and body timeouts: the workspace's limits.
    pub limits: Limits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
            limits: Limits::default(),
        }
    }
}

type JsonRpc = TowerService<Stack<RefuseExtraParams, Stack<TranscribeLayer, Identity>>, Identity>;

/// Serve calls from `listener` until `shutdown` is cancelled, then wait (at
/// most [`common::serve::SHUTDOWN_GRACE`]) for open connections and WebSocket sessions to
/// finish.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    procedures: Procedures,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let methods: Methods = procedures.clone().into_rpc().into();
    let (stop_handle, server_handle) = stop_channel();
    let timeout = config.limits.timeout;
    let rpc_config = RpcConfig::builder()
        .max_request_body_size(config.max_body)
        // The same cap as the connections': jsonrpsee counts WebSocket
        // sessions and HTTP requests in progress, at most one per connection,
        // so its 429 is only a backstop.
        .max_connections(u32::try_from(config.limits.max_connections).unwrap_or(u32::MAX))
        .enable_ws_ping(
            PingConfig::new()
                .ping_interval(timeout)
                .inactive_limit(timeout),
        )
        .build();
    let transcribe = TranscribeLayer {
        procedures: procedures.clone(),
        methods: methods.clone(),
    };
    let builder = jsonrpsee::server::Server::builder()
        .set_config(rpc_config)
        .set_rpc_middleware(
            RpcServiceBuilder::new()
                .layer(transcribe)
                .layer(RefuseExtraParams),
        )
        .to_service_builder();
    // jsonrpsee runs each WebSocket session in a task of its own, outside
    // the connection's: common's tracker stops watching a connection once
    // it is upgraded, so the sessions are tracked here.
    let sessions = Sessions::new();
    let limits = config.limits.clone();
    let tracked = sessions.clone();
    let serving = serve_http(listener, &limits, shutdown.clone(), move |peer| {
        let front = Front {
            jsonrpc: builder.clone().build(methods.clone(), stop_handle.clone()),
            procedures: procedures.clone(),
            config: config.clone(),
            peer,
            sessions: tracked.clone(),
        };
        hyper::service::service_fn(move |request| front.clone().handle(request))
    });
    // Both waits start when shutdown is asked, so together they take no
    // longer than the one grace period.
    let stopping = async {
        shutdown.cancelled().await;
        // Tells jsonrpsee's WebSocket sessions to close. It fails only if
        // they were already told, which is what we want anyway.
        let _ = server_handle.stop();
    };
    let (served, (), ()) = tokio::join!(serving, stopping, sessions.wait_after(&shutdown));
    served
}

/// The per-connection router in front of both protocols.
#[derive(Clone)]
struct Front {
    jsonrpc: JsonRpc,
    procedures: Procedures,
    config: ServerConfig,
    peer: SocketAddr,
    sessions: Sessions,
}

impl Front {
    async fn handle(self, mut request: Request<Body>) -> Result<Response<HttpBody>, Infallible> {
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
    async fn websocket(self, request: Request<Body>) -> Response<HttpBody> {
        let mut jsonrpc = self.jsonrpc;
        let closed = jsonrpc.on_session_closed();
        self.sessions.spawn(closed);
        info!(peer = %self.peer, "websocket session");
        match jsonrpc.call(request).await {
            Ok(response) => response,
            Err(e) => internal_error(&e.to_string()),
        }
    }

    /// JSON-RPC over HTTP: read the body within the limits, then let
    /// jsonrpsee decode and dispatch it (single call or batch).
    async fn json_rpc(self, request: Request<Body>) -> Response<HttpBody> {
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
    async fn xml_rpc(self, request: Request<Body>) -> Response<HttpBody> {
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
    /// Stalled: nothing more of it for `timeout`.
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
                "the rest of the request body did not arrive within {} s",
                config.limits.timeout.as_secs_f64()
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

/// Read a whole request body of at most `max_body` bytes. The body itself
/// fails if the client stays silent in the middle of it for `timeout`.
async fn read_body(
    headers: &http::HeaderMap,
    body: Body,
    config: &ServerConfig,
) -> Result<Bytes, Refusal> {
    let mut body = std::pin::pin!(body);
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
            drain(body, config.limits.timeout).await;
        }
        return Err(Refusal::TooLarge);
    }
    // No capacity from Content-Length: the buffer grows as bytes arrive,
    // not as much as a client announces.
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(refusal)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                drain(body.as_mut(), config.limits.timeout).await;
                return Err(Refusal::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// What a failed read of the body means: the client went silent (the
/// body's timeout), or the connection broke or the framing is wrong.
fn refusal(e: Box<dyn std::error::Error + Send + Sync>) -> Refusal {
    if common::serve::http::is_body_timeout(e.as_ref()) {
        Refusal::TooSlow
    } else {
        Refusal::Broken(e.to_string())
    }
}

/// Read and discard the rest of a refused body (at most [`DRAIN_LIMIT`]
/// bytes, for at most `within`), so that the client, still sending, can read
/// the refusal instead of a reset connection.
async fn drain(mut body: Pin<&mut Body>, within: Duration) {
    let _ = tokio::time::timeout(within, async {
        let mut drained = 0usize;
        while drained < DRAIN_LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => drained += frame.data_ref().map_or(0, |d| d.len()),
                _ => return,
            }
        }
    })
    .await;
}

/// jsonrpsee middleware that puts calls to procedures that do not exist in
/// the transcript: the generated code answers them (-32601) without
/// reaching [`Procedures`], and they are worth seeing there, a client's
/// typo or a probe.
#[derive(Clone)]
struct TranscribeLayer {
    procedures: Procedures,
    methods: Methods,
}

impl<S> tower::Layer<S> for TranscribeLayer {
    type Service = Transcribe<S>;

    fn layer(&self, inner: S) -> Transcribe<S> {
        Transcribe {
            inner,
            procedures: self.procedures.clone(),
            methods: self.methods.clone(),
        }
    }
}

#[derive(Clone)]
struct Transcribe<S> {
    inner: S,
    procedures: Procedures,
    methods: Methods,
}

impl<S> Transcribe<S> {
    fn note(&self, method: &str, params: Option<&RawValue>, ext: &jsonrpsee::Extensions) {
        if self.methods.method(method).is_none() {
            let params = params.map(RawValue::get);
            self.procedures
                .unknown(ext.get::<Origin>(), method, arguments(params));
        }
    }
}

/// The arguments of a JSON-RPC call as sent, for the transcript: `1, 2` for
/// `[1, 2]`, an object as it is.
fn arguments(params: Option<&str>) -> &str {
    match params.map(str::trim) {
        Some(list) if list.starts_with('[') && list.ends_with(']') => &list[1..list.len() - 1],
        Some(other) => other,
        None => "",
    }
}

impl<S> RpcServiceT for Transcribe<S>
where
    S: RpcServiceT + Send + Sync + Clone + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: RpcRequest<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        self.note(
            &request.method,
            request.params.as_deref(),
            &request.extensions,
        );
        self.inner.call(request)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        for entry in batch.iter().flatten() {
            let params = entry.params().map(|p| &**p);
            self.note(entry.method_name(), params, entry.extensions());
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.note(&n.method, n.params.as_deref(), &n.extensions);
        self.inner.notification(n)
    }
}

/// jsonrpsee middleware that refuses a call whose params hold more than the
/// two numbers every procedure takes (-32602, naming the extra ones): the
/// generated decoding reads `a` and `b` and would silently ignore the rest,
/// so `add(1, 2, 3)` would answer 3.
#[derive(Clone)]
struct RefuseExtraParams;

impl<S> tower::Layer<S> for RefuseExtraParams {
    type Service = ExtraParamsRefused<S>;

    fn layer(&self, inner: S) -> ExtraParamsRefused<S> {
        ExtraParamsRefused { inner }
    }
}

#[derive(Clone)]
struct ExtraParamsRefused<S> {
    inner: S,
}

/// The error for a call to `method` with `params`, if they hold extra ones.
fn extra_params(method: &str, params: Option<&RawValue>) -> Option<ErrorObjectOwned> {
    let why = crate::api::extra_params(method, params?.get())?;
    let code = ErrorCode::InvalidParams;
    // Shaped like jsonrpsee's own refusals of params: the fixed message,
    // the reason in `data`.
    Some(ErrorObjectOwned::owned(
        code.code(),
        code.message(),
        Some(why),
    ))
}

impl<S> RpcServiceT for ExtraParamsRefused<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            NotificationResponse = MethodResponse,
            BatchResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: RpcRequest<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        match extra_params(&request.method, request.params.as_deref()) {
            Some(error) => {
                Either::Left(std::future::ready(MethodResponse::error(request.id, error)))
            }
            None => Either::Right(self.inner.call(request)),
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        // jsonrpsee answers the calls of a batch without passing them through
        // `call`, so each entry is looked at here.
        let entries = batch
            .into_iter()
            .map(|entry| match entry {
                Ok(BatchEntry::Call(request)) => {
                    match extra_params(&request.method, request.params.as_deref()) {
                        Some(error) => Err(BatchEntryErr::new(request.id, error)),
                        None => Ok(BatchEntry::Call(request)),
                    }
                }
                other => other,
            })
            .collect();
        self.inner.batch(Batch::from(entries))
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        // Nothing is answered to a notification, so there is no one to tell.
        self.inner.notification(n)
    }
}

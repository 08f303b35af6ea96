//! The API as an axum [`Router`], and a local HTTP server that runs it.
//!
//! The same router serves `lambda-calc-server` on a TCP port and, built with
//! the `lambda` feature, runs inside AWS Lambda ([`crate::lambda`]): the
//! application does not know which transport carries its requests.
//!
//! On a TCP port the server meets its clients directly, hostile ones
//! included, so it runs on the workspace's one hardened HTTP path,
//! [`common::serve::http::serve_router`]: a header-read timeout (which also
//! closes idle keep-alive connections), a request-body timeout, a bounded
//! request head, a cap on connections (503 with `Retry-After` over it) and
//! the clean shutdown. On Lambda, API Gateway stands in front and those are
//! its job.

use crate::api::{self, ApiError, Reply};
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::escape::{Escaped, SHOWN};
use common::serve::Limits;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The API: `GET /api/{op}/{a}/{b}`, `GET /api/` (an index), and Chalice's
/// error shape for everything else.
pub fn app() -> Router {
    Router::new()
        .route(
            "/api/{op}/{a}/{b}",
            get(calculate).fallback(method_not_allowed),
        )
        .route("/api", get(index).fallback(method_not_allowed))
        .route("/api/", get(index).fallback(method_not_allowed))
        .fallback(no_such_resource)
}

async fn calculate(
    uri: OriginalUri,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Response {
    let reply = match path {
        Ok(Path((op, a, b))) => api::respond(&op, &a, &b),
        // The segments are percent-decoded; `%FF` is not UTF-8.
        Err(rejection) => ApiError::BadPath(rejection.body_text()).reply(),
    };
    log(&uri, &reply);
    json(reply)
}

async fn index() -> Response {
    json(Reply {
        status: 200,
        body: api::index_body(),
    })
}

async fn method_not_allowed(method: Method, uri: OriginalUri) -> Response {
    let reply = ApiError::MethodNotAllowed(method.to_string()).reply();
    log(&uri, &reply);
    let mut response = json(reply);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

async fn no_such_resource(uri: OriginalUri) -> Response {
    let reply = ApiError::NoSuchResource(uri.path().to_owned()).reply();
    log(&uri, &reply);
    json(reply)
}

fn log(uri: &OriginalUri, reply: &Reply) {
    // The path is the client's text and the body quotes it: escaped, so that
    // no byte of it can forge a log line or reach a terminal as a control
    // sequence, and cut short, so that a 100 KB path is not a 100 KB line.
    let path = Escaped::new(uri.path(), SHOWN);
    if reply.status == 200 {
        tracing::debug!(%path, "answered");
    } else {
        let body = Escaped::new(&reply.body, SHOWN);
        tracing::warn!(%path, status = reply.status, %body, "refused");
    }
}

fn json(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(api::CONTENT_TYPE),
        )],
        reply.body,
    )
        .into_response()
}

/// Serve [`app`] on `listener` with `limits` until `shutdown` is cancelled;
/// then stop accepting, let requests in flight finish (up to
/// [`common::serve::SHUTDOWN_GRACE`]), and return.
pub async fn run(
    listener: TcpListener,
    limits: &Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    common::serve::http::serve_router(listener, app(), limits, shutdown).await
}

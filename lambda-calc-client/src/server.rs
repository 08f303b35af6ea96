//! The API as an axum [`Router`], and a local HTTP server that runs it.
//!
//! The same router serves `lambda-calc-server` on a TCP port and, built with
//! the `lambda` feature, runs inside AWS Lambda ([`crate::lambda`]): the
//! application does not know which transport carries its requests.

use crate::api::{self, ApiError, Reply};
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long a stop waits for requests in flight before closing anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
    // Quoted and cut short: a 100 KB path must not become a 100 KB log line.
    let path = api::quote_at_most(uri.path(), 100);
    if reply.status == 200 {
        tracing::debug!(%path, "answered");
    } else {
        tracing::warn!(%path, status = reply.status, body = %reply.body, "refused");
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

/// Serve [`app`] on `listener` until `shutdown` is cancelled; then stop
/// accepting, let requests in flight finish (up to [`SHUTDOWN_GRACE`]), and
/// return.
pub async fn run(listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    let stop = shutdown.clone();
    let serve = axum::serve(listener, app()).with_graceful_shutdown(stop.cancelled_owned());
    tokio::select! {
        served = serve => served,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("some requests did not finish in time");
            Ok(())
        }
    }
}

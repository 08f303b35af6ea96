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

/// The API: `GET /api/{op}/{a}/{b}`, `GET /api/` (an index), and API
/// Gateway's 403 "Missing Authentication Token" for every other method and
/// path, as the course's deployed API answers them.
pub fn app() -> Router {
    Router::new()
        .route(
            "/api/{op}/{a}/{b}",
            get(calculate).head(no_route).fallback(no_route),
        )
        .route("/api", get(index).head(no_route).fallback(no_route))
        .route("/api/", get(index).head(no_route).fallback(no_route))
        .fallback(no_route)
}

async fn calculate(
    uri: OriginalUri,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Response {
    let result = match path {
        Ok(Path((op, a, b))) => api::calculate(&op, &a, &b),
        // The segments are percent-decoded; `%FF` is not UTF-8.
        Err(rejection) => Err(ApiError::BadPath(rejection.body_text())),
    };
    match result {
        Ok((op, result)) => {
            tracing::debug!(path = %Escaped::new(uri.path(), SHOWN), "answered");
            json(api::result_reply(op, &result))
        }
        Err(e) => refuse(&uri, &e),
    }
}

async fn index() -> Response {
    json(Reply {
        status: 200,
        body: api::index_body(),
    })
}

/// Any method and path the API has no route for: what API Gateway answers,
/// a 403 with its `x-amzn-ErrorType` (the Lambda function is not even
/// invoked there).
async fn no_route(method: Method, uri: OriginalUri) -> Response {
    let reason = if method == Method::GET {
        format!("no resource at {}", api::quote(uri.path()))
    } else {
        format!(
            "the method {} (only GET is routed)",
            api::quote(method.as_str())
        )
    };
    refuse(&uri, &ApiError::NoRoute(reason))
}

/// The reply to a refused request, logged on one line with its path and
/// the reason.
fn refuse(uri: &OriginalUri, error: &ApiError) -> Response {
    // The path is the client's text and the reason quotes it: escaped, so
    // that no byte of it can forge a log line or reach a terminal as a
    // control sequence, and cut short, so that a 100 KB path is not a
    // 100 KB line.
    let path = Escaped::new(uri.path(), SHOWN);
    let reason = error.to_string();
    let reason = Escaped::new(&reason, SHOWN);
    let reply = error.reply();
    tracing::warn!(%path, status = reply.status, %reason, "refused");
    let mut response = json(reply);
    if matches!(error, ApiError::NoRoute(_)) {
        let (name, value) = api::MISSING_TOKEN_ERROR_TYPE;
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
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

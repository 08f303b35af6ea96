//! The same router as an AWS Lambda function (feature `lambda`).
//!
//! On Lambda there is no port to listen on. API Gateway turns each HTTP
//! request into a JSON *event* and invokes the function with it; the
//! function's runtime fetches events from the Lambda Runtime API
//! (`AWS_LAMBDA_RUNTIME_API`), and posts back a JSON *response* that API
//! Gateway turns into the HTTP reply. `lambda_http` does both translations:
//! it turns the event into an `http::Request` that the axum [`Router`]
//! handles as usual, and the `http::Response` into the reply event.
//!
//! One thing differs between the two worlds: the path. A REST API is
//! deployed in a *stage* (`api` in the course's deployment), which is the
//! first segment of its public URL, `/api/mult/8/5`; the event says `path:
//! "/mult/8/5"` and `stage: "api"`, and `lambda_http` puts the stage back in
//! front. An HTTP API's `$default` stage has no segment at all. [`api_path`]
//! maps every one of these to the router's `/api/...`, so the function
//! answers at the stage's root whatever the stage is called.
//!
//! [`Router`]: axum::Router

use crate::api::MOUNT;
use crate::server::app;
use lambda_http::http::Uri;
use lambda_http::http::uri::PathAndQuery;
use lambda_http::request::RequestContext;
use lambda_http::tower::ServiceBuilder;
use lambda_http::{Request, RequestExt};

/// The variables the Lambda service sets for every function; the runtime
/// refuses to start without them.
pub const REQUIRED_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// True if this process was started by Lambda (or by an emulator of its
/// Runtime API, such as `cargo lambda watch` or the tests).
pub fn on_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Why the function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// A variable the Lambda service always sets is missing.
    #[error("{0} is not set: this does not look like AWS Lambda or an emulator of it")]
    MissingEnv(&'static str),
    /// The runtime stopped with an error.
    #[error("the Lambda runtime stopped: {0}")]
    Runtime(String),
}

/// Run [`app`] as a Lambda function: fetch events from the Runtime API,
/// answer them, forever (Lambda freezes or ends the process).
pub async fn run() -> Result<(), LambdaError> {
    for name in REQUIRED_ENV {
        if std::env::var_os(name).is_none() {
            return Err(LambdaError::MissingEnv(name));
        }
    }
    let handler = ServiceBuilder::new()
        .map_request(to_api_path)
        .service(app());
    lambda_http::run(handler)
        .await
        .map_err(|e| LambdaError::Runtime(e.to_string()))
}

/// Rewrite the request's path to the router's `/api/...` (see [`api_path`]).
pub fn to_api_path(mut request: Request) -> Request {
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let path = api_path(request.uri().path(), stage.as_deref());
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(pq) = path_and_query.parse::<PathAndQuery>() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The router's path for a request that API Gateway delivered with `path`
/// in stage `stage`.
///
/// ```
/// use lambda_calc_client::lambda::api_path;
/// // REST API, stage `api` (lambda_http puts the stage in front):
/// assert_eq!(api_path("/api/mult/8/5", Some("api")), "/api/mult/8/5");
/// // REST API, another stage name:
/// assert_eq!(api_path("/prod/mult/8/5", Some("prod")), "/api/mult/8/5");
/// // HTTP API, `$default` stage, with and without `/api`:
/// assert_eq!(api_path("/mult/8/5", Some("$default")), "/api/mult/8/5");
/// assert_eq!(api_path("/api/mult/8/5", Some("$default")), "/api/mult/8/5");
/// ```
pub fn api_path(path: &str, stage: Option<&str>) -> String {
    let resource = match stage {
        Some(stage) if !stage.is_empty() && stage != "$default" => strip_segment(path, stage),
        _ => path,
    };
    let resource = if resource.is_empty() { "/" } else { resource };
    if resource == MOUNT || resource.starts_with(&format!("{MOUNT}/")) {
        resource.to_owned()
    } else {
        format!("{MOUNT}{resource}")
    }
}

/// `path` without a first segment equal to `segment`.
fn strip_segment<'a>(path: &'a str, segment: &str) -> &'a str {
    match path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(segment))
    {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_segment_is_replaced_by_the_mount() {
        assert_eq!(api_path("/api/div/8/5", Some("api")), "/api/div/8/5");
        assert_eq!(api_path("/dev/div/8/5", Some("dev")), "/api/div/8/5");
        assert_eq!(api_path("/dev", Some("dev")), "/api/");
        assert_eq!(api_path("/dev/", Some("dev")), "/api/");
    }

    #[test]
    fn a_segment_that_only_starts_like_the_stage_stays() {
        assert_eq!(api_path("/apix/div/8/5", Some("api")), "/api/apix/div/8/5");
        assert_eq!(api_path("/develop/1/2", Some("dev")), "/api/develop/1/2");
    }

    #[test]
    fn no_stage_or_default_stage_keeps_the_path() {
        assert_eq!(api_path("/soma/1/2", None), "/api/soma/1/2");
        assert_eq!(api_path("/", Some("$default")), "/api/");
        assert_eq!(api_path("/api", Some("$default")), "/api");
    }
}

//! The server binary as an AWS Lambda function, without AWS.
//!
//! Lambda runs a function by letting it poll the Lambda Runtime API: `GET
//! /2018-06-01/runtime/invocation/next` hands out the next event (here an
//! API Gateway proxy event), and the function posts its answer to
//! `/2018-06-01/runtime/invocation/{id}/response`. This test plays the
//! Runtime API on a loopback port, starts the real `lambda-calc-server`
//! with `AWS_LAMBDA_RUNTIME_API` pointing at it (as Lambda would), feeds it
//! the REST (v1) and HTTP (v2) events kept in `tests/events/`, and checks
//! the responses API Gateway would turn into HTTP replies.
//!
//! Needs the `lambda` feature: `cargo test -p lambda-calc-client --features
//! lambda` (CI runs it; see the README).

mod support;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use common::testing::{Program, timeout};
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// What the function posted back for one event.
#[derive(Debug)]
enum Posted {
    Response(String, Value),
    InvocationError(String, String),
    InitError(String),
}

#[derive(Clone)]
struct RuntimeApi {
    events: Arc<Mutex<VecDeque<(String, String)>>>,
    posted: mpsc::Sender<Posted>,
}

/// A Lambda Runtime API on a free loopback port, with `events` queued as
/// `(request id, event JSON)`. When the queue is empty, `next` never
/// answers: Lambda would freeze the function there.
fn start_runtime_api(events: Vec<(String, String)>) -> (SocketAddr, mpsc::Receiver<Posted>) {
    let (tx, rx) = mpsc::channel();
    let state = RuntimeApi {
        events: Arc::new(Mutex::new(events.into())),
        posted: tx,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(state);
    let (addr_tx, addr_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            addr_tx
                .send(listener.local_addr().expect("addr"))
                .expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = addr_rx
        .recv_timeout(timeout())
        .expect("the runtime API starts");
    (addr, rx)
}

async fn next(State(api): State<RuntimeApi>) -> (HeaderMap, String) {
    let event = api.events.lock().expect("lock").pop_front();
    let Some((id, body)) = event else {
        return std::future::pending().await;
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        + 60_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("a header value"));
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:sa-east-1:007901780548:function:calc".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-66300000-0123456789abcdef01234567;Sampled=0".into(),
    );
    (headers, body)
}

async fn response(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = api.posted.send(Posted::Response(id, json));
    StatusCode::ACCEPTED
}

async fn error(State(api): State<RuntimeApi>, Path(id): Path<String>, body: String) -> StatusCode {
    let _ = api.posted.send(Posted::InvocationError(id, body));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<RuntimeApi>, body: String) -> StatusCode {
    let _ = api.posted.send(Posted::InitError(body));
    StatusCode::ACCEPTED
}

/// The events kept in `tests/events/`.
fn event(name: &str) -> String {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Start the function as Lambda would, against a runtime API at `addr`,
/// with the extra environment `env`.
fn start_function(addr: SocketAddr, env: &[(&str, &str)]) -> Program {
    support::server().spawn_with(&[], |cmd| {
        cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "calc")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/calc")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2024/04/25/[$LATEST]0123")
            .env_remove("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH")
            .envs(env.iter().copied());
    })
}

/// What API Gateway would reply over HTTP: status, content type, body.
struct GatewayReply {
    status: u64,
    content_type: String,
    body: String,
}

/// Feed `names` to a fresh function, in order, and collect its responses.
fn invoke(names: &[&str]) -> Vec<GatewayReply> {
    invoke_with(names, &[])
}

/// [`invoke`], with extra environment for the function.
fn invoke_with(names: &[&str], env: &[(&str, &str)]) -> Vec<GatewayReply> {
    let events = names
        .iter()
        .map(|name| ((*name).to_owned(), event(name)))
        .collect();
    invoke_events(events, env)
}

/// Feed `(name, event JSON)` pairs to a fresh function, in order, and
/// collect its responses.
fn invoke_events(events: Vec<(String, String)>, env: &[(&str, &str)]) -> Vec<GatewayReply> {
    let names: Vec<String> = events.iter().map(|(name, _)| name.clone()).collect();
    let events = events
        .into_iter()
        .map(|(name, body)| (format!("id-{name}"), body))
        .collect();
    let (addr, posted) = start_runtime_api(events);
    let function = start_function(addr, env);
    let mut replies = Vec::new();
    for name in &names {
        let answer = posted.recv_timeout(timeout()).unwrap_or_else(|_| {
            panic!(
                "no answer to {name} in time; the function said:\n{}",
                function.stderr()
            )
        });
        let (id, json) = match answer {
            Posted::Response(id, json) => (id, json),
            Posted::InvocationError(id, body) => {
                panic!("{name} ({id}): the function reported an error: {body}")
            }
            Posted::InitError(body) => panic!("the function failed to start: {body}"),
        };
        assert_eq!(id, format!("id-{name}"), "answers come in order");
        replies.push(GatewayReply {
            status: json["statusCode"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: {json}")),
            content_type: content_type(&json),
            body: json["body"].as_str().unwrap_or_default().to_owned(),
        });
        assert_eq!(
            json["isBase64Encoded"],
            Value::Bool(false),
            "{name}: {json}"
        );
    }
    replies
}

/// The content type of a response event: in `headers` (HTTP API, v2) or in
/// `multiValueHeaders` (REST API, v1); names in any case.
fn content_type(json: &Value) -> String {
    let find = |field: &str| {
        json[field]
            .as_object()
            .and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            })
            .map(|(_, v)| v.clone())
    };
    match (find("headers"), find("multiValueHeaders")) {
        (Some(Value::String(single)), _) => single,
        (_, Some(Value::Array(many))) => many
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

fn body_json(reply: &GatewayReply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {:?}", reply.body))
}

#[test]
fn a_rest_api_event_in_stage_api_gets_the_slides_answer() {
    let [reply] = <[_; 1]>::try_from(invoke(&["rest-v1-chalice-mult.json"]))
        .ok()
        .expect("one");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(reply.body, r#"{"A multiplicação": 40}"#);
}

/// A REST API (v1) event for `GET /api/{op}/{a}/{b}` in stage `api`, made
/// from the one kept in `tests/events/`.
fn rest_event(op: &str, a: &str, b: &str) -> String {
    let mut event: Value = serde_json::from_str(&event("rest-v1-chalice-mult.json")).expect("JSON");
    event["path"] = Value::from(format!("/{op}/{a}/{b}"));
    event["pathParameters"] = serde_json::json!({"op": op, "a": a, "b": b});
    event["requestContext"]["path"] = Value::from(format!("/api/{op}/{a}/{b}"));
    event.to_string()
}

#[test]
fn rest_api_events_get_the_course_apis_table() {
    // Issue 13's table: the deployed API's bodies for /{op}/4/5.
    let table = [
        ("soma", r#"{"A soma: ": 9}"#),
        ("sub", r#"{"A subtração:": -1}"#),
        ("mult", r#"{"A multiplicação": 20}"#),
        ("div", r#"{"A Divisão": 0.8}"#),
    ];
    let events = table
        .iter()
        .map(|(op, _)| (format!("{op}-4-5"), rest_event(op, "4", "5")))
        .collect();
    let replies = invoke_events(events, &[]);
    for (reply, (op, body)) in replies.iter().zip(table) {
        assert_eq!((reply.status, reply.body.as_str()), (200, body), "{op} 4 5");
    }
}

#[test]
fn rest_api_events_get_issue_13s_listed_cases_exactly() {
    // The same bodies as the local server's (tests/numbers.rs): every digit.
    let table = [
        (
            "soma",
            "10",
            "1e-28",
            r#"{"A soma: ": 10.0000000000000000000000000001}"#,
        ),
        (
            "sub",
            "1e20",
            "1e-20",
            r#"{"A subtração:": 99999999999999999999.99999999999999999999}"#,
        ),
        ("div", "1e-28", "1e28", r#"{"A Divisão": 1e-56}"#),
        (
            "div",
            "1e-28",
            "3",
            r#"{"A Divisão": 3.333333333333333333333333333333333e-29}"#,
        ),
        ("mult", "1.5", "1e-28", r#"{"A multiplicação": 1.5e-28}"#),
        ("mult", "1e308", "1", r#"{"A multiplicação": 1e+308}"#),
        (
            "soma",
            "1e+28",
            "0.1",
            r#"{"A soma: ": 10000000000000000000000000000.1}"#,
        ),
    ];
    let events = table
        .iter()
        .map(|(op, a, b, _)| (format!("{op}-{a}-{b}"), rest_event(op, a, b)))
        .collect();
    let replies = invoke_events(events, &[]);
    for (reply, (op, a, b, body)) in replies.iter().zip(table) {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, body),
            "{op} {a} {b}"
        );
    }
}

#[test]
fn a_value_beyond_the_bounds_is_a_400_naming_the_bound() {
    let replies = invoke_events(
        vec![("soma-1e1000".into(), rest_event("soma", "1", "1e1000"))],
        &[],
    );
    assert_eq!(replies[0].status, 400, "{}", replies[0].body);
    assert_eq!(
        body_json(&replies[0]),
        serde_json::json!({
            "Code": "BadRequestError",
            "Message": "value b: \"1e1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"
        })
    );
}

#[test]
fn rest_api_refusals_of_values_keep_their_400_and_chalice_shape() {
    let replies = invoke(&["rest-v1-div-by-zero.json", "rest-v1-not-a-number.json"]);
    let expected = [
        (400, "division by zero"),
        (400, "value a: \"abc\" is not a number"),
    ];
    for (reply, (status, message)) in replies.iter().zip(expected) {
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(
            body_json(reply),
            serde_json::json!({"Code": "BadRequestError", "Message": message})
        );
    }
}

#[test]
fn an_unknown_operation_or_method_is_api_gateways_403() {
    let replies = invoke(&["rest-v1-unknown-operation.json", "rest-v1-post.json"]);
    for reply in &replies {
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, r#"{"message":"Missing Authentication Token"}"#)
        );
    }
}

#[test]
fn any_stage_name_works() {
    let [reply] = <[_; 1]>::try_from(invoke(&["rest-v1-stage-prod.json"]))
        .ok()
        .expect("one");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, r#"{"A soma: ": 13}"#);
}

#[test]
fn http_api_events_work_in_the_default_stage_and_in_a_named_one() {
    let replies = invoke(&["http-v2-default-stage.json", "http-v2-stage-api.json"]);
    assert_eq!(replies[0].status, 200, "{}", replies[0].body);
    assert_eq!(replies[0].body, r#"{"A subtração:": 3}"#);
    assert_eq!(replies[1].status, 200, "{}", replies[1].body);
    assert_eq!(replies[1].body, r#"{"A Divisão": 1.6}"#);
}

#[test]
fn the_stage_is_handled_when_lambda_http_leaves_it_out_of_the_path() {
    // `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` makes lambda_http pass the
    // path without the stage; the function must answer the same.
    let names = ["rest-v1-chalice-mult.json", "http-v2-stage-api.json"];
    let replies = invoke_with(&names, &[("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")]);
    assert_eq!(replies[0].body, r#"{"A multiplicação": 40}"#);
    assert_eq!(replies[1].body, r#"{"A Divisão": 1.6}"#);
}

#[test]
fn one_warm_function_answers_many_events() {
    let names = [
        "rest-v1-chalice-mult.json",
        "http-v2-default-stage.json",
        "rest-v1-div-by-zero.json",
        "rest-v1-chalice-mult.json",
    ];
    let statuses: Vec<u64> = invoke(&names).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 400, 200]);
}

#[test]
fn without_lambdas_variables_it_says_so_instead_of_panicking() {
    let done = support::server()
        .spawn_with(&[], |cmd| {
            cmd.env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
                .env_remove("AWS_LAMBDA_FUNCTION_NAME");
        })
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stderr.contains("error: ") && done.stderr.contains("AWS_LAMBDA_FUNCTION_NAME"),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
}

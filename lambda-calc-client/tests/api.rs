//! The contract, against the real server: `GET /api/{op}/{a}/{b}`.

mod support;

use common::number::Number;
use support::{CalcReply as _, get, request, start_server};

fn number(text: &str) -> Number {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a number: {e}"))
}

/// Issue 13's table: what the course's deployed API answers to
/// `/api/{op}/4/5`, keys exactly as its Postman screenshots show them.
const COURSE_TABLE: [(&str, &str, &str); 4] = [
    ("soma", "A soma: ", "9"),
    ("sub", "A subtração:", "-1"),
    ("mult", "A multiplicação", "20"),
    ("div", "A Divisão", "0.8"),
];

#[test]
fn each_operation_answers_200_with_the_course_apis_key() {
    let server = start_server();
    for (op, key, value) in COURSE_TABLE {
        let reply = get(&server, &format!("/api/{op}/4/5"));
        assert_eq!(reply.status, 200, "{op}: {:?}", reply.body);
        let json = reply.json();
        let members = json.as_object().expect("a JSON object");
        assert_eq!(members.len(), 1, "{op}: {:?}", reply.body);
        let (name, number_sent) = members.iter().next().expect("one member");
        assert_eq!(name, key, "{op}: {:?}", reply.body);
        let sent = number_sent.to_string();
        assert_eq!(number(&sent), number(value), "{op} 4 5: {sent}");
    }
}

#[test]
fn the_slides_example_is_byte_for_byte() {
    let server = start_server();
    let reply = get(&server, "/api/mult/8/5");
    assert_eq!(reply.body, r#"{"A multiplicação": 40}"#);
}

#[test]
fn replies_are_json() {
    let server = start_server();
    for path in ["/api/mult/4/5", "/api/div/4/0", "/api/pow/4/5"] {
        let reply = get(&server, path);
        let content_type = reply.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type:?}"
        );
        reply.json();
    }
}

#[test]
fn integers_stay_integers() {
    let server = start_server();
    for (path, expected) in [
        ("/api/div/8/4", "2"),
        ("/api/mult/1.5/2", "3"),
        ("/api/soma/0.5/0.5", "1"),
        ("/api/sub/-3/2", "-5"),
    ] {
        let value = get(&server, path).result().value;
        assert_eq!(value, expected, "{path}");
    }
}

#[test]
fn decimals_are_accepted_and_computed_exactly() {
    let server = start_server();
    for (path, expected) in [
        ("/api/soma/0.1/0.2", "0.3"),
        ("/api/div/4/5", "0.8"),
        ("/api/mult/.5/1e3", "500"),
        ("/api/sub/1.10/0.01", "1.09"),
        // Beyond a double's 15-17 digits: exact, not 9.9999999998e21.
        (
            "/api/mult/99999999999/99999999999",
            "9999999999800000000001",
        ),
    ] {
        let value = get(&server, path).result().value;
        assert_eq!(number(&value), number(expected), "{path}: {value}");
        assert_eq!(value, expected, "{path}: written as the exact decimal");
    }
}

#[test]
fn division_by_zero_is_a_400_that_says_so() {
    let server = start_server();
    let reply = get(&server, "/api/div/8/0");
    assert_eq!(reply.status, 400);
    let (code, message) = reply.chalice_error();
    assert_eq!(code, "BadRequestError");
    assert!(message.contains("division by zero"), "{message}");
}

#[test]
fn a_value_that_is_not_a_number_is_a_400_that_says_which() {
    let server = start_server();
    let reply = get(&server, "/api/soma/abc/1");
    assert_eq!(reply.status, 400);
    let (code, message) = reply.chalice_error();
    assert_eq!(code, "BadRequestError");
    assert!(message.contains("abc"), "{message}");
    assert!(message.contains("not a number"), "{message}");
    let (_, first) = get(&server, "/api/soma/x/1").chalice_error();
    let (_, second) = get(&server, "/api/soma/1/x").chalice_error();
    assert_ne!(first, second, "the message says which value is wrong");
}

/// API Gateway's answer to a request no route takes.
const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;

#[test]
fn an_unknown_operation_is_api_gateways_403() {
    let server = start_server();
    for path in ["/api/pow/2/3", "/api/MULT/2/3", "/api/pow/x/y"] {
        let reply = get(&server, path);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, MISSING_TOKEN),
            "{path}"
        );
    }
}

#[test]
fn other_paths_are_api_gateways_403() {
    let server = start_server();
    for path in [
        "/",
        "/api/mult/4",
        "/api/mult/4/5/6",
        "/mult/4/5",
        "/prod/mult/4/5",
    ] {
        let reply = get(&server, path);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, MISSING_TOKEN),
            "{path}"
        );
    }
}

#[test]
fn a_method_other_than_get_is_api_gateways_403() {
    let server = start_server();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let reply = request(server.socket_addr(), method, "/api/mult/4/5");
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, MISSING_TOKEN),
            "{method}"
        );
    }
    let reply = request(server.socket_addr(), "HEAD", "/api/mult/4/5");
    assert_eq!(reply.status, 403, "HEAD");
}

#[test]
fn the_403_carries_api_gateways_error_type() {
    let server = start_server();
    let reply = get(&server, "/api/pow/2/3");
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
}

#[test]
fn the_api_root_lists_the_operations() {
    let server = start_server();
    let json = get(&server, "/api/").json();
    assert_eq!(
        json["operations"],
        serde_json::json!(["soma", "sub", "div", "mult"])
    );
}

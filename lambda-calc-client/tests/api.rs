//! The contract, against the real server: `GET /api/{op}/{a}/{b}`.

mod support;

use common::number::Number;
use support::{CalcReply as _, get, request, start_server};

fn number(text: &str) -> Number {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a number: {e}"))
}

#[test]
fn each_operation_answers_200_with_one_member_named_for_it() {
    let server = start_server();
    for (op, key, value) in [
        ("soma", "A soma", "13"),
        ("sub", "A subtração", "3"),
        ("mult", "A multiplicação", "40"),
        ("div", "A divisão", "1.6"),
    ] {
        let reply = get(&server, &format!("/api/{op}/8/5"));
        assert_eq!(reply.status, 200, "{op}: {:?}", reply.body);
        let result = reply.result();
        assert_eq!(result.key, key);
        assert_eq!(number(&result.value), number(value), "{op} 8 5");
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

#[test]
fn an_unknown_operation_is_a_404_listing_the_valid_ones() {
    let server = start_server();
    for path in ["/api/pow/2/3", "/api/MULT/2/3", "/api/pow/x/y"] {
        let reply = get(&server, path);
        assert_eq!(reply.status, 404, "{path}");
        let (code, message) = reply.chalice_error();
        assert_eq!(code, "NotFoundError");
        for op in ["soma", "sub", "mult", "div"] {
            assert!(message.contains(op), "{path}: {message}");
        }
    }
}

#[test]
fn other_paths_are_404_in_the_same_shape() {
    let server = start_server();
    for path in ["/", "/api/mult/4", "/api/mult/4/5/6", "/mult/4/5"] {
        let reply = get(&server, path);
        assert_eq!(reply.status, 404, "{path}: {:?}", reply.body);
        assert_eq!(reply.chalice_error().0, "NotFoundError", "{path}");
    }
}

#[test]
fn only_get_is_allowed() {
    let server = start_server();
    for method in ["POST", "PUT", "DELETE"] {
        let reply = request(server.socket_addr(), method, "/api/mult/4/5");
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.chalice_error().0, "MethodNotAllowedError");
    }
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

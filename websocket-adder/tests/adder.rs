//! `/add`, the exercise: two numbers in, their sum out, over one WebSocket.
//! Every bad request gets an error on the same connection, which stays open.

mod support;

use futures_util::SinkExt as _;
use support::{
    RawWs, TEXT, ask, assert_still_adds, connect, expect_close, next_text, start_server,
};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Send `request`, expect an error reply, then check the same connection
/// still adds.
async fn assert_refused_and_still_open(request: Message) -> String {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    ws.send(request).await.expect("send the request");
    let reply = next_text(&mut ws).await;
    assert!(
        reply.starts_with("error: "),
        "expected an error reply, got {reply:?}"
    );
    assert_eq!(
        ask(&mut ws, "3 4").await,
        "7",
        "the connection must stay open after an error"
    );
    reply
}

#[tokio::test]
async fn the_three_separators_give_the_sum() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    for request in ["3 4", "3,4", "3;4", " 3 ; 4 "] {
        assert_eq!(ask(&mut ws, request).await, "7", "request {request:?}");
    }
}

#[tokio::test]
async fn a_json_request_gets_a_json_sum() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    let reply = ask(&mut ws, r#"{"a":3,"b":4}"#).await;
    let reply: serde_json::Value = serde_json::from_str(&reply).expect("the reply is JSON");
    assert_eq!(reply, serde_json::json!({"sum": 7}));
}

#[tokio::test]
async fn decimal_sums_are_exact() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    assert_eq!(ask(&mut ws, "0.1 0.2").await, "0.3");
    assert_eq!(ask(&mut ws, "1.5 1.5").await, "3", "integers stay integers");
    let reply = ask(&mut ws, r#"{"a":0.1,"b":0.2}"#).await;
    let reply: serde_json::Value = serde_json::from_str(&reply).expect("the reply is JSON");
    assert_eq!(reply["sum"].to_string(), "0.3");
}

#[tokio::test]
async fn huge_sums_keep_every_digit() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    assert_eq!(
        ask(&mut ws, "1e28 0.1").await,
        "10000000000000000000000000000.1"
    );
    assert_eq!(ask(&mut ws, "7e28 7e28").await, "1.4e+29");
}

#[tokio::test]
async fn a_number_beyond_the_bounds_gets_an_error_naming_the_bound() {
    let reply = assert_refused_and_still_open(Message::text("1e1000 1")).await;
    assert_eq!(
        reply,
        r#"error: "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
    );
}

#[tokio::test]
async fn letters_get_an_error_naming_them() {
    let reply = assert_refused_and_still_open(Message::text("abc")).await;
    assert!(reply.contains("abc"), "{reply}");
}

#[tokio::test]
async fn one_number_gets_an_error() {
    let reply = assert_refused_and_still_open(Message::text("3")).await;
    assert!(reply.contains("two numbers"), "{reply}");
}

#[tokio::test]
async fn three_numbers_get_an_error() {
    let reply = assert_refused_and_still_open(Message::text("1 2 3")).await;
    assert!(reply.contains("two numbers"), "{reply}");
}

#[tokio::test]
async fn nan_gets_an_error() {
    let reply = assert_refused_and_still_open(Message::text("NaN 1")).await;
    assert!(reply.contains("NaN"), "{reply}");
}

#[tokio::test]
async fn an_empty_message_gets_an_error() {
    assert_refused_and_still_open(Message::text("")).await;
}

#[tokio::test]
async fn a_message_too_long_for_an_addition_but_under_the_limit_gets_an_error() {
    // 60 KB: far more than an addition, less than the 64 KiB --max-message.
    let reply = assert_refused_and_still_open(Message::text("1".repeat(60_000))).await;
    assert!(reply.len() < 200, "the error should be short, not an echo");
}

#[tokio::test]
async fn a_binary_message_gets_an_error() {
    let reply = assert_refused_and_still_open(Message::binary(b"3 4".to_vec())).await;
    assert!(reply.contains("binary"), "{reply}");
}

#[tokio::test]
async fn a_json_mistake_gets_a_json_error() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/add").await;
    let reply = ask(&mut ws, r#"{"a":3}"#).await;
    let reply: serde_json::Value = serde_json::from_str(&reply).expect("the reply is JSON");
    assert!(reply["error"].is_string(), "{reply}");
    assert!(reply.get("sum").is_none(), "{reply}");
    assert_eq!(ask(&mut ws, r#"{"a":3,"b":4}"#).await, r#"{"sum":7}"#);
}

/// Send a text message of `size` bytes on its own connection to a server
/// started with `args`: it must be closed with 1009 and a bystander served.
async fn assert_closed_with_1009(args: &[&str], size: usize) {
    let mut server = start_server(args);
    let mut bystander = connect(&server, "/add").await;
    let mut big = connect(&server, "/add").await;
    // The server may close before it has read all of it.
    let _ = big.send(Message::text("9".repeat(size))).await;
    let close = expect_close(&mut big).await;
    assert_eq!(close.code, CloseCode::Size, "reason: {}", close.reason);
    assert_eq!(ask(&mut bystander, "1 1").await, "2");
    assert_still_adds(&mut server).await;
}

#[tokio::test]
async fn a_megabyte_message_closes_only_that_connection_with_1009() {
    assert_closed_with_1009(&[], 1 << 20).await;
}

#[tokio::test]
async fn max_message_sets_the_limit() {
    assert_closed_with_1009(&["--max-message", "4096"], 5000).await;
}

#[test]
fn text_that_is_not_utf8_closes_with_1007() {
    let server = start_server(&[]);
    let mut raw = RawWs::connect(&server, "/add");
    raw.send_frame(TEXT, b"3 \xff\xfe");
    let (code, reason) = raw.read_close();
    assert_eq!(code, 1007, "reason: {reason}");
}

#[test]
fn an_unmasked_client_frame_closes_with_1002() {
    let server = start_server(&[]);
    let mut raw = RawWs::connect(&server, "/add");
    // FIN + text, length 3, no mask bit: forbidden from a client (RFC 6455, 5.1).
    raw.send(b"\x81\x033 4");
    let (code, reason) = raw.read_close();
    assert_eq!(code, 1002, "reason: {reason}");
}

#[test]
fn frames_spoken_by_hand_get_the_sum() {
    let server = start_server(&[]);
    let mut raw = RawWs::connect(&server, "/add");
    raw.send_frame(TEXT, b"3 4");
    assert_eq!(raw.read_text(), "7");
    // A message in two fragments: text without FIN, then a continuation.
    raw.send(&support::frame(TEXT, b"0.1 ", false));
    raw.send(&support::frame(0x0, b"0.2", true));
    assert_eq!(raw.read_text(), "0.3");
}

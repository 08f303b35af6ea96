//! Exact sums over the wire: the real server's answers, in both request
//! forms, against Python's `decimal` (`common::testing::reference`), and the
//! cases the former 28-digit type got wrong, with their exact text.

mod support;

use common::number::Operation;
use common::testing::reference::{Reference, number_text};
use common::testing::{Program, timeout};
use proptest::prelude::*;
use std::cell::RefCell;
use std::net::TcpStream;
use support::start_server;
use tokio_tungstenite::tungstenite::stream::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{self, Message, WebSocket};

/// One server, one `/add` connection to it and one Python, kept for all
/// the cases of a property test (each test runs on a thread of its own).
struct Wire {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    reference: Reference,
    // Last: the server outlives the connection to it.
    _server: Program,
}

impl Wire {
    fn start() -> Wire {
        let server = start_server(&[]);
        let url = format!("ws://{}/add", server.addr());
        let (ws, _) = tungstenite::connect(&url)
            .unwrap_or_else(|e| panic!("cannot open the WebSocket {url}: {e}"));
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            stream
                .set_read_timeout(Some(timeout()))
                .expect("set a read timeout");
        }
        Wire {
            ws,
            reference: Reference::start(),
            _server: server,
        }
    }

    /// Send `request` on `/add` and return the reply.
    fn ask(&mut self, request: &str) -> String {
        self.ws
            .send(Message::text(request))
            .unwrap_or_else(|e| panic!("sending {request:?}: {e}"));
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => return text.as_str().to_owned(),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                other => panic!("expected the reply to {request:?}, got {other:?}"),
            }
        }
    }
}

thread_local! {
    static WIRE: RefCell<Option<Wire>> = const { RefCell::new(None) };
}

/// Ask the server `request` (`a` plus `b` in some form); `read` turns its
/// reply into the sum's text or the refusal's message, and the reference
/// says whether that is right.
fn check_sum(
    a: &str,
    b: &str,
    request: &str,
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<(), TestCaseError> {
    WIRE.with_borrow_mut(|wire| {
        let wire = wire.get_or_insert_with(Wire::start);
        let reply = wire.ask(request);
        let answer = read(&reply);
        wire.reference
            .check(
                Operation::Add,
                a,
                b,
                answer.as_deref().map_err(String::as_str),
            )
            .map_err(|why| TestCaseError::fail(format!("request {request:?}: {why}")))
    })
}

/// A text reply: the sum, or `error: <why>`.
fn read_text(reply: &str) -> Result<String, String> {
    match reply.strip_prefix("error: ") {
        Some(why) => Err(why.to_owned()),
        None => Ok(reply.to_owned()),
    }
}

/// A JSON reply, exactly `{"sum":<the sum's text>}` (the digits as sent,
/// not read through any number type), or `{"error":"<why>"}`.
fn read_json(reply: &str) -> Result<String, String> {
    if let Some(sum) = reply
        .strip_prefix(r#"{"sum":"#)
        .and_then(|rest| rest.strip_suffix('}'))
    {
        return Ok(sum.to_owned());
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: String,
    }
    match serde_json::from_str::<Refusal>(reply) {
        Ok(refusal) => Err(refusal.error),
        Err(_) => Err(format!(
            "a reply that is neither a sum nor an error: {reply}"
        )),
    }
}

/// A number in a JSON request: as a JSON number, or as a string holding it.
fn json_value(text: &str, as_string: bool) -> String {
    if as_string {
        format!("\"{text}\"")
    } else {
        text.to_owned()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn text_sums_match_python(
        a in number_text(),
        b in number_text(),
        separator in prop_oneof![Just(" "), Just(","), Just(";"), Just(" ; ")],
    ) {
        check_sum(&a, &b, &format!("{a}{separator}{b}"), read_text)?;
    }

    #[test]
    fn json_sums_match_python(
        a in number_text(),
        b in number_text(),
        a_string in any::<bool>(),
        b_string in any::<bool>(),
    ) {
        let request = format!(
            r#"{{"a":{},"b":{}}}"#,
            json_value(&a, a_string),
            json_value(&b, b_string)
        );
        check_sum(&a, &b, &request, read_json)?;
    }
}

/// The sums the 28-digit type got wrong, and the bounds, each with its
/// exact text, in both forms, on one connection.
const LISTED: [(&str, &str, &str); 6] = [
    ("1e28", "0.1", "10000000000000000000000000000.1"),
    (
        "9999999999999999999999999999",
        "0.5",
        "9999999999999999999999999999.5",
    ),
    ("10", "1e-28", "10.0000000000000000000000000001"),
    (
        "-1e20",
        "1e-20",
        "-99999999999999999999.99999999999999999999",
    ),
    ("1e308", "1e308", "2e+308"),
    ("9999999999999999999999999999", "1", "1e+28"),
];

#[test]
fn the_listed_sums_are_exact_as_text() {
    let mut wire = Wire::start();
    for (a, b, sum) in LISTED {
        assert_eq!(wire.ask(&format!("{a} {b}")), sum, "{a} + {b}");
    }
}

#[test]
fn the_listed_sums_are_exact_in_json() {
    let mut wire = Wire::start();
    for (a, b, sum) in LISTED {
        assert_eq!(
            wire.ask(&format!(r#"{{"a":{a},"b":"{b}"}}"#)),
            format!(r#"{{"sum":{sum}}}"#),
            "{a} + {b}"
        );
    }
}

#[test]
fn the_listed_sums_match_python() {
    let mut wire = Wire::start();
    for (a, b, sum) in LISTED {
        wire.reference
            .check(Operation::Add, a, b, Ok(sum))
            .unwrap_or_else(|why| panic!("{why}"));
    }
}

/// The longest inputs: 100 significant digits, at both ends of the range,
/// written out in full (1,101 and 1,001 characters).
fn tiny() -> String {
    format!("-0.{}{}", "0".repeat(998), "9".repeat(100))
}
fn huge() -> String {
    format!("{}{}", "9".repeat(100), "0".repeat(900))
}

/// Their sum, as Python's `decimal` writes it.
fn tiny_plus_huge(wire: &mut Wire) -> String {
    let sum = format!(
        "{}8{}.{}{}1",
        "9".repeat(99),
        "9".repeat(900),
        "9".repeat(998),
        "0".repeat(99)
    );
    wire.reference
        .check(Operation::Add, &tiny(), &huge(), Ok(&sum))
        .unwrap_or_else(|why| panic!("{why}"));
    sum
}

#[test]
fn two_numbers_at_the_bounds_written_out_are_added_as_text() {
    let mut wire = Wire::start();
    let sum = tiny_plus_huge(&mut wire);
    assert_eq!(wire.ask(&format!("{} {}", tiny(), huge())), sum);
}

#[test]
fn two_numbers_at_the_bounds_written_out_are_added_in_json_strings() {
    let mut wire = Wire::start();
    let sum = tiny_plus_huge(&mut wire);
    let request = format!(r#"{{ "a": "{}", "b": "{}" }}"#, tiny(), huge());
    assert_eq!(wire.ask(&request), format!(r#"{{"sum":{sum}}}"#));
}

#[test]
fn numbers_beyond_the_rules_are_refused_with_the_bound() {
    let mut wire = Wire::start();
    assert_eq!(
        wire.ask("1e1000 1"),
        r#"error: "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
    );
    assert_eq!(
        wire.ask(&format!("1 1{}", "0".repeat(99) + "1")),
        format!(
            r#"error: "1{}… (101 bytes)" has more than 100 significant digits, the most a number may have"#,
            "0".repeat(59)
        )
    );
    assert_eq!(
        wire.ask(r#"{"a":1e-1000,"b":1}"#),
        r#"{"error":"\"1e-1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"}"#
    );
}

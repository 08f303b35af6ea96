//! The client against servers that fail: down, slow, flaky, not JSON.
//! Each scripted server counts requests, so the tests see the retries.

mod support;

use std::time::{Duration, Instant};
use support::testing::closed_port;
use support::{Canned, FakeServer, error_line, run_client};

const RESULT: &str = r#"{"A multiplicação": 40}"#;

#[test]
fn a_server_that_is_down_is_one_clear_error_after_the_retries() {
    let url = format!("http://{}/api", closed_port());
    let done = run_client(&url, &["--retries", "2", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("cannot reach"), "{line}");
    assert!(line.contains("refused"), "{line}");
    assert!(line.contains("3 times"), "{line}");
}

#[test]
fn a_dropped_connection_is_retried() {
    let fake = FakeServer::start(vec![Canned::Close, Canned::json(200, RESULT)]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [RESULT]);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn two_500s_then_a_200_is_a_result() {
    let error =
        r#"{"Code": "InternalServerError", "Message": "An internal server error occurred."}"#;
    let fake = FakeServer::start(vec![
        Canned::json(500, error),
        Canned::json(500, error),
        Canned::json(200, RESULT),
    ]);
    let done = run_client(&fake.url(), &["--retries", "2", "mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [RESULT]);
    assert_eq!(
        fake.requests(),
        ["GET /api/mult/8/5 HTTP/1.1"; 3],
        "the same GET, three times"
    );
}

#[test]
fn each_retry_waits_longer_than_the_one_before() {
    let fake = FakeServer::start(vec![
        Canned::json(500, "{}"),
        Canned::json(500, "{}"),
        Canned::json(500, "{}"),
        Canned::json(200, RESULT),
    ]);
    let done = run_client(&fake.url(), &["--retries", "3", "mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    let gaps = fake.gaps();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    // Backoff 0.2 s doubling, minus at most half of it for jitter: lower
    // bounds only, which a slow machine cannot break.
    for (gap, at_least_ms) in gaps.iter().zip([100, 200, 400]) {
        assert!(
            *gap >= Duration::from_millis(at_least_ms),
            "retries came too soon: {gaps:?}"
        );
    }
}

#[test]
fn the_default_timeout_is_ten_seconds() {
    let fake = FakeServer::start(vec![Canned::Hang]);
    let started = Instant::now();
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("within 10 s"), "{line}");
    assert!(started.elapsed() >= Duration::from_secs(10));
}

#[test]
fn a_server_that_keeps_failing_is_reported_with_its_message() {
    let fake = FakeServer::start(vec![Canned::json(
        503,
        r#"{"message": "Service Unavailable"}"#,
    )]);
    let done = run_client(&fake.url(), &["--retries", "1", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("503"), "{line}");
    assert!(line.contains("Service Unavailable"), "{line}");
    assert_eq!(fake.requests().len(), 2, "one try and one retry");
}

#[test]
fn no_retries_when_asked_for_none() {
    let fake = FakeServer::start(vec![Canned::json(500, "{}"), Canned::json(200, RESULT)]);
    let done = run_client(&fake.url(), &["--retries", "0", "mult", "8", "5"], "");
    error_line(&done);
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_4xx_is_not_retried() {
    for status in [400, 403, 404] {
        let fake = FakeServer::start(vec![
            Canned::json(status, r#"{"Code": "BadRequestError", "Message": "nope"}"#),
            Canned::json(200, RESULT),
        ]);
        let done = run_client(&fake.url(), &["mult", "8", "5"], "");
        let line = error_line(&done);
        assert!(
            line.contains(&status.to_string()) && line.contains("nope"),
            "{line}"
        );
        assert_eq!(fake.requests().len(), 1, "{status} must not be retried");
    }
}

#[test]
fn the_tidy_keys_of_re_implementations_are_results() {
    for (op, body, value) in [
        ("soma", r#"{"A soma": 9}"#, "9"),
        ("sub", r#"{"A subtração": -1}"#, "-1"),
        ("div", r#"{"A divisão": 0.8}"#, "0.8"),
    ] {
        let fake = FakeServer::start(vec![Canned::json(200, body)]);
        let done = run_client(&fake.url(), &["--value", op, "4", "5"], "");
        assert!(done.status.success(), "{op}: {}", done.stderr);
        assert_eq!(done.stdout, [value], "{op}");
    }
}

#[test]
fn a_key_that_does_not_name_the_operation_is_refused_once() {
    let fake = FakeServer::start(vec![
        Canned::json(200, r#"{"x": 1e999}"#),
        Canned::json(200, RESULT),
    ]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    assert_eq!(
        error_line(&done),
        r#"error: the reply's key "x" does not name the operation mult: expected "A multiplicação""#
    );
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(fake.requests().len(), 1, "not retried");
}

#[test]
fn another_operations_key_is_refused_with_both_expected_keys() {
    let fake = FakeServer::start(vec![Canned::json(200, r#"{"A subtração:": -1}"#)]);
    let done = run_client(&fake.url(), &["soma", "4", "5"], "");
    assert_eq!(
        error_line(&done),
        r#"error: the reply's key "A subtração:" does not name the operation soma: expected "A soma: " or "A soma""#
    );
}

#[test]
fn a_key_with_control_characters_is_named_escaped() {
    // JSON escapes in the body; raw C1 and U+202E too, which JSON allows.
    let fake = FakeServer::start(vec![Canned::json(
        200,
        "{\"\\u001b[2J\\n\u{9b}\u{202e}\": 1}",
    )]);
    let done = run_client(&fake.url(), &["div", "4", "5"], "");
    assert_no_raw_controls(&done.stderr);
    assert_eq!(
        error_line(&done),
        r#"error: the reply's key "\x1b[2J\n\x9b\u{202e}" does not name the operation div: expected "A Divisão" or "A divisão""#
    );
}

#[test]
fn a_slow_server_is_a_timeout_not_a_hang() {
    let fake = FakeServer::start(vec![Canned::Hang]);
    let started = Instant::now();
    let done = run_client(&fake.url(), &["--timeout", "0.5", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("no answer") && line.contains("0.5 s"),
        "{line}"
    );
    // Correctness, not speed: the client gave up instead of waiting for
    // the test's own deadline.
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(fake.requests().len(), 1, "a timeout is not retried");
}

#[test]
fn a_reply_that_is_not_json_is_a_clear_error() {
    let fake = FakeServer::start(vec![Canned::Answer(
        200,
        "text/html",
        "<html><body>Welcome to nginx!</body></html>".into(),
    )]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("not JSON"), "{line}");
    assert!(
        line.contains("text/html") && line.contains("nginx"),
        "{line}"
    );
    assert!(done.stdout.is_empty());
}

#[test]
fn a_result_that_is_not_a_number_is_an_error_saying_why() {
    for (value, why) in [
        (r#""abc""#, r#""abc" is not a number"#),
        (r#""NaN""#, r#""NaN" is not a finite number"#),
        ("null", "null is not a number"),
        (r#""40""#, r#""40" is a string, not a JSON number"#),
        (
            r#""1e1000""#,
            r#""1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#,
        ),
    ] {
        let fake = FakeServer::start(vec![Canned::json(
            200,
            &format!(r#"{{"A multiplicação": {value}}}"#),
        )]);
        let done = run_client(&fake.url(), &["mult", "8", "5"], "");
        assert_eq!(
            error_line(&done),
            format!(
                r#"error: the server's reply is not a calculator result: under "A multiplicação", {why}"#
            ),
            "{value}"
        );
        assert!(done.stdout.is_empty(), "{value}: {:?}", done.stdout);
        assert_eq!(fake.requests().len(), 1, "{value}: not retried");
    }
}

#[test]
fn a_json_number_of_any_size_is_a_result_printed_as_sent() {
    // What the API sends for mult 1e999 1e999 is beyond an input's bounds,
    // and still its exact answer.
    for number in ["1e+1998", "2.50", "1E-2000"] {
        let body = format!(r#"{{"A multiplicação": {number}}}"#);
        let fake = FakeServer::start(vec![Canned::json(200, &body)]);
        let done = run_client(&fake.url(), &["mult", "8", "5"], "");
        assert_eq!(done.stdout, [body.as_str()], "{}", done.stderr);
        let done = run_client(&fake.url(), &["--value", "mult", "8", "5"], "");
        assert_eq!(done.stdout, [number], "{}", done.stderr);
    }
}

#[test]
fn json_that_is_not_a_result_is_a_clear_error() {
    let fake = FakeServer::start(vec![Canned::json(200, r#"{"hello": "world"}"#)]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("not a calculator result"), "{line}");
}

#[test]
fn an_html_error_page_is_quoted_briefly() {
    let page = format!(
        "<html>\n<h1>502 Bad Gateway</h1>\n{}</html>",
        "x".repeat(5000)
    );
    let fake = FakeServer::start(vec![Canned::Answer(502, "text/html", page)]);
    let done = run_client(&fake.url(), &["--retries", "0", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("502") && line.contains("Bad Gateway"),
        "{line}"
    );
    assert!(line.len() < 400, "{line}");
}

/// An HTML error page of more than 64 KiB, the size beyond which the
/// client stops reading a body.
fn big_page(title: &str) -> String {
    format!("<html><h1>{title}</h1>{}</html>", "x".repeat(100 * 1024))
}

#[test]
fn a_5xx_with_a_body_over_64_kib_is_retried() {
    let fake = FakeServer::start(vec![
        Canned::Answer(503, "text/html", big_page("Service Unavailable")),
        Canned::json(200, RESULT),
    ]);
    let done = run_client(&fake.url(), &["--retries", "1", "mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [RESULT]);
    assert_eq!(fake.requests().len(), 2, "the 503 was not retried");
}

#[test]
fn a_5xx_body_is_read_no_further_than_its_start() {
    // The body is announced as 1 GiB and never ends: a client that reads it
    // all waits out its timeout instead of asking again.
    let fake = FakeServer::start(vec![Canned::Endless(500), Canned::json(200, RESULT)]);
    let done = run_client(
        &fake.url(),
        &["--retries", "1", "--timeout", "5", "mult", "8", "5"],
        "",
    );
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [RESULT]);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn a_5xx_with_a_body_over_64_kib_is_reported_with_its_start() {
    let fake = FakeServer::start(vec![Canned::Answer(
        502,
        "text/html",
        big_page("Bad Gateway"),
    )]);
    let done = run_client(&fake.url(), &["--retries", "0", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("502 Bad Gateway") && line.contains("<h1>Bad Gateway</h1>"),
        "{line}"
    );
    assert!(line.len() < 400, "{line}");
}

#[test]
fn a_4xx_with_a_body_over_64_kib_is_reported_with_its_start() {
    let fake = FakeServer::start(vec![Canned::Answer(
        400,
        "text/html",
        big_page("Bad Request"),
    )]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("refused") && line.contains("<h1>Bad Request</h1>"),
        "{line}"
    );
    assert!(line.len() < 400, "{line}");
}

/// What an SSH server says first: the kind of answer a wrong port gives.
const NOT_HTTP: &[u8] = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

#[test]
fn an_answer_that_is_not_http_is_called_so() {
    let fake = FakeServer::start(vec![Canned::Raw(NOT_HTTP)]);
    let done = run_client(&fake.url(), &["--retries", "0", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("the server answered something that is not HTTP"),
        "{line}"
    );
}

#[test]
fn an_answer_that_is_not_http_is_not_retried() {
    // Not a server that is down: a program that speaks something else on
    // that port, and will say the same again.
    let fake = FakeServer::start(vec![Canned::Raw(NOT_HTTP), Canned::json(200, RESULT)]);
    let done = run_client(&fake.url(), &["--retries", "2", "mult", "8", "5"], "");
    error_line(&done);
    assert_eq!(done.stderr.lines().count(), 1, "{:?}", done.stderr);
    assert_eq!(fake.requests().len(), 1);
}

/// Against a port nobody listens on, stderr is exactly the retry notice and
/// one error line, each saying the system's reason once.
#[test]
fn a_refused_connection_is_one_error_line_after_the_notices() {
    let closed = closed_port();
    // The system's own number for a refused connection (111 on Linux).
    let code = std::net::TcpStream::connect(closed)
        .err()
        .and_then(|e| e.raw_os_error())
        .expect("nothing listens there");
    let url = format!("http://{closed}/api");
    let done = run_client(&url, &["--retries", "1", "mult", "8", "5"], "");
    error_line(&done);
    let reason = format!("cannot reach {url}/mult/8/5: connection refused (os error {code})");
    let lines: Vec<&str> = done.stderr.lines().collect();
    let [notice, error] = lines[..] else {
        panic!("a notice and an error line: {:?}", done.stderr);
    };
    // The pause is random, between half and all of 0.2 s.
    let pause = notice
        .strip_prefix(&format!("{reason}; trying again in "))
        .and_then(|rest| rest.strip_suffix(" s (attempt 2 of 2)"));
    assert!(
        matches!(pause, Some("0.1" | "0.2")),
        "the notice: {notice:?}"
    );
    assert_eq!(error, format!("error: {reason} (tried 2 times)"));
    assert!(done.stderr.ends_with('\n'), "{:?}", done.stderr);
}

#[test]
fn a_network_failure_in_a_pipe_ends_the_run() {
    let url = format!("http://{}/api", closed_port());
    let done = run_client(&url, &["--retries", "0"], "mult 8 5\nsoma 1 1\n");
    let line = error_line(&done);
    assert!(line.contains("cannot reach"), "{line}");
}

// What a server sends reaches the user's terminal escaped: a server (or
// anything between, a proxy, a captive portal) must not clear the screen,
// recolour it, reorder a line or forge one.

/// Fails if `text` holds what a terminal must never receive raw from a
/// server: ESC, the C1 introducer of control sequences (U+009B), a carriage
/// return (it lets the rest of a line overwrite its start) or the
/// right-to-left override.
#[track_caller]
fn assert_no_raw_controls(text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| matches!(c, '\x1b' | '\u{9b}' | '\r' | '\u{202e}'))
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in {text:?}");
}

#[test]
fn a_servers_error_message_is_shown_escaped() {
    let fake = FakeServer::start(vec![Canned::json(
        400,
        r#"{"Code": "BadRequestError", "Message": "boom\u001b[2J\nerror: forged"}"#,
    )]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    // One error line: the newline did not start a forged one.
    let line = error_line(&done);
    assert_no_raw_controls(&done.stderr);
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert!(line.ends_with(r"boom\x1b[2J\nerror: forged"), "{line}");
}

#[test]
fn retry_notices_show_the_servers_message_escaped() {
    let fake = FakeServer::start(vec![Canned::json(
        503,
        r#"{"message": "down\u001b[31m\u202e"}"#,
    )]);
    let done = run_client(&fake.url(), &["--retries", "1", "mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(done.stderr.contains("trying again"), "{:?}", done.stderr);
    assert_no_raw_controls(&done.stderr);
    assert!(line.ends_with(r"down\x1b[31m\u{202e}"), "{line}");
}

#[test]
fn a_reply_that_is_not_json_is_quoted_escaped() {
    let fake = FakeServer::start(vec![Canned::Answer(
        200,
        "text/html",
        "<html>\x1b[2J\u{9b}31mhello</html>".into(),
    )]);
    let done = run_client(&fake.url(), &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert_no_raw_controls(&done.stderr);
    assert!(
        line.ends_with(r"<html>\x1b[2J\x9b31mhello</html>"),
        "{line}"
    );
}

#[test]
fn a_result_is_printed_without_raw_control_characters() {
    // Valid JSON may hold line breaks between its tokens: printed as sent,
    // one result would take two lines of a pipe. (Raw controls inside the
    // key make it a key that names no operation: see the test above.)
    let fake = FakeServer::start(vec![Canned::json(200, "{\"A soma: \":\r\n13}")]);
    let done = run_client(&fake.url(), &["soma", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [r#"{"A soma: ":\r\n13}"#]);
}

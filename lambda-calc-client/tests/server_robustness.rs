//! The server against hostile or odd input: clear 400s, never a crash or a
//! wrong result, many clients at once, and a clean stop.

mod support;

use common::testing::hostile::{SLOWLORIS, open_stalled};
use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;
use support::{CalcReply as _, get, start_server};

/// `path` is refused with a 400 whose message contains every one of `words`.
#[track_caller]
fn refused(server: &common::testing::Program, path: &str, words: &[&str]) {
    let reply = get(server, path);
    assert_eq!(reply.status, 400, "{path}: {:?}", reply.body);
    let (code, message) = reply.chalice_error();
    assert_eq!(code, "BadRequestError", "{path}");
    for word in words {
        assert!(message.contains(word), "{path}: {message:?} lacks {word:?}");
    }
}

/// common::number's sentence for a value beyond its range.
const OUT_OF_RANGE: &str =
    "is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude";

#[test]
fn numbers_beyond_range_are_refused_naming_the_bound() {
    let server = start_server();
    for (path, message) in [
        (
            "/api/soma/1e1000/1",
            format!(r#"value a: "1e1000" {OUT_OF_RANGE}"#),
        ),
        (
            "/api/mult/2/-1e1000",
            format!(r#"value b: "-1e1000" {OUT_OF_RANGE}"#),
        ),
        (
            "/api/soma/1e-1000/1",
            format!(r#"value a: "1e-1000" {OUT_OF_RANGE}"#),
        ),
    ] {
        let reply = get(&server, path);
        assert_eq!(reply.status, 400, "{path}: {:?}", reply.body);
        assert_eq!(
            reply.chalice_error(),
            ("BadRequestError".to_owned(), message),
            "{path}"
        );
    }
}

#[test]
fn numbers_at_the_bounds_are_computed() {
    let server = start_server();
    for (path, value) in [
        ("/api/soma/1e309/1", format!("1{}1", "0".repeat(308))),
        ("/api/mult/9.99e999/1", "9.99e+999".to_owned()),
        ("/api/mult/1e-999/1", "1e-999".to_owned()),
        ("/api/mult/1e999/1e999", "1e+1998".to_owned()),
    ] {
        assert_eq!(get(&server, path).result().value, value, "{path}");
    }
}

#[test]
fn nan_and_infinity_are_refused() {
    let server = start_server();
    for value in ["NaN", "nan", "inf", "-Infinity"] {
        refused(&server, &format!("/api/soma/{value}/1"), &[value]);
    }
}

#[test]
fn minus_zero_is_zero() {
    // Decided: `-0` is a number people type, and equals 0. It is accepted,
    // results never show `-0`, and dividing by it is division by zero.
    let server = start_server();
    assert_eq!(get(&server, "/api/mult/-0/5").result().value, "0");
    assert_eq!(get(&server, "/api/mult/-1/0").result().value, "0");
    assert_eq!(get(&server, "/api/soma/-0/-0").result().value, "0");
    refused(&server, "/api/div/5/-0", &["division by zero"]);
}

#[test]
fn an_encoded_slash_stays_inside_its_value() {
    let server = start_server();
    // Not routed as /api/soma/1/2/3 (a 404): one value, "1/2", not a number.
    refused(&server, "/api/soma/1%2F2/3", &["1/2", "not a number"]);
    refused(&server, "/api/soma/1%2f2/3", &["1/2"]);
}

#[test]
fn a_thousand_digit_number_is_refused_with_a_short_message() {
    let server = start_server();
    let digits = "9".repeat(1000);
    let reply = get(&server, &format!("/api/mult/{digits}/2"));
    assert_eq!(reply.status, 400);
    let (_, message) = reply.chalice_error();
    // Quoted up to 60 characters, then how long it was.
    assert_eq!(
        message,
        format!(
            r#"value a: "{}… (1000 bytes)" has more than 100 significant digits, the most a number may have"#,
            "9".repeat(60)
        )
    );
}

#[test]
fn other_strange_values_are_clear_400s() {
    let server = start_server();
    for (path, word) in [
        ("/api/soma/1,5/1", "1,5"),
        ("/api/soma/0x10/1", "0x10"),
        ("/api/soma/1_000/1", "1_000"),
        ("/api/soma/%E2%88%9E/1", "∞"),
        ("/api/soma/1/%20", "b"),
        ("/api/soma/%00/1", "not a number"),
        ("/api/soma//1", "value a: no number was given"),
    ] {
        refused(&server, path, &[word]);
    }
}

#[test]
fn a_path_that_is_not_utf8_is_a_400() {
    let server = start_server();
    let reply = get(&server, "/api/soma/%FF%FE/1");
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.chalice_error().0, "BadRequestError");
}

#[test]
fn results_beyond_28_digits_are_exact_not_refused() {
    let server = start_server();
    let big = "9999999999999999999999999999";
    assert_eq!(
        get(&server, &format!("/api/mult/{big}/{big}")).body,
        format!(
            r#"{{"A multiplicação": {}8{}1}}"#,
            "9".repeat(27),
            "0".repeat(27)
        )
    );
    assert_eq!(
        get(&server, "/api/soma/5e28/5e28").body,
        r#"{"A soma: ": 1e+29}"#
    );
}

#[test]
fn a_huge_path_is_refused_and_the_server_goes_on() {
    let mut server = start_server();
    let digits = "1".repeat(100_000);
    let reply = get(&server, &format!("/api/soma/{digits}/1"));
    assert!((400..500).contains(&reply.status), "{}", reply.status);
    server.assert_running();
    assert_eq!(get(&server, "/api/soma/1/1").result().value, "2");
}

#[test]
fn bad_input_never_stops_the_server() {
    let mut server = start_server();
    for path in [
        "/api/div/1/0",
        "/api/soma/%FF/1",
        "/api/soma/1e1000/1",
        "/api/x/y/z",
        "/%%%",
        "/api/soma/1/%",
    ] {
        let reply = get(&server, path);
        assert!(
            (400..500).contains(&reply.status),
            "{path}: {}",
            reply.status
        );
    }
    // Garbage that is not HTTP at all.
    if let Ok(mut raw) = TcpStream::connect(server.socket_addr()) {
        let _ = raw.write_all(b"\x16\x03\x01 not http\r\n\r\n");
    }
    server.assert_running();
    assert_eq!(get(&server, "/api/mult/8/5").result().value, "40");
}

#[test]
fn a_client_that_stalls_does_not_hold_up_the_others() {
    let server = start_server();
    let mut stalled = TcpStream::connect(server.socket_addr()).expect("connect");
    stalled
        .write_all(b"GET /api/mult/8/5 HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a request");
    assert_eq!(get(&server, "/api/mult/8/5").result().value, "40");
}

#[test]
fn many_clients_at_once() {
    let server = start_server();
    let addr = server.socket_addr();
    let workers: Vec<_> = (0..100)
        .map(|i| {
            thread::spawn(move || {
                let reply = support::request(addr, "GET", &format!("/api/mult/{i}/3"));
                (i, reply.result().value)
            })
        })
        .collect();
    for worker in workers {
        let (i, value) = worker.join().expect("a worker");
        assert_eq!(value, (i * 3).to_string());
    }
}

/// True if one line of `log` contains every one of `words`.
fn one_line_has(log: &str, words: &[&str]) -> bool {
    log.lines()
        .any(|line| words.iter().all(|w| line.contains(w)))
}

#[test]
fn a_refused_request_is_logged() {
    // Any server under test: the README's contract is one stderr line per
    // refused request, with its path and the reason, at the default level.
    let server = start_server();
    get(&server, "/api/div/1/0");
    server.interrupt();
    let done = server.finish();
    assert!(
        one_line_has(&done.stderr, &["/api/div/1/0", "division by zero"]),
        "no log line with the path and the reason: {:?}",
        done.stderr
    );
}

#[test]
fn stops_cleanly_on_ctrl_c() {
    let server = start_server();
    server.interrupt();
    let done = server.finish();
    assert!(done.status.success(), "{:?}: {}", done.status, done.stderr);
}

#[test]
fn stops_cleanly_on_sigterm() {
    let server = start_server();
    server.terminate();
    let done = server.finish();
    assert!(done.status.success(), "{:?}: {}", done.status, done.stderr);
}

#[test]
fn a_port_in_use_is_one_error_line() {
    let first = start_server();
    let done = support::server()
        .spawn(&["--listen", &first.socket_addr().to_string()])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty() && done.consumed.is_empty());
    assert!(done.stderr.starts_with("error: "), "{}", done.stderr);
}

#[test]
fn half_sent_headers_are_closed_after_the_header_timeout() {
    let server =
        support::server().start_server(&["--listen", "127.0.0.1:0", "--header-timeout", "1"]);
    let mut stalled = open_stalled(server.socket_addr(), 50, SLOWLORIS);
    assert_eq!(stalled.len(), 50, "{} refused at once", stalled.refused);
    // Meanwhile, a whole request is answered.
    assert_eq!(get(&server, "/api/soma/1/2").result().value, "3");
    let closed = stalled.closed_within(Duration::from_secs(5));
    assert_eq!(closed, 50, "half-sent headers still open after 5 s");
}

#[test]
fn a_connection_over_the_cap_is_told_to_come_back() {
    let server =
        support::server().start_server(&["--listen", "127.0.0.1:0", "--max-connections", "2"]);
    let held = open_stalled(server.socket_addr(), 2, SLOWLORIS);
    assert_eq!(held.len(), 2, "{} refused at once", held.refused);
    let reply = get(&server, "/api/soma/1/2");
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    assert!(reply.header("retry-after").is_some(), "{:?}", reply.headers);
}

#[test]
fn request_paths_reach_the_log_escaped() {
    let mut server = support::server().spawn_with(&["--listen", "127.0.0.1:0"], |cmd| {
        cmd.env("RUST_LOG", "debug");
    });
    server.wait_listening();
    // ESC, a newline that would start a forged log line, and the
    // right-to-left override, percent-encoded in a value and in a path
    // outside the API. Each ends with a word that any escaping keeps, so
    // that its log line can be found whatever the server's format.
    let forged = |word: &str| format!("%0A2099-01-01T00:00:00Z%20%20WARN%20{word}");
    for path in [
        format!("/api/soma/%1B%5B2J{}/1", forged("forged-in-a-value")),
        format!("/nowhere%1B%5B2J{}", forged("forged-in-a-path")),
        "/api/soma/%E2%80%AEreversed/1".to_owned(),
        "/api/soma/1/2".to_owned(),
    ] {
        get(&server, &path);
    }
    server.interrupt();
    let done = server.finish();
    let log = done.stderr;
    assert!(!log.contains('\x1b'), "a raw ESC in the log: {log:?}");
    assert!(
        !log.contains('\u{202e}'),
        "a raw U+202E in the log: {log:?}"
    );
    assert!(
        !log.lines().any(|line| line.starts_with("2099-01-01")),
        "a forged log line: {log}"
    );
    // Logged, each on one line from its start to its end word: escaped,
    // not dropped.
    for words in [
        ["/api/soma/", "forged-in-a-value"],
        ["/nowhere", "forged-in-a-path"],
        ["/api/soma/", "reversed/1"],
    ] {
        assert!(
            one_line_has(&log, &words),
            "no log line with {words:?}: {log}"
        );
    }
}

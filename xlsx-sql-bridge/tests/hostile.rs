//! Hostile clients and a hostile peer: connections that never finish their
//! headers, too many connections, conversions that would hold the
//! converter's slots, and a converter that accepts and never answers. Each
//! test passes short limits as flags, so that it takes a few seconds.

mod support;

use common::testing::hostile::{SLOWLORIS, open_stalled};
use common::testing::http_exchange;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::testing::timeout;
use support::{
    Bridge, bombs, converter_upload, fixtures, front_alone, hung_converter, run_client, temp_file,
    upload,
};

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("a socket address")
}

/// A workbook of a few kilobytes whose script is about 43 MB: far more
/// than every buffer between the converter and a client that stops reading.
fn long_script() -> Vec<u8> {
    bombs::long_script_ods(10_000, 64)
}

/// Start converting `book` on the converter and read the script's first
/// bytes; the answer is returned unread beyond them, holding a slot.
fn held_conversion(converter_url: &str, book: &[u8]) -> reqwest::blocking::Response {
    let id = converter_upload(converter_url, book);
    let mut response = support::http()
        .post(format!("{converter_url}/convert"))
        .json(&serde_json::json!({"upload_id": id}))
        .send()
        .expect("POST /convert");
    assert_eq!(response.status().as_u16(), 200);
    let mut first = [0u8; 4096];
    response
        .read_exact(&mut first)
        .expect("the first bytes of the script");
    response
}

#[test]
fn slowloris_on_the_front_is_cut_after_the_header_timeout_while_uploads_go_on() {
    let mut bridge = Bridge::start(&["--header-timeout", "1"]);
    let mut stalled = open_stalled(addr(&bridge.front), 50, SLOWLORIS);
    assert_eq!(stalled.len(), 50, "{} refused at once", stalled.refused);
    bridge.assert_still_converts();
    assert_eq!(
        stalled.closed_within(Duration::from_secs(5)),
        50,
        "every half-sent header is closed within a few seconds"
    );
}

#[test]
fn slowloris_on_the_converter_is_cut_after_the_header_timeout_while_uploads_go_on() {
    let mut bridge = Bridge::start(&["--header-timeout", "1"]);
    let mut stalled = open_stalled(addr(&bridge.converter), 50, SLOWLORIS);
    assert_eq!(stalled.len(), 50, "{} refused at once", stalled.refused);
    // Through the front, which calls the converter meanwhile.
    bridge.assert_still_converts();
    assert_eq!(stalled.closed_within(Duration::from_secs(5)), 50);
}

#[test]
fn a_third_connection_over_max_connections_2_is_told_503() {
    let bridge = Bridge::start(&["--max-connections", "2"]);
    // Two connections that say nothing hold the front's two places.
    let held = open_stalled(addr(&bridge.front), 2, b"");
    assert_eq!(held.len(), 2);
    let reply = http_exchange(
        addr(&bridge.front),
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.header("retry-after").is_some(), "{:?}", reply.headers);
    assert!(reply.body.contains("connections"), "{}", reply.body);
    // Once they go, the front serves again.
    drop(held);
    let deadline = Instant::now() + timeout();
    loop {
        let reply = http_exchange(
            addr(&bridge.front),
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if reply.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still {}", reply.status);
        std::thread::yield_now();
    }
}

#[test]
fn a_conversion_that_finds_every_slot_taken_gets_503_with_retry_after() {
    let bridge = Bridge::start(&["--max-conversions", "1", "--queue-timeout", "0.5"]);
    // The one slot is held by a conversion whose client stopped reading.
    let held = held_conversion(&bridge.converter_url(), &long_script());
    let started = Instant::now();
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(!answer.retry_after.is_empty(), "a Retry-After header");
    let error = answer.error();
    assert!(
        error.contains("busy") && error.contains("--queue-timeout"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(held);
}

#[test]
fn a_conversion_past_its_time_limit_is_422_naming_the_limit() {
    let mut bridge = Bridge::start(&["--conversion-timeout", "0.001"]);
    let answer = bridge.upload("long.ods", &long_script(), &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    let error = answer.error();
    assert!(
        error.contains("longer than the 0.001 s") && error.contains("--conversion-timeout"),
        "{error}"
    );
    bridge.program.assert_running();
}

#[test]
fn a_conversion_abandoned_at_its_deadline_frees_its_slot_and_cuts_its_script() {
    let bridge = Bridge::start(&[
        "--max-conversions",
        "1",
        "--conversion-timeout",
        "3",
        "--queue-timeout",
        "15",
    ]);
    // The client stops reading: the conversion waits for it, but only
    // until its deadline; then its thread stops and the slot is free.
    let mut held = held_conversion(&bridge.converter_url(), &long_script());
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    // And the script it was writing ends with an error, not cleanly.
    let mut rest = Vec::new();
    let read = held.read_to_end(&mut rest);
    assert!(
        read.is_err(),
        "a cut script must not end cleanly ({} bytes)",
        rest.len()
    );
}

#[test]
fn a_converter_that_accepts_and_never_answers_is_a_504_within_the_timeout() {
    let hung_url = hung_converter();
    let mut front = front_alone(&hung_url, &["--converter-timeout", "1"]);
    let started = Instant::now();
    let answer = upload(
        &format!("http://{}", front.addr()),
        "animals.xlsx",
        &fixtures::animals(),
        &[],
    );
    let took = started.elapsed();
    assert_eq!(answer.status, 504, "{}", answer.body);
    let error = answer.error();
    assert!(
        error.contains("did not answer within 1 s") && error.contains("--converter-timeout"),
        "{error}"
    );
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
    front.assert_running();
}

#[test]
fn the_client_shows_the_504_of_a_hung_converter() {
    let hung_url = hung_converter();
    let front = front_alone(&hung_url, &["--converter-timeout", "1"]);
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    let done = run_client(&[
        path.to_str().expect("UTF-8"),
        "--url",
        &format!("http://{}", front.addr()),
    ]);
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    let stderr = done.stderr.trim();
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains("did not answer within 1 s")
            && stderr.contains("HTTP 504"),
        "{stderr}"
    );
}

#[test]
fn the_client_escapes_what_the_server_says() {
    // A "front" that answers an error whose sentence holds a newline, a
    // forged line and terminal escapes.
    let body = r#"{"error":"bad\nerror: all fine\u001b[2J\u202e"}"#;
    let url = support::fake_front(
        format!(
            "HTTP/1.1 422 Unprocessable Entity\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    let done = run_client(&[path.to_str().expect("UTF-8"), "--url", &url]);
    assert_eq!(done.status.code(), Some(1));
    let stderr = done.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\u{202e}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains(r"bad\nerror: all fine\x1b[2J\u{202e}"),
        "{stderr:?}"
    );
}

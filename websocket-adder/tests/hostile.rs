//! Hostile clients: connections that send half a request and wait, a
//! thousand half-open WebSockets, peers that never answer a ping, more
//! connections than the server takes, and control characters meant for the
//! server's terminal. The server must hold against each while it goes on
//! serving everyone else, with the limits of `--header-timeout`,
//! `--timeout` and `--max-connections`.
//!
//! A peer closed for silence gets close status 1008 (policy violation) or
//! 1001 (going away), with a reason.

mod support;

use common::testing::hostile::{SLOWLORIS, open_stalled, raise_fd_limit};
use common::testing::{http_exchange, peak_rss_kib, require, rss_kib, timeout};
use futures_util::StreamExt as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::{RawWs, TEXT, ask, connect, start_server};
use tokio_tungstenite::tungstenite::Message;

/// The start of a WebSocket upgrade request whose headers never end.
const HALF_UPGRADE: &[u8] = b"GET /add HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/// A plain request for the page, answered and closed.
const PAGE_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// `/add` still answers a fresh, well-behaved WebSocket.
#[track_caller]
fn still_adds(server: &common::testing::Program) {
    let mut ws = RawWs::connect(server, "/add");
    ws.send_frame(TEXT, b"3 4");
    assert_eq!(ws.read_text(), "7");
}

#[test]
fn slowloris_headers_are_closed_after_the_header_timeout_while_others_are_served() {
    let server = start_server(&["--quiet", "--header-timeout", "1"]);
    let mut stalled = open_stalled(server.socket_addr(), 50, SLOWLORIS);
    assert_eq!(stalled.refused, 0, "the server refused a connection");
    // Meanwhile, the page and the adder answer as usual.
    let page = http_exchange(server.socket_addr(), PAGE_REQUEST);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html"), "{}", page.body);
    still_adds(&server);
    assert_eq!(stalled.closed_within(Duration::from_secs(5)), 50);
}

#[test]
fn stalled_websocket_handshakes_are_closed_after_the_header_timeout() {
    let server = start_server(&["--quiet", "--header-timeout", "1"]);
    let mut stalled = open_stalled(server.socket_addr(), 200, HALF_UPGRADE);
    assert_eq!(stalled.refused, 0, "the server refused a connection");
    still_adds(&server);
    assert_eq!(stalled.closed_within(Duration::from_secs(5)), 200);
}

/// The payload a hostile client announces in its frame header: just under
/// the 64 KiB `--max-message` default, so the header alone is not refused.
const ANNOUNCED: usize = 60 * 1024;

/// What it actually sends of that payload. More than the server's 4 KiB
/// read buffer, so the buffer must grow with what arrives (and not with
/// what was announced); far less than tungstenite's 128 KiB default read
/// buffer, so that a server still using the default is caught by the
/// buffer it zero-fills, not by bytes any server would have to keep.
/// 12 KiB × 1024 places is 12 MiB of the 64 MiB budget.
const SENT: usize = 12 * 1024;

/// Connect to `/add` and perform the opening handshake on a plain socket:
/// the status code of the server's answer (101, or 503 over the cap).
fn raw_handshake(addr: SocketAddr) -> (TcpStream, u16) {
    let mut conn = TcpStream::connect(addr).expect("connect to the server");
    conn.set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    conn.write_all(
        format!(
            "GET /add HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            support::RFC_KEY
        )
        .as_bytes(),
    )
    .expect("send the upgrade request");
    // The server says nothing after its `101` until the client speaks, so
    // what arrives before the blank line is the whole head.
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk) {
            Ok(0) => panic!(
                "closed during the handshake: {:?}",
                String::from_utf8_lossy(&head)
            ),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("no answer to the handshake: {e}"),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"));
    (conn, status)
}

/// True once the server has closed `conn` (end of stream, or a reset),
/// what it said before read and dropped; false if `deadline` passes first.
fn closed_by(conn: &mut TcpStream, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    // A read timeout bounds each read, and the server says little (a ping,
    // a close frame) before it closes.
    !left.is_zero()
        && conn.set_read_timeout(Some(left)).is_ok()
        && match conn.read_to_end(&mut Vec::new()) {
            Ok(_) => true,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
}

#[test]
fn two_thousand_half_sent_frames_cost_less_than_64_mib() {
    const TEST: &str = "two_thousand_half_sent_frames_cost_less_than_64_mib";
    let launcher = support::server();
    if !require(
        TEST,
        launcher.is_default(),
        "measures our own server's memory",
    ) || !require(
        TEST,
        rss_kib(std::process::id()).is_some(),
        "needs /proc/<pid>/status",
    ) {
        return;
    }
    raise_fd_limit();
    // A short --timeout, so that the stalled connections are pinged, then
    // closed, and their places freed for the well-behaved client at the end.
    let server = start_server(&["--quiet", "--timeout", "2"]);
    let (addr, pid) = (server.socket_addr(), server.pid());
    let before = rss_kib(pid).expect("the server's memory");

    let mut partial = support::frame(TEXT, &vec![b'1'; ANNOUNCED], true);
    partial.truncate(2 + 2 + 4 + SENT); // header, 16-bit length, mask, part
    let mut held = Vec::new();
    let mut busy = 0;
    let started = Instant::now();
    for _ in 0..2000 {
        match raw_handshake(addr) {
            (mut conn, 101) => {
                conn.write_all(&partial).expect("send part of a frame");
                held.push(conn);
            }
            (_, 503) => busy += 1,
            (_, other) => panic!("expected 101 or 503, got {other}"),
        }
    }
    // Opened well within 2 × --timeout (about a second here), so that none
    // of them was closed yet and the counts are exact.
    eprintln!("2000 handshakes in {:?}", started.elapsed());
    assert_eq!(held.len(), 1024, "the default --max-connections");
    assert_eq!(busy, 2000 - 1024, "the rest are told 503");

    // Each stalled frame gets a ping after 2 s and its connection is closed
    // 2 s later; the peak is the server's high-water mark, so it includes
    // the time when all 1024 were held.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut closed = 0;
    for conn in &mut held {
        closed += usize::from(closed_by(conn, deadline));
    }
    assert_eq!(closed, 1024, "stalled frames are closed by the server");
    let peak = peak_rss_kib(pid).expect("the server's peak memory");
    let grown_mib = peak.saturating_sub(before) as f64 / 1024.0;
    eprintln!("1024 half-sent frames: {before} KiB before, peak {peak} KiB (+{grown_mib:.1} MiB)");
    assert!(
        grown_mib < 64.0,
        "1024 half-sent frames took the server from {before} KiB to a peak of {peak} KiB \
         (+{grown_mib:.1} MiB)"
    );
    still_adds(&server);
}

/// Read until the server's close frame, which must come within a few
/// seconds (with `--timeout 1`: a ping after 1 s of silence, the close 1 s
/// later), with 1008 or 1001.
#[track_caller]
fn assert_closed_for_silence(ws: &mut RawWs) {
    let started = Instant::now();
    let (code, reason) = ws.read_close();
    assert!(matches!(code, 1001 | 1008), "{code} {reason}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
}

#[test]
fn a_websocket_that_never_answers_pings_is_closed() {
    let server = start_server(&["--quiet", "--timeout", "1"]);
    let mut silent = RawWs::connect(&server, "/add");
    // Reading here answers nothing: a raw socket sends no pong by itself.
    assert_closed_for_silence(&mut silent);
    still_adds(&server);
}

#[test]
fn a_websocket_that_sent_half_a_frame_and_stalled_is_closed() {
    let server = start_server(&["--quiet", "--timeout", "1"]);
    let mut stalled = RawWs::connect(&server, "/add");
    let mut half = support::frame(TEXT, b"12345 67890", true);
    half.truncate(2 + 4 + 3);
    stalled.send(&half);
    assert_closed_for_silence(&mut stalled);
}

#[tokio::test]
async fn a_websocket_that_answers_pings_stays_open_across_timeouts() {
    let server = start_server(&["--quiet", "--timeout", "1"]);
    let mut ws = connect(&server, "/add").await;
    // Over 3.5 timeouts the server pings; tokio-tungstenite answers each
    // ping on the next read, as browsers and Python's websockets do.
    let until = tokio::time::Instant::now() + Duration::from_millis(3500);
    let mut pings = 0;
    while let Ok(next) = tokio::time::timeout_at(until, ws.next()).await {
        match next {
            Some(Ok(Message::Ping(_))) => pings += 1,
            other => panic!("expected only pings while idle, got {other:?}"),
        }
    }
    assert!(pings >= 2, "the server pinged {pings} times");
    assert_eq!(ask(&mut ws, "3 4").await, "7");
}

#[test]
fn a_connection_over_the_cap_gets_503_with_retry_after() {
    let server = start_server(&["--quiet", "--max-connections", "2"]);
    let one = RawWs::connect(&server, "/add");
    let _two = RawWs::connect(&server, "/add");
    let refused = http_exchange(server.socket_addr(), PAGE_REQUEST);
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(
        refused.header("retry-after").is_some(),
        "{:?}",
        refused.headers
    );
    // A place freed is a place for the next client, once the server has
    // seen the first one leave.
    drop(one);
    let deadline = Instant::now() + timeout();
    loop {
        let page = http_exchange(server.socket_addr(), PAGE_REQUEST);
        if page.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after a place was freed",
            page.status
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn control_characters_from_a_peer_are_escaped_in_the_transcript_and_the_logs() {
    let mut server = start_server(&[]);
    let mut add = RawWs::connect(&server, "/add");
    add.send_frame(
        TEXT,
        b"3\n2099-01-01T00:00:00Z  WARN forged: \x1b[31mred\x1b[0m 4",
    );
    assert!(add.read_text().starts_with("error: "));
    let line = server.line_containing("forged");
    assert_eq!(
        line,
        "< 3\\n2099-01-01T00:00:00Z  WARN forged: \\x1b[31mred\\x1b[0m 4"
    );
    let mut hello = RawWs::connect(&server, "/hello");
    hello.send_frame(TEXT, "Eve\u{202e}\n> Ola Bob!\x1b[2J".as_bytes());
    hello.read_text();
    server.expect_line("< Eve\\u{202e}\\n> Ola Bob!\\x1b[2J");
    server.expect_line("> Ola Eve\\u{202e}\\n> Ola Bob!\\x1b[2J!");
    drop((add, hello));
    server.interrupt();
    let done = server.finish();
    let stdout = [done.consumed, done.stdout].concat();
    for line in &stdout {
        assert!(!line.contains('\x1b'), "raw ESC on stdout: {line:?}");
        assert!(!line.contains('\u{202e}'), "raw U+202E on stdout: {line:?}");
        assert!(
            !line.starts_with("2099") && line != "> Ola Bob!",
            "forged: {line:?}"
        );
    }
    assert!(
        !done.stderr.contains('\x1b'),
        "raw ESC on stderr: {}",
        done.stderr
    );
    assert!(
        done.stderr.contains("\\x1b[31m"),
        "the refusal is logged, escaped: {}",
        done.stderr
    );
    assert!(
        !done.stderr.lines().any(|l| l.starts_with("2099")),
        "a forged log line: {}",
        done.stderr
    );
}

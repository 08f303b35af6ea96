//! `websocket-adder-client`: numbers from the command line or standard
//! input, `--hello NAME`, `--listen-push`, `--url`; errors as one line and
//! exit code 1.

mod support;

use futures_util::{SinkExt as _, StreamExt as _};
use std::sync::{Arc, Mutex};
use support::{client, start_server, ws_url};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::Request;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[test]
fn two_numbers_print_their_sum() {
    let server = start_server(&[]);
    let done = client()
        .spawn(&["--connect", server.addr(), "3", "4"])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["7"]);
}

#[test]
fn negative_and_decimal_numbers_are_numbers_not_flags() {
    let server = start_server(&[]);
    let done = client()
        .spawn(&["--connect", server.addr(), "-3", "4.5"])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["1.5"]);
}

/// The answers of the client to `args`, once on the command line and once
/// as a line of standard input (the arguments joined by a blank).
fn both_modes(server: &common::testing::Program, args: &[&str]) -> [Vec<String>; 2] {
    let mut once = vec!["--connect", server.addr()];
    once.extend_from_slice(args);
    let done = client().spawn(&once).finish();
    assert!(done.status.success(), "{args:?}: {}", done.stderr);
    let mut lines = client().spawn(&["--connect", server.addr()]);
    lines.write_line(&args.join(" "));
    let read = lines.finish();
    assert!(read.status.success(), "{args:?} on stdin: {}", read.stderr);
    [done.stdout, read.stdout]
}

#[test]
fn the_listed_sums_print_every_digit() {
    let server = start_server(&[]);
    for (args, sum) in [
        (["1e28", "0.1"], "10000000000000000000000000000.1"),
        (
            ["9999999999999999999999999999", "0.5"],
            "9999999999999999999999999999.5",
        ),
    ] {
        let [once, read] = both_modes(&server, &args);
        assert_eq!(once, [sum], "{args:?} as arguments");
        assert_eq!(read, [sum], "{args:?} on stdin");
    }
}

#[test]
fn a_60_digit_number_and_1e308_go_through_both_modes() {
    let server = start_server(&[]);
    let digits = "123456789012345678901234567890123456789012345678901234567890";
    let sum = format!("1{}{digits}", "0".repeat(308 - 60));
    let json = format!(r#"{{"a":{digits},"b":1e308}}"#);
    for (args, reply) in [
        (vec![digits, "1e308"], sum.clone()),
        (vec![&json], format!(r#"{{"sum":{sum}}}"#)),
    ] {
        let [once, read] = both_modes(&server, &args);
        assert_eq!(once, [reply.as_str()], "{args:?} as arguments");
        assert_eq!(read, [reply.as_str()], "{args:?} on stdin");
    }
}

#[test]
fn arguments_that_begin_with_a_hyphen_are_read_as_a_line_is() {
    let server = start_server(&[]);
    for (args, sum) in [
        (vec!["-.5", "1"], "0.5"),
        (vec!["1", "-1e-5"], "0.99999"),
        (vec!["-3,4"], "1"),
        (vec!["-1e308", "1e308"], "0"),
    ] {
        let [once, read] = both_modes(&server, &args);
        assert_eq!(once, [sum], "{args:?} as arguments");
        assert_eq!(read, [sum], "{args:?} on stdin");
    }
}

#[test]
fn an_option_after_the_numbers_is_one_error_line() {
    let server = start_server(&[]);
    let done = client()
        .spawn(&["3", "4", "--connect", server.addr()])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: --connect comes after the numbers; options go before them\n"
    );
}

#[test]
fn a_refused_request_is_one_error_line_and_exit_code_1() {
    let server = start_server(&[]);
    let done = client()
        .spawn(&["--connect", server.addr(), "3", "abc"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(done.stderr.trim(), r#"error: "abc" is not a number"#);
}

#[test]
fn lines_from_stdin_are_answered_in_order() {
    let server = start_server(&[]);
    let mut program = client().spawn(&["--connect", server.addr()]);
    for line in ["3 4", "0.1,0.2", "", r#"{"a":1,"b":2}"#, "10;-20"] {
        program.write_line(line);
    }
    let done = program.finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["7", "0.3", r#"{"sum":3}"#, "-10"]);
}

#[test]
fn a_bad_line_is_answered_and_the_rest_go_on() {
    let server = start_server(&[]);
    let mut program = client().spawn(&["--connect", server.addr()]);
    for line in ["3 4", "abc", "5 6"] {
        program.write_line(line);
    }
    let done = program.finish();
    assert_eq!(done.stdout[0], "7");
    assert!(done.stdout[1].starts_with("error: "), "{:?}", done.stdout);
    assert_eq!(done.stdout[2], "11");
    assert_eq!(done.status.code(), Some(1), "one request was refused");
    assert!(done.stderr.contains("error: "), "{}", done.stderr);
}

/// A stand-in server that records the path of every WebSocket connection
/// it gets, and answers with the crate's protocol (the reference).
// tungstenite's handshake callback returns its HTTP response as the error.
#[allow(clippy::result_large_err)]
async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&paths);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            let callback = move |request: &Request, response| {
                record
                    .lock()
                    .expect("the list of paths")
                    .push(request.uri().path().to_owned());
                Ok(response)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                continue;
            };
            tokio::spawn(async move {
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(text) = message {
                        let reply = websocket_adder::protocol::answer(&text);
                        if ws.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                    }
                }
            });
        }
    });
    (addr, paths)
}

#[tokio::test(flavor = "multi_thread")]
async fn all_lines_travel_over_one_connection_to_add() {
    let (addr, paths) = recording_server().await;
    let done = tokio::task::spawn_blocking(move || {
        let mut program = client().spawn(&["--connect", &addr]);
        for i in 0..20 {
            program.write_line(&format!("{i} 1"));
        }
        program.finish()
    })
    .await
    .expect("the client thread");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout.len(), 20);
    assert_eq!(done.stdout[19], "20");
    assert_eq!(*paths.lock().expect("the list of paths"), ["/add"]);
}

#[test]
fn hello_prints_the_greeting() {
    let server = start_server(&[]);
    let done = client()
        .spawn(&["--connect", server.addr(), "--hello", "Marcos"])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["Ola Marcos!"]);
}

#[test]
fn listen_push_prints_each_pushed_message_until_the_server_stops() {
    let mut server = start_server(&[]);
    let mut listener = client().spawn(&["--connect", server.addr(), "--listen-push"]);
    // The server's transcript says when the page has joined.
    server.line_containing("+ push ");
    server.write_line("Bom dia");
    server.write_line("Boa tarde");
    assert_eq!(listener.next_line(), "Bom dia");
    assert_eq!(listener.next_line(), "Boa tarde");
    server.interrupt();
    let done = listener.finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
}

#[test]
fn url_names_the_whole_address() {
    let server = start_server(&[]);
    let url = ws_url(&server, "/add");
    let done = client().spawn(&["--url", &url, "2", "2"]).finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["4"]);
}

#[test]
fn a_server_that_is_not_there_is_one_plain_error_line() {
    let closed = support::testing::closed_port();
    // The system's own words for the refusal, whatever the platform.
    let refused = std::net::TcpStream::connect(closed).expect_err("nothing listens there");
    let done = client()
        .spawn(&["--connect", &closed.to_string(), "3", "4"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        done.stderr,
        format!("error: cannot connect to ws://{closed}/add: {refused} (is the server running?)\n")
    );
}

/// A stand-in server that completes the handshake, waits for the client's
/// first message and resets the connection instead of answering.
async fn resetting_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                continue;
            };
            let _ = ws.next().await;
            // SO_LINGER 0: closing sends a reset, not a clean end of stream.
            ws.get_ref().set_zero_linger().expect("set SO_LINGER");
            drop(ws);
        }
    });
    addr
}

/// The system's own words for a connection reset by the peer, whatever
/// the platform.
async fn a_reset() -> std::io::Error {
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let mut ours = tokio::net::TcpStream::connect(listener.local_addr().expect("address"))
        .await
        .expect("connect");
    let (theirs, _) = listener.accept().await.expect("accept");
    theirs.set_zero_linger().expect("set SO_LINGER");
    drop(theirs);
    ours.read(&mut [0; 1]).await.expect_err("a reset")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_reset_mid_request_is_one_plain_error_line() {
    let addr = resetting_server().await;
    let done = tokio::task::spawn_blocking(move || {
        client().spawn(&["--connect", &addr, "3", "4"]).finish()
    })
    .await
    .expect("the client thread");
    let reset = a_reset().await;
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        format!("error: the connection failed: {reset}\n")
    );
}

/// A stand-in server whose answers carry terminal controls, as a hostile or
/// broken server could: on `/add`, `7` followed by an ESC sequence, an error
/// with a newline and ESC for a request starting `bad`, and 500 digits for
/// `long`; on `/push`, one such message, then a close frame whose reason
/// holds ESC too.
// tungstenite's handshake callback returns its HTTP response as the error.
#[allow(clippy::result_large_err)]
async fn hostile_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut path = String::new();
                let callback = |request: &Request, response| {
                    path = request.uri().path().to_owned();
                    Ok(response)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                if path == "/push" {
                    let _ = ws.send(Message::text("news\x1b[2J")).await;
                    let _ = ws
                        .close(Some(CloseFrame {
                            code: CloseCode::Away,
                            reason: "bye\x1b[31m".into(),
                        }))
                        .await;
                    while let Some(Ok(_)) = ws.next().await {}
                    return;
                }
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(text) = message {
                        let reply = match text.as_str() {
                            t if t.starts_with("bad") => "error: boom\x1b[2J\nforged".to_owned(),
                            "long" => "1".repeat(500),
                            _ => "7\x1b[31m".to_owned(),
                        };
                        if ws.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Fails the test if `text` holds a raw ESC or newline inside a line.
#[track_caller]
fn assert_no_raw_controls(what: &str, lines: &[String]) {
    for line in lines {
        assert!(
            !line.chars().any(char::is_control),
            "raw control character on {what}: {line:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_text_with_terminal_controls_is_shown_escaped() {
    let addr = hostile_server().await;
    let done = tokio::task::spawn_blocking(move || {
        let mut program = client().spawn(&["--connect", &addr]);
        for line in ["3 4", "bad", "long"] {
            program.write_line(line);
        }
        program.finish()
    })
    .await
    .expect("the client thread");
    assert_eq!(
        done.stdout,
        [
            "7\\x1b[31m".to_owned(),
            "error: boom\\x1b[2J\\nforged".to_owned(),
            "1".repeat(500),
        ],
        "a normal reply is escaped, not cut"
    );
    assert_no_raw_controls("stdout", &done.stdout);
    let stderr: Vec<String> = done.stderr.lines().map(str::to_owned).collect();
    assert_no_raw_controls("stderr", &stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_with_terminal_controls_is_one_escaped_error_line() {
    let addr = hostile_server().await;
    let done = tokio::task::spawn_blocking(move || {
        client().spawn(&["--connect", &addr, "bad", "1"]).finish()
    })
    .await
    .expect("the client thread");
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr, "error: boom\\x1b[2J\\nforged\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_text_and_a_close_reason_with_terminal_controls_are_shown_escaped() {
    let addr = hostile_server().await;
    let done = tokio::task::spawn_blocking(move || {
        client()
            .spawn(&["--connect", &addr, "--listen-push"])
            .finish()
    })
    .await
    .expect("the client thread");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["news\\x1b[2J"]);
    assert!(!done.stderr.contains('\x1b'), "raw ESC: {:?}", done.stderr);
    assert!(done.stderr.contains("bye\\x1b[31m"), "{:?}", done.stderr);
}

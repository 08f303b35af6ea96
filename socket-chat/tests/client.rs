//! The client as a command: from a pipe, with errors a person can read.

mod support;

use support::testing::closed_port;
use support::{client, start_server};

#[test]
fn a_pipe_of_two_lines_prints_two_replies_and_exits_0() {
    // printf 'a\nb\n' | socket-chat-client --mode echo
    let server = start_server(&["--mode", "echo"]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--mode", "echo", "--connect", &addr]);
    ours.write_line("a");
    ours.write_line("b");
    let done = ours.finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["Eco=>a", "Eco=>b"]);
}

#[test]
fn empty_input_connects_and_exits_0() {
    let server = start_server(&["--mode", "echo"]);
    let addr = server.socket_addr().to_string();
    let done = client()
        .spawn(&["--mode", "echo", "--connect", &addr])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(done.stdout.is_empty());
}

#[test]
fn a_server_that_is_not_running_is_one_line_with_each_reason_once() {
    let nobody = closed_port();
    let refused = std::net::TcpStream::connect(nobody).expect_err("nobody listens");
    // No input: the client connects before it reads any.
    let done = client()
        .spawn(&["--mode", "echo", "--connect", &nobody.to_string()])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        format!("error: cannot connect to {nobody}: {refused} (is the server running?)\n")
    );
}

#[test]
fn an_address_without_a_port_says_the_port_is_missing() {
    let done = client()
        .spawn(&["--mode", "echo", "--connect", "127.0.0.1"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        "error: invalid address 127.0.0.1: the port is missing \
         (expected HOST:PORT, such as 127.0.0.1:50009)\n"
    );
}

#[test]
fn an_address_with_a_port_that_is_not_a_number_says_so() {
    let done = client()
        .spawn(&["--mode", "echo", "--connect", "127.0.0.1:http"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        "error: invalid address 127.0.0.1:http: the port http is not a number from 1 to 65535\n"
    );
}

#[test]
fn a_refused_message_is_reported_and_exits_1() {
    let server = start_server(&["--mode", "echo", "--max-message", "5"]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--mode", "echo", "--connect", &addr]);
    ours.write_line("curto");
    ours.write_line("comprido demais");
    let done = ours.finish();
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stdout, ["Eco=>curto"]);
    let stderr = done.stderr.trim();
    assert_eq!(
        stderr,
        "error: the server refused the message: message is longer than the limit of 5 bytes"
    );
}

#[test]
fn control_characters_from_the_server_are_shown_escaped() {
    // A stand-in server that answers with terminal control sequences: the
    // first reply would clear the user's screen, the error recolour it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let standin = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        let (stream, _) = listener.accept().expect("the client connects");
        let mut reader = BufReader::new(stream);
        for reply in ["Eco=>\x1b[2Jlimpo\tfim\n", "error: \x1b[31mmau\n"] {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a request");
            reader
                .get_mut()
                .write_all(reply.as_bytes())
                .expect("a reply");
        }
    });
    let mut ours = client().spawn(&["--mode", "echo", "--connect", &addr]);
    ours.write_line("a");
    ours.write_line("b");
    let done = ours.finish();
    standin.join().expect("the stand-in server");
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stdout, ["Eco=>\\x1b[2Jlimpo\\tfim"]);
    assert_eq!(
        done.stderr.trim(),
        "error: the server refused the message: \\x1b[31mmau"
    );
}

/// Fails the test unless `stdout` is exactly `expected`, saying how it
/// differs in a few words (the lines are too long to print).
#[track_caller]
fn assert_lines(stdout: &[String], expected: &[String]) {
    let lengths = |lines: &[String]| lines.iter().map(String::len).collect::<Vec<_>>();
    assert!(
        stdout == expected,
        "expected lines of {:?} bytes, got {:?} bytes starting {:?}",
        lengths(expected),
        lengths(stdout),
        stdout
            .iter()
            .map(|l| l.chars().take(20).collect::<String>())
            .collect::<Vec<_>>()
    );
}

/// Pipe `line` to our client in `mode` against a server with `server_args`,
/// the client started with `client_args`; what it printed.
fn one_request(
    mode: &str,
    server_args: &[&str],
    client_args: &[&str],
    line: &str,
) -> common::testing::Finished {
    let mut all = vec!["--mode", mode];
    all.extend_from_slice(server_args);
    let server = start_server(&all);
    let addr = server.socket_addr().to_string();
    let mut all = vec!["--mode", mode, "--connect", &addr];
    all.extend_from_slice(client_args);
    let mut ours = client().spawn(&all);
    ours.write_line(line);
    ours.finish()
}

#[test]
fn the_echo_of_the_longest_message_the_server_accepts_is_accepted() {
    // 65,536 bytes is the server's default limit; its echo is 5 bytes longer.
    let line = "a".repeat(65_536);
    let done = one_request("echo", &[], &[], &line);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_lines(&done.stdout, &[format!("Eco=>{line}")]);
}

#[test]
fn an_upper_case_reply_longer_than_its_message_is_accepted() {
    // `ŉ` (2 bytes) is `ʼN` (3 bytes) in upper case: 65,536 bytes become 98,304.
    let line = "ŉ".repeat(32_768);
    let done = one_request("upper", &[], &[], &line);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_lines(&done.stdout, &["ʼN".repeat(32_768)]);
}

#[test]
fn the_clients_max_message_follows_the_servers() {
    let line = "a".repeat(100_000);
    let limit = ["--max-message", "100000"];
    let done = one_request("echo", &limit, &limit, &line);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_lines(&done.stdout, &[format!("Eco=>{line}")]);
}

#[test]
fn a_reply_longer_than_the_client_accepts_is_refused_in_the_clients_words() {
    // A stand-in server that answers more than any server with
    // --max-message 10 would.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // Not joined: a client that never connects must fail the test, not hang it.
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_ok() {
            let reply = format!("Eco=>{}\n", "b".repeat(2000));
            // The client may close before it has read everything.
            let _ = reader.get_mut().write_all(reply.as_bytes());
        }
    });
    let mut ours = client().spawn(&["--mode", "echo", "--max-message", "10", "--connect", &addr]);
    ours.write_line("curto");
    let done = ours.finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: the server sent a message longer than this client accepts \
         (1039 bytes in echo mode, from --max-message 10)\n"
    );
}

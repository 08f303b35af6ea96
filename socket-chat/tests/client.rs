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
fn a_server_that_is_not_running_is_a_one_line_error_and_exit_1() {
    let nobody = closed_port().to_string();
    let mut ours = client().spawn(&["--mode", "echo", "--connect", &nobody]);
    ours.write_line("alguém aí?");
    let done = ours.finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    let stderr = done.stderr.trim();
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert!(
        stderr.contains(&nobody),
        "stderr names the address: {stderr}"
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

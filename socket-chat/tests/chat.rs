//! `--mode chat` (the default): the exercise's terminal chat.
//!
//! The server's operator is the server's stdin and stdout, driven here by the
//! test; the client is a raw socket or our client binary.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use support::testing::timeout;
use support::{Raw, client, connect_and_wait_for_desk, start_server};

#[test]
fn the_operator_cannot_speak_before_the_client() {
    let mut server = start_server(&[]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    server.write_line("cedo demais");
    server.line_containing("not sent, the client speaks first: cedo demais");
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    server.write_line("agora sim");
    // The refused line never reached the client: this is the first it gets.
    assert_eq!(raw.line(), "agora sim");
}

#[test]
fn after_the_first_message_both_sides_write_at_any_time() {
    let mut server = start_server(&[]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    // The operator writes twice in a row, with no message in between...
    server.write_line("Oi!");
    server.write_line("Tudo bem?");
    assert_eq!(raw.line(), "Oi!");
    assert_eq!(raw.line(), "Tudo bem?");
    // ...and so does the client.
    raw.send_line("Tudo ótimo.");
    raw.send_line("E você?");
    server.expect_line("Cliente enviou: Tudo ótimo.");
    server.expect_line("Cliente enviou: E você?");
}

#[test]
fn a_second_client_is_told_it_waits_and_is_served_next() {
    let mut server = start_server(&[]);
    let mut first = connect_and_wait_for_desk(&mut server);
    first.send_line("sou o primeiro");
    server.expect_line("Cliente enviou: sou o primeiro");

    let mut second = Raw::connect(&server);
    let notice = second.line();
    assert!(notice.starts_with("* "), "not a notice: {notice:?}");
    assert!(notice.contains("number 1 in line"), "got {notice:?}");
    // What it sends while waiting is kept, not lost.
    second.send_line("sou o segundo");

    first.finish();
    assert_eq!(second.line(), "* the operator is ready; go ahead");
    server.expect_line("Cliente enviou: sou o segundo");
    server.write_line("bem-vindo");
    assert_eq!(second.line(), "bem-vindo");
}

#[test]
fn in_sync_mode_the_operator_answers_each_message_once() {
    let mut server = start_server(&["--sync"]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("pergunta");
    server.expect_line("Cliente enviou: pergunta");
    server.write_line("resposta");
    assert_eq!(raw.line(), "resposta");
    // Out of turn: the client has not written again.
    server.write_line("mais uma");
    server.line_containing("not sent, wait for the client's message (--sync): mais uma");
    raw.send_line("outra pergunta");
    server.expect_line("Cliente enviou: outra pergunta");
    server.write_line("outra resposta");
    assert_eq!(raw.line(), "outra resposta");
}

#[test]
fn the_client_binary_chats_in_sync_mode_from_a_pipe() {
    let mut server = start_server(&[]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--sync", "--connect", &addr]);
    ours.write_line("Olá, servidor");
    ours.write_line("Tchau");
    ours.close_stdin();
    server.expect_line("Cliente enviou: Olá, servidor");
    server.write_line("Olá, cliente");
    server.expect_line("Cliente enviou: Tchau");
    server.write_line("Até logo");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["Olá, cliente", "Até logo"]);
}

#[test]
fn the_sync_client_waits_for_the_answer_before_sending_again() {
    // A stand-in server written here, so the test sees exactly when the
    // client under test sends.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let mut ours = client().spawn(&["--sync", "--connect", &addr]);
    ours.write_line("um");
    ours.write_line("dois");
    ours.close_stdin();
    let (stream, _) = listener.accept().expect("the client connects");
    stream.set_read_timeout(Some(timeout())).expect("timeout");
    let mut reader = BufReader::new(stream);
    assert_eq!(read_line(&mut reader), "um");
    // Both lines are typed, but "dois" must wait for our answer.
    assert_quiet(reader.get_ref());
    reader.get_mut().write_all(b"resposta 1\n").expect("answer");
    assert_eq!(read_line(&mut reader), "dois");
    reader.get_mut().write_all(b"resposta 2\n").expect("answer");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["resposta 1", "resposta 2"]);
}

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a line from the client");
    line.trim_end().to_owned()
}

/// Nothing arrives on `stream` for a while. A client that sends without
/// waiting does so within microseconds, so a quarter second of silence is a
/// reliable "no", and it never makes a correct client fail.
fn assert_quiet(stream: &TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_millis(250)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match (&*stream).read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("the client sent before it was answered: {other:?}"),
    }
    stream.set_read_timeout(Some(timeout())).expect("timeout");
}

#[test]
fn the_client_binary_prints_messages_as_they_arrive() {
    let mut server = start_server(&[]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--connect", &addr]);
    ours.write_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    // The client is idle, waiting on its keyboard; pushed lines still show.
    server.write_line("primeira");
    assert_eq!(ours.next_line(), "primeira");
    server.write_line("segunda");
    assert_eq!(ours.next_line(), "segunda");
}

#[test]
fn the_end_of_the_clients_input_ends_the_chat() {
    let mut server = start_server(&[]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--connect", &addr]);
    ours.write_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    server.line_containing("left the chat");
}

#[test]
fn stopping_the_server_says_goodbye_to_the_open_chat() {
    let mut server = start_server(&[]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    server.interrupt();
    assert_eq!(raw.line(), "* the server is shutting down; goodbye");
    assert!(raw.rest().is_empty());
    let done = server.finish();
    assert!(done.status.success(), "server failed: {}", done.stderr);
}

// ------------------------------------------- a person's line that looks like a notice
//
// Lines the server writes itself start with `* ` (notices) or `error: `.
// A person may type the same: the operator's `* bom dia` is still the
// operator's message, in both codecs and both chat styles. In text it
// travels escaped (`\* bom dia`); in protobuf the sender says who wrote it.

/// `--sync`: the operator's `* bom dia` is the answer the client waits for,
/// and the conversation goes on (the deadlock).
fn a_notice_lookalike_is_the_operators_answer_in_sync_mode(codec: &str) {
    let mut server = start_server(&["--sync", "--codec", codec]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--sync", "--codec", codec, "--connect", &addr]);
    ours.write_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    server.write_line("* bom dia");
    assert_eq!(ours.next_line(), "* bom dia");
    ours.write_line("Tudo bem?");
    server.expect_line("Cliente enviou: Tudo bem?");
    server.write_line("Tudo ótimo.");
    assert_eq!(ours.next_line(), "Tudo ótimo.");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stderr, "", "nothing was taken for a notice");
    assert!(
        !server.consumed().iter().any(|l| l.contains("not sent")),
        "the operator's answer was refused: {:?}",
        server.consumed()
    );
}

#[test]
fn in_sync_mode_an_operator_line_like_a_notice_is_the_answer_in_text() {
    a_notice_lookalike_is_the_operators_answer_in_sync_mode("text");
}

#[test]
fn in_sync_mode_an_operator_line_like_a_notice_is_the_answer_in_protobuf() {
    a_notice_lookalike_is_the_operators_answer_in_sync_mode("proto");
}

/// Asynchronous chat: the client prints the operator's `* bom dia` and
/// `error: nada` as messages (stdout), not as the server's own (stderr).
fn lookalikes_are_the_operators_messages_in_async_mode(codec: &str) {
    let mut server = start_server(&["--codec", codec]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--codec", codec, "--connect", &addr]);
    ours.write_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    for line in ["* bom dia", "error: nada", "\\o/"] {
        server.write_line(line);
        assert_eq!(ours.next_line(), line);
    }
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stderr, "", "nothing was taken for a notice");
}

#[test]
fn an_operator_line_like_a_notice_is_a_message_in_text() {
    lookalikes_are_the_operators_messages_in_async_mode("text");
}

#[test]
fn an_operator_line_like_a_notice_is_a_message_in_protobuf() {
    lookalikes_are_the_operators_messages_in_async_mode("proto");
}

/// The server's own notices are still notices: the client shows them on
/// stderr, apart from the conversation.
fn the_servers_goodbye_is_a_notice(codec: &str) {
    let mut server = start_server(&["--codec", codec]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--codec", codec, "--connect", &addr]);
    ours.write_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    server.interrupt();
    // The client's input stays open until it has seen the server close.
    let deadline = Instant::now() + timeout();
    while !ours.stderr().contains("the server closed the chat") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "* the server is shutting down; goodbye\n* the server closed the chat\n"
    );
}

#[test]
fn the_servers_notices_stay_notices_in_text() {
    the_servers_goodbye_is_a_notice("text");
}

#[test]
fn the_servers_notices_stay_notices_in_protobuf() {
    the_servers_goodbye_is_a_notice("proto");
}

#[test]
fn in_text_an_operator_line_like_a_notice_travels_escaped() {
    let mut server = start_server(&[]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    for (typed, sent) in [
        ("* bom dia", "\\* bom dia"),
        ("error: nada", "\\error: nada"),
        ("\\o/", "\\\\o/"),
        ("*negrito*", "*negrito*"),
        ("bom dia", "bom dia"),
    ] {
        server.write_line(typed);
        assert_eq!(raw.line(), sent, "typed {typed:?}");
    }
}

#[test]
fn an_operator_line_longer_than_the_limit_is_not_sent() {
    // The client accepts what the server does: the operator is held to
    // --max-message too (counted as sent, escape included).
    let mut server = start_server(&["--max-message", "10"]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    server.write_line("* 45678901");
    server.expect_line("* not sent, 11 bytes is more than --max-message (10)");
    server.write_line("* 4567890");
    assert_eq!(raw.line(), "\\* 4567890");
}

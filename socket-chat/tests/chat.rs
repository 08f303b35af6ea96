//! `--mode chat` (the default): the exercise's terminal chat.
//!
//! The server's operator is the server's stdin and stdout, driven here by the
//! test; the client is a raw socket or our client binary.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;
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

//! How the server cuts a text stream into messages when they arrive in
//! pieces. A connection's first read decides: a newline in it makes the
//! connection line-framed for its life (a line is never split, however it
//! arrives); none makes it speak the slides' protocol, where the end of a
//! read also ends a message (the slides' client sends `Olá` with no newline
//! and waits in `recv`, and is answered at once).
//!
//! To send a message in two pieces that the server reads apart, a test
//! waits until the kernel shows the first piece read (`/proc/net/tcp`, see
//! `common::testing::hostile::wait_until_read`), never for a fixed time.

mod support;

use support::testing::hostile::{unread_on_server_side, wait_until_read};
use support::testing::{Program, require};
use support::{Raw, start_server};

/// True if the test can tell when the server has read a piece (Linux's
/// `/proc/net/tcp`); otherwise it is skipped (a failure under
/// `REQUIRE_ALL_TESTS=1`) and should return.
fn can_see_reads(test: &str) -> bool {
    require(
        test,
        unread_on_server_side(0).is_some(),
        "no /proc/net/tcp on this system",
    )
}

/// Send `first`, wait until the server has read it, then send `second`.
fn send_in_two_reads(server: &Program, raw: &mut Raw, first: &[u8], second: &[u8]) {
    raw.send(first);
    wait_until_read(server.socket_addr(), 1);
    raw.send(second);
}

#[test]
fn a_line_that_arrives_in_two_pieces_is_one_message() {
    if !can_see_reads("a_line_that_arrives_in_two_pieces_is_one_message") {
        return;
    }
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    // A first read with a newline: the connection is framed by lines.
    raw.send_line("Olá");
    assert_eq!(raw.line(), "Eco=>Olá");
    send_in_two_reads(&server, &mut raw, b"Hel", b"lo world\n");
    assert_eq!(raw.line(), "Eco=>Hello world");
}

#[test]
fn a_line_cut_inside_a_character_is_one_message() {
    if !can_see_reads("a_line_cut_inside_a_character_is_one_message") {
        return;
    }
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    // `á` is c3 a1: the first read ends in the middle of it.
    send_in_two_reads(&server, &mut raw, b"Ol\xc3", b"\xa1\n");
    assert_eq!(raw.line(), "Eco=>Olá");
}

#[test]
fn a_slides_message_cut_inside_a_character_waits_for_the_rest_of_it() {
    if !can_see_reads("a_slides_message_cut_inside_a_character_waits_for_the_rest_of_it") {
        return;
    }
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    send_in_two_reads(&server, &mut raw, b"Ol\xc3", b"\xa1");
    assert_eq!(raw.exact("Eco=>Olá".len()), "Eco=>Olá".as_bytes());
}

#[test]
fn on_a_slides_connection_each_read_is_a_message() {
    // As the slides' server (`recv(1024)`) would: a first read without a
    // newline cannot be told from the slides' client. (The answer shows
    // that the first piece was read.)
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send(b"Hel");
    assert_eq!(raw.exact("Eco=>Hel".len()), b"Eco=>Hel");
    raw.send(b"lo world\n");
    assert_eq!(raw.line(), "Eco=>lo world");
}

#[test]
fn a_slides_connection_that_sends_a_line_gets_a_line() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send("Olá".as_bytes());
    assert_eq!(raw.exact("Eco=>Olá".len()), "Eco=>Olá".as_bytes());
    raw.send(b"Bom dia\n");
    assert_eq!(raw.line(), "Eco=>Bom dia");
}

#[test]
fn in_the_chat_a_message_without_newline_reaches_the_operator() {
    let mut server = start_server(&[]);
    let mut raw = support::connect_and_wait_for_desk(&mut server);
    raw.send("Olá, tem alguém aí?".as_bytes());
    server.expect_line("Cliente enviou: Olá, tem alguém aí?");
    server.write_line("Oi!");
    assert_eq!(raw.line(), "Oi!");
}

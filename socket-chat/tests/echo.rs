//! `--mode echo`: the slide's TCP echo server (`Eco=>` + the message).

mod support;

use support::{Raw, start_server};

#[test]
fn each_line_gets_eco_and_the_line() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send_line("Olá");
    assert_eq!(raw.line(), "Eco=>Olá");
    raw.send_line("Bom dia");
    assert_eq!(raw.line(), "Eco=>Bom dia");
}

#[test]
fn two_lines_in_one_packet_are_two_messages() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send(b"a\nb\n");
    assert_eq!(raw.line(), "Eco=>a");
    assert_eq!(raw.line(), "Eco=>b");
}

#[test]
fn crlf_lines_are_accepted() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send(b"Boa tarde\r\n");
    assert_eq!(raw.line(), "Eco=>Boa tarde");
}

#[test]
fn a_message_without_newline_gets_a_reply_without_newline() {
    // The slide's client: `send(msg.encode())`, no terminator, then `recv`.
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send("Olá".as_bytes());
    assert_eq!(raw.exact("Eco=>Olá".len()), "Eco=>Olá".as_bytes());
    // Had the server added a newline, it would come before the next reply.
    raw.send(b"Bom dia");
    assert_eq!(raw.exact("Eco=>Bom dia".len()), b"Eco=>Bom dia");
}

#[test]
fn accents_round_trip_intact() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send_line("Maísa, João, ação, ü, 日本, 🦀");
    assert_eq!(raw.line(), "Eco=>Maísa, João, ação, ü, 日本, 🦀");
}

#[test]
fn the_server_prints_the_slides_transcript() {
    let mut server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    let local = raw.stream().local_addr().expect("local addr");
    raw.send_line("Olá");
    assert_eq!(raw.line(), "Eco=>Olá");
    server.expect_line(&format!("Server conectado por {local}"));
    server.expect_line("Cliente enviou: Olá");
}

#[test]
fn a_second_client_is_served_while_the_first_is_connected() {
    // The slide's server (`listen(1)`, one `accept` loop) would leave the
    // second client waiting until the first one leaves.
    let server = start_server(&["--mode", "echo"]);
    let mut first = Raw::connect(&server);
    first.send_line("primeiro");
    assert_eq!(first.line(), "Eco=>primeiro");
    let mut second = Raw::connect(&server);
    second.send_line("segundo");
    assert_eq!(second.line(), "Eco=>segundo");
    first.send_line("ainda aqui");
    assert_eq!(first.line(), "Eco=>ainda aqui");
}

#[test]
fn an_empty_line_is_a_message_too() {
    let server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send_line("");
    assert_eq!(raw.line(), "Eco=>");
}

#[test]
fn an_address_to_listen_on_without_a_port_says_the_port_is_missing() {
    let done = support::server()
        .spawn(&["--mode", "echo", "--listen", "127.0.0.1"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: invalid address 127.0.0.1: the port is missing \
         (expected HOST:PORT, such as 127.0.0.1:50009)\n"
    );
}

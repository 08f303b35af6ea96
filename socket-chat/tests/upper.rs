//! `--mode upper`: the upper-case echo of seed 004, over TCP and UDP.

mod support;

use std::net::UdpSocket;
use support::testing::timeout;
use support::{Raw, client, start_server};

fn udp_socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    socket
        .set_read_timeout(Some(timeout()))
        .expect("read timeout");
    socket
}

#[test]
fn tcp_replies_in_upper_case_following_unicode() {
    let server = start_server(&["--mode", "upper"]);
    let mut raw = Raw::connect(&server);
    raw.send_line("Olá, Maísa! straße");
    assert_eq!(raw.line(), "OLÁ, MAÍSA! STRASSE");
}

#[test]
fn udp_replies_one_datagram_per_datagram() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let socket = udp_socket();
    let mut buf = [0u8; 4096];
    for (sent, expected) in [("labi", "LABI"), ("Olá", "OLÁ")] {
        socket
            .send_to(sent.as_bytes(), server.socket_addr())
            .expect("send");
        let (n, from) = socket.recv_from(&mut buf).expect("a reply datagram");
        assert_eq!(from, server.socket_addr());
        assert_eq!(std::str::from_utf8(&buf[..n]), Ok(expected));
    }
}

#[test]
fn udp_keeps_the_newline_nc_sends() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let socket = udp_socket();
    socket
        .send_to(b"labi\n", server.socket_addr())
        .expect("send");
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(&buf[..n], b"LABI\n");
}

#[test]
fn udp_echo_mode_works_too() {
    let server = start_server(&["--mode", "echo", "--transport", "udp"]);
    let socket = udp_socket();
    socket
        .send_to("Olá".as_bytes(), server.socket_addr())
        .expect("send");
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(std::str::from_utf8(&buf[..n]), Ok("Eco=>Olá"));
}

#[test]
fn a_udp_datagram_that_is_not_utf8_gets_an_error_and_the_server_goes_on() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let socket = udp_socket();
    let mut buf = [0u8; 4096];
    socket
        .send_to(b"\xff\xfe", server.socket_addr())
        .expect("send");
    let n = socket.recv(&mut buf).expect("an error datagram");
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("error: "), "got {reply:?}");
    assert!(reply.contains("UTF-8"), "got {reply:?}");
    socket.send_to(b"ok", server.socket_addr()).expect("send");
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(&buf[..n], b"OK");
}

#[test]
fn the_client_speaks_udp() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let mut ours = client().spawn(&[
        "--mode",
        "upper",
        "--transport",
        "udp",
        "--connect",
        &server.socket_addr().to_string(),
    ]);
    ours.write_line("labi");
    ours.write_line("olá");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["LABI", "OLÁ"]);
}

#[test]
fn the_udp_client_reports_a_server_that_is_not_running() {
    // Nothing listens on that port: the system answers ICMP "port
    // unreachable", which a connected UDP socket reports as refused.
    let nobody = support::testing::closed_port().to_string();
    let mut ours = client().spawn(&[
        "--mode",
        "upper",
        "--transport",
        "udp",
        "--connect",
        &nobody,
        "--timeout",
        "5",
    ]);
    ours.write_line("labi");
    let done = ours.finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    let stderr = done.stderr.trim();
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
}

#[test]
fn a_udp_message_whose_reply_cannot_fit_a_datagram_gets_an_error_that_fits() {
    // 65,503 bytes fit in a datagram; `Eco=>` and them (65,508) do not.
    let server = start_server(&["--mode", "echo", "--transport", "udp"]);
    let socket = udp_socket();
    socket
        .send_to(&[b'a'; 65_503], server.socket_addr())
        .expect("send");
    let mut buf = vec![0u8; 70_000];
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(
        std::str::from_utf8(&buf[..n]),
        Ok("error: the reply would be 65508 bytes, more than one UDP datagram carries (65507)")
    );
    socket.send_to(b"ok", server.socket_addr()).expect("send");
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(&buf[..n], b"Eco=>ok");
}

#[test]
fn a_udp_upper_case_reply_that_grows_past_a_datagram_gets_an_error_that_fits() {
    // `ŉ` (2 bytes) is `ʼN` (3 bytes) in upper case: 32,000 of them fit in
    // a datagram, their upper case (96,000 bytes) does not.
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let socket = udp_socket();
    socket
        .send_to("ŉ".repeat(32_000).as_bytes(), server.socket_addr())
        .expect("send");
    let mut buf = vec![0u8; 70_000];
    let n = socket.recv(&mut buf).expect("a reply datagram");
    assert_eq!(
        std::str::from_utf8(&buf[..n]),
        Ok("error: the reply would be 96000 bytes, more than one UDP datagram carries (65507)")
    );
}

#[test]
fn the_udp_client_refuses_a_message_no_datagram_can_carry_in_its_own_words() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let mut ours = client().spawn(&[
        "--mode",
        "upper",
        "--transport",
        "udp",
        "--connect",
        &server.socket_addr().to_string(),
    ]);
    ours.write_line(&"a".repeat(70_000));
    let done = ours.finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: the message takes 70000 bytes, more than one UDP datagram carries (65507); not sent\n"
    );
}

//! `--codec proto`: length-delimited Protocol Buffers framing.
//!
//! The frames are built with the crate's `wire` module, which is the
//! protocol's reference encoder (`proto/chat.proto`, varint length prefix);
//! the server under test is still a separate program.

mod support;

use bytes::BytesMut;
use support::{Raw, client, frame, start_server};

#[test]
fn echo_replies_with_a_protobuf_message_from_the_server() {
    let server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let mut raw = Raw::connect(&server);
    raw.send(&frame("Maísa", "Olá"));
    let reply = raw.proto();
    assert_eq!(reply.text, "Eco=>Olá");
    assert_eq!(reply.sender, "server");
    assert!(
        reply.sent_at_ms > 1_577_836_800_000,
        "no timestamp: {reply:?}"
    );
}

#[test]
fn two_frames_in_one_write_get_two_replies() {
    let server = start_server(&["--mode", "upper", "--codec", "proto"]);
    let mut raw = Raw::connect(&server);
    let mut both = frame("a", "um");
    both.extend(frame("a", "dois"));
    raw.send(&both);
    assert_eq!(raw.proto().text, "UM");
    assert_eq!(raw.proto().text, "DOIS");
}

#[test]
fn a_frame_announcing_more_than_the_limit_is_refused_at_once() {
    let mut server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let mut raw = Raw::connect(&server);
    let mut prefix = BytesMut::new();
    prost::encoding::encode_varint(10 * 1024 * 1024, &mut prefix);
    raw.send(&prefix);
    let error = raw.proto();
    assert!(error.text.starts_with("error: "), "got {error:?}");
    assert!(error.text.contains("limit"), "got {error:?}");
    assert!(raw.rest().is_empty(), "the connection stayed open");
    drop(raw);
    let mut other = Raw::connect(&server);
    other.send_proto("oi");
    assert_eq!(other.proto().text, "Eco=>oi");
    server.assert_running();
}

#[test]
fn a_frame_that_is_not_protobuf_is_refused() {
    let server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let mut raw = Raw::connect(&server);
    raw.send(&[4, 0xff, 0xff, 0xff, 0xff]);
    let error = raw.proto();
    assert!(error.text.starts_with("error: "), "got {error:?}");
    assert!(error.text.contains("protobuf"), "got {error:?}");
}

#[test]
fn the_client_speaks_protobuf() {
    let server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let addr = server.socket_addr().to_string();
    let mut ours = client().spawn(&["--mode", "echo", "--codec", "proto", "--connect", &addr]);
    ours.write_line("Olá");
    ours.write_line("Maísa");
    let done = ours.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["Eco=>Olá", "Eco=>Maísa"]);
}

#[test]
fn the_chat_works_in_protobuf() {
    let mut server = start_server(&["--codec", "proto", "--name", "Marcos"]);
    let mut raw = Raw::connect(&server);
    raw.send(&frame("Maísa", "Olá, professor"));
    server.expect_line("Cliente enviou: Olá, professor");
    server.write_line("Olá, Maísa");
    let reply = raw.proto();
    assert_eq!(
        (reply.sender.as_str(), reply.text.as_str()),
        ("Marcos", "Olá, Maísa")
    );
}

#[test]
fn in_protobuf_an_operator_line_like_a_notice_comes_from_the_operator_as_typed() {
    let mut server = start_server(&["--codec", "proto", "--name", "Marcos"]);
    let mut raw = Raw::connect(&server);
    raw.send(&frame("Maísa", "Olá"));
    server.expect_line("Cliente enviou: Olá");
    server.write_line("* bom dia");
    let reply = raw.proto();
    assert_eq!(
        (reply.sender.as_str(), reply.text.as_str()),
        ("Marcos", "* bom dia")
    );
}

#[test]
fn the_operator_cannot_take_the_servers_name() {
    // In protobuf the sender `server` marks the server's own notices.
    let done = support::server()
        .spawn(&[
            "--listen",
            "127.0.0.1:0",
            "--codec",
            "proto",
            "--name",
            "server",
        ])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: --name server is the sender of the server's own notices; choose another name\n"
    );
}

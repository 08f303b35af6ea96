//! Many clients at once, and clients that misbehave: every one gets correct
//! answers or a clear refusal, and none disturbs the others. Ctrl-C closes
//! every WebSocket with a close frame.

mod support;

use futures_util::{SinkExt as _, StreamExt as _};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use support::testing::timeout;
use support::{
    RawWs, TEXT, ask, assert_still_adds, connect, connect_url, expect_close, start_server, ws_url,
};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_each_adding_a_hundred_times_get_correct_sums() {
    let server = start_server(&["--quiet"]);
    let url = ws_url(&server, "/add");
    // Open all 200 first, so that they really are open at the same time.
    let mut sockets = Vec::new();
    for _ in 0..200 {
        sockets.push(connect_url(&url).await);
    }
    let mut clients = tokio::task::JoinSet::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        clients.spawn(async move {
            for j in 0..100 {
                // i + j/100 + 0.01: decimals a double would get wrong.
                let reply = ask(&mut ws, &format!("{i}.{j:02} 0.01")).await;
                let hundredths = i * 100 + j + 1;
                let (whole, cents) = (hundredths / 100, hundredths % 100);
                let expected = match cents {
                    0 => whole.to_string(),
                    c if c % 10 == 0 => format!("{whole}.{}", c / 10),
                    c => format!("{whole}.{c:02}"),
                };
                assert_eq!(reply, expected, "client {i}, addition {j}");
            }
            ws.close(None).await.expect("close");
        });
    }
    let mut finished = 0;
    while let Some(done) = clients.join_next().await {
        done.expect("a client failed");
        finished += 1;
    }
    assert_eq!(finished, 200);
}

#[tokio::test]
async fn a_client_that_drops_mid_frame_does_not_disturb_the_others() {
    let mut server = start_server(&[]);
    let mut bystander = connect(&server, "/add").await;
    assert_eq!(ask(&mut bystander, "1 2").await, "3");
    let mut gone = RawWs::connect(&server, "/add");
    // A masked text frame that announces 100 bytes and brings 3.
    let mut half = support::frame(TEXT, &[b'1'; 100], true);
    half.truncate(2 + 4 + 3);
    gone.send(&half);
    drop(gone);
    assert_eq!(ask(&mut bystander, "3 4").await, "7");
    assert_still_adds(&mut server).await;
}

/// RFC 6455, section 4.2.1: a server that finds the client's handshake is
/// not one "MUST stop processing the client's handshake and return an HTTP
/// response with an appropriate error code (such as 400 Bad Request)". A
/// server that just drops the connection leaves the client guessing, so it
/// fails here.
#[tokio::test]
async fn garbage_before_the_handshake_gets_400_and_the_others_go_on() {
    let mut server = start_server(&[]);
    let mut bystander = connect(&server, "/add").await;
    let mut garbage = TcpStream::connect(server.socket_addr()).expect("connect");
    garbage
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    garbage
        .write_all(b"\x16\x03\x01\x02\x00 not HTTP at all\r\n\r\n")
        .expect("send garbage");
    // After a request it cannot parse, the server cannot find where the
    // next one would begin: it answers, then closes (a timeout fails here).
    let mut answer = Vec::new();
    garbage
        .read_to_end(&mut answer)
        .expect("the server answers and closes the connection");
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(
        answer.lines().next(),
        Some("HTTP/1.1 400 Bad Request"),
        "the whole answer: {answer:?}"
    );
    assert_eq!(ask(&mut bystander, "3 4").await, "7");
    assert_still_adds(&mut server).await;
}

#[tokio::test]
async fn a_client_that_leaves_without_a_close_frame_does_not_disturb_the_others() {
    let mut server = start_server(&[]);
    let mut bystander = connect(&server, "/add").await;
    let mut rude = RawWs::connect(&server, "/add");
    rude.send_frame(TEXT, b"5 5");
    assert_eq!(rude.read_text(), "10");
    drop(rude); // TCP closed, no close frame
    assert_eq!(ask(&mut bystander, "3 4").await, "7");
    assert_still_adds(&mut server).await;
}

#[tokio::test]
async fn a_client_that_never_reads_its_replies_does_not_hold_up_the_others() {
    let mut server = start_server(&["--quiet"]);
    let mut deaf = RawWs::connect(&server, "/add");
    // Requests without ever reading: the replies pile up in that connection
    // only, until its buffers are full and the server waits on it alone.
    let many: Vec<u8> = (0..100_000)
        .flat_map(|_| support::frame(TEXT, b"x y", true))
        .collect();
    let sender = std::thread::spawn(move || {
        let _ = deaf.stream().write_all(&many);
        deaf
    });
    let mut bystander = connect(&server, "/add").await;
    for _ in 0..10 {
        assert_eq!(ask(&mut bystander, "3 4").await, "7");
    }
    assert_still_adds(&mut server).await;
    drop(sender);
}

/// Open one WebSocket on each path, send Ctrl-C or SIGTERM, and check each
/// gets a close frame with 1001 (going away) before the server exits 0.
async fn stop_closes_every_websocket(stop: fn(&common::testing::Program)) {
    let mut server = start_server(&[]);
    let mut add = connect(&server, "/add").await;
    let mut hello = connect(&server, "/hello").await;
    let mut push = connect(&server, "/push").await;
    assert_eq!(ask(&mut add, "3 4").await, "7");
    assert_eq!(ask(&mut hello, "Marcos").await, "Ola Marcos!");
    server.line_containing("+ push");
    stop(&server);
    for ws in [&mut add, &mut hello, &mut push] {
        let close = expect_close(ws).await;
        assert_eq!(close.code, CloseCode::Away, "reason: {}", close.reason);
        // The closing handshake: our close frame answers the server's.
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    }
    let done = tokio::task::spawn_blocking(move || server.finish())
        .await
        .expect("the waiting thread");
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    assert!(!done.stderr.contains("panicked"), "stderr: {}", done.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_closes_every_websocket_with_a_close_frame() {
    stop_closes_every_websocket(common::testing::Program::interrupt).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_closes_every_websocket_with_a_close_frame() {
    stop_closes_every_websocket(common::testing::Program::terminate).await;
}

#[test]
fn a_peer_that_never_answers_the_close_does_not_hold_up_the_shutdown() {
    let server = start_server(&[]);
    let mut silent = RawWs::connect(&server, "/add");
    // Half an HTTP request, never finished, on another connection.
    let mut half = TcpStream::connect(server.socket_addr()).expect("connect");
    half.write_all(b"GET /add HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a request");
    server.interrupt();
    let (code, _) = silent.read_close();
    assert_eq!(code, 1001);
    // We never answer, nor close; the server must exit anyway, in time.
    let done = server.finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    drop((silent, half));
}

#[tokio::test]
async fn a_websocket_message_split_across_many_tcp_writes_is_read_whole() {
    let server = start_server(&[]);
    let mut raw = RawWs::connect(&server, "/add");
    for byte in support::frame(TEXT, b"123.5 0.5", true) {
        raw.send(&[byte]);
    }
    assert_eq!(raw.read_text(), "124");
    let mut ws = connect(&server, "/add").await;
    ws.send(Message::text("1 1")).await.expect("send");
    assert!(matches!(ws.next().await, Some(Ok(Message::Text(t))) if t == "2"));
}

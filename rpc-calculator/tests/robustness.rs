//! Many clients at once, clients that send too much, clients that are too
//! slow: every call is answered correctly, bad requests are refused with a
//! reason, and the server keeps serving the others.

mod support;

use common::number::{Number, Operation};
use jsonrpsee::rpc_params;
use std::io::{Read as _, Write as _};
use std::thread;
use support::testing::{run_python, timeout};
use support::{Http, assert_still_serves, post_json, runtime, start_server};

/// The `i`-th call of client `c`: an operation and two operands whose exact
/// result is known (divisors whose quotients end, powers that fit).
fn nth_call(c: usize, i: usize) -> (Operation, Number, Number) {
    let op = Operation::ALL[(c + i) % 5];
    let a = Number::from(((c * 1000 + i) % 999 + 1) as i64);
    let b = Number::from([1i64, 2, 4, 5, 8][i % 5]);
    (op, a, b)
}

#[test]
fn a_hundred_concurrent_clients_make_a_thousand_calls_each_all_correct() {
    let server = start_server(&["--quiet"]);
    let addr = server.addr().to_owned();
    let calls = runtime().block_on(async move {
        use jsonrpsee::core::client::ClientT;
        // Half the clients on keep-alive HTTP connections, half on WebSockets;
        // all connected before the first call, so they really run at once.
        let mut http = Vec::new();
        let mut ws = Vec::new();
        for _ in 0..50 {
            http.push(
                jsonrpsee_http_client::HttpClientBuilder::default()
                    .build(format!("http://{addr}/"))
                    .expect("an HTTP client"),
            );
            ws.push(
                jsonrpsee_ws_client::WsClientBuilder::default()
                    .build(format!("ws://{addr}/"))
                    .await
                    .expect("a WebSocket client"),
            );
        }
        async fn run(client: impl ClientT, c: usize) -> usize {
            for i in 0..1000 {
                let (op, a, b) = nth_call(c, i);
                let got: Number = client
                    .request(op.name(), rpc_params![&a, &b])
                    .await
                    .unwrap_or_else(|e| panic!("client {c} call {i}: {e}"));
                let want = op.apply(&a, &b).expect("the test's numbers compute");
                assert_eq!(got, want, "client {c} call {i}: {op:?}({a}, {b})");
            }
            1000
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (c, client) in http.into_iter().enumerate() {
            tasks.spawn(run(client, c));
        }
        for (c, client) in ws.into_iter().enumerate() {
            tasks.spawn(run(client, 50 + c));
        }
        let mut calls = 0;
        while let Some(done) = tasks.join_next().await {
            calls += done.expect("a client task failed");
        }
        calls
    });
    assert_eq!(calls, 100_000);
}

/// Send a 10 MB JSON-RPC body on a raw connection (in a thread: the server
/// may answer before it is all sent); the response.
fn send_ten_megabytes(
    server: &common::testing::Program,
    head: String,
) -> support::testing::HttpReply {
    let mut http = Http::connect(server);
    let mut writer = http.stream().try_clone().expect("clone the stream");
    let sending = thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let mut body = vec![b' '; 10 * 1024 * 1024];
        body[..2].copy_from_slice(b"[1");
        let _ = writer.write_all(&body);
        let _ = writer.write_all(b"]");
    });
    let response = http.response();
    sending.join().expect("the sender thread");
    response
}

#[test]
fn a_ten_megabyte_body_is_refused_with_413_and_a_json_rpc_error() {
    let mut server = start_server(&[]);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.addr(),
        10 * 1024 * 1024 + 1
    );
    let response = send_ten_megabytes(&server, head);
    assert_eq!(response.status, 413, "{}", response.body);
    let error = &response.json()["error"];
    assert_eq!(error["code"], -32007, "{error}");
    assert_eq!(error["message"], "Request is too big");
    assert_still_serves(&mut server);
}

#[test]
fn a_ten_megabyte_chunked_body_is_refused_too() {
    let mut server = start_server(&[]);
    let mut http = Http::connect(&server);
    let mut writer = http.stream().try_clone().expect("clone the stream");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr()
    );
    let sending = thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..10 {
            let _ = writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
            let _ = writer.write_all(&chunk);
            let _ = writer.write_all(b"\r\n");
        }
        let _ = writer.write_all(b"0\r\n\r\n");
    });
    let response = http.response();
    sending.join().expect("the sender thread");
    assert_eq!(response.status, 413, "{}", response.body);
    assert_eq!(response.json()["error"]["code"], -32007);
    assert_still_serves(&mut server);
}

/// Python's `xmlrpc.client` posting a 10 MB string: a clear protocol error.
const BIG_XML_RPC: &str = r#"
import sys, xmlrpc.client
s = xmlrpc.client.ServerProxy('http://127.0.0.1:%s' % sys.argv[1])
try:
    s.add('1' * (10 * 1024 * 1024), 1)
    print('accepted')
except xmlrpc.client.ProtocolError as e:
    print('refused', e.errcode)
print('then', s.add(2, 3))
"#;

#[test]
fn a_ten_megabyte_xml_rpc_call_is_refused_and_the_next_one_works() {
    let mut server = start_server(&[]);
    let port = server.socket_addr().port().to_string();
    let done = run_python(BIG_XML_RPC, &[&port], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["refused 413", "then 5"]);
    assert_still_serves(&mut server);
}

#[test]
fn the_body_limit_is_configurable() {
    let server = start_server(&["--max-body", "100"]);
    let small = r#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#;
    assert_eq!(post_json(&server, small).json()["result"], 3);
    let large = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}}{}"#,
        " ".repeat(100)
    );
    assert_eq!(post_json(&server, &large).status, 413);
}

#[test]
fn a_too_large_websocket_message_is_refused_and_the_server_keeps_serving() {
    let mut server = start_server(&["--max-body", "1000"]);
    let url = format!("ws://{}/", server.addr());
    runtime().block_on(async move {
        use futures::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("a WebSocket connection");
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2],"pad":"{}"}}"#,
            "x".repeat(5000)
        );
        let _ = ws.send(Message::text(big)).await;
        // Either an error reply or the connection closed; never a result.
        match tokio::time::timeout(timeout(), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                assert!(text.contains("-32007"), "{text}");
            }
            Ok(_) => {}
            Err(_) => panic!("the server neither answered nor closed"),
        }
    });
    assert_still_serves(&mut server);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let mut server = start_server(&["--header-timeout", "1"]);
    let mut slow = Http::connect(&server);
    slow.send(format!("POST / HTTP/1.1\r\nHost: {}\r\nContent-Ty", server.addr()).as_bytes());
    // Meanwhile, everyone else is served.
    assert_still_serves(&mut server);
    // The server closes the slow connection (within the test's deadline,
    // which is far longer than --header-timeout 1).
    let _ = slow.rest();
    assert_still_serves(&mut server);
}

#[test]
fn a_silent_connection_is_closed_after_the_header_timeout() {
    let server = start_server(&["--header-timeout", "1"]);
    let mut silent = Http::connect(&server);
    assert!(silent.rest().is_empty());
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_refused_with_408() {
    let mut server = start_server(&["--timeout", "1"]);
    let mut slow = Http::connect(&server);
    slow.send(
        format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\"",
            server.addr()
        )
        .as_bytes(),
    );
    let response = slow.response();
    assert_eq!(response.status, 408, "{}", response.body);
    let message = response.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("did not arrive"), "{message}");
    assert_still_serves(&mut server);
}

#[test]
fn a_websocket_that_stops_answering_pings_is_closed() {
    let server = start_server(&["--timeout", "1"]);
    let mut raw = Http::connect(&server);
    // A hand-made WebSocket handshake; after it, the client never reads
    // frames, so it never answers the server's pings.
    raw.send(
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr()
        )
        .as_bytes(),
    );
    let response = raw.response();
    assert_eq!(response.status, 101, "{response:?}");
    // Read (and ignore) the pings until the server gives up on us.
    let mut sink = Vec::new();
    match raw.stream().read_to_end(&mut sink) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server did not close the silent WebSocket: {e}"),
    }
}

#[test]
fn a_client_that_leaves_mid_request_does_not_disturb_the_server() {
    let mut server = start_server(&[]);
    let mut gone = Http::connect(&server);
    gone.send(
        b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"js",
    );
    drop(gone);
    assert_still_serves(&mut server);
}

#[test]
fn garbage_instead_of_http_gets_an_error_and_the_server_keeps_serving() {
    let mut server = start_server(&[]);
    let mut junk = Http::connect(&server);
    junk.send(b"\x00\xff\xfe garbage\r\n\r\n");
    // What HTTP/1.1 asks of a server that cannot parse a request (RFC
    // 9112, 2.2): 400, then the connection closed, which `rest` waits for.
    let answer = String::from_utf8_lossy(&junk.rest()).into_owned();
    let status_line = answer.lines().next().unwrap_or_default();
    let status: Vec<&str> = status_line.splitn(3, ' ').take(2).collect();
    assert_eq!(status, ["HTTP/1.1", "400"], "{answer:?}");
    assert_still_serves(&mut server);
}

#[test]
fn ctrl_c_stops_the_server_cleanly_with_clients_connected() {
    let server = start_server(&[]);
    let url = format!("ws://{}/", server.addr());
    let rt = runtime();
    let ws = rt.block_on(async {
        jsonrpsee_ws_client::WsClientBuilder::default()
            .build(&url)
            .await
            .expect("a WebSocket client")
    });
    let mut keep_alive = Http::connect(&server);
    let reply = keep_alive.post(
        "/",
        "application/json",
        br#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#,
    );
    assert_eq!(reply.json()["result"], 3);
    server.interrupt();
    // Both connections are closed by the server, not left hanging.
    assert!(keep_alive.rest().is_empty());
    let done = server.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    assert!(!done.stderr.contains("panicked"), "stderr: {}", done.stderr);
    rt.block_on(async {
        tokio::time::timeout(timeout(), ws.on_disconnect())
            .await
            .expect("the WebSocket was closed");
    });
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = start_server(&[]);
    server.terminate();
    let done = server.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
}

//! Clients that attack rather than call: a flood of half-sent headers, more
//! connections than the server allows, a body that stops half way, method
//! names made to forge transcript lines or drive the terminal, and a server
//! that sends the same to the client.

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;
use support::testing::hostile::{SLOWLORIS, open_stalled};
use support::testing::{Finished, http_exchange};
use support::{
    Http, assert_still_serves, client, fault_code, post_json, post_xml, server, start_server,
    xml_call,
};

#[test]
fn fifty_slowloris_connections_are_cut_while_calls_are_served() {
    let mut server = start_server(&["--header-timeout", "1", "--quiet"]);
    let mut stalled = open_stalled(server.socket_addr(), 50, SLOWLORIS);
    assert_eq!(stalled.len(), 50, "{} refused at once", stalled.refused);
    // Meanwhile both protocols answer.
    assert_still_serves(&mut server);
    let reply = post_xml(&server, &xml_call("add", &["<int>2</int>", "<int>3</int>"]));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(">5</"), "{}", reply.body);
    // And every half-sent header is closed soon after --header-timeout.
    assert_eq!(stalled.closed_within(Duration::from_secs(5)), 50);
    assert_still_serves(&mut server);
}

#[test]
fn a_connection_over_the_cap_gets_503_with_retry_after() {
    let server = start_server(&["--max-connections", "2", "--quiet"]);
    // Two keep-alive connections, each answered once: both hold a place.
    let call = br#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = Http::connect(&server);
        let reply = conn.post("/", "application/json", call);
        assert_eq!(reply.json()["result"], 3);
        held.push(conn);
    }
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr(),
        call.len()
    );
    let mut third = request.into_bytes();
    third.extend_from_slice(call);
    let reply = http_exchange(server.socket_addr(), &third);
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
    drop(held);
}

#[test]
fn an_xml_rpc_body_that_stops_half_way_gets_408_and_a_fault() {
    let mut server = start_server(&["--timeout", "1", "--quiet"]);
    let mut slow = Http::connect(&server);
    slow.send(
        format!(
            "POST /RPC2 HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nContent-Length: 200\r\n\r\n<?xml",
            server.addr()
        )
        .as_bytes(),
    );
    let reply = slow.response();
    assert_eq!(reply.status, 408, "{}", reply.body);
    assert_eq!(fault_code(&reply.body), Some(-32300), "{}", reply.body);
    assert!(reply.body.contains("did not arrive"), "{}", reply.body);
    assert_still_serves(&mut server);
}

/// Stop the server and return what it printed, every line of it.
fn everything_printed(server: common::testing::Program) -> (String, Finished) {
    server.terminate();
    let done = server.finish();
    let mut stdout = done.consumed.join("\n");
    stdout.push('\n');
    stdout.push_str(&done.stdout.join("\n"));
    (stdout, done)
}

#[test]
fn a_json_rpc_method_name_with_control_characters_is_escaped_in_the_transcript() {
    let mut server = server().spawn_with(&["--listen", "127.0.0.1:0"], |cmd| {
        cmd.env("RUST_LOG", "info");
    });
    server.wait_listening();
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"ad\nd\u001b[31m","params":[1,2]}"#;
    let reply = post_json(&server, call);
    assert_eq!(reply.json()["error"]["code"], -32601, "{}", reply.body);
    let line = server.line_containing("[31m");
    assert!(line.contains(r"ad\nd\x1b[31m"), "{line:?}");
    let (stdout, done) = everything_printed(server);
    assert!(!stdout.contains('\x1b'), "raw ESC on stdout: {stdout:?}");
    assert!(
        !done.stderr.contains('\x1b'),
        "raw ESC on stderr: {:?}",
        done.stderr
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("d\x1b") || l == "d"),
        "a line was forged: {stdout:?}"
    );
}

#[test]
fn an_xml_rpc_method_name_with_control_characters_is_escaped_in_the_transcript() {
    let mut server = start_server(&[]);
    let reply = post_xml(
        &server,
        &xml_call("ad&#10;d&#x202e;", &["<int>1</int>", "<int>2</int>"]),
    );
    assert_eq!(fault_code(&reply.body), Some(-32601), "{}", reply.body);
    let line = server.line_containing("xml-rpc");
    assert!(line.contains(r"ad\nd\u{202e}"), "{line:?}");
    let (stdout, _) = everything_printed(server);
    assert!(!stdout.contains('\u{202e}'), "raw U+202E: {stdout:?}");
}

/// A fake HTTP server that answers every request with `answer(body)` (a
/// content type and a body), on as many connections as come, until the
/// test process ends. Its address.
fn fake_http_server(answer: fn(&str) -> (&'static str, String)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            thread::spawn(move || serve_fake(conn, answer));
        }
    });
    addr
}

fn serve_fake(conn: TcpStream, answer: fn(&str) -> (&'static str, String)) {
    let Ok(writer) = conn.try_clone() else { return };
    let mut writer = writer;
    let mut reader = BufReader::new(conn);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (content_type, reply) = answer(&String::from_utf8_lossy(&body));
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(reply.as_bytes()).is_err()
        {
            return;
        }
    }
}

#[test]
fn a_json_rpc_error_with_control_characters_is_shown_escaped() {
    let addr = fake_http_server(|body| {
        let id = serde_json::from_str::<serde_json::Value>(body)
            .map(|request| request["id"].clone())
            .unwrap_or_default();
        let reply = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": 1, "message": "boom\u{1b}[2J\nerror: forged"},
        });
        ("application/json", reply.to_string())
    });
    let done = client()
        .spawn(&["--connect", &addr, "add", "1", "2"])
        .finish();
    assert!(!done.status.success());
    assert!(!done.stderr.contains('\x1b'), "raw ESC: {:?}", done.stderr);
    assert!(
        done.stderr.contains(r"boom\x1b[2J\nerror: forged"),
        "{:?}",
        done.stderr
    );
    assert_eq!(done.stderr.lines().count(), 1, "{:?}", done.stderr);
}

#[test]
fn an_xml_rpc_fault_with_control_characters_is_shown_escaped() {
    let addr = fake_http_server(|_| {
        let fault = "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>\
            <member><name>faultCode</name><value><int>1</int></value></member>\
            <member><name>faultString</name><value><string>boom\u{1b}[2J&#10;Dividir: 0\
            </string></value></member></struct></value></fault></methodResponse>";
        ("text/xml", fault.to_owned())
    });
    let done = client()
        .spawn(&["--connect", &addr, "--transport", "xml", "15", "10"])
        .finish();
    assert!(done.status.success(), "{}", done.stderr);
    let stdout = done.stdout.join("\n");
    assert!(!stdout.contains('\x1b'), "raw ESC: {stdout:?}");
    assert_eq!(done.stdout.len(), 5, "{stdout}");
    assert_eq!(
        done.stdout[0], r"Somar: error: boom\x1b[2J\nDividir: 0",
        "{stdout}"
    );
}

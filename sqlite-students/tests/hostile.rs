//! Hostile peers: clients that send half a request and wait, too many
//! connections, and peers (a client, a server, another program's rows) whose
//! text tries to write into a log or a terminal.
//!
//! The server tests pass short limits (`--header-timeout 1`, `--timeout 1`)
//! so that each one proves its point within a few seconds.

mod support;

use common::testing::HttpReply;
use common::testing::hostile::{SLOWLORIS, open_stalled};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};
use support::{
    ApiReply as _, Http, client, path_str, python_sql, start_server, start_server_with, tempdir,
};

/// How long a test waits for the server to close what a 1 s limit cuts:
/// the limit, plus room for a loaded machine.
const CUT_WITHIN: Duration = Duration::from_secs(5);

/// Start the server over a fresh database in `dir`, with `flags`.
fn start(dir: &Path, flags: &[&str]) -> common::testing::Program {
    start_server_with(&dir.join("aula.db"), flags)
}

/// Read what the server sends on `conn` until it closes, for at most `within`.
fn read_until_closed(conn: &mut TcpStream, within: Duration) -> Vec<u8> {
    let deadline = Instant::now() + within;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "the server did not close the connection within {within:?}; it sent {:?}",
            String::from_utf8_lossy(&answer)
        );
        conn.set_read_timeout(Some(left))
            .expect("set a read timeout");
        match conn.read(&mut chunk) {
            Ok(0) => return answer,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return answer,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("reading the answer failed: {e}"),
        }
    }
}

#[test]
fn slowloris_connections_are_closed_while_others_are_served() {
    let dir = tempdir();
    let server = start(dir.path(), &["--header-timeout", "1"]);
    let mut stalled = open_stalled(server.socket_addr(), 50, SLOWLORIS);
    assert_eq!(stalled.len(), 50, "{} refused at once", stalled.refused);
    let list = Http::new(&server).get("/alunos");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(stalled.closed_within(CUT_WITHIN), 50);
}

#[test]
fn a_stalled_request_body_is_answered_408_naming_the_timeout() {
    let dir = tempdir();
    let server = start(dir.path(), &["--timeout", "1"]);
    let mut conn = TcpStream::connect(server.socket_addr()).expect("connect");
    // 1000 bytes announced, 10 sent, then silence.
    conn.write_all(
        b"POST /alunos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\nConnection: close\r\n\r\n[{\"nome\":\"",
    )
    .expect("send half a request");
    let answer = read_until_closed(&mut conn, CUT_WITHIN);
    let reply = HttpReply::parse(&answer);
    assert_eq!(reply.status, 408, "{}", reply.body);
    let error = reply.error();
    assert!(
        error.contains("1 s") && error.contains("timeout"),
        "the error should name the timeout: {error:?}"
    );
    assert_eq!(
        Http::new(&server).get("/alunos").json(),
        Value::Array(vec![])
    );
}

#[test]
fn a_silent_connection_is_closed_after_the_header_timeout() {
    let dir = tempdir();
    let server = start(dir.path(), &["--header-timeout", "1"]);
    let started = Instant::now();
    let mut silent = open_stalled(server.socket_addr(), 1, b"");
    assert_eq!(silent.len(), 1);
    assert_eq!(silent.closed_within(CUT_WITHIN), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "closed after {:?}: at once, not after the timeout",
        started.elapsed()
    );
}

#[test]
fn over_the_connection_cap_a_connection_gets_503_with_retry_after() {
    let dir = tempdir();
    let server = start(dir.path(), &["--max-connections", "2"]);
    let addr = server.socket_addr();
    // Two keep-alive connections, each answered once and then held open.
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut conn = TcpStream::connect(addr).expect("connect");
            conn.write_all(b"GET /alunos HTTP/1.1\r\nHost: x\r\n\r\n")
                .expect("send a request");
            conn.set_read_timeout(Some(common::testing::timeout()))
                .expect("set a read timeout");
            let mut head = [0u8; 12];
            conn.read_exact(&mut head).expect("an answer");
            assert_eq!(&head, b"HTTP/1.1 200");
            conn
        })
        .collect();
    let third = common::testing::http_exchange(
        addr,
        b"GET /alunos HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(third.status, 503, "{}", third.body);
    assert!(third.header("retry-after").is_some(), "{:?}", third.headers);
    drop(held);
}

/// The documented largest request body.
const MAX_BODY: usize = 1024 * 1024;

/// The start of a long answer, for a failure message.
fn start_of(text: &str) -> String {
    text.chars().take(300).collect()
}

/// A batch of `n` students as JSON text.
fn batch(n: i64) -> String {
    let students: Vec<Value> = (1..=n)
        .map(|m| support::aluno(&format!("Aluno {m}"), m, 20, 2020, "Cursando"))
        .collect();
    Value::Array(students).to_string()
}

#[test]
fn a_batch_of_6000_students_fits_the_body_limit() {
    let dir = tempdir();
    let server = start(dir.path(), &[]);
    let body = batch(6000);
    assert!(body.len() < MAX_BODY, "{} bytes", body.len());
    let http = Http::new(&server);
    let reply = http.request("POST", "/alunos", Some(&body));
    assert_eq!(reply.status, 201, "{}", start_of(&reply.body));
    assert_eq!(http.count(), 6000);
}

#[test]
fn a_body_over_one_mib_is_refused_413_naming_the_limit() {
    let dir = tempdir();
    let server = start(dir.path(), &[]);
    let body = batch(12_000);
    assert!(body.len() > MAX_BODY, "{} bytes", body.len());
    let http = Http::new(&server);
    let reply = http.request("POST", "/alunos", Some(&body));
    assert_eq!(reply.status, 413, "{}", start_of(&reply.body));
    assert!(reply.error().contains("1048576 bytes"), "{}", reply.body);
    assert_eq!(http.get("/alunos").json(), Value::Array(vec![]));
}

#[test]
fn a_refused_request_cannot_forge_a_log_line() {
    let dir = tempdir();
    let server = start(dir.path(), &[]);
    // An unknown query parameter is refused (400) and logged with its name:
    // here a newline, a forged log line and a colour escape.
    let reply =
        Http::new(&server).get("/alunos?x%0A2099-01-01T00:00:00Z%20WARN%20forged%1B%5B31m=1");
    assert_eq!(reply.status, 400, "{}", reply.body);
    server.terminate();
    let done = server.finish();
    assert!(!done.stderr.contains('\x1b'), "raw ESC: {:?}", done.stderr);
    assert!(
        !done.stderr.lines().any(|l| l.starts_with("2099")),
        "a forged line: {:?}",
        done.stderr
    );
    if support::server().is_default() {
        assert!(
            done.stderr
                .contains(r"x\n2099-01-01T00:00:00Z WARN forged\x1b[31m"),
            "the refusal is logged, escaped: {:?}",
            done.stderr
        );
    }
}

/// A one-shot HTTP server that answers the first request with `status` and
/// the JSON `body`, as a hostile server would; its address.
fn fake_server(status: &str, body: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let status = status.to_owned();
    thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let _ = conn.set_read_timeout(Some(common::testing::timeout()));
        // The client's GET has no body: read up to the end of its head.
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            match conn.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => return,
            }
        }
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = conn.write_all(answer.as_bytes());
    });
    addr
}

/// Run the client's `list` against the server at `addr`.
fn list_from(addr: SocketAddr) -> common::testing::Finished {
    client()
        .spawn(&["--url", &format!("http://{addr}"), "list"])
        .finish()
}

#[test]
fn a_server_error_with_control_characters_is_shown_escaped() {
    let error = "bad\u{1b}[2J\nerror: forged line\u{202e}";
    let addr = fake_server(
        "400 Bad Request",
        serde_json::json!({ "error": error }).to_string(),
    );
    let done = list_from(addr);
    assert_eq!(done.status.code(), Some(1));
    assert!(!done.stderr.contains('\x1b'), "raw ESC: {:?}", done.stderr);
    assert!(!done.stderr.contains('\u{202e}'), "{:?}", done.stderr);
    assert_eq!(
        done.stderr.trim_end(),
        r"error: bad\x1b[2J\nerror: forged line\u{202e}"
    );
}

#[test]
fn a_long_server_error_is_cut() {
    let addr = fake_server(
        "500 Internal Server Error",
        serde_json::json!({ "error": "x".repeat(100_000) }).to_string(),
    );
    let done = list_from(addr);
    assert_eq!(done.status.code(), Some(1));
    let line = done.stderr.trim_end();
    assert_eq!(done.stderr.lines().count(), 1, "{line:?}");
    assert!(line.starts_with("error: "), "{line:?}");
    assert!(line.len() < 400, "{} bytes shown", line.len());
    assert!(line.contains("(100000 bytes)"), "{line:?}");
}

/// A database with one row another program wrote: a name holding ESC, a
/// newline and a right-to-left override (the client refuses to insert such
/// a name, but a file may hold anything).
fn hostile_row_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("aula.db");
    python_sql(
        &db,
        "conn.execute('CREATE TABLE Alunos(Nome TEXT, Matricula REAL, Idade INTEGER, Ingresso INTEGER, Situacao TEXT)')\n\
         conn.execute('INSERT INTO Alunos VALUES (?, 7, 20, 2020, ?)', ('Ana\\x1b[2J\\nforged\\u202etxt', 'Cursando'))\n\
         conn.commit()",
    );
    db
}

/// `name` as the client must show it.
const SHOWN_NAME: &str = r"Ana\x1b[2J\nforged\u{202e}txt";

#[test]
fn a_name_with_control_characters_is_printed_escaped_both_ways() {
    let dir = tempdir();
    let db = hostile_row_db(dir.path());
    let by_file = client().spawn(&["--db", path_str(&db), "list"]).finish();
    assert!(by_file.status.success(), "{}", by_file.stderr);
    let server = start_server(&db);
    let url = format!("http://{}", server.addr());
    let by_http = client().spawn(&["--url", &url, "list"]).finish();
    assert!(by_http.status.success(), "{}", by_http.stderr);
    assert_eq!(by_file.stdout, by_http.stdout, "--db and --url differ");
    let lines = by_file.stdout;
    assert_eq!(lines.len(), 4, "one row, on one line: {lines:?}");
    assert!(
        lines[2].starts_with(&format!("{SHOWN_NAME}  ")),
        "{:?}",
        lines[2]
    );
    // Escaped before the columns are measured: the table stays aligned.
    assert_eq!(lines[1].find("  "), Some(SHOWN_NAME.len()), "{lines:?}");
}

#[test]
fn an_error_quoting_a_name_from_the_data_is_one_escaped_line_both_ways() {
    let dir = tempdir();
    let db = hostile_row_db(dir.path());
    // Matricula 7 is not Bob: the refusal names who it is.
    let args = ["rename", "Bob", "Carl", "--matricula", "7"];
    let by_file = client()
        .spawn(&[&["--db", path_str(&db)][..], &args].concat())
        .finish();
    let server = start_server(&db);
    let url = format!("http://{}", server.addr());
    let by_http = client()
        .spawn(&[&["--url", &url][..], &args].concat())
        .finish();
    for done in [&by_file, &by_http] {
        assert_eq!(done.status.code(), Some(1), "{:?}", done.stdout);
        assert_eq!(
            done.stderr.trim_end(),
            format!(
                "error: the student with matricula 7 is named {SHOWN_NAME}, not Bob; nothing was changed"
            )
        );
    }
}

#[test]
fn json_output_escapes_control_and_invisible_characters() {
    let dir = tempdir();
    let db = hostile_row_db(dir.path());
    let done = client()
        .spawn(&["--db", path_str(&db), "--json", "list"])
        .finish();
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout.len(), 1, "{:?}", done.stdout);
    let line = &done.stdout[0];
    assert!(
        !line.contains(['\x1b', '\n', '\u{202e}']),
        "raw characters in {line:?}"
    );
    let rows: Value = serde_json::from_str(line).expect("still JSON");
    assert_eq!(rows[0]["nome"], "Ana\x1b[2J\nforged\u{202e}txt");
}

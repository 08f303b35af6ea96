//! Hostile clients and servers (issue 11): each is refused within the
//! limits the README documents, costs the server a bounded amount of
//! memory, and cannot write into anybody's log or terminal, while ordinary
//! clients go on being served.

mod support;

use common::testing::{hostile, peak_rss_kib, require, rss_kib, timeout};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;
use support::proto::{self, Message, code};
use support::{PASSWORD, Served, USER, Wire, ok, run_client};

/// A login name that, logged as it is, would add a line of its own to the
/// server's log (one that claims a login) and turn the terminal red.
const FORGING_USER: &str =
    "bob\n2099-01-01T00:00:00Z  INFO file_transfer::server: logged in user=root\x1b[31m";

#[test]
fn a_login_name_cannot_forge_a_log_line_or_reach_the_terminal() {
    let mut served = Served::start_adjusted(&[], &[], |cmd| {
        cmd.env("RUST_LOG", "info");
    });
    let mut wire = Wire::connect(&served.addr());
    let peer = wire.local_addr();
    let reply = wire.login(FORGING_USER, PASSWORD);
    assert!(
        matches!(
            reply,
            Message::Error {
                code: code::UNAUTHORIZED,
                ..
            }
        ),
        "{reply:?}"
    );
    wire.closed();
    served.wait_closed(peer);
    let Served { server, root } = served;
    server.terminate();
    let done = server.finish();
    drop(root);
    // Neither the log (stderr) nor the transcript (stdout) has a line the
    // name made up, or a raw control character.
    let lines = done
        .stderr
        .lines()
        .chain(done.consumed.iter().chain(&done.stdout).map(String::as_str));
    for line in lines {
        let forged = line.starts_with("2099-01-01") || line.contains('\x1b');
        assert!(
            !forged,
            "{line:?} was written by the client:\n{}",
            done.stderr
        );
    }
    assert!(
        done.stderr.contains(r"bob\n2099-01-01T00:00:00Z"),
        "the name is not in the log, escaped:\n{}",
        done.stderr
    );
}

#[test]
fn two_thousand_half_sent_login_frames_cost_the_server_under_64_mib() {
    const TEST: &str = "two_thousand_half_sent_login_frames_cost_the_server_under_64_mib";
    if !require(
        TEST,
        support::server().is_default(),
        "it reads our server's memory; FILE_TRANSFER_SERVER replaces it",
    ) {
        return;
    }
    // Room for all of them: this measures what one connection costs, not
    // the cap.
    let mut served = Served::start_with(&[("FT_teste.xlsx", b"x")], &["--max-connections", "2500"]);
    let pid = served.server.pid();
    if !require(
        TEST,
        rss_kib(pid).is_some(),
        "it needs /proc to read memory",
    ) {
        return;
    }
    let here = tempfile::tempdir().expect("tempdir");
    // A first session, so that the runtime's threads and first allocations
    // are in the baseline.
    ok(served.client(here.path(), &["ls"]));
    let before = rss_kib(pid).expect("the server's memory");

    // Each announces an AUTH frame of 60 KiB and sends 12 KiB of it.
    let mut first = vec![proto::kind::AUTH];
    first.extend_from_slice(&(60u32 * 1024).to_be_bytes());
    first.resize(first.len() + 12 * 1024, b'a');
    let stalled = hostile::open_stalled(served.server.socket_addr(), 2000, &first);

    // An ordinary client, arriving after them, is served.
    let listing = ok(served.client(here.path(), &["ls"]));
    assert!(
        listing.iter().any(|l| l.ends_with("FT_teste.xlsx")),
        "{listing:?}"
    );
    let peak = peak_rss_kib(pid).expect("the server's peak memory");
    drop(stalled);
    let grew = peak.saturating_sub(before);
    assert!(
        grew < 64 * 1024,
        "2000 half-sent login frames took the server from {before} KiB to a peak of {peak} KiB"
    );
    served.server.assert_running();
}

#[test]
fn a_login_frame_over_the_login_limit_is_refused_from_its_header() {
    let served = Served::start(&[]);
    let mut wire = Wire::connect(&served.addr());
    // 60 KiB announced, nothing of it sent: the answer must not wait for it.
    wire.send_raw(&[proto::kind::AUTH, 0, 0, 0xf0, 0]);
    let (code, message) = wire.error();
    let says_why = message.contains("limit") && message.contains("login");
    assert!(code == code::BAD_REQUEST && says_why, "{code} {message}");
    wire.closed();
}

#[test]
fn a_login_trickled_past_the_timeout_is_cut_and_others_are_served() {
    // Each frame of this login arrives well within --timeout 2 of the
    // previous one, but the whole login would take about 3 s.
    let served = Served::start_with(&[("FT_teste.xlsx", b"x")], &["--timeout", "2"]);
    let mut wire = Wire::connect(&served.addr());
    let client_nonce = [42u8; 32];
    let auth_frame = Message::Auth {
        user: USER.into(),
        nonce: client_nonce,
    }
    .encode();
    wire.send_raw(&auth_frame[..10]);
    thread::sleep(Duration::from_millis(1200));
    wire.send_raw(&auth_frame[10..]);
    let (iterations, salt) = match wire.message() {
        Message::Challenge { iterations, salt } => (iterations, salt),
        other => panic!("expected CHALLENGE, got {other:?}"),
    };
    let message = proto::auth_message(USER, &client_nonce, &wire.server_nonce(), iterations, &salt);
    let (proof, _) = proto::client_proof(PASSWORD, &salt, iterations, &message);
    let proof_frame = Message::Proof { proof }.encode();
    wire.send_raw(&proof_frame[..10]);
    // Wait for the server to cut the login; if it has not after 1.6 s more
    // (2.8 s in all), finish the proof, and see whether it lets us in.
    let stream = wire.stream();
    stream
        .set_read_timeout(Some(Duration::from_millis(1600)))
        .expect("set a read timeout");
    match stream.peek(&mut [0u8; 1]) {
        Ok(_) => {}
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            let _ = stream.write_all(&proof_frame[10..]);
        }
        Err(e) => panic!("the connection failed: {e}"),
    }
    stream
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    let reply = wire.message();
    assert!(
        matches!(
            reply,
            Message::Error {
                code: code::TIMEOUT,
                ..
            }
        ),
        "a login spread over 3 s was not cut at --timeout 2: {reply:?}"
    );
    wire.closed();
    let mut other = served.wire();
    assert_eq!(other.get("FT_teste.xlsx").expect("served"), b"x");
}

#[test]
fn over_the_connection_cap_a_client_is_told_503_and_closed() {
    let served = Served::start(&["--max-connections", "2"]);
    let addr = served.addr();
    let _one = Wire::connect(&addr);
    let _two = Wire::connect(&addr);
    let mut third = Wire::over(TcpStream::connect(&addr).expect("connect"));
    let (code, message) = third.error();
    assert_eq!(code, code::UNAVAILABLE, "{message}");
    assert!(message.contains("connection limit"), "{message}");
    third.closed();
}

#[test]
fn over_the_connection_cap_a_raw_client_receives_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("teste.xlsx");
    // Sparse and larger than the sockets' buffers: a client that does not
    // read holds its place.
    std::fs::File::create(&source)
        .and_then(|f| f.set_len(256 << 20))
        .expect("a sparse file");
    let server = support::server().start_server(&[
        "--listen",
        "127.0.0.1:0",
        "--raw",
        source.to_str().expect("utf-8"),
        "--max-connections",
        "2",
    ]);
    let addr = server.addr();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = TcpStream::connect(addr).expect("connect");
        conn.set_read_timeout(Some(timeout())).expect("timeout");
        let mut byte = [0u8; 1];
        conn.read_exact(&mut byte)
            .expect("admitted: the file starts");
        held.push(conn);
    }
    let mut third = TcpStream::connect(addr).expect("connect");
    third
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    let mut got = Vec::new();
    match third.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the connection over the cap was not closed: {e}"),
    }
    assert!(
        got.is_empty(),
        "over the cap, the raw client received {} bytes (the slide's client would save them as the file)",
        got.len()
    );
}

/// A fake server on a thread: `play` gets each connection it accepts.
fn fake_server(play: impl FnOnce(Wire) + Send + 'static) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let serving = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        play(Wire::over(stream));
    });
    (addr, serving)
}

#[test]
fn the_client_shows_a_servers_error_with_its_control_characters_escaped() {
    let (addr, serving) = fake_server(|mut peer| {
        peer.send(&Message::Error {
            code: code::UNAVAILABLE,
            message: "busy\x1b[2J\nerror: a line of its own".into(),
        });
        peer.closed();
    });
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&addr, here.path(), &["ls"], PASSWORD);
    serving.join().expect("the fake server");
    support::failed(&done, "busy");
    assert!(!done.stderr.contains('\x1b'), "{:?}", done.stderr);
    assert_eq!(
        done.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "{:?}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains(r"busy\x1b[2J\nerror: a line of its own"),
        "{:?}",
        done.stderr
    );
}

#[test]
fn the_client_lists_a_servers_file_names_with_their_control_characters_escaped() {
    let (addr, serving) = fake_server(|mut peer| {
        // A real login (the fake knows the password), then a hostile listing.
        let server_nonce = [7u8; 32];
        peer.send(&Message::Hello {
            protocol: proto::PROTOCOL.into(),
            nonce: server_nonce,
        });
        let Message::Auth { user, nonce } = peer.message() else {
            panic!("expected AUTH")
        };
        let salt = [3u8; 16];
        let keys = proto::Keys::derive(PASSWORD, &salt, 4096);
        peer.send(&Message::Challenge {
            iterations: 4096,
            salt: salt.to_vec(),
        });
        let Message::Proof { .. } = peer.message() else {
            panic!("expected PROOF")
        };
        let message = proto::auth_message(&user, &nonce, &server_nonce, 4096, &salt);
        peer.send(&Message::Welcome {
            signature: proto::server_signature(&keys.server_key, &message),
        });
        assert_eq!(peer.message(), Message::List);
        peer.send(&Message::Entry {
            name: "nota\x1b]0;pwned\x07\n         1  2099-01-01 00:00  forjado".into(),
            size: 1,
            modified: 0,
        });
        peer.send(&Message::End);
        peer.closed();
    });
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&addr, here.path(), &["ls"], PASSWORD);
    serving.join().expect("the fake server");
    let listing = ok(done);
    assert_eq!(listing.len(), 1, "{listing:?}");
    assert!(
        !listing[0].contains('\x1b') && !listing[0].contains('\x07'),
        "{listing:?}"
    );
    assert!(
        listing[0].ends_with(r"nota\x1b]0;pwned\x07\n         1  2099-01-01 00:00  forjado"),
        "{listing:?}"
    );
}

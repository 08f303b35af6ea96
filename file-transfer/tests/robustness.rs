//! Clients that break, lie or attack: each gets a clear refusal, nothing the
//! server holds is lost or half-written, and the server keeps serving others.

mod support;

use std::time::Duration;
use support::proto::{Incoming, Message, code};
use support::{Served, Wire, content, sha256, stored};

const OLD: &[u8] = b"the old version, which must survive";

/// Start a 1 MB upload of `name`, send `sent` bytes of it, and return the
/// connection (still open).
fn half_upload(served: &Served, name: &str, sent: usize, resume: bool) -> (Wire, Vec<u8>) {
    let data = content(1024 * 1024, 9);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: name.into(),
        size: data.len() as u64,
        resume,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&data[..sent], 64 * 1024);
    (wire, data)
}

#[track_caller]
fn assert_still_serves(served: &Served) {
    let mut wire = served.wire();
    assert_eq!(wire.get("FT_teste.xlsx").expect("still served"), OLD);
}

#[test]
fn a_client_gone_mid_upload_leaves_the_old_file_and_no_temporary_file() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let (wire, _) = half_upload(&served, "FT_teste.xlsx", 300_000, false);
    let peer = wire.local_addr();
    drop(wire);
    served.wait_closed(peer);
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_eq!(served.names(), ["FT_teste.xlsx"]);
    assert_still_serves(&served);
}

#[test]
fn a_connection_reset_mid_upload_leaves_nothing_behind() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let (mut wire, _) = half_upload(&served, "FT_teste.xlsx", 200_000, false);
    let peer = wire.local_addr();
    // Linger 0: closing sends a reset (RST), as a killed process's kernel may.
    let socket = socket2::SockRef::from(&*wire.stream());
    socket.set_linger(Some(Duration::ZERO)).expect("set linger");
    drop(wire);
    served.wait_closed(peer);
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_still_serves(&served);
}

#[test]
fn a_killed_client_process_leaves_the_old_file_and_no_temporary_file() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    // Large and sparse, so the upload is still running when it is killed.
    let big = std::fs::File::create(here.path().join("grande.bin")).expect("create");
    big.set_len(1 << 30).expect("a sparse 1 GiB file");
    let client = served.spawn_client(here.path(), &["put", "grande.bin", "FT_teste.xlsx"]);
    served.server.line_containing("receiving FT_teste.xlsx");
    drop(client); // SIGKILL
    served.server.line_containing("Conexão fechada:");
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_still_serves(&served);
}

#[test]
fn a_download_under_way_when_an_upload_replaces_the_file_gets_the_old_file_whole() {
    // Larger than what the sockets and the server's queue hold, so the
    // server is still reading the old file when the new one takes its name.
    let old = content(16 * 1024 * 1024, 0x01);
    let new = content(16 * 1024 * 1024, 0x02);
    let served = Served::start_with(&[("FT_teste.xlsx", &old)], &[]);
    let mut reader = served.wire();
    reader.send(&Message::Get {
        name: "FT_teste.xlsx".into(),
        offset: 0,
        prefix: [0; 32],
    });
    let Message::File { size, digest, .. } = reader.message() else {
        panic!("expected FILE")
    };
    assert_eq!((size, digest), (old.len() as u64, sha256(&old)));
    let mut got = Vec::new();
    match reader.recv() {
        Some(Incoming::Data(chunk)) => got.extend_from_slice(&chunk),
        other => panic!("expected data, got {other:?}"),
    }
    // The download has begun; an upload of the same name completes.
    stored(served.wire().put("FT_teste.xlsx", &new));
    while got.len() < old.len() {
        match reader.recv() {
            Some(Incoming::Data(chunk)) => got.extend_from_slice(&chunk),
            other => panic!("expected data, got {other:?}"),
        }
    }
    assert!(
        got == old,
        "the download under way is not the old file whole"
    );
    // A download that starts after the upload gets the new file.
    assert!(reader.get("FT_teste.xlsx").expect("the new file") == new);
}

#[test]
fn a_digest_mismatch_is_refused_and_nothing_changes() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let mut wire = served.wire();
    let data = content(100_000, 1);
    let mut corrupted = data.clone();
    corrupted[50_000] ^= 1;
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: data.len() as u64,
        resume: false,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&corrupted, 16 * 1024);
    // The trailer carries the digest of the file the client meant to send.
    wire.send(&Message::Trailer {
        digest: sha256(&data),
    });
    let (code, message) = wire.error();
    assert_eq!(code, code::DIGEST_MISMATCH, "{message}");
    assert!(message.contains("digest mismatch"), "{message}");
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    // The stream is still in step: the same connection goes on.
    stored(wire.put("FT_teste.xlsx", &data));
    assert!(served.read("FT_teste.xlsx") == data);
}

#[test]
fn traversal_and_absolute_paths_are_refused_for_get_and_put() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret"), b"s").expect("write");
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let escape = format!(
        "../{}/secret",
        outside.path().file_name().expect("name").to_string_lossy()
    );
    let absolute = outside.path().join("secret").to_string_lossy().into_owned();
    let mut wire = served.wire();
    for name in [escape.as_str(), absolute.as_str(), "..", "a/b", "..\\x"] {
        let (code, message) = wire.get(name).expect_err(name);
        assert_eq!(code, code::FORBIDDEN, "{name}: {message}");
        let Message::Error { code, message } = wire.put(name, b"x") else {
            panic!("{name} was accepted for upload")
        };
        assert_eq!(code, code::FORBIDDEN, "{name}: {message}");
    }
    assert_eq!(
        std::fs::read(outside.path().join("secret")).expect("read"),
        b"s"
    );
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("list").count(),
        1,
        "something was written outside the root"
    );
    assert_still_serves(&served);
}

#[test]
fn names_with_nul_or_slash_or_control_characters_are_refused() {
    let served = Served::start(&[]);
    let mut wire = served.wire();
    for name in ["a\0b", "a/b", "/", "linha\nnova", ".escondido", ""] {
        let Message::Error { code, message } = wire.put(name, b"x") else {
            panic!("{name:?} was accepted")
        };
        assert!(
            code == code::BAD_REQUEST || code == code::FORBIDDEN,
            "{name:?}: {code} {message}"
        );
    }
    assert_eq!(served.names(), Vec::<String>::new());
}

#[test]
fn names_that_look_empty_are_refused_with_the_reason() {
    let served = Served::start(&[]);
    let mut wire = served.wire();
    for name in [" ", "   ", "\u{200b}", " \u{feff}\u{2060} "] {
        let Message::Error { code, message } = wire.put(name, b"x") else {
            panic!("{name:?} was accepted")
        };
        assert_eq!(code, code::BAD_REQUEST, "{name:?}: {message}");
        assert!(message.contains("looks empty"), "{name:?}: {message}");
    }
    assert_eq!(served.names(), Vec::<String>::new());
}

#[test]
fn names_with_invisible_or_reordering_characters_are_refused_with_the_reason() {
    let served = Served::start(&[]);
    let mut wire = served.wire();
    for (name, shown) in [
        // Shown as "fotosexe.jpg": the override reverses what follows.
        ("fotos\u{202e}gpj.exe", "U+202E"),
        ("nota\u{200b}.txt", "U+200B"),
        ("\u{feff}nota.txt", "U+FEFF"),
        ("a\u{200d}b", "U+200D"),
        ("a\u{2066}b", "U+2066"),
    ] {
        let Message::Error { code, message } = wire.put(name, b"x") else {
            panic!("{name:?} was accepted")
        };
        assert_eq!(code, code::BAD_REQUEST, "{name:?}: {message}");
        assert!(
            message.contains(shown) && message.contains("invisible"),
            "{name:?}: {message}"
        );
    }
    assert_eq!(served.names(), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_link_to_a_hidden_file_inside_the_root_is_refused_for_what_it_is() {
    let served = Served::start_with(&[(".escondido", b"s"), ("FT_teste.xlsx", OLD)], &[]);
    std::os::unix::fs::symlink(".escondido", served.path("atalho")).expect("symlink");
    let mut wire = served.wire();
    let (code, message) = wire.get("atalho").expect_err("a link to a hidden file");
    assert_eq!(code, code::FORBIDDEN, "{message}");
    assert!(
        message.contains("hidden") && !message.contains("outside"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_that_lead_out_are_refused_and_those_inside_are_followed() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret"), b"s").expect("write");
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    std::os::unix::fs::symlink(outside.path().join("secret"), served.path("fuga"))
        .expect("symlink");
    std::os::unix::fs::symlink("FT_teste.xlsx", served.path("atalho")).expect("symlink");
    let mut wire = served.wire();
    let (code, message) = wire.get("fuga").expect_err("a link outside");
    assert_eq!(code, code::FORBIDDEN, "{message}");
    let Message::Error { code, .. } = wire.put("fuga", b"overwrite") else {
        panic!("an upload went through a link")
    };
    assert_eq!(code, code::FORBIDDEN);
    assert_eq!(
        std::fs::read(outside.path().join("secret")).expect("read"),
        b"s"
    );
    assert_eq!(wire.get("atalho").expect("a link inside"), OLD);
}

#[test]
fn a_trailer_before_all_the_data_is_refused_and_nothing_changes() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let mut wire = served.wire();
    let data = content(100_000, 2);
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: data.len() as u64,
        resume: false,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&data[..60_000], 16 * 1024);
    wire.send(&Message::Trailer {
        digest: sha256(&data),
    });
    let (code, message) = wire.error();
    assert_eq!(code, code::BAD_REQUEST, "{message}");
    assert!(
        message.contains("TRAILER after 60000 of the 100000 bytes"),
        "{message}"
    );
    wire.closed();
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_still_serves(&served);
}

#[test]
fn all_the_data_without_its_trailer_stores_nothing() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let data = content(100_000, 3);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: data.len() as u64,
        resume: false,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&data, 16 * 1024);
    let peer = wire.local_addr();
    drop(wire);
    served.wait_closed(peer);
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_still_serves(&served);
}

#[test]
fn a_header_claiming_2_pow_63_bytes_is_refused_before_anything_is_written() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: 1 << 63,
        resume: false,
    });
    let (code, message) = wire.error();
    assert!(
        code == code::TOO_LARGE || code == code::NO_SPACE,
        "{code} {message}"
    );
    assert!(message.contains("9223372036854775808"), "{message}");
    assert_eq!(served.hidden(), Vec::<String>::new());
    // The connection goes on.
    stored(wire.put("outro.txt", b"ok"));
}

#[test]
fn more_data_than_announced_is_refused() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: 10,
        resume: false,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(b"0123456789ABC", 13);
    let (code, message) = wire.error();
    assert_eq!(code, code::BAD_REQUEST, "{message}");
    wire.closed();
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
    assert_still_serves(&served);
}

#[test]
fn garbage_and_unknown_frames_are_refused_and_the_server_keeps_serving() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    for garbage in [
        &b"GET /FT_teste.xlsx HTTP/1.1\r\n\r\n"[..],
        &[b'x', 0, 0, 0, 0],
    ] {
        let mut wire = served.wire();
        wire.send_raw(garbage);
        let (code, message) = wire.error();
        assert_eq!(code, code::BAD_REQUEST, "{message}");
        wire.closed();
    }
    assert_still_serves(&served);
}

#[test]
fn a_frame_announcing_4_gb_is_refused_at_once() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let mut wire = served.wire();
    wire.send_raw(&[b'U', 0xff, 0xff, 0xff, 0xff]);
    let (code, message) = wire.error();
    assert_eq!(code, code::BAD_REQUEST, "{message}");
    assert_still_serves(&served);
}

#[test]
fn a_silent_client_is_timed_out_while_others_are_served() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &["--timeout", "1"]);
    let mut silent = Wire::connect(&served.addr());
    // Meanwhile another client works normally.
    assert_still_serves(&served);
    let (code, message) = silent.error();
    assert_eq!(code, code::TIMEOUT, "{message}");
    assert!(message.contains("timed out"), "{message}");
    silent.closed();
    assert_still_serves(&served);
}

#[test]
fn a_client_that_stops_mid_upload_is_timed_out_and_its_file_removed() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", OLD)], &["--timeout", "1"]);
    let (mut wire, _) = half_upload(&served, "FT_teste.xlsx", 100_000, false);
    let peer = wire.local_addr();
    let (code, _) = wire.error();
    assert_eq!(code, code::TIMEOUT);
    served.wait_closed(peer);
    assert_eq!(served.hidden(), Vec::<String>::new());
    assert_eq!(served.read("FT_teste.xlsx"), OLD);
}

#[test]
fn the_client_gives_up_on_a_silent_server() {
    // Accepts connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("addr").to_string();
    let here = tempfile::tempdir().expect("tempdir");
    let done = support::run_client(&addr, here.path(), &["--timeout", "1", "ls"], "x");
    support::failed(&done, "no greeting within 1 s");
    drop(silent);
}

#[test]
fn two_uploads_of_one_name_at_once_each_land_whole() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let a = content(600_000, 0xa);
    let b = content(700_000, 0xb);
    let mut first = served.wire();
    let mut second = served.wire();
    for (wire, data) in [(&mut first, &a), (&mut second, &b)] {
        wire.send(&Message::Put {
            name: "FT_teste.xlsx".into(),
            size: data.len() as u64,
            resume: false,
        });
        assert_eq!(wire.message(), Message::Ready { offset: 0 });
    }
    // Interleave their chunks.
    for (x, y) in a.chunks(50_000).zip(b.chunks(50_000)) {
        first.send_data(x, x.len());
        second.send_data(y, y.len());
    }
    second.send_data(&b[a.len()..], 50_000);
    first.send(&Message::Trailer { digest: sha256(&a) });
    second.send(&Message::Trailer { digest: sha256(&b) });
    stored(first.message());
    stored(second.message());
    let now = served.read("FT_teste.xlsx");
    let previous = served.read("FT_teste.xlsx.1");
    assert!(
        (now == a && previous == b) || (now == b && previous == a),
        "a mix: {} and {} bytes",
        now.len(),
        previous.len()
    );
    assert_eq!(served.read("FT_teste.xlsx.2"), OLD);
    assert_eq!(served.hidden(), Vec::<String>::new());
}

#[test]
fn a_temporary_file_left_by_a_crash_is_removed_at_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let stale = root.path().join(".ft-upload-0123456789abcdef.tmp");
    std::fs::write(&stale, b"half of a file").expect("write");
    let _server = support::start_server_on(root.path(), &[]);
    assert!(!stale.exists(), "the crash's temporary file is still there");
}

#[test]
fn stopping_the_server_mid_upload_tells_the_client_and_leaves_no_temporary_file() {
    let served = Served::start_with(&[("FT_teste.xlsx", OLD)], &[]);
    let (mut wire, _) = half_upload(&served, "FT_teste.xlsx", 100_000, false);
    served.server.interrupt();
    let (code, message) = wire.error();
    assert_eq!(code, code::UNAVAILABLE, "{message}");
    let Served { server, root } = served;
    let done = server.finish();
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        std::fs::read(root.path().join("FT_teste.xlsx")).expect("read"),
        OLD
    );
    let left: Vec<_> = std::fs::read_dir(root.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn a_data_frame_out_of_turn_is_refused() {
    let served = Served::start(&[]);
    let mut wire = served.wire();
    wire.send_data(b"unasked", 7);
    match wire.recv() {
        Some(Incoming::Message(Message::Error { code, .. })) => assert_eq!(code, code::BAD_REQUEST),
        other => panic!("expected ERROR, got {other:?}"),
    }
}

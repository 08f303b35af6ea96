//! Broken transfers resume with `--resume` instead of starting over.

mod support;

use support::proto::{Message, code};
use support::{
    PASSWORD, Served, content, cutting_relay, cutting_upload_relay, ok, run_client, sha256,
};

#[test]
fn a_broken_download_says_so_keeps_the_part_and_resumes() {
    let data = content(3 * 1024 * 1024, 7);
    let served = Served::start_with(&[("grande.bin", &data)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let (relay, relaying) = cutting_relay(&served.addr(), 1_000_000);
    let done = run_client(&relay, here.path(), &["get", "grande.bin"], PASSWORD);
    relaying.join().expect("the relay");
    support::failed(&done, "--resume");
    assert!(
        done.stderr.contains("the transfer broke after"),
        "{}",
        done.stderr
    );
    assert!(
        !here.path().join("grande.bin").exists(),
        "a cut file under the real name"
    );
    let part = std::fs::metadata(here.path().join("grande.bin.part")).expect("the part");
    assert!(part.len() > 0 && part.len() < data.len() as u64);

    let lines = ok(served.client(here.path(), &["get", "--resume", "grande.bin"]));
    assert!(
        lines[0].ends_with(&format!("(resumed at byte {})", part.len())),
        "{lines:?}"
    );
    assert!(std::fs::read(here.path().join("grande.bin")).expect("read") == data);
    assert!(!here.path().join("grande.bin.part").exists());
}

#[test]
fn a_part_that_is_not_a_prefix_of_the_file_is_downloaded_again() {
    let data = content(200_000, 1);
    let served = Served::start_with(&[("a.bin", &data)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("a.bin.part"), content(50_000, 2)).expect("write");
    let lines = ok(served.client(here.path(), &["get", "--resume", "a.bin"]));
    assert!(!lines[0].contains("resumed"), "{lines:?}");
    assert!(std::fs::read(here.path().join("a.bin")).expect("read") == data);
}

#[test]
fn without_resume_a_download_starts_over() {
    let data = content(200_000, 1);
    let served = Served::start_with(&[("a.bin", &data)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("a.bin.part"), &data[..1000]).expect("write");
    let lines = ok(served.client(here.path(), &["get", "a.bin"]));
    assert!(!lines[0].contains("resumed"), "{lines:?}");
    assert!(std::fs::read(here.path().join("a.bin")).expect("read") == data);
}

#[test]
fn a_broken_resumable_upload_continues_where_it_stopped() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", b"old")], &[]);
    let data = content(1024 * 1024, 3);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: data.len() as u64,
        resume: true,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&data[..300_000], 100_000);
    let peer = wire.local_addr();
    drop(wire);
    served.wait_closed(peer);
    assert_eq!(
        served.read("FT_teste.xlsx"),
        b"old",
        "a partial upload replaced the file"
    );

    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("novo.xlsx"), &data).expect("write");
    let lines = ok(served.client(
        here.path(),
        &["put", "--resume", "novo.xlsx", "FT_teste.xlsx"],
    ));
    assert!(lines[0].contains("(resumed at byte 300000)"), "{lines:?}");
    assert!(served.read("FT_teste.xlsx") == data);
    assert_eq!(served.read("FT_teste.xlsx.1"), b"old");
    assert_eq!(served.hidden(), Vec::<String>::new());
}

#[test]
fn a_resumed_upload_of_other_content_fails_its_trailer_and_starts_over() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", b"old")], &[]);
    let first = content(1024 * 1024, 5);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: first.len() as u64,
        resume: true,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 0 });
    wire.send_data(&first[..300_000], 100_000);
    let peer = wire.local_addr();
    drop(wire);
    served.wait_closed(peer);

    // Other content of the same size: the server cannot tell before the
    // trailer, resumes, and the trailer does not match the bytes it holds.
    let other = content(1024 * 1024, 6);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: "FT_teste.xlsx".into(),
        size: other.len() as u64,
        resume: true,
    });
    assert_eq!(wire.message(), Message::Ready { offset: 300_000 });
    wire.send_data(&other[300_000..], 100_000);
    wire.send(&Message::Trailer {
        digest: sha256(&other),
    });
    let (code, message) = wire.error();
    assert_eq!(code, code::DIGEST_MISMATCH, "{message}");
    assert_eq!(served.read("FT_teste.xlsx"), b"old");
    assert_eq!(served.hidden(), Vec::<String>::new());

    // The partial went with the mismatch: the next attempt starts at 0.
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("novo.xlsx"), &other).expect("write");
    let lines = ok(served.client(
        here.path(),
        &["put", "--resume", "novo.xlsx", "FT_teste.xlsx"],
    ));
    assert!(!lines[0].contains("resumed"), "{lines:?}");
    assert!(served.read("FT_teste.xlsx") == other);
}

#[test]
fn a_resumable_upload_with_nothing_to_resume_starts_at_zero() {
    let served = Served::start(&[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("a.txt"), b"abc").expect("write");
    let lines = ok(served.client(here.path(), &["put", "--resume", "a.txt"]));
    assert!(!lines[0].contains("resumed"), "{lines:?}");
    assert_eq!(served.read("a.txt"), b"abc");
    assert_eq!(served.hidden(), Vec::<String>::new());
}

#[test]
fn a_broken_plain_upload_says_that_only_put_resume_continues() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", b"old")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("novo.xlsx"), content(3 * 1024 * 1024, 4)).expect("write");
    let (relay, relaying) = cutting_upload_relay(&served.addr(), 1_000_000);
    let done = run_client(
        &relay,
        here.path(),
        &["put", "novo.xlsx", "FT_teste.xlsx"],
        PASSWORD,
    );
    relaying.join().expect("the relay");
    support::failed(&done, "the upload broke after");
    assert!(
        done.stderr
            .contains("nothing was kept: only an upload started with put --resume can continue"),
        "{}",
        done.stderr
    );
    served.server.line_containing("Conexão fechada:");
    assert_eq!(served.read("FT_teste.xlsx"), b"old");
    assert_eq!(served.hidden(), Vec::<String>::new());
}

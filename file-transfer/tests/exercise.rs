//! The slide's challenge: download FT_teste.xlsx as FT_arquivo_recebido.xlsx,
//! edit it, send it back over FT_teste.xlsx, keeping the old version.

mod support;

use support::{Served, ok, sha256_hex};

const ORIGINAL: &[u8] = include_bytes!("../files/FT_teste.xlsx");

fn received_line() -> String {
    format!(
        "received FT_teste.xlsx as FT_arquivo_recebido.xlsx: {} bytes, sha256 {}",
        ORIGINAL.len(),
        sha256_hex(ORIGINAL)
    )
}

#[test]
fn the_exercise_sends_the_file_back_once_it_is_saved() {
    let served = Served::start_with(&[("FT_teste.xlsx", ORIGINAL)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let mut client = served.spawn_client(here.path(), &["exercise", "--wait", "change"]);
    assert_eq!(client.next_line(), received_line());
    let local = here.path().join("FT_arquivo_recebido.xlsx");
    assert_eq!(std::fs::read(&local).expect("the download"), ORIGINAL);
    // The user's edit.
    let mut edited = ORIGINAL.to_vec();
    edited.extend_from_slice(b"editado");
    std::fs::write(&local, &edited).expect("edit");
    let done = client.finish();
    let lines = ok(done);
    assert_eq!(
        lines,
        [
            format!(
                "FT_arquivo_recebido.xlsx changed: sha256 {}",
                sha256_hex(&edited)
            ),
            format!(
                "stored FT_arquivo_recebido.xlsx as FT_teste.xlsx: {} bytes, sha256 {}; previous version kept as FT_teste.xlsx.1",
                edited.len(),
                sha256_hex(&edited)
            ),
        ]
    );
    assert!(served.read("FT_teste.xlsx") == edited);
    assert!(served.read("FT_teste.xlsx.1") == ORIGINAL);
}

#[test]
fn the_exercise_can_wait_a_fixed_time() {
    let served = Served::start_with(&[("FT_teste.xlsx", ORIGINAL)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = served.client(here.path(), &["exercise", "--wait", "0.1"]);
    assert!(
        done.stderr.contains("sent back unchanged"),
        "{}",
        done.stderr
    );
    let lines = ok(done);
    assert_eq!(lines[0], received_line());
    assert!(
        lines[1].ends_with("previous version kept as FT_teste.xlsx.1"),
        "{lines:?}"
    );
    assert!(served.read("FT_teste.xlsx") == ORIGINAL);
    assert!(served.read("FT_teste.xlsx.1") == ORIGINAL);
}

#[test]
fn the_exercise_can_wait_for_enter() {
    let served = Served::start_with(&[("FT_teste.xlsx", ORIGINAL)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let mut client = served.spawn_client(here.path(), &["exercise", "--wait", "enter"]);
    assert_eq!(client.next_line(), received_line());
    std::fs::write(here.path().join("FT_arquivo_recebido.xlsx"), b"nova").expect("edit");
    client.write_line("");
    let lines = ok(client.finish());
    assert!(
        lines[0].starts_with("stored FT_arquivo_recebido.xlsx as FT_teste.xlsx: 4 bytes"),
        "{lines:?}"
    );
    assert_eq!(served.read("FT_teste.xlsx"), b"nova");
}

#[test]
fn the_exercise_takes_other_names() {
    let served = Served::start_with(&[("planilha.xlsx", b"v1")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(served.client(
        here.path(),
        &[
            "exercise",
            "--wait",
            "0",
            "--remote",
            "planilha.xlsx",
            "--local",
            "copia.xlsx",
        ],
    ));
    assert!(
        lines[0].starts_with("received planilha.xlsx as copia.xlsx"),
        "{lines:?}"
    );
    assert_eq!(served.read("planilha.xlsx.1"), b"v1");
}

#[test]
fn the_exercise_without_the_file_on_the_server_fails_clearly() {
    let served = Served::start(&[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = served.client(here.path(), &["exercise", "--wait", "0"]);
    support::failed(&done, "no file named \"FT_teste.xlsx\"");
}

#[test]
fn waiting_for_a_change_gives_up_after_max_wait() {
    let served = Served::start_with(&[("FT_teste.xlsx", ORIGINAL)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = served.client(
        here.path(),
        &["exercise", "--wait", "change", "--max-wait", "0.5"],
    );
    support::failed(
        &done,
        "FT_arquivo_recebido.xlsx did not change within 0.5 s (--max-wait); nothing was sent",
    );
    assert_eq!(done.stdout, [received_line()]);
    assert!(served.read("FT_teste.xlsx") == ORIGINAL);
    assert_eq!(served.names(), ["FT_teste.xlsx"]);
}

//! The client's subcommands against the server: list, download, upload,
//! versions, empty files, several clients at once, use from a pipe.

mod support;

use support::{Served, content, ok, sha256_hex};

#[test]
fn ls_lists_the_served_files_with_their_sizes() {
    let served = Served::start_with(&[("FT_teste.xlsx", b"12345"), ("notas.csv", b"a,b\n")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(served.client(here.path(), &["ls"]));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].trim_start().starts_with("5 ") && lines[0].ends_with("  FT_teste.xlsx"));
    assert!(lines[1].trim_start().starts_with("4 ") && lines[1].ends_with("  notas.csv"));
}

#[test]
fn get_downloads_the_file_intact_and_prints_its_digest() {
    let data = content(3 * 1024 * 1024 + 7, 1);
    let served = Served::start_with(&[("FT_teste.xlsx", &data)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(served.client(
        here.path(),
        &["get", "FT_teste.xlsx", "FT_arquivo_recebido.xlsx"],
    ));
    assert_eq!(
        lines,
        [format!(
            "received FT_teste.xlsx as FT_arquivo_recebido.xlsx: {} bytes, sha256 {}",
            data.len(),
            sha256_hex(&data)
        )]
    );
    let got = std::fs::read(here.path().join("FT_arquivo_recebido.xlsx")).expect("the download");
    assert!(got == data, "the downloaded file differs");
    assert!(
        !here.path().join("FT_arquivo_recebido.xlsx.part").exists(),
        "the .part file was left behind"
    );
}

#[test]
fn get_without_dest_saves_under_the_same_name() {
    let served = Served::start_with(&[("relatório final.txt", b"conteudo")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    ok(served.client(here.path(), &["get", "relatório final.txt"]));
    assert_eq!(
        std::fs::read(here.path().join("relatório final.txt")).expect("the download"),
        b"conteudo"
    );
}

#[test]
fn put_replaces_the_file_and_keeps_the_previous_version() {
    let mut served = Served::start_with(&[("FT_teste.xlsx", b"version 1")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("FT_arquivo_recebido.xlsx"), b"version 2").expect("write");
    let lines = ok(served.client(
        here.path(),
        &["put", "FT_arquivo_recebido.xlsx", "FT_teste.xlsx"],
    ));
    assert_eq!(
        lines,
        [format!(
            "stored FT_arquivo_recebido.xlsx as FT_teste.xlsx: 9 bytes, sha256 {}; previous version kept as FT_teste.xlsx.1",
            sha256_hex(b"version 2")
        )]
    );
    assert_eq!(served.read("FT_teste.xlsx"), b"version 2");
    assert_eq!(served.read("FT_teste.xlsx.1"), b"version 1");
    served
        .server
        .line_containing("receiving FT_teste.xlsx (9 bytes)");
    served
        .server
        .line_containing("stored FT_teste.xlsx (9 bytes");
}

#[test]
fn put_without_name_uses_the_files_own_name() {
    let served = Served::start(&[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::write(here.path().join("novo.txt"), b"novo").expect("write");
    let lines = ok(served.client(here.path(), &["put", "novo.txt"]));
    assert!(
        lines[0].starts_with("stored novo.txt as novo.txt: 4 bytes"),
        "{lines:?}"
    );
    assert!(
        !lines[0].contains("previous"),
        "nothing was replaced: {lines:?}"
    );
    assert_eq!(served.read("novo.txt"), b"novo");
}

#[test]
fn the_number_of_kept_versions_is_bounded() {
    let served = Served::start(&["--keep-versions", "2"]);
    let mut wire = served.wire();
    for v in 1..=5 {
        support::stored(wire.put("f.txt", format!("v{v}").as_bytes()));
    }
    assert_eq!(served.read("f.txt"), b"v5");
    assert_eq!(served.read("f.txt.1"), b"v4");
    assert_eq!(served.read("f.txt.2"), b"v3");
    assert_eq!(served.names(), ["f.txt", "f.txt.1", "f.txt.2"]);
}

#[test]
fn kept_versions_can_be_downloaded() {
    let served = Served::start(&[]);
    let mut wire = served.wire();
    support::stored(wire.put("f.txt", b"old"));
    support::stored(wire.put("f.txt", b"new"));
    assert_eq!(wire.get("f.txt.1"), Ok(b"old".to_vec()));
}

#[test]
fn an_empty_file_goes_both_ways() {
    let served = Served::start_with(&[("vazio.txt", b"")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(served.client(here.path(), &["get", "vazio.txt", "baixado.txt"]));
    assert_eq!(
        lines,
        [
            "received vazio.txt as baixado.txt: 0 bytes, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ]
    );
    assert_eq!(
        std::fs::read(here.path().join("baixado.txt")).expect("read"),
        b""
    );
    std::fs::write(here.path().join("outro.txt"), b"").expect("write");
    ok(served.client(here.path(), &["put", "outro.txt"]));
    assert_eq!(served.read("outro.txt"), b"");
}

#[test]
fn a_missing_file_is_reported_and_nothing_is_created() {
    let served = Served::start(&[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = served.client(here.path(), &["get", "nada.xlsx"]);
    support::failed(&done, "no file named \"nada.xlsx\"");
    assert_eq!(std::fs::read_dir(here.path()).expect("list").count(), 0);
}

#[test]
fn the_chunk_size_does_not_change_the_result() {
    let data = content(100_003, 2);
    let served = Served::start_with(&[("a.bin", &data)], &["--chunk", "1000"]);
    let here = tempfile::tempdir().expect("tempdir");
    ok(served.client(here.path(), &["get", "a.bin"]));
    assert!(std::fs::read(here.path().join("a.bin")).expect("read") == data);
    ok(served.client(here.path(), &["--chunk", "16K", "put", "a.bin", "b.bin"]));
    assert!(served.read("b.bin") == data);
}

#[test]
fn many_clients_are_served_at_once() {
    let data = content(512 * 1024, 3);
    let served = Served::start_with(&[("comum.bin", &data)], &[]);
    let dirs: Vec<_> = (0..12)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    // Start them all before waiting for any.
    let running: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            if i % 3 == 0 {
                std::fs::write(dir.path().join("meu.bin"), content(1000 + i, 4)).expect("write");
                served.spawn_client(dir.path(), &["put", "meu.bin", &format!("cliente{i}.bin")])
            } else {
                served.spawn_client(dir.path(), &["get", "comum.bin"])
            }
        })
        .collect();
    for (i, program) in running.into_iter().enumerate() {
        ok(program.finish());
        if i % 3 == 0 {
            assert_eq!(
                served.read(&format!("cliente{i}.bin")),
                content(1000 + i, 4)
            );
        } else {
            assert!(std::fs::read(dirs[i].path().join("comum.bin")).expect("read") == data);
        }
    }
}

#[test]
fn from_a_pipe_there_is_no_progress_bar_and_only_results_on_stdout() {
    let data = content(2 * 1024 * 1024, 5);
    let served = Served::start_with(&[("grande.bin", &data)], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = served.client(here.path(), &["get", "grande.bin"]);
    assert_eq!(done.stderr, "", "stderr is not a terminal: nothing to draw");
    assert_eq!(ok(done).len(), 1);
}

#[test]
fn on_a_terminal_a_progress_bar_shows_the_speed_and_the_eta() {
    let has_script = common::testing::has_program("script");
    if !common::testing::require(
        "on_a_terminal_a_progress_bar_shows_the_speed_and_the_eta",
        has_script,
        "needs `script` (util-linux) to run the client on a pseudo-terminal",
    ) {
        return;
    }
    let data = content(64 * 1024 * 1024, 6);
    let served = Served::start_with(&[("grande.bin", &data)], &["--chunk", "16K"]);
    let here = tempfile::tempdir().expect("tempdir");
    let line = format!(
        "{} --connect {} get grande.bin",
        support::client().describe(&[]),
        served.addr()
    );
    // `script` runs the line on a pseudo-terminal and copies what it shows.
    let done = common::testing::Launcher::fixed("script")
        .spawn_with(&["-qfec", &line, "/dev/null"], |cmd| {
            cmd.current_dir(here.path())
                .env("FILE_TRANSFER_PASSWORD", support::PASSWORD);
        })
        .finish();
    assert!(done.status.success(), "{}", done.stderr);
    let shown = done.stdout.join("\n");
    assert!(shown.contains("ETA"), "no progress bar: {shown:?}");
    assert!(shown.contains("/s"), "no speed: {shown:?}");
    assert!(
        shown.contains("received grande.bin as grande.bin"),
        "{shown:?}"
    );
}

#[test]
fn a_server_that_is_not_running_is_one_error_line() {
    let here = tempfile::tempdir().expect("tempdir");
    let addr = support::testing::closed_port().to_string();
    let done = support::run_client(&addr, here.path(), &["ls"], support::PASSWORD);
    support::failed(&done, "cannot connect");
}

#[test]
fn the_server_stops_cleanly_on_sigint_and_sigterm() {
    for stop in [
        common::testing::Program::interrupt,
        common::testing::Program::terminate,
    ] {
        let served = Served::start(&[]);
        let _connected = served.wire();
        stop(&served.server);
        let Served {
            server,
            root: _root,
        } = served;
        let done = server.finish();
        assert!(
            done.status.success(),
            "exit: {} {}",
            done.status,
            done.stderr
        );
    }
}

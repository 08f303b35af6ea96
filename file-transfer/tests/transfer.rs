//! The client's subcommands against the server: list, download, upload,
//! versions, empty files, several clients at once, use from a pipe.

mod support;

use support::proto::{Message, code};
use support::{PASSWORD, Served, USER, content, ok, python_client, sha256_hex, stored};

#[test]
fn a_client_written_from_the_readme_lists_downloads_and_uploads() {
    let served = Served::start_with(&[("FT_teste.xlsx", b"version 1")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let received = here.path().join("recebido.xlsx");
    let edited = here.path().join("editado.xlsx");
    std::fs::write(&edited, b"version 2").expect("write");
    let done = python_client(
        &served.addr(),
        USER,
        PASSWORD,
        &[
            "get",
            "FT_teste.xlsx",
            received.to_str().expect("utf-8"),
            "put",
            edited.to_str().expect("utf-8"),
            "FT_teste.xlsx",
            "ls",
        ],
    );
    assert!(done.status.success(), "{}", done.stderr);
    let modified = |name: &str| {
        std::fs::metadata(served.path(name))
            .and_then(|m| m.modified())
            .expect("mtime")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
    };
    assert_eq!(
        done.stdout,
        [
            "welcome".to_owned(),
            format!("received\tFT_teste.xlsx\t9\t{}", sha256_hex(b"version 1")),
            format!(
                "stored\tFT_teste.xlsx\t9\t{}\tFT_teste.xlsx.1",
                sha256_hex(b"version 2")
            ),
            format!("entry\t9\t{}\tFT_teste.xlsx", modified("FT_teste.xlsx")),
            format!("entry\t9\t{}\tFT_teste.xlsx.1", modified("FT_teste.xlsx.1")),
            "end".to_owned(),
        ]
    );
    assert_eq!(
        std::fs::read(&received).expect("the download"),
        b"version 1"
    );
    assert_eq!(served.read("FT_teste.xlsx"), b"version 2");
    assert_eq!(served.read("FT_teste.xlsx.1"), b"version 1");
}

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
fn get_into_a_directory_saves_the_file_there_under_its_name() {
    let served = Served::start_with(&[("FT_teste.xlsx", b"planilha")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(here.path().join("somedir")).expect("mkdir");
    let lines = ok(served.client(here.path(), &["get", "FT_teste.xlsx", "somedir"]));
    assert_eq!(
        lines,
        [format!(
            "received FT_teste.xlsx as somedir/FT_teste.xlsx: 8 bytes, sha256 {}",
            sha256_hex(b"planilha")
        )]
    );
    assert_eq!(
        std::fs::read(here.path().join("somedir/FT_teste.xlsx")).expect("the download"),
        b"planilha"
    );
    assert_eq!(support::testing::file_names(here.path()), ["somedir"]);
    assert_eq!(
        support::testing::file_names(&here.path().join("somedir")),
        ["FT_teste.xlsx"]
    );
}

#[test]
fn get_into_dot_saves_the_file_in_the_current_directory() {
    let served = Served::start_with(&[("FT_teste.xlsx", b"planilha")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    ok(served.client(here.path(), &["get", "FT_teste.xlsx", "."]));
    assert_eq!(
        std::fs::read(here.path().join("FT_teste.xlsx")).expect("the download"),
        b"planilha"
    );
    assert_eq!(support::testing::file_names(here.path()), ["FT_teste.xlsx"]);
}

#[test]
fn a_download_that_cannot_be_put_in_place_leaves_nothing_behind() {
    let served = Served::start_with(&[("FT_teste.xlsx", b"planilha")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    // The destination holds a directory of that name: cp and scp refuse too.
    std::fs::create_dir_all(here.path().join("somedir/FT_teste.xlsx")).expect("mkdir");
    let done = served.client(here.path(), &["get", "FT_teste.xlsx", "somedir"]);
    support::failed(&done, "somedir/FT_teste.xlsx");
    assert_eq!(
        support::testing::file_names(&here.path().join("somedir")),
        ["FT_teste.xlsx"]
    );
    assert!(here.path().join("somedir/FT_teste.xlsx").is_dir());
    assert_eq!(support::testing::file_names(here.path()), ["somedir"]);
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

/// The longest name an upload may have: room for `.99`, the longest
/// version suffix (`--keep-versions` is at most 99), within the file
/// systems' 255 bytes.
const LONGEST_NAME: usize = 252;

#[test]
fn the_longest_name_allowed_can_be_uploaded_again_and_again() {
    let served = Served::start(&["--keep-versions", "99"]);
    let mut wire = served.wire();
    // The longest name the server accepts, found by trying from 255 bytes
    // (the file systems' limit) down.
    let name = (LONGEST_NAME - 5..=255)
        .rev()
        .map(|len| "n".repeat(len))
        .find(|name| match wire.put(name, b"v1") {
            Message::Stored { .. } => true,
            Message::Error {
                code: code::BAD_REQUEST,
                ..
            } => false,
            other => panic!("a {}-byte name: {other:?}", name.len()),
        })
        .expect("a name the server accepts");
    // Ten more uploads: ten kept versions, up to NAME.10.
    for v in 2..=11 {
        let (_, _, previous) = stored(wire.put(&name, format!("v{v}").as_bytes()));
        assert_eq!(previous, format!("{name}.1"), "upload {v}");
    }
    assert_eq!(name.len(), LONGEST_NAME);
    assert_eq!(served.read(&name), b"v11");
    assert_eq!(wire.get(&format!("{name}.10")), Ok(b"v1".to_vec()));
}

#[test]
fn a_name_one_byte_over_the_limit_is_refused_with_the_reason() {
    let served = Served::start(&[]);
    let name = "n".repeat(LONGEST_NAME + 1);
    let mut wire = served.wire();
    wire.send(&Message::Put {
        name: name.clone(),
        size: 2,
        resume: false,
    });
    let (code, message) = wire.error();
    assert_eq!(code, code::BAD_REQUEST, "{message}");
    assert!(
        message.contains("253 bytes") && message.contains("252") && message.contains(".99"),
        "{message}"
    );
    assert_eq!(served.names(), Vec::<String>::new());
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
fn a_server_that_is_not_running_is_one_error_line_with_each_reason_once() {
    let here = tempfile::tempdir().expect("tempdir");
    let addr = support::testing::closed_port();
    // What this system says of a refused connection.
    let refused = std::net::TcpStream::connect(addr).expect_err("nothing listens there");
    let done = support::run_client(&addr.to_string(), here.path(), &["ls"], PASSWORD);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        format!("error: cannot connect to {addr}: {refused} (is the server running?)\n")
    );
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

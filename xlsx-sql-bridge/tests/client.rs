//! The client as a command: through the front, `--offline`, from a pipe,
//! into a file, and its errors.

mod support;

use common::testing::Launcher;
use support::{Bridge, client, fixtures, run_client, temp_file};

#[test]
fn the_client_uploads_through_the_front_and_prints_the_script() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    let done = run_client(&[path.to_str().expect("UTF-8"), "--url", &bridge.front_url()]);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    let script = done.stdout.join("\n") + "\n";
    let direct = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(
        script, direct.body,
        "the client prints exactly what the front answers"
    );
    assert_eq!(support::inserts(&script).len(), 12);
}

#[test]
fn offline_gives_the_same_script_without_a_server() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    let path = path.to_str().expect("UTF-8");
    let online = run_client(&[
        path,
        "--url",
        &bridge.front_url(),
        "--create-table",
        "--batch",
        "5",
    ]);
    let offline = run_client(&[path, "--offline", "--create-table", "--batch", "5"]);
    assert!(offline.status.success(), "stderr: {}", offline.stderr);
    assert_eq!(online.stdout, offline.stdout);
    assert!(
        offline
            .stdout
            .iter()
            .any(|l| l.starts_with("CREATE TABLE IF NOT EXISTS Table_Animals"))
    );
}

#[test]
fn options_reach_the_converter() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&fixtures::kitchen_sink()));
    let done = run_client(&[
        path.to_str().expect("UTF-8"),
        "--url",
        &bridge.front_url(),
        "--sheet",
        "Dados 2024",
        "--batch",
        "2",
    ]);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(done.stdout.iter().all(|l| !l.contains("Table_Tipos")));
    assert!(
        done.stdout
            .contains(&"INSERT INTO Table_Dados_2024 (Cidade, `População`) VALUES".to_owned()),
        "{:?}",
        done.stdout
    );
}

#[test]
fn a_front_that_is_not_running_is_one_plain_line_and_exit_1() {
    let nobody = common::testing::closed_port();
    // The operating system's own words for a refused connection, said once.
    let refused = std::net::TcpStream::connect(nobody).expect_err("nothing listens there");
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    let done = run_client(&[
        path.to_str().expect("UTF-8"),
        "--url",
        &format!("http://{nobody}"),
    ]);
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        done.stderr,
        format!("error: cannot reach the front at http://{nobody}: {refused}\n")
    );
}

#[test]
fn a_refused_workbook_prints_the_servers_reason_and_exits_1() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("notas.xlsx", b"nome;idade\n");
    let done = run_client(&[path.to_str().expect("UTF-8"), "--url", &bridge.front_url()]);
    assert_eq!(done.status.code(), Some(1));
    let stderr = done.stderr.trim();
    assert!(stderr.starts_with("error: not a workbook"), "{stderr}");
    assert!(stderr.contains("422"), "{stderr}");
}

#[test]
fn a_missing_file_is_a_one_line_error() {
    for extra in [&["--offline"][..], &["--url", "http://127.0.0.1:9"][..]] {
        let mut args = vec!["/no/such/livro.xlsx"];
        args.extend_from_slice(extra);
        let done = run_client(&args);
        assert_eq!(done.status.code(), Some(1));
        let stderr = done.stderr.trim();
        assert!(
            stderr.starts_with("error: ") && stderr.contains("/no/such/livro.xlsx"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn output_is_the_whole_script_or_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let good = dir.path().join("animals.xlsx");
    std::fs::write(&good, fixtures::animals()).expect("write");
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, b"not a workbook").expect("write");
    let out = dir.path().join("script.sql");
    let out_text = out.to_str().expect("UTF-8");

    let done = run_client(&[bad.to_str().expect("UTF-8"), "--offline", "-o", out_text]);
    assert_eq!(done.status.code(), Some(1));
    assert!(!out.exists(), "a failed conversion leaves no file");

    let done = run_client(&[good.to_str().expect("UTF-8"), "--offline", "-o", out_text]);
    assert!(done.status.success(), "stderr: {}", done.stderr);
    let written = std::fs::read_to_string(&out).expect("the script");
    assert_eq!(support::inserts(&written).len(), 12);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file left behind: {names:?}");
}

#[test]
fn the_workbook_can_come_from_a_pipe() {
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    // `client - --offline < animals.xlsx`: the file is the client's stdin.
    let file = std::fs::File::open(&path).expect("the workbook");
    let done = client()
        .spawn_with(&["-", "--offline"], |cmd| {
            cmd.stdin(file);
        })
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(support::inserts(&(done.stdout.join("\n"))).len(), 12);
}

#[test]
fn the_client_repeats_the_scripts_warnings_on_stderr() {
    let bridge = Bridge::start(&[]);
    let sheet = fixtures::uncalculated(3);
    let (_dir, path) = temp_file("notas.xlsx", &fixtures::xlsx(std::slice::from_ref(&sheet)));
    let expected: String = support::uncalculated_warnings(&sheet)
        .iter()
        .map(|w| format!("warning: {w}\n"))
        .collect();
    for mode in [&["--offline"][..], &["--url", &bridge.front_url()][..]] {
        let mut args = vec![path.to_str().expect("UTF-8")];
        args.extend_from_slice(mode);
        let done = run_client(&args);
        assert!(done.status.success(), "{mode:?}: {}", done.stderr);
        assert_eq!(done.stderr, expected, "{mode:?}");
        assert_eq!(support::inserts(&done.stdout.join("\n")).len(), 3);
    }
}

#[test]
fn the_client_shows_200_warnings_then_counts_the_rest() {
    // A server whose script warns 250 times (ours lists at most 100 cells).
    let warnings: Vec<String> = (0..250)
        .map(|i| format!("Folha!A{}: #N/A; written as NULL", i + 2))
        .collect();
    let script: String = warnings
        .iter()
        .map(|w| format!("-- warning: {w}\nSELECT 1;\n"))
        .collect();
    let url = support::fake_front(support::script_answer(&script));
    let (_dir, path) = temp_file("folha.xlsx", &fixtures::animals());
    let done = run_client(&[path.to_str().expect("UTF-8"), "--url", &url]);
    assert!(done.status.success(), "{}", done.stderr);
    let mut expected: String = warnings[..200]
        .iter()
        .map(|w| format!("warning: {w}\n"))
        .collect();
    expected.push_str("warning: 50 more warnings in the script are not shown here\n");
    assert_eq!(done.stderr, expected);
}

#[test]
fn the_client_escapes_the_warnings_it_repeats() {
    let script = "-- warning: Folha!A2: \x1b[2J\u{202e}; written as NULL\nSELECT 1;\n";
    let url = support::fake_front(support::script_answer(script));
    let (_dir, path) = temp_file("folha.xlsx", &fixtures::animals());
    let done = run_client(&[path.to_str().expect("UTF-8"), "--url", &url]);
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        done.stderr,
        "warning: Folha!A2: \\x1b[2J\\u{202e}; written as NULL\n"
    );
}

/// The client reading `book` from its stdin (`-`) with `args`, finished.
fn client_on_stdin(book: &[u8], args: &[&str]) -> common::testing::Finished {
    let (_dir, path) = temp_file("book.xlsx", book);
    let mut all = vec!["-"];
    all.extend_from_slice(args);
    client()
        .spawn_with(&all, |command| {
            command.stdin(std::fs::File::open(&path).expect("the workbook"));
        })
        .finish()
}

#[test]
fn a_workbook_from_stdin_is_named_stdin_in_the_script() {
    let bridge = Bridge::start(&[]);
    for mode in [&["--offline"][..], &["--url", &bridge.front_url()][..]] {
        let done = client_on_stdin(&fixtures::animals(), mode);
        assert!(done.status.success(), "{mode:?}: {}", done.stderr);
        assert_eq!(
            done.stdout.first().map(String::as_str),
            Some("-- MySQL script generated by xlsx-sql-bridge from stdin"),
            "{mode:?}"
        );
    }
}

#[test]
fn the_name_flag_names_a_workbook_from_stdin() {
    let bridge = Bridge::start(&[]);
    for mode in [&["--offline"][..], &["--url", &bridge.front_url()][..]] {
        let mut args = vec!["--name", "Medições 2024.xlsx"];
        args.extend_from_slice(mode);
        let done = client_on_stdin(&fixtures::animals(), &args);
        assert!(done.status.success(), "{mode:?}: {}", done.stderr);
        assert_eq!(
            done.stdout.first().map(String::as_str),
            Some("-- MySQL script generated by xlsx-sql-bridge from Medições 2024.xlsx"),
            "{mode:?}"
        );
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    if !common::testing::require(
        "a_reader_that_stops_early_is_not_an_error",
        common::testing::has_program("bash"),
        "needs bash, for `| head -1` (on Windows, Git Bash on PATH)",
    ) {
        return;
    }
    // `client book.xlsx | head -1`: a script far larger than the pipe holds.
    let rows: Vec<Vec<fixtures::Cell>> = (0..20_000)
        .map(|i| vec![fixtures::n(f64::from(i)), fixtures::t("uma linha de texto")])
        .collect();
    let book = fixtures::xlsx(&[fixtures::Sheet::new("Muitas", &["n", "texto"], rows)]);
    let (_dir, path) = temp_file("muitas.xlsx", &book);
    let command = client().describe(&[path.to_str().expect("UTF-8"), "--offline"]);
    let done = Launcher::fixed("bash")
        .spawn(&["-c", &format!("set -o pipefail; {command} | head -1")])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    assert_eq!(done.stdout.len(), 1);
}

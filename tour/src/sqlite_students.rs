//! sqlite-students: the Alunos exercise on a file and through the HTTP API.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::{Context as _, ensure};
use common::testing::Program;
use std::path::Path;

const EXERCISE: &str = "sqlite-students";
const SERVER: &str = "sqlite-students-server";
const CLIENT: &str = "sqlite-students-client";

pub fn tour(tour: &mut Tour) {
    tour.step(
        EXERCISE,
        "the exercise through the server",
        through_the_server,
    );
    tour.step(
        EXERCISE,
        "the same report straight from a file",
        same_from_a_file,
    );
    tour.step(
        EXERCISE,
        "the two Pedros: rename needs a choice",
        two_pedros,
    );
}

fn path(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("the temporary path is not UTF-8")
}

fn start_server(t: &Tour, db: &Path) -> anyhow::Result<Program> {
    let args = ["--listen", "127.0.0.1:0", "--db", path(db)?];
    command(&format!("{SERVER} {}", args.join(" ")));
    Ok(t.bin(SERVER).start_server(&args))
}

/// Run the client with `args`; its stdout, shown; fails unless it succeeds.
fn client(t: &Tour, args: &[&str]) -> anyhow::Result<Vec<String>> {
    command(&format!("{CLIENT} {}", args.join(" ")));
    let done = t.bin(CLIENT).spawn(args).finish();
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    Ok(done.stdout)
}

fn has(lines: &[String], wanted: &str) -> bool {
    lines.iter().any(|l| l.trim() == wanted)
}

/// The whole exercise as a lab report, through the HTTP API; then again,
/// to show that it inserts nothing twice.
fn through_the_server(t: &Tour) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server(t, &dir.path().join("aula.db"))?;
    let url = format!("http://{}", server.addr());
    let report = client(t, &["--url", &url, "exercise"])?;
    for answer in [
        "-> Pedro (13100001).",
        "-> Patrick (14204123) is 24.",
        "13100001  Pedro -> Carlos",
    ] {
        ensure!(has(&report, answer), "the report lacks {answer:?}");
    }
    println!("  (run it again: the matrícula is the identity, nothing is inserted twice)");
    let again = client(t, &["--url", &url, "exercise"])?;
    ensure!(
        has(
            &again,
            "Matricula 13100001 is already named Carlos: 0 rows changed."
        ),
        "the second run should change nothing"
    );
    ensure!(
        again.last().map(String::as_str) == Some("   (5 rows)"),
        "the second run should end with the same 5 rows"
    );
    stop_and_show(server)
}

/// `--db` and `--url` print the same report.
fn same_from_a_file(t: &Tour) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = start_server(t, &dir.path().join("server.db"))?;
    let url = format!("http://{}", server.addr());
    let file = dir.path().join("aula.db");
    command(&format!("{CLIENT} --url {url} exercise > http.txt"));
    let by_http = t.bin(CLIENT).spawn(&["--url", &url, "exercise"]).finish();
    let by_file = client(t, &["--db", path(&file)?, "exercise"])?;
    ensure!(by_http.status.success(), "{}", by_http.stderr.trim());
    ensure!(
        by_http.stdout == by_file,
        "the file and the server gave different reports"
    );
    println!("  (identical to the report through the server, line for line)");
    client(t, &["--db", path(&file)?, "list", "--nome", "MAÍSA"])?;
    stop_and_show(server)
}

/// Renaming by a name two students share is refused with the reason.
fn two_pedros(t: &Tour) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("aula.db");
    let db = path(&db)?;
    client(
        t,
        &[
            "--db", db, "insert", "Pedro", "2213482", "19", "2022", "Cursando",
        ],
    )?;
    client(
        t,
        &[
            "--db",
            db,
            "insert",
            "Pedro",
            "13100001",
            "25",
            "2020",
            "Trancamento",
        ],
    )?;
    let args = ["--db", db, "rename", "Pedro", "Carlos"];
    command(&format!("{CLIENT} {}", args.join(" ")));
    let refused = t.bin(CLIENT).spawn(&args).finish();
    show(
        "client",
        &refused
            .stderr
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    );
    ensure!(
        refused.status.code() == Some(1) && refused.stderr.contains("--matricula"),
        "the ambiguous rename should be refused with a hint"
    );
    let renamed = client(
        t,
        &[
            "--db",
            db,
            "rename",
            "Pedro",
            "Carlos",
            "--matricula",
            "13100001",
        ],
    )?;
    ensure!(
        renamed == ["1 row changed:", "  13100001  Pedro -> Carlos"],
        "unexpected rename output"
    );
    client(t, &["--db", db, "list"])?;
    Ok(())
}

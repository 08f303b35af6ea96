//! file-transfer: the slide's exercise (download, edit, send back), refusals,
//! and the slide's raw protocol.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::{Context as _, ensure};
use common::testing::{Launcher, Program};
use std::path::Path;

const EXERCISE: &str = "file-transfer";
const SERVER: &str = "file-transfer-server";
const CLIENT: &str = "file-transfer-client";
const PASSWORD: &str = "segredo";

/// The spreadsheet the slide's server sends, as shipped with the crate.
const SAMPLE: &[u8] = include_bytes!("../../file-transfer/files/FT_teste.xlsx");

/// The "automatic edit": what a student does in LibreOffice, done with
/// Python's standard zipfile module. An .xlsx is a zip of XML files; this
/// adds 1 to the cell B6 ("versão") of the first sheet and saves the file
/// the way editors do, by writing a new file and renaming it over the old.
const EDIT: &str = r#"
import os, re, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as src:
    items = [(info, src.read(info.filename)) for info in src.infolist()]
new = path + '.salvando'
with zipfile.ZipFile(new, 'w', zipfile.ZIP_DEFLATED) as out:
    for info, data in items:
        if info.filename == 'xl/worksheets/sheet1.xml':
            text = data.decode()
            cell = re.search(r'(<c r="B6"[^>]*><v>)(\d+)(</v>)', text)
            old = int(cell.group(2))
            text = text[:cell.start(2)] + str(old + 1) + text[cell.end(2):]
            data = text.encode()
        out.writestr(info, data)
os.replace(new, path)
print('versão %d -> %d' % (old, old + 1))
"#;

pub fn tour(tour: &mut Tour) {
    tour.step(
        EXERCISE,
        "the exercise: download, edit, send back",
        exercise,
    );
    tour.step(
        EXERCISE,
        "refusals: wrong password, a path outside",
        refusals,
    );
    tour.step(EXERCISE, "the slide's raw protocol (--raw)", raw);
}

fn start_server(t: &Tour, root: &Path) -> anyhow::Result<Program> {
    let root = root.to_str().context("a UTF-8 temporary path")?;
    let args = ["--listen", "127.0.0.1:0", "--root", root];
    command(&format!(
        "FILE_TRANSFER_PASSWORD={PASSWORD} {SERVER} {}",
        args.join(" ")
    ));
    let mut server = t.bin(SERVER).spawn_with(&args, |cmd| {
        cmd.env("FILE_TRANSFER_PASSWORD", PASSWORD);
    });
    server.wait_listening();
    Ok(server)
}

fn client(t: &Tour, cwd: &Path, args: &[&str], password: &str) -> Program {
    command(&format!("{CLIENT} {}", args.join(" ")));
    t.bin(CLIENT).spawn_with(args, |cmd| {
        cmd.current_dir(cwd).env("FILE_TRANSFER_PASSWORD", password);
    })
}

/// Run the client to its end; its stdout lines, or its error.
fn run_client(t: &Tour, cwd: &Path, args: &[&str], password: &str) -> anyhow::Result<Vec<String>> {
    let done = client(t, cwd, args, password).finish();
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    Ok(done.stdout)
}

fn exercise(t: &Tour) -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    std::fs::write(root.path().join("FT_teste.xlsx"), SAMPLE)?;
    let server = start_server(t, root.path())?;
    let addr = server.addr().to_owned();

    let mut student = client(
        t,
        home.path(),
        &["--connect", &addr, "exercise", "--wait", "change"],
        PASSWORD,
    );
    let received = student.next_line();
    show("client", std::slice::from_ref(&received));
    ensure!(
        received.starts_with("received FT_teste.xlsx as FT_arquivo_recebido.xlsx"),
        "unexpected first line"
    );

    let local = home.path().join("FT_arquivo_recebido.xlsx");
    let local_arg = local.to_str().context("a UTF-8 temporary path")?;
    println!("  (the student edits FT_arquivo_recebido.xlsx and saves it)");
    command("python3 edit_xlsx.py FT_arquivo_recebido.xlsx");
    let edit = Launcher::python().spawn(&["-c", EDIT, local_arg]).finish();
    show("python", &edit.stdout);
    ensure!(
        edit.status.success(),
        "the edit failed (is Python 3 installed? PYTHON names it): {}",
        edit.stderr.trim()
    );
    let edited = std::fs::read(&local)?;

    let done = student.finish();
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the exercise failed: {}",
        done.stderr.trim()
    );
    ensure!(
        done.stdout
            .last()
            .is_some_and(|l| l.ends_with("previous version kept as FT_teste.xlsx.1")),
        "the upload did not report the kept version"
    );
    ensure!(
        std::fs::read(root.path().join("FT_teste.xlsx"))? == edited,
        "the server's FT_teste.xlsx is not the edited file"
    );
    ensure!(
        std::fs::read(root.path().join("FT_teste.xlsx.1"))? == SAMPLE,
        "the previous version was not kept"
    );
    println!("  (the server now holds the new version, and the old one as FT_teste.xlsx.1)");
    let listing = run_client(t, home.path(), &["--connect", &addr, "ls"], PASSWORD)?;
    ensure!(listing.len() == 2, "expected two files on the server");
    stop_and_show(server)
}

fn refusals(t: &Tour) -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    std::fs::write(root.path().join("FT_teste.xlsx"), SAMPLE)?;
    let server = start_server(t, root.path())?;
    let addr = server.addr().to_owned();
    let wrong_password: &[&str] = &["--connect", &addr, "ls"];
    let outside: &[&str] = &["--connect", &addr, "get", "../../etc/passwd"];
    for (args, password, expected) in [
        (wrong_password, "errada", "login failed"),
        (outside, PASSWORD, "is a path"),
    ] {
        let done = client(t, home.path(), args, password).finish();
        show("client", &[done.stderr.trim().to_owned()]);
        ensure!(
            done.status.code() == Some(1) && done.stderr.contains(expected),
            "expected a refusal mentioning {expected:?}"
        );
    }
    ensure!(
        std::fs::read_dir(home.path())?.count() == 0,
        "a refused request left a file behind"
    );
    stop_and_show(server)
}

fn raw(t: &Tour) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let source = dir.path().join("teste.xlsx");
    std::fs::write(&source, SAMPLE)?;
    let source = source.to_str().context("a UTF-8 temporary path")?;
    let args = ["--listen", "127.0.0.1:0", "--raw", source];
    command(&format!("{SERVER} {}", args.join(" ")));
    let mut server = t.bin(SERVER).start_server(&args);
    let addr = server.addr().to_owned();
    run_client(
        t,
        home.path(),
        &["--connect", &addr, "get", "--raw", "teste.xlsx"],
        "",
    )?;
    ensure!(
        std::fs::read(home.path().join("teste.xlsx"))? == SAMPLE,
        "the raw download differs"
    );
    // The raw server's last line for a connection, once it has closed it.
    server.expect_line("Conexão fechada");
    stop_and_show(server)
}

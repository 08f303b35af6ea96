//! xlsx-sql-bridge: a workbook uploaded through the front, converted by the
//! converter over HTTP, the script printed; the two services as two
//! processes; `--offline`; a file that is not a workbook.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::{Context as _, ensure};
use common::testing::Program;
use std::path::PathBuf;

const EXERCISE: &str = "xlsx-sql-bridge";
const SERVER: &str = "xlsx-sql-bridge-server";
const CLIENT: &str = "xlsx-sql-bridge-client";

/// The first line of the paper's figure, which the fixture reproduces.
const PAPERS_LINE: &str = "INSERT INTO Table_Animals (Compass_Bearing, Height_from_ground, \
    Height_from_trail, Trigger_ID, Camera_Number, Animal, Number_of_animals, Temp) VALUES \
    (15, 3.0, 12.0, 'SSAI0000000004684650', 'SMFP3', 'DGER', 2, 46);";

pub fn tour(tour: &mut Tour) {
    tour.step(
        EXERCISE,
        "upload through the front, script printed",
        through_the_front,
    );
    tour.step(
        EXERCISE,
        "front and converter as two processes",
        two_processes,
    );
    tour.step(EXERCISE, "--offline, without any server", offline);
    tour.step(EXERCISE, "a text file renamed .xlsx", not_a_workbook);
}

/// The paper's workbook, shipped with the crate.
fn animals() -> anyhow::Result<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../xlsx-sql-bridge/fixtures/animals.xlsx");
    let path = path
        .canonicalize()
        .with_context(|| format!("cannot find {}", path.display()))?;
    Ok(path.to_string_lossy().into_owned())
}

/// Start the server with `args`; the front's URL and, for both services,
/// the converter's address.
fn start(t: &Tour, args: &[&str], both: bool) -> (Program, String, Option<String>) {
    command(&format!("{SERVER} {}", args.join(" ")));
    let mut server = t.bin(SERVER).start_server(args);
    let front = format!("http://{}", server.addr());
    let converter = both.then(|| {
        let line = server.next_line();
        line.trim_start_matches("converter listening on ")
            .trim()
            .to_owned()
    });
    (server, front, converter)
}

/// Run the client; its stdout lines.
fn client(t: &Tour, args: &[&str]) -> anyhow::Result<Vec<String>> {
    command(&format!("{CLIENT} {}", args.join(" ")));
    let done = t.bin(CLIENT).spawn(args).finish();
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    Ok(done.stdout)
}

/// The first lines of a script, and how many more there are.
fn show_script(lines: &[String]) {
    let head = 7.min(lines.len());
    show("client", &lines[..head]);
    if lines.len() > head {
        println!("{:>6} | ... ({} more lines)", "", lines.len() - head);
    }
}

/// The server's log lines that show the REST calls between the services.
fn show_rest_calls(stderr: &str) {
    let calls: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("front -> converter"))
        .filter_map(|l| {
            l.split_once("front -> converter")
                .map(|(_, rest)| format!("front -> converter{rest}"))
        })
        .collect();
    show("log", &calls);
}

fn through_the_front(t: &Tour) -> anyhow::Result<()> {
    let workbook = animals()?;
    let (server, front, _) = start(
        t,
        &[
            "--listen",
            "127.0.0.1:0",
            "--converter-listen",
            "127.0.0.1:0",
        ],
        true,
    );
    let script = client(t, &[&workbook, "--url", &front])?;
    show_script(&script);
    ensure!(
        script.iter().any(|l| l == PAPERS_LINE),
        "the script lacks the paper's first line"
    );
    ensure!(
        script
            .iter()
            .filter(|l| l.starts_with("INSERT INTO"))
            .count()
            == 12,
        "expected one INSERT per row (12)"
    );
    server.interrupt();
    let done = server.finish();
    let mut said = done.consumed;
    said.extend(done.stdout);
    show("server", &said);
    show_rest_calls(&done.stderr);
    ensure!(
        done.status.success(),
        "the server failed: {}",
        done.stderr.trim()
    );
    ensure!(
        done.stderr.contains("/convert"),
        "the logs do not show the REST call to the converter"
    );
    Ok(())
}

fn two_processes(t: &Tour) -> anyhow::Result<()> {
    let workbook = animals()?;
    let (converter, converter_url, _) = start(
        t,
        &["--role", "converter", "--listen", "127.0.0.1:0"],
        false,
    );
    let (front, front_url, _) = start(
        t,
        &[
            "--role",
            "front",
            "--listen",
            "127.0.0.1:0",
            "--converter-url",
            &converter_url,
        ],
        false,
    );
    let script = client(
        t,
        &[
            &workbook,
            "--url",
            &front_url,
            "--create-table",
            "--batch",
            "5",
        ],
    )?;
    show_script(&script);
    ensure!(
        script
            .iter()
            .any(|l| l == "CREATE TABLE IF NOT EXISTS Table_Animals ("),
        "no CREATE TABLE"
    );
    ensure!(
        script.last().map(String::as_str) == Some("COMMIT;"),
        "no COMMIT at the end"
    );
    stop_and_show(front)?;
    stop_and_show(converter)
}

fn offline(t: &Tour) -> anyhow::Result<()> {
    let workbook = animals()?;
    let script = client(t, &[&workbook, "--offline"])?;
    show_script(&script);
    ensure!(
        script.iter().any(|l| l == PAPERS_LINE),
        "the offline script differs from the paper's"
    );
    Ok(())
}

fn not_a_workbook(t: &Tour) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("notas.xlsx");
    std::fs::write(&path, "nome,idade\nAna,31\n")?;
    let path = path.to_string_lossy().into_owned();
    let (server, front, _) = start(
        t,
        &[
            "--listen",
            "127.0.0.1:0",
            "--converter-listen",
            "127.0.0.1:0",
        ],
        true,
    );
    command(&format!("{CLIENT} {path} --url {front}"));
    let done = t.bin(CLIENT).spawn(&[&path, "--url", &front]).finish();
    show(
        "client",
        &done.stderr.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    ensure!(done.status.code() == Some(1), "the client should exit 1");
    ensure!(
        done.stderr.contains("not a workbook") && done.stderr.contains("422"),
        "expected the converter's 422"
    );
    stop_and_show(server)
}

//! The benchmark, in two parts.
//!
//! ```text
//! cargo run --release -p sqlite-students --example sqlite-students-bench
//! cargo run --release -p sqlite-students --example sqlite-students-bench -- --no-library --seconds 1
//! ```
//!
//! **The library beside Python's `sqlite3`: what a commit costs.** 100,000
//! students (`--rows N`) inserted in one transaction and one by one, then
//! listed. Each side runs the same SQL (the repository's: an existence
//! check on the matrícula, then the insert) on a fresh file in a temporary
//! directory, with `synchronous = FULL`, so every commit waits for the disk:
//! Rust through this crate's `Repository`, Python through
//! [`bench.py`](bench.py). "One by one" is one transaction per student, as
//! the server does for one `POST` each; it is measured in WAL mode (the
//! server's), in WAL mode with `synchronous = NORMAL` (commits no longer
//! wait for the disk: the cost of durability), and with the default
//! rollback journal (a new file the client opens with `--db`), on a tenth of
//! the rows.
//!
//! **The server as users run it, beside the slides' scripts.**
//! `sqlite-students-server` is built and started as a separate process with
//! its default flags, except the two the tests give every server: `--listen
//! 127.0.0.1:0` and `--db` naming a fresh `aula.db` in a temporary directory
//! (`SQLITE_STUDENTS_SERVER` may name another server, as in the tests). Its
//! stdout is read as it comes (it prints `listening on` and no per-request
//! transcript; its logs go to stderr). One Rust HTTP client (`reqwest`, one
//! keep-alive connection per worker, each worker waiting for an answer
//! before it sends the next request) drives it at 1 and 50 connections:
//!
//! * `GET /alunos/{matricula}` of students in the table (1,000 of them,
//!   `--table N`, stored beforehand with batch `POST`s);
//! * `GET /alunos`, the whole table;
//! * `POST /alunos`, one new student per request.
//!
//! Every answer is checked: its status (200, or 201 for a `POST`) and its
//! body, which must be exactly the student (or the table) expected.
//!
//! The slides have no server: their programs are two scripts on the
//! `Alunos` table, [`Escrever.py`](../python/Escrever.py) (create the table
//! if missing, insert one student, commit) and [`Ler.py`](../python/Ler.py)
//! (print every row, then the ages over 18). So the comparison is the same
//! work done their way: the benchmark runs `python3 Escrever.py` (in a fresh
//! directory, as the slides do: a new `aula.db`, the rollback journal), one
//! process after another, each run storing one student, against `POST
//! /alunos`; and `python3 Ler.py` in the server's directory, reading the
//! server's own `aula.db`, one process after another, against `GET
//! /alunos`. Each process is timed from its start to its exit and checked:
//! exit status 0, nothing on stderr, `Ler.py`'s output exactly the table's
//! rows as Python prints them, and after the `Escrever.py` runs, the file
//! holding one row for each run. A script's figure therefore includes
//! starting the Python interpreter, which is what a user of the slides' way
//! pays for each student. The interpreter is the one `python3` names
//! (`sys.executable`), started directly: a version manager's shim in front
//! of it (pyenv's) would add its own start-up, several times Python's.
//!
//! Each figure is the best of three runs of `--seconds S` (default 2); the
//! runs of the server and of the script alternate, so what else the machine
//! does weighs on both alike. The ratios say how many times the script's
//! rate the server's is. The last column is the server's CPU time (user and
//! system, all threads) per request, the least of the three runs: unlike a
//! rate, it does not move with what the machine's other programs take. `--no-python` skips Python in both parts,
//! `--no-library` the first part.

use anyhow::{Context as _, bail, ensure};
use common::testing::{Launcher, built_binary, cpu_time};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use sqlite_students::{Aluno, Repository, Situacao};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONNECTIONS: [usize; 2] = [1, 50];

/// The slides' scripts, run as they are.
const ESCREVER_PY: &str = include_str!("../python/Escrever.py");
const LER_PY: &str = include_str!("../python/Ler.py");

struct Options {
    rows: usize,
    table: usize,
    seconds: f64,
    python: bool,
    library: bool,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |flag: &str| -> anyhow::Result<Option<&str>> {
            match args.iter().position(|a| a == flag) {
                Some(i) => Ok(Some(
                    args.get(i + 1)
                        .with_context(|| format!("{flag} needs a number"))?,
                )),
                None => Ok(None),
            }
        };
        let options = Options {
            rows: value("--rows")?.map_or(Ok(100_000), str::parse)?,
            table: value("--table")?.map_or(Ok(1_000), str::parse)?,
            seconds: value("--seconds")?.map_or(Ok(2.0), str::parse)?,
            python: !args.iter().any(|a| a == "--no-python"),
            library: !args.iter().any(|a| a == "--no-library"),
        };
        ensure!(options.table > 0, "--table needs at least one student");
        ensure!(options.seconds > 0.0, "--seconds must be positive");
        Ok(options)
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    if options.library {
        library(options.rows, options.python)?;
        println!();
    }
    server(&options)
}

fn library(rows: usize, python: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let students: Vec<Aluno> = (0..rows).map(student).collect();

    eprintln!("Rust: {rows} rows in one transaction...");
    let mut repo = open(&dir.path().join("rs-batch.db"), "WAL", "FULL")?;
    let batch = rate(rows, || repo.insert_all(&students).map(|_| ()))?;
    let list = median(|| repo.all().map(|all| assert_eq!(all.len(), rows)))?;
    drop(repo);

    // (journal mode, synchronous, rows): the rollback journal syncs several
    // times per commit, so it gets a tenth of the rows to finish in time.
    let runs = [
        ("WAL", "FULL", rows),
        ("WAL", "NORMAL", rows),
        ("DELETE", "FULL", (rows / 10).max(1)),
    ];
    let mut single = Vec::new();
    for (journal, synchronous, n) in runs {
        eprintln!("Rust: {n} rows one by one ({journal}, synchronous = {synchronous})...");
        let file = dir
            .path()
            .join(format!("rs-single-{journal}-{synchronous}.db"));
        let mut repo = open(&file, journal, synchronous)?;
        single.push(rate(n, || {
            students[..n].iter().try_for_each(|s| repo.insert(s))
        })?);
    }

    let py = if python {
        eprintln!("Python: the same (this takes a while)...");
        Some(python_bench(dir.path(), rows)?)
    } else {
        None
    };
    let py_rate = |key: &str| {
        py.as_ref()
            .and_then(|p| p[key].as_f64())
            .map_or("-".to_owned(), |r| format!("{} rows/s", thousands(r)))
    };
    let py_ms = py
        .as_ref()
        .and_then(|p| p["list_ms"].as_f64())
        .map_or("-".to_owned(), |ms| format!("{ms:.0} ms"));

    println!("The library: {rows} students; synchronous = FULL unless said");
    println!("| operation | Rust (rusqlite) | Python (sqlite3) |");
    println!("|---|---:|---:|");
    println!(
        "| insert, one transaction (WAL) | {} rows/s | {} |",
        thousands(batch),
        py_rate("batch")
    );
    println!(
        "| insert, one by one (WAL, as the server) | {} rows/s | {} |",
        thousands(single[0]),
        py_rate("single_wal_full")
    );
    println!(
        "| insert, one by one (WAL, synchronous = NORMAL) | {} rows/s | {} |",
        thousands(single[1]),
        py_rate("single_wal_normal")
    );
    println!(
        "| insert, one by one (rollback journal, as `--db`; {} rows) | {} rows/s | {} |",
        runs[2].2,
        thousands(single[2]),
        py_rate("single_delete_full")
    );
    println!(
        "| list all {rows} rows (median of 5) | {:.0} ms | {py_ms} |",
        list.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// What one request of the load is.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    GetOne,
    GetAll,
    Post,
}

/// The best rates of one row of the server table: at 1 and 50 connections,
/// and the slides' script doing the same work (if it has a counterpart).
struct Row {
    label: String,
    server: [f64; 2],
    /// The server's CPU time per request, µs: the least of the runs.
    cpu: [Option<f64>; 2],
    script: Option<f64>,
}

fn server(options: &Options) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("aula.db");
    let db_arg = db.to_str().context("the temporary path is not UTF-8")?;
    let launcher = Launcher::new(
        "SQLITE_STUDENTS_SERVER",
        built_binary("sqlite-students", "sqlite-students-server"),
    );
    let mut program = launcher.start_server(&["--listen", "127.0.0.1:0", "--db", db_arg]);
    program.discard_stdout();
    let base = format!("http://{}", program.addr());
    let duration = Duration::from_secs_f64(options.seconds);
    let table: Arc<Vec<Aluno>> = Arc::new((0..options.table).map(student).collect());
    // POSTed students come after the table's: new matrículas, none refused.
    let next = Arc::new(AtomicUsize::new(options.table));
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(seed(&base, &table))?;

    let ler = dir.path().join("Ler.py");
    std::fs::write(&ler, LER_PY)?;
    let expected = ler_output(&table);
    let escrever = tempfile::tempdir()?;
    let python = if options.python {
        Some(python_interpreter()?)
    } else {
        None
    };

    // The reads first: the POSTs change the table they check.
    let plan = [
        (
            Work::GetOne,
            "read one student: `GET /alunos/{matricula}`".to_owned(),
        ),
        (
            Work::GetAll,
            format!(
                "read the whole table, {} students: `GET /alunos` / `python3 Ler.py`",
                options.table
            ),
        ),
        (
            Work::Post,
            "write one student: `POST /alunos` / `python3 Escrever.py`".to_owned(),
        ),
    ];
    let mut rows = Vec::new();
    for (work, label) in plan {
        let mut row = Row {
            label,
            server: [0.0; 2],
            cpu: [None; 2],
            script: None,
        };
        for trial in 0..3 {
            for (i, connections) in CONNECTIONS.into_iter().enumerate() {
                eprintln!(
                    "{}: {connections} connection(s), run {}...",
                    row.label,
                    trial + 1
                );
                let before = cpu_time(program.pid());
                let (rate, count) =
                    runtime.block_on(load(&base, work, connections, duration, &table, &next))?;
                row.server[i] = row.server[i].max(rate);
                if let (Some(before), Some(after)) = (before, cpu_time(program.pid())) {
                    let micros = (after - before).as_secs_f64() * 1e6 / count.max(1) as f64;
                    row.cpu[i] = Some(row.cpu[i].map_or(micros, |m: f64| m.min(micros)));
                }
            }
            let Some(python) = &python else {
                continue;
            };
            let rate = match work {
                Work::GetOne => continue,
                Work::GetAll => {
                    let (rate, _) = run_script(python, dir.path(), "Ler.py", duration, |stdout| {
                        ensure!(
                            stdout == expected.as_bytes(),
                            "Ler.py printed something else than the table ({} bytes, {} expected)",
                            stdout.len(),
                            expected.len()
                        );
                        Ok(())
                    })?;
                    rate
                }
                Work::Post => {
                    let fresh = escrever.path().join(format!("run-{trial}"));
                    std::fs::create_dir(&fresh)?;
                    std::fs::write(fresh.join("Escrever.py"), ESCREVER_PY)?;
                    let (rate, runs) =
                        run_script(python, &fresh, "Escrever.py", duration, |_| Ok(()))?;
                    let stored = pedros(&fresh.join("aula.db"))?;
                    ensure!(
                        stored == runs,
                        "{runs} runs of Escrever.py stored {stored} rows"
                    );
                    rate
                }
            };
            row.script = Some(row.script.unwrap_or(0.0).max(rate));
        }
        rows.push(row);
    }
    program.assert_running();

    println!(
        "The server, a separate process, and the slides' scripts, one process at a time \
         (best of 3 × {} s; per second)",
        options.seconds
    );
    println!(
        "| work | server, 1 connection | server, 50 connections | slides' script | \
         ratio, 1 connection | ratio, 50 connections | server CPU per request, 1 / 50 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let (script, ratios) = match row.script {
            Some(s) => (thousands(s), row.server.map(|r| format!("{:.1}×", r / s))),
            None => ("-".to_owned(), ["-".to_owned(), "-".to_owned()]),
        };
        let cpu = row
            .cpu
            .map(|c| c.map_or("-".to_owned(), |us| format!("{us:.0} µs")));
        println!(
            "| {} | {} | {} | {script} | {} | {} | {} / {} |",
            row.label,
            thousands(row.server[0]),
            thousands(row.server[1]),
            ratios[0],
            ratios[1],
            cpu[0],
            cpu[1]
        );
    }
    Ok(())
}

/// Store the table through the server, in batches (one transaction each)
/// that stay under its 1 MiB body limit, and check it reads back whole.
async fn seed(base: &str, table: &[Aluno]) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{base}/alunos");
    for part in table.chunks(1_000) {
        let stored: Vec<Aluno> = answer(http.post(&url).json(part), StatusCode::CREATED).await?;
        ensure!(stored == part, "POST /alunos stored something else");
    }
    let all: Vec<Aluno> = answer(http.get(&url), StatusCode::OK).await?;
    ensure!(all == table, "GET /alunos after the seeding: not the table");
    Ok(())
}

/// Requests per second of `connections` clients doing `work` for `duration`,
/// each answer checked, and how many were answered.
async fn load(
    base: &str,
    work: Work,
    connections: usize,
    duration: Duration,
    table: &Arc<Vec<Aluno>>,
    next: &Arc<AtomicUsize>,
) -> anyhow::Result<(f64, u64)> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = tokio::task::JoinSet::new();
    for worker in 0..connections {
        let base = base.to_owned();
        let table = Arc::clone(table);
        let next = Arc::clone(next);
        clients.spawn(async move {
            // One client each: its pool holds this worker's one connection.
            let http = reqwest::Client::new();
            let list = format!("{base}/alunos");
            let mut done = 0u64;
            // Workers walk the table from different places, in big steps.
            let mut k = worker * 7_919;
            while Instant::now() < deadline {
                match work {
                    Work::GetOne => {
                        let expected = &table[k % table.len()];
                        k += 7_919;
                        let url = format!("{base}/alunos/{}", expected.matricula);
                        let got: Aluno = answer(http.get(&url), StatusCode::OK).await?;
                        ensure!(got == *expected, "GET {url}: another student, {got:?}");
                    }
                    Work::GetAll => {
                        let got: Vec<Aluno> = answer(http.get(&list), StatusCode::OK).await?;
                        ensure!(got == *table, "GET /alunos: not the table");
                    }
                    Work::Post => {
                        let new = student(next.fetch_add(1, Ordering::Relaxed));
                        let stored: Aluno =
                            answer(http.post(&list).json(&new), StatusCode::CREATED).await?;
                        ensure!(stored == new, "POST /alunos answered {stored:?}");
                    }
                }
                done += 1;
            }
            anyhow::Ok(done)
        });
    }
    let mut total = 0;
    while let Some(done) = clients.join_next().await {
        total += done??;
    }
    Ok((total as f64 / start.elapsed().as_secs_f64(), total))
}

/// The body of an answer with status `expected`, as JSON; any other status
/// is an error that shows the server's sentence.
async fn answer<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    expected: StatusCode,
) -> anyhow::Result<T> {
    let response = request.send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    if status != expected {
        let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        bail!("answered {status} instead of {expected}: {shown}");
    }
    serde_json::from_slice(&body).context("the answer is not the JSON expected")
}

/// Runs per second of `python3 SCRIPT` in `dir`, one process after another
/// for `duration`, and how many ran; each must exit 0, print nothing on
/// stderr and pass `check` with its stdout.
fn run_script(
    python: &Path,
    dir: &Path,
    script: &str,
    duration: Duration,
    check: impl Fn(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<(f64, u64)> {
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < duration {
        let out = Command::new(python)
            .arg(script)
            .current_dir(dir)
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::null())
            .output()
            .context("cannot run python3")?;
        ensure!(
            out.status.success() && out.stderr.is_empty(),
            "python3 {script}: {}, {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        check(&out.stdout)?;
        runs += 1;
    }
    Ok((runs as f64 / start.elapsed().as_secs_f64(), runs))
}

/// The interpreter `python3` runs. Where `python3` is a version manager's
/// shim (pyenv's is a shell script), starting it costs several times what
/// starting Python does: the scripts' figures are Python's, not the shim's.
fn python_interpreter() -> anyhow::Result<PathBuf> {
    let out = common::platform::python()
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(Stdio::null())
        .output()
        .context("cannot run python3")?;
    let path = String::from_utf8(out.stdout)?.trim().to_owned();
    ensure!(
        out.status.success() && !path.is_empty(),
        "python3 does not say where its interpreter is"
    );
    Ok(PathBuf::from(path))
}

/// The rows `Escrever.py` left in `db`, each checked to be its Pedro.
fn pedros(db: &Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open(db)?;
    let (all, pedros): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE Nome = 'Pedro' AND Matricula = 2213482 \
         AND Idade = 19 AND Ingresso = 2022 AND Situacao = 'Cursando') FROM Alunos",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    ensure!(
        all == pedros,
        "Escrever.py stored {all} rows, {pedros} of them its Pedro"
    );
    Ok(u64::try_from(all)?)
}

/// What `Ler.py` prints for `table`: each row as Python prints a tuple (the
/// matrícula is a REAL column, so a float), then each age over 18.
fn ler_output(table: &[Aluno]) -> String {
    let mut out = String::new();
    for a in table {
        out += &format!(
            "('{}', {}.0, {}, {}, '{}')\n",
            a.nome,
            a.matricula,
            a.idade,
            a.ingresso,
            a.situacao.as_str()
        );
    }
    for a in table.iter().filter(|a| a.idade > 18) {
        out += &format!("({},)\n", a.idade);
    }
    out
}

fn student(i: usize) -> Aluno {
    Aluno {
        nome: format!("Aluno Maísa {i}"),
        matricula: 10_000_000 + i as i64,
        idade: 18 + (i % 50) as u8,
        ingresso: 2000 + (i % 25) as u16,
        situacao: Situacao::ALL[i % 4].clone(),
    }
}

fn open(path: &Path, journal: &str, synchronous: &str) -> anyhow::Result<Repository> {
    let repo = Repository::open(path)?;
    let conn = repo.connection();
    conn.pragma_update_and_check(None, "journal_mode", journal, |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(repo)
}

/// Rows per second of `work`, which handles `rows` rows.
fn rate(
    rows: usize,
    work: impl FnOnce() -> Result<(), sqlite_students::RepoError>,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    work()?;
    Ok(rows as f64 / start.elapsed().as_secs_f64())
}

/// The median time of five runs of `work`.
fn median(
    mut work: impl FnMut() -> Result<(), sqlite_students::RepoError>,
) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        work()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[2])
}

fn python_bench(dir: &Path, rows: usize) -> anyhow::Result<serde_json::Value> {
    let script = dir.join("bench.py");
    std::fs::write(&script, include_str!("bench.py"))?;
    let out = common::platform::python()
        .arg(&script)
        .arg(dir)
        .arg(rows.to_string())
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .context("cannot run python3")?;
    if !out.status.success() {
        bail!("python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// 123456.7 -> "123,457".
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

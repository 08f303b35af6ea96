//! Rows per second turned into a MySQL script, ours against pandas, as users
//! run both.
//!
//! ```text
//! cargo run --release -p xlsx-sql-bridge --example xlsx-sql-bridge-bench
//! cargo run --release -p xlsx-sql-bridge --example xlsx-sql-bridge-bench -- --rows 50000 --runs 5
//! ```
//!
//! What runs:
//! - the converter and the front as two processes of the server binary
//!   (`--role converter`, then `--role front --converter-url ...`), every
//!   other flag at its default (the REST transcript on stderr, one
//!   conversion slot per core, a 10 s queue), on ports the system picks;
//!   `XLSX_SQL_BRIDGE_SERVER` replaces the binary, as in the tests;
//! - the library's `Client` uploads through the front and reads the script
//!   as it streams back: one conversion of a `--rows` workbook (default
//!   200,000 rows × 8 columns), then `--conversions` at once (default 50) of
//!   a `--small-rows` workbook (default 10,000 rows), which the converter's
//!   slots take in turn; the figure is every row of all of them over the
//!   time until the last script has arrived;
//! - `xlsx-sql-bridge-client --offline` (the binary, `XLSX_SQL_BRIDGE_CLIENT`
//!   replaces it) on the large workbook, its stdout read through a pipe;
//! - pandas, the paper's conversion (`read_excel` with openpyxl, then one
//!   `INSERT` per row): the large workbook in one process, and the small
//!   one `--conversions` times over a pool of one process per core.
//!
//! Every script is compared byte for byte with the one the library writes
//! for that workbook before the timing starts; pandas must report every row.
//! Each figure is the best of `--runs` (default 3); `ours/pandas` is the
//! ratio of rows per second. pandas is skipped, with a line saying so, if it
//! cannot be imported.
//!
//! Then **loading into databases**: the large workbook loaded by
//! `xlsx-sql-bridge-client --offline --into URL --if-exists replace` into
//! SQLite, and into a PostgreSQL and a MariaDB server of the benchmark's
//! own when they are installed (`common::testing::databases`, as the tests
//! start them), beside csvkit's `csvsql --db URL --insert` on the same rows
//! exported to CSV (skipped, with a line saying so, without csvkit and its
//! drivers: `pip install csvkit psycopg2-binary pymysql`). Every load is
//! checked by counting the table's rows. `--load-only` runs this part
//! alone; csvsql takes over a minute a load, so it runs `--csvsql-runs`
//! times (default 1).

use anyhow::{Context as _, bail, ensure};
use common::testing::{Launcher, Program, built_binary, has_python_module};
use rust_xlsxwriter::{Format, Workbook};
use std::io::Read as _;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use xlsx_sql_bridge::client::{Client, convert_offline};
use xlsx_sql_bridge::convert::Options;

const PACKAGE: &str = "xlsx-sql-bridge";

fn arg(name: &str, default: u32) -> anyhow::Result<u32> {
    let value = std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .map(|s| s.parse())
        .transpose()
        .with_context(|| format!("{name} takes a whole number"))?
        .unwrap_or(default);
    ensure!(value > 0, "{name} must be at least 1");
    Ok(value)
}

/// id, unique text, decimal, integer, date-time, boolean, repeated text,
/// text: what a sales sheet holds.
fn workbook(rows: u32) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let ws = workbook.add_worksheet();
    ws.set_name("Vendas")?;
    let header = [
        "Id",
        "Cliente",
        "Preço",
        "Quantidade",
        "Data",
        "Pago",
        "Categoria",
        "Nota",
    ];
    for (c, title) in (0u16..).zip(header) {
        ws.write_string(0, c, title)?;
    }
    let categories = ["livros", "música", "jogos", "casa", "jardim"];
    for i in 0..rows {
        let r = i + 1;
        ws.write_number(r, 0, f64::from(i))?;
        ws.write_string(r, 1, format!("Cliente número {i}"))?;
        ws.write_number(r, 2, f64::from(i % 1000) + 0.25)?;
        ws.write_number(r, 3, f64::from(i % 7))?;
        ws.write_number_with_format(r, 4, 45_292.5 + f64::from(i % 366), &datetime)?;
        ws.write_boolean(r, 5, i % 2 == 0)?;
        ws.write_string(r, 6, categories[i as usize % categories.len()])?;
        ws.write_string(r, 7, format!("nota {}", i % 97))?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// A workbook on disk with the script it must become.
struct Case {
    rows: u32,
    path: std::path::PathBuf,
    size: usize,
    script: Arc<[u8]>,
}

impl Case {
    fn new(dir: &Path, file: &str, rows: u32) -> anyhow::Result<Self> {
        let bytes = workbook(rows)?;
        let path = dir.join(file);
        std::fs::write(&path, &bytes)?;
        let (script, _) = convert_offline(
            &path,
            file,
            &Options::default(),
            &Default::default(),
            Vec::new(),
        )?;
        Ok(Self {
            rows,
            path,
            size: bytes.len(),
            script: script.into(),
        })
    }

    fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }
}

/// Compares what it is given with the expected script as it arrives, so
/// that checking a 37 MiB answer costs a `memcmp`, not a copy.
struct Expect {
    script: Arc<[u8]>,
    seen: usize,
    same: bool,
}

impl Expect {
    fn new(script: &Arc<[u8]>) -> Self {
        Self {
            script: Arc::clone(script),
            seen: 0,
            same: true,
        }
    }

    fn feed(&mut self, piece: &[u8]) {
        let end = self.seen + piece.len();
        self.same &= self.script.get(self.seen..end) == Some(piece);
        self.seen = end;
    }

    fn check(&self, what: &str) -> anyhow::Result<()> {
        ensure!(
            self.same && self.seen == self.script.len(),
            "{what}: the script differs from the library's ({} bytes, expected {})",
            self.seen,
            self.script.len()
        );
        Ok(())
    }
}

impl tokio::io::AsyncWrite for Expect {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().feed(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The best of `runs` timings of `f`.
async fn best<F, Fut>(runs: u32, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f().await?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

/// `count` uploads of `case` at once through the front, each script checked.
async fn upload_at_once(client: &Client, case: &Arc<Case>, count: u32) -> anyhow::Result<()> {
    let uploads = (0..count).map(|_| {
        let client = client.clone();
        let case = Arc::clone(case);
        tokio::spawn(async move {
            let mut expect = Expect::new(&case.script);
            client
                .convert(&case.path, case.name(), &Options::default(), &mut expect)
                .await?;
            expect.check("end to end")
        })
    });
    for upload in futures_util::future::join_all(uploads).await {
        upload??;
    }
    Ok(())
}

/// One `--offline` conversion by the client binary, its stdout checked as a
/// pipe reader (`| mysql`) would receive it.
fn offline(client: &Launcher, case: &Case) -> anyhow::Result<()> {
    let path = case.path.to_str().context("the workbook's path")?;
    let mut child = client
        .command(&["--offline", path])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the client")?;
    let mut stdout = child.stdout.take().context("the client's stdout")?;
    let mut expect = Expect::new(&case.script);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match stdout.read(&mut buf)? {
            0 => break,
            n => expect.feed(&buf[..n]),
        }
    }
    let status = child.wait()?;
    ensure!(status.success(), "the client --offline failed: {status}");
    expect.check("--offline")
}

/// pandas doing the paper's conversion `jobs` times over `processes`
/// processes (forked after the import, so the import is not timed); prints
/// the rows written and the best time.
const PANDAS: &str = r#"
import multiprocessing, sys, time
import pandas as pd

path, jobs, processes, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def literal(v):
    # The paper's rules: NULL for empty cells, numbers bare, text quoted.
    if v is None or (isinstance(v, float) and v != v):
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"

def convert(_):
    rows = 0
    with open("/dev/null", "w") as out:
        for sheet, df in pd.read_excel(path, sheet_name=None).items():
            table = "Table_" + sheet.replace(" ", "_")
            columns = ", ".join(str(c).replace(" ", "_") for c in df.columns)
            for row in df.itertuples(index=False):
                values = ", ".join(literal(v) for v in row)
                out.write(f"INSERT INTO {table} ({columns}) VALUES ({values});\n")
                rows += 1
    return rows

pool = multiprocessing.get_context("fork").Pool(processes) if processes > 1 else None
best = None
for _ in range(runs):
    start = time.perf_counter()
    rows = sum(pool.map(convert, range(jobs), chunksize=1) if pool else map(convert, range(jobs)))
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(rows, best)
"#;

/// pandas's best time for `jobs` conversions of `case`, or why there is none.
fn pandas(case: &Case, jobs: u32, processes: usize, runs: u32) -> anyhow::Result<Duration> {
    let path = case.path.to_str().context("the workbook's path")?;
    let out = common::platform::python()
        .args([
            "-c",
            PANDAS,
            path,
            &jobs.to_string(),
            &processes.to_string(),
            &runs.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("Python 3")?;
    ensure!(out.status.success(), "pandas failed: {}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let (Some(rows), Some(seconds)) = (
        fields.next().and_then(|s| s.parse::<u64>().ok()),
        fields.next().and_then(|s| s.parse::<f64>().ok()),
    ) else {
        bail!("pandas: unexpected output {text:?}");
    };
    let expected = u64::from(case.rows) * u64::from(jobs);
    ensure!(rows == expected, "pandas wrote {rows} rows, not {expected}");
    Ok(Duration::from_secs_f64(seconds))
}

/// Prints one row of the table: seconds, rows/s and, when pandas ran, the
/// ratio of rows per second.
fn report(what: &str, rows: u64, took: Duration, pandas: Option<Duration>) {
    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    let ratio = pandas.map_or_else(
        || "—".to_owned(),
        |p| format!("{:.1}×", rate(took) / rate(p)),
    );
    println!(
        "  {what:<44} {:>8.2} {:>10.0} {ratio:>12}",
        took.as_secs_f64(),
        rate(took)
    );
}

/// One service (`role`) of the server, with default flags but for a free
/// port and `more`; its transcript is read as it comes (stderr, kept by
/// `Program`; stdout has only the `listening on` line).
fn start(server: &Launcher, role: &str, more: &[&str]) -> Program {
    let mut args = vec!["--role", role, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(more);
    let program = server.start_server(&args);
    program.discard_stdout();
    program
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows = arg("--rows", 200_000)?;
    let small_rows = arg("--small-rows", 10_000)?;
    let conversions = arg("--conversions", 50)?;
    let runs = arg("--runs", 3)?;
    let csvsql_runs = arg("--csvsql-runs", 1)?;
    let load_only = std::env::args().any(|a| a == "--load-only");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let server = Launcher::new(
        "XLSX_SQL_BRIDGE_SERVER",
        built_binary(PACKAGE, "xlsx-sql-bridge-server"),
    );
    let client_binary = Launcher::new(
        "XLSX_SQL_BRIDGE_CLIENT",
        built_binary(PACKAGE, "xlsx-sql-bridge-client"),
    );

    eprintln!("building the workbooks and their scripts...");
    let dir = tempfile::tempdir()?;
    let large = Arc::new(Case::new(dir.path(), "vendas.xlsx", rows)?);
    let small = Arc::new(Case::new(dir.path(), "vendas-small.xlsx", small_rows)?);
    println!(
        "workbooks: {rows} rows × 8 columns ({:.1} MiB .xlsx, {:.1} MiB script) and \
         {small_rows} rows ({:.2} MiB); best of {runs} runs, {cores} cores",
        large.size as f64 / 1048576.0,
        large.script.len() as f64 / 1048576.0,
        small.size as f64 / 1048576.0,
    );

    if load_only {
        return loads(
            &client_binary,
            &large,
            rows,
            (runs, csvsql_runs),
            dir.path(),
        );
    }
    let converter = start(&server, "converter", &[]);
    let converter_url = format!("http://{}", converter.addr());
    let front = start(&server, "front", &["--converter-url", &converter_url]);
    let client = Client::new(&format!("http://{}", front.addr()))?;

    let one = best(runs, || upload_at_once(&client, &large, 1)).await?;
    let many = best(runs, || upload_at_once(&client, &small, conversions)).await?;
    let offline_time = best(runs, || async { offline(&client_binary, &large) }).await?;
    drop(front);
    drop(converter);

    let (pandas_one, pandas_many) = if has_python_module("pandas") && has_python_module("openpyxl")
    {
        eprintln!("pandas...");
        (
            Some(pandas(&large, 1, 1, runs)?),
            Some(pandas(&small, conversions, cores, runs)?),
        )
    } else {
        println!("pandas: not installed (pip install pandas openpyxl); no ratios");
        (None, None)
    };

    println!(
        "  {:<44} {:>8} {:>10} {:>12}",
        "", "seconds", "rows/s", "ours/pandas"
    );
    println!("1 conversion of {rows} rows");
    let large_rows = u64::from(rows);
    report(
        "end to end (client -> front -> converter)",
        large_rows,
        one,
        pandas_one,
    );
    report(
        "--offline (the client binary)",
        large_rows,
        offline_time,
        pandas_one,
    );
    if let Some(p) = pandas_one {
        report("pandas read_excel + INSERTs", large_rows, p, None);
    }
    println!("{conversions} conversions at once of {small_rows} rows");
    let small_rows = u64::from(small_rows) * u64::from(conversions);
    report(
        "end to end (client -> front -> converter)",
        small_rows,
        many,
        pandas_many,
    );
    if let Some(p) = pandas_many {
        report(
            &format!("pandas, a pool of {cores} processes"),
            small_rows,
            p,
            None,
        );
    }
    loads(
        &client_binary,
        &large,
        rows,
        (runs, csvsql_runs),
        dir.path(),
    )
}

/// How to count a table's rows.
type Counter = Box<dyn Fn(&str) -> anyhow::Result<u64>>;

/// A database to load into: its name, our URL and csvsql's (SQLAlchemy's)
/// for it, and how to count a table's rows.
struct Database {
    name: &'static str,
    ours: String,
    csvsql: Option<String>,
    count: Counter,
    /// The server, kept running while it is measured.
    _server: Option<Box<dyn std::any::Any>>,
}

/// The databases this machine can run: SQLite always, PostgreSQL and
/// MariaDB when installed (csvsql's URL only when its driver is).
fn databases(dir: &Path) -> Vec<Database> {
    use common::testing::databases::{mariadb, postgres};
    let file = dir.join("bench.db");
    let counted = file.clone();
    let mut all = vec![Database {
        name: "SQLite",
        ours: format!("sqlite:{}", file.display()),
        csvsql: Some(format!("sqlite:///{}", file.display())),
        count: Box::new(move |table| {
            let conn = rusqlite::Connection::open(&counted)?;
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })?;
            Ok(u64::try_from(n)?)
        }),
        _server: None,
    }];
    if postgres::available() {
        let db = std::rc::Rc::new(postgres::PostgreSql::start());
        db.create_database("bench");
        let socket = db.socket_dir().display().to_string();
        let counted = std::rc::Rc::clone(&db);
        all.push(Database {
            name: "PostgreSQL",
            ours: format!("postgres://postgres@localhost/bench?host={socket}"),
            csvsql: has_python_module("psycopg2")
                .then(|| format!("postgresql+psycopg2://postgres@/bench?host={socket}")),
            count: Box::new(move |table| {
                let out = counted
                    .run(Some("bench"), &format!("SELECT count(*) FROM \"{table}\";"))
                    .map_err(anyhow::Error::msg)?;
                Ok(out.trim().parse()?)
            }),
            _server: Some(Box::new(db)),
        });
    } else {
        println!("PostgreSQL: not installed (apt-get install postgresql)");
    }
    if mariadb::available() {
        let db = std::rc::Rc::new(mariadb::MariaDb::start());
        db.create_database("bench");
        let socket = db.socket().display().to_string();
        let counted = std::rc::Rc::clone(&db);
        all.push(Database {
            name: "MariaDB",
            ours: format!("mysql://root@localhost/bench?socket={socket}"),
            csvsql: has_python_module("pymysql")
                .then(|| format!("mysql+pymysql://root@localhost/bench?unix_socket={socket}")),
            count: Box::new(move |table| {
                let out = counted
                    .run(
                        Some("bench"),
                        &format!("SELECT count(*) FROM `{table}`;"),
                        "utf8mb4",
                    )
                    .map_err(anyhow::Error::msg)?;
                Ok(out.trim().parse()?)
            }),
            _server: Some(Box::new(db)),
        });
    } else {
        println!("MariaDB: not installed (apt-get install mariadb-server)");
    }
    all
}

/// csvkit's `csvsql`, if installed (pip puts it in ~/.local/bin, which may
/// not be on PATH).
fn csvsql() -> Option<std::path::PathBuf> {
    if common::testing::has_program("csvsql") {
        return Some("csvsql".into());
    }
    let local = std::path::PathBuf::from(std::env::var_os("HOME")?).join(".local/bin/csvsql");
    local.is_file().then_some(local)
}

/// The large workbook's rows as CSV, as csvsql reads them: the same values
/// (dates as text, booleans `True`/`False`).
fn csv(rows: u32) -> String {
    let categories = ["livros", "música", "jogos", "casa", "jardim"];
    let start = xlsx_sql_bridge::sql::days_from_civil(2024, 1, 1);
    let mut out = String::from("Id,Cliente,Preço,Quantidade,Data,Pago,Categoria,Nota\n");
    for i in 0..rows {
        let (y, m, d) = xlsx_sql_bridge::sql::civil_from_days(start + i64::from(i % 366))
            .unwrap_or((2024, 1, 1));
        out.push_str(&format!(
            "{i},Cliente número {i},{},{},{y:04}-{m:02}-{d:02} 12:00:00,{},{},nota {}\n",
            f64::from(i % 1000) + 0.25,
            i % 7,
            if i % 2 == 0 { "True" } else { "False" },
            categories[i as usize % categories.len()],
            i % 97
        ));
    }
    out
}

/// Load the large workbook into each database, ours (best of `runs.0`)
/// beside csvsql (best of `runs.1`), and print rows per second.
fn loads(
    client: &Launcher,
    large: &Case,
    rows: u32,
    runs: (u32, u32),
    dir: &Path,
) -> anyhow::Result<()> {
    let csv_path = dir.join("vendas.csv");
    std::fs::write(&csv_path, csv(rows))?;
    let csvsql = csvsql();
    if csvsql.is_none() {
        println!("csvsql: not installed (pip install csvkit psycopg2-binary pymysql); no ratios");
    }
    println!(
        "\nloading {rows} rows into a database (ours: --offline --into, best of {}; csvsql: \
         --db --insert on the same rows as CSV, best of {})",
        runs.0, runs.1
    );
    println!(
        "  {:<12} {:>10} {:>10} {:>12} {:>10} {:>12}",
        "", "ours s", "rows/s", "csvsql s", "rows/s", "ours/csvsql"
    );
    let path = large.path.to_str().context("the workbook's path")?;
    for db in databases(dir) {
        let mut ours = Duration::MAX;
        for _ in 0..runs.0 {
            let start = Instant::now();
            let out = client
                .command(&[
                    path,
                    "--offline",
                    "--into",
                    &db.ours,
                    "--if-exists",
                    "replace",
                ])
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()?;
            let took = start.elapsed();
            ensure!(out.status.success(), "{}: the client failed", db.name);
            let loaded = (db.count)("Table_Vendas")?;
            ensure!(
                loaded == u64::from(rows),
                "{}: {loaded} rows loaded",
                db.name
            );
            ours = ours.min(took);
        }
        let theirs = match (&csvsql, &db.csvsql) {
            (Some(program), Some(url)) => {
                let mut best = Duration::MAX;
                for run in 0..runs.1 {
                    // A fresh table each run: csvsql creates it.
                    let table = format!("vendas_csv_{run}");
                    let start = Instant::now();
                    let status = std::process::Command::new(program)
                        .args(["--db", url, "--insert", "--tables", &table])
                        .arg(&csv_path)
                        .stdin(Stdio::null())
                        .status()?;
                    let took = start.elapsed();
                    ensure!(status.success(), "{}: csvsql failed", db.name);
                    let loaded = (db.count)(&table)?;
                    ensure!(
                        loaded == u64::from(rows),
                        "{}: csvsql loaded {loaded} rows",
                        db.name
                    );
                    best = best.min(took);
                }
                Some(best)
            }
            (Some(_), None) => {
                println!(
                    "  {}: csvsql's driver is not installed (pip install psycopg2-binary pymysql)",
                    db.name
                );
                None
            }
            _ => None,
        };
        let rate = |d: Duration| f64::from(rows) / d.as_secs_f64();
        match theirs {
            Some(t) => println!(
                "  {:<12} {:>10.2} {:>10.0} {:>12.2} {:>10.0} {:>11.1}×",
                db.name,
                ours.as_secs_f64(),
                rate(ours),
                t.as_secs_f64(),
                rate(t),
                rate(ours) / rate(t)
            ),
            None => println!(
                "  {:<12} {:>10.2} {:>10.0} {:>12} {:>10} {:>12}",
                db.name,
                ours.as_secs_f64(),
                rate(ours),
                "—",
                "—",
                "—"
            ),
        }
    }
    Ok(())
}

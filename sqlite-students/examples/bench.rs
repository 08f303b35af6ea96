//! The benchmark: insert 100,000 students in one transaction and one by
//! one, list them all, beside Python's `sqlite3` doing the same.
//!
//! ```text
//! cargo run --release -p sqlite-students --example sqlite-students-bench
//! cargo run --release -p sqlite-students --example sqlite-students-bench -- --rows 10000 --no-python
//! ```
//!
//! Each side runs the same SQL (the repository's: an existence check on the
//! matrícula, then the insert) on a fresh file in a temporary directory,
//! with `synchronous = FULL`, so every commit waits for the disk. "One by
//! one" is one transaction per student, as the server does for one `POST`
//! each; it is measured in WAL mode (the server's), in WAL mode with
//! `synchronous = NORMAL` (commits no longer wait for the disk: the cost of
//! durability), and with the default rollback journal (a new file the
//! client opens with `--db`), on a tenth of the rows.

use anyhow::{Context as _, bail};
use common::serve::Limits;
use sqlite_students::server::{self, Database};
use sqlite_students::{Aluno, Repository, Situacao};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows = match args.iter().position(|a| a == "--rows") {
        Some(i) => args.get(i + 1).context("--rows needs a number")?.parse()?,
        None => 100_000,
    };
    let python = !args.iter().any(|a| a == "--no-python");
    let dir = tempfile::tempdir()?;
    let students: Vec<Aluno> = (0..rows).map(student).collect();

    eprintln!("Rust: {rows} rows in one transaction...");
    let batch_path = dir.path().join("rs-batch.db");
    let mut repo = open(&batch_path, "WAL", "FULL")?;
    let batch = rate(rows, || repo.insert_all(&students).map(|_| ()))?;
    let list = median(|| repo.all().map(|all| assert_eq!(all.len(), rows)))?;
    drop(repo);
    let http = http_list(&batch_path, rows)?;

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

    println!("{rows} students; synchronous = FULL unless said");
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
    println!(
        "| `GET /alunos`, all {rows} rows as JSON over HTTP | {:.0} ms | - |",
        http.as_secs_f64() * 1000.0
    );
    Ok(())
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

/// The median time of `GET /alunos` for all rows, server in this process.
fn http_list(db: &Path, rows: usize) -> anyhow::Result<Duration> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let db = Arc::new(Database::open(db, server::DEFAULT_CONNECTIONS)?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/alunos", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task =
            tokio::spawn(async move { server::run(listener, db, &Limits::default(), stop).await });
        let http = reqwest::Client::new();
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let all: Vec<Aluno> = http.get(&url).send().await?.json().await?;
            times.push(start.elapsed());
            if all.len() != rows {
                bail!("GET /alunos returned {} rows", all.len());
            }
        }
        shutdown.cancel();
        task.await??;
        times.sort();
        Ok(times[2])
    })
}

fn python_bench(dir: &Path, rows: usize) -> anyhow::Result<serde_json::Value> {
    let script = dir.join("bench.py");
    std::fs::write(&script, include_str!("bench.py"))?;
    let out = Command::new("python3")
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

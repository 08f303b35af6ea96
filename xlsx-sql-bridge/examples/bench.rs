//! Rows per second, converting a 200,000-row × 8-column workbook: end to
//! end through both services, `--offline`, and pandas doing the paper's
//! conversion on the same file.
//!
//! ```text
//! cargo run --release -p xlsx-sql-bridge --example xlsx-sql-bridge-bench
//! cargo run --release -p xlsx-sql-bridge --example xlsx-sql-bridge-bench -- --rows 50000 --runs 5
//! ```
//!
//! The services run in this process (the library's `front::run` and
//! `converter::run` on ports the system chooses) and still talk HTTP to each
//! other; the client is the library's, writing the script to a sink. Each
//! figure is the best of `--runs` (default 3). The pandas figure runs
//! `pandas.read_excel` (openpyxl) and builds one `INSERT` per row with the
//! paper's rules; it is skipped if pandas is not installed.

use rust_xlsxwriter::{Format, Workbook};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xlsx_sql_bridge::client::{Client, convert_offline};
use xlsx_sql_bridge::convert::Options;
use xlsx_sql_bridge::converter::{self, ConverterConfig};
use xlsx_sql_bridge::front::{self, FrontConfig};

fn arg(name: &str, default: u32) -> anyhow::Result<u32> {
    Ok(std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(default))
}

/// The benchmark's workbook: id, unique text, decimal, integer, date-time,
/// boolean, repeated text, text.
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
    for (c, title) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *title)?;
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

/// The best time of `runs` runs of `f`.
fn best<F: FnMut() -> anyhow::Result<()>>(runs: u32, mut f: F) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

const PANDAS: &str = r#"
import sys, time
try:
    import pandas as pd
except ImportError:
    print("missing")
    sys.exit(0)
path, runs = sys.argv[1], int(sys.argv[2])

def literal(v):
    # The paper's rules: NULL for empty cells, numbers bare, text quoted.
    if v is None or (isinstance(v, float) and v != v):
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"

best = None
for _ in range(runs):
    start = time.perf_counter()
    rows = 0
    with open("/dev/null", "w") as out:
        for sheet, df in pd.read_excel(path, sheet_name=None).items():
            table = "Table_" + sheet.replace(" ", "_")
            columns = ", ".join(str(c).replace(" ", "_") for c in df.columns)
            for row in df.itertuples(index=False):
                values = ", ".join(literal(v) for v in row)
                out.write(f"INSERT INTO {table} ({columns}) VALUES ({values});\n")
                rows += 1
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(rows, best)
"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows = arg("--rows", 200_000)?;
    let runs = arg("--runs", 3)?;
    eprintln!("building a {rows}-row × 8-column workbook...");
    let bytes = workbook(rows)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("vendas.xlsx");
    std::fs::write(&path, &bytes)?;
    println!(
        "workbook: {rows} rows × 8 columns, {:.1} MiB (.xlsx); best of {runs} runs",
        bytes.len() as f64 / 1048576.0
    );

    // Both services in this process, talking HTTP on loopback.
    let shutdown = CancellationToken::new();
    let converter_listener = TcpListener::bind("127.0.0.1:0").await?;
    let converter_url = format!("http://{}", converter_listener.local_addr()?);
    let front_listener = TcpListener::bind("127.0.0.1:0").await?;
    let front_url = format!("http://{}", front_listener.local_addr()?);
    let services = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            tokio::try_join!(
                converter::run(
                    converter_listener,
                    ConverterConfig::default(),
                    shutdown.clone()
                ),
                front::run(
                    front_listener,
                    FrontConfig {
                        converter_url,
                        ..FrontConfig::default()
                    },
                    shutdown.clone(),
                ),
            )
        }
    });

    let client = Client::new(&front_url)?;
    let options = Options::default();
    let mut end_to_end = Duration::MAX;
    let mut script_bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        script_bytes = client
            .convert(&path, "vendas.xlsx", &options, &mut tokio::io::sink())
            .await?
            .bytes;
        end_to_end = end_to_end.min(start.elapsed());
    }
    shutdown.cancel();
    services.await??;

    let offline = best(runs, || {
        convert_offline(
            &path,
            "vendas.xlsx",
            &options,
            &Default::default(),
            std::io::sink(),
        )?;
        Ok(())
    })?;

    let rate = |d: Duration| f64::from(rows) / d.as_secs_f64();
    println!(
        "script: {:.1} MiB, one INSERT per row",
        script_bytes as f64 / 1048576.0
    );
    println!("{:<46} {:>9} {:>12}", "", "seconds", "rows/s");
    println!(
        "{:<46} {:>9.2} {:>12.0}",
        "end to end (client -> front -> converter)",
        end_to_end.as_secs_f64(),
        rate(end_to_end)
    );
    println!(
        "{:<46} {:>9.2} {:>12.0}",
        "--offline (same code, no HTTP)",
        offline.as_secs_f64(),
        rate(offline)
    );

    let pandas = std::process::Command::new("python3")
        .args([
            "-c",
            PANDAS,
            path.to_str().unwrap_or_default(),
            &runs.to_string(),
        ])
        .output();
    match pandas {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut fields = text.split_whitespace();
            match (
                fields.next(),
                fields.next().and_then(|s| s.parse::<f64>().ok()),
            ) {
                (Some("missing"), _) => {
                    println!("pandas: not installed (pip install pandas openpyxl)")
                }
                (Some(n), Some(seconds)) => println!(
                    "{:<46} {:>9.2} {:>12.0}",
                    format!("pandas read_excel + INSERTs ({n} rows)"),
                    seconds,
                    f64::from(rows) / seconds
                ),
                _ => println!("pandas: unexpected output {text:?}"),
            }
        }
        Ok(out) => println!(
            "pandas failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => println!("python3 not found: {e}"),
    }
    Ok(())
}

//! `xlsx-sql-bridge-client`: a workbook in, its SQL script out (MySQL by
//! default, PostgreSQL or SQLite with `--dialect`).
//!
//! A thin wrapper: parse flags, then upload the workbook through the front
//! (or convert it `--offline`) and write the script to stdout or `--output`.

use clap::Parser;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xlsx_sql_bridge::client::{Client, ClientError, Warnings, convert_offline};
use xlsx_sql_bridge::convert::Options;
use xlsx_sql_bridge::dialect::Dialect;
use xlsx_sql_bridge::load::{
    BadTarget, DEFAULT_LOAD_BATCH, IfExists, LoadOptions, Loaded, Progress, Target,
};
use xlsx_sql_bridge::shape::ColumnType;
use xlsx_sql_bridge::workbook::Limits;

/// How much of an error line is shown: ours are a sentence or two; what a
/// server sent is cut there.
const SHOWN_ERROR: usize = 1000;

/// Convert a spreadsheet (.xlsx, .xlsb, .xls, .ods) into a SQL script (MySQL, PostgreSQL or SQLite).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The workbook; `-` reads it from standard input.
    file: PathBuf,
    /// The workbook's name, for the script's first comment (default: FILE's
    /// name; `stdin` when FILE is `-`).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The front's URL.
    #[arg(long, default_value_t = format!("http://{}", common::addr::XLSX_FRONT))]
    url: String,
    /// Convert here, with the same code, without any server.
    #[arg(long)]
    offline: bool,
    /// Rows per INSERT statement [default: 1 in a script, 1000 with --into].
    #[arg(long, value_name = "N")]
    batch: Option<usize>,
    /// Add CREATE TABLE IF NOT EXISTS (types inferred from the data) and
    /// wrap the inserts in a transaction.
    #[arg(long)]
    create_table: bool,
    /// Convert only this sheet; repeated, these sheets, in this order.
    #[arg(long, value_name = "NAME")]
    sheet: Vec<String>,
    /// The row (from 1) that names the columns; the rows above it (a title,
    /// a note) are left out [default: the first row with a value].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    header_row: Option<u32>,
    /// Every column is text, whatever its values (numbers as written: 15,
    /// 12.5; booleans TRUE and FALSE).
    #[arg(long)]
    no_inference: bool,
    /// Choose columns' types by hand: COLUMN=TYPE,... with TYPE integer,
    /// decimal, boolean, datetime, time or text (a value that cannot take
    /// it is NULL, with a warning).
    #[arg(long, value_name = "COLUMN=TYPE,...", value_parser = parse_types)]
    types: Option<TypeList>,
    /// The script's SQL dialect: mysql (MySQL and MariaDB, the paper's),
    /// postgres or sqlite.
    #[arg(long, default_value_t = Dialect::Mysql, value_name = "DIALECT")]
    dialect: Dialect,
    /// Load the rows straight into a database instead of printing a script:
    /// mysql://USER:PASSWORD@HOST:PORT/DATABASE,
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE, or (with --offline)
    /// sqlite:FILE. Through the services, the converter connects, if its
    /// --allow-into lists the host; with --offline, this machine does.
    #[arg(long, value_name = "URL", conflicts_with_all = ["dialect", "output"])]
    into: Option<String>,
    /// What a table that exists already meets: fail (nothing is loaded),
    /// append, or replace (dropped first). In a script, implies
    /// --create-table [default with --into: fail].
    #[arg(long, value_name = "WHAT")]
    if_exists: Option<IfExists>,
    /// Name the table NAME instead of Table_<sheet> (one sheet with data).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// Write the script to this file (whole or not at all) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With --offline: the most memory the conversion may need, in MiB,
    /// estimated before the workbook is expanded (as the converter's flag).
    #[arg(long, default_value_t = 256, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    conversion_memory: u64,
}

fn main() -> ExitCode {
    common::cli::init_logging("warn");
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout left (`| head`): not an error of ours.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // The message may hold what a server sent, or names from the
            // workbook: shown escaped, never as terminal control codes.
            eprintln!(
                "error: {}",
                common::escape::escape(&common::cli::one_line(&e), SHOWN_ERROR)
            );
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), ClientError> {
    let default_batch = if args.into.is_some() {
        DEFAULT_LOAD_BATCH
    } else {
        1
    };
    let options = Options {
        batch: args.batch.unwrap_or(default_batch),
        create_table: args.create_table,
        sheets: args.sheet.clone(),
        header_row: args.header_row,
        no_inference: args.no_inference,
        types: args.types.clone().map(|t| t.0).unwrap_or_default(),
        dialect: args.dialect,
        table: args.table.clone(),
        if_exists: args.if_exists,
    };
    options
        .validate()
        .map_err(|message| ClientError::Convert(xlsx_sql_bridge::ConvertError::Options(message)))?;
    // A workbook on stdin is spooled to a private file first: both the
    // upload and the reader need its length and random access.
    let spooled;
    let from_stdin = args.file.as_os_str() == "-";
    let input: &Path = if from_stdin {
        spooled = spool_stdin()?;
        &spooled
    } else {
        &args.file
    };
    // The spooled copy's name is a temporary file's: never shown.
    let name = match (&args.name, from_stdin) {
        (Some(name), _) => name.clone(),
        (None, true) => "stdin".to_owned(),
        (None, false) => args.file.file_name().map_or_else(
            || "workbook".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    let input = Input {
        path: input,
        name: &name,
    };
    if let Some(url) = &args.into {
        return load(args, &input, &options, url);
    }
    let warnings = match &args.output {
        None => write_script(args, &input, &options, Output::Stdout)?,
        Some(path) => {
            // Write beside the target, then rename: the file is either the
            // whole script or untouched.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let temp = tempfile::Builder::new()
                .prefix(".xlsx-sql-bridge-")
                .tempfile_in(dir)
                .map_err(ClientError::Write)?;
            let warnings = write_script(
                args,
                &input,
                &options,
                Output::File(temp.reopen().map_err(ClientError::Write)?),
            )?;
            temp.persist(path)
                .map_err(|e| ClientError::Write(e.error))?;
            warnings
        }
    };
    // After the script: on a terminal they would be lost in it otherwise.
    // They quote sheet names, and what a server sent: escaped.
    for line in warnings.lines() {
        eprintln!("{}", common::escape::escape(&line, SHOWN_ERROR));
    }
    Ok(())
}

/// `--into`: load the workbook into the database (through the converter,
/// or here with `--offline`), report each table on stdout (`loaded 12 rows
/// from sheet 'Animals' into Table_Animals`), its warnings and, for a long
/// load here, its progress on stderr.
fn load(args: &Args, input: &Input<'_>, options: &Options, url: &str) -> Result<(), ClientError> {
    let loaded = if args.offline {
        load_here(args, input, options, url)?
    } else {
        let client = Client::new(&args.url)?;
        let runtime = runtime()?;
        runtime.block_on(client.load(input.path, input.name, options, url))?
    };
    let mut out = io::stdout().lock();
    for table in &loaded.tables {
        let rows = if table.rows == 1 { "row" } else { "rows" };
        writeln!(
            out,
            "loaded {} {rows} from sheet '{}' into {}",
            table.rows,
            common::escape::escape(&table.sheet, SHOWN_ERROR),
            common::escape::escape(&table.table, SHOWN_ERROR)
        )
        .map_err(ClientError::Write)?;
    }
    for warning in &loaded.warnings {
        eprintln!("warning: {}", common::escape::escape(warning, SHOWN_ERROR));
    }
    if loaded.more_warnings > 0 {
        eprintln!(
            "warning: {} more cells loaded as NULL are not shown here",
            loaded.more_warnings
        );
    }
    Ok(())
}

/// `--types`, parsed.
#[derive(Debug, Clone)]
struct TypeList(Vec<(String, ColumnType)>);

fn parse_types(spec: &str) -> Result<TypeList, String> {
    xlsx_sql_bridge::shape::parse_types(spec).map(TypeList)
}

/// The runtime of a call to the front.
fn runtime() -> Result<tokio::runtime::Runtime, ClientError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ClientError::Write)
}

/// `--into` with `--offline`: the load runs here.
fn load_here(
    args: &Args,
    input: &Input<'_>,
    options: &Options,
    url: &str,
) -> Result<Loaded, ClientError> {
    let target: Target = url.parse().map_err(|e: BadTarget| {
        ClientError::Convert(xlsx_sql_bridge::ConvertError::Options(e.to_string()))
    })?;
    let limits = Limits {
        max_memory: args.conversion_memory << 20,
        ..Limits::default()
    };
    let load = LoadOptions {
        batch: options.batch,
        if_exists: options.if_exists.unwrap_or_default(),
    };
    let mut progress = |p: Progress<'_>| {
        eprintln!(
            "loading {}: {} of {} rows",
            common::escape::escape(p.table, SHOWN_ERROR),
            p.rows,
            p.of
        );
    };
    xlsx_sql_bridge::client::load_offline(
        input.path,
        options,
        &limits,
        &target,
        load,
        &mut progress,
    )
}

/// The workbook: where its bytes are, and the name the script gives it.
struct Input<'a> {
    path: &'a Path,
    name: &'a str,
}

enum Output {
    Stdout,
    File(std::fs::File),
}

fn write_script(
    args: &Args,
    input: &Input<'_>,
    options: &Options,
    output: Output,
) -> Result<Warnings, ClientError> {
    if args.offline {
        let limits = Limits {
            max_memory: args.conversion_memory << 20,
            ..Limits::default()
        };
        match output {
            Output::Stdout => convert_offline(
                input.path,
                input.name,
                options,
                &limits,
                io::stdout().lock(),
            )
            .map(|(_, warnings)| warnings),
            Output::File(file) => {
                let (file, warnings) =
                    convert_offline(input.path, input.name, options, &limits, file)?;
                file.sync_all().map_err(ClientError::Write)?;
                Ok(warnings)
            }
        }
    } else {
        let client = Client::new(&args.url)?;
        let runtime = runtime()?;
        runtime.block_on(async {
            match output {
                Output::Stdout => {
                    let mut out = tokio::io::stdout();
                    client
                        .convert(input.path, input.name, options, &mut out)
                        .await
                        .map(|delivered| delivered.warnings)
                }
                Output::File(file) => {
                    let mut out = tokio::fs::File::from_std(file);
                    let delivered = client
                        .convert(input.path, input.name, options, &mut out)
                        .await?;
                    out.sync_all().await.map_err(ClientError::Write)?;
                    Ok(delivered.warnings)
                }
            }
        })
    }
}

fn spool_stdin() -> Result<tempfile::TempPath, ClientError> {
    let mut file = tempfile::NamedTempFile::new().map_err(ClientError::Write)?;
    let stdin_error = |source| ClientError::File {
        path: PathBuf::from("standard input"),
        source,
    };
    io::copy(&mut io::stdin().lock(), &mut file).map_err(stdin_error)?;
    file.flush().map_err(stdin_error)?;
    // Deleted when the returned path is dropped, at the end of `run`.
    Ok(file.into_temp_path())
}

//! `sqlite-students-client`: the `Alunos` operations and the whole
//! exercise, on a database file (`--db`) or through the server (`--url`).
//!
//! A thin wrapper: parse flags, run one command, or read commands from
//! standard input (a terminal or a pipe) when none is given.

use clap::{CommandFactory, Parser};
use sqlite_students::cli::{self, Command, Line, Output};
use sqlite_students::client::{ClientError, Store};
use sqlite_students::{print_lines, shown};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The Alunos exercise client: list, get, insert, update, rename, age,
/// delete, and `exercise`, which runs the slides' whole exercise.
///
/// Without a command it reads commands from standard input, one per line.
#[derive(Debug, Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// Work on this SQLite file directly (read commands need it to exist;
    /// commands that write create it).
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    db: Option<PathBuf>,
    /// Work through the server at this URL [default: http://127.0.0.1:8010].
    #[arg(long)]
    url: Option<String>,
    /// Print JSON (one document per command, on one line) instead of tables.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    let args = Args::parse();
    let output = if args.json {
        Output::Json
    } else {
        Output::Table
    };
    let store = match (&args.db, &args.url) {
        (Some(db), _) => Ok(Store::file(db)),
        (None, Some(url)) => Store::http(url),
        (None, None) => Store::http(&format!("http://{}", common::addr::SQLITE_STUDENTS)),
    };
    let mut store = match store {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    match args.command {
        Some(command) => match cli::execute(&mut store, command, output).await {
            Ok(lines) => {
                print_lines(&lines);
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        None => read_commands(&mut store, output).await,
    }
}

fn fail(e: &ClientError) -> ExitCode {
    say_failure(e);
    ExitCode::FAILURE
}

/// A failed command as one line, each reason once (the error and its
/// causes, [`common::cli::one_line`]).
fn say_failure(e: &ClientError) {
    say_error(&common::cli::one_line(e));
}

/// `error: ...` on stderr, escaped: the sentence may quote a server, a name
/// from the data, or what was typed.
fn say_error(text: &str) {
    eprintln!("error: {}", shown(text));
}

/// Commands from standard input, one per line, until its end. A failed
/// command prints its error and the next one runs; the exit code says
/// whether any failed.
async fn read_commands(store: &mut Store, output: Output) -> ExitCode {
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!("type a command (`help` lists them; Ctrl-D quits)");
    }
    let mut failed = false;
    let mut stdin = std::io::stdin().lock();
    let mut buf = Vec::new();
    loop {
        if interactive {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
        buf.clear();
        // Between awaits nothing else runs on this single-threaded
        // runtime, so a blocking read here holds nothing up.
        match stdin.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        }
        let line = String::from_utf8_lossy(&buf);
        let words = match cli::split_words(&line) {
            Ok(words) => words,
            Err(e) => {
                say_error(&e);
                failed = true;
                continue;
            }
        };
        match words.first().map(String::as_str) {
            None => continue,
            Some(w) if w.starts_with('#') => continue,
            Some("quit" | "exit") => break,
            Some("help") => {
                let help = Line::command().render_long_help().to_string();
                print_lines(&help.lines().map(str::to_owned).collect::<Vec<_>>());
                continue;
            }
            Some(_) => {}
        }
        let command = match Line::try_parse_from(&words) {
            Ok(line) => line.command,
            Err(e) => {
                say_error(&clap_message(&e));
                failed = true;
                continue;
            }
        };
        match cli::execute(store, command, output).await {
            Ok(lines) => print_lines(&lines),
            Err(e) => {
                say_failure(&e);
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// clap's first line, without its `error: ` (we add ours).
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid command");
    first.trim_start_matches("error: ").to_owned()
}

//! The tour: every finished exercise, run end to end on loopback.
//!
//! ```text
//! cargo run -p tour                                   # every exercise
//! cargo run -p tour -- --only socket-chat --only websocket-adder
//! cargo run -p tour -- --list                         # the exercises' names
//! cargo run -p tour -- --help
//! ```
//!
//! The tour builds the exercises' binaries, then, for each exercise, starts
//! the real server on a free port and drives the real client against it, as
//! a student would in two terminals. It prints each program's output as a
//! transcript (`server |`, `client |`, and `$` for the command lines) and ends
//! with a summary table. The exit code is 0 only if every step worked; a
//! flag it does not know, or an `--only` naming no exercise, is a usage
//! error (clap's message, exit code 2) before anything runs.

mod file_transfer;
mod grade;
mod lambda_calc_client;
mod rpc_calculator;
mod socket_chat;
mod sqlite_students;
mod step;
mod websocket_adder;
mod xlsx_sql_bridge;

use anyhow::{Context as _, bail};
use clap::Parser;
use clap::builder::PossibleValuesParser;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use step::Tour;

/// One exercise: its package name, and the function that tours it.
type Exercise = (&'static str, fn(&mut Tour));

/// The exercises the tour knows, in the order of the course.
const EXERCISES: &[Exercise] = &[
    ("socket-chat", socket_chat::tour),
    ("websocket-adder", websocket_adder::tour),
    ("sqlite-students", sqlite_students::tour),
    ("rpc-calculator", rpc_calculator::tour),
    ("file-transfer", file_transfer::tour),
    ("lambda-calc-client", lambda_calc_client::tour),
    ("xlsx-sql-bridge", xlsx_sql_bridge::tour),
    ("grade", grade::tour),
];

/// The course's exercises, end to end: build their binaries, run each one's
/// real server and client on loopback, print what they said, and end with a
/// summary table. Exit code 0 only if every step worked.
#[derive(Debug, Parser)]
#[command(name = "tour", version)]
struct Args {
    /// Tour only this exercise; repeat the flag for more. They run in the
    /// course's order, whatever the order of the flags.
    #[arg(long, value_name = "NAME",
          value_parser = PossibleValuesParser::new(EXERCISES.iter().map(|(name, _)| *name)))]
    only: Vec<String>,
    /// Print the exercises' names, one per line, in the course's order, and
    /// run nothing.
    #[arg(long)]
    list: bool,
    /// Use the binaries already built instead of building them first.
    #[arg(long)]
    no_build: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for (name, _) in EXERCISES {
            common::cli::print_line(name);
        }
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", common::cli::one_line(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<bool> {
    // clap has checked every name against `EXERCISES`.
    let chosen: Vec<&Exercise> = EXERCISES
        .iter()
        .filter(|(name, _)| args.only.is_empty() || args.only.iter().any(|o| o == name))
        .collect();
    if !args.no_build {
        build(chosen.iter().map(|(name, _)| *name))?;
    }
    let mut tour = Tour::new(bin_dir()?);
    for (_, run_exercise) in chosen {
        run_exercise(&mut tour);
    }
    Ok(tour.summary())
}

/// The binaries live beside the tour's own executable (`target/debug`).
fn bin_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the tour's own executable")?;
    Ok(exe
        .parent()
        .context("the tour's executable has no directory")?
        .to_owned())
}

/// Build the exercises' binaries with the profile the tour itself was built with.
fn build<'a>(packages: impl Iterator<Item = &'a str>) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--bins"]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    for package in packages {
        cmd.args(["-p", package]);
    }
    eprintln!("building the exercises' binaries...");
    let status = cmd
        .status()
        .context("cannot run cargo to build the exercises")?;
    if !status.success() {
        bail!("building the exercises failed");
    }
    Ok(())
}

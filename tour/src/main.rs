//! The tour: every finished exercise, run end to end on loopback.
//!
//! ```text
//! cargo run -p tour
//! ```
//!
//! The tour builds the exercises' binaries, then, for each exercise, starts
//! the real server on a free port and drives the real client against it, as
//! a student would in two terminals. It prints each program's output as a
//! transcript (`server |`, `client |`, and `$` for the command lines) and ends
//! with a summary table. The exit code is 0 only if every step worked.
//!
//! Flags: `--no-build` (use the binaries already built), `--only NAME`
//! (one exercise).

mod file_transfer;
mod lambda_calc_client;
mod rpc_calculator;
mod socket_chat;
mod sqlite_students;
mod step;
mod websocket_adder;
mod xlsx_sql_bridge;

use anyhow::{Context as _, bail};
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
];

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .map(|i| {
            args.get(i + 1)
                .cloned()
                .context("--only needs an exercise name")
        })
        .transpose()?;
    let chosen: Vec<_> = EXERCISES
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<_> = EXERCISES.iter().map(|(n, _)| *n).collect();
        bail!(
            "no exercise named {only:?}; the tour knows {}",
            names.join(", ")
        );
    }
    if !args.iter().any(|a| a == "--no-build") {
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

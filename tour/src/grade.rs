//! grade: the teacher's grader on a deliberately wrong submission, the
//! slides' XML-RPC calculator with `div` forgotten, graded on the XML-RPC
//! points of rpc-calculator.

use crate::step::{Tour, command, show};
use anyhow::{Context as _, ensure};
use common::testing::Launcher;
use std::process::Command;

const EXERCISE: &str = "grade";

/// The fixture, in grade's tests.
const SUBMISSION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../grade/tests/fixtures/xmlrpc-without-div/server.py"
);

pub fn tour(tour: &mut Tour) {
    tour.step(EXERCISE, "an XML-RPC server without div", |t| {
        let python = Launcher::python().describe(&[]);
        let server = format!("{python} {SUBMISSION}");
        let args = [
            "rpc-calculator",
            "--server",
            server.as_str(),
            "--only",
            "xmlrpc",
            "--timeout",
            "10",
        ];
        command(&format!(
            "grade rpc-calculator --server \"{server}\" --only xmlrpc --timeout 10"
        ));
        // Not through `Launcher`: building the tests and grading take longer
        // than one of its waits, and grade bounds every test itself.
        let done = Command::new(t.bin_path("grade"))
            .args(args)
            .output()
            .context("cannot run grade")?;
        let report = String::from_utf8_lossy(&done.stdout);
        let lines: Vec<String> = report.lines().map(str::to_owned).collect();
        show("grade", &lines);
        ensure!(
            done.status.success(),
            "grade failed: {}",
            String::from_utf8_lossy(&done.stderr).trim()
        );
        let lost = |sentence: &str| {
            lines
                .iter()
                .any(|l| l.starts_with("FAIL") && l.ends_with(sentence))
        };
        ensure!(
            lost("a quotient is a double") && lost("division by zero is a fault"),
            "expected the points that divide to be lost"
        );
        ensure!(
            lines
                .iter()
                .any(|l| l.starts_with("pass") && l.ends_with("Python ints are added")),
            "expected the addition's point to be earned"
        );
        Ok(())
    });
}

//! `grade`: the teacher's grader.
//!
//! Every exercise crate proves its protocol with black-box tests that start
//! the programs under test from an environment variable
//! (`WEBSOCKET_ADDER_SERVER="python3 server.py"`), so the same tests grade a
//! student's program. `cargo test` is the wrong report for a teacher: it
//! stops at the first test target that fails, prints backtraces and our file
//! paths, and shows a skipped test as `ok`. This crate runs the same tests as
//! programs and reports what a teacher needs:
//!
//! 1. [`build`]: `cargo test --no-run` builds the exercise's integration
//!    tests once; each test binary lists its tests (`--list`).
//! 2. [`run`]: each test runs alone in its own process (`--exact NAME`),
//!    in its own process group, in a scratch directory, with a time limit;
//!    the programs it starts are killed with it. Its outcome is read from
//!    libtest's stable text output: `pass`, `FAIL` with the assertion's
//!    message, `skipped` (the `SKIPPED:` line of `common::testing::require`)
//!    or `timeout`. With `GRADE_REPORT=1` every launcher says which program
//!    under test it starts, so a test counts for a submission only if it ran
//!    one of the submission's programs.
//! 3. [`report`]: one row per test (its name as a sentence, its target, the
//!    outcome, a two-line reason), the score, and the files an LMS reads
//!    (Gradescope's `results.json`, JUnit XML, a class CSV).
//! 4. [`submission`]: the commands of a submission, made runnable from any
//!    directory, and a whole class read from `DIR/*/submission.toml`.

pub mod build;
pub mod exercise;
pub mod points;
pub mod report;
pub mod run;
pub mod sentence;
pub mod submission;

use build::Target;
use exercise::Exercise;
use points::Points;
use report::{Report, Row};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use submission::Commands;

/// How a submission is graded.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Each test's time limit.
    pub limit: Duration,
    /// How many tests run at once.
    pub jobs: usize,
    /// What each test is worth.
    pub points: Points,
}

/// Grade one submission: every test of `targets`, each in its own process,
/// `settings.jobs` at a time, with `dir` as the working directory of the
/// tests (and so of the programs they start without choosing one).
pub fn grade(
    exercise: &Exercise,
    targets: &[Target],
    commands: &Commands,
    dir: &Path,
    settings: &Settings,
) -> Report {
    let started = Instant::now();
    let tests: Vec<(&Target, &String)> = targets
        .iter()
        .flat_map(|t| t.tests.iter().map(move |name| (t, name)))
        .collect();
    let mut env = commands.env();
    // A wait inside a test gets at most half the test's time, so that a
    // program that never answers fails with the test's own sentence
    // ("expected another line on stdout") rather than a bare timeout.
    let half = settings.limit / 2;
    if half < common::testing::DEFAULT_TEST_TIMEOUT
        && std::env::var_os(common::testing::TEST_TIMEOUT_VAR).is_none()
    {
        env.push((
            common::testing::TEST_TIMEOUT_VAR.to_owned(),
            half.as_secs().max(1).to_string(),
        ));
    }
    let graded = commands.graded_vars(exercise);
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; tests.len()]);
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((target, test)) = tests.get(i) else {
                        break;
                    };
                    let outcome = run::run(&target.executable, test, dir, &env, settings.limit);
                    let counted = outcome.uses.iter().any(|v| graded.contains(&v.as_str()));
                    let row = Row {
                        target: target.name.clone(),
                        test: (*test).clone(),
                        points: settings.points.of(&target.name, test),
                        outcome,
                        counted,
                    };
                    if let Ok(mut rows) = rows.lock() {
                        rows[i] = Some(row);
                    }
                }
            });
        }
    });
    let rows = rows
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    Report {
        exercise: exercise.package.to_owned(),
        graded: commands.describe(),
        rows,
        duration: started.elapsed(),
    }
}

//! Run one test in a process of its own, and read what happened.
//!
//! The test binary runs with `--exact NAME`, in a new process group, so that
//! when it ends, or overruns its time limit, the whole group is killed: the
//! test, and every program it started that did not leave the group. A test
//! that hangs costs its own point and nothing else.
//!
//! Only libtest's stable text output is read: the exit status, the
//! `---- NAME stdout ----` section where a failing test's panic message is
//! printed, and two lines written straight to stderr by `common::testing`:
//! `SKIPPED: NAME: why` (a tool the test needs is missing) and, because the
//! grader sets `GRADE_REPORT=1`, `GRADE: uses ENV_VAR` each time the test
//! starts a program under test.

use common::escape::escape;
use common::testing::{GRADE_REPORT, GRADE_USES};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// It passed.
    Pass,
    /// It failed: the program under test did not do what the protocol says.
    Fail,
    /// It did not run: a tool it needs is missing. Never counted as earned.
    Skipped,
    /// It did not finish within the time limit.
    Timeout,
}

impl Status {
    /// As the report shows it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Skipped => "skipped",
            Status::Timeout => "timeout",
        }
    }
}

/// What one test did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// At most two lines that say why, for anything but a pass.
    pub reason: Vec<String>,
    /// The environment variables of the programs under test it started.
    pub uses: BTreeSet<String>,
    /// How long it ran.
    pub duration: Duration,
}

/// Start the test in a process group of its own (Unix), so that
/// [`stop_all`] stops the servers it started too.
#[cfg(unix)]
fn own_group(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    command.process_group(0);
}

/// Windows has no process groups: see [`stop_all`].
#[cfg(not(unix))]
fn own_group(_command: &mut Command) {}

/// Stop the test and everything it started, whether or not it has exited
/// (not yet reaped, its id is still its own).
#[cfg(unix)]
fn stop_all(child: &mut std::process::Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group we
        // created for this test; it touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// On Windows only the test's own process is stopped: a server it started
/// and did not stop (a test that ran out of time) may outlive it.
#[cfg(not(unix))]
fn stop_all(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// How much of a reason line the report shows.
const REASON_CHARS: usize = 240;

/// Run test `test` of the test binary `executable`, in `dir`, with `env`
/// added to the environment, for at most `limit`.
pub fn run(
    executable: &Path,
    test: &str,
    dir: &Path,
    env: &[(String, String)],
    limit: Duration,
) -> Outcome {
    let started = Instant::now();
    let mut command = Command::new(executable);
    command
        .args([test, "--exact", "--test-threads", "1"])
        .env(GRADE_REPORT, "1")
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    own_group(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                status: Status::Fail,
                reason: vec![format!("the test could not start: {e}")],
                uses: BTreeSet::new(),
                duration: started.elapsed(),
            };
        }
    };
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    // A child's exit has no timeout in std: poll. This is the grader, not a
    // test, and 20 ms is nothing beside a test's own run time.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= limit => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    // The test is over (or out of time): nothing it started may outlive it.
    stop_all(&mut child);
    let _ = child.wait();
    let collect = |h: Option<std::thread::JoinHandle<String>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    let duration = started.elapsed();
    let mut outcome = judge(test, status.map(|s| s.success()), &stdout, &stderr);
    outcome.duration = duration;
    if status.is_none() {
        outcome.reason = vec![format!(
            "no result within {} s: the test and the programs it started were stopped",
            limit.as_secs_f64()
        )];
    }
    outcome
}

/// Read a pipe to its end on a thread of its own (a full pipe would
/// otherwise stop the test).
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The outcome of test `test` from its exit (`None`: it was stopped at the
/// time limit) and what it printed.
pub fn judge(test: &str, success: Option<bool>, stdout: &str, stderr: &str) -> Outcome {
    let uses: BTreeSet<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(GRADE_USES))
        .map(|v| v.trim().to_owned())
        .collect();
    let skip_prefix = format!("SKIPPED: {test}: ");
    let skipped = stderr.lines().find_map(|l| {
        l.strip_prefix(&skip_prefix)
            .or_else(|| l.strip_prefix("SKIPPED: "))
    });
    let (status, reason) = match success {
        None => (Status::Timeout, Vec::new()),
        Some(true) => match skipped {
            Some(why) => (Status::Skipped, vec![shown(why)]),
            None if stdout.contains(&format!("test {test} ... ok")) => (Status::Pass, Vec::new()),
            None => (
                Status::Fail,
                vec!["the test binary ran no test of that name".to_owned()],
            ),
        },
        Some(false) => (Status::Fail, failure_reason(test, stdout, stderr)),
    };
    Outcome {
        status,
        reason,
        uses,
        duration: Duration::ZERO,
    }
}

/// One line of a reason, escaped and cut.
fn shown(line: &str) -> String {
    escape(line.trim(), REASON_CHARS).into_owned()
}

/// The panic message of a failed test, as at most two lines: for an
/// `assert_eq!`, its message (if any) and `expected …, got …`; otherwise
/// the message's first two lines. Never a backtrace or a file path of ours.
fn failure_reason(test: &str, stdout: &str, stderr: &str) -> Vec<String> {
    let header = format!("---- {test} stdout ----");
    let section = stdout
        .split_once(&header)
        .map(|(_, rest)| rest)
        .unwrap_or(stdout);
    let message: Vec<&str> = section
        .lines()
        .skip_while(|l| !(l.starts_with("thread '") && l.contains(" panicked at ")))
        .skip(1)
        .take_while(|l| {
            !l.starts_with("note: run with")
                && !l.starts_with("stack backtrace:")
                && !l.starts_with("failures:")
        })
        .collect();
    let message = message
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>();
    if message.is_empty() {
        // Killed by a signal, or it crashed before libtest could report.
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return vec![match last {
            Some(line) => shown(line),
            None => "the test failed without a message".to_owned(),
        }];
    }
    let first = message[0];
    if let Some(rest) = first
        .strip_prefix("assertion `left == right` failed")
        .or_else(|| first.strip_prefix("assertion `left != right` failed"))
    {
        let field = |name: &str| {
            message
                .iter()
                .find_map(|l| l.trim_start().strip_prefix(name))
                .map(str::trim)
        };
        let said = rest.trim_start_matches(':').trim();
        let line1 = if said.is_empty() {
            "the answer is not the expected one".to_owned()
        } else {
            shown(said)
        };
        let line2 = match (field("right:"), field("left:")) {
            (Some(expected), Some(got)) if first.contains("==") => {
                shown(&format!("expected {expected}, got {got}"))
            }
            (_, Some(got)) => shown(&format!("got {got}, which it must not be")),
            _ => return vec![line1],
        };
        return vec![line1, line2];
    }
    message.iter().take(2).map(|l| shown(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED_EQ: &str = "\nrunning 1 test\ntest sums ... FAILED\n\nfailures:\n\n---- sums stdout ----\n\nthread 'sums' (123) panicked at websocket-adder/tests/adder.rs:10:5:\nassertion `left == right` failed: the sum of 1e28 and 0.1\n  left: \"1e+28\"\n right: \"10000000000000000000000000000.1\"\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\nfailures:\n    sums\n\ntest result: FAILED. 0 passed; 1 failed\n";

    #[test]
    fn a_failed_assert_eq_says_what_was_expected_and_what_came() {
        let outcome = judge(
            "sums",
            Some(false),
            FAILED_EQ,
            "GRADE: uses WEBSOCKET_ADDER_SERVER\n",
        );
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.reason,
            [
                "the sum of 1e28 and 0.1",
                "expected \"10000000000000000000000000000.1\", got \"1e+28\""
            ]
        );
        assert_eq!(
            outcome.uses.into_iter().collect::<Vec<_>>(),
            ["WEBSOCKET_ADDER_SERVER"]
        );
    }

    #[test]
    fn another_panic_gives_its_first_two_lines_without_our_paths() {
        let stdout = "---- t stdout ----\n\nthread 't' (9) panicked at common/src/testing.rs:298:9:\nexpected another line on stdout\n  program: python3 server.py\n  stderr:\nTraceback\nnote: run with `RUST_BACKTRACE=1`\n";
        let outcome = judge("t", Some(false), stdout, "");
        assert_eq!(
            outcome.reason,
            [
                "expected another line on stdout",
                "program: python3 server.py"
            ]
        );
    }

    #[test]
    fn a_skip_is_skipped_with_its_reason() {
        let outcome = judge(
            "page",
            Some(true),
            "test page ... ok\n",
            "SKIPPED: page: needs Chromium\n",
        );
        assert_eq!(outcome.status, Status::Skipped);
        assert_eq!(outcome.reason, ["needs Chromium"]);
    }

    #[test]
    fn a_pass_needs_the_test_to_have_run() {
        assert_eq!(
            judge("a", Some(true), "test a ... ok\n", "").status,
            Status::Pass
        );
        assert_eq!(
            judge("a", Some(true), "running 0 tests\n", "").status,
            Status::Fail
        );
    }

    #[test]
    fn control_characters_in_a_message_are_escaped() {
        let stdout = "---- t stdout ----\nthread 't' panicked at x.rs:1:1:\nbad \u{1b}[2J answer\n";
        assert_eq!(
            judge("t", Some(false), stdout, "").reason,
            ["bad \\x1b[2J answer"]
        );
    }
}

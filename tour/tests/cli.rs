//! The tour's command line, black-box: the real `tour` binary, run with
//! flags that must never start the tour itself.
//!
//! Every run here gets a `CARGO` that does not exist: the tour builds the
//! exercises with `$CARGO` before anything else, so a flag that wrongly
//! started the tour fails at once instead of running every exercise.

use common::testing::{Finished, Launcher};

/// The exercises, in the course's order, and the grader.
const EXERCISES: [&str; 8] = [
    "socket-chat",
    "websocket-adder",
    "sqlite-students",
    "rpc-calculator",
    "file-transfer",
    "lambda-calc-client",
    "xlsx-sql-bridge",
    "grade",
];

/// Run the tour with `args` and wait for it to exit.
fn tour(args: &[&str]) -> Finished {
    Launcher::fixed(env!("CARGO_BIN_EXE_tour"))
        .spawn_with(args, |cmd| {
            cmd.env("CARGO", "/nonexistent/cargo-the-tour-tests-never-run");
        })
        .finish()
}

#[test]
fn help_describes_the_flags_and_runs_nothing() {
    let done = tour(&["--help"]);
    assert_eq!(done.status.code(), Some(0), "stderr: {}", done.stderr);
    assert_eq!(done.stderr, "", "the tour started");
    let help = done.stdout.join("\n");
    for flag in [
        "--only <NAME>",
        "--list",
        "--no-build",
        "--help",
        "--version",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
    assert!(
        help.contains(&format!("[possible values: {}]", EXERCISES.join(", "))),
        "--help does not list the exercises:\n{help}"
    );
}

#[test]
fn list_prints_the_exercises_one_per_line() {
    let done = tour(&["--list"]);
    assert_eq!(done.status.code(), Some(0), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, EXERCISES);
    assert_eq!(done.stderr, "");
}

#[test]
fn only_an_unknown_exercise_is_refused_with_the_valid_names() {
    let done = tour(&["--only", "nope"]);
    assert_eq!(done.status.code(), Some(2), "a usage error");
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        done.stderr,
        format!(
            "error: invalid value 'nope' for '--only <NAME>'\n  [possible values: {}]\n\n\
             For more information, try '--help'.\n",
            EXERCISES.join(", ")
        )
    );
}

#[test]
fn only_a_known_exercise_after_an_unknown_one_is_still_refused() {
    let done = tour(&["--only", "socket-chat", "--only", "nope"]);
    assert_eq!(done.status.code(), Some(2), "a usage error");
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert!(
        done.stderr
            .starts_with("error: invalid value 'nope' for '--only <NAME>'\n"),
        "{}",
        done.stderr
    );
}

#[test]
fn an_unknown_flag_is_refused() {
    let done = tour(&["--frobnicate"]);
    assert_eq!(done.status.code(), Some(2), "a usage error");
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        done.stderr,
        "error: unexpected argument '--frobnicate' found\n\n\
         Usage: tour [OPTIONS]\n\n\
         For more information, try '--help'.\n"
    );
}

/// `--only`, repeated, builds exactly the exercises named, each once, in
/// the course's order. The build is a stand-in `cargo` that records what it
/// was asked and fails, so the tour stops there.
#[cfg(unix)]
#[test]
fn only_repeated_chooses_those_exercises_in_the_course_order() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let asked = dir.path().join("asked");
    let cargo = dir.path().join("cargo");
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\necho \"$@\" > '{}'\nexit 1\n", asked.display()),
    )
    .expect("write the stand-in cargo");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755))
        .expect("make it executable");
    let done = Launcher::fixed(env!("CARGO_BIN_EXE_tour"))
        .spawn_with(
            &[
                "--only",
                "websocket-adder",
                "--only",
                "socket-chat",
                "--only",
                "websocket-adder",
            ],
            |cmd| {
                cmd.env("CARGO", &cargo);
            },
        )
        .finish();
    // The tour builds with its own profile, which is this test's.
    let release = if cfg!(debug_assertions) {
        ""
    } else {
        " --release"
    };
    assert_eq!(
        std::fs::read_to_string(&asked).expect("cargo was run"),
        format!("build --bins{release} -p socket-chat -p websocket-adder\n")
    );
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        "building the exercises' binaries...\nerror: building the exercises failed\n"
    );
}

//! lambda-calc-client: the course's REST calculator, served locally, and its client.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::ensure;
use common::testing::{Finished, Program};

const EXERCISE: &str = "lambda-calc-client";
const SERVER: &str = "lambda-calc-server";
const CLIENT: &str = "lambda-calc-client";

pub fn tour(tour: &mut Tour) {
    tour.step(EXERCISE, "the slide's dialogue", dialogue);
    tour.step(EXERCISE, "one calculation per command", one_shot);
    tour.step(EXERCISE, "lines from a pipe, --value", pipe);
    tour.step(EXERCISE, "refusals: a value, 400 and 403", refusals);
}

fn start_server(t: &Tour) -> (Program, String) {
    command(&format!("{SERVER} --listen 127.0.0.1:0"));
    let server = t.bin(SERVER).start_server(&["--listen", "127.0.0.1:0"]);
    let url = format!("http://{}/api", server.addr());
    (server, url)
}

/// Run the client with `args` after `--url`, typing `input`.
fn client(t: &Tour, url: &str, args: &[&str], input: &[&str]) -> Finished {
    let mut all = vec!["--url", url];
    all.extend_from_slice(args);
    let shown = if input.is_empty() {
        String::new()
    } else {
        format!("printf '{}\\n' | ", input.join("\\n"))
    };
    command(&format!("{shown}{CLIENT} {}", all.join(" ")));
    let mut client = t.bin(CLIENT).spawn(&all);
    for line in input {
        client.write_line(line);
    }
    client.finish()
}

/// The slide's run, as issue 13 quotes it: what a terminal shows, the
/// person's answers included (the client echoes them when they come from a
/// pipe).
const SLIDE_RUN: [&str; 6] = [
    "Informe a operação: [soma] [sub] [div] [mult]mult",
    "operação:  mult",
    "Informe o valor 1: 8",
    "Informe o valor 2: 5",
    "{'A multiplicação': 40}",
    "Fim...",
];

/// The slide's run, line for line, on stdout.
fn dialogue(t: &Tour) -> anyhow::Result<()> {
    let (server, url) = start_server(t);
    let done = client(t, &url, &["--interactive"], &["mult", "8", "5"]);
    show("client", &done.stdout);
    let stderr: Vec<String> = done.stderr.lines().map(str::to_owned).collect();
    show("stderr", &stderr);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    ensure!(
        done.stdout == SLIDE_RUN,
        "expected the slide's run, line for line"
    );
    ensure!(done.stderr.is_empty(), "expected nothing on stderr");
    stop_and_show(server)
}

fn one_shot(t: &Tour) -> anyhow::Result<()> {
    let (server, url) = start_server(t);
    for (args, expected) in [
        (["soma", "4", "5"], r#"{"A soma: ": 9}"#),
        (["sub", "4", "5"], r#"{"A subtração:": -1}"#),
        (["mult", "4", "5"], r#"{"A multiplicação": 20}"#),
        (["div", "4", "5"], r#"{"A Divisão": 0.8}"#),
    ] {
        let done = client(t, &url, &args, &[]);
        show("client", &done.stdout);
        ensure!(
            done.status.success(),
            "the client failed: {}",
            done.stderr.trim()
        );
        ensure!(done.stdout == [expected], "expected {expected}");
    }
    stop_and_show(server)
}

fn pipe(t: &Tour) -> anyhow::Result<()> {
    let (server, url) = start_server(t);
    let done = client(
        t,
        &url,
        &["--value"],
        &[
            "mult 8 5",
            "div 1 3",
            "sub 0.3 0.1",
            "soma -0 1e3",
            "soma 10 1e-28",
            "div 1e-28 3",
        ],
    );
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    // Exact, every digit: a quotient that does not end has 34 digits.
    ensure!(
        done.stdout
            == [
                "40",
                "0.3333333333333333333333333333333333",
                "0.2",
                "1000",
                "10.0000000000000000000000000001",
                "3.333333333333333333333333333333333e-29",
            ],
        "unexpected results"
    );
    stop_and_show(server)
}

/// The client's own refusal of a value beyond the bounds (before sending),
/// the server's 400 and API Gateway's 403.
fn refusals(t: &Tour) -> anyhow::Result<()> {
    let (server, url) = start_server(t);
    for (args, expected) in [
        (["div", "8", "0"], "division by zero"),
        (["soma", "1e1000", "1"], "out of range"),
        (["pow", "2", "3"], "Missing Authentication Token"),
    ] {
        let done = client(t, &url, &args, &[]);
        let stderr: Vec<String> = done.stderr.lines().map(str::to_owned).collect();
        show("stderr", &stderr);
        ensure!(done.status.code() == Some(1), "the client should fail");
        ensure!(done.stderr.contains(expected), "expected {expected:?}");
    }
    stop_and_show(server)
}

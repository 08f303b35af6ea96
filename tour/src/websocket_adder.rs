//! websocket-adder: the page over HTTP, the adder, hello (example 1) and
//! push (example 2), all on one port.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::{Context as _, ensure};
use common::testing::Program;
use std::io::{Read as _, Write as _};

const EXERCISE: &str = "websocket-adder";
const SERVER: &str = "websocket-adder-server";
const CLIENT: &str = "websocket-adder-client";

pub fn tour(tour: &mut Tour) {
    tour.step(EXERCISE, "the page and the WebSockets on one port", page);
    tour.step(EXERCISE, "add two numbers from the command line", |t| {
        let server = start_server(t, &[]);
        for (numbers, sum) in [(["3", "4"], "7"), (["0.1", "0.2"], "0.3")] {
            let mut args = vec!["--connect", server.addr()];
            args.extend(numbers);
            command(&format!("{CLIENT} {}", args.join(" ")));
            let done = t.bin(CLIENT).spawn(&args).finish();
            show("client", &done.stdout);
            ensure!(
                done.status.success(),
                "the client failed: {}",
                done.stderr.trim()
            );
            ensure!(done.stdout == [sum], "expected {sum}");
        }
        stop_and_show(server)
    });
    tour.step(EXERCISE, "add pairs from a pipe, over one connection", pipe);
    tour.step(EXERCISE, "hello (example 1), also on its own port", hello);
    tour.step(
        EXERCISE,
        "push (example 2): the operator types, pages receive",
        push,
    );
}

fn start_server(t: &Tour, args: &[&str]) -> Program {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    command(&format!("{SERVER} {}", all.join(" ")));
    t.bin(SERVER).start_server(&all)
}

/// The page is plain HTTP on the same port as the WebSockets.
fn page(t: &Tour) -> anyhow::Result<()> {
    let server = start_server(t, &[]);
    let addr = server.socket_addr();
    command(&format!("curl -s http://{addr}/ | head -6"));
    let mut stream = std::net::TcpStream::connect(addr).context("connect")?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("an HTTP response")?;
    let lines: Vec<String> = body.lines().take(6).map(str::to_owned).collect();
    show("http", &lines);
    ensure!(head.starts_with("HTTP/1.1 200"), "expected 200, got {head}");
    ensure!(body.contains("WebSocket adder"), "not the page");
    println!("  (open http://{addr}/ in a browser to use it)");
    stop_and_show(server)
}

/// Each line is one request; each reply is one line; errors too.
fn pipe(t: &Tour) -> anyhow::Result<()> {
    let server = start_server(t, &[]);
    let lines = ["3 4", "0.1,0.2", "3;4", r#"{"a":3,"b":4}"#, "abc"];
    command(&format!(
        "printf '{}\\n' | {CLIENT} --connect {}",
        lines.join("\\n"),
        server.addr()
    ));
    let mut client = t.bin(CLIENT).spawn(&["--connect", server.addr()]);
    for line in lines {
        client.write_line(line);
    }
    let done = client.finish();
    show("client", &done.stdout);
    show("stderr", &lines_of(&done.stderr));
    ensure!(
        done.stdout
            == [
                "7",
                "0.3",
                "7",
                r#"{"sum":7}"#,
                r#"error: "abc" is not a number"#
            ],
        "unexpected replies"
    );
    ensure!(
        done.status.code() == Some(1),
        "one request was refused, so the exit code must be 1"
    );
    stop_and_show(server)
}

fn hello(t: &Tour) -> anyhow::Result<()> {
    let mut server = start_server(t, &["--hello", "127.0.0.1:0"]);
    let line = server.next_line();
    let hello_addr = line
        .strip_prefix("hello listening on ")
        .with_context(|| format!("expected `hello listening on <addr>`, got {line:?}"))?
        .to_owned();
    let on_main = ["--connect", server.addr(), "--hello", "Marcos"];
    let url = format!("ws://{hello_addr}/");
    let on_own_port = ["--url", url.as_str(), "--hello", "Maísa"];
    for (args, greeting) in [(&on_main, "Ola Marcos!"), (&on_own_port, "Ola Maísa!")] {
        command(&format!("{CLIENT} {}", args.join(" ")));
        let done = t.bin(CLIENT).spawn(args).finish();
        show("client", &done.stdout);
        ensure!(
            done.status.success(),
            "the client failed: {}",
            done.stderr.trim()
        );
        ensure!(done.stdout == [greeting], "expected {greeting}");
    }
    stop_and_show(server)
}

fn push(t: &Tour) -> anyhow::Result<()> {
    let mut server = start_server(t, &[]);
    let addr = server.addr().to_owned();
    command(&format!("{CLIENT} --connect {addr} --listen-push"));
    let mut listener = t.bin(CLIENT).spawn(&["--connect", &addr, "--listen-push"]);
    server.line_containing("+ push ");
    for line in ["Bom dia!", "O servidor está no ar."] {
        println!("  (the operator types) {line}");
        server.write_line(line);
    }
    let first = listener.next_line();
    let second = listener.next_line();
    println!("  (the operator presses Ctrl-C)");
    server.interrupt();
    let done = listener.finish();
    let mut shown = done.consumed;
    shown.extend(done.stdout);
    show("client", &shown);
    show("stderr", &lines_of(&done.stderr));
    ensure!(
        [first.as_str(), second.as_str()] == ["Bom dia!", "O servidor está no ar."],
        "the client did not print the pushed messages"
    );
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    let finished = server.finish();
    let mut all = finished.consumed;
    all.extend(finished.stdout);
    show("server", &all);
    ensure!(
        finished.status.success(),
        "the server exited with {}",
        finished.status
    );
    Ok(())
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

//! socket-chat: echo, chat, upper-case over UDP, a Unix socket, a pipe, protobuf.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::ensure;
use common::testing::Program;

const EXERCISE: &str = "socket-chat";
const SERVER: &str = "socket-chat-server";
const CLIENT: &str = "socket-chat-client";

pub fn tour(tour: &mut Tour) {
    tour.step(EXERCISE, "TCP echo (Eco=>)", |t| {
        request_reply(
            t,
            &["--mode", "echo"],
            &["Olá", "Bom dia", "Boa tarde"],
            &["Eco=>Olá", "Eco=>Bom dia", "Eco=>Boa tarde"],
        )
    });
    tour.step(EXERCISE, "terminal chat, client first", chat);
    tour.step(EXERCISE, "upper-case echo over UDP", |t| {
        request_reply(
            t,
            &["--mode", "upper", "--transport", "udp"],
            &["labi", "olá"],
            &["LABI", "OLÁ"],
        )
    });
    tour.step(EXERCISE, "Unix socket", |t| {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("run.sock");
        let path = path.to_str().unwrap_or("run.sock");
        let unix = ["--mode", "echo", "--transport", "unix", "--path", path];
        request_reply(t, &unix, &["via AF_UNIX"], &["Eco=>via AF_UNIX"])
    });
    tour.step(EXERCISE, "in a shell pipe", pipe);
    tour.step(EXERCISE, "protobuf framing", |t| {
        request_reply(
            t,
            &["--mode", "echo", "--codec", "proto"],
            &["Maísa"],
            &["Eco=>Maísa"],
        )
    });
}

fn start_server(t: &Tour, args: &[&str]) -> Program {
    let mut all = args.to_vec();
    if !args.contains(&"unix") {
        all.extend(["--listen", "127.0.0.1:0"]);
    }
    command(&format!("{SERVER} {}", all.join(" ")));
    t.bin(SERVER).start_server(&all)
}

/// The client's arguments for the same mode and transport as the server's.
fn client_args<'a>(server_args: &[&'a str], server: &'a Program) -> Vec<&'a str> {
    let mut args = server_args.to_vec();
    if !server_args.contains(&"unix") {
        args.extend(["--connect", server.addr()]);
    }
    args
}

/// Start the server, pipe `lines` into the client, check its replies.
fn request_reply(
    t: &Tour,
    server_args: &[&str],
    lines: &[&str],
    expected: &[&str],
) -> anyhow::Result<()> {
    let server = start_server(t, server_args);
    let args = client_args(server_args, &server);
    command(&format!(
        "printf '{}\\n' | {CLIENT} {}",
        lines.join("\\n"),
        args.join(" ")
    ));
    let mut client = t.bin(CLIENT).spawn(&args);
    for line in lines {
        client.write_line(line);
    }
    let done = client.finish();
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    ensure!(done.stdout == expected, "expected {expected:?}");
    stop_and_show(server)
}

/// Both sides of the chat, typed by the tour: the client speaks first.
fn chat(t: &Tour) -> anyhow::Result<()> {
    let mut server = start_server(t, &[]);
    let addr = server.addr().to_owned();
    command(&format!("{CLIENT} --connect {addr}"));
    let mut client = t.bin(CLIENT).spawn(&["--connect", &addr]);
    println!("  (the client types) Olá, servidor!");
    client.write_line("Olá, servidor!");
    server.expect_line("Cliente enviou: Olá, servidor!");
    println!("  (the operator types) Olá! Tudo bem?");
    server.write_line("Olá! Tudo bem?");
    println!("  (the operator types again, without waiting) Pode falar.");
    server.write_line("Pode falar.");
    let first = client.next_line();
    let second = client.next_line();
    println!("  (the client types) Tudo ótimo, obrigado.");
    client.write_line("Tudo ótimo, obrigado.");
    server.expect_line("Cliente enviou: Tudo ótimo, obrigado.");
    let done = client.finish();
    let mut shown = done.consumed;
    shown.extend(done.stdout);
    show("client", &shown);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    ensure!(
        [first.as_str(), second.as_str()] == ["Olá! Tudo bem?", "Pode falar."],
        "the client did not show the operator's messages"
    );
    server.line_containing("left the chat");
    stop_and_show(server)
}

/// The client is an ordinary filter: stdin in, stdout out.
fn pipe(t: &Tour) -> anyhow::Result<()> {
    let server = start_server(t, &["--mode", "upper"]);
    let client = t.bin(CLIENT).describe(&[]);
    let line = format!(
        "printf 'um\\ndois\\ntrês\\n' | {client} --mode upper --connect {} | sort",
        server.addr()
    );
    command(&line.replace(&client, CLIENT));
    // The pipe's two ends are played here, the same on every system (a
    // Windows shell has no `printf`): the client reads the lines on its
    // stdin, and its stdout is sorted as `sort` would.
    let addr = server.addr().to_owned();
    let mut client = t
        .bin(CLIENT)
        .spawn(&["--mode", "upper", "--connect", &addr]);
    for word in ["um", "dois", "três"] {
        client.write_line(word);
    }
    let mut done = client.finish();
    done.stdout.sort_unstable();
    show("pipe", &done.stdout);
    ensure!(
        done.status.success(),
        "the pipe failed: {}",
        done.stderr.trim()
    );
    ensure!(
        done.stdout == ["DOIS", "TRÊS", "UM"],
        "unexpected pipe output"
    );
    stop_and_show(server)
}

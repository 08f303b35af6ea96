//! rpc-calculator: JSON-RPC over HTTP and WebSocket, synchronous and
//! asynchronous, and XML-RPC with the slide's own Python client.

use crate::step::{Tour, command, show, stop_and_show};
use anyhow::ensure;
use common::testing::{Program, run_python};

const EXERCISE: &str = "rpc-calculator";
const SERVER: &str = "rpc-calculator-server";
const CLIENT: &str = "rpc-calculator-client";

const FIVE: [&str; 5] = [
    "Somar: 25",
    "Subtrair: 5",
    "Multiplicar: 150",
    "Potência: 576650390625",
    "Dividir: 1.5",
];

/// The slide's Client.py, the port from the command line instead of 8005.
const SLIDE_CLIENT: &str = r#"
import sys
import xmlrpc.client
s = xmlrpc.client.ServerProxy('http://localhost:%s' % sys.argv[1])
numero1 = input("1º numero: ")
numero2 = input("2º numero: ")
print('Somar: ',s.add(int(numero1),int(numero2)))
"#;

pub fn tour(tour: &mut Tour) {
    tour.step(EXERCISE, "JSON-RPC over HTTP: 15 and 10", |t| {
        let server = start_server(t);
        let done = client(t, &server, &["15", "10"])?;
        ensure!(done == FIVE, "expected {FIVE:?}");
        stop_and_show(server)
    });
    tour.step(EXERCISE, "one call; an error in place of a result", |t| {
        let server = start_server(t);
        let sum = client(t, &server, &["add", "15", "10"])?;
        ensure!(sum == ["25"], "expected 25");
        let five = client(t, &server, &["15", "0"])?;
        ensure!(
            five.last().map(String::as_str) == Some("Dividir: error: division by zero"),
            "expected the division to fail in its place"
        );
        stop_and_show(server)
    });
    tour.step(
        EXERCISE,
        "asynchronous: five calls at once on one WebSocket",
        |t| {
            let server = start_server(t);
            let mut lines = client(t, &server, &["--async", "15", "10"])?;
            lines.sort();
            let mut expected = FIVE.to_vec();
            expected.sort_unstable();
            ensure!(lines == expected, "expected the five results, in any order");
            stop_and_show(server)
        },
    );
    tour.step(EXERCISE, "XML-RPC: the slide's Python client", |t| {
        let server = start_server(t);
        let port = server.socket_addr().port().to_string();
        command(&format!(
            "printf '15\\n10\\n' | python3 cliente.py   # port {port}"
        ));
        let done = run_python(SLIDE_CLIENT, &[&port], "15\n10\n");
        show("python", &done.stdout);
        ensure!(
            done.status.success(),
            "python failed: {}",
            done.stderr.trim()
        );
        ensure!(
            done.stdout == ["1º numero: 2º numero: Somar:  25"],
            "expected the slide's `Somar:  25`"
        );
        stop_and_show(server)
    });
    tour.step(EXERCISE, "pairs from a pipe, over XML-RPC", |t| {
        let server = start_server(t);
        let client = t.bin(CLIENT).describe(&[]);
        let line = format!(
            "printf '15 10\\n2 0.5\\n' | {client} --transport xml --connect {} | grep -E 'Potência|Dividir'",
            server.addr()
        );
        command(&line.replace(&client, CLIENT));
        // The pipe's ends played here, the same on every system: the pairs
        // on the client's stdin, its stdout filtered as `grep` would.
        let addr = server.addr().to_owned();
        let mut client = t
            .bin(CLIENT)
            .spawn(&["--transport", "xml", "--connect", &addr]);
        client.write_line("15 10");
        client.write_line("2 0.5");
        let mut done = client.finish();
        done.stdout
            .retain(|l| l.contains("Potência") || l.contains("Dividir"));
        show("pipe", &done.stdout);
        ensure!(done.status.success(), "the pipe failed: {}", done.stderr.trim());
        ensure!(
            done.stdout
                == [
                    "Potência: 576650390625",
                    "Dividir: 1.5",
                    "Potência: 1.4142135623730951",
                    "Dividir: 4",
                ],
            "unexpected pipe output"
        );
        stop_and_show(server)
    });
}

fn start_server(t: &Tour) -> Program {
    let args = ["--listen", "127.0.0.1:0"];
    command(&format!("{SERVER} {}", args.join(" ")));
    t.bin(SERVER).start_server(&args)
}

/// Run the client with `args` against `server`; its stdout lines.
fn client(t: &Tour, server: &Program, args: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut all = vec!["--connect", server.addr()];
    all.extend_from_slice(args);
    command(&format!("{CLIENT} {}", all.join(" ")));
    let done = t.bin(CLIENT).spawn(&all).finish();
    show("client", &done.stdout);
    ensure!(
        done.status.success(),
        "the client failed: {}",
        done.stderr.trim()
    );
    Ok(done.stdout)
}

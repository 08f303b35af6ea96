//! The course's Python programs, with the `websockets` package, against our
//! binaries, and ours against theirs. Python's `websockets` is a PyPI
//! package, so these tests need it (`pip install websockets`): without it
//! they say SKIPPED, or fail under `REQUIRE_ALL_TESTS=1`.
//!
//! The programs live in `python/`: the slide's example 1 client and server,
//! ported to the current `websockets` API, and the exercise's adder server
//! written from example 2.

mod support;

use support::testing::{has_python_module, require, run_python, spawn_python};
use support::{client, start_server, ws_url};

const HELLO_CLIENT: &str = include_str!("../python/hello_client.py");
const HELLO_SERVER: &str = include_str!("../python/hello_server.py");
const ADDER_SERVER: &str = include_str!("../python/adder_server.py");

fn have_websockets(test: &str) -> bool {
    require(
        test,
        has_python_module("websockets.asyncio.client"),
        "needs the Python package websockets (pip install websockets)",
    )
}

#[test]
fn the_slides_hello_client_is_greeted_by_our_hello() {
    if !have_websockets("the_slides_hello_client_is_greeted_by_our_hello") {
        return;
    }
    let mut server = start_server(&[]);
    let done = run_python(HELLO_CLIENT, &[&ws_url(&server, "/hello")], "Marcos\n");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["Qual seu nome? > Marcos", "< Ola Marcos!"]);
    server.expect_line("< Marcos");
    server.expect_line("> Ola Marcos!");
}

#[test]
fn the_slides_hello_client_works_unchanged_on_the_hello_port() {
    if !have_websockets("the_slides_hello_client_works_unchanged_on_the_hello_port") {
        return;
    }
    let mut server = start_server(&["--hello", "127.0.0.1:0"]);
    let line = server.next_line();
    let hello = line
        .strip_prefix("hello listening on ")
        .unwrap_or_else(|| panic!("expected `hello listening on <addr>`, got {line:?}"));
    // The slide's URL has no path: ws://localhost:8765
    let done = run_python(HELLO_CLIENT, &[&format!("ws://{hello}")], "Maísa\n");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["Qual seu nome? > Maísa", "< Ola Maísa!"]);
}

#[test]
fn our_client_adds_with_the_python_adder_server() {
    if !have_websockets("our_client_adds_with_the_python_adder_server") {
        return;
    }
    let mut python = spawn_python(ADDER_SERVER, &["0"]);
    let url = format!("ws://{}/", python.wait_listening());
    let done = client().spawn(&["--url", &url, "3", "4"]).finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["7"]);

    let mut lines = client().spawn(&["--url", &url]);
    for line in ["0.1 0.2", "3,4", "3;4", r#"{"a":3,"b":4}"#, "1e28 0.1"] {
        lines.write_line(line);
    }
    let done = lines.finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "0.3",
            "7",
            "7",
            r#"{"sum":7}"#,
            "10000000000000000000000000000.1"
        ]
    );
}

#[test]
fn our_client_is_refused_clearly_by_the_python_adder_server() {
    if !have_websockets("our_client_is_refused_clearly_by_the_python_adder_server") {
        return;
    }
    let mut python = spawn_python(ADDER_SERVER, &["0"]);
    let url = format!("ws://{}/", python.wait_listening());
    let done = client().spawn(&["--url", &url, "3", "abc"]).finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stderr.starts_with("error: "), "{}", done.stderr);
    assert!(done.stderr.contains("abc"), "{}", done.stderr);
}

#[test]
fn our_client_is_greeted_by_the_slides_hello_server() {
    if !have_websockets("our_client_is_greeted_by_the_slides_hello_server") {
        return;
    }
    let mut python = spawn_python(HELLO_SERVER, &["0"]);
    let url = format!("ws://{}", python.wait_listening());
    let done = client()
        .spawn(&["--url", &url, "--hello", "Marcos"])
        .finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    assert_eq!(done.stdout, ["Ola Marcos!"]);
    python.expect_line("< Marcos");
    python.expect_line("> Ola Marcos!");
}

/// A Python client that offers permessage-deflate (the `websockets`
/// default, made explicit) and checks every answer.
const DEFLATE_CLIENT: &str = r#"
import asyncio, sys
from websockets.asyncio.client import connect

async def main():
    base = sys.argv[1]
    async with connect(base + "/add", compression="deflate") as ws:
        print("offered:", ws.request.headers.get("Sec-WebSocket-Extensions"))
        print("accepted:", ws.response.headers.get("Sec-WebSocket-Extensions", "none"))
        for request in ["3 4", "0.1;0.2", " " * 900 + "1 1", '{"a": 3, "b": 4}']:
            await ws.send(request)
            print(await ws.recv())
        await ws.send("1 " * 5000)
        print((await ws.recv()).split(";")[0])
    async with connect(base + "/hello", compression="deflate") as ws:
        await ws.send("Maísa " * 100)
        print(len(await ws.recv()))
asyncio.run(main())
"#;

#[test]
fn permessage_deflate_offered_by_python_does_not_break_anything() {
    if !have_websockets("permessage_deflate_offered_by_python_does_not_break_anything") {
        return;
    }
    let mut server = start_server(&[]);
    let base = format!("ws://{}", server.addr());
    let done = run_python(DEFLATE_CLIENT, &[&base], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert!(
        done.stdout[0].contains("permessage-deflate"),
        "the client did not offer compression: {:?}",
        done.stdout
    );
    let accepted = &done.stdout[1];
    assert!(
        accepted == "accepted: none" || accepted.contains("permessage-deflate"),
        "{accepted}"
    );
    assert_eq!(
        done.stdout[2..],
        [
            "7",
            "0.3",
            "2",
            r#"{"sum":7}"#,
            "error: the message has 10000 bytes",
            // "Ola " + "Maísa " × 100 + "!", in characters
            "605",
        ]
    );
    server.assert_running();
}

/// A Python client that opens `/add`, stays idle for a while, then adds.
const IDLE_CLIENT: &str = r#"
import asyncio, sys
from websockets.asyncio.client import connect

async def main():
    async with connect(sys.argv[1]) as ws:
        await asyncio.sleep(float(sys.argv[2]))
        await ws.send("3 4")
        print(await ws.recv())
asyncio.run(main())
"#;

#[test]
fn an_idle_python_client_answers_the_pings_and_stays_open() {
    if !have_websockets("an_idle_python_client_answers_the_pings_and_stays_open") {
        return;
    }
    // Idle for 3.5 timeouts: the server pings after each second of silence
    // and would close after two; `websockets` answers every ping by itself.
    let server = start_server(&["--quiet", "--timeout", "1"]);
    let done = run_python(IDLE_CLIENT, &[&ws_url(&server, "/add"), "3.5"], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["7"]);
}

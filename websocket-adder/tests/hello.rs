//! `/hello`, the slide's example 1: a name in, `Ola <name>!` out.

mod support;

use support::{ask, connect, connect_url, start_server};

#[tokio::test]
async fn hello_greets_by_name() {
    let server = start_server(&[]);
    let mut ws = connect(&server, "/hello").await;
    assert_eq!(ask(&mut ws, "Marcos").await, "Ola Marcos!");
    assert_eq!(ask(&mut ws, "Maísa").await, "Ola Maísa!");
}

#[tokio::test]
async fn the_server_prints_the_slides_transcript() {
    let mut server = start_server(&[]);
    let mut ws = connect(&server, "/hello").await;
    ask(&mut ws, "Marcos").await;
    server.expect_line("< Marcos");
    assert_eq!(server.next_line(), "> Ola Marcos!");
}

#[tokio::test]
async fn the_hello_flag_also_serves_example_1_on_a_port_of_its_own() {
    let mut server = start_server(&["--hello", "127.0.0.1:0"]);
    let line = server.next_line();
    let hello_addr = line
        .strip_prefix("hello listening on ")
        .unwrap_or_else(|| panic!("expected `hello listening on <addr>`, got {line:?}"))
        .to_owned();
    assert_ne!(hello_addr, server.addr());
    // The slide's client connects to ws://localhost:8765, path `/`; any path greets.
    for path in ["", "/", "/qualquer"] {
        let mut ws = connect_url(&format!("ws://{hello_addr}{path}")).await;
        assert_eq!(ask(&mut ws, "Marcos").await, "Ola Marcos!", "path {path:?}");
    }
    // The main port goes on serving everything.
    let mut ws = connect(&server, "/add").await;
    assert_eq!(ask(&mut ws, "3 4").await, "7");
}

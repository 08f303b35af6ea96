//! The client: five labelled results, one method, prompts like the slide,
//! pairs from a pipe, the three transports, and `--async` (five calls in
//! flight at once on one WebSocket) against `one by one`.

mod support;

use common::number::{Number, Operation};
use futures::{SinkExt as _, StreamExt as _};
use support::testing::closed_port;
use support::testing::{Launcher, run_python};
use support::{client, run_client, runtime, start_server};
use tokio_tungstenite::tungstenite::Message;

const FIVE: [&str; 5] = [
    "Somar: 25",
    "Subtrair: 5",
    "Multiplicar: 150",
    "Potência: 576650390625",
    "Dividir: 1.5",
];

#[test]
fn fifteen_and_ten_print_the_five_labelled_results() {
    let server = start_server(&[]);
    let done = run_client(&server, &["15", "10"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
}

#[test]
fn the_same_over_a_websocket() {
    let server = start_server(&[]);
    let done = run_client(&server, &["--transport", "ws", "15", "10"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
}

#[test]
fn the_same_over_xml_rpc() {
    let mut server = start_server(&[]);
    let done = run_client(&server, &["--transport", "xml", "15", "10"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
    server.line_containing("xml-rpc");
}

#[test]
fn a_failed_result_shows_an_error_in_its_place() {
    let server = start_server(&[]);
    let done = run_client(&server, &["15", "0"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "Somar: 15",
            "Subtrair: 15",
            "Multiplicar: 0",
            "Potência: 1",
            "Dividir: error: division by zero",
        ]
    );
}

#[test]
fn one_method_prints_its_result() {
    let server = start_server(&[]);
    for (args, expected) in [
        (["add", "15", "10"], "25"),
        (["pow", "15", "10"], "576650390625"),
        (["div", "15", "10"], "1.5"),
        (["sub", "-3", "-4"], "1"),
        (["pow", "15", "20"], "332525673007965087890625"),
    ] {
        let done = run_client(&server, &args, "");
        assert!(done.status.success(), "{args:?}: {}", done.stderr);
        assert_eq!(done.stdout, [expected], "{args:?}");
    }
}

#[test]
fn calculate_prints_the_five_from_one_call() {
    let mut server = start_server(&[]);
    let done = run_client(&server, &["calculate", "15", "10"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
    server.line_containing("calculate(15, 10)");
}

#[test]
fn one_method_that_fails_is_an_error_and_exit_1() {
    let server = start_server(&[]);
    let done = run_client(&server, &["div", "1", "0"], "");
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(done.stderr.trim(), "error: division by zero");
}

#[test]
fn pairs_are_read_from_a_pipe_one_per_line() {
    let server = start_server(&[]);
    let done = run_client(&server, &[], "15 10\n\n  3\t4  \n");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    let mut expected: Vec<&str> = FIVE.to_vec();
    expected.extend([
        "Somar: 7",
        "Subtrair: -1",
        "Multiplicar: 12",
        "Potência: 81",
        "Dividir: 0.75",
    ]);
    assert_eq!(done.stdout, expected);
    assert!(
        !done.stderr.contains("número"),
        "no prompts in a pipe: {}",
        done.stderr
    );
}

#[test]
fn a_bad_line_in_the_pipe_is_refused_whole_and_pairs_never_cross_lines() {
    let server = start_server(&[]);
    // The issue's input: `1,5` is refused, and so is its line; the `2`
    // after it is not paired with the `7` of the next line.
    let done = run_client(&server, &[], "15 10\n1,5 2\n7\n");
    assert_eq!(done.stdout, FIVE);
    assert_eq!(
        done.stderr.lines().collect::<Vec<_>>(),
        [
            "error: line 2: \"1,5\" is not a number",
            "error: line 3: expected two numbers (A B), found 1",
        ]
    );
    assert_eq!(done.status.code(), Some(1));
}

#[test]
fn a_line_with_more_than_two_numbers_is_refused_whole() {
    let server = start_server(&[]);
    let done = run_client(&server, &[], "1 2 3\n15 10\n");
    assert_eq!(done.stdout, FIVE);
    assert_eq!(
        done.stderr.lines().collect::<Vec<_>>(),
        ["error: line 1: expected two numbers (A B), found 3"]
    );
    assert_eq!(done.status.code(), Some(1));
}

#[test]
fn an_invalid_number_on_the_command_line_is_refused() {
    let server = start_server(&[]);
    let done = run_client(&server, &["1,5", "2"], "");
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty());
    assert_eq!(done.stderr.trim(), "error: \"1,5\" is not a number");
}

#[test]
fn an_unreachable_server_is_one_error_line_with_the_reason_once() {
    let addr = closed_port();
    // The system's own words for it, as this system says them.
    let refused = std::net::TcpStream::connect(addr)
        .expect_err("nothing listens on a closed port")
        .to_string();
    for (transport, url) in [
        ("http", format!("http://{addr}/")),
        ("ws", format!("ws://{addr}/")),
        ("xml", format!("http://{addr}/RPC2")),
    ] {
        let done = client()
            .spawn(&[
                "--connect",
                &addr.to_string(),
                "--transport",
                transport,
                "15",
                "10",
            ])
            .finish();
        assert_eq!(
            done.stderr,
            format!("error: cannot reach the server at {url}: {refused}\n"),
            "{transport}"
        );
        assert_eq!(done.status.code(), Some(1), "{transport}");
        assert!(done.stdout.is_empty(), "{transport}: {:?}", done.stdout);
    }
}

/// Run the client (the command in `argv[2:]`) under a pseudo-terminal, as a
/// person at a keyboard would, typing the lines in `argv[1]` and then
/// Ctrl-D; what it printed on stdout and stderr.
const ON_A_TERMINAL: &str = r#"
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
os.close(slave)
os.write(master, sys.argv[1].encode() + b'\x04')
out, err = child.communicate(timeout=20)
os.close(master)
sys.stdout.write(out.decode())
sys.stderr.write(err.decode())
sys.exit(child.returncode)
"#;

/// Run the client against `server` on a terminal, typing `typed`.
fn on_a_terminal(server: &common::testing::Program, typed: &str) -> common::testing::Finished {
    let command = client().command(&["--connect", server.addr()]);
    let mut argv = vec![
        typed.to_owned(),
        command.get_program().to_string_lossy().into_owned(),
    ];
    argv.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    run_python(ON_A_TERMINAL, &argv, "")
}

#[test]
fn with_no_arguments_it_prompts_like_the_slide() {
    let server = start_server(&[]);
    let done = on_a_terminal(&server, "15\n10\n");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
    assert!(done.stderr.contains("1º número: "), "{}", done.stderr);
    assert!(done.stderr.contains("2º número: "), "{}", done.stderr);
}

/// 60 significant digits (the common generators' longest), and Python's
/// largest float.
const SIXTY_NINES: &str = "999999999999999999999999999999999999999999999999999999999999";

/// The five results for `SIXTY_NINES` and `1e308`, every digit.
fn sixty_nines_and_1e308() -> Vec<String> {
    vec![
        format!("Somar: 1{}{SIXTY_NINES}", "0".repeat(248)),
        format!("Subtrair: -{}{}1", "9".repeat(248), "0".repeat(59)),
        format!("Multiplicar: 9.{}e+367", "9".repeat(59)),
        "Potência: error: the result is too large: an exact power must be below 1e+10001"
            .to_owned(),
        format!("Dividir: 9.{}e-249", "9".repeat(59)),
    ]
}

#[test]
fn a_long_number_and_1e308_go_through_the_command_line() {
    let server = start_server(&[]);
    let done = run_client(&server, &[SIXTY_NINES, "1e308"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, sixty_nines_and_1e308());
}

#[test]
fn a_long_number_and_1e308_go_through_a_pipe() {
    let server = start_server(&[]);
    let done = run_client(&server, &[], &format!("{SIXTY_NINES} 1e308\n"));
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, sixty_nines_and_1e308());
}

#[test]
fn a_long_number_and_1e308_go_through_the_prompts() {
    let server = start_server(&[]);
    let done = on_a_terminal(&server, &format!("{SIXTY_NINES}\n1e308\n"));
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, sixty_nines_and_1e308());
}

#[test]
fn sub_1e28_0_1_is_exact_over_json_rpc() {
    let server = start_server(&[]);
    for transport in ["http", "ws"] {
        let done = run_client(
            &server,
            &["--transport", transport, "sub", "1e28", "0.1"],
            "",
        );
        assert!(done.status.success(), "{transport}: {}", done.stderr);
        assert_eq!(
            done.stdout,
            ["9999999999999999999999999999.9"],
            "{transport}"
        );
    }
}

#[test]
fn sub_1e28_0_1_over_xml_rpc_is_an_error_that_names_json_rpc() {
    let server = start_server(&[]);
    let done = run_client(&server, &["--transport", "xml", "sub", "1e28", "0.1"], "");
    assert_eq!(
        done.stderr,
        "error: the result 9999999999999999999999999999.9 does not fit XML-RPC's numbers \
         (64-bit integers, doubles); JSON-RPC carries it exactly\n"
    );
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
}

#[test]
fn over_xml_rpc_a_quotient_that_does_not_end_is_the_nearest_double() {
    let server = start_server(&[]);
    let done = run_client(&server, &["--transport", "xml", "div", "1", "3"], "");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["0.3333333333333333"]);
}

#[test]
fn help_states_the_number_rules() {
    // Our binaries' documentation, not the protocol: a graded replacement
    // need not have it.
    for binary in [
        env!("CARGO_BIN_EXE_rpc-calculator-server"),
        env!("CARGO_BIN_EXE_rpc-calculator-client"),
    ] {
        let done = Launcher::fixed(binary).spawn(&["--help"]).finish();
        assert!(done.status.success(), "{binary}: {}", done.stderr);
        let help = done.stdout.join(" ");
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for rule in [
            "add, sub and mul are exact, every digit (add 1e28 0.1 = 10000000000000000000000000000.1)",
            "otherwise rounded to 34 significant digits, half to even (div 1 3 = 0.3333333333333333333333333333333333)",
            "Inputs: at most 100 significant digits, 0 or between 1e-999 and 1e+1000 in magnitude (1e308 is fine).",
            "JSON-RPC carries every result exactly.",
            "XML-RPC carries doubles: a quotient that does not end arrives rounded to the nearest double, as Python's own server computes it",
        ] {
            assert!(
                help.contains(rule),
                "{binary} --help lacks {rule:?}:\n{help}"
            );
        }
    }
}

/// A JSON-RPC WebSocket server written for these tests. It accepts one
/// connection and holds the replies until `hold` requests are in flight,
/// then answers them newest first. It returns the methods in the order
/// they arrived.
async fn fake_server(listener: tokio::net::TcpListener, hold: usize) -> Vec<String> {
    let (stream, _) = listener.accept().await.expect("the client connects");
    let mut ws = tokio_tungstenite::accept_async(stream)
        .await
        .expect("a WebSocket handshake");
    let mut waiting = Vec::new();
    let mut arrived = Vec::new();
    while let Some(message) = ws.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let request: serde_json::Value = serde_json::from_str(&text).expect("a JSON request");
        let method = request["method"].as_str().unwrap_or_default().to_owned();
        arrived.push(method.clone());
        waiting.push(request);
        if waiting.len() < hold {
            continue;
        }
        while let Some(request) = waiting.pop() {
            let op = rpc_calculator::api::operation(request["method"].as_str().unwrap_or_default())
                .expect("one of the five");
            let number = |i: usize| -> Number {
                request["params"][i].to_string().parse().expect("a number")
            };
            let result = op.apply(&number(0), &number(1)).expect("computes");
            let reply = format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
                request["id"]
            );
            ws.send(Message::text(reply)).await.expect("reply");
        }
    }
    arrived
}

#[test]
fn async_sends_the_five_calls_at_once_on_one_websocket() {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // Nothing is answered until all five requests are in flight: a client
    // that waited for each reply would never get one.
    let fake = rt.spawn(fake_server(listener, 5));
    let done = client()
        .spawn(&["--connect", &addr, "--async", "--timeout", "10", "15", "10"])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    // The replies came newest first, and were printed as they arrived.
    let mut expected = FIVE.to_vec();
    expected.reverse();
    assert_eq!(done.stdout, expected);
    let arrived = rt.block_on(fake).expect("the fake server");
    assert_eq!(arrived.len(), 5);
}

#[test]
fn without_async_the_calls_go_one_after_the_other() {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let fake = rt.spawn(fake_server(listener, 1));
    let done = client()
        .spawn(&["--connect", &addr, "--transport", "ws", "15", "10"])
        .finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, FIVE);
    let arrived = rt.block_on(fake).expect("the fake server");
    let order: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    assert_eq!(arrived, order);
}

#[test]
fn the_client_works_in_a_shell_pipe() {
    let server = start_server(&[]);
    let command = client().describe(&[]);
    let line = format!(
        "printf '15 10\\n' | {command} --connect {} | grep Dividir",
        server.addr()
    );
    let done = Launcher::fixed("sh").spawn(&["-c", &line]).finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert_eq!(done.stdout, ["Dividir: 1.5"]);
}

//! The two services: their addresses, the REST calls between them, running
//! apart, many clients at once, a converter that is down, a clean stop.

mod support;

use std::process::Stdio;
use support::{Bridge, fixtures, front_alone, get, server, upload};

#[test]
fn the_server_prints_the_front_then_the_converter_and_both_answer() {
    let bridge = Bridge::start(&[]);
    assert_ne!(bridge.front, bridge.converter);
    let front = get(&format!("{}/health", bridge.front_url()));
    assert_eq!(front.status, 200, "{}", front.body);
    let converter = get(&format!("{}/health", bridge.converter_url()));
    assert_eq!(converter.status, 200, "{}", converter.body);
    assert!(converter.body.contains("\"ok\""), "{}", converter.body);
}

#[test]
fn the_page_is_served_at_the_front_root() {
    let bridge = Bridge::start(&[]);
    let page = get(&format!("{}/", bridge.front_url()));
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(
        page.body.contains("MySQL Script Generator"),
        "{}",
        page.body
    );
    assert!(page.body.contains("type=\"file\""), "a file chooser");
    for asset in ["/app.js", "/app.css"] {
        assert!(page.body.contains(asset), "the page loads {asset}");
        let answer = get(&format!("{}{asset}", bridge.front_url()));
        assert_eq!(answer.status, 200, "{asset}");
    }
}

#[test]
fn front_and_converter_run_as_two_processes() {
    let mut converter = server().start_server(&["--role", "converter", "--listen", "127.0.0.1:0"]);
    let converter_url = format!("http://{}", converter.addr());
    let mut front = front_alone(&converter_url, &[]);
    let answer = upload(
        &format!("http://{}", front.addr()),
        "animals.xlsx",
        &fixtures::animals(),
        &[],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("INSERT INTO Table_Animals"));
    converter.assert_running();
    front.assert_running();
}

#[test]
fn the_logs_show_the_rest_calls_between_the_services() {
    // With the default log filter (RUST_LOG unset).
    let mut program = server().spawn_with(
        &[
            "--listen",
            "127.0.0.1:0",
            "--converter-listen",
            "127.0.0.1:0",
        ],
        |cmd| {
            cmd.env_remove("RUST_LOG");
        },
    );
    let front = program.wait_listening().to_owned();
    let converter = program
        .next_line()
        .strip_prefix("converter listening on ")
        .expect("the converter's address")
        .trim()
        .to_owned();
    let answer = upload(
        &format!("http://{front}"),
        "animals.xlsx",
        &fixtures::animals(),
        &[],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    program.interrupt();
    let done = program.finish();
    for call in [
        format!("POST http://{converter}/uploads"),
        format!("POST http://{converter}/convert"),
    ] {
        assert!(
            done.stderr.contains(&call),
            "no {call:?} in the logs:\n{}",
            done.stderr
        );
    }
    assert!(
        done.stderr.contains("upload_id"),
        "the JSON of the call:\n{}",
        done.stderr
    );
}

#[test]
fn a_converter_that_is_down_is_a_502_and_the_front_stays_up() {
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let mut front = front_alone(&format!("http://{nobody}"), &[]);
    let front_url = format!("http://{}", front.addr());
    let answer = upload(&front_url, "animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert!(answer.error().contains(&nobody), "{}", answer.error());
    front.assert_running();
    assert_eq!(get(&format!("{front_url}/")).status, 200);
}

#[test]
fn twenty_uploads_at_once_are_all_converted() {
    let bridge = Bridge::start(&[]);
    let front = bridge.front_url();
    let workbook = fixtures::animals();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let front = &front;
                let workbook = &workbook;
                scope.spawn(move || {
                    let batch = (i % 4 + 1).to_string();
                    upload(front, "animals.xlsx", workbook, &[("batch", &batch)])
                })
            })
            .collect();
        for handle in handles {
            let answer = handle.join().expect("an upload thread");
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert!(
                answer.body.contains("'SSAI0000000004690117'"),
                "{}",
                answer.body
            );
        }
    });
}

#[test]
fn ctrl_c_stops_both_services_cleanly() {
    let bridge = Bridge::start(&[]);
    bridge.program.interrupt();
    let done = bridge.program.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let bridge = Bridge::start(&[]);
    bridge.program.terminate();
    let done = bridge.program.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
}

#[test]
fn a_busy_address_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let done = server()
        .spawn_with(
            &["--listen", &addr, "--converter-listen", "127.0.0.1:0"],
            |cmd| {
                cmd.stdin(Stdio::null());
            },
        )
        .finish();
    assert_eq!(done.status.code(), Some(1));
    let stderr = done.stderr.trim();
    assert!(
        stderr.starts_with("error: ") && stderr.contains(&addr),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

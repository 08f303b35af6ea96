//! The course's side in Python: the slide's client against our server, and
//! our client against a stand-in of the course's Chalice app (standard
//! library only, in `python/`).

mod support;

use common::testing::run_python;
use support::{PYTHON_CLIENT, api_url, error_line, run_client, start_python_app, start_server};

#[test]
fn the_slides_python_client_gets_the_slides_answer_from_our_server() {
    let server = start_server();
    let done = run_python(PYTHON_CLIENT, &[&api_url(&server)], "mult\n8\n5\n");
    assert!(done.status.success(), "{}", done.stderr);
    // `print(json.loads(...))` shows the dict as the slide does.
    assert_eq!(
        done.stdout,
        [
            "Informe a operação: [soma] [sub] [div] [mult]operação:  mult",
            "Informe o valor 1: Informe o valor 2: {'A multiplicação': 40}",
            "Fim...",
        ]
    );
}

#[test]
fn the_slides_python_client_reads_every_operation() {
    let server = start_server();
    for (op, shown) in [
        ("soma", "{'A soma: ': 13}"),
        ("sub", "{'A subtração:': 3}"),
        ("div", "{'A Divisão': 1.6}"),
    ] {
        let done = run_python(
            PYTHON_CLIENT,
            &[&api_url(&server)],
            &format!("{op}\n8\n5\n"),
        );
        assert!(
            done.stdout.iter().any(|l| l.ends_with(shown)),
            "{op}: {:?} {}",
            done.stdout,
            done.stderr
        );
    }
}

#[test]
fn the_slides_python_client_shows_our_chalice_errors() {
    let server = start_server();
    let done = run_python(PYTHON_CLIENT, &[&api_url(&server)], "div\n8\n0\n");
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout
            .iter()
            .any(|l| l.ends_with("400 {'Code': 'BadRequestError', 'Message': 'division by zero'}")),
        "{:?}",
        done.stdout
    );
}

#[test]
fn our_client_prints_the_chalice_apps_json_as_it_was_sent() {
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    // Chalice escapes non-ASCII; the client does not rewrite the body.
    assert_eq!(done.stdout, [r#"{"A multiplica\u00e7\u00e3o":40}"#]);
}

#[test]
fn our_client_reads_the_chalice_apps_numbers_as_written() {
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["--value"], "mult 8 5\ndiv 8 5\ndiv 4 2\n");
    assert!(done.status.success(), "{}", done.stderr);
    // Python's `/` gives a float: 2.0, printed as the app wrote it.
    assert_eq!(done.stdout, ["40", "1.6", "2.0"]);
}

#[test]
fn our_client_shows_the_chalice_apps_error_messages() {
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["div", "8", "0"], "");
    let line = error_line(&done);
    // Chalice writes "BadRequestError: division by zero"; the repeated code
    // is dropped.
    assert_eq!(
        line,
        "error: the server refused the request (400 Bad Request): division by zero"
    );
    let done = run_client(&url, &["pow", "8", "0"], "");
    assert!(error_line(&done).contains("403"));
}

#[test]
fn our_client_shows_api_gateways_own_error() {
    let app = start_python_app();
    let wrong_stage = format!("http://{}/prod", app.socket_addr());
    let done = run_client(&wrong_stage, &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(
        line.contains("403") && line.contains("Missing Authentication Token"),
        "{line}"
    );
}

#[test]
fn our_client_refuses_the_chalice_apps_infinity() {
    // The Python app adds floats: 1e308 + 1e308 overflows to inf, which
    // json.dumps writes as Infinity, not JSON: the client says so instead
    // of printing it.
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["soma", "1e308", "1e308"], "");
    let line = error_line(&done);
    assert!(
        line.contains("not JSON") && line.contains("Infinity"),
        "{line}"
    );
}

#[test]
fn our_client_does_not_send_the_nan_the_chalice_app_would_take() {
    // float("nan") is accepted by the Python app; the client checks a
    // value with the calculator's rules first, so nothing is sent.
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["soma", "nan", "1"], "");
    assert_eq!(
        error_line(&done),
        r#"error: value 1: "nan" is not a finite number"#
    );
}

#[test]
fn our_clients_dialogue_works_against_the_chalice_app() {
    let app = start_python_app();
    let url = format!("http://{}/api", app.socket_addr());
    let done = run_client(&url, &["--interactive"], "sub\n8\n5\n");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout[4..], ["{'A subtração:': 3}", "Fim..."]);
}

//! The client against the real server: one-shot, pipe, the slide's dialogue.

mod support;

use support::{api_url, error_line, get, run_client, run_client_with, start_server};

const PROMPT_OPERATION: &str = "Informe a operação: [soma] [sub] [div] [mult]";
const PROMPT_1: &str = "Informe o valor 1: ";
const PROMPT_2: &str = "Informe o valor 2: ";

#[test]
fn one_shot_prints_the_json_as_the_server_sent_it() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["mult", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    let sent = get(&server, "/api/mult/8/5").body;
    assert_eq!(done.stdout, [sent]);
}

#[test]
fn value_prints_the_bare_number() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["--value", "div", "8", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, ["1.6"]);
}

#[test]
fn negative_values_are_values_not_flags() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["--value", "sub", "-3", "-5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, ["2"]);
}

#[test]
fn a_refusal_is_one_error_line_with_the_servers_message() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["div", "8", "0"], "");
    let line = error_line(&done);
    assert!(line.contains("400"), "{line}");
    assert!(line.contains("division by zero"), "{line}");
    assert!(done.stdout.is_empty());
}

#[test]
fn an_unknown_operation_is_one_sentence_naming_the_route_and_the_operations() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["pow", "8", "5"], "");
    assert_eq!(
        error_line(&done),
        "error: the API has no route /api/pow/8/5 (403 Missing Authentication Token): \
         its operations are soma, sub, div and mult"
    );
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
}

#[test]
fn a_wrong_stage_says_the_url_is_wrong() {
    let server = start_server();
    let url = format!("http://{}/prod", server.socket_addr());
    let done = run_client(&url, &["mult", "8", "5"], "");
    assert_eq!(
        error_line(&done),
        "error: the API has no route /prod/mult/8/5 (403 Missing Authentication Token): \
         its operations are soma, sub, div and mult, so the base URL is wrong: --url (or \
         CALC_API_URL) must end with the API's stage, as in \
         https://<id>.execute-api.<region>.amazonaws.com/api"
    );
}

#[test]
fn an_unknown_operation_in_a_pipe_is_that_lines_error() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["--value"], "pow 8 5\nmult 4 5\n");
    assert_eq!(done.status.code(), Some(1), "{}", done.stderr);
    assert_eq!(done.stdout, ["20"]);
    assert_eq!(
        done.stderr,
        "error: line 1: the API has no route /api/pow/8/5 (403 Missing Authentication Token): \
         its operations are soma, sub, div and mult\n"
    );
}

#[test]
fn a_slash_in_a_value_stays_in_the_value() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["soma", "1/2", "3"], "");
    let line = error_line(&done);
    assert!(line.contains("400") && line.contains("1/2"), "{line}");
}

#[test]
fn the_url_may_end_with_a_slash() {
    let server = start_server();
    let url = format!("{}/", api_url(&server));
    let done = run_client(&url, &["--value", "soma", "8", "5"], "");
    assert_eq!(done.stdout, ["13"], "{}", done.stderr);
}

#[test]
fn the_url_comes_from_calc_api_url_when_no_flag_gives_it() {
    let server = start_server();
    let url = api_url(&server);
    let done = support::client()
        .spawn_with(&["--value", "mult", "8", "5"], |cmd| {
            cmd.env("CALC_API_URL", &url);
        })
        .finish();
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, ["40"]);
}

#[test]
fn the_flag_wins_over_calc_api_url() {
    let server = start_server();
    let done = run_client_with(
        &api_url(&server),
        &["--value", "mult", "2", "3"],
        "",
        |cmd| {
            cmd.env("CALC_API_URL", "http://127.0.0.1:1/api");
        },
    );
    assert_eq!(done.stdout, ["6"], "{}", done.stderr);
}

#[test]
fn a_bad_url_is_one_error_line() {
    let done = run_client("ftp://example/api", &["mult", "8", "5"], "");
    let line = error_line(&done);
    assert!(line.contains("ftp://example/api"), "{line}");
}

#[test]
fn lines_from_a_pipe_give_one_result_each_in_order() {
    let server = start_server();
    let input = "mult 8 5\n\n# a comment\nsoma 0.1 0.2\ndiv 1 4\nsub 3 -5\n";
    let done = run_client(&api_url(&server), &["--value"], input);
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, ["40", "0.3", "0.25", "8"]);
    assert!(!done.stderr.contains("Informe"), "no prompts in a pipe");
}

#[test]
fn lines_from_a_pipe_print_the_json() {
    let server = start_server();
    let done = run_client(&api_url(&server), &[], "mult 8 5\nsoma 8 5\n");
    assert_eq!(
        done.stdout,
        [r#"{"A multiplicação": 40}"#, r#"{"A soma: ": 13}"#],
        "{}",
        done.stderr
    );
}

#[test]
fn a_bad_line_is_reported_and_the_others_still_run() {
    let server = start_server();
    let input = "mult 8 5\nmult 8\ndiv 1 0\nsoma 1 1\n";
    let done = run_client(&api_url(&server), &["--value"], input);
    assert_eq!(
        done.status.code(),
        Some(1),
        "a line failed: {}",
        done.stderr
    );
    assert_eq!(done.stdout, ["40", "2"]);
    let errors: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 2, "{}", done.stderr);
    assert!(errors[0].contains("line 2"), "{}", errors[0]);
    assert!(
        errors[1].contains("line 3") && errors[1].contains("division by zero"),
        "{}",
        errors[1]
    );
}

#[test]
fn the_dialogue_is_the_slides_run_line_for_line() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["--interactive"], "mult\n8\n5\n");
    assert!(done.status.success(), "{}", done.stderr);
    // Issue 13's quote of the slide; the answers read from the pipe are
    // echoed after their prompts, as the terminal showed them.
    assert_eq!(
        done.stdout,
        [
            "Informe a operação: [soma] [sub] [div] [mult]mult",
            "operação:  mult",
            "Informe o valor 1: 8",
            "Informe o valor 2: 5",
            "{'A multiplicação': 40}",
            "Fim...",
        ]
    );
    assert_eq!(done.stderr, "");
}

#[test]
fn the_dialogues_result_is_the_dict_python_prints() {
    let server = start_server();
    for (op, shown) in [
        ("soma", "{'A soma: ': 9}"),
        ("sub", "{'A subtração:': -1}"),
        ("mult", "{'A multiplicação': 20}"),
        ("div", "{'A Divisão': 0.8}"),
    ] {
        let input = format!("{op}\n4\n5\n");
        let done = run_client(&api_url(&server), &["--interactive"], &input);
        assert!(done.status.success(), "{op}: {}", done.stderr);
        assert_eq!(done.stdout[4..], [shown, "Fim..."], "{op}");
    }
}

#[test]
fn the_dialogue_with_value_prints_the_number() {
    let server = start_server();
    let done = run_client(
        &api_url(&server),
        &["--interactive", "--value"],
        "div\n4\n5\n",
    );
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout[4..], ["0.8", "Fim..."]);
}

#[test]
fn the_dialogue_asks_again_after_invalid_input() {
    let server = start_server();
    let done = run_client(
        &api_url(&server),
        &["--interactive", "--value"],
        "potência\nmult\nabc\n8\n1e309\n5\n",
    );
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            format!("{PROMPT_OPERATION}potência"),
            format!("{PROMPT_OPERATION}mult"),
            "operação:  mult".to_owned(),
            format!("{PROMPT_1}abc"),
            format!("{PROMPT_1}8"),
            format!("{PROMPT_2}1e309"),
            format!("{PROMPT_2}5"),
            "40".to_owned(),
            "Fim...".to_owned(),
        ]
    );
    assert_eq!(
        done.stderr,
        "\"potência\" is not an operation; choose soma, sub, div or mult\n\
         value 1 is not a number: \"abc\"\n\
         value 2 is out of range (at most 28 significant digits): \"1e309\"\n"
    );
}

#[test]
fn the_dialogue_starts_over_when_the_server_refuses() {
    let server = start_server();
    let done = run_client(
        &api_url(&server),
        &["--interactive", "--value"],
        "div\n8\n0\ndiv\n8\n5\n",
    );
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        done.stderr,
        "error: the server refused the request (400 Bad Request): division by zero\n"
    );
    assert_eq!(
        done.stdout,
        [
            format!("{PROMPT_OPERATION}div"),
            "operação:  div".to_owned(),
            format!("{PROMPT_1}8"),
            format!("{PROMPT_2}0"),
            format!("{PROMPT_OPERATION}div"),
            "operação:  div".to_owned(),
            format!("{PROMPT_1}8"),
            format!("{PROMPT_2}5"),
            "1.6".to_owned(),
            "Fim...".to_owned(),
        ]
    );
}

#[test]
fn the_dialogue_ends_with_fim_at_the_end_of_input() {
    let server = start_server();
    let done = run_client(&api_url(&server), &["--interactive"], "soma\n1\n");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            format!("{PROMPT_OPERATION}soma"),
            "operação:  soma".to_owned(),
            format!("{PROMPT_1}1"),
            PROMPT_2.to_owned(),
            "Fim...".to_owned(),
        ]
    );
    assert_eq!(done.stderr, "");
}

#[test]
fn the_dialogue_ends_when_the_url_has_no_route() {
    let server = start_server();
    let url = format!("http://{}/prod", server.socket_addr());
    let done = run_client(&url, &["--interactive"], "mult\n8\n5\nmult\n8\n5\n");
    let line = error_line(&done);
    assert!(line.contains("the base URL is wrong"), "{line}");
    assert_eq!(
        done.stdout,
        [
            format!("{PROMPT_OPERATION}mult"),
            "operação:  mult".to_owned(),
            format!("{PROMPT_1}8"),
            format!("{PROMPT_2}5"),
        ],
        "asked once"
    );
}

//! The client against the real server: one-shot, pipe, the slide's dialogue.

mod support;

use support::{
    CalcReply as _, FakeServer, api_url, error_line, get, run_client, run_client_with, start_server,
};

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
fn a_value_that_is_not_a_number_is_refused_before_sending() {
    // A server that would answer anything, and counts what it is asked.
    let fake = FakeServer::start(vec![support::Canned::json(200, r#"{"A soma: ": 1}"#)]);
    let done = run_client(&fake.url(), &["soma", "1/2", "3"], "");
    assert_eq!(
        error_line(&done),
        r#"error: value 1: "1/2" is not a number"#
    );
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(fake.requests(), Vec::<String>::new(), "nothing was sent");
}

/// A number with 60 significant digits.
const SIXTY: &str = "123456789012345678901234567890123456789012345678901234567890";

/// `1e308 + SIXTY`, every digit.
fn sixty_plus_1e308() -> String {
    format!("1{}{SIXTY}", "0".repeat(308 - 60))
}

#[test]
fn sixty_digits_and_1e308_go_through_every_mode() {
    let server = start_server();
    let url = api_url(&server);
    let sum = sixty_plus_1e308();
    let one_shot = run_client(&url, &["--value", "soma", SIXTY, "1e308"], "");
    assert_eq!(one_shot.stdout, [sum.as_str()], "{}", one_shot.stderr);
    let pipe = run_client(
        &url,
        &["--value"],
        &format!("soma {SIXTY} 1e308\nmult 1e308 1\n"),
    );
    assert_eq!(pipe.stdout, [sum.as_str(), "1e+308"], "{}", pipe.stderr);
    let dialogue = run_client(
        &url,
        &["--interactive", "--value"],
        &format!("soma\n{SIXTY}\n1e308\n"),
    );
    assert_eq!(
        dialogue.stdout,
        [
            format!("{PROMPT_OPERATION}soma"),
            "operação:  soma".to_owned(),
            format!("{PROMPT_1}{SIXTY}"),
            format!("{PROMPT_2}1e308"),
            sum,
            "Fim...".to_owned(),
        ],
        "{}",
        dialogue.stderr
    );
    assert_eq!(dialogue.stderr, "");
}

#[test]
fn a_value_beyond_the_bounds_is_refused_alike_in_every_mode() {
    let server = start_server();
    let url = api_url(&server);
    let why = r#"value 2: "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#;
    let one_shot = run_client(&url, &["--value", "soma", "1", "1e1000"], "");
    assert_eq!(error_line(&one_shot), format!("error: {why}"));
    let pipe = run_client(&url, &["--value"], "soma 1 1e1000\nmult 1 1e999\n");
    assert_eq!(pipe.status.code(), Some(1), "{}", pipe.stderr);
    assert_eq!(pipe.stderr, format!("error: line 1: {why}\n"));
    assert_eq!(pipe.stdout, ["1e+999"]);
    let dialogue = run_client(&url, &["--interactive", "--value"], "soma\n1\n1e1000\n2\n");
    assert_eq!(dialogue.stderr, format!("{why}\n"));
    assert_eq!(
        dialogue.stdout[4..],
        [format!("{PROMPT_2}2"), "3".to_owned(), "Fim...".to_owned()]
    );
}

#[test]
fn the_dialogues_dict_shows_every_digit_of_the_result() {
    let server = start_server();
    for (input, shown) in [
        (
            "div\n1e-28\n3\n",
            "{'A Divisão': 3.333333333333333333333333333333333e-29}",
        ),
        (
            "soma\n10\n1e-28\n",
            "{'A soma: ': 10.0000000000000000000000000001}",
        ),
        ("mult\n1.5\n1e-28\n", "{'A multiplicação': 1.5e-28}"),
    ] {
        let done = run_client(&api_url(&server), &["--interactive"], input);
        assert!(done.status.success(), "{input:?}: {}", done.stderr);
        assert_eq!(done.stdout[4..], [shown, "Fim..."], "{input:?}");
    }
}

#[test]
fn the_listed_cases_print_the_servers_exact_bodies() {
    let server = start_server();
    for args in [
        ["soma", "10", "1e-28"],
        ["sub", "1e20", "1e-20"],
        ["div", "1e-28", "1e28"],
        ["div", "1e-28", "3"],
        ["mult", "1.5", "1e-28"],
    ] {
        let done = run_client(&api_url(&server), &args, "");
        let [op, a, b] = args;
        let sent = get(&server, &format!("/api/{op}/{a}/{b}")).body;
        assert_eq!(done.stdout, [sent], "{args:?}: {}", done.stderr);
    }
}

#[test]
fn results_beyond_the_bounds_of_an_input_are_printed_whole() {
    // Exact answers can be larger than any input: 1e999 × 1e999, and the
    // 1,999-digit sum of 1e999 and 1e-999.
    let server = start_server();
    let url = api_url(&server);
    let done = run_client(&url, &["--value"], "mult 1e999 1e999\nsoma 1e999 1e-999\n");
    assert!(done.status.success(), "{}", done.stderr);
    let sum = get(&server, "/api/soma/1e999/1e-999").result().value;
    assert_eq!(sum.len(), 1 + 999 + 1 + 999, "{sum}");
    assert_eq!(done.stdout, ["1e+1998".to_owned(), sum]);
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
        "potência\nmult\nabc\n8\n1e1000\n5\n",
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
            format!("{PROMPT_2}1e1000"),
            format!("{PROMPT_2}5"),
            "40".to_owned(),
            "Fim...".to_owned(),
        ]
    );
    assert_eq!(
        done.stderr,
        "\"potência\" is not an operation; choose soma, sub, div or mult\n\
         value 1: \"abc\" is not a number\n\
         value 2: \"1e1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude\n"
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

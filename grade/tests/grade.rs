//! `grade` as a teacher runs it: on our own programs (full marks), on the
//! deliberately wrong programs in `tests/fixtures` (exactly the points they
//! must lose, with readable reasons, in bounded time), on a class, and the
//! files it writes for an LMS.

use common::testing::{has_python_module, require};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// Gradings run one at a time: each one already runs two tests at once,
/// and a server under load on two cores is not what the points measure.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Run `grade` with `args` from `dir`.
fn grade_in(dir: &Path, args: &[&str]) -> Output {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Command::new(env!("CARGO_BIN_EXE_grade"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("grade runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `score: E / P points` line of a report, as (earned, possible).
fn score(report: &str) -> (f64, f64) {
    let line = report
        .lines()
        .find_map(|l| l.strip_prefix("score: "))
        .unwrap_or_else(|| panic!("no score line in:\n{report}"));
    let mut words = line.split_whitespace();
    let earned = words.next().and_then(|w| w.parse().ok());
    let possible = words.nth(1).and_then(|w| w.parse().ok());
    match (earned, possible) {
        (Some(e), Some(p)) => (e, p),
        _ => panic!("unreadable score line {line:?}"),
    }
}

/// Grade one submission, writing results.json; returns the report and the
/// JSON.
fn grade_json(dir: &Path, args: &[&str]) -> (String, serde_json::Value) {
    let out = tempfile::tempdir().expect("a directory");
    let json = out.path().join("results.json");
    let json_arg = json.to_string_lossy().into_owned();
    let mut all = args.to_vec();
    all.extend(["--json", &json_arg]);
    let output = grade_in(dir, &all);
    assert!(
        output.status.success(),
        "grade failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("results.json is written");
    let value = serde_json::from_str(&text).expect("results.json is JSON");
    (stdout(&output), value)
}

/// The tests results.json marks failed, as `target::test`.
fn failed(results: &serde_json::Value) -> BTreeSet<String> {
    results["tests"]
        .as_array()
        .expect("a tests array")
        .iter()
        .filter(|t| t["status"] == "failed")
        .map(|t| t["number"].as_str().expect("a number").to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Every reason is what a student can read: no panic, no backtrace, no
/// path of our sources.
fn assert_readable(report: &str) {
    for bad in ["panicked", "stack backtrace", ".rs:", "RUST_BACKTRACE"] {
        assert!(!report.contains(bad), "{bad:?} in the report:\n{report}");
    }
}

fn full_marks(exercise: &str) {
    // Our slowest tests (file-transfer's several gigabytes, rpc-calculator's
    // 100 clients × 1,000 calls) take up to a minute in a debug build on two
    // cores: more than the 30 s a student's test gets by default.
    let output = grade_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[exercise, "--timeout", "120"],
    );
    let report = stdout(&output);
    assert!(
        output.status.success(),
        "grade failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (earned, possible) = score(&report);
    assert!(possible > 0.0, "no test counted:\n{report}");
    assert_eq!(
        earned, possible,
        "our own {exercise} lost points:\n{report}"
    );
}

#[test]
fn our_own_socket_chat_gets_full_marks() {
    full_marks("socket-chat");
}

#[test]
fn our_own_websocket_adder_gets_full_marks() {
    full_marks("websocket-adder");
}

#[test]
fn our_own_sqlite_students_gets_full_marks() {
    full_marks("sqlite-students");
}

#[test]
fn our_own_rpc_calculator_gets_full_marks() {
    full_marks("rpc-calculator");
}

#[test]
fn our_own_file_transfer_gets_full_marks() {
    full_marks("file-transfer");
}

#[test]
fn our_own_lambda_calc_client_gets_full_marks() {
    full_marks("lambda-calc-client");
}

#[test]
fn our_own_xlsx_sql_bridge_gets_full_marks() {
    full_marks("xlsx-sql-bridge");
}

#[test]
fn a_float_adder_loses_exactly_the_points_of_exact_sums_json_and_the_error_wording() {
    if !require(
        "a_float_adder_loses_exactly_the_points_of_exact_sums_json_and_the_error_wording",
        has_python_module("websockets.asyncio.server"),
        "the fixture is written with the Python package websockets (pip install websockets)",
    ) {
        return;
    }
    let (report, results) = grade_json(
        &fixtures(),
        &[
            "websocket-adder",
            "--server",
            "python3 float-adder/server.py",
            "--only",
            "adder",
            "--timeout",
            "10",
        ],
    );
    assert_eq!(
        failed(&results),
        set(&[
            "adder::a_binary_message_gets_an_error",
            "adder::a_json_mistake_gets_a_json_error",
            "adder::a_json_request_gets_a_json_sum",
            "adder::a_megabyte_message_closes_only_that_connection_with_1009",
            "adder::a_message_too_long_for_an_addition_but_under_the_limit_gets_an_error",
            "adder::a_number_beyond_the_bounds_gets_an_error_naming_the_bound",
            "adder::an_empty_message_gets_an_error",
            "adder::decimal_sums_are_exact",
            "adder::frames_spoken_by_hand_get_the_sum",
            "adder::huge_sums_keep_every_digit",
            "adder::letters_get_an_error_naming_them",
            "adder::max_message_sets_the_limit",
            "adder::nan_gets_an_error",
            "adder::one_number_gets_an_error",
            "adder::the_three_separators_give_the_sum",
            "adder::three_numbers_get_an_error",
        ])
    );
    assert_eq!(score(&report), (2.0, 18.0));
    assert!(
        report.contains("expected \"0.3\", got \"0.30000000000000004\""),
        "{report}"
    );
    assert_readable(&report);
}

#[test]
fn an_echo_server_that_serves_one_client_at_a_time_loses_the_concurrent_point() {
    let (report, results) = grade_json(
        &fixtures(),
        &[
            "socket-chat",
            "--server",
            "python3 echo/server.py one-at-a-time",
            "--only",
            "echo",
            "--timeout",
            "10",
        ],
    );
    assert_eq!(
        failed(&results),
        set(&[
            "echo::a_second_client_is_served_while_the_first_is_connected",
            "echo::an_address_to_listen_on_without_a_port_says_the_port_is_missing",
            "echo::crlf_lines_are_accepted",
            "echo::two_lines_in_one_packet_are_two_messages",
        ])
    );
    assert!(
        report.contains("expected a line from the server, but it sent nothing within 5 s"),
        "{report}"
    );
    assert_readable(&report);
}

#[test]
fn the_slides_xmlrpc_server_without_div_loses_exactly_its_points() {
    let (report, results) = grade_json(
        &fixtures(),
        &[
            "rpc-calculator",
            "--server",
            "python3 xmlrpc-without-div/server.py",
            "--only",
            "xmlrpc",
            "--timeout",
            "10",
        ],
    );
    // The slides' SimpleXMLRPCServer also loses what it does its own way:
    // Python's fault codes and messages, no <i8>, float sums, GET answered.
    assert_eq!(
        failed(&results),
        set(&[
            "xmlrpc::a_body_that_is_not_xml_at_all_is_a_parse_error_fault",
            "xmlrpc::a_power_beyond_32_bits_comes_back_as_i8",
            "xmlrpc::a_quotient_is_a_double",
            "xmlrpc::an_unknown_method_is_a_method_not_found_fault",
            "xmlrpc::calculate_returns_a_struct_of_the_five",
            "xmlrpc::division_by_zero_is_a_fault",
            "xmlrpc::get_on_rpc2_is_refused",
            "xmlrpc::malformed_xml_is_a_parse_error_fault",
            "xmlrpc::nan_and_infinity_are_invalid_params_faults",
            "xmlrpc::python_doubles_are_accepted",
            "xmlrpc::system_list_methods_lists_the_procedures",
            "xmlrpc::wrong_params_are_an_invalid_params_fault",
            "xmlrpc::xml_that_is_not_a_method_call_is_an_invalid_request_fault",
        ])
    );
    assert_eq!(score(&report), (1.0, 14.0));
    assert_readable(&report);
}

#[test]
fn a_server_that_never_says_where_it_listens_fails_every_point_quickly() {
    let (report, results) = grade_json(
        &fixtures(),
        &[
            "websocket-adder",
            "--server",
            "sh silent-server/server.sh",
            "--only",
            "hello",
            "--timeout",
            "6",
        ],
    );
    assert_eq!(
        failed(&results),
        set(&[
            "hello::hello_greets_by_name",
            "hello::the_hello_flag_also_serves_example_1_on_a_port_of_its_own",
            "hello::the_server_prints_the_slides_transcript",
        ])
    );
    assert_eq!(score(&report), (0.0, 3.0));
    assert!(
        report.contains("instead of printing `listening on <addr>`"),
        "{report}"
    );
}

#[test]
fn a_server_that_hangs_after_its_first_answer_fails_what_needs_a_second() {
    let (report, results) = grade_json(
        &fixtures(),
        &[
            "socket-chat",
            "--server",
            "python3 echo/server.py hangs-after-first",
            "--only",
            "echo",
            "--timeout",
            "6",
        ],
    );
    assert_eq!(
        failed(&results),
        set(&[
            "echo::a_message_without_newline_gets_a_reply_without_newline",
            "echo::a_second_client_is_served_while_the_first_is_connected",
            "echo::an_address_to_listen_on_without_a_port_says_the_port_is_missing",
            "echo::crlf_lines_are_accepted",
            "echo::each_line_gets_eco_and_the_line",
            "echo::two_lines_in_one_packet_are_two_messages",
        ])
    );
    assert_readable(&report);
}

#[test]
fn a_test_that_overruns_its_limit_is_a_timeout_and_its_programs_are_stopped() {
    let out = tempfile::tempdir().expect("a directory");
    let junit = out.path().join("report.xml");
    // Waits inside the tests longer than the grader's limit: the grader's
    // own timeout must end them.
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let output = Command::new(env!("CARGO_BIN_EXE_grade"))
        .args([
            "socket-chat",
            "--server",
            "python3 echo/server.py hangs-after-first",
            "--only",
            "echo",
            "--timeout",
            "3",
            "--junit",
        ])
        .arg(&junit)
        .env("TEST_TIMEOUT_SECS", "60")
        .current_dir(fixtures())
        .output()
        .expect("grade runs");
    let report = stdout(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains("timeout") && report.contains("no result within 3 s"),
        "{report}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    assert!(xml.contains("type=\"timeout\""), "{xml}");
    for time in attribute_values(&xml, "testcase", "time") {
        let seconds: f64 = time.parse().expect("a number of seconds");
        assert!(seconds < 3.0 + 2.0, "a test ran {seconds} s past its 3 s");
    }
    let left = Command::new("pgrep")
        .args(["-f", "echo/server.py hangs-after-first"])
        .output()
        .expect("pgrep runs");
    assert!(
        left.stdout.is_empty(),
        "fixture servers outlived their tests: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn a_class_gives_one_row_per_student_and_the_csv() {
    if !require(
        "a_class_gives_one_row_per_student_and_the_csv",
        has_python_module("websockets.asyncio.server"),
        "the fixtures are written with the Python package websockets (pip install websockets)",
    ) {
        return;
    }
    let out = tempfile::tempdir().expect("a directory");
    let class = out.path().join("class");
    // ana: the course's Python adder (websocket-adder's own); bia: the float
    // adder; caio: no submission.toml.
    let adder =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../websocket-adder/python/adder_server.py");
    for (student, program) in [
        ("ana", adder),
        ("bia", fixtures().join("float-adder/server.py")),
    ] {
        let dir = class.join(student);
        std::fs::create_dir_all(&dir).expect("a directory");
        std::fs::copy(program, dir.join("server.py")).expect("copied");
        std::fs::write(
            dir.join("submission.toml"),
            "server = \"python3 server.py\"\n",
        )
        .expect("written");
    }
    std::fs::create_dir_all(class.join("caio")).expect("a directory");
    std::fs::write(
        class.join("caio/server.py"),
        "print('no submission.toml')\n",
    )
    .expect("written");
    let csv = out.path().join("notas.csv");
    let csv_arg = csv.to_string_lossy().into_owned();
    let class_arg = class.to_string_lossy().into_owned();
    let output = grade_in(
        out.path(),
        &[
            "websocket-adder",
            "--class",
            &class_arg,
            "--csv",
            &csv_arg,
            "--only",
            "adder",
            "--timeout",
            "10",
        ],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    let csv = std::fs::read_to_string(&csv).expect("the CSV");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "student,score,possible,skipped,failed");
    assert_eq!(
        lines[1],
        "ana,14,18,0,a megabyte message closes only that connection with 1009; a number beyond the bounds gets an error naming the bound; huge sums keep every digit; max message sets the limit"
    );
    assert_eq!(
        lines[2],
        "bia,2,18,0,a binary message gets an error; a JSON mistake gets a JSON error; a JSON request gets a JSON sum; a megabyte message closes only that connection with 1009; a message too long for an addition but under the limit gets an error; a number beyond the bounds gets an error naming the bound; an empty message gets an error; decimal sums are exact; frames spoken by hand get the sum; huge sums keep every digit; letters get an error naming them; max message sets the limit; nan gets an error; one number gets an error; the three separators give the sum; three numbers get an error"
    );
    assert_eq!(
        lines[3],
        "caio,,,,not graded: cannot read submission.toml: No such file or directory (os error 2)"
    );
    assert_eq!(lines.len(), 4);
    let report = stdout(&output);
    assert!(report.contains("student"), "{report}");
    assert_eq!(
        std::fs::read_dir(class.join("caio"))
            .expect("caio's directory")
            .count(),
        1,
        "grading wrote into the class directory"
    );
}

#[test]
fn with_dir_a_submission_runs_in_a_copy_and_writes_nothing_in_its_own_directory() {
    let dir = tempfile::tempdir().expect("a directory");
    // Writes a file where it runs, then never says where it listens.
    std::fs::write(
        dir.path().join("server.py"),
        "import time\nopen('written.txt', 'w').write('x')\ntime.sleep(600)\n",
    )
    .expect("written");
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let elsewhere = tempfile::tempdir().expect("a directory");
    let (report, results) = grade_json(
        elsewhere.path(),
        &[
            "websocket-adder",
            "--dir",
            &dir_arg,
            "--server",
            "python3 server.py",
            "--only",
            "hello",
            "--timeout",
            "4",
        ],
    );
    assert_eq!(failed(&results).len(), 3, "{report}");
    assert!(
        report.contains("instead of printing `listening on <addr>`"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path())
            .expect("the directory")
            .count(),
        1,
        "the submission wrote into its own directory"
    );
}

#[test]
fn results_json_has_gradescopes_fields_and_types() {
    let (_, results) = grade_json(
        &fixtures(),
        &[
            "socket-chat",
            "--server",
            "python3 echo/server.py one-at-a-time",
            "--only",
            "echo",
            "--timeout",
            "10",
        ],
    );
    assert!(results["score"].is_number());
    assert!(results["execution_time"].is_number());
    assert!(results["output"].is_string());
    let tests = results["tests"].as_array().expect("tests");
    assert_eq!(tests.len(), 9);
    for test in tests {
        assert!(test["name"].is_string(), "{test}");
        assert!(test["score"].is_number(), "{test}");
        assert!(test["max_score"].is_number(), "{test}");
        assert!(
            test["status"] == "passed" || test["status"] == "failed",
            "{test}"
        );
        assert!(test["output"].is_string(), "{test}");
    }
    let earned: f64 = tests.iter().filter_map(|t| t["score"].as_f64()).sum();
    assert_eq!(results["score"].as_f64(), Some(earned));
}

#[test]
fn the_junit_file_parses_as_xml_with_one_testcase_per_point() {
    let out = tempfile::tempdir().expect("a directory");
    let junit = out.path().join("report.xml");
    let junit_arg = junit.to_string_lossy().into_owned();
    let output = grade_in(
        &fixtures(),
        &[
            "socket-chat",
            "--server",
            "python3 echo/server.py one-at-a-time",
            "--only",
            "echo",
            "--timeout",
            "10",
            "--junit",
            &junit_arg,
        ],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures, mut declared) = (0, 0, 0, None);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "testsuites" => {
                        let failures = e
                            .try_get_attribute("failures")
                            .expect("attributes")
                            .expect("a failures attribute");
                        declared = Some(failures.value.to_string());
                    }
                    "testsuite" => suites += 1,
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((suites, cases, failures), (1, 9, 4));
    assert_eq!(declared.as_deref(), Some("4"));
}

#[test]
fn the_rubric_lists_every_test_with_its_points() {
    let output = echo_rubric("each_line_gets_eco_and_the_line = 3\n");
    let report = stdout(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(
            "\n     3  echo    each line gets eco and the line (each_line_gets_eco_and_the_line)\n"
        ),
        "{report}"
    );
    assert!(report.ends_with("9 tests, 11 points\n"), "{report}");
}

#[test]
fn a_points_file_naming_no_test_is_refused() {
    let output = echo_rubric("no_such_test = 3\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .ends_with("error: the points file names tests that do not exist: no_such_test\n")
    );
}

/// `grade socket-chat --list --only echo` with a points file holding `toml`.
fn echo_rubric(toml: &str) -> Output {
    let points = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(points.path(), toml).expect("written");
    let points_arg = points.path().to_string_lossy().into_owned();
    grade_in(
        &fixtures(),
        &[
            "socket-chat",
            "--list",
            "--only",
            "echo",
            "--points",
            &points_arg,
        ],
    )
}

/// The values of attribute `name` on every `element` of `xml`.
fn attribute_values(xml: &str, element: &str, name: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut values = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == element =>
            {
                if let Ok(Some(a)) = e.try_get_attribute(name) {
                    values.push(a.value.to_string());
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    values
}

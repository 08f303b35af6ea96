//! Numbers over the wire. Property tests compare the server's answers with
//! Python's `decimal` (`common::testing::reference`) for every operation,
//! on inputs of up to 60 significant digits with exponents within ±400:
//! over JSON-RPC, which carries every result exactly (HTTP, and a
//! WebSocket), and over XML-RPC, whose numbers are only integers and
//! doubles. Plain tests give the exact answers to the cases the 28-digit
//! calculator got wrong, and to the longest requests and answers.

mod support;

use common::number::{Number, Operation};
use common::testing::reference::{
    Expected, Reference, Refusal, base_text, exponent_text, number_text,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::fmt::Debug;
use support::{WebSocket, post_json, post_xml, result_text, start_server, xml_call};

/// Cases per operation and transport: enough to meet every notation and
/// most refusals, few enough that the whole file takes seconds.
const CASES: u32 = 96;

/// Inputs for `op`: two numbers, or for a power a base and an exponent
/// that often give an answer rather than a refusal.
fn inputs(op: Operation) -> BoxedStrategy<(String, String)> {
    match op {
        Operation::Pow => (base_text(), exponent_text()).boxed(),
        _ => (number_text(), number_text()).boxed(),
    }
}

/// Run `check` on `cases` values of `strategy`; a failure is shrunk to the
/// simplest failing value and fails the test with it.
fn property<S>(cases: u32, strategy: S, check: impl FnMut(S::Value) -> Result<(), String>)
where
    S: Strategy,
    S::Value: Debug,
{
    // The runner wants a `Fn`; each case runs alone, so one borrow at a time.
    let check = RefCell::new(check);
    let mut runner = TestRunner::new(Config {
        cases,
        source_file: Some(file!()),
        ..Config::default()
    });
    if let Err(failure) = runner.run(&strategy, |value| {
        (check.borrow_mut())(value).map_err(TestCaseError::fail)
    }) {
        panic!("{failure}");
    }
}

/// A JSON-RPC request calling `op` with the numbers `a` and `b`, written
/// as JSON numbers exactly as generated.
fn request(op: Operation, a: &str, b: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"{}","params":[{a},{b}]}}"#,
        op.name()
    )
}

/// A JSON-RPC reply, its result kept as the text on the wire.
#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    message: String,
}

/// What a JSON-RPC reply answers: the result's exact text, or the error's
/// message; or why it is not a reply at all.
fn answer(reply: &str) -> Result<Result<String, String>, String> {
    let parsed: Reply =
        serde_json::from_str(reply).map_err(|e| format!("not a JSON-RPC reply ({e}): {reply}"))?;
    match (parsed.result, parsed.error) {
        (Some(result), None) => Ok(Ok(result.get().to_owned())),
        (None, Some(error)) => Ok(Err(error.message)),
        _ => Err(format!("neither a result nor an error: {reply}")),
    }
}

/// `op` over JSON-RPC in HTTP POSTs, against Python's decimal.
fn json_rpc_over_http_matches_python(op: Operation) {
    let server = start_server(&["--quiet"]);
    let mut reference = Reference::start();
    property(CASES, inputs(op), |(a, b)| {
        let response = post_json(&server, &request(op, &a, &b));
        if response.status != 200 {
            return Err(format!("HTTP {}: {}", response.status, response.body));
        }
        let answer = answer(&response.body)?;
        reference.check(op, &a, &b, answer.as_deref().map_err(String::as_str))
    });
}

#[test]
fn sums_over_json_rpc_match_python() {
    json_rpc_over_http_matches_python(Operation::Add);
}

#[test]
fn differences_over_json_rpc_match_python() {
    json_rpc_over_http_matches_python(Operation::Sub);
}

#[test]
fn products_over_json_rpc_match_python() {
    json_rpc_over_http_matches_python(Operation::Mul);
}

#[test]
fn quotients_over_json_rpc_match_python() {
    json_rpc_over_http_matches_python(Operation::Div);
}

#[test]
fn powers_over_json_rpc_match_python() {
    json_rpc_over_http_matches_python(Operation::Pow);
}

#[test]
fn every_operation_over_a_websocket_matches_python() {
    let server = start_server(&["--quiet"]);
    let mut reference = Reference::start();
    // One session for all the calls, as a WebSocket client keeps it.
    let mut ws = WebSocket::connect(&server);
    let calls = proptest::sample::select(Operation::ALL.to_vec())
        .prop_flat_map(|op| inputs(op).prop_map(move |(a, b)| (op, a, b)));
    property(CASES, calls, |(op, a, b)| {
        let answer = answer(&ws.call(&request(op, &a, &b)))?;
        reference.check(op, &a, &b, answer.as_deref().map_err(String::as_str))
    });
}

/// What an XML-RPC call must answer.
#[derive(Debug, PartialEq)]
enum OverXml {
    /// This value, exactly.
    Value(dxr::Value),
    /// A fault with a message this refusal allows.
    Refused(Refusal),
    /// The fault that says the result does not fit XML-RPC's numbers.
    NotCarried(String),
}

/// An input as the reference writes numbers (its canonical text).
fn canonical(input: &str) -> String {
    input
        .parse::<Number>()
        .unwrap_or_else(|e| panic!("the test generated {input:?}: {e}"))
        .to_string()
}

/// The significant digits in a number's text.
fn significant_digits(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    mantissa
        .trim_start_matches('-')
        .replace('.', "")
        .trim_matches('0')
        .len()
}

/// The reference's value for `op(a, b)`, which must be one.
fn value(reference: &mut Reference, op: Operation, a: &str, b: &str) -> String {
    match reference.expect(op, a, b) {
        Expected::Value(text) => text,
        other => panic!("the reference refused {} {a} {b}: {other:?}", op.name()),
    }
}

/// True if `result`, the reference's answer to `op(a, b)`, is rounded: a
/// quotient that does not end (as is a negative power of a number whose
/// inverse does not end) or a fractional power. Python decides.
fn rounded(reference: &mut Reference, op: Operation, a: &str, b: &str, result: &str) -> bool {
    let integer = |x: &str| x.parse::<Number>().is_ok_and(|n| n.is_integer());
    match op {
        // A rounded quotient has 34 significant digits at most; with them,
        // an exact one times the divisor gives back the dividend.
        Operation::Div => {
            significant_digits(result) <= 34
                && value(reference, Operation::Mul, result, b) != canonical(a)
        }
        Operation::Pow if integer(b) => {
            b.starts_with('-') && {
                let inverse = value(reference, Operation::Div, "1", a);
                value(reference, Operation::Mul, &inverse, a) != "1"
            }
        }
        Operation::Pow => true,
        Operation::Add | Operation::Sub | Operation::Mul => false,
    }
}

/// What XML-RPC carries for `op(a, b)`: an integer that fits 64 bits as
/// `<int>` or `<i8>`; a number a double holds (the double's shortest text
/// reads back as it) as that `<double>`; a rounded result as the nearest
/// normal double; any other result is the fault that names JSON-RPC.
fn over_xml(reference: &mut Reference, op: Operation, a: &str, b: &str) -> OverXml {
    let text = match reference.expect(op, a, b) {
        Expected::Refused(why) => return OverXml::Refused(why),
        Expected::Value(text) => text,
    };
    if let Ok(i) = text.parse::<i64>() {
        return OverXml::Value(i32::try_from(i).map_or(dxr::Value::Long(i), dxr::Value::Integer));
    }
    let nearest: f64 = text
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a float: {e}"));
    // `{:?}` writes a double's shortest text.
    let holds = nearest.is_finite() && canonical(&format!("{nearest:?}")) == text;
    if holds || (nearest.is_normal() && rounded(reference, op, a, b, &text)) {
        return OverXml::Value(dxr::Value::Double(nearest));
    }
    OverXml::NotCarried(text)
}

/// The fault's message for a result XML-RPC cannot carry.
fn not_carried(result: &str) -> String {
    format!(
        "the result {} does not fit XML-RPC's numbers (64-bit integers, doubles); \
         JSON-RPC carries it exactly",
        common::escape::escape(result, 60)
    )
}

/// The value or the fault of an XML-RPC response.
fn xml_answer(xml: &str) -> Result<dxr::Value, dxr::Fault> {
    if let Ok(response) = dxr::MethodResponse::from_xml(xml) {
        return Ok(response.value);
    }
    match dxr::FaultResponse::from_xml(xml) {
        Ok(response) => Err(response.fault),
        Err(e) => panic!("not an XML-RPC response ({e}): {xml}"),
    }
}

/// `op` over XML-RPC, the numbers sent as `<string>`s (read exactly),
/// against Python's decimal and the rule for what XML-RPC carries.
fn xml_rpc_matches_python(op: Operation) {
    let server = start_server(&["--quiet"]);
    let mut reference = Reference::start();
    property(CASES, inputs(op), |(a, b)| {
        let call = xml_call(
            op.name(),
            &[
                &format!("<string>{a}</string>"),
                &format!("<string>{b}</string>"),
            ],
        );
        let got = xml_answer(&post_xml(&server, &call).body);
        let want = over_xml(&mut reference, op, &a, &b);
        let fine = match (&want, &got) {
            (OverXml::Value(want), Ok(got)) => want == got,
            (OverXml::Refused(why), Err(fault)) => why.allows(fault.string()),
            (OverXml::NotCarried(result), Err(fault)) => {
                fault.code() == 7 && fault.string() == not_carried(result)
            }
            _ => false,
        };
        if fine {
            Ok(())
        } else {
            Err(format!(
                "{} {a} {b}: expected {want:?}, the server answered {got:?}",
                op.name()
            ))
        }
    });
}

#[test]
fn sums_over_xml_rpc_are_exact_or_a_fault() {
    xml_rpc_matches_python(Operation::Add);
}

#[test]
fn differences_over_xml_rpc_are_exact_or_a_fault() {
    xml_rpc_matches_python(Operation::Sub);
}

#[test]
fn products_over_xml_rpc_are_exact_or_a_fault() {
    xml_rpc_matches_python(Operation::Mul);
}

#[test]
fn quotients_over_xml_rpc_are_exact_rounded_to_the_nearest_double_or_a_fault() {
    xml_rpc_matches_python(Operation::Div);
}

#[test]
fn powers_over_xml_rpc_are_exact_rounded_to_the_nearest_double_or_a_fault() {
    xml_rpc_matches_python(Operation::Pow);
}

#[test]
fn the_cases_the_28_digit_calculator_got_wrong_are_exact_over_json_rpc() {
    let server = start_server(&[]);
    for (method, params, expected) in [
        ("add", "[1e28,0.1]", "10000000000000000000000000000.1"),
        (
            "add",
            "[9999999999999999999999999999,0.5]",
            "9999999999999999999999999999.5",
        ),
        ("sub", "[1e28,0.1]", "9999999999999999999999999999.9"),
        ("add", "[10,1e-28]", "10.0000000000000000000000000001"),
        (
            "sub",
            "[1e20,1e-20]",
            "99999999999999999999.99999999999999999999",
        ),
        ("div", "[1e-28,1e28]", "1e-56"),
        (
            "div",
            "[1e-28,3]",
            "3.333333333333333333333333333333333e-29",
        ),
        ("mul", "[1.5,1e-28]", "1.5e-28"),
    ] {
        assert_eq!(
            result_text(&server, method, params),
            expected,
            "{method} {params}"
        );
    }
}

#[test]
fn numbers_as_large_as_pythons_floats_are_numbers_like_any_other() {
    let server = start_server(&[]);
    assert_eq!(result_text(&server, "add", "[1e308,1e308]"), "2e+308");
    assert_eq!(result_text(&server, "mul", "[1e308,1e308]"), "1e+616");
    assert_eq!(
        result_text(&server, "sub", "[1e308,1]"),
        format!("{}", "9".repeat(308))
    );
    // As Python's xmlrpc.client sends its largest floats.
    let response = post_xml(
        &server,
        &xml_call("mul", &["<double>1e+308</double>", "<int>1</int>"]),
    );
    assert_eq!(xml_answer(&response.body), Ok(dxr::Value::Double(1e308)));
}

/// An XML-RPC call with the numbers `a` and `b` sent as `<string>`s.
fn xml_strings(method: &str, a: &str, b: &str) -> String {
    xml_call(
        method,
        &[
            &format!("<string>{a}</string>"),
            &format!("<string>{b}</string>"),
        ],
    )
}

#[test]
fn over_xml_rpc_an_exact_result_no_xml_rpc_number_holds_is_a_fault_naming_json_rpc() {
    let server = start_server(&[]);
    for (method, a, b, result) in [
        ("add", "1e28", "0.1", "10000000000000000000000000000.1"),
        ("sub", "1e28", "0.1", "9999999999999999999999999999.9"),
        ("add", "10", "1e-28", "10.0000000000000000000000000001"),
        ("add", "1e308", "1e308", "2e+308"),
        ("pow", "15", "20", "332525673007965087890625"),
    ] {
        let response = post_xml(&server, &xml_strings(method, a, b));
        assert_eq!(
            xml_answer(&response.body),
            Err(dxr::Fault::new(7, not_carried(result))),
            "{method} {a} {b}"
        );
    }
}

#[test]
fn over_xml_rpc_a_quotient_that_does_not_end_arrives_as_the_nearest_double() {
    let server = start_server(&[]);
    for (method, a, b, rounded) in [
        ("div", "1", "3", "0.3333333333333333333333333333333333"),
        ("div", "2", "3", "0.6666666666666666666666666666666667"),
        (
            "div",
            "1e-28",
            "3",
            "3.333333333333333333333333333333333e-29",
        ),
        ("pow", "3", "-1", "0.3333333333333333333333333333333333"),
    ] {
        let nearest: f64 = rounded.parse().expect("a float");
        let response = post_xml(&server, &xml_strings(method, a, b));
        assert_eq!(
            xml_answer(&response.body),
            Ok(dxr::Value::Double(nearest)),
            "{method} {a} {b}"
        );
    }
    // Python's own server divides the same way.
    let response = post_xml(&server, &xml_strings("div", "1", "3"));
    assert_eq!(
        xml_answer(&response.body),
        Ok(dxr::Value::Double(1.0 / 3.0))
    );
}

#[test]
fn over_xml_rpc_a_result_a_double_holds_is_that_double() {
    let server = start_server(&[]);
    for (method, a, b, double) in [
        ("div", "1e-28", "1e28", 1e-56),
        ("mul", "1.5", "1e-28", 1.5e-28),
        ("add", "0.1", "0.2", 0.3),
        ("pow", "2", "0.5", std::f64::consts::SQRT_2),
    ] {
        let response = post_xml(&server, &xml_strings(method, a, b));
        assert_eq!(
            xml_answer(&response.body),
            Ok(dxr::Value::Double(double)),
            "{method} {a} {b}"
        );
    }
}

#[test]
fn over_xml_rpc_a_quotient_beyond_the_normal_doubles_is_a_fault() {
    let server = start_server(&[]);
    for (a, b, result) in [
        ("1e-400", "3", "3.333333333333333333333333333333333e-401"),
        ("1e400", "3", "3.333333333333333333333333333333333e+399"),
    ] {
        let response = post_xml(&server, &xml_strings("div", a, b));
        assert_eq!(
            xml_answer(&response.body),
            Err(dxr::Fault::new(7, not_carried(result))),
            "div {a} {b}"
        );
    }
}

/// `2 ** -9965`, the longest answer the bounds allow: 7 KB of digits.
fn longest_answer() -> String {
    value(&mut Reference::start(), Operation::Pow, "2", "-9965")
}

#[test]
fn the_longest_answer_crosses_http_whole() {
    let server = start_server(&["--quiet"]);
    let expected = longest_answer();
    assert!(expected.len() > 6_000, "{}", expected.len());
    assert_eq!(result_text(&server, "pow", "[2,-9965]"), expected);
}

#[test]
fn the_longest_answer_crosses_a_websocket_whole() {
    let server = start_server(&["--quiet"]);
    let expected = longest_answer();
    let mut ws = WebSocket::connect(&server);
    let reply = ws.call(&request(Operation::Pow, "2", "-9965"));
    assert_eq!(answer(&reply), Ok(Ok(expected)));
}

#[test]
fn two_numbers_at_their_longest_fit_in_a_request() {
    let server = start_server(&["--quiet"]);
    // 100 significant digits each, at the two ends of the range, written
    // out in full: about a kilobyte each.
    let tiny = format!("0.{}{}", "0".repeat(998), "9".repeat(100));
    let huge = format!("{}{}", "9".repeat(100), "0".repeat(900));
    let sum = format!("{huge}{}", &tiny[1..]);
    let params = format!("[{huge},{tiny}]");
    assert!(params.len() > 2_000, "{}", params.len());
    assert_eq!(result_text(&server, "add", &params), sum);
}

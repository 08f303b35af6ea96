//! Exact numbers over the wire: the real server's answers for every
//! operation, against Python's `decimal` (`common::testing::reference`), and
//! issue 13's listed cases with their exact bodies.

mod support;

use common::testing::Program;
use common::testing::reference::{Reference, number_text};
use lambda_calc_client::api::Op;
use proptest::prelude::*;
use std::cell::RefCell;
use support::{CalcReply as _, get, start_server};

/// One server and one Python, kept for all the cases of a property test
/// (each test runs on a thread of its own).
struct Wire {
    reference: Reference,
    server: Program,
}

impl Wire {
    fn start() -> Wire {
        Wire {
            reference: Reference::start(),
            server: start_server(),
        }
    }
}

thread_local! {
    static WIRE: RefCell<Option<Wire>> = const { RefCell::new(None) };
}

/// Every byte of `text` percent-encoded (`1e-28` is `%31%65%2D%32%38`):
/// what the server reads once it has decoded the path must be `text`.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The server's answer to `GET path`: the result's text exactly as the body
/// writes it, under the course API's name for `op`, or the `Message` of a
/// 400.
fn answer(server: &Program, op: Op, path: &str) -> Result<String, String> {
    let reply = get(server, path);
    match reply.status {
        200 => {
            let result = reply.result();
            assert_eq!(result.key, op.key(), "{path}: {:?}", reply.body);
            Ok(result.value)
        }
        400 => Err(reply.chalice_error().1),
        status => panic!("{path}: {status} {:?}", reply.body),
    }
}

/// Ask the server `op(a, b)`, its values written as given or percent-encoded,
/// and check the answer against Python's `decimal`.
fn check(op: Op, a: &str, b: &str, encode: bool) -> Result<(), TestCaseError> {
    let (x, y) = if encode {
        (percent_encoded(a), percent_encoded(b))
    } else {
        (a.to_owned(), b.to_owned())
    };
    let path = format!("/api/{op}/{x}/{y}");
    WIRE.with_borrow_mut(|wire| {
        let wire = wire.get_or_insert_with(Wire::start);
        let got = answer(&wire.server, op, &path);
        wire.reference
            .check(op.operation(), a, b, got.as_deref().map_err(String::as_str))
            .map_err(|why| TestCaseError::fail(format!("GET {path}: {why}")))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn sums_match_python(a in number_text(), b in number_text(), encode in any::<bool>()) {
        check(Op::Soma, &a, &b, encode)?;
    }

    #[test]
    fn differences_match_python(a in number_text(), b in number_text(), encode in any::<bool>()) {
        check(Op::Sub, &a, &b, encode)?;
    }

    #[test]
    fn products_match_python(a in number_text(), b in number_text(), encode in any::<bool>()) {
        check(Op::Mult, &a, &b, encode)?;
    }

    #[test]
    fn quotients_match_python(a in number_text(), b in number_text(), encode in any::<bool>()) {
        check(Op::Div, &a, &b, encode)?;
    }
}

/// Issue 13's listed cases (the 28-digit type answered them wrongly) and
/// `1e308`, with the exact body each must get.
const LISTED: [(Op, &str, &str, &str); 11] = [
    (
        Op::Soma,
        "10",
        "1e-28",
        r#"{"A soma: ": 10.0000000000000000000000000001}"#,
    ),
    (
        Op::Sub,
        "1e20",
        "1e-20",
        r#"{"A subtração:": 99999999999999999999.99999999999999999999}"#,
    ),
    (Op::Div, "1e-28", "1e28", r#"{"A Divisão": 1e-56}"#),
    (
        Op::Div,
        "1e-28",
        "3",
        r#"{"A Divisão": 3.333333333333333333333333333333333e-29}"#,
    ),
    (Op::Mult, "1.5", "1e-28", r#"{"A multiplicação": 1.5e-28}"#),
    (
        Op::Soma,
        "1e28",
        "0.1",
        r#"{"A soma: ": 10000000000000000000000000000.1}"#,
    ),
    (
        Op::Soma,
        "9999999999999999999999999999",
        "0.5",
        r#"{"A soma: ": 9999999999999999999999999999.5}"#,
    ),
    (
        Op::Sub,
        "1e28",
        "0.1",
        r#"{"A subtração:": 9999999999999999999999999999.9}"#,
    ),
    (Op::Mult, "1e308", "1", r#"{"A multiplicação": 1e+308}"#),
    (Op::Soma, "1e308", "1e308", r#"{"A soma: ": 2e+308}"#),
    (Op::Div, "1", "1e308", r#"{"A Divisão": 1e-308}"#),
];

#[test]
fn the_listed_cases_get_their_exact_bodies() {
    let server = start_server();
    for (op, a, b, body) in LISTED {
        let path = format!("/api/{op}/{a}/{b}");
        let reply = get(&server, &path);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, body),
            "GET {path}"
        );
    }
}

#[test]
fn the_listed_cases_match_python() {
    let mut reference = Reference::start();
    for (op, a, b, body) in LISTED {
        // The number in the body, as written: after the name and `": "`.
        let value = body
            .split_once("\": ")
            .and_then(|(_, rest)| rest.strip_suffix('}'))
            .unwrap_or_else(|| panic!("a result body: {body}"));
        reference
            .check(op.operation(), a, b, Ok(value))
            .unwrap_or_else(|why| panic!("{why}"));
    }
}

#[test]
fn percent_encoding_and_plus_signs_do_not_change_the_number() {
    // Decoding the path must give Number the text the client meant: `+`
    // stays a plus (it is a space only in a query string), `%2B` is a plus,
    // `%20` a space, which the parser forgives around a number.
    let server = start_server();
    for (paths, body) in [
        (
            [
                "/api/soma/1e+28/0.1",
                "/api/soma/1e%2B28/0.1",
                "/api/soma/%2B1e28/%200.1%20",
            ],
            r#"{"A soma: ": 10000000000000000000000000000.1}"#,
        ),
        (
            [
                "/api/div/1e-28/3",
                "/api/div/1e%2D28/%33",
                "/api/div/1%65-28/+3",
            ],
            r#"{"A Divisão": 3.333333333333333333333333333333333e-29}"#,
        ),
        (
            [
                "/api/mult/1.5/1e-28",
                "/api/mult/1%2E5/1E-28",
                "/api/mult/+1.50/.1e-27",
            ],
            r#"{"A multiplicação": 1.5e-28}"#,
        ),
    ] {
        for path in paths {
            let reply = get(&server, path);
            assert_eq!(
                (reply.status, reply.body.as_str()),
                (200, body),
                "GET {path}"
            );
        }
    }
}

#[test]
fn division_by_zero_is_the_400_python_agrees_with() {
    let server = start_server();
    let mut reference = Reference::start();
    for (a, b) in [("1", "0"), ("1e-28", "-0"), ("0", "0.000")] {
        let reply = get(&server, &format!("/api/div/{a}/{b}"));
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (
                400,
                r#"{"Code": "BadRequestError", "Message": "division by zero"}"#
            ),
            "div {a} {b}"
        );
        reference
            .check(Op::Div.operation(), a, b, Err(&reply.chalice_error().1))
            .unwrap_or_else(|why| panic!("{why}"));
    }
}

/// The longest inputs: 100 significant digits at both ends of the range,
/// written out in full (1,101 and 1,001 characters).
fn tiny() -> String {
    format!("-0.{}{}", "0".repeat(998), "9".repeat(100))
}
fn huge() -> String {
    format!("{}{}", "9".repeat(100), "0".repeat(900))
}

#[test]
fn two_numbers_at_the_bounds_written_out_fit_in_a_request_for_every_operation() {
    // A 2 KB path (the head may have 16 KiB) and, for the sum, a
    // 2,100-character number in the reply.
    let server = start_server();
    let mut reference = Reference::start();
    for op in Op::ALL {
        for (a, b) in [(tiny(), huge()), (huge(), tiny())] {
            let path = format!("/api/{op}/{a}/{b}");
            let value = answer(&server, op, &path)
                .unwrap_or_else(|message| panic!("{op}: refused: {message}"));
            reference
                .check(op.operation(), &a, &b, Ok(&value))
                .unwrap_or_else(|why| panic!("{why}"));
        }
    }
    let sum = answer(
        &server,
        Op::Soma,
        &format!("/api/soma/{}/{}", tiny(), huge()),
    )
    .expect("a sum");
    assert_eq!(
        sum,
        format!(
            "{}8{}.{}{}1",
            "9".repeat(99),
            "9".repeat(900),
            "9".repeat(998),
            "0".repeat(99)
        )
    );
}

#[test]
fn help_states_the_number_rules() {
    // Our binaries' documentation, not the protocol: a graded replacement
    // need not have it.
    for bin in [
        env!("CARGO_BIN_EXE_lambda-calc-server"),
        env!("CARGO_BIN_EXE_lambda-calc-client"),
    ] {
        let done = common::testing::Launcher::fixed(bin)
            .spawn(&["--help"])
            .finish();
        assert!(done.status.success(), "{bin}: {}", done.stderr);
        let help = done.stdout.join("\n");
        for rule in [
            "soma, sub and mult are exact, every digit",
            "10000000000000000000000000000.1",
            "div is exact when the quotient ends, else 34 significant digits, half to even",
            "A value has at most 100 significant digits and is 0 or between 1e-999 and 1e+1000 \
             in magnitude (1e308 is fine)",
        ] {
            assert!(help.contains(rule), "{bin} --help lacks {rule:?}:\n{help}");
        }
    }
}

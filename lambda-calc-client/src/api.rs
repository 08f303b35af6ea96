//! The contract of the calculator API, as pure functions: no sockets here.
//!
//! `GET /api/{op}/{a}/{b}` with `op` one of `soma`, `sub`, `div`, `mult`
//! answers `200` and one JSON member named for the operation, with the
//! course's deployed API's own names (issue 13's table, from the Postman
//! screenshots of the slides "API AWS Lambda"), punctuation included:
//!
//! ```text
//! GET /api/soma/4/5     200  {"A soma: ": 9}
//! GET /api/sub/4/5      200  {"A subtração:": -1}
//! GET /api/mult/4/5     200  {"A multiplicação": 20}
//! GET /api/div/4/5      200  {"A Divisão": 0.8}
//! GET /api/div/8/0      400  {"Code": "BadRequestError", "Message": "division by zero"}
//! GET /api/pow/2/3      403  {"message":"Missing Authentication Token"}
//! ```
//!
//! A request no route answers (an unknown operation, another path, a method
//! other than GET) gets what API Gateway answers for it, a `403` "Missing
//! Authentication Token". The refusals of bad values are ours, in the shape
//! of Chalice's errors (`Code` and `Message`), the framework the course's
//! API is written with: the slides do not show the deployed API's. The
//! values are decimal numbers as people type them, computed by
//! [`common::number`] (sums, differences and products exact, quotients
//! exact when they end and otherwise rounded to 34 digits; the rules and
//! bounds are common's); the result is written with every digit it has, by
//! `Number`'s serde, so integers stay integers (`40`, never `40.0`),
//! `0.1 + 0.2` is `0.3` and `10 + 1e-28` is `10.0000000000000000000000000001`.
//!
//! [`respond`] is the whole API in one function: the HTTP server and the
//! Lambda handler only carry its [`Reply`] over their transport.

use common::number::{ArithmeticError, Number, Operation, ParseNumberError};
use serde::Serialize;
use std::fmt;
use std::io;
use std::str::FromStr;

/// Where the API is mounted: the course's REST API has the stage `api`, so
/// its URLs are `https://<id>.execute-api.<region>.amazonaws.com/api/...`,
/// and the local server mirrors that.
pub const MOUNT: &str = "/api";

/// The `Content-Type` of every reply.
pub const CONTENT_TYPE: &str = "application/json";

/// One of the four operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `soma`: a + b.
    Soma,
    /// `sub`: a − b.
    Sub,
    /// `div`: a ÷ b.
    Div,
    /// `mult`: a × b.
    Mult,
}

impl Op {
    /// Every operation, in the order of the slide's prompt
    /// (`[soma] [sub] [div] [mult]`).
    pub const ALL: [Op; 4] = [Op::Soma, Op::Sub, Op::Div, Op::Mult];

    /// The name in the URL: `soma`, `sub`, `div`, `mult`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Soma => "soma",
            Op::Sub => "sub",
            Op::Div => "div",
            Op::Mult => "mult",
        }
    }

    /// The name of the JSON member that carries the result, as the
    /// course's deployed API writes it: what this server sends
    /// ([`RESULT_KEYS`]).
    pub fn key(self) -> &'static str {
        self.keys().course
    }

    /// The names a result of this operation may carry ([`RESULT_KEYS`]).
    pub fn keys(self) -> &'static ResultKeys {
        // The table holds every operation once, in the order of `Op::ALL`.
        &RESULT_KEYS[self as usize]
    }

    /// True if `key` names a result of this operation: the course's key or
    /// the tidy one, exactly.
    pub fn accepts(self, key: &str) -> bool {
        let keys = self.keys();
        key == keys.course || key == keys.tidy
    }

    /// The operation of [`common::number`] this route computes.
    pub fn operation(self) -> Operation {
        match self {
            Op::Soma => Operation::Add,
            Op::Sub => Operation::Sub,
            Op::Div => Operation::Div,
            Op::Mult => Operation::Mul,
        }
    }

    /// Apply the operation: exact, but for a quotient that does not end
    /// (34 digits, half to even); only a division by zero fails.
    pub fn apply(self, a: &Number, b: &Number) -> Result<Number, ArithmeticError> {
        self.operation().apply(a, b)
    }

    /// `soma, sub, div and mult`, for messages.
    pub fn list() -> String {
        let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("{} and {last}", rest.join(", "))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = UnknownOperation;

    /// Exactly one of the four names, as in the URL (case matters, as in
    /// the course's routes).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .into_iter()
            .find(|op| op.name() == name)
            .ok_or_else(|| UnknownOperation(name.to_owned()))
    }
}

/// A name that is not one of the four operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation {}; the operations are {}", quote(.0), Op::list())]
pub struct UnknownOperation(pub String);

/// The names of a result's member for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultKeys {
    /// The operation.
    pub op: Op,
    /// The course's deployed API's name, punctuation and all: what this
    /// server sends.
    pub course: &'static str,
    /// The same name without the deployed API's stray punctuation and
    /// capital, as students' own re-implementations write it.
    pub tidy: &'static str,
}

impl ResultKeys {
    /// The accepted names, for messages: `"A soma: " or "A soma"`, or one
    /// name when both are the same.
    pub fn expected(&self) -> String {
        if self.course == self.tidy {
            format!("{:?}", self.course)
        } else {
            format!("{:?} or {:?}", self.course, self.tidy)
        }
    }
}

/// Which names a result may carry, per operation, in the order of
/// [`Op::ALL`]: the one table both the server (the course's names) and the
/// client (either name, nothing else) read.
///
/// The course's names are those of the API the course deployed
/// (`https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api/`), as the
/// Postman screenshots of the slides "API AWS Lambda" show them, quoted in
/// issue 13: a colon and a space inside `A soma: `, a colon inside
/// `A subtração:`, a capital in `A Divisão`. The inconsistency is the
/// API's, and it is kept: clients written against the deployed API look
/// for these exact names.
pub const RESULT_KEYS: [ResultKeys; 4] = [
    ResultKeys {
        op: Op::Soma,
        course: "A soma: ",
        tidy: "A soma",
    },
    ResultKeys {
        op: Op::Sub,
        course: "A subtração:",
        tidy: "A subtração",
    },
    ResultKeys {
        op: Op::Div,
        course: "A Divisão",
        tidy: "A divisão",
    },
    ResultKeys {
        op: Op::Mult,
        course: "A multiplicação",
        tidy: "A multiplicação",
    },
];

/// Which of the two values, by its name in the route `/{op}/{a}/{b}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// The first value.
    A,
    /// The second value.
    B,
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operand::A => "a",
            Operand::B => "b",
        })
    }
}

/// API Gateway's answer to a request that no route of the API takes.
pub const MISSING_TOKEN: &str = "Missing Authentication Token";

/// The body of that answer, byte for byte as API Gateway sends it.
pub const MISSING_TOKEN_BODY: &str = r#"{"message":"Missing Authentication Token"}"#;

/// The header API Gateway sends with it, `x-amzn-ErrorType`, and its value.
pub const MISSING_TOKEN_ERROR_TYPE: (&str, &str) =
    ("x-amzn-errortype", "MissingAuthenticationTokenException");

/// Why a request gets no result. Every variant is the client's doing: the
/// API has no failure of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No route takes the request: an operation that is not one of the
    /// four, a path that is not `/api/{op}/{a}/{b}`, or a method other than
    /// GET. API Gateway answers these itself, before any function runs,
    /// with a 403 whose wording is about authentication, so that a caller
    /// cannot tell which paths exist (the course's API has no
    /// authorization at all).
    /// Displayed as the reason, for the server's log; the reply says only
    /// API Gateway's words.
    #[error("no route: {0}")]
    NoRoute(String),
    /// A value is not a number this API computes with (400). The reason
    /// is `common::number`'s sentence, which quotes the value (escaped, cut
    /// at 60 characters) and names the bound it crosses.
    #[error("value {which}: {error}")]
    BadValue {
        /// Which value.
        which: Operand,
        /// Why it was refused.
        error: ParseNumberError,
    },
    /// The operation has no answer: a division by zero (400).
    #[error("{0}")]
    Arithmetic(ArithmeticError),
    /// The path is not valid once percent-decoded (400).
    #[error("the path is not valid: {0}")]
    BadPath(String),
}

impl ApiError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NoRoute(_) => 403,
            ApiError::BadValue { .. } | ApiError::Arithmetic(_) | ApiError::BadPath(_) => 400,
        }
    }

    /// The reply that carries this error: API Gateway's body for
    /// [`ApiError::NoRoute`], Chalice's shape (`BadRequestError`) for the
    /// rest.
    pub fn reply(&self) -> Reply {
        let body = match self {
            ApiError::NoRoute(_) => MISSING_TOKEN_BODY.to_owned(),
            _ => error_body("BadRequestError", &self.to_string()),
        };
        Reply {
            status: self.status(),
            body,
        }
    }
}

/// A reply of the API: a status code and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

/// The whole API: the reply to `GET /api/{op}/{a}/{b}`, given the three
/// path segments already percent-decoded.
///
/// ```
/// use lambda_calc_client::api::respond;
/// assert_eq!(respond("mult", "8", "5").body, r#"{"A multiplicação": 40}"#);
/// assert_eq!(respond("div", "4", "5").body, r#"{"A Divisão": 0.8}"#);
/// assert_eq!(respond("soma", "10", "1e-28").body, r#"{"A soma: ": 10.0000000000000000000000000001}"#);
/// assert_eq!(respond("div", "8", "0").status, 400);
/// assert_eq!(respond("pow", "8", "5").status, 403);
/// ```
pub fn respond(op: &str, a: &str, b: &str) -> Reply {
    match calculate(op, a, b) {
        Ok((op, result)) => result_reply(op, &result),
        Err(e) => e.reply(),
    }
}

/// Parse and compute; the operation is checked first, so an unknown one is
/// API Gateway's 403 whatever the values are: it names no route.
pub fn calculate(op: &str, a: &str, b: &str) -> Result<(Op, Number), ApiError> {
    let op: Op = op
        .parse()
        .map_err(|e: UnknownOperation| ApiError::NoRoute(e.to_string()))?;
    let value = |which, text: &str| {
        text.parse::<Number>()
            .map_err(|error| ApiError::BadValue { which, error })
    };
    let a = value(Operand::A, a)?;
    let b = value(Operand::B, b)?;
    let result = op.apply(&a, &b).map_err(ApiError::Arithmetic)?;
    Ok((op, result))
}

/// The `200` reply that carries `result`: `{"A multiplicação": 40}`, the
/// number with every digit it has, written by `Number`'s serde (the
/// workspace's one writer of JSON numbers). A JSON number may have any
/// number of digits; readers that use doubles (Python's `json`,
/// JavaScript) read the nearest one.
pub fn result_reply(op: Op, result: &Number) -> Reply {
    let member = std::collections::BTreeMap::from([(op.key(), result)]);
    match to_json(&member) {
        Ok(body) => Reply { status: 200, body },
        // Not expected: a Number's text is always a valid JSON number.
        // Chalice's answer to an exception in a view.
        Err(e) => {
            tracing::error!(error = %e, "a result could not be written as JSON");
            Reply {
                status: 500,
                body: error_body("InternalServerError", "An internal server error occurred."),
            }
        }
    }
}

/// Chalice's error shape.
#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "Code")]
    code: &'a str,
    #[serde(rename = "Message")]
    message: &'a str,
}

/// `{"Code": "BadRequestError", "Message": "division by zero"}`.
pub fn error_body(code: &str, message: &str) -> String {
    // Two strings always serialize.
    to_json(&ErrorBody { code, message }).unwrap_or_default()
}

/// The reply to `GET /api/`.
#[derive(Serialize)]
struct Index {
    operations: [&'static str; 4],
    usage: String,
}

/// A short index of the API, the reply to `GET /api/`.
pub fn index_body() -> String {
    let index = Index {
        operations: Op::ALL.map(Op::name),
        usage: format!("GET {MOUNT}/{{op}}/{{a}}/{{b}}"),
    };
    // Strings always serialize.
    to_json(&index).unwrap_or_default()
}

/// `value` as JSON the way Python's `json.dumps` writes it by default,
/// `", "` between items and `": "` after a key (this server's form from the
/// start: `{"A multiplicação": 40}`), with UTF-8 rather than `\u` escapes.
/// Numbers are written by `Number`'s serde, every digit.
pub fn to_json(value: &impl Serialize) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out,
        PythonSeparators,
    ))?;
    // serde_json writes UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// serde_json's compact output with Python's default separators.
struct PythonSeparators;

impl serde_json::ser::Formatter for PythonSeparators {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// An operation's name, a path or a line as typed, quoted, and cut short if
/// it is long (`"pow" is not an operation`, the server's log of a refused
/// path): Rust's quoting, 24 characters, `(N characters)`. A value refused
/// as a number is quoted by `common::number`'s sentence instead. What
/// reaches a log or a terminal goes through [`common::escape`] besides.
pub fn quote(text: &str) -> String {
    const SHOWN: usize = 24;
    let count = text.chars().count();
    if count <= SHOWN {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{:?} ({count} characters)", format!("{head}…"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(op: &str, a: &str, b: &str) -> String {
        let reply = respond(op, a, b);
        assert_eq!(reply.status, 200, "{op} {a} {b}: {}", reply.body);
        reply.body
    }

    fn message(op: &str, a: &str, b: &str) -> (u16, String) {
        let reply = respond(op, a, b);
        let json: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        let message = json["Message"].as_str().expect("a Message").to_owned();
        (reply.status, message)
    }

    #[test]
    fn each_operation_answers_with_the_course_apis_key() {
        // Issue 13's table: the deployed API's bodies for /{op}/4/5.
        assert_eq!(ok("soma", "4", "5"), r#"{"A soma: ": 9}"#);
        assert_eq!(ok("sub", "4", "5"), r#"{"A subtração:": -1}"#);
        assert_eq!(ok("mult", "4", "5"), r#"{"A multiplicação": 20}"#);
        assert_eq!(ok("div", "4", "5"), r#"{"A Divisão": 0.8}"#);
    }

    #[test]
    fn the_key_table_follows_the_order_of_the_operations() {
        for (op, keys) in Op::ALL.into_iter().zip(RESULT_KEYS) {
            assert_eq!(op.keys(), &keys);
            assert_eq!(keys.op, op);
        }
    }

    #[test]
    fn each_operation_accepts_the_course_key_and_the_tidy_one_only() {
        for (op, accepted) in [
            (Op::Soma, ["A soma: ", "A soma"]),
            (Op::Sub, ["A subtração:", "A subtração"]),
            (Op::Div, ["A Divisão", "A divisão"]),
            (Op::Mult, ["A multiplicação", "A multiplicação"]),
        ] {
            for key in accepted {
                assert!(op.accepts(key), "{op} {key:?}");
            }
        }
        for (op, refused) in [
            (Op::Soma, "A soma:"),
            (Op::Soma, "a soma"),
            (Op::Sub, "A subtração: "),
            (Op::Div, "A divisão:"),
            (Op::Mult, "A Multiplicação"),
            (Op::Mult, "A soma"),
            (Op::Div, "x"),
        ] {
            assert!(!op.accepts(refused), "{op} {refused:?}");
        }
    }

    #[test]
    fn the_expected_keys_are_listed_for_messages() {
        assert_eq!(Op::Soma.keys().expected(), r#""A soma: " or "A soma""#);
        assert_eq!(Op::Mult.keys().expected(), r#""A multiplicação""#);
    }

    #[test]
    fn integers_stay_integers_and_decimals_are_exact() {
        assert_eq!(ok("div", "8", "4"), r#"{"A Divisão": 2}"#);
        assert_eq!(ok("soma", "0.1", "0.2"), r#"{"A soma: ": 0.3}"#);
        assert_eq!(ok("mult", "1.5", "2"), r#"{"A multiplicação": 3}"#);
        assert_eq!(ok("sub", "3", "5"), r#"{"A subtração:": -2}"#);
        assert_eq!(ok("soma", "1e3", ".5"), r#"{"A soma: ": 1000.5}"#);
        assert_eq!(
            ok("div", "1", "3"),
            r#"{"A Divisão": 0.3333333333333333333333333333333333}"#
        );
    }

    #[test]
    fn what_the_28_digit_type_got_wrong_is_exact() {
        // Issue 13's listed cases, with the course API's keys.
        assert_eq!(
            ok("soma", "10", "1e-28"),
            r#"{"A soma: ": 10.0000000000000000000000000001}"#
        );
        assert_eq!(
            ok("sub", "1e20", "1e-20"),
            r#"{"A subtração:": 99999999999999999999.99999999999999999999}"#
        );
        assert_eq!(ok("div", "1e-28", "1e28"), r#"{"A Divisão": 1e-56}"#);
        assert_eq!(
            ok("div", "1e-28", "3"),
            r#"{"A Divisão": 3.333333333333333333333333333333333e-29}"#
        );
        assert_eq!(
            ok("mult", "1.5", "1e-28"),
            r#"{"A multiplicação": 1.5e-28}"#
        );
        assert_eq!(ok("mult", "1e308", "1"), r#"{"A multiplicação": 1e+308}"#);
    }

    #[test]
    fn every_body_is_written_with_pythons_separators() {
        assert_eq!(
            error_body("BadRequestError", "a \"b\"\n"),
            r#"{"Code": "BadRequestError", "Message": "a \"b\"\n"}"#
        );
        assert_eq!(
            index_body(),
            r#"{"operations": ["soma", "sub", "div", "mult"], "usage": "GET /api/{op}/{a}/{b}"}"#
        );
    }

    #[test]
    fn bodies_are_json_with_one_member() {
        for op in Op::ALL {
            let body = ok(op.name(), "7", "2");
            let json: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&body).expect("a JSON object");
            assert_eq!(json.len(), 1);
            assert!(json[op.key()].is_number(), "{body}");
        }
    }

    #[test]
    fn refused_values_have_chalice_shape_and_400() {
        let reply = respond("div", "1", "0");
        assert_eq!(reply.status, 400);
        assert_eq!(
            reply.body,
            r#"{"Code": "BadRequestError", "Message": "division by zero"}"#
        );
    }

    #[test]
    fn an_unknown_operation_is_api_gateways_403() {
        let reply = respond("pow", "1", "2");
        assert_eq!(reply.status, 403);
        assert_eq!(reply.body, r#"{"message":"Missing Authentication Token"}"#);
    }

    #[test]
    fn the_operation_is_checked_before_the_values() {
        assert_eq!(respond("POW", "x", "y").status, 403);
        assert_eq!(respond("Mult", "1", "2").status, 403);
    }

    #[test]
    fn bad_values_say_which_and_why() {
        assert_eq!(
            message("soma", "abc", "1"),
            (400, r#"value a: "abc" is not a number"#.to_owned())
        );
        assert_eq!(
            message("soma", "1", "NaN"),
            (400, r#"value b: "NaN" is not a finite number"#.to_owned())
        );
        assert_eq!(
            message("soma", "1e1000", "1"),
            (
                400,
                r#"value a: "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
                    .to_owned()
            )
        );
        assert_eq!(
            message("soma", "1", ""),
            (400, "value b: no number was given".to_owned())
        );
        assert_eq!(
            message("soma", "1/2", "1"),
            (400, r#"value a: "1/2" is not a number"#.to_owned())
        );
        // Spaces around a number (`%201`) are forgiven, as Python's float() does.
        assert_eq!(ok("soma", " 1", "1 "), r#"{"A soma: ": 2}"#);
    }

    #[test]
    fn a_long_value_is_not_echoed_whole() {
        let long = "9".repeat(1000);
        let (status, text) = message("mult", &long, "1");
        assert_eq!(status, 400);
        assert_eq!(
            text,
            format!(
                r#"value a: "{}… (1000 bytes)" has more than 100 significant digits, the most a number may have"#,
                "9".repeat(60)
            )
        );
    }

    #[test]
    fn minus_zero_is_zero() {
        assert_eq!(ok("mult", "-0", "5"), r#"{"A multiplicação": 0}"#);
        assert_eq!(ok("mult", "-1", "0"), r#"{"A multiplicação": 0}"#);
        assert_eq!(ok("soma", "-0", "-0"), r#"{"A soma: ": 0}"#);
        assert_eq!(
            message("div", "5", "-0"),
            (400, "division by zero".to_owned())
        );
    }

    #[test]
    fn results_beyond_28_digits_are_exact_not_refused() {
        let big = "9999999999999999999999999999";
        assert_eq!(
            ok("mult", big, big),
            r#"{"A multiplicação": 99999999999999999999999999980000000000000000000000000001}"#
        );
        assert_eq!(ok("soma", "5e28", "5e28"), r#"{"A soma: ": 1e+29}"#);
    }

    #[test]
    fn nothing_panics_on_strange_input() {
        let strange = [
            "",
            " ",
            "-",
            "+",
            ".",
            "e",
            "1e",
            "--1",
            "1..2",
            "١",
            "∞",
            "0x1F",
            "1_0",
            "\0",
            "1e-99999999999999999999",
            "9e9999",
            "-inf",
            "nan",
            "1,5",
            "💥",
            "%2F",
            "/",
        ];
        for op in ["soma", "sub", "div", "mult", "", "x"] {
            for a in strange {
                for b in ["1", "0", a] {
                    let reply = respond(op, a, b);
                    assert!(matches!(reply.status, 400 | 403), "{op} {a:?} {b:?}");
                    let json: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
                    assert!(json["Message"].is_string() || json["message"].is_string());
                }
            }
        }
    }

    #[test]
    fn index_lists_the_operations() {
        let json: serde_json::Value = serde_json::from_str(&index_body()).expect("JSON");
        assert_eq!(
            json["operations"],
            serde_json::json!(["soma", "sub", "div", "mult"])
        );
    }
}

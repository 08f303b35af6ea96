//! The adder's protocol: what a request may say, and the reply to each.
//!
//! Pure functions, no sockets: the server calls [`answer`] for every text
//! message on `/add` and [`answer_binary`] for every binary one, and sends
//! back what they return. Two request forms are understood:
//!
//! | request (a text message) | reply (a text message) |
//! |---|---|
//! | `3 4`, `3,4`, `3;4`, ` 3 ; 4 ` | `7` |
//! | `{"a": 3, "b": 4}` | `{"sum":7}` |
//! | `0.1 0.2` | `0.3` |
//! | `abc` | `error: "abc" is not a number` |
//! | `{"a": 3}` | `{"error":"..."}` |
//!
//! A reply mirrors the request's form: a JSON request gets a JSON reply, with
//! `error` in place of `sum` when there is no sum; any other request gets the
//! sum as plain text, or a line that begins with `error: `. A sum never
//! begins with `error`, so that prefix tells the two apart.
//!
//! The arithmetic is [`common::number`]: arbitrary-precision decimals, so
//! `0.1 0.2` is `0.3`, `3 4` is `7` (not `7.0`), and every sum is exact,
//! every digit of it: `1e28 0.1` is `10000000000000000000000000000.1`. What
//! is refused is an input beyond the rules (more than 100 significant
//! digits, beyond `1e±999`), with common's sentence naming the bound.

use common::number::{ArithmeticError, JsonNumberError, Number, ParseNumberError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The longest request the adder reads, in bytes; a longer message is
/// answered with an error without being parsed. Two numbers at the bounds
/// written out in full without leading zeros (the longest is
/// `-0.` and 998 zeros before 100 digits: 1,101 characters) fit, in either
/// form, JSON strings included (2,219 bytes), with room for blanks.
pub const MAX_REQUEST: usize = 4096;

/// The prefix of every error reply in text form.
pub const ERROR_PREFIX: &str = "error: ";

/// Why a request has no sum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// The message is longer than [`MAX_REQUEST`].
    #[error("the message has {0} bytes; an addition takes at most {MAX_REQUEST}")]
    TooLong(usize),
    /// Not exactly two numbers.
    #[error("expected two numbers, got {}{}", count_words(*.count), comma_hint(*.comma))]
    Count {
        /// How many numbers were given.
        count: usize,
        /// The request held a comma, perhaps as a decimal comma (`1,5 2`).
        comma: bool,
    },
    /// Two separators in a row, or one at either end (`3,,4`, `3;`).
    #[error(
        "a number is missing next to a separator; write two numbers, like \"3 4\", \"3,4\" or \"3;4\""
    )]
    MissingNumber,
    /// One of the numbers is not a number (or not a finite one).
    #[error(transparent)]
    Number(#[from] ParseNumberError),
    /// A JSON value of `a` or `b` that is neither a number nor a string.
    #[error("{field:?} must be a number, like {{\"a\": 3, \"b\": 4}}: {error}")]
    NotANumber {
        /// `a` or `b`.
        field: &'static str,
        /// What the value is not (it quotes the value, escaped and cut).
        error: JsonNumberError,
    },
    /// The text starts like JSON but is not the object the adder expects.
    #[error("invalid JSON request ({0}); send {{\"a\": 3, \"b\": 4}}")]
    Json(String),
    /// The operation has no answer (never for a sum, which is always
    /// exact; kept so that the adder follows `Number`'s API).
    #[error(transparent)]
    Arithmetic(#[from] ArithmeticError),
    /// A binary message: the adder speaks text.
    #[error("binary messages are not understood; send the two numbers as text, like \"3 4\"")]
    Binary,
}

fn count_words(count: usize) -> String {
    match count {
        0 => "none".to_owned(),
        1 => "one".to_owned(),
        n => n.to_string(),
    }
}

fn comma_hint(comma: bool) -> &'static str {
    if comma {
        " (decimals take a dot: 1.5, not 1,5)"
    } else {
        ""
    }
}

/// The form of a request, which the reply mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Two numbers with a separator; the reply is the sum as text.
    Text,
    /// A JSON object `{"a": ..., "b": ...}`; the reply is `{"sum": ...}`.
    Json,
}

/// A request understood: the two numbers, and the form to answer in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The first number.
    pub a: Number,
    /// The second number.
    pub b: Number,
    /// How the request was written.
    pub form: Form,
}

/// The form of `text`: JSON if it starts with `{` (after blanks).
pub fn form_of(text: &str) -> Form {
    if text.trim_start().starts_with('{') {
        Form::Json
    } else {
        Form::Text
    }
}

/// Parse one request.
///
/// ```
/// use websocket_adder::protocol::{parse, Form};
/// let r = parse("0.1; 0.2").unwrap();
/// assert_eq!((r.a.to_string(), r.b.to_string(), r.form), ("0.1".into(), "0.2".into(), Form::Text));
/// assert_eq!(parse(r#"{"a": 3, "b": 4}"#).unwrap().form, Form::Json);
/// assert!(parse("3").is_err());
/// ```
pub fn parse(text: &str) -> Result<Request, AddError> {
    if text.len() > MAX_REQUEST {
        return Err(AddError::TooLong(text.len()));
    }
    match form_of(text) {
        Form::Json => parse_json(text),
        Form::Text => parse_text(text),
    }
}

/// `3 4`, `3,4`, `3;4`: two numbers separated by blanks, or by one comma or
/// semicolon with optional blanks around it.
fn parse_text(text: &str) -> Result<Request, AddError> {
    let text = text.trim();
    let mut words = Vec::new();
    if !text.is_empty() {
        for part in text.split([',', ';']) {
            let part = part.trim();
            if part.is_empty() {
                return Err(AddError::MissingNumber);
            }
            words.extend(part.split_whitespace());
        }
    }
    // Each word must be a number before the count matters: "abc" is better
    // answered with `"abc" is not a number` than with "got one".
    let numbers = words
        .iter()
        .map(|w| w.parse::<Number>())
        .collect::<Result<Vec<_>, _>>()?;
    match <[Number; 2]>::try_from(numbers) {
        Ok([a, b]) => Ok(Request {
            a,
            b,
            form: Form::Text,
        }),
        Err(numbers) => Err(AddError::Count {
            count: numbers.len(),
            comma: text.contains(','),
        }),
    }
}

/// The request object: `a` and `b` are located here and read by
/// [`Number::from_json`], the workspace's one reader of JSON numbers (from
/// their text, never through a double). Locating them first, rather than
/// deserializing straight into `Number`, lets a refusal name the field and
/// say the number's own sentence, the same as in the text form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPair<'a> {
    #[serde(borrow)]
    a: &'a RawValue,
    #[serde(borrow)]
    b: &'a RawValue,
}

fn parse_json(text: &str) -> Result<Request, AddError> {
    let pair: JsonPair = serde_json::from_str(text).map_err(|e| AddError::Json(e.to_string()))?;
    Ok(Request {
        a: json_field("a", pair.a)?,
        b: json_field("b", pair.b)?,
        form: Form::Json,
    })
}

/// The number in field `field`: a JSON number, or a string holding one.
fn json_field(field: &'static str, value: &RawValue) -> Result<Number, AddError> {
    Number::from_json(value.get()).map_err(|error| match error {
        // A number the rules refuse: the same sentence as in the text form.
        JsonNumberError::Number(e) => AddError::Number(e),
        not_a_number @ JsonNumberError::NotANumber(_) => AddError::NotANumber {
            field,
            error: not_a_number,
        },
    })
}

/// The sum of a request.
pub fn sum(request: &Request) -> Result<Number, AddError> {
    Ok(request.a.checked_add(&request.b)?)
}

/// The reply to a text message on `/add`.
///
/// ```
/// use websocket_adder::protocol::answer;
/// assert_eq!(answer("3 4"), "7");
/// assert_eq!(answer("0.1,0.2"), "0.3");
/// assert_eq!(answer(r#"{"a":3,"b":4}"#), r#"{"sum":7}"#);
/// assert_eq!(answer("abc"), r#"error: "abc" is not a number"#);
/// ```
pub fn answer(text: &str) -> String {
    let form = form_of(text);
    match parse(text).and_then(|request| sum(&request)) {
        Ok(sum) => render_sum(&sum, form),
        Err(e) => render_error(&e, form),
    }
}

/// The reply to a binary message on `/add`: always an error, in text.
pub fn answer_binary() -> String {
    render_error(&AddError::Binary, Form::Text)
}

/// The JSON reply to a sum: `{"sum":7}`.
#[derive(Serialize)]
struct SumReply<'a> {
    sum: &'a Number,
}

/// A sum in the form of its request, with every digit in both: as text,
/// `Number`'s Display (`10000000000000000000000000000.1`, `1e+28`); in JSON,
/// `Number`'s serde writes that same text as the number (a JSON number has
/// no precision limit; a double would round).
pub fn render_sum(sum: &Number, form: Form) -> String {
    match form {
        Form::Text => sum.to_string(),
        Form::Json => serde_json::to_string(&SumReply { sum }).unwrap_or_else(|e| {
            // Not expected: a Number's text is always a valid JSON number.
            serde_json::json!({ "error": format!("the sum cannot be written as JSON: {e}") })
                .to_string()
        }),
    }
}

/// An error in the form of its request.
pub fn render_error(error: &AddError, form: Form) -> String {
    match form {
        Form::Text => format!("{ERROR_PREFIX}{error}"),
        Form::Json => serde_json::json!({ "error": error.to_string() }).to_string(),
    }
}

/// The greeting of example 1: `Ola <name>!`, as the slide's server says it.
pub fn greeting(name: &str) -> String {
    format!("Ola {name}!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_separators_are_understood() {
        for request in ["3 4", "3,4", "3;4", " 3 ; 4 ", "3 ,4", "3\t4", "+3 4"] {
            assert_eq!(answer(request), "7", "request {request:?}");
        }
    }

    #[test]
    fn sums_are_exact_decimals() {
        assert_eq!(answer("0.1 0.2"), "0.3");
        assert_eq!(answer("1.5 1.5"), "3");
        assert_eq!(answer("-3 1"), "-2");
        assert_eq!(answer("1e3 .5"), "1000.5");
        // Every digit; more than 20 zeros at the end are written as
        // JavaScript writes them.
        assert_eq!(answer("9999999999999999999999999999 1"), "1e+28");
    }

    #[test]
    fn sums_keep_every_digit() {
        assert_eq!(answer("1e28 0.1"), "10000000000000000000000000000.1");
        assert_eq!(
            answer("9999999999999999999999999999 0.5"),
            "9999999999999999999999999999.5"
        );
        assert_eq!(answer("10 1e-28"), "10.0000000000000000000000000001");
        assert_eq!(answer("7e28 7e28"), "1.4e+29");
        assert_eq!(answer("1e308 1e308"), "2e+308");
    }

    #[test]
    fn inputs_beyond_the_rules_are_refused_with_the_bound() {
        assert_eq!(
            answer("1e1000 1"),
            "error: \"1e1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"
        );
        let digits = "1".repeat(101);
        assert_eq!(
            answer(&format!("{digits} 1")),
            format!(
                "error: \"{}\" has more than 100 significant digits, the most a number may have",
                common::escape::escape(&digits, 60)
            )
        );
    }

    #[test]
    fn two_numbers_at_the_bounds_written_out_fit_in_either_form() {
        let tiny = format!("-0.{}{}", "0".repeat(998), "9".repeat(100));
        let huge = format!("-{}{}", "9".repeat(100), "0".repeat(900));
        let sum = answer(&format!("{tiny} {huge}"));
        assert!(!sum.starts_with(ERROR_PREFIX), "{sum}");
        let json = answer(&format!(r#"{{"a": "{tiny}", "b": "{huge}"}}"#));
        assert_eq!(json, format!(r#"{{"sum":{sum}}}"#));
    }

    #[test]
    fn not_numbers_are_named() {
        assert_eq!(answer("abc"), r#"error: "abc" is not a number"#);
        assert_eq!(answer("3 abc"), r#"error: "abc" is not a number"#);
        assert_eq!(answer("NaN 1"), r#"error: "NaN" is not a finite number"#);
        assert_eq!(answer("1 inf"), r#"error: "inf" is not a finite number"#);
        assert_eq!(answer("0x10 1"), r#"error: "0x10" is not a number"#);
    }

    #[test]
    fn the_count_must_be_two() {
        assert_eq!(answer(""), "error: expected two numbers, got none");
        assert_eq!(answer("   "), "error: expected two numbers, got none");
        assert_eq!(answer("3"), "error: expected two numbers, got one");
        assert_eq!(answer("1 2 3"), "error: expected two numbers, got 3");
    }

    #[test]
    fn a_decimal_comma_gets_a_hint() {
        assert_eq!(
            answer("1,5 2"),
            "error: expected two numbers, got 3 (decimals take a dot: 1.5, not 1,5)"
        );
    }

    #[test]
    fn empty_places_between_separators_are_refused() {
        for request in ["3,,4", "3;", ",4", "3 ; ; 4"] {
            assert!(
                answer(request).starts_with("error: a number is missing"),
                "request {request:?}: {}",
                answer(request)
            );
        }
    }

    #[test]
    fn json_requests_get_json_replies() {
        assert_eq!(answer(r#"{"a":3,"b":4}"#), r#"{"sum":7}"#);
        assert_eq!(answer(r#" { "b": 0.2, "a": 0.1 } "#), r#"{"sum":0.3}"#);
        assert_eq!(answer(r#"{"a":"3","b":"4.5"}"#), r#"{"sum":7.5}"#);
        assert_eq!(answer(r#"{"a":-1e2,"b":0}"#), r#"{"sum":-100}"#);
    }

    #[test]
    fn json_numbers_keep_all_their_digits() {
        // A double would round this to 12345678901234567000000.
        assert_eq!(
            answer(r#"{"a":12345678901234567890123,"b":0.5}"#),
            r#"{"sum":12345678901234567890123.5}"#
        );
        assert_eq!(
            answer(r#"{"a":1e28,"b":"0.1"}"#),
            r#"{"sum":10000000000000000000000000000.1}"#
        );
        assert_eq!(answer(r#"{"a":1e308,"b":1e308}"#), r#"{"sum":2e+308}"#);
    }

    #[test]
    fn json_errors_are_json() {
        let error = |request: &str| -> String {
            let reply: serde_json::Value =
                serde_json::from_str(&answer(request)).expect("the reply is JSON");
            assert!(reply.get("sum").is_none());
            reply["error"].as_str().expect("an error text").to_owned()
        };
        assert!(error(r#"{"a":3}"#).contains("missing field `b`"));
        assert!(error(r#"{"a":3,"b":4,"c":5}"#).contains("unknown field `c`"));
        assert!(error(r#"{"a":3,"b":4"#).starts_with("invalid JSON request"));
        assert_eq!(
            error(r#"{"a":true,"b":4}"#),
            r#""a" must be a number, like {"a": 3, "b": 4}: "true" is not a number"#
        );
        assert_eq!(
            error(r#"{"a":3,"b":[4]}"#),
            r#""b" must be a number, like {"a": 3, "b": 4}: "[4]" is not a number"#
        );
        assert_eq!(
            error(r#"{"a":"NaN","b":4}"#),
            r#""NaN" is not a finite number"#
        );
        assert_eq!(
            error(r#"{"a":1e1000,"b":4}"#),
            r#""1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
        );
    }

    #[test]
    fn a_long_message_is_refused_without_parsing() {
        let long = format!("1 {}", "1".repeat(MAX_REQUEST));
        assert_eq!(
            answer(&long),
            format!(
                "error: the message has {} bytes; an addition takes at most 4096",
                long.len()
            )
        );
        let long_json = format!("{{{}", " ".repeat(5000));
        assert!(answer(&long_json).contains("5001 bytes"));
    }

    #[test]
    fn binary_messages_get_a_text_error() {
        assert_eq!(
            answer_binary(),
            "error: binary messages are not understood; send the two numbers as text, like \"3 4\""
        );
    }

    #[test]
    fn a_sum_never_looks_like_an_error() {
        for request in ["3 4", "-1 -1", "0 0", "1e-28 0", "1e400 1"] {
            assert!(!answer(request).starts_with(ERROR_PREFIX));
        }
    }

    #[test]
    fn the_greeting_is_the_slides() {
        assert_eq!(greeting("Marcos"), "Ola Marcos!");
    }
}

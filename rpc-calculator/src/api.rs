//! The remote interface: the procedures the server offers, their
//! parameters, results and errors, as one Rust trait.
//!
//! `#[rpc(server, client)]` turns the trait [`Calculator`] into two things:
//! `CalculatorServer`, which the server implements (one Rust method per
//! procedure), and `CalculatorClient`, implemented for every jsonrpsee client,
//! whose methods build the JSON-RPC request, send it, wait for the reply and
//! decode it. That is the promise of RPC: a remote call that reads like a
//! local one, with the marshalling written by the middleware, not by hand.
//!
//! Numbers cross the wire as JSON numbers, read and written *exactly*
//! ([`JsonNumber`]): most JSON libraries turn every number into a binary
//! double, which would make `576650390625 * 576650390625` or `0.1 + 0.2`
//! come back subtly wrong.

use common::escape::Escaped;
use common::number::{ArithmeticError, Number, Operation};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// The calculator's remote interface (JSON-RPC 2.0 method names in quotes).
///
/// Every method takes two numbers, `a` and `b`, by position (`[15, 10]`) or
/// by name (`{"a": 15, "b": 10}`). Arithmetic that has no exact answer
/// (division by zero, a result too large) is an error object with one of the
/// [`code`]s, never a wrong number.
#[rpc(server, client)]
pub trait Calculator {
    /// `a + b` (`"add"`).
    #[method(name = "add", with_extensions)]
    fn add(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<JsonNumber>;

    /// `a - b` (`"sub"`).
    #[method(name = "sub", with_extensions)]
    fn sub(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<JsonNumber>;

    /// `a × b` (`"mul"`).
    #[method(name = "mul", with_extensions)]
    fn mul(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<JsonNumber>;

    /// `a` to the power `b` (`"pow"`).
    #[method(name = "pow", with_extensions)]
    fn pow(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<JsonNumber>;

    /// `a ÷ b` (`"div"`): a decimal quotient, `15 / 10 = 1.5`.
    #[method(name = "div", with_extensions)]
    fn div(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<JsonNumber>;

    /// All five at once (`"calculate"`): the exercise's "send back the
    /// computed values" in one round trip. One failed operation does not
    /// fail the others: its entry holds the error instead of a number.
    #[method(name = "calculate", with_extensions)]
    fn calculate(&self, a: JsonNumber, b: JsonNumber) -> RpcResult<Calculation>;
}

/// The procedures of the remote interface, all of which take the two numbers `a`
/// and `b`.
pub const PROCEDURES: [&str; 6] = ["add", "sub", "mul", "pow", "div", "calculate"];

/// Application error codes, the same in JSON-RPC error objects and XML-RPC
/// faults.
///
/// JSON-RPC reserves -32768 to -32000 for the protocol (-32700 parse error,
/// -32600 invalid request, -32601 method not found, -32602 invalid params,
/// -32603 internal error) and the server; an application's own errors take
/// any other code.
pub mod code {
    /// `a / 0`, or 0 to a negative power.
    pub const DIVISION_BY_ZERO: i32 = 1;
    /// The result needs more than 28 significant digits (or, in XML-RPC,
    /// more than 64 bits).
    pub const OVERFLOW: i32 = 2;
    /// The exact result has more decimal places than a number can hold.
    pub const INEXACT: i32 = 3;
    /// A negative number to a fractional power: not a real number.
    pub const NOT_REAL: i32 = 4;
}

/// Why an operation has no answer, as the calculator tells its clients.
///
/// [`common::number`] says "too large" for every result that falls outside
/// a 28-digit decimal, including those that fall out on the side of zero
/// (`pow(2, -100)`, about 7.9e-31), and "needs more than 28 digits" for
/// `pow(0.5, -100)`, which is simply too large. [`apply`] looks at how large
/// the true result is and says which it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    /// What [`common::number`] said, when it says why correctly.
    #[error(transparent)]
    Arithmetic(#[from] ArithmeticError),
    /// A result nearer to zero than the smallest number held (1e-28, the
    /// 28th decimal place): rounding it to 0 would be a wrong answer.
    #[error("the result is too small to represent (nearer to zero than 1e-28)")]
    TooSmall,
}

/// `op` applied to `a` and `b`, with a refusal that says why.
pub fn apply(op: Operation, a: Number, b: Number) -> Result<Number, CalcError> {
    op.apply(a, b).map_err(|e| match e {
        ArithmeticError::Overflow | ArithmeticError::Inexact => {
            match decimal_exponent(op, a, b) {
                // Below 1e-28: no decimal place of the 28 holds a digit of it.
                Some(exponent) if exponent < -f64::from(common::number::MAX_DIGITS) => {
                    CalcError::TooSmall
                }
                // Above the largest 28-digit number, 79228162514264337593543950335.
                Some(exponent) if exponent > LARGEST_EXPONENT => {
                    CalcError::Arithmetic(ArithmeticError::Overflow)
                }
                // A fraction (1 > |result| >= 1e-28) is never too large: it
                // has more decimal places than are held.
                Some(exponent) if exponent < 0.0 => CalcError::Arithmetic(ArithmeticError::Inexact),
                _ => CalcError::Arithmetic(e),
            }
        }
        other => CalcError::Arithmetic(other),
    })
}

/// log10 of the largest number held, 79228162514264337593543950335.
const LARGEST_EXPONENT: f64 = 28.898_879_583_742_193;

/// About log10 of the true |a op b|, computed apart from the result so that
/// it is known even when the result is not: `None` where the question does
/// not arise (a zero operand, a sum).
fn decimal_exponent(op: Operation, a: Number, b: Number) -> Option<f64> {
    let log = |n: Number| (!n.is_zero()).then(|| n.to_f64().abs().log10());
    match op {
        Operation::Add | Operation::Sub => None,
        Operation::Mul => Some(log(a)? + log(b)?),
        Operation::Div => Some(log(a)? - log(b)?),
        Operation::Pow => Some(b.to_f64() * log(a)?),
    }
}

/// The error code of a failed operation.
pub fn error_code(error: &CalcError) -> i32 {
    match error {
        CalcError::Arithmetic(ArithmeticError::DivisionByZero) => code::DIVISION_BY_ZERO,
        CalcError::Arithmetic(ArithmeticError::Overflow) => code::OVERFLOW,
        CalcError::Arithmetic(ArithmeticError::Inexact) | CalcError::TooSmall => code::INEXACT,
        CalcError::Arithmetic(ArithmeticError::NotReal) => code::NOT_REAL,
    }
}

/// The JSON-RPC error object of a failed operation.
pub fn error_object(error: &CalcError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned::<()>(error_code(error), error.to_string(), None)
}

/// Why `params`, the JSON text of a call's parameters, hold more than the
/// two numbers `a` and `b` every procedure takes; `None` if they do not
/// (too few and wrong types are for the procedure's own decoding to say).
///
/// JSON-RPC leaves a server free to ignore what it does not expect; this
/// one refuses it, as XML-RPC here does, because `add(1, 2, 3)` answering
/// 3 would hide the caller's mistake.
pub fn extra_params(method: &str, params: &str) -> Option<String> {
    if !PROCEDURES.contains(&method) {
        return None;
    }
    /// At most this many unknown names are listed, each cut at
    /// [`NAME_SHOWN`] characters: the reason goes back to the caller, and
    /// need not echo a megabyte of it.
    const NAMES_SHOWN: usize = 5;
    const NAME_SHOWN: usize = 40;
    let params = params.trim();
    let takes = format!("{method} takes 2 parameters (a, b)");
    if params.starts_with('[') {
        let given = serde_json::from_str::<Vec<serde::de::IgnoredAny>>(params)
            .ok()?
            .len();
        return match given {
            0..=2 => None,
            3 => Some(format!("{takes}, got 3; extra: position 3")),
            n => Some(format!("{takes}, got {n}; extra: positions 3 to {n}")),
        };
    }
    let names =
        serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(params)
            .ok()?;
    let extra: Vec<&String> = names
        .keys()
        .filter(|k| !matches!(k.as_str(), "a" | "b"))
        .collect();
    if extra.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = extra
        .iter()
        .take(NAMES_SHOWN)
        .map(|name| format!("\"{}\"", Escaped::new(name, NAME_SHOWN)))
        .collect();
    if extra.len() > NAMES_SHOWN {
        shown.push(format!("and {} more", extra.len() - NAMES_SHOWN));
    }
    Some(format!("{takes}; extra: {}", shown.join(", ")))
}

/// The procedure name of an operation, as the client calls it.
pub fn method_name(op: Operation) -> &'static str {
    match op {
        Operation::Add => "add",
        Operation::Sub => "sub",
        Operation::Mul => "mul",
        Operation::Pow => "pow",
        Operation::Div => "div",
    }
}

/// The operation a procedure name calls, if it is one of the five.
pub fn operation(name: &str) -> Option<Operation> {
    Operation::ALL
        .into_iter()
        .find(|op| method_name(*op) == name)
}

/// The label the exercise's console prints before each result
/// (`Somar: 25`, as the slide's `print('Somar: ', s.add(...))`).
pub fn label(op: Operation) -> &'static str {
    match op {
        Operation::Add => "Somar",
        Operation::Sub => "Subtrair",
        Operation::Mul => "Multiplicar",
        Operation::Pow => "Potência",
        Operation::Div => "Dividir",
    }
}

/// A [`Number`] that crosses JSON exactly.
///
/// A JSON number is decimal text of any length; it is the parsers that turn
/// it into a 64-bit double. This type writes the decimal digits as they are
/// (`0.3333333333333333333333333333`, `332525673007965087890625`) and reads
/// the text of the number, not a double made from it, so no digit is lost
/// either way. It also accepts a string holding a number (`"0.1"`), for
/// clients whose language has no exact decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct JsonNumber(pub Number);

impl From<Number> for JsonNumber {
    fn from(n: Number) -> Self {
        JsonNumber(n)
    }
}

impl From<i64> for JsonNumber {
    fn from(n: i64) -> Self {
        JsonNumber(Number::from(n))
    }
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Number` prints plain decimal notation (no exponent, no trailing
        // zeros), which is always a valid JSON number.
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JsonNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        parse_json_number(raw.get())
            .map(JsonNumber)
            .map_err(serde::de::Error::custom)
    }
}

/// The number in the JSON text `raw`: a number, or a string holding one.
fn parse_json_number(raw: &str) -> Result<Number, String> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        let text: String = serde_json::from_str(raw).map_err(|e| e.to_string())?;
        return text
            .parse()
            .map_err(|e: common::number::ParseNumberError| e.to_string());
    }
    if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return raw
            .parse()
            .map_err(|e: common::number::ParseNumberError| e.to_string());
    }
    let shown: String = raw.chars().take(40).collect();
    Err(format!("expected a number, found {shown}"))
}

/// One entry of a [`Calculation`]: a number, or the error that took its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome(pub Result<Number, ErrorObjectOwned>);

impl Outcome {
    /// The outcome of an operation computed on the server.
    pub fn of(result: Result<Number, CalcError>) -> Self {
        Outcome(result.map_err(|e| error_object(&e)))
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(n) => JsonNumber(*n).serialize(serializer),
            Err(e) => e.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        if text.starts_with('{') {
            let error: ErrorObjectOwned =
                serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            Ok(Outcome(Err(error)))
        } else {
            parse_json_number(text)
                .map(|n| Outcome(Ok(n)))
                .map_err(serde::de::Error::custom)
        }
    }
}

/// The five results of `calculate`, by procedure name:
/// `{"add": 25, "sub": 5, "mul": 150, "pow": 576650390625, "div": 1.5}`,
/// with `{"code": 1, "message": "division by zero"}` in place of a failed one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calculation {
    /// `a + b`
    pub add: Outcome,
    /// `a - b`
    pub sub: Outcome,
    /// `a × b`
    pub mul: Outcome,
    /// `a` to the power `b`
    pub pow: Outcome,
    /// `a ÷ b`
    pub div: Outcome,
}

impl Calculation {
    /// All five operations applied to `a` and `b`.
    pub fn compute(a: Number, b: Number) -> Self {
        let of = |op: Operation| Outcome::of(apply(op, a, b));
        Calculation {
            add: of(Operation::Add),
            sub: of(Operation::Sub),
            mul: of(Operation::Mul),
            pow: of(Operation::Pow),
            div: of(Operation::Div),
        }
    }

    /// The outcome of `op`.
    pub fn get(&self, op: Operation) -> &Outcome {
        match op {
            Operation::Add => &self.add,
            Operation::Sub => &self.sub,
            Operation::Mul => &self.mul,
            Operation::Pow => &self.pow,
            Operation::Div => &self.div,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().expect("a number")
    }

    #[test]
    fn numbers_are_written_with_every_digit() {
        let json = |s: &str| serde_json::to_string(&JsonNumber(n(s))).expect("serializes");
        assert_eq!(json("25"), "25");
        assert_eq!(json("1.5"), "1.5");
        assert_eq!(json("-0.25"), "-0.25");
        assert_eq!(json("332525673007965087890625"), "332525673007965087890625");
        assert_eq!(
            json("0.3333333333333333333333333333"),
            "0.3333333333333333333333333333"
        );
    }

    #[test]
    fn numbers_are_read_from_their_text_not_through_a_double() {
        let read = |s: &str| serde_json::from_str::<JsonNumber>(s).map(|j| j.0.to_string());
        // As an f64 this would be 12345678901234567000000.
        assert_eq!(
            read("12345678901234567890123").expect("reads"),
            "12345678901234567890123"
        );
        assert_eq!(read("0.1").expect("reads"), "0.1");
        assert_eq!(read("1e3").expect("reads"), "1000");
        assert_eq!(read("-2.5E-1").expect("reads"), "-0.25");
        assert_eq!(read("\"0.2\"").expect("reads"), "0.2");
    }

    #[test]
    fn what_is_not_a_number_is_refused_with_a_reason() {
        let err = |s: &str| {
            serde_json::from_str::<JsonNumber>(s)
                .expect_err("refused")
                .to_string()
        };
        assert!(err("true").contains("expected a number, found true"));
        assert!(err("null").contains("expected a number"));
        assert!(err("[1]").contains("expected a number"));
        assert!(err("\"abc\"").contains("\"abc\" is not a number"));
        assert!(err("\"NaN\"").contains("not a finite number"));
        assert!(err("1e999").contains("out of range"));
    }

    #[test]
    fn a_calculation_carries_errors_in_place_of_numbers() {
        let calc = Calculation::compute(n("15"), n("0"));
        let json = serde_json::to_string(&calc).expect("serializes");
        assert_eq!(
            json,
            r#"{"add":15,"sub":15,"mul":0,"pow":1,"div":{"code":1,"message":"division by zero"}}"#
        );
        let back: Calculation = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, calc);
    }

    #[test]
    fn the_exercise_numbers() {
        let calc = Calculation::compute(n("15"), n("10"));
        let results: Vec<String> = Operation::ALL
            .iter()
            .map(|op| match &calc.get(*op).0 {
                Ok(v) => format!("{}: {v}", label(*op)),
                Err(e) => format!("{}: error: {}", label(*op), e.message()),
            })
            .collect();
        assert_eq!(
            results,
            [
                "Somar: 25",
                "Subtrair: 5",
                "Multiplicar: 150",
                "Potência: 576650390625",
                "Dividir: 1.5"
            ]
        );
    }

    #[test]
    fn a_result_out_of_range_is_refused_on_the_side_it_falls() {
        let refused = |op: Operation, a: &str, b: &str| apply(op, n(a), n(b)).expect_err("refused");
        let too_small = CalcError::TooSmall;
        let too_large = CalcError::Arithmetic(ArithmeticError::Overflow);
        let inexact = CalcError::Arithmetic(ArithmeticError::Inexact);
        // The issue's two: common says "too large" for both.
        assert_eq!(refused(Operation::Pow, "10", "-30.5"), too_small);
        assert_eq!(refused(Operation::Pow, "2", "-100"), too_small);
        assert_eq!(refused(Operation::Pow, "0.5", "100"), too_small);
        assert_eq!(
            refused(Operation::Pow, "2", "-100000000000000000000"),
            too_small
        );
        assert_eq!(refused(Operation::Mul, "1e-20", "1e-20"), too_small);
        // Too large, whichever way it is reached (common says "needs more
        // than 28 digits" for the negative power of a fraction).
        assert_eq!(refused(Operation::Pow, "0.5", "-100"), too_large);
        assert_eq!(refused(Operation::Pow, "15", "40"), too_large);
        assert_eq!(refused(Operation::Pow, "10", "30.5"), too_large);
        assert_eq!(refused(Operation::Div, "1e27", "1e-27"), too_large);
        // In range, but with more decimal places than are held.
        assert_eq!(refused(Operation::Pow, "0.5", "50"), inexact);
        assert_eq!(refused(Operation::Pow, "10", "-19.5"), inexact);
        // The rest as common says them.
        assert_eq!(
            refused(Operation::Div, "1", "0"),
            CalcError::Arithmetic(ArithmeticError::DivisionByZero)
        );
        assert_eq!(
            refused(Operation::Pow, "-8", "0.5"),
            CalcError::Arithmetic(ArithmeticError::NotReal)
        );
        assert_eq!(
            too_small.to_string(),
            "the result is too small to represent (nearer to zero than 1e-28)"
        );
        assert_eq!(error_code(&too_small), code::INEXACT);
        assert_eq!(apply(Operation::Pow, n("10"), n("-28")), Ok(n("1e-28")));
    }

    #[test]
    fn extra_params_are_named_by_position_or_by_name() {
        let takes = "add takes 2 parameters (a, b)";
        assert_eq!(
            extra_params("add", "[1, 2, 3]"),
            Some(format!("{takes}, got 3; extra: position 3"))
        );
        assert_eq!(
            extra_params("add", " [1,2,null,{},[]] "),
            Some(format!("{takes}, got 5; extra: positions 3 to 5"))
        );
        assert_eq!(
            extra_params("add", r#"{"b": 2, "c": 3, "a": 1}"#),
            Some(format!("{takes}; extra: \"c\""))
        );
        assert_eq!(
            extra_params("add", r#"{"a":1,"b":2,"x\u001b[2J":0,"\n":0}"#),
            Some(format!(r#"{takes}; extra: "\n", "x\x1b[2J""#))
        );
        let many: Vec<String> = (0..8).map(|i| format!(r#""p{i}":{i}"#)).collect();
        assert_eq!(
            extra_params("add", &format!("{{{}}}", many.join(","))),
            Some(format!(
                r#"{takes}; extra: "p0", "p1", "p2", "p3", "p4", and 3 more"#
            ))
        );
        let long = "x".repeat(100);
        assert_eq!(
            extra_params("add", &format!(r#"{{"{long}":1}}"#)),
            Some(format!(
                r#"{takes}; extra: "{}… (100 bytes)""#,
                "x".repeat(40)
            ))
        );
    }

    #[test]
    fn what_is_not_too_many_params_is_left_to_the_procedure() {
        for params in [
            "[1, 2]",
            "[1]",
            "[]",
            r#"{"a": 1, "b": 2}"#,
            r#"{"a": 1}"#,
            "7",
            "\"x\"",
            "[1,",
        ] {
            assert_eq!(extra_params("add", params), None, "{params}");
        }
        assert_eq!(extra_params("sqrt", "[1, 2, 3]"), None);
    }

    #[test]
    fn names_and_operations_match() {
        for op in Operation::ALL {
            assert_eq!(operation(method_name(op)), Some(op));
        }
        assert_eq!(operation("calculate"), None);
        assert_eq!(operation("ADD"), None);
    }
}

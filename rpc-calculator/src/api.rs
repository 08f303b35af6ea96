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
//! through [`Number`]'s serde implementation (the workspace's one JSON number
//! reader and writer): most JSON libraries turn every number into a binary
//! double, which would make `576650390625 * 576650390625` or `0.1 + 0.2`
//! come back subtly wrong.

use common::escape::Escaped;
use common::number::{ArithmeticError, Number, Operation};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::de::DeserializeOwned;
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
    fn add(&self, a: Number, b: Number) -> RpcResult<Number>;

    /// `a - b` (`"sub"`).
    #[method(name = "sub", with_extensions)]
    fn sub(&self, a: Number, b: Number) -> RpcResult<Number>;

    /// `a × b` (`"mul"`).
    #[method(name = "mul", with_extensions)]
    fn mul(&self, a: Number, b: Number) -> RpcResult<Number>;

    /// `a` to the power `b` (`"pow"`).
    #[method(name = "pow", with_extensions)]
    fn pow(&self, a: Number, b: Number) -> RpcResult<Number>;

    /// `a ÷ b` (`"div"`): a decimal quotient, `15 / 10 = 1.5`.
    #[method(name = "div", with_extensions)]
    fn div(&self, a: Number, b: Number) -> RpcResult<Number>;

    /// All five at once (`"calculate"`): the exercise's "send back the
    /// computed values" in one round trip. One failed operation does not
    /// fail the others: its entry holds the error instead of a number.
    #[method(name = "calculate", with_extensions)]
    fn calculate(&self, a: Number, b: Number) -> RpcResult<Calculation>;
}

/// The same interface as a client reads it: results as [`Answer`]s, the
/// text the server wrote, since a result can go beyond the bounds
/// [`Number`]'s reader holds numbers to (see [`Answer`]).
/// `#[rpc(client)]` generates `CalculatorAnswersClient`, whose methods the
/// client calls.
#[rpc(client)]
pub trait CalculatorAnswers {
    /// `a + b` (`"add"`).
    #[method(name = "add")]
    fn add(&self, a: Number, b: Number) -> RpcResult<Answer>;

    /// `a - b` (`"sub"`).
    #[method(name = "sub")]
    fn sub(&self, a: Number, b: Number) -> RpcResult<Answer>;

    /// `a × b` (`"mul"`).
    #[method(name = "mul")]
    fn mul(&self, a: Number, b: Number) -> RpcResult<Answer>;

    /// `a` to the power `b` (`"pow"`).
    #[method(name = "pow")]
    fn pow(&self, a: Number, b: Number) -> RpcResult<Answer>;

    /// `a ÷ b` (`"div"`).
    #[method(name = "div")]
    fn div(&self, a: Number, b: Number) -> RpcResult<Answer>;

    /// All five at once (`"calculate"`).
    #[method(name = "calculate")]
    fn calculate(&self, a: Number, b: Number) -> RpcResult<Calculation<Answer>>;
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
/// any other code. Each kind of [`ArithmeticError`] has one; the message is
/// common's own sentence.
pub mod code {
    /// `a / 0`, or 0 to a negative power.
    pub const DIVISION_BY_ZERO: i32 = 1;
    /// A power beyond the bounds (an exact power at or above 1e+10001, a
    /// fractional one beyond the largest double).
    pub const TOO_LARGE: i32 = 2;
    /// A power below the bounds (an exact power below 1e-10000, a
    /// fractional one below the smallest normal double).
    pub const TOO_SMALL: i32 = 3;
    /// A negative number to a fractional power: not a real number.
    pub const NOT_REAL: i32 = 4;
    /// An exact power that would need more than 3,000 digits.
    pub const TOO_LONG: i32 = 5;
    /// An operand of a fractional power that no double holds (a fractional
    /// power is computed in binary floating point).
    pub const BEYOND_DOUBLES: i32 = 6;
    /// XML-RPC only: a result that none of XML-RPC's numbers (32- and
    /// 64-bit integers, doubles) carries; JSON-RPC carries it exactly.
    pub const NOT_IN_XML_RPC: i32 = 7;
}

/// The error code of a failed operation.
pub fn error_code(error: &ArithmeticError) -> i32 {
    match error {
        ArithmeticError::DivisionByZero => code::DIVISION_BY_ZERO,
        ArithmeticError::PowerTooLarge | ArithmeticError::FloatTooLarge => code::TOO_LARGE,
        ArithmeticError::PowerTooSmall | ArithmeticError::FloatTooSmall => code::TOO_SMALL,
        ArithmeticError::NotReal => code::NOT_REAL,
        ArithmeticError::PowerTooLong => code::TOO_LONG,
        ArithmeticError::FloatOperand(_) => code::BEYOND_DOUBLES,
    }
}

/// The JSON-RPC error object of a failed operation.
pub fn error_object(error: &ArithmeticError) -> ErrorObjectOwned {
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

/// The operation a procedure name calls, if it is one of the five.
pub fn operation(name: &str) -> Option<Operation> {
    Operation::ALL.into_iter().find(|op| op.name() == name)
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

/// A result as a server wrote it: the text of a JSON number, every digit.
///
/// A client shows results; it does not compute with them. Nor could it read
/// them all back as [`Number`]s: `Number`'s reader holds every number to the
/// bounds on inputs (100 significant digits, 1e±999), and results go beyond
/// them (a product of two 100-digit numbers has 200 digits, `pow(2, -9965)`
/// about 7,000, `mul(1e999, 1e999)` is `1e+1998`). So the client keeps the
/// text, once JSON has said it is a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer(String);

impl Answer {
    /// The number's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&Number> for Answer {
    fn from(n: &Number) -> Self {
        Answer(n.to_string())
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        // serde_json has checked that this is one well-formed JSON value;
        // its first character says which kind.
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(Answer(text.to_owned()))
        } else {
            Err(serde::de::Error::custom(format!(
                "expected a number, got {}",
                Escaped::new(text, 60)
            )))
        }
    }
}

/// One entry of a [`Calculation`]: a result (a [`Number`] on the server, an
/// [`Answer`] in a client), or the error that took its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T = Number>(pub Result<T, ErrorObjectOwned>);

impl Outcome {
    /// The outcome of an operation computed on the server.
    pub fn of(result: Result<Number, ArithmeticError>) -> Self {
        Outcome(result.map_err(|e| error_object(&e)))
    }
}

impl<T: Serialize> Serialize for Outcome<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(n) => n.serialize(serializer),
            Err(e) => e.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Outcome<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        if text.starts_with('{') {
            let error: ErrorObjectOwned =
                serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            Ok(Outcome(Err(error)))
        } else {
            serde_json::from_str(text)
                .map(|n| Outcome(Ok(n)))
                .map_err(serde::de::Error::custom)
        }
    }
}

/// The five results of `calculate`, by procedure name:
/// `{"add": 25, "sub": 5, "mul": 150, "pow": 576650390625, "div": 1.5}`,
/// with `{"code": 1, "message": "division by zero"}` in place of a failed one.
/// [`Number`]s on the server, [`Answer`]s in a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Calculation<T = Number> {
    /// `a + b`
    pub add: Outcome<T>,
    /// `a - b`
    pub sub: Outcome<T>,
    /// `a × b`
    pub mul: Outcome<T>,
    /// `a` to the power `b`
    pub pow: Outcome<T>,
    /// `a ÷ b`
    pub div: Outcome<T>,
}

impl Calculation {
    /// All five operations applied to `a` and `b`.
    pub fn compute(a: &Number, b: &Number) -> Self {
        let of = |op: Operation| Outcome::of(op.apply(a, b));
        Calculation {
            add: of(Operation::Add),
            sub: of(Operation::Sub),
            mul: of(Operation::Mul),
            pow: of(Operation::Pow),
            div: of(Operation::Div),
        }
    }
}

impl<T> Calculation<T> {
    /// The outcome of `op`.
    pub fn get(&self, op: Operation) -> &Outcome<T> {
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
    fn a_calculation_carries_errors_in_place_of_numbers() {
        let calc = Calculation::compute(&n("15"), &n("0"));
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
        let calc = Calculation::compute(&n("15"), &n("10"));
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
    fn a_calculation_reads_back_what_it_wrote_every_digit_included() {
        // Through Number's serde: a result no double holds comes back whole.
        let calc = Calculation::compute(&n("1e28"), &n("0.1"));
        let json = serde_json::to_string(&calc).expect("serializes");
        assert!(
            json.starts_with(r#"{"add":10000000000000000000000000000.1,"#),
            "{json}"
        );
        let back: Calculation = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, calc);
    }

    #[test]
    fn a_client_reads_results_beyond_the_input_bounds_as_they_were_written() {
        let read = |s: &str| serde_json::from_str::<Answer>(s).map(|a| a.to_string());
        let long = format!("1{}1", "0".repeat(307));
        assert_eq!(read(&long).expect("reads"), long);
        assert_eq!(read("1e+1998").expect("reads"), "1e+1998");
        assert_eq!(read("-0.5").expect("reads"), "-0.5");
        let refused = read(r#""1""#).expect_err("a string is not a number");
        assert!(
            refused
                .to_string()
                .contains(r#"expected a number, got "1""#),
            "{refused}"
        );
        assert!(read("true").is_err());
        // calculate's results too, with an error in place.
        let calc = Calculation::compute(&n("1e999"), &n("1e999"));
        let json = serde_json::to_string(&calc).expect("serializes");
        let back: Calculation<Answer> = serde_json::from_str(&json).expect("reads");
        assert_eq!(back.mul.0.as_ref().map(Answer::as_str), Ok("1e+1998"));
        assert_eq!(
            back.pow.0.as_ref().map_err(|e| e.code()),
            Err(code::TOO_LARGE)
        );
    }

    #[test]
    fn each_kind_of_refusal_has_its_code_and_commons_sentence() {
        let refused = |op: Operation, a: &str, b: &str| {
            let e = op.apply(&n(a), &n(b)).expect_err("refused");
            (error_code(&e), e.to_string())
        };
        assert_eq!(
            refused(Operation::Div, "1", "0"),
            (code::DIVISION_BY_ZERO, "division by zero".to_owned())
        );
        assert_eq!(
            refused(Operation::Pow, "10", "10001"),
            (
                code::TOO_LARGE,
                "the result is too large: an exact power must be below 1e+10001".to_owned()
            )
        );
        assert_eq!(
            refused(Operation::Pow, "10", "-10001"),
            (
                code::TOO_SMALL,
                "the result is too small: an exact power must be at least 1e-10000".to_owned()
            )
        );
        assert_eq!(refused(Operation::Pow, "10", "400.5").0, code::TOO_LARGE);
        assert_eq!(refused(Operation::Pow, "10", "-400.5").0, code::TOO_SMALL);
        assert_eq!(
            refused(Operation::Pow, "-8", "0.5"),
            (code::NOT_REAL, "the result is not a real number".to_owned())
        );
        assert_eq!(refused(Operation::Pow, "3", "7000").0, code::TOO_LONG);
        assert_eq!(
            refused(Operation::Pow, "1e500", "0.5").0,
            code::BEYOND_DOUBLES
        );
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
            assert_eq!(operation(op.name()), Some(op));
        }
        assert_eq!(operation("calculate"), None);
        assert_eq!(operation("ADD"), None);
    }
}

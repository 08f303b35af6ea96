//! Python's `decimal` module as the reference for the calculators' answers.
//!
//! The three calculators promise exact sums, differences and products,
//! quotients exact when they end and otherwise correctly rounded to 34
//! digits, exact whole-number powers and double-precision fractional ones
//! (see [`crate::number`]). A property test checks that promise against an
//! implementation written independently, in the course's language: Python's
//! `decimal` (IBM's General Decimal Arithmetic, libmpdec), at a precision of
//! 10,000 digits, enough to hold every exact answer within the bounds, so the
//! reference never rounds where the calculators must not. Quotients that do
//! not end are then rounded by `decimal` itself, in a 34-digit context, half
//! to even.
//!
//! [`Reference`] keeps one `python3` running and asks it one calculation per
//! line; [`number_text`] generates the inputs (up to 60 significant digits,
//! exponents within ±400, in every notation people type).

use crate::number::{ArithmeticError, Number, Operation};
use crate::testing::{Program, spawn_python};
use proptest::prelude::*;

/// The reference, in Python. One request per line, `OP A B`; one answer per
/// line, `ok TEXT` (the number written as `Number` writes it) or `error KIND`.
const SCRIPT: &str = r#"
import math, sys
from decimal import Decimal, Context, ROUND_HALF_EVEN, Inexact

BIG = Context(prec=10000, Emax=10**6, Emin=-10**6)
QUOTIENT = Context(prec=34, rounding=ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)
MAX_POWER_EXPONENT, MAX_POWER_DIGITS = 10000, 3000

class Refused(Exception):
    pass

def show(d):
    # The crate's notation: every digit; plain unless that takes more than 20
    # zeros after an integer's digits or 5 between the point and a fraction's.
    if d == 0:
        return "0"
    sign, digits, exp = d.normalize(BIG).as_tuple()
    text = "".join(map(str, digits))
    k = len(text)
    n = k + exp
    s = "-" if sign else ""
    if k <= n and n - k <= 20:
        return s + text + "0" * (n - k)
    if 0 < n < k:
        return s + text[:n] + "." + text[n:]
    if -6 < n <= 0:
        return s + "0." + "0" * (-n) + text
    e = n - 1
    point = "." + text[1:] if k > 1 else ""
    return s + text[0] + point + "e" + ("+" if e >= 0 else "-") + str(abs(e))

def div(a, b):
    if b == 0:
        raise Refused("division-by-zero")
    BIG.clear_flags()
    q = BIG.divide(a, b)
    if BIG.flags[Inexact]:
        q = QUOTIENT.divide(a, b)
    return q

def power(a, b):
    if b != b.to_integral_value():
        if a == 0:
            if b < 0:
                raise Refused("division-by-zero")
            return Decimal(0)
        if a < 0:
            raise Refused("not-real")
        x, y = float(a), float(b)
        if math.isinf(x) or x < sys.float_info.min:
            raise Refused("float-operand")
        try:
            r = x ** y
        except OverflowError:
            raise Refused("float-too-large")
        if r < sys.float_info.min:
            raise Refused("float-too-small")
        return Decimal(repr(r))
    e = int(b)
    if a == 0:
        if e < 0:
            raise Refused("division-by-zero")
        return Decimal(1) if e == 0 else Decimal(0)
    if abs(a) == 1:
        return Decimal(-1) if a < 0 and e % 2 else Decimal(1)
    sign, digits, exp = a.normalize(BIG).as_tuple()
    m = int("".join(map(str, digits)))
    # Estimates first, with the same clear margin as the crate, then the
    # exact bounds: either way a power beyond a bound is refused.
    # As the crate does, in doubles: an exponent beyond them is infinite.
    ef = float(e) if abs(e) < 10**300 else (math.inf if e > 0 else -math.inf)
    magnitude = ef * (math.log10(m) + exp)
    if magnitude > MAX_POWER_EXPONENT + 3 or magnitude < -MAX_POWER_EXPONENT - 2:
        raise Refused("power-bound")
    if abs(ef) * math.log10(m) > MAX_POWER_DIGITS + 2:
        raise Refused("power-bound")
    p = m ** abs(e)
    if len(str(p)) > MAX_POWER_DIGITS:
        raise Refused("power-bound")
    r = Decimal((1 if sign and e % 2 else 0, tuple(map(int, str(p))), exp * abs(e)))
    if e < 0:
        r = div(Decimal(1), r)
    if not -MAX_POWER_EXPONENT <= r.adjusted() <= MAX_POWER_EXPONENT:
        raise Refused("power-bound")
    return r

OPS = {
    "add": lambda a, b: BIG.add(a, b),
    "sub": lambda a, b: BIG.subtract(a, b),
    "mul": lambda a, b: BIG.multiply(a, b),
    "div": div,
    "pow": power,
}

for line in sys.stdin:
    op, a, b = line.split()
    try:
        print("ok", show(OPS[op](Decimal(a), Decimal(b))), flush=True)
    except Refused as why:
        print("error", why, flush=True)
"#;

/// What the reference says of one calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The answer, written as [`Number`] writes it.
    Value(String),
    /// Refused for this reason.
    Refused(Refusal),
}

/// Why the reference refuses a calculation: the kinds of
/// [`ArithmeticError`], with the three bounds of a whole-number power as one
/// (which of them a power crosses first is the crate's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// [`ArithmeticError::DivisionByZero`]
    DivisionByZero,
    /// [`ArithmeticError::NotReal`]
    NotReal,
    /// [`ArithmeticError::PowerTooLarge`], `PowerTooSmall` or `PowerTooLong`.
    PowerBound,
    /// [`ArithmeticError::FloatTooLarge`]
    FloatTooLarge,
    /// [`ArithmeticError::FloatTooSmall`]
    FloatTooSmall,
    /// [`ArithmeticError::FloatOperand`]
    FloatOperand,
}

impl Refusal {
    /// The kind of `error`.
    pub fn of(error: &ArithmeticError) -> Refusal {
        match error {
            ArithmeticError::DivisionByZero => Refusal::DivisionByZero,
            ArithmeticError::NotReal => Refusal::NotReal,
            ArithmeticError::PowerTooLarge
            | ArithmeticError::PowerTooSmall
            | ArithmeticError::PowerTooLong => Refusal::PowerBound,
            ArithmeticError::FloatTooLarge => Refusal::FloatTooLarge,
            ArithmeticError::FloatTooSmall => Refusal::FloatTooSmall,
            ArithmeticError::FloatOperand(_) => Refusal::FloatOperand,
        }
    }

    /// True if a calculator's error message `message` is one this refusal
    /// allows: the message of an [`ArithmeticError`] of this kind.
    /// (`FloatOperand` names the operand, so only its wording is compared.)
    pub fn allows(self, message: &str) -> bool {
        let messages: Vec<String> = match self {
            Refusal::DivisionByZero => vec![ArithmeticError::DivisionByZero.to_string()],
            Refusal::NotReal => vec![ArithmeticError::NotReal.to_string()],
            Refusal::PowerBound => vec![
                ArithmeticError::PowerTooLarge.to_string(),
                ArithmeticError::PowerTooSmall.to_string(),
                ArithmeticError::PowerTooLong.to_string(),
            ],
            Refusal::FloatTooLarge => vec![ArithmeticError::FloatTooLarge.to_string()],
            Refusal::FloatTooSmall => vec![ArithmeticError::FloatTooSmall.to_string()],
            Refusal::FloatOperand => {
                let wording = ArithmeticError::FloatOperand(String::new()).to_string();
                return message.ends_with(wording.trim_start());
            }
        };
        messages.iter().any(|m| message.contains(m.as_str()))
    }
}

/// Python's `decimal`, running.
pub struct Reference {
    python: Program,
}

impl Reference {
    /// Start `python3` with the reference script (Python 3 is part of the
    /// plain test tier: a missing interpreter fails with a clear message).
    #[track_caller]
    pub fn start() -> Reference {
        Reference {
            python: spawn_python(SCRIPT, &[]),
        }
    }

    /// What `op(a, b)` is, according to Python's `decimal`. `a` and `b` are
    /// any text [`Number`] accepts.
    #[track_caller]
    pub fn expect(&mut self, op: Operation, a: &str, b: &str) -> Expected {
        // Python's Decimal reads scientific notation but not `.5`, `5.` or
        // `+5` the same way everywhere: hand it the crate's canonical text.
        let canonical = |s: &str| {
            s.parse::<Number>()
                .unwrap_or_else(|e| panic!("the reference was given {s:?}: {e}"))
                .to_string()
        };
        self.python
            .write_line(&format!("{} {} {}", op.name(), canonical(a), canonical(b)));
        let line = self.python.next_line();
        match line.split_once(' ') {
            Some(("ok", text)) => Expected::Value(text.to_owned()),
            Some(("error", kind)) => Expected::Refused(match kind {
                "division-by-zero" => Refusal::DivisionByZero,
                "not-real" => Refusal::NotReal,
                "power-bound" => Refusal::PowerBound,
                "float-too-large" => Refusal::FloatTooLarge,
                "float-too-small" => Refusal::FloatTooSmall,
                "float-operand" => Refusal::FloatOperand,
                other => panic!("the reference answered an unknown refusal {other:?}"),
            }),
            _ => panic!("the reference answered {line:?}"),
        }
    }

    /// True if `answer` (a calculator's result or error message for
    /// `op(a, b)`) is what the reference expects; otherwise a description
    /// of the difference, for the test's failure message.
    #[track_caller]
    pub fn check(
        &mut self,
        op: Operation,
        a: &str,
        b: &str,
        answer: Result<&str, &str>,
    ) -> Result<(), String> {
        let expected = self.expect(op, a, b);
        let fine = match (&expected, answer) {
            (Expected::Value(want), Ok(got)) => want == got,
            (Expected::Refused(why), Err(message)) => why.allows(message),
            _ => false,
        };
        if fine {
            Ok(())
        } else {
            Err(format!(
                "{} {a} {b}: Python's decimal says {expected:?}, the calculator answered {answer:?}",
                op.name()
            ))
        }
    }
}

/// Decimal numbers as people type them: up to 60 significant digits, an
/// exponent within ±400, a sign or not, a point anywhere, scientific
/// notation or plain (plain only while it stays under a few hundred
/// characters).
pub fn number_text() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::string::string_regex("[1-9][0-9]{0,59}").expect("a valid pattern"),
        -400i64..=400,
        any::<bool>(),
    )
        .prop_map(|(negative, digits, exponent, scientific)| {
            let sign = if negative { "-" } else { "" };
            // value = digits × 10^exponent
            if scientific || exponent.abs() > 120 {
                format!("{sign}{digits}e{exponent}")
            } else if exponent >= 0 {
                format!("{sign}{digits}{}", "0".repeat(exponent as usize))
            } else {
                let point = (-exponent) as usize;
                if point < digits.len() {
                    let (int, frac) = digits.split_at(digits.len() - point);
                    format!("{sign}{int}.{frac}")
                } else {
                    format!("{sign}0.{}{digits}", "0".repeat(point - digits.len()))
                }
            }
        })
}

/// Exponents for a power: small whole numbers (so that many results are
/// computed, not refused) and short fractions, of either sign.
pub fn exponent_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (-60i64..=60).prop_map(|e| e.to_string()),
        (-400i64..=400, 1u32..=99).prop_map(|(i, f)| format!("{i}.{f:02}")),
        number_text(),
    ]
}

/// Bases for a power: short numbers of moderate size, and any number.
pub fn base_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<bool>(), 1u64..=99_999, -8i64..=8)
            .prop_map(|(neg, m, e)| format!("{}{m}e{e}", if neg { "-" } else { "" })),
        number_text(),
    ]
}

//! Numbers as people type them, and arithmetic people can trust.
//!
//! Three exercises compute with numbers that arrive as text from the network
//! (the WebSocket adder, the RPC calculator, the REST calculator). Binary
//! floating point would answer `0.1 + 0.2` with `0.30000000000000004`, turn
//! `1e309` into infinity and `15 ** 40` into a rounded guess; a fixed-size
//! decimal (28 digits, say) silently drops the `0.1` of `1e28 + 0.1`. A
//! [`Number`] is an arbitrary-precision decimal instead (an integer of any
//! length and a power of ten, from the `bigdecimal` crate), with these rules:
//!
//! * **Inputs** have at most [`MAX_DIGITS`] (100) significant digits and are
//!   0 or between `1e-999` and `1e+1000` in magnitude ([`MAX_EXPONENT`]).
//!   `1e308`, the largest number Python's floats hold, is well inside.
//!   `NaN`, infinities, empty text and anything beyond the bounds are refused
//!   with a sentence that says which bound.
//! * **Sums, differences and products are exact**, always: `1e28 + 0.1` is
//!   `10000000000000000000000000000.1`, `1e400 + 1e-400` has all of its
//!   801 digits. The bounds on inputs keep every such result under a few
//!   kilobytes and microseconds.
//! * **A quotient is exact when it ends** (`1 / 8 = 0.125`, however many
//!   digits that takes) and otherwise **correctly rounded to
//!   [`QUOTIENT_DIGITS`] (34) significant digits**, half to even, the
//!   precision of IEEE 754 decimal128: `1 / 3 = 0.3333333333333333333333333333333333`.
//!   Nothing is ever rounded to zero: `1e-999 / 1e999` is `1e-1998`.
//! * **A whole-number power is exact** (`15 ** 40` has its 48 digits;
//!   `2 ** -2 = 0.25`; a negative exponent divides, so `3 ** -1` is rounded
//!   like `1 / 3`). It is refused, saying so, when its exact value would be
//!   beyond `1e±10000` ([`MAX_POWER_EXPONENT`]) or hold more than
//!   [`MAX_POWER_DIGITS`] (3,000) digits.
//! * **A fractional power has no exact decimal answer** in general: both
//!   numbers are rounded to the nearest binary double and the power is
//!   computed in double precision (about 16 significant digits, like
//!   Python's `float ** float`), then written with the fewest digits that
//!   read back as that double (`2 ** 0.5 = 1.4142135623730951`). A result or
//!   operand outside the doubles' normal range (about `2.2e-308` to
//!   `1.8e+308`) is refused.
//!
//! Numbers are written with every digit, in plain notation unless that
//! would take more than 20 zeros after an integer's digits or more than 5
//! between the point and a fraction's: then in scientific notation as
//! JavaScript writes it (`1e+28`, `1.5e-40`). That text is also a valid JSON number, and [`Number`]'s serde
//! implementation reads and writes JSON numbers exactly, through
//! `serde_json`'s raw values: the one JSON number reader and writer of the
//! three calculators.

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The most significant digits an input may have.
pub const MAX_DIGITS: usize = 100;

/// Inputs are 0 or have a magnitude from `10^-MAX_EXPONENT` up to, not
/// including, `10^(MAX_EXPONENT + 1)`.
pub const MAX_EXPONENT: i64 = 999;

/// The significant digits of a quotient that does not end.
pub const QUOTIENT_DIGITS: u64 = 34;

/// A whole-number power's exact value must lie between `10^-MAX_POWER_EXPONENT`
/// and `10^(MAX_POWER_EXPONENT + 1)`.
pub const MAX_POWER_EXPONENT: i64 = 10_000;

/// The most digits a whole-number power (before the division a negative
/// exponent implies) may have.
pub const MAX_POWER_DIGITS: u64 = 3_000;

/// How many characters of a refused text an error message quotes.
const QUOTED: usize = 60;

/// A decimal number, exact for everything people type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Number(BigDecimal);

/// Why a text is not a [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNumberError {
    /// Nothing was given.
    #[error("no number was given")]
    Empty,
    /// `NaN` or an infinity: not numbers one can compute with.
    #[error("{0} is not a finite number")]
    NotFinite(String),
    /// Not a decimal number at all.
    #[error("{0} is not a number")]
    Invalid(String),
    /// More significant digits than an input may have.
    #[error("{0} has more than 100 significant digits, the most a number may have")]
    TooManyDigits(String),
    /// Too large or too small in magnitude.
    #[error("{0} is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude")]
    OutOfRange(String),
    /// A result with more digits than any calculator's answer has.
    #[error("{0} has more than 10000 significant digits, more than any answer may have")]
    ResultTooLong(String),
    /// A result beyond the magnitudes any calculator's answer has.
    #[error("{0} is out of range: an answer is 0 or between 1e-10000 and 1e+10001 in magnitude")]
    ResultOutOfRange(String),
}

/// Why an operation has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArithmeticError {
    /// Division (or a negative power) of zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A negative number to a fractional power.
    #[error("the result is not a real number")]
    NotReal,
    /// A whole-number power beyond `10^(MAX_POWER_EXPONENT + 1)`.
    #[error("the result is too large: an exact power must be below 1e+10001")]
    PowerTooLarge,
    /// A whole-number power below `10^-MAX_POWER_EXPONENT`.
    #[error("the result is too small: an exact power must be at least 1e-10000")]
    PowerTooSmall,
    /// A whole-number power with more than `MAX_POWER_DIGITS` digits.
    #[error("the exact result would need more than 3000 digits, the most a power may have")]
    PowerTooLong,
    /// A fractional power beyond the largest double.
    #[error(
        "the result is too large: a fractional power is computed in binary floating point, whose largest number is about 1.8e+308"
    )]
    FloatTooLarge,
    /// A fractional power below the smallest normal double.
    #[error(
        "the result is too small: a fractional power is computed in binary floating point, whose smallest normal number is about 2.2e-308"
    )]
    FloatTooSmall,
    /// An operand of a fractional power that no double holds.
    #[error(
        "{0} is beyond binary floating point (about 2.2e-308 to 1.8e+308), in which a fractional power is computed"
    )]
    FloatOperand(String),
}

/// `text` quoted for an error message: escaped, cut when long, and a quote
/// inside it escaped too, so the quotes show where it begins and ends.
fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        crate::escape::escape(text, QUOTED).replace('"', "\\\"")
    )
}

impl Number {
    fn new(d: BigDecimal) -> Self {
        // One representation per value: 1.50 and 1.5 are the same number
        // (trailing zeros of the integer stripped, the scale adjusted), and
        // zero has no sign.
        if d.is_zero() {
            Number(BigDecimal::zero())
        } else {
            Number(d.normalized())
        }
    }

    /// Zero.
    pub fn zero() -> Self {
        Number(BigDecimal::zero())
    }

    /// The number a double holds, written with the fewest digits that read
    /// back as it: `0.1_f64` is 0.1, not 0.1000000000000000055511151231257827.
    /// `NaN` and infinities are refused.
    pub fn from_f64(value: f64) -> Result<Self, ParseNumberError> {
        if !value.is_finite() {
            return Err(ParseNumberError::NotFinite(value.to_string()));
        }
        // `{:?}` prints the shortest text that reads back as the same f64
        // (with an exponent for very large or small values); every finite
        // double is inside the input bounds.
        let shortest = format!("{value:?}");
        nearest_of_length(value, &shortest)
            .unwrap_or(shortest)
            .parse()
    }

    /// The nearest `f64` (for protocols whose numbers are doubles):
    /// infinite beyond the doubles' range, 0 below it.
    pub fn to_f64(&self) -> f64 {
        // Through the decimal text: Rust's float parsing rounds correctly
        // whatever the number of digits.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as an `i64`, if it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }

    /// True for whole numbers.
    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// True below zero.
    pub fn is_negative(&self) -> bool {
        self.0.is_negative()
    }

    /// `self + other`, exact. Never fails: the `Result` keeps the
    /// operations interchangeable (see [`Operation::apply`]).
    pub fn checked_add(&self, other: &Number) -> Result<Number, ArithmeticError> {
        Ok(Number::new(&self.0 + &other.0))
    }

    /// `self - other`, exact. Never fails.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, ArithmeticError> {
        Ok(Number::new(&self.0 - &other.0))
    }

    /// `self × other`, exact. Never fails.
    pub fn checked_mul(&self, other: &Number) -> Result<Number, ArithmeticError> {
        Ok(Number::new(&self.0 * &other.0))
    }

    /// `self ÷ other`: exact when the quotient ends (15 / 10 = 1.5),
    /// otherwise correctly rounded to [`QUOTIENT_DIGITS`] significant digits,
    /// half to even (1 / 3).
    pub fn checked_div(&self, other: &Number) -> Result<Number, ArithmeticError> {
        if other.is_zero() {
            return Err(ArithmeticError::DivisionByZero);
        }
        let (a, a_scale) = self.0.as_bigint_and_exponent();
        let (b, b_scale) = other.0.as_bigint_and_exponent();
        // self / other = (a / b) × 10^(b_scale - a_scale).
        let (digits, scale) = divide(&a, &b);
        Ok(Number::new(BigDecimal::new(
            digits,
            scale + a_scale - b_scale,
        )))
    }

    /// `self` raised to `exponent`; see the module documentation for when
    /// it is exact and what it refuses.
    pub fn checked_pow(&self, exponent: &Number) -> Result<Number, ArithmeticError> {
        if !exponent.is_integer() {
            return self.float_pow(exponent);
        }
        if self.is_zero() {
            return if exponent.is_negative() {
                Err(ArithmeticError::DivisionByZero)
            } else if exponent.is_zero() {
                Ok(Number::from(1i64))
            } else {
                Ok(Number::zero())
            };
        }
        let (mantissa, scale) = self.0.as_bigint_and_exponent();
        if mantissa.magnitude().is_one() && scale == 0 {
            // 1 and -1 to any power, even one far too large to compute with.
            let odd = exponent_is_odd(exponent);
            return Ok(Number::from(if self.is_negative() && odd {
                -1i64
            } else {
                1
            }));
        }
        // Refuse before computing: an estimate first (a clear margin keeps
        // it from refusing anything the exact check below would accept),
        // then the exact bounds on what was computed.
        let e = exponent.to_f64();
        let magnitude = e * log10_abs(&mantissa, scale);
        let margin = 2.0;
        if magnitude > (MAX_POWER_EXPONENT + 1) as f64 + margin {
            return Err(ArithmeticError::PowerTooLarge);
        }
        if magnitude < -(MAX_POWER_EXPONENT as f64) - margin {
            return Err(ArithmeticError::PowerTooSmall);
        }
        let length = e.abs() * log10_abs(&mantissa, 0);
        if length > MAX_POWER_DIGITS as f64 + margin {
            return Err(ArithmeticError::PowerTooLong);
        }
        // Both estimates bound |e|: a base other than ±1 and 0 has
        // |log10| ≥ 1 (a power of ten) or a mantissa of at least 2 digits'
        // worth (log10 ≥ 0.3), so |e| < 34,000 here.
        let n = exponent
            .0
            .abs()
            .to_u32()
            .ok_or(ArithmeticError::PowerTooLong)?;
        let digits = mantissa.pow(n);
        if digits.magnitude().to_string().len() as u64 > MAX_POWER_DIGITS {
            return Err(ArithmeticError::PowerTooLong);
        }
        let power = Number::new(BigDecimal::new(digits, scale * i64::from(n)));
        let result = if exponent.is_negative() {
            Number::from(1i64).checked_div(&power)?
        } else {
            power
        };
        let order = result.0.order_of_magnitude();
        if order > MAX_POWER_EXPONENT {
            Err(ArithmeticError::PowerTooLarge)
        } else if order < -MAX_POWER_EXPONENT {
            Err(ArithmeticError::PowerTooSmall)
        } else {
            Ok(result)
        }
    }

    /// A fractional power, in binary floating point.
    fn float_pow(&self, exponent: &Number) -> Result<Number, ArithmeticError> {
        if self.is_zero() {
            return if exponent.is_negative() {
                Err(ArithmeticError::DivisionByZero)
            } else {
                Ok(Number::zero())
            };
        }
        if self.is_negative() {
            return Err(ArithmeticError::NotReal);
        }
        // A fractional exponent has |e| < 1e100 (100 digits at most), so it
        // never overflows a double; only the base can.
        let (base, e) = (self.to_f64(), exponent.to_f64());
        if !base.is_normal() {
            return Err(ArithmeticError::FloatOperand(quoted(&self.to_string())));
        }
        let result = base.powf(e);
        if result.is_infinite() {
            Err(ArithmeticError::FloatTooLarge)
        } else if result.is_nan() {
            Err(ArithmeticError::NotReal)
        } else if !result.is_normal() {
            Err(ArithmeticError::FloatTooSmall)
        } else {
            Number::from_f64(result).map_err(|_| ArithmeticError::FloatTooLarge)
        }
    }
}

/// True when the whole number `n` is odd.
fn exponent_is_odd(n: &Number) -> bool {
    let (digits, scale) = n.0.as_bigint_and_exponent();
    // Normalized: a negative scale means trailing zeros, so even.
    scale == 0 && digits.magnitude().bit(0)
}

/// The decimal of as many significant digits as `shortest` (the shortest
/// text that reads back as `value`) that is nearest to `value`'s exact
/// binary value, half to even. When two texts of that length read back as
/// `value` and are equally near it, Rust's formatting and Python's `repr`
/// may choose differently: 1668754529467071.25 is `1668754529467071.3` to
/// Rust and `1668754529467071.2` to Python. This is Python's choice, so a
/// fractional power is written as Python writes it. `None` if it would not
/// read back as `value` (which the rounding rules out; checked anyway).
fn nearest_of_length(value: f64, shortest: &str) -> Option<String> {
    let mantissa = shortest
        .trim_start_matches('-')
        .split(['e', 'E'])
        .next()
        .unwrap_or_default();
    let digits = mantissa
        .replace('.', "")
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len();
    let precision = std::num::NonZeroU64::new(u64::try_from(digits).ok()?)?;
    let exact = BigDecimal::try_from(value).ok()?;
    let (int, scale) = exact
        .with_precision_round(precision, bigdecimal::RoundingMode::HalfEven)
        .into_bigint_and_exponent();
    let text = format!("{int}e{}", -scale);
    (text.parse::<f64>().ok() == Some(value)).then_some(text)
}

/// log10(|digits × 10^-scale|), to about 15 digits: enough to estimate.
fn log10_abs(digits: &BigInt, scale: i64) -> f64 {
    let text = digits.magnitude().to_string();
    let lead = text.len().min(17);
    let leading: f64 = text[..lead].parse().unwrap_or(1.0);
    leading.log10() + (text.len() - lead) as f64 - scale as f64
}

/// `a / b` as `(digits, scale)`, `digits × 10^-scale`: exact when the
/// quotient ends, otherwise rounded to `QUOTIENT_DIGITS` digits, half even.
fn divide(a: &BigInt, b: &BigInt) -> (BigInt, i64) {
    let negative = a.is_negative() != b.is_negative();
    let (a, b) = (a.magnitude().clone(), b.magnitude().clone());
    let g = a.gcd(&b);
    let (n, d) = (a / &g, b / &g);
    // n / d ends exactly when d has no prime factors but 2 and 5.
    let (mut rest, mut twos, mut fives) = (d.clone(), 0u32, 0u32);
    let (two, five) = (BigUint::from(2u32), BigUint::from(5u32));
    while (&rest % &two).is_zero() {
        rest /= &two;
        twos += 1;
    }
    while (&rest % &five).is_zero() {
        rest /= &five;
        fives += 1;
    }
    let signed = |m| BigInt::from_biguint(if negative { Sign::Minus } else { Sign::Plus }, m);
    if rest.is_one() {
        // n / (2^t 5^f) = n × 2^(k-t) × 5^(k-f) / 10^k with k = max(t, f).
        let k = twos.max(fives);
        let digits = n * two.pow(k - twos) * five.pow(k - fives);
        return (signed(digits), i64::from(k));
    }
    // n × 10^s / d has QUOTIENT_DIGITS digits (or one more, fixed below).
    let length = |x: &BigUint| x.to_string().len() as i64;
    let mut s = QUOTIENT_DIGITS as i64 - (length(&n) - length(&d));
    let ten = BigUint::from(10u32);
    let limit = ten.pow(QUOTIENT_DIGITS as u32);
    loop {
        let (num, den) = if s >= 0 {
            (&n * ten.pow(s as u32), d.clone())
        } else {
            (n.clone(), &d * ten.pow((-s) as u32))
        };
        let (q, r) = num.div_rem(&den);
        if q >= limit {
            s -= 1;
            continue;
        }
        // The quotient never ends, so it is never exactly half way.
        let twice = r * 2u32;
        let q = if twice > den || (twice == den && q.bit(0)) {
            q + 1u32
        } else {
            q
        };
        return (signed(q), s);
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Decimal notation as people type it: `7`, `-3`, `+2`, `0.1`, `.5`,
    /// `1.`, `1e3`, `2.5E-2`. Not `NaN`, `inf`, `1,5`, `0x10` or `1_000`.
    /// Within the bounds of an input.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text, &INPUT)
    }
}

/// What a text may hold to be read as a number.
struct Bounds {
    digits: usize,
    exponent: i64,
}

/// The bounds of what a calculator accepts.
const INPUT: Bounds = Bounds {
    digits: MAX_DIGITS,
    exponent: MAX_EXPONENT,
};

/// The bounds of what a calculator may answer: every result of inputs
/// within [`INPUT`] (the longest, a power, has under 7,000 digits and a
/// magnitude within 1e±10000).
const RESULT: Bounds = Bounds {
    digits: MAX_RESULT_DIGITS,
    exponent: MAX_POWER_EXPONENT,
};

/// The most significant digits a result read by [`Number::parse_result`] may
/// have.
pub const MAX_RESULT_DIGITS: usize = 10_000;

impl Number {
    /// A number a calculator answered: the notation of [`FromStr`], within
    /// the wider bounds of results ([`MAX_RESULT_DIGITS`] digits, magnitude
    /// within `1e±10000`), so that a client reads every answer a server
    /// following these rules can give (`2 ** -9965` has 6,973 digits).
    pub fn parse_result(text: &str) -> Result<Number, ParseNumberError> {
        parse(text, &RESULT)
    }

    /// [`Number::from_json`] within the bounds of results.
    pub fn from_json_result(json: &str) -> Result<Number, JsonNumberError> {
        read_json(json, &RESULT)
    }
}

fn parse(text: &str, bounds: &Bounds) -> Result<Number, ParseNumberError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(ParseNumberError::Empty);
    }
    let lower = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if matches!(lower.as_str(), "nan" | "inf" | "infinity") {
        return Err(ParseNumberError::NotFinite(quoted(s)));
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let invalid = || ParseNumberError::Invalid(quoted(s));
    let out_of_range = || ParseNumberError::OutOfRange(quoted(s));
    let unsigned = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_only(int) || !digits_only(frac) {
        return Err(invalid());
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits_only(digits) {
                return Err(invalid());
            }
            // An absurd exponent is out of range, not "not a number".
            e.parse().map_err(|_| out_of_range())?
        }
    };
    // The value is int.frac × 10^exponent. Leading zeros of the integer
    // part and trailing zeros of the whole are not significant.
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return Ok(Number::zero());
    }
    if significant.len() > bounds.digits {
        return Err(if bounds.digits == MAX_DIGITS {
            ParseNumberError::TooManyDigits(quoted(s))
        } else {
            ParseNumberError::ResultTooLong(quoted(s))
        });
    }
    let zeros_at_end = (trimmed.len() - significant.len()) as i64;
    // value = significant × 10^power
    let power = exponent
        .checked_sub(frac.len() as i64)
        .and_then(|p| p.checked_add(zeros_at_end))
        .ok_or_else(out_of_range)?;
    let order = power.saturating_add(significant.len() as i64 - 1);
    if !(-bounds.exponent..=bounds.exponent).contains(&order) {
        return Err(if bounds.exponent == MAX_EXPONENT {
            out_of_range()
        } else {
            ParseNumberError::ResultOutOfRange(quoted(s))
        });
    }
    let mut digits: BigInt = significant.parse().map_err(|_| invalid())?;
    if mantissa.starts_with('-') {
        digits = -digits;
    }
    Ok(Number::new(BigDecimal::new(digits, -power)))
}

impl fmt::Display for Number {
    /// Every digit. Plain notation whenever the digits are all significant
    /// or the zeros around them are few (`7`, `0.3`, `-1.5`, `0.000001`,
    /// `100000000000000000000`, `10000000000000000000000000000.1`);
    /// scientific only to avoid writing more than 20 zeros after an integer's
    /// digits or more than 5 between the point and a fraction's (`1e+21`,
    /// `1.5e-7`), as JavaScript does for such numbers. Also a valid JSON
    /// number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (digits, scale) = self.0.as_bigint_and_exponent();
        let text = digits.magnitude().to_string();
        let k = text.len() as i64;
        // value = 0.text × 10^n
        let n = k - scale;
        let sign = if digits.is_negative() { "-" } else { "" };
        if k <= n && n - k <= 20 {
            write!(f, "{sign}{text}{}", "0".repeat((n - k) as usize))
        } else if 0 < n && n < k {
            let (int, frac) = text.split_at(n as usize);
            write!(f, "{sign}{int}.{frac}")
        } else if -6 < n && n <= 0 {
            write!(f, "{sign}0.{}{text}", "0".repeat((-n) as usize))
        } else {
            let (first, rest) = text.split_at(1);
            let point = if rest.is_empty() { "" } else { "." };
            let e = n - 1;
            let e_sign = if e >= 0 { "+" } else { "-" };
            write!(f, "{sign}{first}{point}{rest}e{e_sign}{}", e.abs())
        }
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number::new(BigDecimal::from(value))
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Self {
        Number::from(i64::from(value))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Number::new(BigDecimal::from(value))
    }
}

impl Serialize for Number {
    /// A JSON number with every digit (`7`, `0.3`, `1e+28`), written as is
    /// through `serde_json`'s raw values, never through a double. Only
    /// `serde_json` understands raw values: this is a JSON type.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::value::RawValue::from_string(self.to_string())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Number {
    /// From a JSON number (`3`, `0.1`, `1e308`) read from its text, never
    /// through a double, or from a string holding one (`"0.1"`). Needs a
    /// `serde_json` deserializer of JSON text (`from_str`, `from_slice`,
    /// `from_reader`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Number::from_json(raw.get()).map_err(D::Error::custom)
    }
}

impl Number {
    /// A number from the text of one JSON value: a number (`0.1`) or a
    /// string holding one (`"0.1"`). The reader behind [`Deserialize`].
    pub fn from_json(json: &str) -> Result<Number, JsonNumberError> {
        read_json(json, &INPUT)
    }
}

fn read_json(json: &str, bounds: &Bounds) -> Result<Number, JsonNumberError> {
    let json = json.trim();
    match json.bytes().next() {
        Some(b'-' | b'0'..=b'9') => parse(json, bounds).map_err(JsonNumberError::Number),
        Some(b'"') => {
            let text = serde_json::from_str::<String>(json)
                .map_err(|_| JsonNumberError::NotANumber(quoted(json)))?;
            parse(&text, bounds).map_err(JsonNumberError::Number)
        }
        // Not quoted: `true is not a number`, not `"true" …`, which would
        // read as a string.
        _ => Err(JsonNumberError::NotANumber(
            crate::escape::escape(json, QUOTED).into_owned(),
        )),
    }
}

/// A number a calculator computed, for reading answers: its serde reads a
/// JSON number within the bounds of results ([`Number::parse_result`])
/// instead of those of inputs, and writes it as [`Number`] does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Computed(pub Number);

impl Serialize for Computed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Computed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Number::from_json_result(raw.get())
            .map(Computed)
            .map_err(D::Error::custom)
    }
}

/// Why a JSON value is not a [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonNumberError {
    /// A JSON value of another kind (`true`, `null`, `[1]`).
    #[error("{0} is not a number")]
    NotANumber(String),
    /// A number, or a string, that is not an accepted number.
    #[error(transparent)]
    Number(#[from] ParseNumberError),
}

/// The four operations of a calculator, and the power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a × b`
    Mul,
    /// `a ÷ b`
    Div,
    /// `a` to the power `b`
    Pow,
}

impl Operation {
    /// Every operation, in the order the course lists them.
    pub const ALL: [Operation; 5] = [
        Operation::Add,
        Operation::Sub,
        Operation::Mul,
        Operation::Pow,
        Operation::Div,
    ];

    /// Apply the operation to `a` and `b`.
    pub fn apply(self, a: &Number, b: &Number) -> Result<Number, ArithmeticError> {
        match self {
            Operation::Add => a.checked_add(b),
            Operation::Sub => a.checked_sub(b),
            Operation::Mul => a.checked_mul(b),
            Operation::Div => a.checked_div(b),
            Operation::Pow => a.checked_pow(b),
        }
    }

    /// The operation's name in the reference's language (`add`, `sub`,
    /// `mul`, `div`, `pow`).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Add => "add",
            Operation::Sub => "sub",
            Operation::Mul => "mul",
            Operation::Div => "div",
            Operation::Pow => "pow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().expect("a valid number")
    }

    fn apply(op: Operation, a: &str, b: &str) -> Result<String, ArithmeticError> {
        op.apply(&n(a), &n(b)).map(|r| r.to_string())
    }

    fn ok(op: Operation, a: &str, b: &str) -> String {
        apply(op, a, b).expect("an answer")
    }

    use Operation::{Add, Div, Mul, Pow, Sub};

    #[test]
    fn what_people_type_adds_exactly() {
        assert_eq!(ok(Add, "0.1", "0.2"), "0.3");
        assert_eq!(ok(Add, "3", "4"), "7");
        assert_eq!(ok(Add, "1.50", "1.5"), "3");
    }

    #[test]
    fn the_cases_the_28_digit_type_got_wrong_are_exact() {
        assert_eq!(ok(Add, "1e28", "0.1"), "10000000000000000000000000000.1");
        assert_eq!(
            ok(Add, "9999999999999999999999999999", "0.5"),
            "9999999999999999999999999999.5"
        );
        assert_eq!(ok(Sub, "1e28", "0.1"), "9999999999999999999999999999.9");
        assert_eq!(ok(Add, "10", "1e-28"), "10.0000000000000000000000000001");
        assert_eq!(
            ok(Sub, "1e20", "1e-20"),
            "99999999999999999999.99999999999999999999"
        );
        assert_eq!(ok(Div, "1e-28", "1e28"), "1e-56");
        assert_eq!(
            ok(Div, "1e-28", "3"),
            "3.333333333333333333333333333333333e-29"
        );
        assert_eq!(ok(Mul, "1.5", "1e-28"), "1.5e-28");
        assert_eq!(ok(Add, "1e308", "1"), format!("1{}1", "0".repeat(307)));
    }

    #[test]
    fn sums_keep_every_digit_however_far_apart() {
        let sum = ok(Add, "1e400", "1e-400");
        assert_eq!(sum, format!("1{}.{}1", "0".repeat(400), "0".repeat(399)));
    }

    #[test]
    fn quotients_end_exactly_or_are_rounded_to_34_digits_half_even() {
        assert_eq!(ok(Div, "15", "10"), "1.5");
        assert_eq!(ok(Div, "8", "5"), "1.6");
        assert_eq!(ok(Div, "8", "4"), "2");
        assert_eq!(ok(Div, "4", "5"), "0.8");
        assert_eq!(ok(Div, "1", "3"), "0.3333333333333333333333333333333333");
        assert_eq!(ok(Div, "2", "3"), "0.6666666666666666666666666666666667");
        assert_eq!(ok(Div, "-2", "3"), "-0.6666666666666666666666666666666667");
        assert_eq!(ok(Div, "1", "7e-5"), "14285.71428571428571428571428571429");
        // Ends after many digits: exact, however many.
        assert_eq!(ok(Div, "1", "1024"), "0.0009765625");
        assert_eq!(ok(Div, "1", "2e50"), "5e-51");
        assert_eq!(ok(Div, "1e-999", "1e999"), "1e-1998");
        assert_eq!(
            ok(Div, "1", "9999999999999999999999999999999999999"),
            "1.000000000000000000000000000000000e-37"
                .parse::<Number>()
                .map(|x| x.to_string())
                .expect("a number")
        );
    }

    #[test]
    fn powers_are_exact() {
        assert_eq!(ok(Pow, "15", "10"), "576650390625");
        assert_eq!(
            ok(Pow, "15", "40"),
            "110573323209400121422731899656355381011962890625"
        );
        assert_eq!(ok(Pow, "2", "-2"), "0.25");
        assert_eq!(ok(Pow, "-2", "3"), "-8");
        assert_eq!(ok(Pow, "1.5", "2"), "2.25");
        assert_eq!(ok(Pow, "0", "0"), "1");
        assert_eq!(ok(Pow, "-1", "1e25"), "1");
        assert_eq!(ok(Pow, "-1", "10000000000000000000000001"), "-1");
        assert_eq!(
            ok(Pow, "0.5", "99"),
            format!(
                "{}",
                n("1")
                    .checked_div(&n("633825300114114700748351602688"))
                    .expect("ends")
            )
        );
        assert_eq!(
            ok(Pow, "2", "-100"),
            "7.888609052210118054117285652827862296732064351090230047702789306640625e-31"
        );
        assert_eq!(ok(Pow, "3", "-1"), "0.3333333333333333333333333333333333");
        assert_eq!(ok(Pow, "10", "1000"), "1e+1000");
    }

    #[test]
    fn fractional_powers_are_doubles_said_as_such() {
        assert_eq!(ok(Pow, "2", "0.5"), "1.4142135623730951");
        assert_eq!(ok(Pow, "10", "-30.5"), "3.162277660168379e-31");
        assert_eq!(apply(Pow, "-8", "0.5"), Err(ArithmeticError::NotReal));
        assert_eq!(
            apply(Pow, "10", "400.5"),
            Err(ArithmeticError::FloatTooLarge)
        );
        assert_eq!(
            apply(Pow, "10", "-400.5"),
            Err(ArithmeticError::FloatTooSmall)
        );
        assert!(matches!(
            apply(Pow, "1e500", "0.5"),
            Err(ArithmeticError::FloatOperand(_))
        ));
        assert_eq!(
            apply(Pow, "0", "-0.5"),
            Err(ArithmeticError::DivisionByZero)
        );
        assert_eq!(ok(Pow, "0", "0.5"), "0");
    }

    #[test]
    fn powers_beyond_the_bounds_are_refused_saying_which() {
        assert_eq!(apply(Pow, "2", "1e20"), Err(ArithmeticError::PowerTooLarge));
        assert_eq!(
            apply(Pow, "2", "-1e20"),
            Err(ArithmeticError::PowerTooSmall)
        );
        assert_eq!(
            apply(Pow, "0.5", "1e20"),
            Err(ArithmeticError::PowerTooSmall)
        );
        assert_eq!(
            apply(Pow, "10", "10001"),
            Err(ArithmeticError::PowerTooLarge)
        );
        assert!(apply(Pow, "10", "10000").is_ok());
        assert_eq!(
            apply(Pow, "10", "-10001"),
            Err(ArithmeticError::PowerTooSmall)
        );
        assert!(apply(Pow, "10", "-10000").is_ok());
        assert_eq!(apply(Pow, "3", "7000"), Err(ArithmeticError::PowerTooLong));
        assert_eq!(
            apply(Pow, "1e999", "1e999"),
            Err(ArithmeticError::PowerTooLarge)
        );
        assert_eq!(
            apply(Pow, "1e999", "-1e999"),
            Err(ArithmeticError::PowerTooSmall)
        );
        assert_eq!(apply(Pow, "0", "-1"), Err(ArithmeticError::DivisionByZero));
        assert_eq!(apply(Div, "1", "0"), Err(ArithmeticError::DivisionByZero));
    }

    #[test]
    fn people_notation_parses() {
        for (text, value) in [
            ("7", "7"),
            ("-3", "-3"),
            ("+2", "2"),
            (".5", "0.5"),
            ("1.", "1"),
            ("1e3", "1000"),
            ("2.5E-2", "0.025"),
            ("  42 ", "42"),
            ("-0", "0"),
            ("0.000", "0"),
            ("000123.4500", "123.45"),
            ("1e308", "1e+308"),
            ("1e21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("1e-7", "1e-7"),
            ("1.5e-6", "0.0000015"),
            ("-1.25e-30", "-1.25e-30"),
        ] {
            assert_eq!(n(text).to_string(), value, "parsing {text:?}");
        }
    }

    #[test]
    fn what_is_not_a_number_is_refused_with_a_reason() {
        assert_eq!("".parse::<Number>(), Err(ParseNumberError::Empty));
        for text in ["NaN", "inf", "-Infinity"] {
            assert!(
                matches!(text.parse::<Number>(), Err(ParseNumberError::NotFinite(_))),
                "{text}"
            );
        }
        for text in [
            "abc", "1,5", "0x10", "1_000", "1e", "--1", ".", "1.2.3", "1e+", "٣",
        ] {
            assert!(
                matches!(text.parse::<Number>(), Err(ParseNumberError::Invalid(_))),
                "{text}"
            );
        }
        for text in ["1e1000", "1e-1000", "1e99999999999999999999", "10e999"] {
            assert!(
                matches!(text.parse::<Number>(), Err(ParseNumberError::OutOfRange(_))),
                "{text}"
            );
        }
        assert!(matches!(
            "9".repeat(101).parse::<Number>(),
            Err(ParseNumberError::TooManyDigits(_))
        ));
    }

    #[test]
    fn the_bounds_are_where_the_documentation_says() {
        assert!("9.99e999".parse::<Number>().is_ok());
        assert!("1e-999".parse::<Number>().is_ok());
        assert!("9".repeat(100).parse::<Number>().is_ok());
        // Zeros around the digits are free.
        assert!(format!("1{}", "0".repeat(500)).parse::<Number>().is_ok());
        assert!(format!("0.{}1", "0".repeat(500)).parse::<Number>().is_ok());
    }

    #[test]
    fn refusals_quote_the_text_escaped_and_cut() {
        let message = format!("1\x1b[2J{}", "9".repeat(500))
            .parse::<Number>()
            .expect_err("not a number")
            .to_string();
        assert!(message.starts_with("\"1\\x1b[2J999"), "{message}");
        assert!(message.len() < 120, "{message}");
        assert_eq!(
            "1e1000"
                .parse::<Number>()
                .expect_err("too large")
                .to_string(),
            "\"1e1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"
        );
    }

    #[test]
    fn json_numbers_are_written_with_every_digit() {
        let json = |s: &str| serde_json::to_string(&n(s)).expect("serializes");
        assert_eq!(json("7"), "7");
        assert_eq!(json("0.3"), "0.3");
        assert_eq!(json("99999999999999999999"), "99999999999999999999");
        assert_eq!(json("1e28"), "1e+28");
        #[derive(Serialize)]
        struct Reply {
            result: Number,
        }
        let reply = Reply {
            result: n("1e-28").checked_div(&n("3")).expect("divides"),
        };
        assert_eq!(
            serde_json::to_string(&reply).expect("serializes"),
            r#"{"result":3.333333333333333333333333333333333e-29}"#
        );
    }

    #[test]
    fn json_input_keeps_what_was_written() {
        let parse = |s: &str| serde_json::from_str::<Number>(s).map(|n| n.to_string());
        assert_eq!(parse("0.1").expect("parses"), "0.1");
        assert_eq!(parse("3").expect("parses"), "3");
        assert_eq!(parse("\"0.2\"").expect("parses"), "0.2");
        assert_eq!(
            parse("0.1000000000000000000000000000000000000001").expect("parses"),
            "0.1000000000000000000000000000000000000001"
        );
        assert_eq!(parse("1e308").expect("parses"), "1e+308");
        assert!(parse("\"NaN\"").is_err());
        assert!(parse("true").is_err());
        assert!(parse("1e1000").is_err());
        let pair: Vec<Number> = serde_json::from_str("[1, 2.50]").expect("two numbers");
        assert_eq!(pair, [n("1"), n("2.5")]);
    }

    #[test]
    fn every_answer_reads_back_as_a_result_but_not_as_an_input() {
        let longest = ok(Pow, "2", "-9965");
        assert!(longest.parse::<Number>().is_err());
        assert_eq!(
            Number::parse_result(&longest).map(|n| n.to_string()),
            Ok(longest.clone())
        );
        assert_eq!(
            Number::parse_result("1e+1998").map(|n| n.to_string()),
            Ok("1e+1998".to_owned())
        );
        assert!(matches!(
            Number::parse_result("1e10002"),
            Err(ParseNumberError::ResultOutOfRange(_))
        ));
        assert!(matches!(
            Number::parse_result(&"7".repeat(10_001)),
            Err(ParseNumberError::ResultTooLong(_))
        ));
        let computed: Computed = serde_json::from_str(&longest).expect("an answer");
        assert_eq!(computed.0.to_string(), longest);
        assert!(serde_json::from_str::<Number>(&longest).is_err());
    }

    #[test]
    fn a_quote_inside_a_refused_text_is_escaped() {
        assert_eq!(
            "a\"b".parse::<Number>().map_err(|e| e.to_string()),
            Err(r#""a\"b" is not a number"#.to_owned())
        );
    }

    #[test]
    fn a_json_value_that_is_no_number_is_named_as_written() {
        assert_eq!(
            Number::from_json("true").map_err(|e| e.to_string()),
            Err("true is not a number".to_owned())
        );
        assert_eq!(
            Number::from_json("\"abc\"").map_err(|e| e.to_string()),
            Err("\"abc\" is not a number".to_owned())
        );
    }

    #[test]
    fn f64_conversion_takes_the_shortest_decimal() {
        assert_eq!(Number::from_f64(0.1).expect("finite").to_string(), "0.1");
        assert_eq!(Number::from_f64(2.0).expect("finite").to_string(), "2");
        assert_eq!(
            Number::from_f64(f64::MAX).expect("finite").to_string(),
            "1.7976931348623157e+308"
        );
        assert_eq!(
            Number::from_f64(5e-324).expect("finite").to_string(),
            "5e-324"
        );
        // Two 17-digit texts read back as 1668754529467071.25 and are
        // equally near it: Python's repr takes the even one.
        assert_eq!(
            Number::from_f64(1_668_754_529_467_071.0 + 0.25)
                .expect("finite")
                .to_string(),
            "1668754529467071.2"
        );
        assert_eq!(Number::from_f64(-0.0).expect("finite").to_string(), "0");
        assert_eq!(
            Number::from_f64(-2.5e-7).expect("finite").to_string(),
            "-2.5e-7"
        );
        assert!(Number::from_f64(f64::NAN).is_err());
        assert!(Number::from_f64(f64::INFINITY).is_err());
        assert_eq!(n("1.5").to_f64(), 1.5);
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("1e400").to_f64(), f64::INFINITY);
        assert_eq!(n("15").to_i64(), Some(15));
        assert_eq!(n("1.5").to_i64(), None);
    }

    #[test]
    fn operations_apply_by_name() {
        let results: Vec<String> = Operation::ALL
            .iter()
            .map(|op| ok(*op, "15", "10"))
            .collect();
        assert_eq!(results, ["25", "5", "150", "576650390625", "1.5"]);
    }
}

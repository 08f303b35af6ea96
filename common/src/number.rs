//! Numbers as people type them, and arithmetic people can trust.
//!
//! Three exercises compute with numbers that arrive as text from the network
//! (the WebSocket adder, the RPC calculator, the REST calculator). Binary
//! floating point would answer `0.1 + 0.2` with `0.30000000000000004`, turn
//! `1e309` into infinity and `15 ** 40` into a rounded guess. A [`Number`]
//! is a decimal instead (a 96-bit integer and a power of ten, from
//! `rust_decimal`), so:
//!
//! * what people type is exact: `0.1 + 0.2` is `0.3`, and integers stay
//!   integers (`3 + 4` is `7`, not `7.0`);
//! * results are exact whenever they fit in 28 significant digits; a result
//!   that does not fit is an [`ArithmeticError`], never a rounded or infinite
//!   number. Division is the one operation whose exact result may have no end
//!   (`1 / 3`): it is rounded to 28 significant digits, as a calculator does;
//! * `NaN`, infinities, empty strings and numbers with more than 28 digits are
//!   refused when parsed, with a message that says which.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The most significant digits a [`Number`] holds.
pub const MAX_DIGITS: u32 = 28;

/// A decimal number, exact for everything people type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Number(Decimal);

/// Why a text is not a [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNumberError {
    /// Nothing was given.
    #[error("no number was given")]
    Empty,
    /// `NaN` or an infinity: not numbers one can compute with.
    #[error("{0:?} is not a finite number")]
    NotFinite(String),
    /// Not a decimal number at all.
    #[error("{0:?} is not a number")]
    Invalid(String),
    /// Too many digits, or too large or too small to hold exactly.
    #[error("{0:?} has more than 28 significant digits or is out of range")]
    OutOfRange(String),
}

/// Why an operation has no exact answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArithmeticError {
    /// Division (or a negative power) of zero.
    #[error("division by zero")]
    DivisionByZero,
    /// The result does not fit in 28 significant digits.
    #[error("the result is too large to compute exactly")]
    Overflow,
    /// The exact result needs more digits than a `Number` holds (0.5⁹⁹).
    #[error("the exact result needs more than 28 digits")]
    Inexact,
    /// A negative number to a fractional power, or 0 to a negative power.
    #[error("the result is not a real number")]
    NotReal,
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number(Decimal::ZERO);

    fn new(d: Decimal) -> Self {
        // One representation per value: 1.50 and 1.5 are the same number,
        // and the sign of zero is dropped (`-0` prints as `0`).
        let d = d.normalize();
        Number(if d.is_zero() { Decimal::ZERO } else { d })
    }

    /// The number closest to `value` that prints like it: `0.1_f64` is 0.1,
    /// not 0.1000000000000000055511151231257827. `NaN` and infinities are refused.
    pub fn from_f64(value: f64) -> Result<Self, ParseNumberError> {
        if !value.is_finite() {
            return Err(ParseNumberError::NotFinite(value.to_string()));
        }
        // `{:?}` prints the shortest text that reads back as the same f64
        // (with an exponent for very large or small values).
        format!("{value:?}").parse()
    }

    /// The nearest `f64` (for protocols whose numbers are doubles).
    pub fn to_f64(self) -> f64 {
        // Through the decimal text: Rust's float parsing rounds correctly,
        // `Decimal::to_f64` does not (1/3 would become 0.33333333333333337
        // instead of 0.3333333333333333).
        self.0.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as an `i64`, if it is a whole number in range.
    pub fn to_i64(self) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        if self.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }

    /// True for whole numbers.
    pub fn is_integer(self) -> bool {
        self.0.is_integer()
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `self + other`, exact.
    pub fn checked_add(self, other: Number) -> Result<Number, ArithmeticError> {
        self.0
            .checked_add(other.0)
            .map(Number::new)
            .ok_or(ArithmeticError::Overflow)
    }

    /// `self - other`, exact.
    pub fn checked_sub(self, other: Number) -> Result<Number, ArithmeticError> {
        self.0
            .checked_sub(other.0)
            .map(Number::new)
            .ok_or(ArithmeticError::Overflow)
    }

    /// `self × other`, exact.
    pub fn checked_mul(self, other: Number) -> Result<Number, ArithmeticError> {
        exact_mul(self.0, other.0).map(Number::new)
    }

    /// `self ÷ other`: exact when the quotient ends (15 / 10 = 1.5),
    /// otherwise rounded to 28 significant digits (1 / 3).
    pub fn checked_div(self, other: Number) -> Result<Number, ArithmeticError> {
        if other.is_zero() {
            return Err(ArithmeticError::DivisionByZero);
        }
        self.0
            .checked_div(other.0)
            .map(Number::new)
            .ok_or(ArithmeticError::Overflow)
    }

    /// `self` raised to `exponent`. Whole exponents are exact (15¹⁰ =
    /// 576650390625; 2⁻² = 0.25); a fractional exponent has no exact decimal
    /// answer in general and is computed in binary floating point, then
    /// shortened to the digits that are meaningful (2^0.5 = 1.4142135623730951).
    pub fn checked_pow(self, exponent: Number) -> Result<Number, ArithmeticError> {
        if !exponent.is_integer() {
            let result = self.to_f64().powf(exponent.to_f64());
            if result.is_nan() {
                return Err(ArithmeticError::NotReal);
            }
            if result.is_infinite() {
                return Err(ArithmeticError::Overflow);
            }
            return Number::from_f64(result).map_err(|_| ArithmeticError::Overflow);
        }
        let negative = exponent.0.is_sign_negative();
        let magnitude = exponent.0.abs();
        if self.is_zero() {
            return match (negative, magnitude.is_zero()) {
                (true, _) => Err(ArithmeticError::DivisionByZero),
                (false, true) => Ok(Number::new(Decimal::ONE)),
                (false, false) => Ok(Number::ZERO),
            };
        }
        let unit = self.0.abs() == Decimal::ONE;
        // Any base other than 0, 1 and -1 overflows long before the
        // exponent reaches 2⁶⁴: 2⁹⁶ is already too large.
        use rust_decimal::prelude::ToPrimitive;
        let Some(mut e) = magnitude.to_u64() else {
            return if unit {
                Ok(self.unit_pow(magnitude.to_u128().unwrap_or(0) % 2 == 1))
            } else if negative == (self.0.abs() > Decimal::ONE) {
                Err(ArithmeticError::Inexact)
            } else {
                Err(ArithmeticError::Overflow)
            };
        };
        if unit {
            return Ok(self.unit_pow(e % 2 == 1));
        }
        // Exponentiation by squaring: log₂(e) multiplications.
        let mut base = self.0;
        let mut result = Decimal::ONE;
        while e > 0 {
            if e & 1 == 1 {
                result = exact_mul(result, base)?;
            }
            e >>= 1;
            if e > 0 {
                base = exact_mul(base, base)?;
            }
        }
        if negative {
            Number::new(Decimal::ONE).checked_div(Number::new(result))
        } else {
            Ok(Number::new(result))
        }
    }

    fn unit_pow(self, odd: bool) -> Number {
        if self.0.is_sign_negative() && odd {
            Number::new(Decimal::NEGATIVE_ONE)
        } else {
            Number::new(Decimal::ONE)
        }
    }
}

/// Multiply, refusing a product that would be rounded: `rust_decimal`
/// silently drops decimal places past 28, which would make a "exact" result
/// wrong (0.5⁹⁹ would come out as 0).
fn exact_mul(a: Decimal, b: Decimal) -> Result<Decimal, ArithmeticError> {
    let product = a.checked_mul(b).ok_or(ArithmeticError::Overflow)?;
    if a.scale() + b.scale() > product.scale() && !product_is_exact(a, b, product) {
        return Err(ArithmeticError::Inexact);
    }
    Ok(product)
}

/// True if `product` is exactly `a × b`: the exact product's trailing
/// decimal places beyond `product.scale()` are all zeros.
fn product_is_exact(a: Decimal, b: Decimal, product: Decimal) -> bool {
    // The exact product of the mantissas, with scale a.scale + b.scale.
    let (ma, mb) = (a.mantissa(), b.mantissa());
    let Some(exact) = ma.checked_mul(mb) else {
        return false;
    };
    let drop = a.scale() + b.scale() - product.scale();
    let Some(divisor) = 10i128.checked_pow(drop) else {
        return exact == 0;
    };
    exact % divisor == 0
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Decimal notation as people type it: `7`, `-3`, `+2`, `0.1`, `.5`,
    /// `1.`, `1e3`, `2.5E-2`. Not `NaN`, `inf`, `1,5`, `0x10` or `1_000`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s.is_empty() {
            return Err(ParseNumberError::Empty);
        }
        let lower = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if matches!(lower.as_str(), "nan" | "inf" | "infinity") {
            return Err(ParseNumberError::NotFinite(s.to_owned()));
        }
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let invalid = || ParseNumberError::Invalid(s.to_owned());
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
                e.parse()
                    .map_err(|_| ParseNumberError::OutOfRange(s.to_owned()))?
            }
        };
        // Significant digits: leading zeros of the integer part and trailing
        // zeros of the whole do not count against the 28.
        let all: String = format!("{int}{frac}");
        let significant = all.trim_start_matches('0').trim_end_matches('0');
        let out_of_range = || ParseNumberError::OutOfRange(s.to_owned());
        if significant.len() > MAX_DIGITS as usize {
            return Err(out_of_range());
        }
        // value = all × 10^(exponent - frac.len())
        let negative = mantissa.starts_with('-');
        let trimmed = all.trim_start_matches('0');
        let zeros_at_end = trimmed.len() - trimmed.trim_end_matches('0').len();
        let core = if significant.is_empty() {
            "0"
        } else {
            significant
        };
        let mut m: i128 = core.parse().map_err(|_| out_of_range())?;
        let power = exponent
            .checked_sub(frac.len() as i64)
            .and_then(|p| p.checked_add(zeros_at_end as i64))
            .ok_or_else(out_of_range)?;
        if m == 0 {
            return Ok(Number::ZERO);
        }
        let scale = if power >= 0 {
            let factor = u32::try_from(power)
                .ok()
                .and_then(|p| 10i128.checked_pow(p))
                .ok_or_else(out_of_range)?;
            m = m.checked_mul(factor).ok_or_else(out_of_range)?;
            0
        } else {
            u32::try_from(-power).map_err(|_| out_of_range())?
        };
        if negative {
            m = -m;
        }
        Decimal::try_from_i128_with_scale(m, scale)
            .map(Number::new)
            .map_err(|_| out_of_range())
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, no exponent, no trailing zeros: `7`, `0.3`, `-1.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number::new(Decimal::from(value))
    }
}

impl Serialize for Number {
    /// A JSON number: an integer when whole (`7`, not `7.0`), otherwise the
    /// nearest double (`0.3`, `1.6`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        match (self.is_integer(), self.0.to_i128()) {
            (true, Some(i)) => match i64::try_from(i) {
                Ok(i) => serializer.serialize_i64(i),
                Err(_) => serializer.serialize_i128(i),
            },
            _ => serializer.serialize_f64(self.to_f64()),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    /// From a JSON number (`3`, `0.1`) or a string holding one (`"0.1"`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::from(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::new(Decimal::from(v)))
            }
            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Number, E> {
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Number, E> {
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Number::from_f64(v).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Number, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
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
    pub fn apply(self, a: Number, b: Number) -> Result<Number, ArithmeticError> {
        match self {
            Operation::Add => a.checked_add(b),
            Operation::Sub => a.checked_sub(b),
            Operation::Mul => a.checked_mul(b),
            Operation::Div => a.checked_div(b),
            Operation::Pow => a.checked_pow(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().expect("a valid number")
    }

    #[test]
    fn what_people_type_adds_exactly() {
        assert_eq!(
            n("0.1").checked_add(n("0.2")).expect("sums").to_string(),
            "0.3"
        );
        assert_eq!(n("3").checked_add(n("4")).expect("sums").to_string(), "7");
        assert_eq!(
            n("1.50").checked_add(n("1.5")).expect("sums").to_string(),
            "3"
        );
    }

    #[test]
    fn integers_stay_integers_and_quotients_are_decimals() {
        assert_eq!(
            n("15").checked_div(n("10")).expect("divides").to_string(),
            "1.5"
        );
        assert_eq!(
            n("8").checked_div(n("5")).expect("divides").to_string(),
            "1.6"
        );
        assert_eq!(
            n("8").checked_div(n("4")).expect("divides").to_string(),
            "2"
        );
        assert_eq!(
            n("1").checked_div(n("3")).expect("divides").to_string(),
            "0.3333333333333333333333333333"
        );
    }

    #[test]
    fn powers_are_exact() {
        assert_eq!(
            n("15").checked_pow(n("10")).expect("power").to_string(),
            "576650390625"
        );
        assert_eq!(
            n("2").checked_pow(n("-2")).expect("power").to_string(),
            "0.25"
        );
        assert_eq!(
            n("-2").checked_pow(n("3")).expect("power").to_string(),
            "-8"
        );
        assert_eq!(
            n("1.5").checked_pow(n("2")).expect("power").to_string(),
            "2.25"
        );
        assert_eq!(n("0").checked_pow(n("0")).expect("power").to_string(), "1");
        assert_eq!(
            n("-1").checked_pow(n("1e25")).expect("power").to_string(),
            "1"
        );
        assert_eq!(
            n("-1")
                .checked_pow(n("1e25").checked_add(n("1")).expect("sum"))
                .expect("power")
                .to_string(),
            "-1"
        );
        assert_eq!(
            n("2").checked_pow(n("0.5")).expect("power").to_string(),
            "1.4142135623730951"
        );
    }

    #[test]
    fn results_that_do_not_fit_are_errors_not_wrong_numbers() {
        let huge = n("9999999999999999999999999999");
        assert_eq!(
            n("5e28").checked_add(n("5e28")),
            Err(ArithmeticError::Overflow)
        );
        assert_eq!(huge.checked_mul(huge), Err(ArithmeticError::Overflow));
        assert_eq!(n("15").checked_pow(n("40")), Err(ArithmeticError::Overflow));
        assert_eq!(
            n("2").checked_pow(n("1e20")),
            Err(ArithmeticError::Overflow)
        );
        assert_eq!(
            n("0.5").checked_pow(n("1e20")),
            Err(ArithmeticError::Inexact)
        );
        assert_eq!(n("0.5").checked_pow(n("99")), Err(ArithmeticError::Inexact));
        assert_eq!(
            n("1").checked_div(n("0")),
            Err(ArithmeticError::DivisionByZero)
        );
        assert_eq!(
            n("0").checked_pow(n("-1")),
            Err(ArithmeticError::DivisionByZero)
        );
        assert_eq!(n("-8").checked_pow(n("0.5")), Err(ArithmeticError::NotReal));
    }

    #[test]
    fn small_exact_products_are_kept() {
        assert_eq!(
            n("0.5").checked_pow(n("20")).expect("power").to_string(),
            "0.00000095367431640625"
        );
        assert_eq!(
            n("0.1").checked_mul(n("0.2")).expect("product").to_string(),
            "0.02"
        );
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
        for text in [
            "1e309",
            "1e-309",
            "1e99999999999999999999",
            &"9".repeat(1000),
        ] {
            assert!(
                matches!(text.parse::<Number>(), Err(ParseNumberError::OutOfRange(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn twenty_eight_digits_fit_and_twenty_nine_do_not() {
        assert!("1234567890123456789012345678".parse::<Number>().is_ok());
        assert!(matches!(
            "12345678901234567890123456789".parse::<Number>(),
            Err(ParseNumberError::OutOfRange(_))
        ));
        // Zeros around the digits are free.
        assert!("1000000000000000000000000000".parse::<Number>().is_ok());
        assert!("0.0000000000000000000000000001".parse::<Number>().is_ok());
    }

    #[test]
    fn json_numbers_are_integers_when_whole() {
        let json = |s: &str| serde_json::to_string(&n(s)).expect("serializes");
        assert_eq!(json("7"), "7");
        assert_eq!(json("0.3"), "0.3");
        assert_eq!(json("1.6"), "1.6");
        assert_eq!(json("576650390625"), "576650390625");
        assert_eq!(json("99999999999999999999"), "99999999999999999999");
    }

    #[test]
    fn json_input_keeps_what_was_written() {
        let parse = |s: &str| serde_json::from_str::<Number>(s).map(|n| n.to_string());
        assert_eq!(parse("0.1").expect("parses"), "0.1");
        assert_eq!(parse("3").expect("parses"), "3");
        assert_eq!(parse("\"0.2\"").expect("parses"), "0.2");
        assert!(parse("\"NaN\"").is_err());
        assert!(parse("true").is_err());
    }

    #[test]
    fn f64_conversion_takes_the_shortest_decimal() {
        assert_eq!(Number::from_f64(0.1).expect("finite").to_string(), "0.1");
        assert_eq!(Number::from_f64(2.0).expect("finite").to_string(), "2");
        assert!(Number::from_f64(f64::NAN).is_err());
        assert!(Number::from_f64(f64::INFINITY).is_err());
        assert_eq!(n("1.5").to_f64(), 1.5);
        assert_eq!(n("0.3333333333333333333333333333").to_f64(), 1.0 / 3.0);
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("-576650390625.5").to_f64(), -576_650_390_625.5);
        assert_eq!(n("15").to_i64(), Some(15));
        assert_eq!(n("1.5").to_i64(), None);
    }

    #[test]
    fn operations_apply_by_name() {
        let results: Vec<String> = Operation::ALL
            .iter()
            .map(|op| op.apply(n("15"), n("10")).expect("computes").to_string())
            .collect();
        assert_eq!(results, ["25", "5", "150", "576650390625", "1.5"]);
    }
}

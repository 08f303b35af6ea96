//! Sheets as people make them: a column's type chosen by hand (`--types`,
//! or every column text with `--no-inference`), and the values of such a
//! column made to fit it.
//!
//! Inference takes a column's type from its values; a person may know
//! better (a column of postcodes is text, though every value is a number).
//! A value that cannot take the chosen type is never changed quietly: it
//! becomes `NULL` with a warning that names the cell and says why, like an
//! error cell. The conversions are the ones a reader would expect and no
//! more: a whole number to an integer, a number or a numeric text to a
//! decimal, `true`/`false`/`1`/`0` to a boolean, `YYYY-MM-DD[ HH:MM:SS]` to
//! a date-time, `[-]H:MM[:SS]` to a time, and anything to text (numbers as
//! their shortest text, `15` or `12.5`; booleans `TRUE`/`FALSE`).

use crate::sql::{DateTime, Time, Value};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// A column type chosen by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Whole numbers (`BIGINT`).
    Integer,
    /// Numbers (`DOUBLE`).
    Decimal,
    Boolean,
    /// Dates and date-times (`DATETIME`, `TIMESTAMP`).
    Datetime,
    /// Times of day and durations (`TIME`, `INTERVAL`).
    Time,
    /// Text (`VARCHAR(n)` or `TEXT`).
    Text,
}

/// A type name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown column type {0:?}: choose integer, decimal, boolean, datetime, time or text")]
pub struct UnknownType(pub String);

impl FromStr for ColumnType {
    type Err = UnknownType;

    /// The names, and the SQL names people write for them (`int`,
    /// `double`, `bool`, `timestamp`, `varchar`...), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "integer" | "int" | "bigint" => Self::Integer,
            "decimal" | "double" | "float" | "real" | "number" | "numeric" => Self::Decimal,
            "boolean" | "bool" => Self::Boolean,
            "datetime" | "timestamp" | "date" => Self::Datetime,
            "time" | "interval" | "duration" => Self::Time,
            "text" | "varchar" | "string" => Self::Text,
            _ => return Err(UnknownType(s.to_owned())),
        })
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Boolean => "boolean",
            Self::Datetime => "datetime",
            Self::Time => "time",
            Self::Text => "text",
        })
    }
}

/// `--types "Idade=integer,CEP=text"`: (column, type) pairs, in order.
///
/// ```
/// use xlsx_sql_bridge::shape::{ColumnType, parse_types};
/// assert_eq!(
///     parse_types("Idade=int, CEP = text"),
///     Ok(vec![("Idade".into(), ColumnType::Integer), ("CEP".into(), ColumnType::Text)])
/// );
/// ```
pub fn parse_types(spec: &str) -> Result<Vec<(String, ColumnType)>, String> {
    spec.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (column, ty) = part
                .split_once('=')
                .ok_or_else(|| format!("{:?} is not COLUMN=TYPE", part.trim()))?;
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("{:?} names no column", part.trim()));
            }
            let ty = ty.parse().map_err(|e: UnknownType| e.to_string())?;
            Ok((column.to_owned(), ty))
        })
        .collect()
}

/// The pairs as `--types` takes them: `Idade=integer,CEP=text`.
pub fn types_text(types: &[(String, ColumnType)]) -> String {
    types
        .iter()
        .map(|(column, ty)| format!("{column}={ty}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `value` as a value of type `to`: `None` if it is one already (or empty,
/// or an error cell), else the converted value, or an error value saying
/// why it cannot be converted (written `NULL` with a warning).
pub fn coerce<'a>(value: &Value<'a>, to: ColumnType) -> Option<Value<'a>> {
    let refuse = |what: &str| {
        Some(Value::Error(Cow::Owned(format!(
            "{what} cannot be {} (--types)",
            match to {
                ColumnType::Integer => "an integer",
                ColumnType::Decimal => "a decimal",
                ColumnType::Boolean => "a boolean",
                ColumnType::Datetime => "a date-time",
                ColumnType::Time => "a time",
                ColumnType::Text => "a text",
            }
        ))))
    };
    let shown = |text: &str| {
        let short: String = text.chars().take(40).collect();
        let more = if text.chars().count() > 40 { "..." } else { "" };
        format!("the text {short:?}{more}")
    };
    match (to, value) {
        (_, Value::Empty | Value::Error(_)) => None,
        (ColumnType::Text, Value::Text(_)) => None,
        (ColumnType::Text, other) => Some(Value::Text(Cow::Owned(text_of(other)))),
        (ColumnType::Integer, Value::Int(_)) => None,
        (ColumnType::Integer, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
            Some(Value::Int(*f as i64))
        }
        (ColumnType::Integer, Value::Float(f)) => refuse(&format!("the number {f}")),
        (ColumnType::Integer, Value::Text(t)) => match t.trim().parse::<i64>() {
            Ok(i) => Some(Value::Int(i)),
            Err(_) => refuse(&shown(t)),
        },
        (ColumnType::Decimal, Value::Float(_)) => None,
        (ColumnType::Decimal, Value::Int(i)) => Some(Value::Float(*i as f64)),
        (ColumnType::Decimal, Value::Text(t)) => match t.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Some(Value::Float(f)),
            _ => refuse(&shown(t)),
        },
        (ColumnType::Boolean, Value::Bool(_)) => None,
        (ColumnType::Boolean, Value::Int(i)) if *i == 0 || *i == 1 => Some(Value::Bool(*i == 1)),
        (ColumnType::Boolean, Value::Float(f)) if *f == 0.0 || *f == 1.0 => {
            Some(Value::Bool(*f == 1.0))
        }
        (ColumnType::Boolean, Value::Text(t)) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => refuse(&shown(t)),
        },
        (ColumnType::Datetime, Value::DateTime(_)) => None,
        (ColumnType::Datetime, Value::Text(t)) => match parse_datetime(t.trim()) {
            Some(dt) => Some(Value::DateTime(dt)),
            None => refuse(&shown(t)),
        },
        (ColumnType::Time, Value::Time(_)) => None,
        (ColumnType::Time, Value::Text(t)) => match parse_time(t.trim()) {
            Some(time) => Some(Value::Time(time)),
            None => refuse(&shown(t)),
        },
        (_, other) => refuse(&describe(other)),
    }
}

/// A value as a person reads it, for a text column.
fn text_of(value: &Value<'_>) -> String {
    match value {
        Value::Empty | Value::Error(_) => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Float(f) => format!("{f}"),
        Value::Text(t) => t.to_string(),
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        Value::DateTime(dt) => dt.to_string(),
        Value::Time(t) => t.to_string(),
    }
}

fn describe(value: &Value<'_>) -> String {
    match value {
        Value::Int(i) => format!("the number {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Bool(b) => format!("the boolean {}", if *b { "TRUE" } else { "FALSE" }),
        Value::DateTime(dt) => format!("the date-time {dt}"),
        Value::Time(t) => format!("the time {t}"),
        Value::Text(t) => format!("the text {t:?}"),
        Value::Empty | Value::Error(_) => "an empty cell".to_owned(),
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS]` (also with `T`), a real date.
fn parse_datetime(text: &str) -> Option<DateTime> {
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let seconds = match time {
        Some(time) => {
            let t = parse_time(time)?;
            u32::try_from(t.seconds).ok().filter(|s| *s < 86_400)?
        }
        None => 0,
    };
    let dt = DateTime::from_days(crate::sql::days_from_civil(year, month, day), seconds)?;
    // 2023-02-30 would roll over into March: not a date.
    (dt.year == year && dt.month == month && dt.day == day).then_some(dt)
}

/// `[-]H:MM` or `[-]H:MM:SS` (hours may pass 24).
fn parse_time(text: &str) -> Option<Time> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = text.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: i64 = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some()
        || hours < 0
        || !(0..60).contains(&minutes)
        || !(0..60).contains(&seconds)
    {
        return None;
    }
    let total = hours
        .checked_mul(3600)?
        .checked_add(minutes * 60 + seconds)?;
    Some(Time {
        seconds: if negative { -total } else { total },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<'_> {
        Value::Text(Cow::Borrowed(s))
    }

    fn refused(value: Option<Value<'_>>) -> String {
        match value {
            Some(Value::Error(reason)) => reason.into_owned(),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn types_are_named_as_people_write_them() {
        assert_eq!("INT".parse(), Ok(ColumnType::Integer));
        assert_eq!("varchar".parse(), Ok(ColumnType::Text));
        assert_eq!("timestamp".parse(), Ok(ColumnType::Datetime));
        assert!("blob".parse::<ColumnType>().is_err());
        assert!(parse_types("Idade").is_err());
        assert!(parse_types("=int").is_err());
        assert_eq!(
            parse_types("Idade=cor"),
            Err(
                "unknown column type \"cor\": choose integer, decimal, boolean, datetime, \
                 time or text"
                    .to_owned()
            )
        );
    }

    #[test]
    fn values_that_fit_are_converted() {
        use ColumnType as T;
        assert_eq!(coerce(&Value::Float(3.0), T::Integer), Some(Value::Int(3)));
        assert_eq!(coerce(&text(" 42 "), T::Integer), Some(Value::Int(42)));
        assert_eq!(coerce(&text("2.5"), T::Decimal), Some(Value::Float(2.5)));
        assert_eq!(coerce(&text("TRUE"), T::Boolean), Some(Value::Bool(true)));
        assert_eq!(coerce(&Value::Int(0), T::Boolean), Some(Value::Bool(false)));
        assert_eq!(
            coerce(&text("2024-02-29 08:30"), T::Datetime),
            DateTime::from_days(crate::sql::days_from_civil(2024, 2, 29), 8 * 3600 + 1800)
                .map(Value::DateTime)
        );
        assert_eq!(
            coerce(&text("-36:00"), T::Time),
            Some(Value::Time(Time {
                seconds: -36 * 3600
            }))
        );
        assert_eq!(coerce(&Value::Int(15), T::Integer), None);
        assert_eq!(coerce(&Value::Empty, T::Integer), None);
    }

    #[test]
    fn anything_becomes_text_as_a_person_reads_it() {
        let as_text = |v: Value<'_>| match coerce(&v, ColumnType::Text) {
            Some(Value::Text(t)) => t.into_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(as_text(Value::Float(15.0)), "15");
        assert_eq!(as_text(Value::Float(12.5)), "12.5");
        assert_eq!(as_text(Value::Int(-3)), "-3");
        assert_eq!(as_text(Value::Bool(true)), "TRUE");
        assert_eq!(as_text(Value::Time(Time { seconds: 90 })), "00:01:30");
    }

    #[test]
    fn values_that_do_not_fit_say_why() {
        use ColumnType as T;
        assert_eq!(
            refused(coerce(&text("abc"), T::Integer)),
            "the text \"abc\" cannot be an integer (--types)"
        );
        assert_eq!(
            refused(coerce(&Value::Float(2.5), T::Integer)),
            "the number 2.5 cannot be an integer (--types)"
        );
        assert_eq!(
            refused(coerce(&text("2023-02-30"), T::Datetime)),
            "the text \"2023-02-30\" cannot be a date-time (--types)"
        );
        assert_eq!(
            refused(coerce(&Value::Bool(true), T::Decimal)),
            "the boolean TRUE cannot be a decimal (--types)"
        );
        assert_eq!(
            refused(coerce(&text("12:61"), T::Time)),
            "the text \"12:61\" cannot be a time (--types)"
        );
    }
}

//! The MySQL script: identifiers, literals, column types and statements.
//!
//! Everything here is pure: values in, text out, no workbook and no I/O, so
//! every rule of the script is unit-tested on its own. The rules:
//!
//! * **Identifiers** (table and column names) are written bare when they are
//!   plain (`[A-Za-z_][A-Za-z0-9_]*` and not a reserved word of MySQL 8 or
//!   MariaDB), and quoted with backticks otherwise (accents, leading digits,
//!   reserved words, punctuation). Whitespace becomes `_`, as in the paper
//!   (`Height from ground` → `Height_from_ground`); characters MySQL refuses
//!   in any identifier (NUL, control characters, characters outside the Basic
//!   Multilingual Plane such as emoji) become `_` too, and names are cut to
//!   MySQL's 64 characters. Empty headers become `column_<letter>` and
//!   duplicates (compared without case, as MySQL compares column names) get
//!   `_2`, `_3`, ...: stable names, the same on every run.
//! * **Strings** are quoted with `'` and escaped for MySQL's default SQL mode:
//!   `'` → `\'`, `\` → `\\`, NUL → `\0`, newline → `\n`, carriage return →
//!   `\r`, Ctrl-Z → `\Z`.
//! * **Numbers** are bare. A column whose numbers are all integral prints them
//!   without a decimal point (`15`); a column holding any non-integral number
//!   prints every number as a decimal (`3.0`, `12.5`), as the paper's output
//!   does.
//! * **Empty cells** are `NULL`; **booleans** `TRUE` / `FALSE`; **dates** and
//!   date-times `'YYYY-MM-DD HH:MM:SS'`; times of day and durations
//!   `'HH:MM:SS'`; **error cells** (`#DIV/0!`) and **formulas saved without
//!   their result** `NULL`, with a warning comment that names the cell as
//!   Excel does (`Notas!D2`). A script lists its first
//!   [`LISTED_CELL_WARNINGS`] such cells one by one, then counts the rest in
//!   one line at its end.
//!
//! With `--create-table` the script also declares each table, with column
//! types inferred from the data ([`ColumnStats::sql_type`]), and wraps the
//! inserts in one transaction.
//!
//! These are MySQL's rules, the paper's; [`crate::dialect`] has what
//! PostgreSQL and SQLite write instead, and [`ScriptWriter`] writes the
//! script in any of the three.

use crate::dialect::Dialect;
use crate::load::IfExists;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

/// One cell's value, as the script needs it (decoded from any workbook format
/// by [`crate::workbook`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// No value: written `NULL`.
    Empty,
    /// A whole number stored as such (`.xls` and `.ods` have them).
    Int(i64),
    /// A number; always finite.
    Float(f64),
    /// Text, never empty (an empty string is [`Value::Empty`]).
    Text(Cow<'a, str>),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// A date, or a date and time, to the second.
    DateTime(DateTime),
    /// A time of day or a duration, to the second.
    Time(Time),
    /// A cell that holds an error (`#DIV/0!`) or a value MySQL cannot hold;
    /// written `NULL` with a warning comment that gives this reason.
    Error(Cow<'a, str>),
}

/// A calendar date and time of day, to the second, without a time zone (as
/// spreadsheets store them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DateTime {
    /// The date `days` days after 1970-01-01, at `seconds` past midnight
    /// (less than 86,400).
    pub fn from_days(days: i64, seconds: u32) -> Option<Self> {
        if seconds >= 86_400 {
            return None;
        }
        let (year, month, day) = civil_from_days(days)?;
        Some(Self {
            year,
            month,
            day,
            hour: (seconds / 3600) as u8,
            minute: (seconds / 60 % 60) as u8,
            second: (seconds % 60) as u8,
        })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
}

impl fmt::Display for DateTime {
    /// `YYYY-MM-DD HH:MM:SS`, MySQL's `DATETIME` literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A signed number of seconds: a time of day or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    pub seconds: i64,
}

impl Time {
    /// The largest magnitude MySQL's `TIME` type holds: `838:59:59`.
    pub const MAX_SECONDS: i64 = 838 * 3600 + 59 * 60 + 59;

    /// True if a MySQL `TIME` column can hold it.
    pub fn fits_mysql_time(&self) -> bool {
        self.seconds.abs() <= Self::MAX_SECONDS
    }

    /// The length of what it prints as (`-00:01:30`), counted rather than
    /// printed: reading a sheet counts it for every time in a column.
    pub fn literal_chars(&self) -> usize {
        let hours = self.seconds.unsigned_abs() / 3600;
        let digits = hours.checked_ilog10().map_or(1, |d| d as usize + 1);
        usize::from(self.seconds < 0) + digits.max(2) + 6
    }
}

impl fmt::Display for Time {
    /// `HH:MM:SS` (hours may exceed 24, and a duration may be negative),
    /// MySQL's `TIME` literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.seconds < 0 { "-" } else { "" };
        let s = self.seconds.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `days` days after 1970-01-01; `None` outside
/// the years 1..=9999.
pub fn civil_from_days(days: i64) -> Option<(i32, u8, u8)> {
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some((year as i32, month, day))
}

// ---------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------

/// MySQL's longest identifier, in characters.
pub const MAX_IDENT_CHARS: usize = 64;

/// Words reserved by MySQL 8 (its manual's "(R)" list) or by MariaDB 10.11
/// (every keyword that `CREATE TABLE t (<word> INT)` refuses): written bare,
/// they would be read as syntax. Sorted, for binary search.
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASENSITIVE",
    "BEFORE",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOTH",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CHANGE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONDITION",
    "CONSTRAINT",
    "CONTINUE",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELAYED",
    "DELETE",
    "DELETE_DOMAIN_ID",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISTINCT",
    "DISTINCTROW",
    "DIV",
    "DOUBLE",
    "DO_DOMAIN_IDS",
    "DROP",
    "DUAL",
    "EACH",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST_VALUE",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FROM",
    "FULLTEXT",
    "FUNCTION",
    "GENERATED",
    "GET",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IGNORE_DOMAIN_IDS",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "IS",
    "ITERATE",
    "JOIN",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MANUAL",
    "MASTER_BIND",
    "MASTER_DEMOTE_TO_REPLICA",
    "MASTER_DEMOTE_TO_SLAVE",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MATCH",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "MOD",
    "MODIFIES",
    "NATURAL",
    "NOT",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NUMERIC",
    "OF",
    "OFFSET",
    "ON",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PAGE_CHECKSUM",
    "PARALLEL",
    "PARSE_VCOL_EXPR",
    "PARTITION",
    "PERCENT_RANK",
    "PORTION",
    "PRECISION",
    "PRIMARY",
    "PROCEDURE",
    "PURGE",
    "QUALIFY",
    "RANGE",
    "RANK",
    "READ",
    "READS",
    "READ_WRITE",
    "REAL",
    "RECURSIVE",
    "REFERENCES",
    "REF_SYSTEM_ID",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURN",
    "RETURNING",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SET",
    "SHOW",
    "SIGNAL",
    "SMALLINT",
    "SPATIAL",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLE",
    "TABLESAMPLE",
    "TERMINATED",
    "THEN",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "TRAILING",
    "TRIGGER",
    "TRUE",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNSIGNED",
    "UPDATE",
    "USAGE",
    "USE",
    "USING",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARCHARACTER",
    "VARYING",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
    "_FILENAME",
];

/// True if `word` is reserved in MySQL or MariaDB (any case).
pub fn is_reserved(word: &str) -> bool {
    if word.len() > 40 || !word.is_ascii() {
        return false;
    }
    let upper = word.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

/// True if `name` can be written without backticks: ASCII letters, digits
/// and `_`, not starting with a digit (`1e5` would read as a number), and not
/// a reserved word.
pub fn is_plain(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') && !is_reserved(name)
}

/// Append `name` as an identifier: bare if plain, else in backticks (a
/// backtick inside is doubled).
pub fn push_ident(out: &mut String, name: &str) {
    if is_plain(name) {
        out.push_str(name);
    } else {
        out.push('`');
        for c in name.chars() {
            if c == '`' {
                out.push('`');
            }
            out.push(c);
        }
        out.push('`');
    }
}

/// `name` as an identifier (see [`push_ident`]).
///
/// ```
/// use xlsx_sql_bridge::sql::ident;
/// assert_eq!(ident("Trigger_ID"), "Trigger_ID");
/// assert_eq!(ident("Preço"), "`Preço`");
/// assert_eq!(ident("order"), "`order`");
/// assert_eq!(ident("2024"), "`2024`");
/// ```
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_ident(&mut out, name);
    out
}

/// A header (or `Table_` + sheet name) made into a name MySQL accepts:
/// trimmed, whitespace turned into `_`, characters MySQL refuses in
/// identifiers (NUL and other control characters, characters outside the
/// Basic Multilingual Plane) turned into `_`, at most 64 characters. May be
/// empty.
pub fn clean_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() || u32::from(c) > 0xFFFF {
                '_'
            } else {
                c
            }
        })
        .take(MAX_IDENT_CHARS)
        .collect()
}

/// Excel's letters for a 0-based column index: 0 → `A`, 27 → `AB`.
pub fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The names already used in one scope (the columns of a table, or the
/// tables of a script), compared as MySQL compares them: without case.
#[derive(Debug)]
pub struct NameSet {
    taken: HashSet<String>,
    /// The longest name in bytes, besides [`MAX_IDENT_CHARS`] characters.
    max_bytes: usize,
}

impl Default for NameSet {
    fn default() -> Self {
        Self::new()
    }
}

impl NameSet {
    /// Names for MySQL (and SQLite): at most 64 characters.
    pub fn new() -> Self {
        Self::for_dialect(Dialect::Mysql)
    }

    /// Names that also fit the dialect's limit in bytes (PostgreSQL's 63).
    pub fn for_dialect(dialect: Dialect) -> Self {
        Self {
            taken: HashSet::new(),
            max_bytes: dialect.max_ident_bytes(),
        }
    }

    /// `base` (cut to the limits) if it is free, else `base_2`, `base_3`,
    /// ... (cut so that the suffix fits); the name returned is now taken.
    pub fn claim(&mut self, base: &str) -> String {
        let whole = self.cut(base, 0);
        if self.taken.insert(whole.to_lowercase()) {
            return whole;
        }
        for n in 2u64.. {
            let suffix = format!("_{n}");
            let mut candidate = self.cut(base, suffix.len());
            candidate.push_str(&suffix);
            if self.taken.insert(candidate.to_lowercase()) {
                return candidate;
            }
        }
        unreachable!("a free name exists among the next 2^64 suffixes")
    }

    /// The start of `base` that leaves room for `suffix` ASCII characters.
    fn cut(&self, base: &str, suffix: usize) -> String {
        let max_bytes = self.max_bytes.saturating_sub(suffix);
        let mut bytes = 0;
        base.chars()
            .take(MAX_IDENT_CHARS - suffix)
            .take_while(|c| {
                bytes += c.len_utf8();
                bytes <= max_bytes
            })
            .collect()
    }
}

/// The table for a sheet, as in the paper: `Table_` + the sheet's name.
pub fn table_base_name(sheet: &str) -> String {
    clean_name(&format!("Table_{sheet}"))
}

/// A column's name from its header text; `column_<letters>` when the header
/// is empty.
pub fn column_base_name(header: Option<&str>, col: u32) -> String {
    let cleaned = header.map(clean_name).unwrap_or_default();
    if cleaned.is_empty() {
        format!("column_{}", column_letters(col))
    } else {
        cleaned
    }
}

/// Text safe inside a `-- ` comment: a line break would end the comment and
/// turn the rest into SQL, so control characters become spaces.
pub fn comment_text(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

// ---------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------

/// Append `text` as a string literal for MySQL's default SQL mode (the one
/// without `NO_BACKSLASH_ESCAPES`), as `mysql_real_escape_string` does.
///
/// ```
/// use xlsx_sql_bridge::sql::push_string;
/// let mut out = String::new();
/// push_string(&mut out, "d'Ávila \\ 1\n2");
/// assert_eq!(out, r"'d\'Ávila \\ 1\n2'");
/// ```
pub fn push_string(out: &mut String, text: &str) {
    out.push('\'');
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escaped = match b {
            b'\'' => "\\'",
            b'\\' => "\\\\",
            0 => "\\0",
            b'\n' => "\\n",
            b'\r' => "\\r",
            0x1A => "\\Z",
            _ => continue,
        };
        // Every escaped byte is ASCII, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('\'');
}

/// How a column prints its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStyle {
    /// Every number in the column is integral: `15`.
    Integer,
    /// Some number is not: every number prints as a decimal, `15.0`.
    Decimal,
}

/// The largest magnitude below which an integral `f64` converts to `i64`
/// exactly (2^63).
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// True if `f` is a whole number that fits in a `BIGINT`.
fn is_integral(f: f64) -> bool {
    f.fract() == 0.0 && f.abs() < I64_LIMIT
}

/// Append a number in the column's style.
pub fn push_number(out: &mut String, value: NumberLiteral, style: NumberStyle) {
    match (value, style) {
        (NumberLiteral::Int(i), NumberStyle::Integer) => push_int(out, i),
        (NumberLiteral::Int(i), NumberStyle::Decimal) => {
            push_int(out, i);
            out.push_str(".0");
        }
        (NumberLiteral::Float(f), NumberStyle::Integer) if is_integral(f) => {
            push_int(out, f as i64);
        }
        // `{:?}` is Rust's shortest representation that reads back as the
        // same f64, and keeps the `.0` of integral values: `3.0`, `0.1`,
        // `1e16`; all of them are valid MySQL literals. The pattern `0.0`
        // also matches `-0.0`, which prints as 0.0.
        (NumberLiteral::Float(0.0), _) => out.push_str("0.0"),
        (NumberLiteral::Float(f), _) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{f:?}");
        }
    }
}

/// Append `i` as `{i}` prints it. The script has a number in most of its
/// cells, so numbers are written digit by digit rather than through the
/// formatting machinery (`write!`), which costs several times as much.
fn push_int(out: &mut String, i: i64) {
    if i < 0 {
        out.push('-');
    }
    push_padded(out, i.unsigned_abs(), 1);
}

/// Append `n` with at least `width` digits (zeros in front), as `{n:0width$}`
/// prints it.
fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in digits.len() - start..width {
        out.push('0');
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Append a date-time literal, `'YYYY-MM-DD HH:MM:SS'` (as [`DateTime`]'s
/// `Display` prints it, quoted).
fn push_datetime(out: &mut String, dt: &DateTime) {
    let Ok(year) = u64::try_from(dt.year) else {
        use std::fmt::Write as _;
        let _ = write!(out, "'{dt}'");
        return;
    };
    out.push('\'');
    push_padded(out, year, 4);
    for (sep, n) in [
        ('-', dt.month),
        ('-', dt.day),
        (' ', dt.hour),
        (':', dt.minute),
        (':', dt.second),
    ] {
        out.push(sep);
        push_padded(out, u64::from(n), 2);
    }
    out.push('\'');
}

/// Append a time literal, `'HH:MM:SS'` (as [`Time`]'s `Display` prints it,
/// quoted).
fn push_time(out: &mut String, t: &Time) {
    out.push('\'');
    if t.seconds < 0 {
        out.push('-');
    }
    let s = t.seconds.unsigned_abs();
    push_padded(out, s / 3600, 2);
    out.push(':');
    push_padded(out, s / 60 % 60, 2);
    out.push(':');
    push_padded(out, s % 60, 2);
    out.push('\'');
}

/// A number as it came from the workbook.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberLiteral {
    Int(i64),
    Float(f64),
}

/// Append one value as a SQL literal of `dialect`; an error cell is `NULL`
/// (the caller writes the warning, and turns a text the dialect cannot hold
/// into an error first: see [`Dialect::holds_text`]).
pub fn push_value(out: &mut String, value: &Value<'_>, style: NumberStyle, dialect: Dialect) {
    match value {
        Value::Empty | Value::Error(_) => out.push_str("NULL"),
        Value::Int(i) => push_number(out, NumberLiteral::Int(*i), style),
        Value::Float(f) => push_number(out, NumberLiteral::Float(*f), style),
        Value::Text(text) => dialect.push_string(out, text),
        Value::Bool(true) => out.push_str("TRUE"),
        Value::Bool(false) => out.push_str("FALSE"),
        Value::DateTime(dt) => push_datetime(out, dt),
        Value::Time(t) => push_time(out, t),
    }
}

// ---------------------------------------------------------------------------
// Column types
// ---------------------------------------------------------------------------

/// A column type of `CREATE TABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Int,
    BigInt,
    Double,
    Boolean,
    DateTime,
    Time,
    /// At most 255 characters.
    Varchar(u32),
    /// Up to 65,535 bytes.
    Text,
    /// Up to 16 MiB: a cell longer than `TEXT` holds (Excel allows 32,767
    /// characters, up to 4 bytes each in utf8mb4).
    MediumText,
    /// PostgreSQL's duration, for times that are not a time of day (MySQL's
    /// `TIME` holds those itself).
    Interval,
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Int => f.write_str("INT"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::DateTime => f.write_str("DATETIME"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::Varchar(n) => write!(f, "VARCHAR({n})"),
            SqlType::Text => f.write_str("TEXT"),
            SqlType::MediumText => f.write_str("MEDIUMTEXT"),
            SqlType::Interval => f.write_str("INTERVAL"),
        }
    }
}

/// The longest `VARCHAR` inferred; longer text gets `TEXT`.
pub const MAX_VARCHAR: u32 = 255;

impl SqlType {
    /// Bytes the column may take inside an InnoDB record (the check behind
    /// "Row size too large (> 8126)"): a `VARCHAR` of at most 255 bytes is
    /// always stored inline; longer ones and `TEXT` can move off the page and
    /// leave a 20-byte pointer (plus the length).
    fn inline_bytes(self) -> usize {
        match self {
            SqlType::Int => 4,
            SqlType::BigInt | SqlType::Double | SqlType::DateTime => 8,
            SqlType::Time | SqlType::Interval => 6,
            SqlType::Boolean => 1,
            SqlType::Varchar(n) if n as usize * 4 <= 255 => n as usize * 4 + 1,
            SqlType::Varchar(_) | SqlType::Text | SqlType::MediumText => 22,
        }
    }

    /// Bytes the column counts toward MySQL's 65,535-byte row limit, which
    /// counts a `VARCHAR` at its full utf8mb4 width and `TEXT` as a pointer.
    fn row_bytes(self) -> usize {
        match self {
            SqlType::Varchar(n) => n as usize * 4 + 2,
            SqlType::Text | SqlType::MediumText => 12,
            other => other.inline_bytes(),
        }
    }
}

/// InnoDB's limit on a record's inline bytes (for 16 KiB pages), less a
/// margin for the record header.
const INNODB_INLINE_LIMIT: usize = 8126 - 64;
/// MySQL's limit on a row's bytes, less a margin for the null bitmap.
const MYSQL_ROW_LIMIT: usize = 65_535 - 2048;

/// Turn the widest `VARCHAR` columns into `TEXT` until the row fits MySQL's
/// and InnoDB's row-size limits, which refuse `CREATE TABLE` otherwise (40
/// columns of `VARCHAR(60)` in utf8mb4 already do). Returns false if the
/// row still does not fit (thousands of numeric columns).
pub fn fit_row(types: &mut [SqlType]) -> bool {
    loop {
        let inline: usize = types.iter().map(|t| t.inline_bytes()).sum();
        let row: usize = types.iter().map(|t| t.row_bytes()).sum();
        if inline <= INNODB_INLINE_LIMIT && row <= MYSQL_ROW_LIMIT {
            return true;
        }
        let widest = types
            .iter_mut()
            .filter(|t| matches!(t, SqlType::Varchar(n) if *n > 5))
            .max_by_key(|t| t.row_bytes());
        match widest {
            Some(t) => *t = SqlType::Text,
            None => return false,
        }
    }
}

/// What one column holds, gathered while its sheet is read; decides
/// how the column prints numbers and which type it gets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStats {
    /// Numbers of any kind.
    pub numbers: u64,
    /// Numbers that are not integral (or too large for `BIGINT`).
    pub non_integral: u64,
    /// The smallest and largest integral number, when `numbers > 0`.
    pub int_range: Option<(i64, i64)>,
    pub texts: u64,
    pub max_text_chars: usize,
    pub max_text_bytes: usize,
    pub bools: u64,
    pub datetimes: u64,
    pub times: u64,
    /// Times beyond MySQL's `TIME` range (±838:59:59).
    pub long_times: u64,
    /// Times that are not a time of day (negative, or 24 hours or more),
    /// which PostgreSQL's `TIME` cannot hold.
    pub durations: u64,
    pub errors: u64,
    /// The longest literal a non-text value prints as (for a mixed column,
    /// which becomes `VARCHAR`).
    pub max_literal_chars: usize,
}

impl ColumnStats {
    /// Count one value.
    pub fn add(&mut self, value: &Value<'_>) {
        match value {
            Value::Empty => {}
            Value::Int(i) => self.add_integral(*i, 20),
            Value::Float(f) if is_integral(*f) => self.add_integral(*f as i64, 24),
            Value::Float(_) => {
                self.numbers += 1;
                self.non_integral += 1;
                self.literal(24);
            }
            Value::Text(text) => {
                self.texts += 1;
                self.max_text_chars = self.max_text_chars.max(text.chars().count());
                self.max_text_bytes = self.max_text_bytes.max(text.len());
            }
            Value::Bool(_) => {
                self.bools += 1;
                self.literal(5);
            }
            Value::DateTime(_) => {
                self.datetimes += 1;
                self.literal(19);
            }
            Value::Time(t) => {
                self.times += 1;
                if !t.fits_mysql_time() {
                    self.long_times += 1;
                }
                if !(0..86_400).contains(&t.seconds) {
                    self.durations += 1;
                }
                self.literal(t.literal_chars());
            }
            Value::Error(_) => self.errors += 1,
        }
    }

    fn add_integral(&mut self, i: i64, width: usize) {
        self.numbers += 1;
        self.int_range = Some(match self.int_range {
            None => (i, i),
            Some((lo, hi)) => (lo.min(i), hi.max(i)),
        });
        self.literal(width);
    }

    fn literal(&mut self, chars: usize) {
        self.max_literal_chars = self.max_literal_chars.max(chars);
    }

    /// How the column prints its numbers.
    pub fn number_style(&self) -> NumberStyle {
        if self.non_integral > 0 {
            NumberStyle::Decimal
        } else {
            NumberStyle::Integer
        }
    }

    /// The type inferred for the column: one kind of value gives its type
    /// (`INT`/`BIGINT`, `DOUBLE`, `BOOLEAN`, `DATETIME`, `TIME`); text, or a
    /// mix of kinds, gives `VARCHAR(n)` with `n` the longest value (or
    /// `TEXT` beyond 255 characters); a column without values gives `TEXT`.
    pub fn sql_type(&self) -> SqlType {
        self.sql_type_for(Dialect::Mysql)
    }

    /// The type inferred for the column in `dialect`: as
    /// [`ColumnStats::sql_type`], but a PostgreSQL column of times that are
    /// not all times of day is an `INTERVAL`, and SQLite's `TIME` holds any.
    pub fn sql_type_for(&self, dialect: Dialect) -> SqlType {
        let kinds = [
            self.numbers,
            self.texts,
            self.bools,
            self.datetimes,
            self.times,
        ]
        .iter()
        .filter(|&&n| n > 0)
        .count();
        if kinds == 1 && self.texts == 0 {
            if self.numbers > 0 {
                return match (self.number_style(), self.int_range) {
                    (NumberStyle::Integer, Some((lo, hi)))
                        if lo >= i64::from(i32::MIN) && hi <= i64::from(i32::MAX) =>
                    {
                        SqlType::Int
                    }
                    (NumberStyle::Integer, _) => SqlType::BigInt,
                    (NumberStyle::Decimal, _) => SqlType::Double,
                };
            }
            if self.bools > 0 {
                return SqlType::Boolean;
            }
            if self.datetimes > 0 {
                return SqlType::DateTime;
            }
            match dialect {
                Dialect::Mysql if self.long_times == 0 => return SqlType::Time,
                Dialect::Mysql => {}
                Dialect::Postgres if self.durations > 0 => return SqlType::Interval,
                Dialect::Postgres | Dialect::Sqlite => return SqlType::Time,
            }
        }
        if kinds == 0 {
            return SqlType::Text;
        }
        self.text_type()
    }

    /// The type of the column as text: `VARCHAR(n)` with `n` the longest
    /// value as text (the longest literal, for a value that is not text),
    /// `TEXT` beyond 255 characters, `MEDIUMTEXT` beyond 64 KiB.
    pub fn text_type(&self) -> SqlType {
        if self.max_text_bytes > 65_535 {
            return SqlType::MediumText;
        }
        let chars = self.max_text_chars.max(self.max_literal_chars).max(1);
        match u32::try_from(chars) {
            Ok(n) if n <= MAX_VARCHAR => SqlType::Varchar(n),
            _ => SqlType::Text,
        }
    }
}

// ---------------------------------------------------------------------------
// Tables and the script
// ---------------------------------------------------------------------------

/// One column of a table: its identifier as written in the script, where
/// its values come from, and how they print.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The name, unquoted (see [`ident`] for how it is written).
    pub name: String,
    /// The 0-based column of the sheet the values come from.
    pub source: u32,
    pub style: NumberStyle,
    pub sql_type: SqlType,
    /// The type chosen by hand (`--types`, `--no-inference`): every value
    /// is made to fit it before it is written.
    pub forced: Option<crate::shape::ColumnType>,
}

/// One sheet as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name in the workbook.
    pub sheet: String,
    /// The table's name, unquoted.
    pub name: String,
    pub columns: Vec<Column>,
    /// The data rows (non-empty rows below the header).
    pub rows: u64,
    /// The sheet's 0-based row that names the columns.
    pub header_row: u32,
    /// The header cells that hold no name: an error, or a formula saved
    /// without its result (0-based column, and why).
    pub header_errors: Vec<(u32, String)>,
    /// The `CREATE TABLE` row does not fit MySQL's row-size limits even
    /// with every long column as `TEXT`.
    pub too_wide: bool,
}

/// What the script looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptOptions {
    /// Rows per `INSERT` (1: one statement per row, as in the paper).
    pub batch: usize,
    /// Declare the tables (`CREATE TABLE IF NOT EXISTS`) and wrap the
    /// inserts in a transaction.
    pub create_table: bool,
    /// The SQL dialect (MySQL, the paper's, by default).
    pub dialect: Dialect,
    /// With `create_table`, what a table that exists already meets:
    /// `None` (as the paper's scripts have always done) and `Append` write
    /// `CREATE TABLE IF NOT EXISTS`, `Fail` a plain `CREATE TABLE` (the
    /// database refuses it), `Replace` `DROP TABLE IF EXISTS` first.
    pub if_exists: Option<IfExists>,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        Self {
            batch: 1,
            create_table: false,
            dialect: Dialect::Mysql,
            if_exists: None,
        }
    }
}

/// The most cell warnings a script lists one by one; one line at its end
/// counts the others, so that a sheet of a million formulas saved without
/// their results does not make a million lines.
pub const LISTED_CELL_WARNINGS: u64 = 100;

/// A cell as Excel refers to it: `Notas!D2`, `'Plan 1'!C3` (a sheet name
/// that is not a plain word, or that reads like a cell, is quoted, with its
/// quotes doubled). `col` and `row` are 0-based.
///
/// ```
/// use xlsx_sql_bridge::sql::cell_ref;
/// assert_eq!(cell_ref("Notas", 3, 1), "Notas!D2");
/// assert_eq!(cell_ref("Plan 1", 2, 2), "'Plan 1'!C3");
/// assert_eq!(cell_ref("d'Ávila", 0, 0), "'d''Ávila'!A1");
/// ```
pub fn cell_ref(sheet: &str, col: u32, row: u32) -> String {
    let plain = sheet
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && sheet
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !reads_like_a_cell(sheet);
    let cell = format!("{}{}", column_letters(col), u64::from(row) + 1);
    if plain {
        format!("{sheet}!{cell}")
    } else {
        format!("'{}'!{cell}", sheet.replace('\'', "''"))
    }
}

/// True if `name` could be taken for a cell (`A1`, `XFD1048576`) or an
/// R1C1 reference (`R2C3`, `R`, `C`): Excel quotes such sheet names.
fn reads_like_a_cell(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let letters = upper.bytes().take_while(u8::is_ascii_alphabetic).count();
    let a1 = (1..=3).contains(&letters) && letters < upper.len() && digits(&upper[letters..]);
    let column = |s: &str| s.strip_prefix('C').is_some_and(digits);
    let r1c1 = match upper.strip_prefix('R') {
        Some(rest) => {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            rest.is_empty() || column(rest)
        }
        None => column(&upper),
    };
    a1 || r1c1
}

/// `CREATE TABLE` (with `IF NOT EXISTS` if `if_not_exists`) for `table`
/// in `dialect`, one column a line, ending with `;`.
pub fn create_table_statement(table: &Table, dialect: Dialect, if_not_exists: bool) -> String {
    let mut out = String::from(if if_not_exists {
        "CREATE TABLE IF NOT EXISTS "
    } else {
        "CREATE TABLE "
    });
    dialect.push_ident(&mut out, &table.name);
    out.push_str(" (\n");
    for (i, column) in table.columns.iter().enumerate() {
        out.push_str("  ");
        dialect.push_ident(&mut out, &column.name);
        out.push(' ');
        out.push_str(&dialect.type_name(column.sql_type));
        if i + 1 < table.columns.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push(')');
    out.push_str(dialect.table_options());
    out.push(';');
    out
}

/// Writes the script, statement by statement, to any writer: the bytes go
/// out as they are made (in 64 KiB pieces), so a script of any length takes
/// the same small memory.
pub struct ScriptWriter<W: Write> {
    out: W,
    buf: String,
    options: ScriptOptions,
    /// `INSERT INTO t (a, b) VALUES` for the current table.
    insert_prefix: String,
    /// The rows of the current batch, and the warnings about them.
    batch_rows: String,
    batch_len: usize,
    batch_warnings: String,
    warnings: u64,
    /// Cell warnings listed so far, and those only counted.
    listed: u64,
    unlisted: u64,
}

const FLUSH_AT: usize = 64 * 1024;

impl<W: Write> ScriptWriter<W> {
    pub fn new(out: W, options: ScriptOptions) -> Self {
        Self {
            out,
            buf: String::with_capacity(FLUSH_AT + 4096),
            options: ScriptOptions {
                batch: options.batch.max(1),
                ..options
            },
            insert_prefix: String::new(),
            batch_rows: String::new(),
            batch_len: 0,
            batch_warnings: String::new(),
            warnings: 0,
            listed: 0,
            unlisted: 0,
        }
    }

    /// The warnings so far, listed one by one or counted.
    pub fn warnings(&self) -> u64 {
        self.warnings
    }

    /// The comment line that warns about the cell `at` (sheet, 0-based
    /// column and row): `reason`, then what became of the cell. Past the
    /// first [`LISTED_CELL_WARNINGS`], none: the warning is only counted.
    fn cell_warning(
        &mut self,
        at: (&str, u32, u32),
        reason: &str,
        outcome: &str,
    ) -> Option<String> {
        self.warnings += 1;
        if self.listed >= LISTED_CELL_WARNINGS {
            self.unlisted += 1;
            return None;
        }
        self.listed += 1;
        let (sheet, col, row) = at;
        Some(format!(
            "-- warning: {}: {}; {outcome}\n",
            comment_text(&cell_ref(sheet, col, row)),
            comment_text(reason)
        ))
    }

    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// The top of the script: where it came from, the client's encoding
    /// (`SET NAMES utf8mb4` for MySQL), and with `create_table` the tables
    /// and the start of the transaction.
    pub fn preamble(&mut self, source: Option<&str>, tables: &[Table]) -> io::Result<()> {
        let dialect = self.options.dialect;
        match source {
            Some(name) => self.line(&format!(
                "-- {} script generated by xlsx-sql-bridge from {}",
                dialect.product(),
                comment_text(name)
            )),
            None => self.line(&format!(
                "-- {} script generated by xlsx-sql-bridge",
                dialect.product()
            )),
        }
        if let Some(statement) = dialect.set_encoding() {
            self.line(statement);
        }
        if self.options.create_table {
            for table in tables.iter().filter(|t| !t.columns.is_empty()) {
                self.create_table(table);
            }
            self.buf.push('\n');
            self.line(dialect.begin());
        }
        self.flush_if_full()
    }

    fn line(&mut self, text: &str) {
        self.buf.push_str(text);
        self.buf.push('\n');
    }

    fn create_table(&mut self, table: &Table) {
        let dialect = self.options.dialect;
        self.buf.push('\n');
        if table.too_wide {
            let holds = match dialect {
                Dialect::Mysql => "a MySQL row holds".to_owned(),
                _ => format!("a {} table holds", dialect.product()),
            };
            self.line(&format!(
                "-- warning: sheet '{}' has more columns than {holds}; CREATE TABLE may fail",
                comment_text(&table.sheet)
            ));
            self.warnings += 1;
        }
        if self.options.if_exists == Some(IfExists::Replace) {
            self.buf.push_str("DROP TABLE IF EXISTS ");
            dialect.push_ident(&mut self.buf, &table.name);
            self.buf.push_str(";\n");
        }
        let if_not_exists = matches!(self.options.if_exists, None | Some(IfExists::Append));
        self.buf
            .push_str(&create_table_statement(table, dialect, if_not_exists));
        self.buf.push('\n');
    }

    /// Start the inserts of one table.
    pub fn begin_table(&mut self, table: &Table) -> io::Result<()> {
        self.buf.push('\n');
        if table.columns.is_empty() {
            self.line(&format!(
                "-- sheet '{}' is empty: no table",
                comment_text(&table.sheet)
            ));
        } else {
            let rows = if table.rows == 1 { "row" } else { "rows" };
            self.line(&format!(
                "-- sheet '{}': {} {rows}",
                comment_text(&table.sheet),
                table.rows
            ));
            for (col, reason) in &table.header_errors {
                let dialect = self.options.dialect;
                let named = table.columns.iter().find(|c| c.source == *col).map_or_else(
                    || "the column is left out".to_owned(),
                    |c| format!("the column is named {}", dialect.ident(&c.name)),
                );
                let at = (table.sheet.as_str(), *col, table.header_row);
                if let Some(warning) = self.cell_warning(at, reason, &named) {
                    self.buf.push_str(&warning);
                }
            }
        }
        self.insert_prefix.clear();
        let dialect = self.options.dialect;
        self.insert_prefix.push_str("INSERT INTO ");
        dialect.push_ident(&mut self.insert_prefix, &table.name);
        self.insert_prefix.push_str(" (");
        for (i, column) in table.columns.iter().enumerate() {
            if i > 0 {
                self.insert_prefix.push_str(", ");
            }
            dialect.push_ident(&mut self.insert_prefix, &column.name);
        }
        self.insert_prefix.push_str(") VALUES");
        self.flush_if_full()
    }

    /// One data row: `values[i]` is the value of `table.columns[i]`;
    /// `row` is the sheet's 0-based row, for warnings.
    pub fn row(&mut self, table: &Table, row: u32, values: &[&Value<'_>]) -> io::Result<()> {
        let dialect = self.options.dialect;
        let row_text = &mut self.batch_rows;
        if self.batch_len > 0 {
            row_text.push_str(",\n  ");
        } else if self.options.batch > 1 {
            row_text.push_str("\n  ");
        } else {
            row_text.push(' ');
        }
        row_text.push('(');
        let mut refused = false;
        for (i, (column, value)) in table.columns.iter().zip(values).enumerate() {
            if i > 0 {
                row_text.push_str(", ");
            }
            match value {
                Value::Text(text) if !dialect.holds_text(text) => {
                    refused = true;
                    row_text.push_str("NULL");
                }
                _ => push_value(row_text, value, column.style, dialect),
            }
        }
        self.batch_rows.push(')');
        for (column, value) in table.columns.iter().zip(values) {
            let reason = match value {
                Value::Error(reason) => reason.as_ref(),
                Value::Text(text) if refused && !dialect.holds_text(text) => {
                    "a text with the NUL character, which PostgreSQL cannot store"
                }
                _ => continue,
            };
            let at = (table.sheet.as_str(), column.source, row);
            if let Some(warning) = self.cell_warning(at, reason, "written as NULL") {
                self.batch_warnings.push_str(&warning);
            }
        }
        self.batch_len += 1;
        if self.batch_len >= self.options.batch {
            self.end_batch();
        }
        self.flush_if_full()
    }

    fn end_batch(&mut self) {
        if self.batch_len == 0 {
            return;
        }
        self.buf.push_str(&self.batch_warnings);
        self.buf.push_str(&self.insert_prefix);
        self.buf.push_str(&self.batch_rows);
        self.buf.push_str(";\n");
        self.batch_rows.clear();
        self.batch_warnings.clear();
        self.batch_len = 0;
    }

    /// End the current table's inserts (writes a partial last batch).
    pub fn end_table(&mut self) -> io::Result<()> {
        self.end_batch();
        self.flush_if_full()
    }

    /// End the script (`COMMIT` with `create_table`), flush, and hand back
    /// the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.end_batch();
        if self.unlisted > 0 {
            self.line(&format!(
                "-- warning: {} more cells written as NULL are not listed (a script lists the first \
                 {LISTED_CELL_WARNINGS})",
                self.unlisted
            ));
        }
        if self.options.create_table {
            self.buf.push('\n');
            self.line("COMMIT;");
        }
        self.out.write_all(self.buf.as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_for_binary_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(is_reserved("order") && is_reserved("Select") && is_reserved("OFFSET"));
        assert!(!is_reserved("Animal") && !is_reserved("name"));
    }

    #[test]
    fn plain_names_stay_bare_and_others_get_backticks() {
        for bare in ["Trigger_ID", "_x", "Temp", "a1"] {
            assert_eq!(ident(bare), bare);
        }
        assert_eq!(ident("order"), "`order`");
        assert_eq!(ident("Preço"), "`Preço`");
        assert_eq!(ident("1e5"), "`1e5`");
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(ident("a-b"), "`a-b`");
        assert_eq!(ident("price$"), "`price$`");
    }

    #[test]
    fn names_are_cleaned_as_mysql_needs() {
        assert_eq!(clean_name("  Height from ground "), "Height_from_ground");
        assert_eq!(clean_name("a\tb\nc"), "a_b_c");
        assert_eq!(clean_name("nul\0"), "nul_");
        assert_eq!(clean_name("😀 humor"), "__humor");
        assert_eq!(clean_name(&"x".repeat(70)).chars().count(), 64);
        assert_eq!(clean_name("   "), "");
    }

    #[test]
    fn duplicates_get_stable_suffixes_without_case() {
        let mut names = NameSet::new();
        assert_eq!(names.claim("Name"), "Name");
        assert_eq!(names.claim("name"), "name_2");
        assert_eq!(names.claim("NAME"), "NAME_3");
        assert_eq!(names.claim("name_2"), "name_2_2");
        let long = "y".repeat(64);
        let second = names.claim(&long);
        assert_eq!(second, long);
        let third = names.claim(&long);
        assert_eq!(third.chars().count(), 64);
        assert!(third.ends_with("_2"));
    }

    #[test]
    fn empty_headers_are_named_after_their_column() {
        assert_eq!(column_base_name(None, 7), "column_H");
        assert_eq!(column_base_name(Some(" "), 27), "column_AB");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn strings_escape_every_special_byte() {
        let mut out = String::new();
        push_string(&mut out, "a'b\\c\0d\ne\rf\x1ag\"h\ti");
        assert_eq!(out, "'a\\'b\\\\c\\0d\\ne\\rf\\Zg\"h\ti'");
    }

    #[test]
    fn numbers_follow_their_columns_style() {
        let show = |value: NumberLiteral, style| {
            let mut out = String::new();
            push_number(&mut out, value, style);
            out
        };
        use NumberLiteral::{Float, Int};
        use NumberStyle::{Decimal, Integer};
        assert_eq!(show(Float(15.0), Integer), "15");
        assert_eq!(show(Float(15.0), Decimal), "15.0");
        assert_eq!(show(Int(-3), Decimal), "-3.0");
        assert_eq!(show(Float(0.1 + 0.2), Decimal), "0.30000000000000004");
        assert_eq!(show(Float(-0.0), Decimal), "0.0");
        assert_eq!(show(Float(1e20), Decimal), "1e20");
    }

    #[test]
    fn literals_print_as_their_display_does() {
        let mut seconds = vec![0, 1, -1, 59, -90, 3599, 3600, 86_399, 36 * 3600 + 61];
        seconds.extend([Time::MAX_SECONDS, -Time::MAX_SECONDS, 99 * 3600, 100 * 3600]);
        seconds.extend([1_000_000_000_000, i64::MAX, i64::MIN, i64::MIN + 1]);
        for s in seconds {
            let t = Time { seconds: s };
            let mut out = String::new();
            push_time(&mut out, &t);
            assert_eq!(out, format!("'{t}'"));
            assert_eq!(t.literal_chars(), t.to_string().len(), "{t}");
        }
        for (days, secs) in [(0, 0), (-719_162, 1), (2_932_896, 86_399), (19_782, 45_296)] {
            let dt = DateTime::from_days(days, secs).expect("a date");
            let mut out = String::new();
            push_datetime(&mut out, &dt);
            assert_eq!(out, format!("'{dt}'"));
        }
        let odd = DateTime {
            year: -12,
            month: 1,
            day: 2,
            hour: 3,
            minute: 4,
            second: 5,
        };
        let mut out = String::new();
        push_datetime(&mut out, &odd);
        assert_eq!(out, format!("'{odd}'"));
        for i in [0, 1, -1, 9, 10, 99, 100, i64::MAX, i64::MIN, 1_234_567_890] {
            let mut out = String::new();
            push_number(&mut out, NumberLiteral::Int(i), NumberStyle::Integer);
            assert_eq!(out, format!("{i}"));
            out.clear();
            push_number(&mut out, NumberLiteral::Int(i), NumberStyle::Decimal);
            assert_eq!(out, format!("{i}.0"));
        }
    }

    #[test]
    fn times_and_dates_print_as_mysql_reads_them() {
        assert_eq!(
            Time {
                seconds: 36 * 3600 + 61
            }
            .to_string(),
            "36:01:01"
        );
        assert_eq!(Time { seconds: -90 }.to_string(), "-00:01:30");
        let dt = DateTime::from_days(days_from_civil(2024, 2, 29), 3661).expect("a date");
        assert_eq!(dt.to_string(), "2024-02-29 01:01:01");
        assert_eq!(civil_from_days(dt.days()), Some((2024, 2, 29)));
        assert_eq!(civil_from_days(days_from_civil(10_000, 1, 1)), None);
    }

    fn stats(values: &[Value<'_>]) -> ColumnStats {
        let mut stats = ColumnStats::default();
        for v in values {
            stats.add(v);
        }
        stats
    }

    #[test]
    fn types_are_inferred_from_the_values() {
        use Value::{Bool, Empty, Float, Int, Text};
        let text = |s: &'static str| Text(Cow::Borrowed(s));
        assert_eq!(stats(&[Float(1.0), Int(2), Empty]).sql_type(), SqlType::Int);
        assert_eq!(stats(&[Float(3e9)]).sql_type(), SqlType::BigInt);
        assert_eq!(stats(&[Float(1.0), Float(2.5)]).sql_type(), SqlType::Double);
        assert_eq!(stats(&[Float(1e19)]).sql_type(), SqlType::Double);
        assert_eq!(stats(&[Bool(true)]).sql_type(), SqlType::Boolean);
        assert_eq!(
            stats(&[text("ab"), text("ação")]).sql_type(),
            SqlType::Varchar(4)
        );
        let long = "x".repeat(300);
        assert_eq!(
            stats(&[Text(Cow::Borrowed(&long))]).sql_type(),
            SqlType::Text
        );
        assert_eq!(
            stats(&[text("a"), Float(12.5)]).sql_type(),
            SqlType::Varchar(24)
        );
        assert_eq!(stats(&[Empty]).sql_type(), SqlType::Text);
        assert_eq!(
            stats(&[Value::Time(Time {
                seconds: 839 * 3600
            })])
            .sql_type(),
            SqlType::Varchar(9)
        );
        assert_eq!(
            stats(&[Value::Error(Cow::Borrowed("#N/A")), Int(1)]).sql_type(),
            SqlType::Int
        );
    }

    #[test]
    fn wide_rows_move_long_columns_to_text() {
        let mut types = vec![SqlType::Varchar(60); 60];
        assert!(fit_row(&mut types));
        assert!(types.contains(&SqlType::Text));
        assert!(
            types.contains(&SqlType::Varchar(60)),
            "only as many as needed"
        );
        let mut numbers = vec![SqlType::Double; 2000];
        assert!(!fit_row(&mut numbers), "nothing to move: too wide");
    }

    fn table() -> Table {
        Table {
            sheet: "Plan 1".into(),
            name: "Table_Plan_1".into(),
            columns: vec![
                Column {
                    name: "n".into(),
                    source: 0,
                    style: NumberStyle::Integer,
                    sql_type: SqlType::Int,
                    forced: None,
                },
                Column {
                    name: "order".into(),
                    source: 2,
                    style: NumberStyle::Integer,
                    sql_type: SqlType::Varchar(3),
                    forced: None,
                },
            ],
            rows: 3,
            header_row: 0,
            header_errors: Vec::new(),
            too_wide: false,
        }
    }

    fn write(options: ScriptOptions) -> String {
        let t = table();
        let mut w = ScriptWriter::new(Vec::new(), options);
        w.preamble(Some("livro\n.xlsx"), std::slice::from_ref(&t))
            .expect("write");
        w.begin_table(&t).expect("write");
        let rows = [
            [Value::Int(1), Value::Text(Cow::Borrowed("a"))],
            [Value::Int(2), Value::Error(Cow::Borrowed("#N/A"))],
            [Value::Int(3), Value::Empty],
        ];
        for (i, row) in rows.iter().enumerate() {
            let refs: Vec<&Value<'_>> = row.iter().collect();
            w.row(&t, i as u32 + 1, &refs).expect("write");
        }
        w.end_table().expect("write");
        String::from_utf8(w.finish().expect("finish")).expect("UTF-8")
    }

    #[test]
    fn one_insert_per_row_by_default() {
        let script = write(ScriptOptions::default());
        assert_eq!(
            script,
            "-- MySQL script generated by xlsx-sql-bridge from livro .xlsx\n\
             SET NAMES utf8mb4;\n\
             \n\
             -- sheet 'Plan 1': 3 rows\n\
             INSERT INTO Table_Plan_1 (n, `order`) VALUES (1, 'a');\n\
             -- warning: 'Plan 1'!C3: #N/A; written as NULL\n\
             INSERT INTO Table_Plan_1 (n, `order`) VALUES (2, NULL);\n\
             INSERT INTO Table_Plan_1 (n, `order`) VALUES (3, NULL);\n"
        );
    }

    #[test]
    fn batches_and_create_table() {
        let script = write(ScriptOptions {
            batch: 2,
            create_table: true,
            ..ScriptOptions::default()
        });
        assert!(script.contains(
            "CREATE TABLE IF NOT EXISTS Table_Plan_1 (\n  n INT,\n  `order` VARCHAR(3)\n) DEFAULT CHARSET=utf8mb4;\n\nSTART TRANSACTION;\n"
        ), "{script}");
        assert!(
            script.contains(
                "-- warning: 'Plan 1'!C3: #N/A; written as NULL\n\
             INSERT INTO Table_Plan_1 (n, `order`) VALUES\n  (1, 'a'),\n  (2, NULL);\n\
             INSERT INTO Table_Plan_1 (n, `order`) VALUES\n  (3, NULL);\n\nCOMMIT;\n"
            ),
            "{script}"
        );
    }

    #[test]
    fn a_postgres_script_quotes_with_double_quotes_and_begins() {
        let script = write(ScriptOptions {
            batch: 2,
            create_table: true,
            dialect: Dialect::Postgres,
            if_exists: None,
        });
        assert_eq!(
            script,
            "-- PostgreSQL script generated by xlsx-sql-bridge from livro .xlsx\n\
             SET client_encoding = 'UTF8';\n\
             \n\
             CREATE TABLE IF NOT EXISTS \"Table_Plan_1\" (\n  n INTEGER,\n  \"order\" VARCHAR(3)\n);\n\
             \n\
             BEGIN;\n\
             \n\
             -- sheet 'Plan 1': 3 rows\n\
             -- warning: 'Plan 1'!C3: #N/A; written as NULL\n\
             INSERT INTO \"Table_Plan_1\" (n, \"order\") VALUES\n  (1, 'a'),\n  (2, NULL);\n\
             INSERT INTO \"Table_Plan_1\" (n, \"order\") VALUES\n  (3, NULL);\n\
             \n\
             COMMIT;\n"
        );
    }

    #[test]
    fn an_sqlite_script_sets_no_encoding() {
        let script = write(ScriptOptions {
            dialect: Dialect::Sqlite,
            ..ScriptOptions::default()
        });
        assert_eq!(
            script,
            "-- SQLite script generated by xlsx-sql-bridge from livro .xlsx\n\
             \n\
             -- sheet 'Plan 1': 3 rows\n\
             INSERT INTO Table_Plan_1 (n, \"order\") VALUES (1, 'a');\n\
             -- warning: 'Plan 1'!C3: #N/A; written as NULL\n\
             INSERT INTO Table_Plan_1 (n, \"order\") VALUES (2, NULL);\n\
             INSERT INTO Table_Plan_1 (n, \"order\") VALUES (3, NULL);\n"
        );
    }

    #[test]
    fn a_nul_that_postgres_cannot_store_is_a_warned_null() {
        let t = table();
        let nul = Value::Text(Cow::Borrowed("a\0b"));
        let mut scripts = Vec::new();
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let mut w = ScriptWriter::new(
                Vec::new(),
                ScriptOptions {
                    dialect,
                    ..ScriptOptions::default()
                },
            );
            w.begin_table(&t).expect("write");
            w.row(&t, 4, &[&Value::Int(1), &nul]).expect("write");
            assert_eq!(w.warnings(), u64::from(dialect == Dialect::Postgres));
            scripts.push(String::from_utf8(w.finish().expect("finish")).expect("UTF-8"));
        }
        assert!(
            scripts[0].ends_with(
                "-- warning: 'Plan 1'!C5: a text with the NUL character, which PostgreSQL \
                 cannot store; written as NULL\n\
                 INSERT INTO \"Table_Plan_1\" (n, \"order\") VALUES (1, NULL);\n"
            ),
            "{}",
            scripts[0]
        );
        assert!(
            scripts[1].ends_with("VALUES (1, 'a' || char(0) || 'b');\n"),
            "{}",
            scripts[1]
        );
    }

    #[test]
    fn durations_are_an_interval_in_postgres_only() {
        let times = stats(&[
            Value::Time(Time { seconds: 3600 }),
            Value::Time(Time { seconds: -90 }),
        ]);
        assert_eq!(times.sql_type(), SqlType::Time);
        assert_eq!(times.sql_type_for(Dialect::Postgres), SqlType::Interval);
        assert_eq!(times.sql_type_for(Dialect::Sqlite), SqlType::Time);
        let of_day = stats(&[Value::Time(Time { seconds: 86_399 })]);
        assert_eq!(of_day.sql_type_for(Dialect::Postgres), SqlType::Time);
        let long = stats(&[Value::Time(Time {
            seconds: Time::MAX_SECONDS + 1,
        })]);
        assert_eq!(long.sql_type(), SqlType::Varchar(9));
        assert_eq!(long.sql_type_for(Dialect::Postgres), SqlType::Interval);
    }

    #[test]
    fn postgres_names_fit_in_63_bytes() {
        let mut names = NameSet::for_dialect(Dialect::Postgres);
        let accented = "é".repeat(40);
        let first = names.claim(&accented);
        assert_eq!(first, "é".repeat(31));
        let second = names.claim(&accented);
        assert_eq!(second, format!("{}_2", "é".repeat(30)));
        assert!(second.len() <= 63);
        let mut mysql = NameSet::new();
        assert_eq!(mysql.claim(&accented), accented);
    }

    #[test]
    fn if_exists_decides_how_a_script_creates_its_tables() {
        let create = |if_exists| {
            let script = write(ScriptOptions {
                create_table: true,
                if_exists,
                ..ScriptOptions::default()
            });
            let start = script.find("\n\n").expect("a blank line") + 2;
            script[start..script.find(" (\n").expect("the columns")].to_owned()
        };
        assert_eq!(create(None), "CREATE TABLE IF NOT EXISTS Table_Plan_1");
        assert_eq!(
            create(Some(IfExists::Append)),
            "CREATE TABLE IF NOT EXISTS Table_Plan_1"
        );
        assert_eq!(create(Some(IfExists::Fail)), "CREATE TABLE Table_Plan_1");
        assert_eq!(
            create(Some(IfExists::Replace)),
            "DROP TABLE IF EXISTS Table_Plan_1;\nCREATE TABLE Table_Plan_1"
        );
    }

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_ref("Notas", 3, 1), "Notas!D2");
        assert_eq!(cell_ref("Preços_2024", 27, 9), "Preços_2024!AB10");
        for (sheet, quoted) in [
            ("Plan 1", "'Plan 1'!A1"),
            ("2024", "'2024'!A1"),
            ("d'Ávila", "'d''Ávila'!A1"),
            ("A1", "'A1'!A1"),
            ("xfd1048576", "'xfd1048576'!A1"),
            ("R2C3", "'R2C3'!A1"),
            ("C", "'C'!A1"),
            ("a-b", "'a-b'!A1"),
        ] {
            assert_eq!(cell_ref(sheet, 0, 0), quoted);
        }
        for plain in ["Rua", "Casa", "ABCD1", "Notas.2024"] {
            assert_eq!(cell_ref(plain, 0, 0), format!("{plain}!A1"));
        }
    }

    #[test]
    fn a_script_lists_its_first_cell_warnings_and_counts_the_rest() {
        let t = table();
        let mut w = ScriptWriter::new(Vec::new(), ScriptOptions::default());
        w.begin_table(&t).expect("write");
        let error = Value::Error(Cow::Borrowed("#N/A"));
        for row in 1..=150 {
            w.row(&t, row, &[&error, &error]).expect("write");
        }
        w.end_table().expect("write");
        assert_eq!(w.warnings(), 300);
        let script = String::from_utf8(w.finish().expect("finish")).expect("UTF-8");
        let warnings: Vec<&str> = script
            .lines()
            .filter(|l| l.starts_with("-- warning"))
            .collect();
        assert_eq!(warnings.len() as u64, LISTED_CELL_WARNINGS + 1);
        assert_eq!(
            warnings[0],
            "-- warning: 'Plan 1'!A2: #N/A; written as NULL"
        );
        assert_eq!(
            warnings[99],
            "-- warning: 'Plan 1'!C51: #N/A; written as NULL"
        );
        assert_eq!(
            warnings[100],
            "-- warning: 200 more cells written as NULL are not listed (a script lists the first 100)"
        );
        assert!(
            script.ends_with(&format!("{}\n", warnings[100])),
            "the count comes last"
        );
    }

    #[test]
    fn a_header_cell_without_a_name_is_a_warning_naming_the_column() {
        let t = Table {
            header_row: 4,
            header_errors: vec![(2, "#REF!".to_owned())],
            ..table()
        };
        let mut w = ScriptWriter::new(Vec::new(), ScriptOptions::default());
        w.begin_table(&t).expect("write");
        let script = String::from_utf8(w.finish().expect("finish")).expect("UTF-8");
        assert_eq!(
            script,
            "\n-- sheet 'Plan 1': 3 rows\n-- warning: 'Plan 1'!C5: #REF!; the column is named `order`\n"
        );
    }
}

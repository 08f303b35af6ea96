//! The three SQL dialects a script can be written in: MySQL (MariaDB), the
//! paper's and the default; PostgreSQL; SQLite.
//!
//! The script's shape is the same in all three (comments, `CREATE TABLE IF
//! NOT EXISTS`, one `INSERT` per row or per batch, a transaction); what
//! differs is written here, each rule with the reason the server has for it:
//!
//! | | MySQL | PostgreSQL | SQLite |
//! |---|---|---|---|
//! | identifier, when quoted | `` `Preço` `` | `"Preço"` | `"Preço"` |
//! | written bare | plain, not reserved | plain, **lower case**, not reserved | plain, not a keyword |
//! | longest identifier | 64 characters | 63 bytes | 64 characters (ours) |
//! | string | `'d\'Ávila'`, backslash escapes | `'d''Ávila'`, every other byte as is | `'d''Ávila'` |
//! | NUL in a string | `\0` | impossible: the cell is `NULL`, with a warning | `char(0)`, joined with `\|\|` |
//! | boolean | `TRUE` / `FALSE` | `TRUE` / `FALSE` | `TRUE` / `FALSE` (1 and 0) |
//! | date-time, time | `'2024-03-01 08:30:00'`, `'-00:01:30'` | the same | the same |
//! | column types | `INT`, `DOUBLE`, `DATETIME`, `TIME`, `VARCHAR(n)`, `MEDIUMTEXT` | `INTEGER`, `DOUBLE PRECISION`, `TIMESTAMP`, `TIME` or `INTERVAL`, `VARCHAR(n)`, `TEXT` | `INTEGER`, `REAL`, `DATETIME`, `TIME`, `VARCHAR(n)`, `TEXT` |
//! | before the rows | `SET NAMES utf8mb4;` | `SET client_encoding = 'UTF8';` | nothing |
//! | transaction | `START TRANSACTION;` … `COMMIT;` | `BEGIN;` … `COMMIT;` | `BEGIN;` … `COMMIT;` |
//!
//! PostgreSQL folds a bare name to lower case (`Trigger_ID` would become
//! `trigger_id`), so a name with a capital letter is quoted, which keeps it
//! as the sheet spells it. A PostgreSQL `TIME` is a time of day, so a column
//! holding a negative time or one of 24 hours or more is an `INTERVAL`,
//! which takes the same literals. SQLite stores any value in any column;
//! its declared types only choose the column's affinity (`DATETIME` and
//! `TIME` keep the literal's text, which is SQLite's own date format).

use crate::sql::SqlType;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The SQL dialect of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// MySQL and MariaDB: the paper's, and the default.
    #[default]
    Mysql,
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// A dialect's name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SQL dialect {0:?}: choose mysql, postgres or sqlite")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// `mysql` (or `mariadb`), `postgres` (or `postgresql`), `sqlite`, in
    /// any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mysql" | "mariadb" => Ok(Self::Mysql),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "sqlite" => Ok(Self::Sqlite),
            _ => Err(UnknownDialect(s.to_owned())),
        }
    }
}

impl fmt::Display for Dialect {
    /// The name `--dialect` takes: `mysql`, `postgres`, `sqlite`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mysql => "mysql",
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        })
    }
}

/// The most columns a PostgreSQL table holds.
pub const POSTGRES_MAX_COLUMNS: usize = 1600;
/// The most columns an SQLite table holds (its default `SQLITE_MAX_COLUMN`).
pub const SQLITE_MAX_COLUMNS: usize = 2000;
/// PostgreSQL's longest identifier, in bytes (`NAMEDATALEN - 1`); a longer
/// one is cut without an error, which could make two names one.
pub const POSTGRES_MAX_IDENT_BYTES: usize = 63;

impl Dialect {
    /// The database's name, for the script's comments.
    pub fn product(self) -> &'static str {
        match self {
            Self::Mysql => "MySQL",
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }

    /// The longest identifier, in bytes (MySQL's and ours for SQLite count
    /// characters: see [`crate::sql::MAX_IDENT_CHARS`]).
    pub fn max_ident_bytes(self) -> usize {
        match self {
            Self::Postgres => POSTGRES_MAX_IDENT_BYTES,
            Self::Mysql | Self::Sqlite => usize::MAX,
        }
    }

    /// True if `name` can be written without quotes.
    pub fn is_plain(self, name: &str) -> bool {
        match self {
            Self::Mysql => crate::sql::is_plain(name),
            Self::Postgres => {
                is_plain_ascii(name)
                    && !name.bytes().any(|b| b.is_ascii_uppercase())
                    && !listed(POSTGRES_RESERVED, name)
            }
            Self::Sqlite => is_plain_ascii(name) && !listed(SQLITE_KEYWORDS, name),
        }
    }

    /// Append `name` as an identifier: bare if plain, else quoted (the
    /// quote character doubled inside).
    pub fn push_ident(self, out: &mut String, name: &str) {
        if self == Self::Mysql {
            return crate::sql::push_ident(out, name);
        }
        if self.is_plain(name) {
            out.push_str(name);
            return;
        }
        out.push('"');
        for c in name.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    }

    /// `name` as an identifier (see [`Dialect::push_ident`]).
    ///
    /// ```
    /// use xlsx_sql_bridge::dialect::Dialect;
    /// assert_eq!(Dialect::Mysql.ident("Preço"), "`Preço`");
    /// assert_eq!(Dialect::Postgres.ident("Trigger_ID"), "\"Trigger_ID\"");
    /// assert_eq!(Dialect::Postgres.ident("animal"), "animal");
    /// assert_eq!(Dialect::Sqlite.ident("Trigger_ID"), "Trigger_ID");
    /// assert_eq!(Dialect::Sqlite.ident("order"), "\"order\"");
    /// ```
    pub fn ident(self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 2);
        self.push_ident(&mut out, name);
        out
    }

    /// True if the dialect can hold `text` in a string at all: PostgreSQL's
    /// text types cannot hold the NUL character.
    pub fn holds_text(self, text: &str) -> bool {
        self != Self::Postgres || !text.contains('\0')
    }

    /// Append `text` as a string literal. For PostgreSQL, `text` must hold
    /// no NUL ([`Dialect::holds_text`]); one would be left out.
    ///
    /// ```
    /// use xlsx_sql_bridge::dialect::Dialect;
    /// let mut out = String::new();
    /// Dialect::Postgres.push_string(&mut out, "d'Ávila \\ 1\n2");
    /// assert_eq!(out, "'d''Ávila \\ 1\n2'");
    /// ```
    pub fn push_string(self, out: &mut String, text: &str) {
        match self {
            Self::Mysql => crate::sql::push_string(out, text),
            // With `standard_conforming_strings` (on since PostgreSQL 9.1)
            // a backslash is an ordinary character: only the quote is
            // special. The caller has turned a NUL into a warning.
            Self::Postgres if text.contains('\0') => {
                push_doubling_quotes(out, &text.replace('\0', ""));
            }
            Self::Postgres => push_doubling_quotes(out, text),
            // A NUL cannot be written inside an SQLite literal (the parser
            // reads the statement as a C string), but `char(0)` makes one.
            Self::Sqlite => {
                for (i, piece) in text.split('\0').enumerate() {
                    if i > 0 {
                        out.push_str(" || char(0) || ");
                    }
                    push_doubling_quotes(out, piece);
                }
            }
        }
    }

    /// The column type as the dialect writes it.
    pub fn type_name(self, sql_type: SqlType) -> String {
        match (self, sql_type) {
            (Self::Mysql, t) => t.to_string(),
            (_, SqlType::Int) => "INTEGER".to_owned(),
            (_, SqlType::BigInt) => match self {
                Self::Sqlite => "INTEGER".to_owned(),
                _ => "BIGINT".to_owned(),
            },
            (Self::Postgres, SqlType::Double) => "DOUBLE PRECISION".to_owned(),
            (_, SqlType::Double) => "REAL".to_owned(),
            (_, SqlType::Boolean) => "BOOLEAN".to_owned(),
            (Self::Postgres, SqlType::DateTime) => "TIMESTAMP".to_owned(),
            (_, SqlType::DateTime) => "DATETIME".to_owned(),
            (_, SqlType::Time) => "TIME".to_owned(),
            (_, SqlType::Interval) => "INTERVAL".to_owned(),
            (_, SqlType::Varchar(n)) => format!("VARCHAR({n})"),
            (_, SqlType::Text | SqlType::MediumText) => "TEXT".to_owned(),
        }
    }

    /// What `CREATE TABLE` adds after the columns' parenthesis.
    pub fn table_options(self) -> &'static str {
        match self {
            Self::Mysql => " DEFAULT CHARSET=utf8mb4",
            Self::Postgres | Self::Sqlite => "",
        }
    }

    /// The statement that makes the client send UTF-8, if the dialect has
    /// one (SQLite's text is always UTF-8 or UTF-16, converted by SQLite).
    pub fn set_encoding(self) -> Option<&'static str> {
        match self {
            Self::Mysql => Some("SET NAMES utf8mb4;"),
            Self::Postgres => Some("SET client_encoding = 'UTF8';"),
            Self::Sqlite => None,
        }
    }

    /// The statement that starts a transaction.
    pub fn begin(self) -> &'static str {
        match self {
            Self::Mysql => "START TRANSACTION;",
            Self::Postgres | Self::Sqlite => "BEGIN;",
        }
    }

    /// The most columns a table can have, if a count alone decides it
    /// (MySQL's limit depends on the types: see [`crate::sql::fit_row`]).
    pub fn max_columns(self) -> Option<usize> {
        match self {
            Self::Mysql => None,
            Self::Postgres => Some(POSTGRES_MAX_COLUMNS),
            Self::Sqlite => Some(SQLITE_MAX_COLUMNS),
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_plain_ascii(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn listed(words: &[&str], name: &str) -> bool {
    name.len() <= 40
        && words
            .binary_search(&name.to_ascii_uppercase().as_str())
            .is_ok()
}

fn push_doubling_quotes(out: &mut String, text: &str) {
    out.push('\'');
    for (i, piece) in text.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(piece);
    }
    out.push('\'');
}

/// PostgreSQL's keywords that cannot be a column's name when bare: the
/// reserved ones and those that can only be a type or a function's name
/// (`pg_get_keywords()` categories R and T, PostgreSQL 15 to 17). Sorted.
const POSTGRES_RESERVED: &[&str] = &[
    "ALL",
    "ANALYSE",
    "ANALYZE",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASYMMETRIC",
    "AUTHORIZATION",
    "BINARY",
    "BOTH",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLLATION",
    "COLUMN",
    "CONCURRENTLY",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DEFERRABLE",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FETCH",
    "FOR",
    "FOREIGN",
    "FREEZE",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INITIALLY",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "OUTER",
    "OVERLAPS",
    "PLACING",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "RIGHT",
    "SELECT",
    "SESSION_USER",
    "SIMILAR",
    "SOME",
    "SYMMETRIC",
    "SYSTEM_USER",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "VERBOSE",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// SQLite's keywords (its manual's list), and `TRUE` and `FALSE`, which a
/// bare column name would shadow. Sorted.
const SQLITE_KEYWORDS: &[&str] = &[
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FALSE",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "TRUE",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_lists_are_sorted_for_binary_search() {
        assert!(POSTGRES_RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(SQLITE_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn dialects_are_named_as_the_flag_takes_them() {
        for d in [Dialect::Mysql, Dialect::Postgres, Dialect::Sqlite] {
            assert_eq!(d.to_string().parse::<Dialect>(), Ok(d));
        }
        assert_eq!("MariaDB".parse::<Dialect>(), Ok(Dialect::Mysql));
        assert_eq!("postgresql".parse::<Dialect>(), Ok(Dialect::Postgres));
        assert_eq!(
            "oracle".parse::<Dialect>().map_err(|e| e.to_string()),
            Err("unknown SQL dialect \"oracle\": choose mysql, postgres or sqlite".to_owned())
        );
        assert_eq!(Dialect::default(), Dialect::Mysql);
    }

    #[test]
    fn postgres_quotes_capitals_keywords_and_everything_not_plain() {
        let pg = Dialect::Postgres;
        for bare in ["animal", "_x", "a1", "between", "name"] {
            assert_eq!(pg.ident(bare), bare);
        }
        assert_eq!(pg.ident("Animal"), "\"Animal\"");
        assert_eq!(pg.ident("order"), "\"order\"");
        assert_eq!(pg.ident("left"), "\"left\"");
        assert_eq!(pg.ident("Preço"), "\"Preço\"");
        assert_eq!(pg.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(pg.ident("1e5"), "\"1e5\"");
    }

    #[test]
    fn sqlite_quotes_keywords_and_everything_not_plain() {
        let lite = Dialect::Sqlite;
        assert_eq!(lite.ident("Trigger_ID"), "Trigger_ID");
        assert_eq!(lite.ident("Values"), "\"Values\"");
        assert_eq!(lite.ident("true"), "\"true\"");
        assert_eq!(lite.ident("a b"), "\"a b\"");
    }

    #[test]
    fn strings_follow_each_dialect() {
        let text = "a'b\\c\nd\re\x1af";
        let literal = |d: Dialect, t: &str| {
            let mut out = String::new();
            d.push_string(&mut out, t);
            out
        };
        assert_eq!(literal(Dialect::Mysql, text), "'a\\'b\\\\c\\nd\\re\\Zf'");
        assert_eq!(literal(Dialect::Postgres, text), "'a''b\\c\nd\re\x1af'");
        assert_eq!(literal(Dialect::Sqlite, text), "'a''b\\c\nd\re\x1af'");
        assert_eq!(
            literal(Dialect::Sqlite, "\0a\0"),
            "'' || char(0) || 'a' || char(0) || ''"
        );
        assert!(!Dialect::Postgres.holds_text("a\0b"));
        assert!(Dialect::Sqlite.holds_text("a\0b") && Dialect::Mysql.holds_text("a\0b"));
    }

    #[test]
    fn each_dialect_names_the_types_its_own_way() {
        let names = |d: Dialect| {
            [
                SqlType::Int,
                SqlType::BigInt,
                SqlType::Double,
                SqlType::Boolean,
                SqlType::DateTime,
                SqlType::Time,
                SqlType::Varchar(12),
                SqlType::MediumText,
            ]
            .map(|t| d.type_name(t))
        };
        assert_eq!(
            names(Dialect::Mysql),
            [
                "INT",
                "BIGINT",
                "DOUBLE",
                "BOOLEAN",
                "DATETIME",
                "TIME",
                "VARCHAR(12)",
                "MEDIUMTEXT"
            ]
        );
        assert_eq!(
            names(Dialect::Postgres),
            [
                "INTEGER",
                "BIGINT",
                "DOUBLE PRECISION",
                "BOOLEAN",
                "TIMESTAMP",
                "TIME",
                "VARCHAR(12)",
                "TEXT"
            ]
        );
        assert_eq!(
            names(Dialect::Sqlite),
            [
                "INTEGER",
                "INTEGER",
                "REAL",
                "BOOLEAN",
                "DATETIME",
                "TIME",
                "VARCHAR(12)",
                "TEXT"
            ]
        );
        assert_eq!(Dialect::Postgres.type_name(SqlType::Interval), "INTERVAL");
    }
}

//! Loading a workbook straight into a database (`--into URL`), without a
//! script in between.
//!
//! The same conversion that writes the script ([`Conversion::visit`]) hands
//! its tables and rows to a [`Loader`] instead, which talks to the database
//! with its own driver: `mysql_async` for MySQL and MariaDB, `tokio-postgres`
//! for PostgreSQL, `rusqlite` for SQLite. The rules:
//!
//! * **Values travel as parameters**, never as SQL text: an `INSERT` names
//!   its placeholders (`?`, or `$1` for PostgreSQL) and the values go
//!   beside it, so no quoting or escaping can go wrong. Each value has the
//!   type its column was given, as the script would declare it; a column of
//!   mixed kinds is text, and gets the text the script's literal would
//!   become in that database (`1.0`, `1` for true in MySQL and SQLite,
//!   `true` in PostgreSQL). PostgreSQL receives every value as text with a
//!   cast to the column's type (`$1::text::timestamp`), which it parses
//!   exactly; MySQL and SQLite receive numbers as numbers.
//! * **One transaction per sheet**: the table is created (or checked, or
//!   replaced) and its rows inserted, in batches of [`LoadOptions::batch`]
//!   rows per statement, then committed; if anything fails, the sheet's
//!   transaction is rolled back and nothing of it stays. MySQL commits
//!   `CREATE TABLE` and `DROP TABLE` on its own, so there a table the load
//!   created is dropped again after a failure (and `--if-exists replace`
//!   cannot bring back the table it dropped).
//! * **Existing tables** ([`IfExists`]): `fail` (the default) checks every
//!   table before a row is sent and loads nothing if one exists; `append`
//!   adds the rows to it; `replace` drops it first.
//! * **What cannot be stored is reported**, as in the script: an error cell,
//!   or a text with a NUL for PostgreSQL, is `NULL` with a warning naming
//!   the cell.

use crate::ConvertError;
use crate::convert::{Conversion, RowSink};
use crate::dialect::Dialect;
use crate::sql::{self, Column, NumberLiteral, NumberStyle, SqlType, Table, Value};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{Read, Seek};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Where to load: a database, named by its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `mysql://user:pass@host:port/db` (or `mariadb://...`).
    Mysql(String),
    /// `postgres://user:pass@host:port/db` (or `postgresql://...`).
    Postgres(String),
    /// `sqlite:path.db` (or `sqlite://path.db`, `sqlite:///absolute.db`).
    Sqlite(PathBuf),
}

/// A URL that names no database we load into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a database URL: use mysql://USER:PASSWORD@HOST:PORT/DATABASE, \
     postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:FILE"
)]
pub struct BadTarget(pub String);

impl FromStr for Target {
    type Err = BadTarget;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let bad = || BadTarget(shown_url(url));
        let (scheme, rest) = url.split_once(':').ok_or_else(bad)?;
        match scheme.to_ascii_lowercase().as_str() {
            "mysql" | "mariadb" if rest.starts_with("//") => {
                Ok(Self::Mysql(format!("mysql:{rest}")))
            }
            "postgres" | "postgresql" if rest.starts_with("//") => {
                Ok(Self::Postgres(format!("postgresql:{rest}")))
            }
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(bad());
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Target {
    /// The URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mysql(url) | Self::Postgres(url) => f.write_str(&shown_url(url)),
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
        }
    }
}

/// `url` with the password of its user part replaced by `***`, for logs
/// and messages.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Target {
    /// The hosts a load would connect to, lower case, for an allow list: a
    /// Unix socket is `localhost`; an SQLite file has none.
    pub fn hosts(&self) -> Result<Vec<String>, String> {
        match self {
            Self::Mysql(url) => {
                let opts = mysql_async::Opts::from_url(url).map_err(|e| e.to_string())?;
                if opts.socket().is_some() {
                    return Ok(vec!["localhost".to_owned()]);
                }
                Ok(vec![opts.ip_or_hostname().to_ascii_lowercase()])
            }
            Self::Postgres(url) => {
                let config: tokio_postgres::Config = url
                    .parse()
                    .map_err(|e: tokio_postgres::Error| e.to_string())?;
                let hosts: Vec<String> = config
                    .get_hosts()
                    .iter()
                    .map(|host| match host {
                        tokio_postgres::config::Host::Tcp(name) => name.to_ascii_lowercase(),
                        #[cfg(unix)]
                        tokio_postgres::config::Host::Unix(_) => "localhost".to_owned(),
                    })
                    .collect();
                // No host at all means the default socket: this machine.
                Ok(if hosts.is_empty() {
                    vec!["localhost".to_owned()]
                } else {
                    hosts
                })
            }
            Self::Sqlite(_) => Ok(Vec::new()),
        }
    }

    /// The dialect of the database's SQL.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Mysql(_) => Dialect::Mysql,
            Self::Postgres(_) => Dialect::Postgres,
            Self::Sqlite(_) => Dialect::Sqlite,
        }
    }
}

/// What to do when a table already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IfExists {
    /// Load nothing, and say which table exists.
    #[default]
    Fail,
    /// Add the rows to the existing table.
    Append,
    /// Drop the table, then create it anew.
    Replace,
}

/// A value of `--if-exists` that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown --if-exists {0:?}: choose fail, append or replace")]
pub struct UnknownIfExists(pub String);

impl FromStr for IfExists {
    type Err = UnknownIfExists;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fail" => Ok(Self::Fail),
            "append" => Ok(Self::Append),
            "replace" => Ok(Self::Replace),
            _ => Err(UnknownIfExists(s.to_owned())),
        }
    }
}

impl fmt::Display for IfExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fail => "fail",
            Self::Append => "append",
            Self::Replace => "replace",
        })
    }
}

/// How a load goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Rows per `INSERT` statement (fewer when the columns are so many that
    /// the database's limit on parameters per statement comes first).
    pub batch: usize,
    pub if_exists: IfExists,
}

/// Rows per `INSERT` when loading, unless `--batch` says otherwise.
pub const DEFAULT_LOAD_BATCH: usize = 1000;

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            batch: DEFAULT_LOAD_BATCH,
            if_exists: IfExists::Fail,
        }
    }
}

/// One table loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedTable {
    pub sheet: String,
    pub table: String,
    pub rows: u64,
}

/// What a load did: the tables, their rows, and the cells stored as `NULL`
/// (the first [`sql::LISTED_CELL_WARNINGS`] named, the others counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaded {
    pub tables: Vec<LoadedTable>,
    pub warnings: Vec<String>,
    pub more_warnings: u64,
}

impl Loaded {
    /// Rows loaded, in every table.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// How far a load is: rows of a table sent so far, of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub table: &'a str,
    pub rows: u64,
    pub of: u64,
}

/// How often progress is reported, at most.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Load a workbook read by [`Conversion::open`] into `target`, calling
/// `progress` at most once a second while rows are sent. Blocking: call it
/// from a thread that may wait (not from inside an async task).
pub fn load<RS: Read + Seek>(
    conversion: Conversion<RS>,
    target: &Target,
    options: LoadOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ConvertError> {
    let mut db = connect(target)?;
    let tables: Vec<&Table> = conversion
        .tables()
        .iter()
        .filter(|t| !t.columns.is_empty())
        .collect();
    if options.if_exists == IfExists::Fail {
        for table in &tables {
            if db.exists(&table.name).map_err(|e| failed(target, &e))? {
                return Err(ConvertError::Exists(format!(
                    "{target} already has a table {}: nothing was loaded (--if-exists append \
                     adds the rows to it, --if-exists replace drops it first)",
                    target.dialect().ident(&table.name)
                )));
            }
        }
    }
    let mut loader = Loader {
        db: db.as_mut(),
        target,
        options: LoadOptions {
            batch: options.batch.max(1),
            ..options
        },
        progress,
        current: None,
        loaded: Loaded::default(),
    };
    match conversion.visit(&mut loader) {
        Ok(_) => Ok(loader.loaded),
        Err(e) => {
            loader.abandon();
            Err(e)
        }
    }
}

fn failed(target: &Target, reason: &str) -> ConvertError {
    ConvertError::Load(format!("cannot load into {target}: {reason}"))
}

/// A parameter: one value with the type its column was given.
#[derive(Debug, Clone, PartialEq)]
enum Param {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    DateTime(sql::DateTime),
    Time(sql::Time),
}

/// The parameter for `value` in `column`, as the script would have stored
/// it in `dialect`.
fn param(value: &Value<'_>, column: &Column, dialect: Dialect) -> Param {
    let text_column = matches!(
        column.sql_type,
        SqlType::Varchar(_) | SqlType::Text | SqlType::MediumText
    );
    match value {
        Value::Empty | Value::Error(_) => Param::Null,
        Value::Text(text) if !dialect.holds_text(text) => Param::Null,
        Value::Text(text) => Param::Text(text.to_string()),
        Value::Int(_) | Value::Float(_) if text_column => {
            let mut out = String::new();
            let number = match value {
                Value::Int(i) => NumberLiteral::Int(*i),
                Value::Float(f) => NumberLiteral::Float(*f),
                _ => NumberLiteral::Int(0),
            };
            sql::push_number(&mut out, number, column.style);
            Param::Text(out)
        }
        Value::Int(i) => match column.sql_type {
            SqlType::Double => Param::Float(*i as f64),
            _ => Param::Int(*i),
        },
        Value::Float(f) => match (column.sql_type, column.style) {
            (SqlType::Int | SqlType::BigInt, NumberStyle::Integer) => Param::Int(*f as i64),
            _ => Param::Float(*f),
        },
        Value::Bool(b) if text_column => Param::Text(
            match (dialect, b) {
                (Dialect::Postgres, true) => "true",
                (Dialect::Postgres, false) => "false",
                (_, true) => "1",
                (_, false) => "0",
            }
            .to_owned(),
        ),
        Value::Bool(b) => Param::Bool(*b),
        Value::DateTime(dt) if text_column => Param::Text(dt.to_string()),
        Value::DateTime(dt) => Param::DateTime(*dt),
        Value::Time(t) if text_column => Param::Text(t.to_string()),
        Value::Time(t) => Param::Time(*t),
    }
}

impl Param {
    /// The value as PostgreSQL parses it from text (it is cast to the
    /// column's type in the statement).
    fn postgres_text(&self) -> Option<String> {
        match self {
            Param::Null => None,
            Param::Int(i) => Some(i.to_string()),
            Param::Float(f) => Some(format!("{f:?}")),
            Param::Text(t) => Some(t.clone()),
            Param::Bool(b) => Some(b.to_string()),
            Param::DateTime(dt) => Some(dt.to_string()),
            Param::Time(t) => Some(t.to_string()),
        }
    }
}

/// The database's side of a load.
trait Db {
    /// Run statements that return nothing (transactions, DDL).
    fn exec(&mut self, sql: &str) -> Result<(), String>;
    /// True if a table of that name exists.
    fn exists(&mut self, table: &str) -> Result<bool, String>;
    /// Run an `INSERT` with its parameters.
    fn insert(&mut self, sql: &str, params: &[Param]) -> Result<(), String>;
    /// The most parameters one statement may have.
    fn max_params(&self) -> usize;
}

fn connect(target: &Target) -> Result<Box<dyn Db>, ConvertError> {
    let connecting = |e: String| ConvertError::Load(format!("cannot connect to {target}: {e}"));
    match target {
        Target::Mysql(url) => Ok(Box::new(MysqlDb::connect(url).map_err(connecting)?)),
        Target::Postgres(url) => Ok(Box::new(PostgresDb::connect(url).map_err(connecting)?)),
        Target::Sqlite(path) => Ok(Box::new(SqliteDb::open(path).map_err(connecting)?)),
    }
}

/// A runtime of the loader's own for the asynchronous drivers: the load
/// runs on a thread that may block (the conversion reads the workbook).
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// How long one request to a database server may take: a server that stops
/// answering must not hold the load (and, in the converter, its slot)
/// for ever.
const DB_TIMEOUT: Duration = Duration::from_secs(60);

/// Run one request of an asynchronous driver on `rt`, within
/// [`DB_TIMEOUT`], its error described by `describe`.
fn wait<T, E>(
    rt: &tokio::runtime::Runtime,
    request: impl std::future::Future<Output = Result<T, E>>,
    describe: impl FnOnce(E) -> String,
) -> Result<T, String> {
    // The timer is made inside the runtime, which drives it.
    match rt.block_on(async { tokio::time::timeout(DB_TIMEOUT, request).await }) {
        Ok(done) => done.map_err(describe),
        Err(_) => Err(format!(
            "the database did not answer within {} s",
            DB_TIMEOUT.as_secs()
        )),
    }
}

struct MysqlDb {
    rt: tokio::runtime::Runtime,
    conn: mysql_async::Conn,
}

impl MysqlDb {
    fn connect(url: &str) -> Result<Self, String> {
        let rt = runtime()?;
        let opts = mysql_async::Opts::from_url(url).map_err(|e| e.to_string())?;
        let mut conn = wait(&rt, mysql_async::Conn::new(opts), |e| e.to_string())?;
        use mysql_async::prelude::Queryable as _;
        wait(&rt, conn.query_drop("SET NAMES utf8mb4"), |e| e.to_string())?;
        Ok(Self { rt, conn })
    }
}

impl Db for MysqlDb {
    fn exec(&mut self, sql: &str) -> Result<(), String> {
        use mysql_async::prelude::Queryable as _;
        wait(&self.rt, self.conn.query_drop(sql), |e| e.to_string())
    }

    fn exists(&mut self, table: &str) -> Result<bool, String> {
        use mysql_async::prelude::Queryable as _;
        let count: Option<i64> = wait(
            &self.rt,
            self.conn.exec_first(
                "SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                (table,),
            ),
            |e| e.to_string(),
        )?;
        Ok(count.unwrap_or(0) > 0)
    }

    fn insert(&mut self, sql: &str, params: &[Param]) -> Result<(), String> {
        use mysql_async::Value as V;
        use mysql_async::prelude::Queryable as _;
        let values: Vec<V> = params
            .iter()
            .map(|p| match p {
                Param::Null => V::NULL,
                Param::Int(i) => V::Int(*i),
                Param::Float(f) => V::Double(*f),
                Param::Text(t) => V::Bytes(t.as_bytes().to_vec()),
                Param::Bool(b) => V::Int(i64::from(*b)),
                // Years are 1 to 9999: they fit.
                Param::DateTime(dt) => V::Date(
                    u16::try_from(dt.year).unwrap_or(0),
                    dt.month,
                    dt.day,
                    dt.hour,
                    dt.minute,
                    dt.second,
                    0,
                ),
                Param::Time(t) => {
                    let s = t.seconds.unsigned_abs();
                    V::Time(
                        t.seconds < 0,
                        u32::try_from(s / 86_400).unwrap_or(u32::MAX),
                        (s / 3600 % 24) as u8,
                        (s / 60 % 60) as u8,
                        (s % 60) as u8,
                        0,
                    )
                }
            })
            .collect();
        wait(&self.rt, self.conn.exec_drop(sql, values), |e| {
            e.to_string()
        })
    }

    fn max_params(&self) -> usize {
        65_535
    }
}

struct PostgresDb {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    /// The `INSERT`s prepared so far (two a table: a full batch and the
    /// last one).
    prepared: std::collections::HashMap<String, tokio_postgres::Statement>,
}

impl PostgresDb {
    fn connect(url: &str) -> Result<Self, String> {
        let rt = runtime()?;
        let (client, connection) = wait(
            &rt,
            tokio_postgres::connect(url, tokio_postgres::NoTls),
            |e| e.to_string(),
        )?;
        // The connection task runs whenever the runtime is driven, that
        // is, during every request's `block_on`.
        rt.spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            rt,
            client,
            prepared: std::collections::HashMap::new(),
        })
    }
}

fn postgres_error(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

impl Db for PostgresDb {
    fn exec(&mut self, sql: &str) -> Result<(), String> {
        wait(&self.rt, self.client.batch_execute(sql), postgres_error)
    }

    fn exists(&mut self, table: &str) -> Result<bool, String> {
        let quoted = Dialect::Postgres.ident(table);
        let row = wait(
            &self.rt,
            self.client
                .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&quoted]),
            postgres_error,
        )?;
        row.try_get::<_, bool>(0).map_err(postgres_error)
    }

    fn insert(&mut self, sql: &str, params: &[Param]) -> Result<(), String> {
        let texts: Vec<Option<String>> = params.iter().map(Param::postgres_text).collect();
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = texts
            .iter()
            .map(|t| t as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        let statement = match self.prepared.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = wait(&self.rt, self.client.prepare(sql), postgres_error)?;
                if self.prepared.len() >= 8 {
                    self.prepared.clear();
                }
                self.prepared.insert(sql.to_owned(), statement.clone());
                statement
            }
        };
        wait(
            &self.rt,
            self.client.execute(&statement, &refs),
            postgres_error,
        )
        .map(|_| ())
    }

    fn max_params(&self) -> usize {
        65_535
    }
}

struct SqliteDb {
    conn: rusqlite::Connection,
}

impl SqliteDb {
    fn open(path: &std::path::Path) -> Result<Self, String> {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        // Another program writing the file makes SQLite wait this long
        // rather than fail at once.
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        Ok(Self { conn })
    }
}

impl Db for SqliteDb {
    fn exec(&mut self, sql: &str) -> Result<(), String> {
        self.conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn exists(&mut self, table: &str) -> Result<bool, String> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') \
                 AND name = ?1 COLLATE NOCASE",
                [table],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| e.to_string())
    }

    fn insert(&mut self, sql: &str, params: &[Param]) -> Result<(), String> {
        use rusqlite::types::Value as V;
        let values: Vec<V> = params
            .iter()
            .map(|p| match p {
                Param::Null => V::Null,
                Param::Int(i) => V::Integer(*i),
                Param::Float(f) => V::Real(*f),
                Param::Text(t) => V::Text(t.clone()),
                Param::Bool(b) => V::Integer(i64::from(*b)),
                Param::DateTime(dt) => V::Text(dt.to_string()),
                Param::Time(t) => V::Text(t.to_string()),
            })
            .collect();
        let mut statement = self.conn.prepare_cached(sql).map_err(|e| e.to_string())?;
        statement
            .execute(rusqlite::params_from_iter(values))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn max_params(&self) -> usize {
        // SQLite's SQLITE_MAX_VARIABLE_NUMBER since 3.32.
        32_766
    }
}

/// The table being loaded.
struct Current {
    table: String,
    /// The table was created by this load (MySQL drops it after a failure).
    created: bool,
    /// Rows per statement.
    per_statement: usize,
    /// The statement for a full batch.
    full: String,
    pending: Vec<Param>,
    pending_rows: usize,
    rows: u64,
    of: u64,
    reported: Instant,
}

struct Loader<'a> {
    db: &'a mut dyn Db,
    target: &'a Target,
    options: LoadOptions,
    progress: &'a mut dyn FnMut(Progress<'_>),
    current: Option<Current>,
    loaded: Loaded,
}

impl Loader<'_> {
    fn dialect(&self) -> Dialect {
        self.target.dialect()
    }

    fn fail(&self, reason: &str) -> ConvertError {
        let table = self
            .current
            .as_ref()
            .map(|c| {
                format!(
                    " (table {}, nothing of it was loaded)",
                    self.dialect().ident(&c.table)
                )
            })
            .unwrap_or_default();
        ConvertError::Load(format!("cannot load into {}: {reason}{table}", self.target))
    }

    /// `INSERT INTO t (a, b) VALUES (?, ?), (?, ?)` for `rows` rows.
    fn insert_statement(&self, table: &Table, rows: usize) -> String {
        let dialect = self.dialect();
        let mut out = String::from("INSERT INTO ");
        dialect.push_ident(&mut out, &table.name);
        out.push_str(" (");
        for (i, column) in table.columns.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            dialect.push_ident(&mut out, &column.name);
        }
        out.push_str(") VALUES ");
        let mut n = 0;
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            out.push('(');
            for (i, column) in table.columns.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                n += 1;
                match dialect {
                    Dialect::Postgres => {
                        use std::fmt::Write as _;
                        let _ = write!(out, "${n}");
                        if !matches!(
                            column.sql_type,
                            SqlType::Varchar(_) | SqlType::Text | SqlType::MediumText
                        ) {
                            let _ = write!(out, "::text::{}", dialect.type_name(column.sql_type));
                        }
                    }
                    Dialect::Mysql | Dialect::Sqlite => out.push('?'),
                }
            }
            out.push(')');
        }
        out
    }

    fn flush(&mut self, table: &Table) -> Result<(), ConvertError> {
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        if current.pending_rows == 0 {
            return Ok(());
        }
        let rows = current.pending_rows;
        let params = std::mem::take(&mut current.pending);
        let sql = if rows == current.per_statement {
            current.full.clone()
        } else {
            self.insert_statement(table, rows)
        };
        self.db.insert(&sql, &params).map_err(|e| self.fail(&e))?;
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        current.pending = params;
        current.pending.clear();
        current.pending_rows = 0;
        current.rows += rows as u64;
        if current.reported.elapsed() >= PROGRESS_EVERY {
            current.reported = Instant::now();
            (self.progress)(Progress {
                table: &current.table,
                rows: current.rows,
                of: current.of,
            });
        }
        Ok(())
    }

    fn warn(&mut self, table: &Table, column: &Column, row: u32, reason: &str) {
        if self.loaded.warnings.len() < sql::LISTED_CELL_WARNINGS as usize {
            self.loaded.warnings.push(format!(
                "{}: {reason}; loaded as NULL",
                sql::cell_ref(&table.sheet, column.source, row)
            ));
        } else {
            self.loaded.more_warnings += 1;
        }
    }

    /// After a failure: roll the sheet's transaction back (and, in MySQL,
    /// drop the table this load created).
    fn abandon(&mut self) {
        let Some(current) = self.current.take() else {
            return;
        };
        let _ = self.db.exec("ROLLBACK");
        if self.dialect() == Dialect::Mysql && current.created {
            let _ = self.db.exec(&format!(
                "DROP TABLE IF EXISTS {}",
                Dialect::Mysql.ident(&current.table)
            ));
        }
    }
}

impl RowSink for Loader<'_> {
    fn begin_table(&mut self, table: &Table) -> Result<(), ConvertError> {
        if table.columns.is_empty() {
            return Ok(());
        }
        let dialect = self.dialect();
        let name = dialect.ident(&table.name);
        let existed = match self.options.if_exists {
            IfExists::Fail => false,
            _ => self.db.exists(&table.name).map_err(|e| self.fail(&e))?,
        };
        let per_statement = self
            .options
            .batch
            .min(self.db.max_params() / table.columns.len())
            .max(1);
        self.current = Some(Current {
            table: table.name.clone(),
            created: !existed || self.options.if_exists == IfExists::Replace,
            per_statement,
            full: self.insert_statement(table, per_statement),
            pending: Vec::with_capacity(per_statement * table.columns.len()),
            pending_rows: 0,
            rows: 0,
            of: table.rows,
            reported: Instant::now(),
        });
        let mut ddl = Vec::new();
        if self.options.if_exists == IfExists::Replace {
            ddl.push(format!("DROP TABLE IF EXISTS {name}"));
        }
        let create = sql::create_table_statement(table, dialect, true);
        ddl.push(create.trim_end_matches(';').to_owned());
        match dialect {
            // MySQL commits DDL on its own: the tables first, then the
            // transaction of the rows.
            Dialect::Mysql => {
                for statement in &ddl {
                    self.db.exec(statement).map_err(|e| self.fail(&e))?;
                }
                self.db
                    .exec("START TRANSACTION")
                    .map_err(|e| self.fail(&e))?;
            }
            Dialect::Postgres | Dialect::Sqlite => {
                self.db.exec("BEGIN").map_err(|e| self.fail(&e))?;
                for statement in &ddl {
                    self.db.exec(statement).map_err(|e| self.fail(&e))?;
                }
            }
        }
        Ok(())
    }

    fn row(&mut self, table: &Table, row: u32, values: &[&Value<'_>]) -> Result<(), ConvertError> {
        let dialect = self.dialect();
        for (column, value) in table.columns.iter().zip(values) {
            match value {
                Value::Error(reason) => self.warn(table, column, row, reason),
                Value::Text(text) if !dialect.holds_text(text) => self.warn(
                    table,
                    column,
                    row,
                    "a text with the NUL character, which PostgreSQL cannot store",
                ),
                _ => {}
            }
            let p = param(value, column, dialect);
            if let Some(current) = self.current.as_mut() {
                current.pending.push(p);
            }
        }
        let full = match self.current.as_mut() {
            Some(current) => {
                current.pending_rows += 1;
                current.pending_rows >= current.per_statement
            }
            None => false,
        };
        if full {
            self.flush(table)?;
        }
        Ok(())
    }

    fn end_table(&mut self, table: &Table) -> Result<(), ConvertError> {
        if table.columns.is_empty() {
            return Ok(());
        }
        self.flush(table)?;
        self.db.exec("COMMIT").map_err(|e| self.fail(&e))?;
        if let Some(current) = self.current.take() {
            self.loaded.tables.push(LoadedTable {
                sheet: table.sheet.clone(),
                table: current.table,
                rows: current.rows,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_database() {
        assert_eq!(
            "mysql://u:p@db:3306/livro".parse(),
            Ok(Target::Mysql("mysql://u:p@db:3306/livro".into()))
        );
        assert_eq!(
            "MariaDB://u@db/livro".parse(),
            Ok(Target::Mysql("mysql://u@db/livro".into()))
        );
        assert_eq!(
            "postgres://u@db/livro".parse(),
            Ok(Target::Postgres("postgresql://u@db/livro".into()))
        );
        assert_eq!(
            "sqlite:dados.db".parse(),
            Ok(Target::Sqlite(PathBuf::from("dados.db")))
        );
        assert_eq!(
            "sqlite:///tmp/dados.db".parse(),
            Ok(Target::Sqlite(PathBuf::from("/tmp/dados.db")))
        );
        for bad in ["livro.db", "sqlite:", "http://x/y", "mysql:livro"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        let target: Target = "postgres://ana:s3cr3t@db:5432/livro?sslmode=disable"
            .parse()
            .expect("a URL");
        assert_eq!(
            target.to_string(),
            "postgresql://ana:***@db:5432/livro?sslmode=disable"
        );
        let err = "oracle://ana:s3cr3t@db"
            .parse::<Target>()
            .expect_err("refused");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }

    fn column(sql_type: SqlType, style: NumberStyle) -> Column {
        Column {
            name: "c".into(),
            source: 0,
            style,
            sql_type,
            forced: None,
        }
    }

    #[test]
    fn values_take_their_columns_types() {
        let text = column(SqlType::Varchar(10), NumberStyle::Decimal);
        assert_eq!(
            param(&Value::Int(1), &text, Dialect::Mysql),
            Param::Text("1.0".into())
        );
        assert_eq!(
            param(&Value::Bool(true), &text, Dialect::Postgres),
            Param::Text("true".into())
        );
        assert_eq!(
            param(&Value::Bool(true), &text, Dialect::Sqlite),
            Param::Text("1".into())
        );
        let int = column(SqlType::Int, NumberStyle::Integer);
        assert_eq!(
            param(&Value::Float(3.0), &int, Dialect::Mysql),
            Param::Int(3)
        );
        let double = column(SqlType::Double, NumberStyle::Decimal);
        assert_eq!(
            param(&Value::Int(3), &double, Dialect::Mysql),
            Param::Float(3.0)
        );
        assert_eq!(
            param(&Value::Text("a\0b".into()), &text, Dialect::Postgres),
            Param::Null
        );
        assert_eq!(
            Param::Float(0.30000000000000004).postgres_text().as_deref(),
            Some("0.30000000000000004")
        );
    }

    #[test]
    fn if_exists_is_named_as_the_flag_takes_it() {
        for choice in [IfExists::Fail, IfExists::Append, IfExists::Replace] {
            assert_eq!(choice.to_string().parse::<IfExists>(), Ok(choice));
        }
        assert!("merge".parse::<IfExists>().is_err());
    }
}

//! The repository: every SQL statement of the crate, over one
//! `rusqlite::Connection`.
//!
//! The slides name four parts of a database management system; here they are:
//!
//! * the **driver** (API): `rusqlite`, with SQLite itself compiled in;
//! * the **data dictionary** (schema): [`CREATE_TABLE`], the slide's table,
//!   which SQLite records in its `sqlite_schema` table;
//! * the **access language**: the SQL strings in this file;
//! * the **database**: the file, `aula.db`.
//!
//! Every value reaches SQL as a bound parameter (`?1`, `?2`, ...), never by
//! formatting it into the statement text, so a name such as
//! `Robert'); DROP TABLE Alunos;--` is stored as the text it is.
//!
//! The statements that the lab report shows are [`Sql`] values: the text
//! and the parameters together, built by one function per operation
//! ([`Sql::list`], [`Sql::insert`], ...). The repository runs exactly those
//! values, and the report prints them, so what it shows is what ran.
//!
//! Writes run in `BEGIN IMMEDIATE` transactions: the write lock is taken at
//! the start, so the existence check before an insert and the insert itself
//! see the same database, even with other connections writing at the same
//! time; and a write that fails halfway is rolled back whole.

use crate::aluno::{Aluno, Filter, InvalidField, MAX_MATRICULA, Patch, Situacao, fold};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, ToSql, TransactionBehavior, params,
    params_from_iter,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The slide's table, word for word (`Escrever.py`).
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS Alunos(Nome TEXT, Matricula REAL, Idade INTEGER, Ingresso INTEGER, Situacao TEXT)";

/// The matrícula is the student's identity. A table this crate creates gets
/// a unique index on it; a table created by someone else (the slide's
/// `Escrever.py`) is left exactly as it is, and the repository enforces the
/// identity itself (see [`Repository::insert_all`]).
pub const CREATE_INDEX: &str =
    "CREATE UNIQUE INDEX IF NOT EXISTS Alunos_Matricula ON Alunos(Matricula)";

/// The start of every query that reads students: the columns in this order,
/// `rowid` first (the order of insertion, as `SELECT *` shows it). A macro,
/// so that each statement is one literal built by `concat!` at compile time:
/// no SQL text is ever assembled at run time. Each clause goes on a line of
/// its own, so that the lab report prints the statement as it is and still
/// readably.
macro_rules! select {
    ($($rest:literal),*) => {
        concat!("SELECT rowid, Nome, Matricula, Idade, Ingresso, Situacao FROM Alunos", $("\n  ", $rest),*)
    };
}

/// Every list of students, whatever the filters: one fixed statement, where
/// a filter that is NULL lets every row through. No SQL is built from input.
pub const LIST: &str = select!(
    "WHERE (?1 IS NULL OR Situacao = ?1 COLLATE NOCASE)",
    "AND (?2 IS NULL OR Ingresso > ?2)",
    "AND (?3 IS NULL OR fold(Nome) = ?3)",
    "ORDER BY rowid"
);

/// One student by matrícula (the first, should a table made by someone
/// else hold it twice).
pub const GET: &str = select!("WHERE Matricula = ?1 ORDER BY rowid LIMIT 1");

/// Is the matrícula taken? Asked before every insert, inside the insert's
/// transaction. Ours, not the unique index's, so that it also holds on a
/// table without the index (made by `Escrever.py`).
pub const EXISTS: &str = "SELECT 1 FROM Alunos WHERE Matricula = ?1 LIMIT 1";

/// Insert one student, the columns named in the table's order.
pub const INSERT: &str =
    "INSERT INTO Alunos (Nome, Matricula, Idade, Ingresso, Situacao) VALUES (?1, ?2, ?3, ?4, ?5)";

/// The rows a rename may change: those with the name, and the one with the
/// matrícula if one was given (so that a wrong name can be reported).
pub const RENAME_FIND: &str = select!("WHERE fold(Nome) = ?1 OR Matricula = ?2", "ORDER BY rowid");

/// Rename the student with a matrícula.
pub const RENAME_BY_MATRICULA: &str = "UPDATE Alunos SET Nome = ?1 WHERE Matricula = ?2";

/// Rename every student with a name (compared folded).
pub const RENAME_BY_NAME: &str = "UPDATE Alunos SET Nome = ?1 WHERE fold(Nome) = ?2";

/// One SQL statement as the repository runs it: its text, and the values
/// bound to `?1`, `?2`, ... in order. The repository executes these values
/// and the lab report prints them, so the report shows what runs.
///
/// ```
/// use sqlite_students::repo::Sql;
/// let sql = Sql::get(2213482);
/// assert_eq!(sql.bindings(), "?1 = 2213482");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sql {
    pub statement: &'static str,
    pub params: Vec<SqlValue>,
}

/// A value bound to a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Text(String),
}

impl Sql {
    /// The students that pass `filter` ([`LIST`]). The name is bound
    /// folded, as `fold(Nome)` is compared.
    pub fn list(filter: &Filter) -> Self {
        Self {
            statement: LIST,
            params: vec![
                SqlValue::text(filter.situacao.as_ref().map(Situacao::as_str)),
                SqlValue::integer(filter.ingresso_apos),
                SqlValue::text(filter.nome.as_deref().map(fold).as_deref()),
            ],
        }
    }

    /// The student with this matrícula ([`GET`]).
    pub fn get(matricula: i64) -> Self {
        Self {
            statement: GET,
            params: vec![SqlValue::Integer(matricula)],
        }
    }

    /// Is this matrícula taken ([`EXISTS`])?
    pub fn exists(matricula: i64) -> Self {
        Self {
            statement: EXISTS,
            params: vec![SqlValue::Integer(matricula)],
        }
    }

    /// Insert this student ([`INSERT`]).
    pub fn insert(aluno: &Aluno) -> Self {
        Self {
            statement: INSERT,
            params: vec![
                SqlValue::Text(aluno.nome.clone()),
                SqlValue::Integer(aluno.matricula),
                SqlValue::Integer(aluno.idade.into()),
                SqlValue::Integer(aluno.ingresso.into()),
                SqlValue::Text(aluno.situacao.as_str().to_owned()),
            ],
        }
    }

    /// The rows a rename of `from` may change ([`RENAME_FIND`]).
    pub fn rename_find(from: &str, which: Which) -> Self {
        let key = match which {
            Which::Matricula(m) => Some(m),
            Which::Unique | Which::All => None,
        };
        Self {
            statement: RENAME_FIND,
            params: vec![SqlValue::Text(fold(from)), SqlValue::integer(key)],
        }
    }

    /// Rename to `to` (already normalized) the rows [`Sql::rename_find`]
    /// chose: by matrícula ([`RENAME_BY_MATRICULA`]) or by name
    /// ([`RENAME_BY_NAME`]). Inside the same transaction as the choice, so
    /// no other row can have come in between.
    pub fn rename(to: &str, from: &str, which: Which) -> Self {
        match which {
            Which::Matricula(m) => Self {
                statement: RENAME_BY_MATRICULA,
                params: vec![SqlValue::Text(to.to_owned()), SqlValue::Integer(m)],
            },
            Which::Unique | Which::All => Self {
                statement: RENAME_BY_NAME,
                params: vec![SqlValue::Text(to.to_owned()), SqlValue::Text(fold(from))],
            },
        }
    }

    /// The parameters as a report shows them: `?1 = 'Trancamento', ?2 = NULL`.
    pub fn bindings(&self) -> String {
        self.params
            .iter()
            .enumerate()
            .map(|(i, value)| format!("?{} = {value}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl SqlValue {
    fn text(value: Option<&str>) -> Self {
        value.map_or(SqlValue::Null, |t| SqlValue::Text(t.to_owned()))
    }

    fn integer(value: Option<i64>) -> Self {
        value.map_or(SqlValue::Null, SqlValue::Integer)
    }
}

/// As an SQL literal: `NULL`, `2012`, `'Trancamento'` (a `'` doubled).
impl std::fmt::Display for SqlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlValue::Null => f.write_str("NULL"),
            SqlValue::Integer(i) => write!(f, "{i}"),
            SqlValue::Text(t) => write!(f, "'{}'", t.replace('\'', "''")),
        }
    }
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(Value::Null),
            SqlValue::Integer(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            SqlValue::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

/// Run `sql`, a query of students; the rows with their rowids.
fn query(conn: &Connection, sql: &Sql) -> Result<Vec<(i64, Aluno)>, RepoError> {
    let mut stmt = conn.prepare_cached(sql.statement)?;
    let rows = stmt.query(params_from_iter(&sql.params))?;
    collect_with_rowid(rows)
}

/// Run `sql`, a query; true if it returns a row.
fn exists(conn: &Connection, sql: &Sql) -> Result<bool, RepoError> {
    let mut stmt = conn.prepare_cached(sql.statement)?;
    Ok(stmt.exists(params_from_iter(&sql.params))?)
}

/// Run `sql`, a change; how many rows it changed.
fn execute(conn: &Connection, sql: &Sql) -> Result<usize, RepoError> {
    let mut stmt = conn.prepare_cached(sql.statement)?;
    Ok(stmt.execute(params_from_iter(&sql.params))?)
}

/// The five columns of the slide's table.
pub const COLUMNS: [&str; 5] = ["Nome", "Matricula", "Idade", "Ingresso", "Situacao"];

/// How long a statement waits for another connection's write lock before
/// giving up with [`RepoError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a repository operation failed. The messages are sentences for the
/// user; the server sends them as they are.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("a student with matricula {0} already exists")]
    Duplicate(i64),
    #[error("no student has matricula {0}")]
    NotFound(i64),
    #[error("no student is named {0}")]
    NoSuchName(String),
    #[error(
        "{} students are named {nome} (matriculas {}); renaming by name would change all of them, so nothing was changed",
        matches.len(),
        matriculas(matches)
    )]
    Ambiguous { nome: String, matches: Vec<Aluno> },
    #[error(
        "the student with matricula {matricula} is named {actual}, not {expected}; nothing was changed"
    )]
    NameMismatch {
        matricula: i64,
        actual: String,
        expected: String,
    },
    #[error("{} does not exist", .0.display())]
    NoDatabase(PathBuf),
    #[error("{} is not an SQLite database", .0.display())]
    NotADatabase(PathBuf),
    #[error("the database has no table Alunos")]
    NoTable,
    #[error("the table Alunos has the columns ({}), but needs Nome, Matricula, Idade, Ingresso and Situacao", .0.join(", "))]
    Schema(Vec<String>),
    #[error("row {rowid} of Alunos cannot be read: {reason}")]
    BadRow { rowid: i64, reason: String },
    #[error("the database is busy: another program held its write lock for more than 5 s")]
    Busy,
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for RepoError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => RepoError::Busy,
            _ => RepoError::Sqlite(e),
        }
    }
}

impl RepoError {
    /// True when the request itself was refused (bad value, unknown
    /// student, conflict), as opposed to the database failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RepoError::Invalid(_)
                | RepoError::Duplicate(_)
                | RepoError::NotFound(_)
                | RepoError::NoSuchName(_)
                | RepoError::Ambiguous { .. }
                | RepoError::NameMismatch { .. }
        )
    }
}

fn matriculas(alunos: &[Aluno]) -> String {
    alunos
        .iter()
        .map(|a| a.matricula.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which rows a rename by name may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The one student with that name; several is an error
    /// ([`RepoError::Ambiguous`]), because the user may not mean them all.
    Unique,
    /// Every student with that name.
    All,
    /// The student with this matrícula, who must have that name.
    Matricula(i64),
}

/// What a rename changed: one entry per row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    pub changed: usize,
    pub rows: Vec<RenamedRow>,
}

/// One renamed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenamedRow {
    pub matricula: i64,
    pub from: String,
    pub to: String,
}

/// A student's age, the answer to "how old is Patrick?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Age {
    pub nome: String,
    pub matricula: i64,
    pub idade: u8,
}

/// The students' table in one SQLite database.
pub struct Repository {
    conn: Connection,
    path: Option<PathBuf>,
}

impl Repository {
    /// Open the database at `path`, creating the file and the table if they
    /// do not exist (as Python's `sqlite3.connect` and `Escrever.py` do).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RepoError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| open_error(e, path))?;
        let mut repo = Self::configure(conn, Some(path))?;
        repo.create_schema()?;
        Ok(repo)
    }

    /// Open an existing database that already has the table; create nothing.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, RepoError> {
        let path = path.as_ref();
        // Without SQLITE_OPEN_CREATE a missing file is an error, not a new
        // empty database (a typo in `--db` must not leave files behind).
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(e, path))?;
        let repo = Self::configure(conn, Some(path))?;
        repo.check_schema()?;
        Ok(repo)
    }

    /// A database in memory, with the table: for tests and examples.
    pub fn open_in_memory() -> Result<Self, RepoError> {
        let mut repo = Self::configure(Connection::open_in_memory()?, None)?;
        repo.create_schema()?;
        Ok(repo)
    }

    fn configure(conn: Connection, path: Option<&Path>) -> Result<Self, RepoError> {
        let path = path.map(Path::to_owned);
        let not_a_db = |e: rusqlite::Error| match (e.sqlite_error_code(), &path) {
            (Some(ErrorCode::NotADatabase), Some(p)) => RepoError::NotADatabase(p.clone()),
            _ => RepoError::from(e),
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(not_a_db)?;
        conn.create_scalar_function(
            "fold",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                Ok(match ctx.get_raw(0) {
                    ValueRef::Text(bytes) => Some(fold(&String::from_utf8_lossy(bytes))),
                    _ => None,
                })
            },
        )?;
        // SQLite reads the file lazily: this is where a file that is not a
        // database says so.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(not_a_db)?;
        Ok(Self { conn, path })
    }

    /// Switch the file to write-ahead logging, as the server does: readers
    /// no longer wait for a writer, and a commit costs one sync instead of
    /// several. The mode is stored in the file; Python's `sqlite3` reads
    /// such a file as any other.
    pub fn enable_wal(&self) -> Result<(), RepoError> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && self.path.is_some() {
            tracing::warn!("the database stayed in journal mode {mode}");
        }
        // SQLite's default, said out loud: a commit returns only once it is
        // on disk, so an acknowledged write survives a power cut. (NORMAL
        // is many times faster and may lose the last commits; see the
        // benchmark.)
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// The connection, for what the repository does not wrap (PRAGMAs,
    /// the curious reader's own SQL).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The database file; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection, to install a trace in tests.
    #[cfg(test)]
    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Create the table (and its unique index) if there is no table
    /// `Alunos`; check the columns of one that exists. Returns true if it
    /// created the table.
    pub fn create_schema(&mut self) -> Result<bool, RepoError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists = table_exists(&tx)?;
        if !exists {
            tx.execute(CREATE_TABLE, [])?;
            tx.execute(CREATE_INDEX, [])?;
        }
        tx.commit()?;
        self.check_schema()?;
        Ok(!exists)
    }

    fn check_schema(&self) -> Result<(), RepoError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM pragma_table_info('Alunos')")?;
        let found = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if found.is_empty() {
            return Err(RepoError::NoTable);
        }
        let has = |c: &str| found.iter().any(|f| f.eq_ignore_ascii_case(c));
        if COLUMNS.iter().all(|c| has(c)) {
            Ok(())
        } else {
            Err(RepoError::Schema(found))
        }
    }

    /// Insert one student; [`RepoError::Duplicate`] if the matrícula exists.
    pub fn insert(&mut self, aluno: &Aluno) -> Result<(), RepoError> {
        self.insert_all(std::slice::from_ref(aluno)).map(|_| ())
    }

    /// Insert students in one transaction: all of them, or (on any invalid
    /// field or repeated matrícula) none. Returns how many were inserted.
    pub fn insert_all(&mut self, alunos: &[Aluno]) -> Result<usize, RepoError> {
        for aluno in alunos {
            aluno.validate()?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for a in alunos {
            if exists(&tx, &Sql::exists(a.matricula))? {
                // Returning drops `tx` uncommitted: a rollback.
                return Err(RepoError::Duplicate(a.matricula));
            }
            execute(&tx, &Sql::insert(a))?;
        }
        tx.commit()?;
        Ok(alunos.len())
    }

    /// The students that pass `filter`, in the order they were inserted.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Aluno>, RepoError> {
        Ok(without_rowids(query(&self.conn, &Sql::list(filter))?))
    }

    /// Everyone: `SELECT * FROM Alunos`, as the slide's `Ler.py` reads it.
    pub fn all(&self) -> Result<Vec<Aluno>, RepoError> {
        self.list(&Filter::default())
    }

    /// The students in a situação ("who locked the course?").
    pub fn with_situacao(&self, situacao: Situacao) -> Result<Vec<Aluno>, RepoError> {
        self.list(&Filter {
            situacao: Some(situacao),
            ..Filter::default()
        })
    }

    /// The students who entered after `year` ("who entered after 2012?").
    pub fn entered_after(&self, year: i64) -> Result<Vec<Aluno>, RepoError> {
        self.list(&Filter {
            ingresso_apos: Some(year),
            ..Filter::default()
        })
    }

    /// The age of every student with this name, ignoring case ("how old is
    /// Patrick?"). [`RepoError::NoSuchName`] if there is none.
    pub fn ages(&self, nome: &str) -> Result<Vec<Age>, RepoError> {
        let named = self.list(&Filter {
            nome: Some(nome.to_owned()),
            ..Filter::default()
        })?;
        if named.is_empty() {
            return Err(RepoError::NoSuchName(nome.trim().to_owned()));
        }
        Ok(named
            .into_iter()
            .map(|a| Age {
                nome: a.nome,
                matricula: a.matricula,
                idade: a.idade,
            })
            .collect())
    }

    /// The student with this matrícula (the first, should a table made by
    /// someone else hold it twice).
    pub fn get(&self, matricula: i64) -> Result<Option<Aluno>, RepoError> {
        Ok(without_rowids(query(&self.conn, &Sql::get(matricula))?)
            .into_iter()
            .next())
    }

    /// Rename the students called `from` (ignoring case) to `to`; `which`
    /// says which of them. Nothing changes unless the whole rename can.
    pub fn rename(&mut self, from: &str, to: &str, which: Which) -> Result<Renamed, RepoError> {
        let to = crate::aluno::normalize_nome(to)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = query(&tx, &Sql::rename_find(from, which))?;
        let chosen = choose(found, from, which)?;
        // The update selects by the same rule as `choose`, in the same
        // transaction: it changes exactly the rows announced, or the
        // rename is undone.
        let changed = execute(&tx, &Sql::rename(&to, from, which))?;
        if changed != chosen.len() {
            return Err(RepoError::Internal(format!(
                "the rename chose {} rows but would change {changed}; nothing was changed",
                chosen.len()
            )));
        }
        tx.commit()?;
        let rows: Vec<RenamedRow> = chosen
            .into_iter()
            .map(|(_, a)| RenamedRow {
                matricula: a.matricula,
                from: a.nome,
                to: to.clone(),
            })
            .collect();
        Ok(Renamed {
            changed: rows.len(),
            rows,
        })
    }

    /// Change some fields of the student with this matrícula; returns the
    /// student as it is now.
    pub fn update(&mut self, matricula: i64, patch: &Patch) -> Result<Aluno, RepoError> {
        patch.validate()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let updated = {
            let mut stmt = tx.prepare_cached(
                "UPDATE Alunos SET Nome = coalesce(?1, Nome), Idade = coalesce(?2, Idade), \
                 Ingresso = coalesce(?3, Ingresso), Situacao = coalesce(?4, Situacao) \
                 WHERE Matricula = ?5 \
                 RETURNING rowid, Nome, Matricula, Idade, Ingresso, Situacao",
            )?;
            let rows = stmt.query(params![
                patch.nome,
                patch.idade,
                patch.ingresso,
                patch.situacao.as_ref().map(Situacao::as_str),
                matricula
            ])?;
            collect(rows)?
        };
        let first = updated
            .into_iter()
            .next()
            .ok_or(RepoError::NotFound(matricula))?;
        tx.commit()?;
        Ok(first)
    }

    /// Delete the student with this matrícula; returns who was deleted.
    pub fn delete(&mut self, matricula: i64) -> Result<Aluno, RepoError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM Alunos WHERE Matricula = ?1 \
                 RETURNING rowid, Nome, Matricula, Idade, Ingresso, Situacao",
            )?;
            collect(stmt.query([matricula])?)?
        };
        let first = deleted
            .into_iter()
            .next()
            .ok_or(RepoError::NotFound(matricula))?;
        tx.commit()?;
        Ok(first)
    }

    /// How many rows the table holds.
    pub fn count(&self) -> Result<usize, RepoError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM Alunos", [], |row| row.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// Pick the rows a rename may change, or say why it may not.
fn choose(
    found: Vec<(i64, Aluno)>,
    from: &str,
    which: Which,
) -> Result<Vec<(i64, Aluno)>, RepoError> {
    let wanted = fold(from);
    let name = from.trim().to_owned();
    match which {
        Which::Matricula(m) => {
            let same_key: Vec<_> = found
                .into_iter()
                .filter(|(_, a)| a.matricula == m)
                .collect();
            let Some((_, first)) = same_key.first() else {
                return Err(RepoError::NotFound(m));
            };
            if fold(&first.nome) != wanted {
                return Err(RepoError::NameMismatch {
                    matricula: m,
                    actual: first.nome.clone(),
                    expected: name,
                });
            }
            Ok(same_key)
        }
        Which::Unique | Which::All => {
            let named: Vec<_> = found
                .into_iter()
                .filter(|(_, a)| fold(&a.nome) == wanted)
                .collect();
            if named.is_empty() {
                return Err(RepoError::NoSuchName(name));
            }
            if which == Which::Unique && named.len() > 1 {
                return Err(RepoError::Ambiguous {
                    nome: name,
                    matches: named.into_iter().map(|(_, a)| a).collect(),
                });
            }
            Ok(named)
        }
    }
}

fn table_exists(conn: &Connection) -> Result<bool, RepoError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'Alunos' COLLATE NOCASE",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn open_error(e: rusqlite::Error, path: &Path) -> RepoError {
    match e.sqlite_error_code() {
        Some(ErrorCode::CannotOpen) if !path.exists() => RepoError::NoDatabase(path.to_owned()),
        Some(ErrorCode::NotADatabase) => RepoError::NotADatabase(path.to_owned()),
        _ => RepoError::from(e),
    }
}

fn collect(rows: rusqlite::Rows<'_>) -> Result<Vec<Aluno>, RepoError> {
    Ok(without_rowids(collect_with_rowid(rows)?))
}

fn without_rowids(rows: Vec<(i64, Aluno)>) -> Vec<Aluno> {
    rows.into_iter().map(|(_, a)| a).collect()
}

fn collect_with_rowid(mut rows: rusqlite::Rows<'_>) -> Result<Vec<(i64, Aluno)>, RepoError> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        out.push((rowid, read_row(row)?));
    }
    Ok(out)
}

/// Turn a row (`rowid, Nome, Matricula, Idade, Ingresso, Situacao`) into an
/// `Aluno`. The file may have been written by any program, so every value
/// is checked for its type; a row that does not fit names itself in the error.
fn read_row(row: &rusqlite::Row<'_>) -> Result<Aluno, RepoError> {
    let rowid: i64 = row.get(0)?;
    let bad = |reason: String| RepoError::BadRow { rowid, reason };
    let nome = match row.get_ref(1)? {
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map_err(|_| bad("Nome is not valid UTF-8".into()))?
            .to_owned(),
        other => return Err(bad(format!("Nome is {}, not text", describe(other)))),
    };
    let matricula = match row.get_ref(2)? {
        ValueRef::Integer(i) => i,
        // `Matricula REAL`: a whole number comes back as a float
        // (2213482.0), which is exact up to 2^53.
        ValueRef::Real(f) if f.fract() == 0.0 && (1.0..=MAX_MATRICULA as f64).contains(&f) => {
            f as i64
        }
        other => {
            return Err(bad(format!(
                "Matricula is {}, not a whole number from 1 to 2^53",
                describe(other)
            )));
        }
    };
    let idade = small_int(row.get_ref(3)?, "Idade").map_err(&bad)?;
    let ingresso = small_int(row.get_ref(4)?, "Ingresso").map_err(&bad)?;
    let situacao = match row.get_ref(5)? {
        // Any text is read: one the four do not hold becomes
        // `Situacao::Other`, listed and flagged rather than failing the
        // whole list (and the delete or the rename that would repair it).
        ValueRef::Text(t) => Situacao::from_stored(&String::from_utf8_lossy(t)),
        other => return Err(bad(format!("Situacao is {}, not text", describe(other)))),
    };
    Ok(Aluno {
        nome,
        matricula,
        idade,
        ingresso,
        situacao,
    })
}

fn small_int<T: TryFrom<i64>>(value: ValueRef<'_>, column: &str) -> Result<T, String> {
    let whole = match value {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(f as i64),
        _ => None,
    };
    whole
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| format!("{column} is {}, out of range", describe(value)))
}

fn describe(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aluno::{escrever_py_student, exercise_students};

    fn repo_with_slide_data() -> Repository {
        let mut repo = Repository::open_in_memory().unwrap();
        repo.insert(&escrever_py_student()).unwrap();
        repo.insert_all(&exercise_students()).unwrap();
        repo
    }

    fn names(alunos: &[Aluno]) -> Vec<&str> {
        alunos.iter().map(|a| a.nome.as_str()).collect()
    }

    #[test]
    fn answers_the_exercise() {
        let mut repo = repo_with_slide_data();
        assert_eq!(
            names(&repo.with_situacao(Situacao::Trancamento).unwrap()),
            ["Pedro"]
        );
        assert_eq!(
            names(&repo.entered_after(2012).unwrap()),
            ["Pedro", "João", "Pedro", "Maísa", "Patrick"]
        );
        assert_eq!(repo.ages("Patrick").unwrap()[0].idade, 24);
        let renamed = repo
            .rename("Pedro", "Carlos", Which::Matricula(13100001))
            .unwrap();
        assert_eq!(renamed.changed, 1);
        assert_eq!(repo.get(13100001).unwrap().unwrap().nome, "Carlos");
        assert_eq!(repo.get(2213482).unwrap().unwrap().nome, "Pedro");
    }

    #[test]
    fn a_hostile_name_is_stored_as_plain_text() {
        let mut repo = repo_with_slide_data();
        let bobby = "Robert'); DROP TABLE Alunos;--";
        let aluno = Aluno::new(bobby, 99, 20, 2020, Situacao::Cursando).unwrap();
        repo.insert(&aluno).unwrap();
        let found = repo.ages(bobby).unwrap();
        assert_eq!(found[0].nome, bobby);
        assert_eq!(repo.count().unwrap(), 6, "the table is still there");
        let renamed = repo.rename(bobby, "x'--", Which::Unique).unwrap();
        assert_eq!(renamed.rows[0].from, bobby);
        assert_eq!(repo.get(99).unwrap().unwrap().nome, "x'--");
    }

    #[test]
    fn a_batch_with_a_duplicate_inserts_nothing() {
        let mut repo = repo_with_slide_data();
        let new = Aluno::new("Ana", 1, 20, 2020, Situacao::Cursando).unwrap();
        let err = repo
            .insert_all(&[new.clone(), escrever_py_student()])
            .unwrap_err();
        assert!(matches!(err, RepoError::Duplicate(2213482)), "{err}");
        assert_eq!(repo.get(1).unwrap(), None);
        let twice = repo.insert_all(&[new.clone(), new]).unwrap_err();
        assert!(matches!(twice, RepoError::Duplicate(1)), "{twice}");
        assert_eq!(repo.count().unwrap(), 5);
    }

    #[test]
    fn renaming_a_shared_name_needs_a_choice() {
        let mut repo = repo_with_slide_data();
        let err = repo.rename("pedro", "Carlos", Which::Unique).unwrap_err();
        match &err {
            RepoError::Ambiguous { matches, .. } => assert_eq!(matches.len(), 2),
            other => panic!("expected Ambiguous, got {other}"),
        }
        assert_eq!(
            err.to_string(),
            "2 students are named pedro (matriculas 2213482, 13100001); renaming by name would change all of them, so nothing was changed"
        );
        assert_eq!(repo.ages("Pedro").unwrap().len(), 2, "nothing was renamed");
        let all = repo.rename("PEDRO", "Carlos", Which::All).unwrap();
        assert_eq!(all.changed, 2);
        assert_eq!(
            all.rows.iter().map(|r| r.from.as_str()).collect::<Vec<_>>(),
            ["Pedro", "Pedro"]
        );
    }

    #[test]
    fn renaming_by_matricula_checks_the_name() {
        let mut repo = repo_with_slide_data();
        let err = repo
            .rename("Pedro", "Carlos", Which::Matricula(11280821))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the student with matricula 11280821 is named Maísa, not Pedro; nothing was changed"
        );
        assert!(matches!(
            repo.rename("Pedro", "Carlos", Which::Matricula(5)),
            Err(RepoError::NotFound(5))
        ));
        assert!(matches!(
            repo.rename("Zé", "Carlos", Which::Unique),
            Err(RepoError::NoSuchName(_))
        ));
    }

    #[test]
    fn accents_and_case_are_handled_in_sql() {
        let repo = repo_with_slide_data();
        for query in ["maísa", "MAÍSA", "Mai\u{301}sa", " Maísa "] {
            assert_eq!(
                names(
                    &repo
                        .list(&Filter {
                            nome: Some(query.into()),
                            ..Filter::default()
                        })
                        .unwrap()
                ),
                ["Maísa"],
                "{query:?}"
            );
        }
        assert!(repo.ages("Maisa").is_err(), "accents are not ignored");
        assert_eq!(repo.get(10114385).unwrap().unwrap().nome, "João");
    }

    #[test]
    fn update_and_delete_report_missing_students() {
        let mut repo = repo_with_slide_data();
        let patch = Patch::new(None, Some(20), None, Some(Situacao::Formado)).unwrap();
        let updated = repo.update(2213482, &patch).unwrap();
        assert_eq!((updated.idade, updated.situacao), (20, Situacao::Formado));
        assert_eq!(updated.nome, "Pedro");
        assert!(matches!(
            repo.update(7, &patch),
            Err(RepoError::NotFound(7))
        ));
        assert_eq!(repo.delete(2213482).unwrap().nome, "Pedro");
        assert!(matches!(repo.delete(2213482), Err(RepoError::NotFound(_))));
        assert_eq!(repo.count().unwrap(), 4);
    }

    #[test]
    fn matricula_lookups_use_the_index() {
        let repo = repo_with_slide_data();
        let plan: String = repo
            .connection()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT 1 FROM Alunos WHERE Matricula = ?1",
                [1],
                |row| row.get(3),
            )
            .unwrap();
        assert!(plan.contains("Alunos_Matricula"), "{plan}");
    }

    #[test]
    fn rows_written_by_others_are_read_or_named() {
        let repo = Repository::open_in_memory().unwrap();
        repo.connection()
            .execute(
                "INSERT INTO Alunos VALUES ('Ana', 2213482.0, 19.0, 2022, 'cursando')",
                [],
            )
            .unwrap();
        let ana = repo.get(2213482).unwrap().unwrap();
        assert_eq!((ana.idade, ana.situacao), (19, Situacao::Cursando));
        repo.connection()
            .execute(
                "INSERT INTO Alunos VALUES ('Bia', 1.5, 19, 2022, 'Cursando')",
                [],
            )
            .unwrap();
        let err = repo.all().unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 2 of Alunos cannot be read: Matricula is 1.5, not a whole number from 1 to 2^53"
        );
    }

    #[test]
    fn a_foreign_table_shape_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute("CREATE TABLE Alunos(Nome TEXT, Idade INTEGER)", [])
            .unwrap();
        let mut repo = Repository::configure(conn, None).unwrap();
        let err = repo.create_schema().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the table Alunos has the columns (Nome, Idade), but needs Nome, Matricula, Idade, Ingresso and Situacao"
        );
    }
}

//! A real SQLite database: the `sqlite3` command-line program (Debian's
//! `sqlite3`) on a database file in a temporary directory, which goes when
//! the value is dropped.
//!
//! Every call is one `sqlite3 -init /dev/null -bail -batch FILE` reading
//! its SQL on stdin, as `sqlite3 FILE < script.sql` would load a script,
//! but without `~/.sqliterc` and stopping at the first error (without
//! `-bail` it carries on with the next statement).

use super::{output_within, script_head};
use crate::testing::timeout;
use std::path::{Path, PathBuf};
use std::process::Command;

/// True if the `sqlite3` program is installed.
pub fn available() -> bool {
    crate::testing::has_program("sqlite3")
}

/// True if the test may go on: the database is installed. Otherwise the
/// test is skipped with the reason (a failure under `REQUIRE_ALL_TESTS=1`).
pub fn required(test: &str) -> bool {
    crate::testing::require(
        test,
        available(),
        "sqlite3 is not installed (apt-get install sqlite3)",
    )
}

/// A database file of the test's own.
pub struct Sqlite {
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Default for Sqlite {
    fn default() -> Self {
        Self::new()
    }
}

impl Sqlite {
    /// A fresh, empty database (`sqlite3` creates the file on first use).
    #[track_caller]
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("test.db");
        Self { file, _dir: dir }
    }

    /// Run `sql` with `sqlite3`; stdout, or sqlite3's error (its stderr,
    /// `Parse error near line 3: ...`).
    pub fn run(&self, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new("sqlite3");
        cmd.args(["-init", "/dev/null", "-bail", "-batch"])
            .arg(&self.file);
        let out = output_within(&mut cmd, sql, timeout())?;
        // sqlite3 exits 1 after an error; a non-empty stderr is one too,
        // whatever the version's exit status.
        if out.status.success() && out.stderr.is_empty() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Load a script, as `sqlite3 -bail FILE < script.sql` would.
    #[track_caller]
    pub fn load(&self, script: &str) {
        if let Err(e) = self.run(script) {
            panic!(
                "SQLite refused the script: {e}\n--- script ---\n{}",
                script_head(script)
            );
        }
    }

    /// Every row of `table` as a JSON array of its columns (as `json_array`
    /// writes them: an INTEGER as an integer, TEXT as a string; a BLOB is
    /// an error), in insertion order (`ORDER BY rowid`). A REAL is a JSON
    /// number too, but read exactly: `json_array` prints it with 15 digits
    /// (0.30000000000000004 as 0.3), so it is printed with 17 here.
    #[track_caller]
    pub fn rows(&self, table: &str, columns: &[String]) -> Vec<Vec<serde_json::Value>> {
        let quoted: Vec<String> = columns
            .iter()
            .map(|c| {
                let c = ident(c);
                format!(
                    "CASE typeof({c}) WHEN 'real' THEN json(printf('%!.17g', {c})) ELSE {c} END"
                )
            })
            .collect();
        let sql = format!(
            "SELECT json_array({}) FROM {} ORDER BY rowid;",
            quoted.join(", "),
            ident(table)
        );
        let out = self.run(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        super::json_rows(&out)
    }

    /// The column types of `table` as declared, lower case (`varchar(12)`,
    /// `integer`, empty if none), in the table's order: (column, type).
    #[track_caller]
    pub fn column_types(&self, table: &str) -> Vec<(String, String)> {
        let sql = format!(
            "SELECT json_array(name, lower(type)) FROM pragma_table_info({}) ORDER BY cid;",
            literal(table)
        );
        let out = self.run(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let types: Vec<(String, String)> = out
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not [name, type] ({e}): {line}"))
            })
            .collect();
        assert!(!types.is_empty(), "no table {table:?} in the database");
        types
    }

    /// The storage class of `column` in every row of `table` (`integer`,
    /// `real`, `text`, `blob` or `null`), in insertion order: a column's
    /// declared type is only an affinity, so this is what a value became.
    #[track_caller]
    pub fn typeof_column(&self, table: &str, column: &str) -> Vec<String> {
        let sql = format!(
            "SELECT typeof({}) FROM {} ORDER BY rowid;",
            ident(column),
            ident(table)
        );
        let out = self.run(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.lines().map(str::to_owned).collect()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

/// `name` as an SQL identifier: double-quoted, its `"` doubled.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

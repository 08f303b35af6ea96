//! A real MariaDB server, started by the test in a temporary directory.
//!
//! The server runs with `--no-defaults` (so nothing of the machine's
//! configuration applies: the server's character set is MariaDB's default,
//! latin1), on a Unix socket only (`--skip-networking`: no port), with
//! `--skip-grant-tables` (no accounts to set up, so it is ready in a fraction
//! of a second). It is killed when the value is dropped, and its files go
//! with the temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The MariaDB server program, if installed (Debian's `mariadb-server`).
pub fn server_program() -> Option<PathBuf> {
    let candidates = [
        "mariadbd",
        "/usr/sbin/mariadbd",
        "/usr/libexec/mariadbd",
        "mysqld",
        "/usr/sbin/mysqld",
    ];
    candidates.iter().map(PathBuf::from).find(|p| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The command-line client, if installed.
pub fn client_program() -> Option<&'static str> {
    ["mariadb", "mysql"]
        .into_iter()
        .find(|p| crate::testing::has_program(p))
}

/// True if a test can start a MariaDB server here.
pub fn available() -> bool {
    cfg!(unix) && server_program().is_some() && client_program().is_some()
}

/// True if the test may go on: the database is installed. Otherwise the
/// test is skipped with the reason (a failure under `REQUIRE_ALL_TESTS=1`).
pub fn required(test: &str) -> bool {
    crate::testing::require(
        test,
        available(),
        if cfg!(unix) {
            "MariaDB is not installed (apt-get install mariadb-server)"
        } else {
            super::UNIX_ONLY
        },
    )
}

/// A running MariaDB server of the test's own.
pub struct MariaDb {
    child: Child,
    socket: PathBuf,
    client: &'static str,
    _dir: tempfile::TempDir,
}

impl MariaDb {
    /// Start a fresh server and wait until it accepts connections.
    #[track_caller]
    pub fn start() -> Self {
        let program = server_program().expect("mariadbd (check `available()` first)");
        let client = client_program().expect("the mariadb client");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("a data directory");
        let socket = dir.path().join("mariadb.sock");
        let mut cmd = Command::new(program);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mariadb.pid").display()
            ))
            .args([
                "--skip-networking",
                "--skip-grant-tables",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
            ]);
        if super::running_as_root() {
            cmd.arg("--user=root");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mariadbd");
        super::wait_until_ready(&mut child, "ready for connections", |child| {
            let _ = child.kill();
        });
        Self {
            child,
            socket,
            client,
            _dir: dir,
        }
    }

    /// Run `sql` with the command-line client (`--batch --raw
    /// --skip-column-names`), in database `db` if given; stdout, or the
    /// client's error.
    pub fn run(&self, db: Option<&str>, sql: &str, charset: &str) -> Result<String, String> {
        let mut cmd = Command::new(self.client);
        cmd.arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["--user=root", "--batch", "--raw", "--skip-column-names"])
            .arg(format!("--default-character-set={charset}"));
        if let Some(db) = db {
            cmd.arg(db);
        }
        let out = super::output_within(&mut cmd, sql, crate::testing::timeout())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Create database `db`.
    #[track_caller]
    pub fn create_database(&self, db: &str) {
        self.run(None, &format!("CREATE DATABASE `{db}`;"), "utf8mb4")
            .unwrap_or_else(|e| panic!("CREATE DATABASE {db}: {e}"));
    }

    /// Load a script into `db`, as `mariadb db < script.sql` would.
    #[track_caller]
    pub fn load(&self, db: &str, script: &str) {
        if let Err(e) = self.run(Some(db), script, "utf8mb4") {
            panic!(
                "MariaDB refused the script: {e}\n--- script ---\n{}",
                head(script)
            );
        }
    }

    /// Every row of `table` as a JSON array of its columns, in insertion
    /// order (InnoDB keeps rows of a table without a key in that order).
    #[track_caller]
    pub fn rows(&self, db: &str, table: &str, columns: &[String]) -> Vec<Vec<serde_json::Value>> {
        let quoted: Vec<String> = columns
            .iter()
            .map(|c| format!("`{}`", c.replace('`', "``")))
            .collect();
        let sql = format!(
            "SELECT JSON_ARRAY({}) FROM `{}`;",
            quoted.join(", "),
            table.replace('`', "``")
        );
        let out = self
            .run(Some(db), &sql, "utf8mb4")
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        super::json_rows(&out)
    }

    /// `SHOW CREATE TABLE`'s column types, lower case: (column, type).
    #[track_caller]
    pub fn column_types(&self, db: &str, table: &str) -> Vec<(String, String)> {
        let sql = format!(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = '{}' ORDER BY ORDINAL_POSITION;",
            table.replace('\'', "''")
        );
        let out = self
            .run(None, &sql, "utf8mb4")
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(c, t)| (c.to_owned(), t.to_lowercase()))
            .collect()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn head(script: &str) -> String {
    script.lines().take(60).collect::<Vec<_>>().join("\n")
}

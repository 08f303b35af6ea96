//! A real PostgreSQL server, started by the test in a temporary directory.
//!
//! `initdb` makes a fresh cluster there (trust authentication, so no
//! passwords; UTF-8 and the C locale, so nothing of the machine's locale
//! applies), and `postgres` serves it on a Unix socket only
//! (`listen_addresses=''`: no port, so servers of tests running in parallel
//! never collide), with `fsync` and autovacuum off. It is stopped when the
//! value is dropped, and its files go with the temporary directory.
//!
//! Both programs refuse to run as root, and CI runs the tests as root: then
//! they run as the `postgres` user that Debian's package creates, in
//! directories handed to that user.

use super::{output_within, script_head};
use crate::testing::timeout;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The port in the socket's name (`.s.PGSQL.5432`). Nothing listens on it:
/// each server has a socket directory of its own.
const PORT: &str = "5432";

/// The server's programs, `initdb` and `postgres`, if installed. Debian
/// keeps them out of PATH, in `/usr/lib/postgresql/<version>/bin` (newest
/// version first); elsewhere they are on PATH.
pub fn server_programs() -> Option<(PathBuf, PathBuf)> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    let installed = versions.into_iter().find_map(|(_, bin)| {
        let (initdb, postgres) = (bin.join("initdb"), bin.join("postgres"));
        (initdb.is_file() && postgres.is_file()).then_some((initdb, postgres))
    });
    installed.or_else(|| {
        (crate::testing::has_program("initdb") && crate::testing::has_program("postgres"))
            .then(|| ("initdb".into(), "postgres".into()))
    })
}

/// The command-line client, `psql`: the one beside `initdb` (the same
/// version), else the one on PATH (Debian's `/usr/bin/psql` is a wrapper
/// that picks a version).
pub fn client_program() -> Option<PathBuf> {
    if let Some((initdb, _)) = server_programs() {
        let beside = initdb.with_file_name("psql");
        if beside.is_file() {
            return Some(beside);
        }
    }
    crate::testing::has_program("psql").then(|| "psql".into())
}

/// True if a test can start a PostgreSQL server here (as root, that needs
/// the `postgres` user too).
pub fn available() -> bool {
    cfg!(unix)
        && server_programs().is_some()
        && client_program().is_some()
        && (!super::running_as_root() || postgres_user().is_some())
}

/// True if the test may go on: the database is installed. Otherwise the
/// test is skipped with the reason (a failure under `REQUIRE_ALL_TESTS=1`).
pub fn required(test: &str) -> bool {
    crate::testing::require(
        test,
        available(),
        if cfg!(unix) {
            "PostgreSQL is not installed (apt-get install postgresql)"
        } else {
            super::UNIX_ONLY
        },
    )
}

/// The uid and gid of the `postgres` user, if there is one.
fn postgres_user() -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A command for one of the server's programs: as the `postgres` user when
/// we are root (set by the kernel in the child itself, rather than through
/// `runuser`, which would stand between us and the server: it does not
/// pass on SIGKILL, so killing it would leave the server running), in `dir`
/// (the test's own directory may be closed to that user), and without the
/// `PG...` variables of our environment (`PGPORT` would change the
/// server's port).
fn server_command(program: &Path, user: Option<(u32, u32)>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    #[cfg(unix)]
    if let Some((uid, gid)) = user {
        use std::os::unix::process::CommandExt as _;
        cmd.uid(uid).gid(gid);
    }
    #[cfg(not(unix))]
    let _ = user;
    cmd.current_dir(dir).env("LC_ALL", "C");
    remove_pg_variables(&mut cmd);
    cmd
}

fn remove_pg_variables(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
}

/// Send `signal` (`QUIT`, `TERM`, ...) to process `pid`. Through the shell's
/// own `kill`, because `sh` is on every machine and the `kill` program is
/// not (Debian's comes with procps, which PostgreSQL does not need).
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .stderr(Stdio::null())
        .status();
}

/// Stop the server: SIGQUIT is PostgreSQL's immediate shutdown (the
/// postmaster stops its backends and waits for them, no checkpoint: the data
/// is thrown away anyway). Killed if it has not exited by the deadline.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        signal(child.id(), "QUIT");
        let deadline = Instant::now() + timeout();
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A running PostgreSQL server of the test's own.
pub struct PostgreSql {
    child: Child,
    socket_dir: PathBuf,
    client: PathBuf,
    _dir: tempfile::TempDir,
}

impl PostgreSql {
    /// Make a fresh cluster, start its server and wait until it accepts
    /// connections.
    #[track_caller]
    pub fn start() -> Self {
        let (initdb, postgres) =
            server_programs().expect("initdb and postgres (check `available()` first)");
        let client = client_program().expect("psql (check `available()` first)");
        let user = if super::running_as_root() {
            Some(
                postgres_user().expect("a `postgres` user to run the server as, since we are root"),
            )
        } else {
            None
        };
        // A short name: the socket's path must fit in 107 bytes.
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir()
            .expect("a temporary directory");
        let data = dir.path().join("data");
        let socket_dir = dir.path().join("socket");
        for sub in [&data, &socket_dir] {
            std::fs::create_dir(sub).expect("a directory for the server");
        }
        #[cfg(unix)]
        if let Some((uid, gid)) = user {
            // tempfile makes the directory 0700: the server's user must
            // get through it to its own directories.
            std::fs::set_permissions(
                dir.path(),
                std::os::unix::fs::PermissionsExt::from_mode(0o755),
            )
            .expect("open the temporary directory to the postgres user");
            for sub in [&data, &socket_dir] {
                std::os::unix::fs::chown(sub, Some(uid), Some(gid))
                    .expect("hand a directory to the postgres user");
            }
        }
        let out = output_within(
            server_command(&initdb, user, dir.path())
                .arg("-D")
                .arg(&data)
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--locale=C",
                    // Nothing needs to survive a crash of the machine.
                    "--no-sync",
                ]),
            "",
            timeout(),
        )
        .unwrap_or_else(|e| panic!("initdb: {e}"));
        if !out.status.success() {
            panic!(
                "initdb failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut child = server_command(&postgres, user, dir.path())
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-p", PORT])
            .args([
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                // Autovacuum would free the space of deleted rows behind
                // the tests' back, and `rows` reads in physical order.
                "-c",
                "autovacuum=off",
                "-c",
                "shared_buffers=16MB",
                "-c",
                "max_connections=20",
                "-c",
                "logging_collector=off",
                "-c",
                "log_destination=stderr",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postgres");
        super::wait_until_ready(
            &mut child,
            "database system is ready to accept connections",
            stop,
        );
        Self {
            child,
            socket_dir,
            client,
            _dir: dir,
        }
    }

    /// Run `sql` with `psql` (no `.psqlrc`, stopping at the first error,
    /// rows unaligned and without headers), in database `db`, or
    /// `postgres` if none; stdout, or psql's error (its stderr).
    pub fn run(&self, db: Option<&str>, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new(&self.client);
        remove_pg_variables(&mut cmd);
        cmd.arg("-h")
            .arg(&self.socket_dir)
            .args(["-p", PORT, "-U", "postgres", "-d", db.unwrap_or("postgres")])
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--no-align",
                "--tuples-only",
            ])
            // The script as a file (`-`, stdin), so that an error says its
            // line: `psql:<stdin>:3: ERROR: ...`.
            .args(["-f", "-"])
            // English messages, and the script's bytes taken as UTF-8.
            .env("LC_ALL", "C")
            .env("PGCLIENTENCODING", "UTF8");
        let out = output_within(&mut cmd, sql, timeout())?;
        // psql exits 3 when the script fails (ON_ERROR_STOP), 2 when it
        // cannot connect, 1 on its own errors.
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Create database `db` (its name kept as written, case and all).
    #[track_caller]
    pub fn create_database(&self, db: &str) {
        self.run(None, &format!("CREATE DATABASE {};", ident(db)))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {db}: {e}"));
    }

    /// Load a script into `db`, as `psql -d db -v ON_ERROR_STOP=1 <
    /// script.sql` would.
    #[track_caller]
    pub fn load(&self, db: &str, script: &str) {
        if let Err(e) = self.run(Some(db), script) {
            panic!(
                "PostgreSQL refused the script: {e}\n--- script ---\n{}",
                script_head(script)
            );
        }
    }

    /// Every row of `table` as a JSON array of its columns (as
    /// `json_build_array` writes them: a timestamp as `2024-01-02T03:04:05`,
    /// an interval as `1 day 02:00:00`, a boolean as `true`), in insertion
    /// order: `ORDER BY ctid` is the rows' place in the table's file, which
    /// is the order they were inserted in while the table has only had
    /// inserts (or was emptied by `TRUNCATE`; after a `DELETE`, new rows
    /// may reuse the space).
    ///
    /// The table and column names are quoted, so they must be written as
    /// the table holds them: an unquoted `CREATE TABLE Table_Tipos` makes
    /// `table_tipos`.
    #[track_caller]
    pub fn rows(&self, db: &str, table: &str, columns: &[String]) -> Vec<Vec<serde_json::Value>> {
        let quoted: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let sql = format!(
            "SELECT json_build_array({}) FROM {} ORDER BY ctid;",
            quoted.join(", "),
            ident(table)
        );
        let out = self
            .run(Some(db), &sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        super::json_rows(&out)
    }

    /// The column types of `table` (in the current schema, `public`), lower
    /// case, in the table's order: (column, type). The type is
    /// `information_schema`'s `data_type` (`integer`, `timestamp without
    /// time zone`, ...), with the length of a character type:
    /// `character varying(12)`.
    #[track_caller]
    pub fn column_types(&self, db: &str, table: &str) -> Vec<(String, String)> {
        let sql = format!(
            "SELECT json_build_array(column_name, data_type, character_maximum_length) \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = {} \
             ORDER BY ordinal_position;",
            literal(table)
        );
        let out = self
            .run(Some(db), &sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let types: Vec<(String, String)> = out
            .lines()
            .map(|line| {
                let (column, kind, length): (String, String, Option<u64>) =
                    serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("not [name, type, length] ({e}): {line}"));
                let kind = kind.to_lowercase();
                match length {
                    Some(n) => (column, format!("{kind}({n})")),
                    None => (column, kind),
                }
            })
            .collect();
        assert!(
            !types.is_empty(),
            "no table {table:?} in database {db:?} (an unquoted name is folded to lower case)"
        );
        types
    }

    /// The server's SQL keywords, with their category (`pg_get_keywords`'s
    /// `catcode`): `U` unreserved, `C` unreserved but not a function or type
    /// name, `T` reserved but allowed as a function or type name, `R`
    /// reserved.
    #[track_caller]
    pub fn keywords(&self) -> Vec<(String, char)> {
        let sql = "SELECT json_build_array(word, catcode) FROM pg_get_keywords() ORDER BY word;";
        let out = self.run(None, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.lines()
            .map(|line| {
                serde_json::from_str::<(String, char)>(line)
                    .unwrap_or_else(|e| panic!("not [word, catcode] ({e}): {line}"))
            })
            .collect()
    }

    /// The directory of the server's socket (`psql -h` takes it).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }
}

impl Drop for PostgreSql {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// `name` as an SQL identifier: double-quoted, its `"` doubled.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal (`standard_conforming_strings` is on, so
/// backslashes are plain characters).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

//! What the black-box tests of `sqlite-students` share.
//!
//! The programs under test are started by command, never linked: set
//! `SQLITE_STUDENTS_SERVER` or `SQLITE_STUDENTS_CLIENT` to a command (for
//! example `"python3 my_server.py"`) and these tests grade that program
//! instead of ours. The server receives `--listen 127.0.0.1:0 --db FILE`
//! (and a limit flag in `tests/hostile.rs`);
//! the client receives `--db FILE` or `--url http://ADDR`, then `--json` if
//! the test wants JSON, then the command and its arguments.
#![allow(dead_code)] // each test file uses a different part of this module

use common::testing::{Finished, Launcher, Program, http_exchange};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// The slide's `Escrever.py`: creates `aula.db` and inserts Pedro 2213482.
pub const ESCREVER_PY: &str = include_str!("../../python/Escrever.py");

/// The slide's `Ler.py`: prints every row, then the ages over 18.
pub const LER_PY: &str = include_str!("../../python/Ler.py");

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "SQLITE_STUDENTS_SERVER",
        env!("CARGO_BIN_EXE_sqlite-students-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "SQLITE_STUDENTS_CLIENT",
        env!("CARGO_BIN_EXE_sqlite-students-client"),
    )
}

/// Start the server on a free loopback port over the database `db`.
pub fn start_server(db: &Path) -> Program {
    start_server_with(db, &[])
}

/// [`start_server`] with more flags (`--timeout 1`, ...).
pub fn start_server_with(db: &Path, flags: &[&str]) -> Program {
    let mut args = vec!["--listen", "127.0.0.1:0", "--db", path_str(db)];
    args.extend_from_slice(flags);
    server().start_server(&args)
}

/// A path as the `&str` the launchers take (temporary paths are UTF-8).
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// A fresh temporary directory for one test's database files.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// How a test reaches the data: the file itself, or the server.
pub enum Mode<'a> {
    File(&'a Path),
    Http(&'a Program),
}

impl Mode<'_> {
    /// The client flags that select this mode.
    pub fn flags(&self) -> Vec<String> {
        match self {
            Mode::File(db) => vec!["--db".into(), path_str(db).into()],
            Mode::Http(server) => vec!["--url".into(), format!("http://{}", server.addr())],
        }
    }
}

/// Run the client to its end with `args` after the mode's flags; stdin is
/// closed at once.
pub fn run_client(mode: &Mode<'_>, args: &[&str]) -> Finished {
    let flags = mode.flags();
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    client().spawn(&all).finish()
}

/// Run the client and require success; its stdout lines.
#[track_caller]
pub fn client_ok(mode: &Mode<'_>, args: &[&str]) -> Vec<String> {
    let done = run_client(mode, args);
    assert!(
        done.status.success(),
        "the client failed on {args:?}: {}",
        done.stderr
    );
    done.stdout
}

/// Run the client and require failure with one `error: ...` line; that line.
#[track_caller]
pub fn client_err(mode: &Mode<'_>, args: &[&str]) -> String {
    let done = run_client(mode, args);
    assert_eq!(
        done.status.code(),
        Some(1),
        "the client should fail on {args:?}; stdout {:?}, stderr {:?}",
        done.stdout,
        done.stderr
    );
    let lines: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "the client must say why in one line: {:?}",
        done.stderr
    );
    assert!(lines[0].starts_with("error: "), "{:?}", lines[0]);
    lines[0].to_owned()
}

/// Run one of the slide's Python programs in `dir` (where `aula.db` is).
#[track_caller]
pub fn python_in(dir: &Path, source: &str) -> Finished {
    assert!(
        common::testing::has_python(),
        "Python 3 is needed by the plain test tier (standard library only)"
    );
    let done = Launcher::python()
        .spawn_with(&["-c", source], |cmd| {
            cmd.current_dir(dir).env("PYTHONIOENCODING", "utf-8");
        })
        .finish();
    assert!(done.status.success(), "python failed: {}", done.stderr);
    done
}

/// Run Python code with `sqlite3` imported and `db` opened as `conn`;
/// its stdout lines.
#[track_caller]
pub fn python_sql(db: &Path, code: &str) -> Vec<String> {
    let source =
        format!("import sqlite3, sys\nconn = sqlite3.connect(sys.argv[1])\n{code}\nconn.close()\n");
    let done = Launcher::python()
        .spawn_with(&["-c", &source, path_str(db)], |cmd| {
            cmd.env("PYTHONIOENCODING", "utf-8");
        })
        .finish();
    assert!(done.status.success(), "python failed: {}", done.stderr);
    done.stdout
}

/// A student as JSON.
pub fn aluno(nome: &str, matricula: i64, idade: i64, ingresso: i64, situacao: &str) -> Value {
    serde_json::json!({
        "nome": nome,
        "matricula": matricula,
        "idade": idade,
        "ingresso": ingresso,
        "situacao": situacao,
    })
}

/// The exercise's four students and Escrever.py's Pedro, as JSON.
pub fn slide_students() -> Vec<Value> {
    vec![
        aluno("Pedro", 2213482, 19, 2022, "Cursando"),
        aluno("João", 10114385, 28, 2022, "Formado"),
        aluno("Pedro", 13100001, 25, 2020, "Trancamento"),
        aluno("Maísa", 11280821, 26, 2023, "Cursando"),
        aluno("Patrick", 14204123, 24, 2022, "Desistiu"),
    ]
}

/// An HTTP answer.
pub use common::testing::HttpReply as Reply;

/// What an answer of this API holds beyond HTTP (import it with
/// `use support::ApiReply as _`).
pub trait ApiReply {
    /// The `error` sentence of an error answer.
    fn error(&self) -> String;
}

impl ApiReply for Reply {
    #[track_caller]
    fn error(&self) -> String {
        match self.json().get("error").and_then(Value::as_str) {
            Some(e) => e.to_owned(),
            None => panic!(
                "an error answer needs {{\"error\": \"...\"}}: {:?}",
                self.body
            ),
        }
    }
}

/// A minimal HTTP/1.1 client over a plain `TcpStream`: what goes over the
/// wire is exactly what the test writes.
pub struct Http {
    addr: SocketAddr,
}

impl Http {
    pub fn new(server: &Program) -> Self {
        Self {
            addr: server.socket_addr(),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None)
    }

    /// How many students `GET /alunos` lists.
    #[track_caller]
    pub fn count(&self) -> usize {
        let list = self.get("/alunos").json();
        match list.as_array() {
            Some(students) => students.len(),
            None => panic!("GET /alunos is not a JSON array: {list}"),
        }
    }

    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.request("POST", path, Some(&body.to_string()))
    }

    pub fn patch(&self, path: &str, body: &Value) -> Reply {
        self.request("PATCH", path, Some(&body.to_string()))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None)
    }

    /// A request with a JSON body (if any).
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(body) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body.unwrap_or("").as_bytes());
        self.raw(&raw)
    }

    /// Send `bytes` as they are and parse the answer.
    #[track_caller]
    pub fn raw(&self, bytes: &[u8]) -> Reply {
        http_exchange(self.addr, bytes)
    }
}

/// Names of the students in a JSON array, in order.
#[track_caller]
pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {list}"))
        .iter()
        .map(|a| a["nome"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Matrículas of the students in a JSON array, in order.
#[track_caller]
pub fn matriculas(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {list}"))
        .iter()
        .map(|a| a["matricula"].as_i64().unwrap_or_default())
        .collect()
}

/// Insert the slide's five students through the API.
#[track_caller]
pub fn post_slide_students(http: &Http) {
    let reply = http.post("/alunos", &Value::Array(slide_students()));
    assert_eq!(reply.status, 201, "{}", reply.body);
}

//! Databases: the course's `Alunos` exercise on SQLite, as a library, an
//! HTTP JSON API and a client.
//!
//! A database management system (DBMS) keeps data on disk and answers
//! questions about it. The slides name its four parts, and this crate has
//! each of them:
//!
//! | part | here |
//! |---|---|
//! | the API or driver | `rusqlite`, with SQLite compiled in (nothing to install) |
//! | the data dictionary (schema) | [`repo::CREATE_TABLE`], the slide's `Alunos` table |
//! | the access language | SQL, every statement in [`repo`], values always bound as parameters |
//! | the database | the file, `aula.db` |
//!
//! and adds the piece a distributed system puts in front of a database: a
//! server ([`server`]) that is the network API, so that clients never touch
//! the file.
//!
//! # The API, by example
//!
//! ```text
//! C: POST /alunos  {"nome":"Maísa","matricula":11280821,"idade":26,"ingresso":2023,"situacao":"Cursando"}
//! S: 201 Created   Location: /alunos/11280821
//! C: GET /alunos?situacao=Trancamento
//! S: 200 OK        [{"nome":"Pedro","matricula":13100001,"idade":25,"ingresso":2020,"situacao":"Trancamento"}]
//! C: PATCH /alunos?nome=Pedro  {"nome":"Carlos"}
//! S: 409 Conflict  {"error":"2 students are named Pedro (matriculas 2213482, 13100001); ...","matches":[...]}
//! C: PATCH /alunos?nome=Pedro&matricula=13100001  {"nome":"Carlos"}
//! S: 200 OK        {"changed":1,"rows":[{"matricula":13100001,"from":"Pedro","to":"Carlos"}]}
//! ```
//!
//! # The pieces
//!
//! * [`aluno`]: the typed row (`Aluno`, `Situacao`) and the checks of every
//!   field that comes from outside;
//! * [`repo`]: the repository, every SQL statement, over one connection;
//! * [`server`]: the HTTP API (`app()` and `run(listener, ...)`: the caller
//!   binds, so tests use port 0);
//! * [`client`]: the same operations on a file (`--db`) or through the
//!   server (`--url`), with the same results;
//! * [`exercise`]: the slide's exercise, step by step, as a lab report;
//! * [`cli`] and [`report`]: the client's commands and what it prints.

pub mod aluno;
pub mod cli;
pub mod client;
pub mod exercise;
pub mod repo;
pub mod report;
pub mod server;

pub use aluno::{Aluno, Filter, Patch, Situacao};
pub use repo::{RepoError, Repository, Which};

/// The database file the programs use when given none (the slide's name).
pub const DEFAULT_DB: &str = "aula.db";

/// `text` as a terminal may show it: control and invisible characters
/// escaped (`\n`, `\x1b`, `\u{202e}`), nothing cut. A name in the database
/// may hold anything (any program can write the file, any server can
/// answer), and printed raw an ESC would drive the user's terminal and a
/// newline would forge an output line.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    common::escape::escape(text, usize::MAX)
}

/// Print lines on standard output, each [`shown`] (names inside them come
/// from the data), ignoring a closed pipe (`sqlite-students-client list |
/// head -1` must not panic, as `println!` would).
pub fn print_lines(lines: &[String]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{}", shown(line)).is_err() {
            return;
        }
    }
    let _ = out.flush();
}

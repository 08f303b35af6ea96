//! Compatibility with the slide's Python programs, both ways: we read and
//! write the `aula.db` that `Escrever.py` makes, without converting it, and
//! `Ler.py` reads the databases we make. Python's standard `sqlite3` only.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{
    ESCREVER_PY, Http, LER_PY, Mode, aluno, client_err, client_ok, python_in, python_sql,
    start_server, tempdir,
};

/// The schema as SQLite records it: every object, its type and its SQL.
fn schema(db: &Path) -> Vec<String> {
    python_sql(
        db,
        "for row in conn.execute('SELECT type, name, sql FROM sqlite_master ORDER BY name'):\n    print(row)",
    )
}

/// The storage class of every `Matricula`, as SQLite's `typeof` says.
fn matricula_types(db: &Path) -> Vec<String> {
    python_sql(
        db,
        "for row in conn.execute('SELECT DISTINCT typeof(Matricula) FROM Alunos'):\n    print(row[0])",
    )
}

#[test]
fn escrever_py_then_our_client_reads_and_writes_without_converting() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_in(dir.path(), ESCREVER_PY);
    let before = schema(&db);
    assert_eq!(
        before,
        [
            "('table', 'Alunos', 'CREATE TABLE Alunos(Nome TEXT, Matricula REAL, Idade INTEGER, Ingresso INTEGER, Situacao TEXT)')"
        ]
    );
    let mode = Mode::File(&db);
    let list = client_ok(&mode, &["--json", "list"]);
    let rows: Value = serde_json::from_str(&list[0]).expect("JSON");
    assert_eq!(
        rows,
        serde_json::json!([aluno("Pedro", 2213482, 19, 2022, "Cursando")])
    );
    client_ok(
        &mode,
        &["insert", "Maísa", "11280821", "26", "2023", "Cursando"],
    );
    client_ok(&mode, &["update", "2213482", "--idade", "20"]);
    assert_eq!(schema(&db), before, "the schema is exactly Escrever.py's");
    assert_eq!(matricula_types(&db), ["real"], "Matricula stays REAL");
    let ler = python_in(dir.path(), LER_PY);
    assert_eq!(
        ler.stdout,
        [
            "('Pedro', 2213482.0, 20, 2022, 'Cursando')",
            "('Maísa', 11280821.0, 26, 2023, 'Cursando')",
            "(20,)",
            "(26,)",
        ]
    );
}

#[test]
fn the_exercise_runs_on_the_database_escrever_py_made() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_in(dir.path(), ESCREVER_PY);
    let report = client_ok(&Mode::File(&db), &["exercise"]);
    assert!(
        report
            .iter()
            .any(|l| l.trim()
                == "-> matricula 2213482 is already there (as Pedro): not inserted again"),
        "{}",
        report.join("\n")
    );
    let ler = python_in(dir.path(), LER_PY);
    assert_eq!(ler.stdout.len(), 10, "5 rows and 5 ages: {:?}", ler.stdout);
    assert_eq!(matricula_types(&db), ["real"]);
}

#[test]
fn a_matricula_is_unique_even_in_a_table_without_our_index() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_in(dir.path(), ESCREVER_PY);
    let error = client_err(
        &Mode::File(&db),
        &["insert", "Outro", "2213482", "30", "2020", "Formado"],
    );
    assert_eq!(
        error,
        "error: a student with matricula 2213482 already exists"
    );
}

#[test]
fn ler_py_reads_the_database_our_client_made() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    client_ok(&Mode::File(&db), &["exercise"]);
    let ler = python_in(dir.path(), LER_PY);
    assert_eq!(
        ler.stdout,
        [
            "('Pedro', 2213482.0, 19, 2022, 'Cursando')",
            "('João', 10114385.0, 28, 2022, 'Formado')",
            "('Carlos', 13100001.0, 25, 2020, 'Trancamento')",
            "('Maísa', 11280821.0, 26, 2023, 'Cursando')",
            "('Patrick', 14204123.0, 24, 2022, 'Desistiu')",
            "(19,)",
            "(28,)",
            "(25,)",
            "(26,)",
            "(24,)",
        ]
    );
}

#[test]
fn ler_py_reads_the_database_our_server_serves() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let server = start_server(&db);
    let http = Http::new(&server);
    support::post_slide_students(&http);
    // While the server runs, and with the file in WAL mode.
    let ler = python_in(dir.path(), LER_PY);
    assert_eq!(ler.stdout[3], "('Maísa', 11280821.0, 26, 2023, 'Cursando')");
    assert_eq!(ler.stdout.len(), 10, "{:?}", ler.stdout);
    assert_eq!(
        python_sql(
            &db,
            "print(conn.execute('PRAGMA journal_mode').fetchone()[0])"
        ),
        ["wal"],
        "the server runs the file in WAL mode"
    );
}

#[test]
fn the_server_serves_the_database_escrever_py_made() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_in(dir.path(), ESCREVER_PY);
    let before = schema(&db);
    let server = start_server(&db);
    let http = Http::new(&server);
    assert_eq!(http.get("/alunos/2213482").json()["nome"], "Pedro");
    let duplicate = http.post("/alunos", &aluno("Outro", 2213482, 30, 2020, "Formado"));
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);
    let maisa = http.post("/alunos", &aluno("Maísa", 11280821, 26, 2023, "Cursando"));
    assert_eq!(maisa.status, 201, "{}", maisa.body);
    assert_eq!(schema(&db), before, "no table or index added");
    assert_eq!(matricula_types(&db), ["real"]);
}

#[test]
fn rows_escrever_py_wrote_twice_are_read_as_they_are() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_in(dir.path(), ESCREVER_PY);
    python_in(dir.path(), ESCREVER_PY);
    let mode = Mode::File(&db);
    let list = client_ok(&mode, &["list"]);
    assert_eq!(
        list.last().map(String::as_str),
        Some("(2 rows)"),
        "{list:?}"
    );
    let error = client_err(&mode, &["rename", "Pedro", "Carlos"]);
    assert!(error.contains("2 students are named Pedro"), "{error}");
    let python_rows = python_sql(
        &db,
        "print(conn.execute('SELECT count(*) FROM Alunos').fetchone()[0])",
    );
    assert_eq!(
        python_rows,
        ["2"],
        "nothing merged or deleted behind the user's back"
    );
}

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

/// What another program may write and the API never does: a `Situacao`
/// that is none of the four. Python's `sqlite3` checks nothing.
const JUBILADO: &str =
    "conn.execute(\"INSERT INTO Alunos VALUES ('Zé', 77, 20, 2021, 'Jubilado')\")\nconn.commit()";

/// The flag the API puts on such a row.
const JUBILADO_WARNING: &str =
    "situacao \"Jubilado\" is none of Cursando, Formado, Trancamento, Desistiu";

/// The server over a database holding Pedro (inserted through the API)
/// and then Python's `Jubilado` row.
fn server_with_a_jubilado(db: &Path) -> (common::testing::Program, Http) {
    let server = start_server(db);
    let http = Http::new(&server);
    let pedro = http.post("/alunos", &aluno("Pedro", 2213482, 19, 2022, "Cursando"));
    assert_eq!(pedro.status, 201, "{}", pedro.body);
    python_sql(db, JUBILADO);
    (server, http)
}

/// Zé as the API must answer him: the value as stored, and the flag.
fn jubilado_json() -> Value {
    let mut ze = aluno("Zé", 77, 20, 2021, "Jubilado");
    ze["warning"] = JUBILADO_WARNING.into();
    ze
}

#[test]
fn a_row_with_an_unknown_situacao_is_listed_as_stored_and_flagged() {
    let dir = tempdir();
    let (_server, http) = server_with_a_jubilado(&dir.path().join("aula.db"));
    let list = http.get("/alunos");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.json(),
        serde_json::json!([
            aluno("Pedro", 2213482, 19, 2022, "Cursando"),
            jubilado_json()
        ])
    );
    assert_eq!(http.get("/alunos/77").json(), jubilado_json());
}

#[test]
fn filters_work_beside_a_row_with_an_unknown_situacao() {
    let dir = tempdir();
    let (_server, http) = server_with_a_jubilado(&dir.path().join("aula.db"));
    let cursando = http.get("/alunos?situacao=cursando");
    assert_eq!(cursando.status, 200, "{}", cursando.body);
    assert_eq!(support::names(&cursando.json()), ["Pedro"]);
    let after = http.get("/alunos?ingresso_apos=2020");
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(support::names(&after.json()), ["Pedro", "Zé"]);
    let ze = http.get("/alunos?nome=z%C3%A9");
    assert_eq!(ze.status, 200, "{}", ze.body);
    assert_eq!(ze.json(), serde_json::json!([jubilado_json()]));
}

#[test]
fn a_row_with_an_unknown_situacao_is_deleted_through_the_api() {
    let dir = tempdir();
    let (_server, http) = server_with_a_jubilado(&dir.path().join("aula.db"));
    let deleted = http.delete("/alunos/77");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json(), jubilado_json());
    assert_eq!(support::matriculas(&http.get("/alunos").json()), [2213482]);
}

#[test]
fn a_row_with_an_unknown_situacao_is_renamed_through_the_api() {
    let dir = tempdir();
    let (_server, http) = server_with_a_jubilado(&dir.path().join("aula.db"));
    let renamed = http.patch("/alunos?nome=Z%C3%A9", &serde_json::json!({"nome": "José"}));
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        renamed.json(),
        serde_json::json!({"changed": 1, "rows": [{"matricula": 77, "from": "Zé", "to": "José"}]})
    );
    let mut jose = jubilado_json();
    jose["nome"] = "José".into();
    assert_eq!(http.get("/alunos/77").json(), jose);
}

#[test]
fn an_unknown_situacao_is_repaired_by_a_patch() {
    let dir = tempdir();
    let (_server, http) = server_with_a_jubilado(&dir.path().join("aula.db"));
    let patched = http.patch("/alunos/77", &serde_json::json!({"situacao": "Desistiu"}));
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json(), aluno("Zé", 77, 20, 2021, "Desistiu"));
}

/// A file and a server's file, each with Pedro (through our client) and
/// then Python's `Jubilado` row.
struct JubiladoBoth {
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    server: common::testing::Program,
}

impl JubiladoBoth {
    fn new() -> Self {
        let dir = tempdir();
        let file = dir.path().join("file.db");
        client_ok(
            &Mode::File(&file),
            &["insert", "Pedro", "2213482", "19", "2022", "Cursando"],
        );
        python_sql(&file, JUBILADO);
        let (server, _) = server_with_a_jubilado(&dir.path().join("server.db"));
        Self {
            _dir: dir,
            file,
            server,
        }
    }

    /// The client's output with `args`, the same on the file and through
    /// the server.
    #[track_caller]
    fn same(&self, args: &[&str]) -> Vec<String> {
        let by_file = client_ok(&Mode::File(&self.file), args);
        let by_http = client_ok(&Mode::Http(&self.server), args);
        assert_eq!(by_file, by_http, "{args:?}: --db and --url differ");
        by_file
    }
}

#[test]
fn the_client_lists_an_unknown_situacao_flagged_both_ways() {
    let both = JubiladoBoth::new();
    assert_eq!(
        both.same(&["list"]),
        [
            "Nome   Matricula  Idade  Ingresso  Situacao",
            "-----  ---------  -----  --------  ------------",
            "Pedro    2213482     19      2022  Cursando",
            "Zé            77     20      2021  Jubilado (?)",
            "(2 rows)",
            "(?) none of Cursando, Formado, Trancamento, Desistiu: another program wrote it \
             (change it with update MATRICULA --situacao S)",
        ]
    );
    assert_eq!(
        both.same(&["list", "--situacao", "Cursando"]),
        [
            "Nome   Matricula  Idade  Ingresso  Situacao",
            "-----  ---------  -----  --------  --------",
            "Pedro    2213482     19      2022  Cursando",
            "(1 row)",
        ]
    );
}

#[test]
fn the_client_deletes_a_row_with_an_unknown_situacao_both_ways() {
    let both = JubiladoBoth::new();
    assert_eq!(both.same(&["delete", "77"]), ["deleted Zé (77)"]);
    assert_eq!(
        both.same(&["list"]).last().map(String::as_str),
        Some("(1 row)")
    );
}

#[test]
fn the_client_renames_a_row_with_an_unknown_situacao_both_ways() {
    let both = JubiladoBoth::new();
    assert_eq!(
        both.same(&["rename", "zé", "José"]),
        ["1 row changed:", "  77  Zé -> José"]
    );
    assert_eq!(
        both.same(&["--json", "get", "77"]),
        [format!(
            r#"{{"nome":"José","matricula":77,"idade":20,"ingresso":2021,"situacao":"Jubilado","warning":{}}}"#,
            Value::from(JUBILADO_WARNING)
        )]
    );
}

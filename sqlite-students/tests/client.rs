//! The client, on a file (`--db`) and through the server (`--url`): the
//! exercise, every command, and the same output both ways.

mod support;

use common::testing::Program;
use serde_json::Value;
use std::path::PathBuf;
use support::{Mode, client, client_err, client_ok, path_str, start_server, tempdir};

/// A fresh database file and a fresh server over another one.
struct Both {
    _dir: tempfile::TempDir,
    file: PathBuf,
    server: Program,
}

impl Both {
    fn new() -> Self {
        let dir = tempdir();
        let file = dir.path().join("file.db");
        let server = start_server(&dir.path().join("server.db"));
        Self {
            _dir: dir,
            file,
            server,
        }
    }

    fn modes(&self) -> [Mode<'_>; 2] {
        [Mode::File(&self.file), Mode::Http(&self.server)]
    }

    /// Run the same client command both ways; the outputs must be equal.
    #[track_caller]
    fn same(&self, args: &[&str]) -> Vec<String> {
        let [file, http] = self.modes();
        let by_file = client_ok(&file, args);
        let by_http = client_ok(&http, args);
        assert_eq!(
            by_file, by_http,
            "{args:?}: --db and --url print differently"
        );
        by_file
    }

    /// Run a failing client command both ways; the errors must be equal.
    #[track_caller]
    fn same_error(&self, args: &[&str]) -> String {
        let [file, http] = self.modes();
        let by_file = client_err(&file, args);
        let by_http = client_err(&http, args);
        assert_eq!(
            by_file, by_http,
            "{args:?}: --db and --url fail differently"
        );
        by_file
    }
}

fn has(lines: &[String], wanted: &str) -> bool {
    lines.iter().any(|l| l.trim() == wanted)
}

#[test]
fn exercise_prints_the_same_report_on_a_file_and_through_the_server() {
    let both = Both::new();
    let report = both.same(&["exercise"]);
    for answer in [
        "-> inserted Pedro (2213482)",
        "-> Pedro (13100001).",
        "-> 5 students: Pedro (2213482), João (10114385), Pedro (13100001), Maísa (11280821), Patrick (14204123).",
        "-> Patrick (14204123) is 24.",
        "13100001  Pedro -> Carlos",
    ] {
        assert!(
            has(&report, answer),
            "missing {answer:?} in\n{}",
            report.join("\n")
        );
    }
}

#[test]
fn exercise_asks_each_question_of_the_slide() {
    let both = Both::new();
    let report = client_ok(&both.modes()[0], &["exercise"]);
    for question in [
        "Quem trancou o curso?",
        "Quem entrou após 2012?",
        "Qual a idade de Patrick?",
        "Alterar o nome de Pedro para Carlos",
    ] {
        assert!(
            report.iter().any(|l| l.contains(question)),
            "missing {question:?} in\n{}",
            report.join("\n")
        );
    }
}

#[test]
fn exercise_twice_does_not_duplicate_rows() {
    let both = Both::new();
    both.same(&["exercise"]);
    let second = both.same(&["exercise"]);
    assert!(
        has(
            &second,
            "-> matricula 2213482 is already there (as Pedro): not inserted again"
        ),
        "{}",
        second.join("\n")
    );
    assert!(
        has(
            &second,
            "Matricula 13100001 is already named Carlos: 0 rows changed."
        ),
        "{}",
        second.join("\n")
    );
    for mode in both.modes() {
        let list = client_ok(&mode, &["--json", "list"]);
        let rows: Value = serde_json::from_str(&list[0]).expect("JSON");
        assert_eq!(
            support::matriculas(&rows),
            [2213482, 10114385, 13100001, 11280821, 14204123]
        );
        assert_eq!(
            support::names(&rows),
            ["Pedro", "João", "Carlos", "Maísa", "Patrick"]
        );
    }
}

#[test]
fn the_json_report_holds_every_step() {
    let both = Both::new();
    let json = both.same(&["--json", "exercise"]);
    assert_eq!(json.len(), 1, "one JSON document on one line");
    let report: Value = serde_json::from_str(&json[0]).expect("the report is JSON");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 8);
    let patrick = steps
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .is_some_and(|t| t.contains("idade de Patrick"))
        })
        .expect("the Patrick question");
    assert_eq!(patrick["answer"][0], "Patrick (14204123) is 24.");
    let last = &steps[7]["rows"];
    assert_eq!(
        support::names(last),
        ["Pedro", "João", "Carlos", "Maísa", "Patrick"]
    );
}

#[test]
fn commands_print_the_same_on_a_file_and_through_the_server() {
    let both = Both::new();
    assert_eq!(
        both.same(&["insert", "Maísa", "11280821", "26", "2023", "Cursando"]),
        ["inserted Maísa (11280821)"]
    );
    both.same(&["insert", "João", "10114385", "28", "2022", "formado"]);
    both.same(&["list"]);
    both.same(&["list", "--situacao", "cursando"]);
    both.same(&["list", "--ingresso-apos", "2022"]);
    both.same(&["--json", "list", "--nome", "joão"]);
    both.same(&["get", "10114385"]);
    assert_eq!(both.same(&["age", "MAÍSA"]), ["Maísa (11280821) is 26."]);
    both.same(&[
        "update",
        "11280821",
        "--situacao",
        "Formado",
        "--idade",
        "27",
    ]);
    assert_eq!(
        both.same(&["delete", "10114385"]),
        ["deleted João (10114385)"]
    );
    let after = both.same(&["--json", "list"]);
    let rows: Value = serde_json::from_str(&after[0]).expect("JSON");
    assert_eq!(
        rows,
        serde_json::json!([support::aluno("Maísa", 11280821, 27, 2023, "Formado")])
    );
    assert_eq!(
        both.same_error(&["get", "10114385"]),
        "error: no student has matricula 10114385"
    );
    assert_eq!(
        both.same_error(&["insert", "Maísa", "11280821", "26", "2023", "Cursando"]),
        "error: a student with matricula 11280821 already exists"
    );
    assert_eq!(
        both.same_error(&["age", "Zé"]),
        "error: no student is named Zé"
    );
}

#[test]
fn renaming_a_shared_name_asks_for_matricula_or_all() {
    let both = Both::new();
    both.same(&["exercise"]);
    both.same(&["rename", "Carlos", "Pedro", "--matricula", "13100001"]);
    let error = both.same_error(&["rename", "Pedro", "Carlos"]);
    for needed in [
        "2 students are named Pedro",
        "2213482",
        "13100001",
        "--matricula",
        "--all",
    ] {
        assert!(error.contains(needed), "{needed:?} missing in {error:?}");
    }
    for mode in both.modes() {
        let pedros = client_ok(&mode, &["--json", "list", "--nome", "Pedro"]);
        let rows: Value = serde_json::from_str(&pedros[0]).expect("JSON");
        assert_eq!(
            support::matriculas(&rows),
            [2213482, 13100001],
            "nothing changed"
        );
    }
}

#[test]
fn renaming_by_matricula_changes_that_row_only() {
    let both = Both::new();
    for mode in both.modes() {
        client_ok(
            &mode,
            &["insert", "Pedro", "2213482", "19", "2022", "Cursando"],
        );
        client_ok(
            &mode,
            &["insert", "Pedro", "13100001", "25", "2020", "Trancamento"],
        );
    }
    let out = both.same(&["rename", "pedro", "Carlos", "--matricula", "13100001"]);
    assert_eq!(out, ["1 row changed:", "  13100001  Pedro -> Carlos"]);
    let error = both.same_error(&["rename", "Pedro", "Carlos", "--matricula", "13100001"]);
    assert_eq!(
        error,
        "error: the student with matricula 13100001 is named Carlos, not Pedro; nothing was changed"
    );
    assert_eq!(both.same(&["age", "Pedro"]), ["Pedro (2213482) is 19."]);
}

#[test]
fn renaming_all_says_how_many_rows_and_which() {
    let both = Both::new();
    for mode in both.modes() {
        client_ok(
            &mode,
            &["insert", "Pedro", "2213482", "19", "2022", "Cursando"],
        );
        client_ok(
            &mode,
            &["insert", "Pedro", "13100001", "25", "2020", "Trancamento"],
        );
        client_ok(&mode, &["insert", "Ana", "3", "20", "2021", "Cursando"]);
    }
    let out = both.same(&["rename", "Pedro", "Carlos", "--all"]);
    assert_eq!(
        out,
        [
            "2 rows changed:",
            "  2213482  Pedro -> Carlos",
            "  13100001  Pedro -> Carlos"
        ]
    );
    assert_eq!(
        both.same(&["age", "Ana"]),
        ["Ana (3) is 20."],
        "Ana untouched"
    );
}

#[test]
fn a_unique_name_is_renamed_without_flags() {
    let both = Both::new();
    for mode in both.modes() {
        client_ok(
            &mode,
            &["insert", "Maísa", "11280821", "26", "2023", "Cursando"],
        );
    }
    let out = both.same(&["rename", "MAÍSA", "Maísa Souza"]);
    assert_eq!(out, ["1 row changed:", "  11280821  Maísa -> Maísa Souza"]);
}

#[test]
fn tables_align_columns_with_accents() {
    let both = Both::new();
    both.same(&["exercise"]);
    let table = both.same(&["list"]);
    assert_eq!(table[0], "Nome     Matricula  Idade  Ingresso  Situacao");
    assert_eq!(table.last().map(String::as_str), Some("(5 rows)"));
    // Every Matricula ends in the same column, counted in characters
    // (`João` is 4 columns wide and 5 bytes long).
    let end = |line: &str| -> usize {
        let chars: Vec<char> = line.chars().collect();
        let first_digit = chars
            .iter()
            .position(char::is_ascii_digit)
            .expect("a digit");
        first_digit
            + chars[first_digit..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
    };
    let header_end = "Nome     Matricula".chars().count();
    for line in &table[2..table.len() - 1] {
        assert_eq!(end(line), header_end, "{line:?} is not aligned");
    }
    assert!(
        table.iter().any(|l| l.starts_with("João      10114385")),
        "{table:?}"
    );
}

#[test]
fn a_negative_age_is_refused_the_same_way_in_both_modes() {
    let both = Both::new();
    let error = both.same_error(&["insert", "Ana", "1", "-5", "2020", "Cursando"]);
    assert_eq!(error, "error: idade must be between 0 and 150, not -5");
    let error = both.same_error(&["insert", "Ana", "1", "20", "2020", "Trancado"]);
    assert!(error.contains("situacao"), "{error}");
}

#[test]
fn a_hostile_name_is_stored_as_plain_text_by_the_client() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let mode = Mode::File(&db);
    let bobby = "Robert'); DROP TABLE Alunos;--";
    client_ok(&mode, &["insert", bobby, "42", "20", "2021", "Cursando"]);
    client_ok(&mode, &["insert", "Ana", "43", "20", "2021", "Cursando"]);
    assert_eq!(
        client_ok(&mode, &["age", bobby]),
        [format!("{bobby} (42) is 20.")]
    );
    let tables = support::python_sql(
        &db,
        "print(conn.execute(\"SELECT count(*) FROM Alunos\").fetchone()[0])",
    );
    assert_eq!(tables, ["2"], "the table and both rows are there");
}

#[test]
fn the_client_reads_commands_from_a_pipe() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let mut program = client().spawn(&["--db", path_str(&db)]);
    program.write_line("insert \"Maria José\" 1 20 2020 Cursando");
    program.write_line("# a comment, then a blank line");
    program.write_line("");
    program.write_line("age 'maria josé'");
    let done = program.finish();
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(
        done.stdout,
        ["inserted Maria José (1)", "Maria José (1) is 20."]
    );
}

#[test]
fn a_failed_command_in_a_pipe_does_not_stop_the_next() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let url = format!("http://{}", server.addr());
    let mut program = client().spawn(&["--url", &url, "--json"]);
    program.write_line("get 99");
    program.write_line("frobnicate");
    program.write_line("insert Ana 99 20 2020 Cursando");
    program.write_line("get 99");
    let done = program.finish();
    assert_eq!(done.status.code(), Some(1), "a command failed");
    assert_eq!(done.stdout.len(), 2, "{:?}", done.stdout);
    let got: Value = serde_json::from_str(&done.stdout[1]).expect("JSON");
    assert_eq!(got["nome"], "Ana");
    let errors: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0], "error: no student has matricula 99");
    assert!(errors[1].starts_with("error: "), "{errors:?}");
}

#[test]
fn reading_a_missing_file_fails_and_creates_nothing() {
    let dir = tempdir();
    let db = dir.path().join("typo.db");
    let error = client_err(&Mode::File(&db), &["list"]);
    assert!(error.contains("typo.db does not exist"), "{error}");
    assert!(!db.exists(), "a read must not create the file");
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let dir = tempdir();
    let db = dir.path().join("notes.txt");
    std::fs::write(
        &db,
        "these are not the rows you are looking for\n".repeat(100),
    )
    .expect("write a text file");
    let error = client_err(&Mode::File(&db), &["exercise"]);
    assert!(error.contains("is not an SQLite database"), "{error}");
    assert!(
        std::fs::read_to_string(&db).is_ok_and(|t| t.starts_with("these are not")),
        "the file is untouched"
    );
}

#[test]
fn an_unreachable_server_is_one_error_line_with_each_reason_once() {
    let closed = support::testing::closed_port();
    let refused = std::net::TcpStream::connect(closed)
        .expect_err("nothing listens on the closed port")
        .to_string();
    let done = client()
        .spawn(&["--url", &format!("http://{closed}"), "list"])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        format!("error: cannot reach the server at http://{closed}/: {refused}\n")
    );
}

#[test]
fn an_invisible_name_is_refused_the_same_way_in_both_modes() {
    let both = Both::new();
    assert_eq!(
        both.same_error(&["insert", "\u{200b}", "1", "20", "2020", "Cursando"]),
        "error: nome must hold a visible character, not only invisible ones (U+200B)"
    );
    both.same(&["insert", "Ana", "1", "20", "2020", "Cursando"]);
    assert_eq!(
        both.same_error(&["rename", "Ana", "\u{200b}\u{feff}"]),
        "error: nome must hold a visible character, not only invisible ones (U+200B, U+FEFF)"
    );
    assert_eq!(
        both.same_error(&["update", "1", "--nome", "\u{3164}"]),
        "error: nome must hold a visible character, not only invisible ones (U+3164)"
    );
}

/// The lines of `report` from the one that starts with `first`, `n` of them.
fn lines_from(report: &[String], first: &str, n: usize) -> Vec<String> {
    let at = report
        .iter()
        .position(|l| l.starts_with(first))
        .unwrap_or_else(|| panic!("no line starts with {first:?} in\n{}", report.join("\n")));
    report[at..(at + n).min(report.len())].to_vec()
}

#[test]
fn the_report_shows_the_sql_that_runs_with_its_parameters() {
    let both = Both::new();
    let report = both.same(&["exercise"]);
    let list = [
        "   SQL: SELECT rowid, Nome, Matricula, Idade, Ingresso, Situacao FROM Alunos",
        "          WHERE (?1 IS NULL OR Situacao = ?1 COLLATE NOCASE)",
        "          AND (?2 IS NULL OR Ingresso > ?2)",
        "          AND (?3 IS NULL OR fold(Nome) = ?3)",
        "          ORDER BY rowid",
    ];
    let mut locked = vec!["4. Quem trancou o curso? (who locked the course?)"];
    locked.extend(list);
    locked.push("        -- ?1 = 'Trancamento', ?2 = NULL, ?3 = NULL");
    assert_eq!(lines_from(&report, "4. ", 7), locked);
    let mut patrick = vec!["6. Qual a idade de Patrick? (how old is Patrick?)"];
    patrick.extend(list);
    patrick.push("        -- ?1 = NULL, ?2 = NULL, ?3 = 'patrick'");
    assert_eq!(lines_from(&report, "6. ", 7), patrick);
    assert_eq!(
        lines_from(&report, "   SQL: UPDATE", 2),
        [
            "   SQL: UPDATE Alunos SET Nome = ?1 WHERE Matricula = ?2",
            "        -- ?1 = 'Carlos', ?2 = 13100001",
        ]
    );
}

//! `--dialect postgres` and `--dialect sqlite`: the same workbook as a
//! PostgreSQL or an SQLite script, through the real front and converter.
//! `sqlparser`'s dialect for each reads the script back, and each literal is
//! compared with the workbook's model; the MySQL script, the default, is
//! `script.rs`'s.

mod support;

use support::fixtures::{self, Sheet, t};
use support::{Bridge, dialect_script as script, run_client, temp_file};

#[test]
fn a_postgres_script_parses_and_every_literal_is_the_workbooks() {
    let body = script("postgres", &fixtures::kitchen_sink());
    let statements = support::parse::parse_in("postgres", &body);
    let (tipos, _) = fixtures::without_nul(fixtures::tipos());
    support::parse::assert_rows_match(&statements, "Table_Tipos", &tipos);
    support::parse::assert_rows_match(&statements, "Table_Dados_2024", &fixtures::dados());
}

#[test]
fn a_nul_postgres_cannot_store_is_null_with_a_warning_naming_the_cell() {
    let body = script("postgres", &[fixtures::tipos()]);
    let (_, cells) = fixtures::without_nul(fixtures::tipos());
    assert!(!cells.is_empty(), "Tipos has a text with a NUL");
    for cell in cells {
        let warning = format!(
            "-- warning: {cell}: a text with the NUL character, which PostgreSQL cannot store; \
             written as NULL\n"
        );
        assert!(body.contains(&warning), "no {warning:?} in {body}");
    }
}

#[test]
fn an_sqlite_script_parses_and_every_literal_is_the_workbooks() {
    let body = script("sqlite", &fixtures::kitchen_sink());
    let statements = support::parse::parse_in("sqlite", &body);
    support::parse::assert_rows_match(&statements, "Table_Tipos", &fixtures::tipos());
    support::parse::assert_rows_match(&statements, "Table_Dados_2024", &fixtures::dados());
}

/// The types `CREATE TABLE` gives `Tipos` in `dialect`, as sqlparser
/// prints them.
fn tipos_types(dialect: &str) -> Vec<String> {
    let body = script(dialect, &[fixtures::tipos()]);
    let created = support::parse::created(&support::parse::parse_in(dialect, &body));
    assert_eq!(created.len(), 1, "{body}");
    created[0].1.iter().map(|(_, t)| t.clone()).collect()
}

#[test]
fn postgres_declares_its_own_types_and_durations_as_intervals() {
    assert_eq!(
        tipos_types("postgres"),
        [
            "INTEGER",
            "DOUBLE PRECISION",
            "BIGINT",
            "VARCHAR(28)",
            "BOOLEAN",
            "DOUBLE PRECISION",
            "INTEGER",
            "VARCHAR(1)",
            "VARCHAR(4)",
            "VARCHAR(4)",
            "TIMESTAMP",
            "TIME",
            "INTERVAL",
            "INTEGER",
            "INTEGER",
            "INTEGER",
            "VARCHAR(5)",
            "VARCHAR(1)",
            "VARCHAR(24)",
            "VARCHAR(2)",
        ]
    );
}

#[test]
fn sqlite_declares_types_that_give_each_column_its_affinity() {
    assert_eq!(
        tipos_types("sqlite"),
        [
            "INTEGER",
            "REAL",
            "INTEGER",
            "VARCHAR(28)",
            "BOOLEAN",
            "REAL",
            "INTEGER",
            "VARCHAR(1)",
            "VARCHAR(4)",
            "VARCHAR(4)",
            "DATETIME",
            "TIME",
            "TIME",
            "INTEGER",
            "INTEGER",
            "INTEGER",
            "VARCHAR(5)",
            "VARCHAR(1)",
            "VARCHAR(24)",
            "VARCHAR(2)",
        ]
    );
}

#[test]
fn postgres_quotes_every_name_that_is_not_plain_lower_case() {
    let body = script("postgres", &[fixtures::tipos()]);
    let create = body
        .split("CREATE TABLE IF NOT EXISTS ")
        .nth(1)
        .and_then(|rest| rest.split(");").next())
        .unwrap_or_else(|| panic!("no CREATE TABLE in {body}"));
    let names: Vec<&str> = create
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().rsplit_once(' ').map(|(name, _)| name))
        .map(|name| name.trim_end_matches(" DOUBLE"))
        .collect();
    assert_eq!(
        names,
        [
            "\"Id\"",
            "\"Height_from_ground\"",
            "\"Big_number\"",
            "\"Nome\"",
            "\"order\"",
            "\"Preço\"",
            "\"2024\"",
            "\"column_H\"",
            "\"Name\"",
            "name_2",
            "\"Data\"",
            "\"Hora\"",
            "\"Duração\"",
            "\"Fórmula\"",
            "\"Erro\"",
            "\"a`b\"",
            "\"Uma_coluna_com_um_nome_muito_comprido_que_passa_dos_sessenta_e_\"",
            "__humor",
            "\"Misto\"",
            "\"Fórmula_texto\"",
        ]
    );
    assert!(create.starts_with("\"Table_Tipos\" (\n"), "{create}");
}

#[test]
fn each_dialect_sets_its_encoding_and_begins_its_own_way() {
    let sheet = Sheet::new("Plan", &["x"], vec![vec![t("a")]]);
    let first_lines = |dialect: &str| -> Vec<String> {
        script(dialect, std::slice::from_ref(&sheet))
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("  ") && !l.starts_with(')'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        first_lines("postgres"),
        [
            "-- PostgreSQL script generated by xlsx-sql-bridge from livro.xlsx",
            "SET client_encoding = 'UTF8';",
            "CREATE TABLE IF NOT EXISTS \"Table_Plan\" (",
            "BEGIN;",
            "-- sheet 'Plan': 1 row",
            "INSERT INTO \"Table_Plan\" (x) VALUES",
            "COMMIT;",
        ]
    );
    assert_eq!(
        first_lines("sqlite"),
        [
            "-- SQLite script generated by xlsx-sql-bridge from livro.xlsx",
            "CREATE TABLE IF NOT EXISTS Table_Plan (",
            "BEGIN;",
            "-- sheet 'Plan': 1 row",
            "INSERT INTO Table_Plan (x) VALUES",
            "COMMIT;",
        ]
    );
}

#[test]
fn strings_are_quoted_without_backslash_escapes() {
    let nasty = "d'Ávila \\ fim\nlinha\r\u{1a}\"";
    let sheet = Sheet::new("Plan", &["x"], vec![vec![t(nasty)]]);
    for dialect in ["postgres", "sqlite"] {
        let body = script(dialect, std::slice::from_ref(&sheet));
        assert!(
            body.contains("VALUES\n  ('d''Ávila \\ fim\nlinha\r\u{1a}\"');\n"),
            "{dialect}: {body}"
        );
    }
}

#[test]
fn the_dialect_is_the_same_offline_and_through_the_services() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&fixtures::kitchen_sink()));
    let path = path.to_str().expect("UTF-8");
    for dialect in ["postgres", "sqlite"] {
        let args = [path, "--dialect", dialect, "--create-table"];
        let online = run_client(&[&args[..], &["--url", &bridge.front_url()]].concat());
        let offline = run_client(&[&args[..], &["--offline"]].concat());
        assert!(online.status.success(), "stderr: {}", online.stderr);
        assert!(offline.status.success(), "stderr: {}", offline.stderr);
        assert_eq!(online.stdout, offline.stdout, "{dialect}");
        assert!(
            online.stdout[0].starts_with("-- PostgreSQL script")
                || online.stdout[0].starts_with("-- SQLite script"),
            "{:?}",
            online.stdout[0]
        );
    }
}

#[test]
fn an_unknown_dialect_is_refused_with_the_choices() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(
        "animals.xlsx",
        &fixtures::animals(),
        &[("dialect", "oracle")],
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        answer.body,
        r#"{"error":"unknown SQL dialect \"oracle\": choose mysql, postgres or sqlite"}"#
    );
    let done = run_client(&["x.xlsx", "--offline", "--dialect", "oracle"]);
    assert!(!done.status.success());
    assert!(
        done.stderr
            .contains("unknown SQL dialect \"oracle\": choose mysql, postgres or sqlite"),
        "{}",
        done.stderr
    );
}

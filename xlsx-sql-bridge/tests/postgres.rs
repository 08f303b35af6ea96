//! The proof that `--dialect postgres` scripts are right: load them with
//! `psql` into a real PostgreSQL server (started here, in a temporary
//! directory, on a Unix socket) and read every row back, comparing it cell
//! by cell with the workbook's model.
//!
//! Needs Debian's `postgresql`; without it each test says `SKIPPED` (and
//! fails under `REQUIRE_ALL_TESTS=1`, as in CI).

mod support;

use support::fixtures::{self, Cell, Sheet, t};
use support::postgres::{PostgreSql, pg_matches};

/// The PostgreSQL script of `sheets` with `CREATE TABLE`, in batches of 3.
fn script(sheets: &[Sheet]) -> String {
    support::dialect_script("postgres", sheets)
}

/// Compare every row of `table` with the model sheet, cell by cell.
#[track_caller]
fn assert_table_matches(db: &PostgreSql, table: &str, columns: &[&str], sheet: &Sheet) {
    let owned: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let rows = db.rows("livro", table, &owned);
    support::assert_db_rows("PostgreSQL", table, columns, &rows, sheet, pg_matches);
}

#[test]
fn the_postgres_script_loads_and_every_cell_matches() {
    if !support::postgres::required("the_postgres_script_loads_and_every_cell_matches") {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("livro");
    db.load("livro", &script(&fixtures::kitchen_sink()));
    // PostgreSQL's names are at most 63 bytes: the long header is cut one
    // character shorter than MySQL's.
    let mut columns = fixtures::TIPOS_COLUMNS;
    let long = columns[16].strip_suffix('q').expect("the long header");
    columns[16] = long;
    let (tipos, _) = fixtures::without_nul(fixtures::tipos());
    assert_table_matches(&db, "Table_Tipos", &columns, &tipos);
    assert_table_matches(
        &db,
        "Table_Dados_2024",
        &["Cidade", "População"],
        &fixtures::dados(),
    );
}

#[test]
fn the_inferred_types_are_the_tables_types() {
    if !support::postgres::required("the_inferred_types_are_the_tables_types") {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("livro");
    db.load("livro", &script(&[fixtures::tipos()]));
    let types: Vec<String> = db
        .column_types("livro", "Table_Tipos")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        types,
        [
            "integer",
            "double precision",
            "bigint",
            "character varying(28)",
            "boolean",
            "double precision",
            "integer",
            "character varying(1)",
            "character varying(4)",
            "character varying(4)",
            "timestamp without time zone",
            "time without time zone",
            "interval",
            "integer",
            "integer",
            "integer",
            "character varying(5)",
            "character varying(1)",
            "character varying(24)",
            "character varying(2)",
        ]
    );
}

#[test]
fn every_postgres_keyword_can_name_a_column() {
    if !support::postgres::required("every_postgres_keyword_can_name_a_column") {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("livro");
    let keywords: Vec<String> = db.keywords().into_iter().map(|(w, _)| w).collect();
    assert!(keywords.len() > 400, "{} keywords", keywords.len());
    let header: Vec<&str> = keywords.iter().map(String::as_str).collect();
    let row: Vec<Cell> = keywords.iter().map(|w| t(w)).collect();
    let sheet = Sheet::new("Palavras", &header, vec![row]);
    db.load("livro", &script(std::slice::from_ref(&sheet)));
    let names: Vec<String> = db
        .column_types("livro", "Table_Palavras")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, keywords);
    // A function takes at most 100 arguments: the row is read in pieces.
    for words in keywords.chunks(90) {
        let rows = db.rows("livro", "Table_Palavras", words);
        assert_eq!(rows.len(), 1);
        for (got, word) in rows[0].iter().zip(words) {
            assert_eq!(got.as_str(), Some(word.as_str()));
        }
    }
}

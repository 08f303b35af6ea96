//! The proof that `--dialect sqlite` scripts are right: load them with the
//! `sqlite3` program into a database file and read every row back, comparing
//! it cell by cell with the workbook's model, and the storage class SQLite
//! chose for each column.
//!
//! Needs Debian's `sqlite3`; without it each test says `SKIPPED` (and fails
//! under `REQUIRE_ALL_TESTS=1`, as in CI).

mod support;

use support::fixtures::{self, Sheet};
use support::mariadb::db_matches;
use support::sqlite::Sqlite;

/// The SQLite script of `sheets` with `CREATE TABLE`, in batches of 3.
fn script(sheets: &[Sheet]) -> String {
    support::dialect_script("sqlite", sheets)
}

/// Compare every row of `table` with the model sheet, cell by cell. SQLite
/// stores booleans as 1 and 0, as MariaDB does, and dates as their text.
#[track_caller]
fn assert_table_matches(db: &Sqlite, table: &str, columns: &[&str], sheet: &Sheet) {
    let owned: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let rows = db.rows(table, &owned);
    support::assert_db_rows("SQLite", table, columns, &rows, sheet, db_matches);
}

#[test]
fn the_sqlite_script_loads_and_every_cell_matches() {
    if !support::sqlite::required("the_sqlite_script_loads_and_every_cell_matches") {
        return;
    }
    let db = Sqlite::new();
    db.load(&script(&fixtures::kitchen_sink()));
    assert_table_matches(
        &db,
        "Table_Tipos",
        &fixtures::TIPOS_COLUMNS,
        &fixtures::tipos(),
    );
    assert_table_matches(
        &db,
        "Table_Dados_2024",
        &["Cidade", "População"],
        &fixtures::dados(),
    );
}

#[test]
fn each_column_stores_values_of_its_own_class() {
    if !support::sqlite::required("each_column_stores_values_of_its_own_class") {
        return;
    }
    let db = Sqlite::new();
    db.load(&script(&[fixtures::tipos()]));
    let classes = |column: &str| {
        let mut seen = db.typeof_column("Table_Tipos", column);
        seen.retain(|c| c != "null");
        seen.dedup();
        seen
    };
    assert_eq!(classes("Id"), ["integer"]);
    assert_eq!(classes("Height_from_ground"), ["real"]);
    assert_eq!(classes("order"), ["integer"], "booleans are 1 and 0");
    assert_eq!(classes("Data"), ["text"]);
    assert_eq!(classes("Hora"), ["text"]);
    assert_eq!(classes("Nome"), ["text"]);
    assert_eq!(
        classes("Misto"),
        ["text"],
        "a text column keeps numbers as text"
    );
}

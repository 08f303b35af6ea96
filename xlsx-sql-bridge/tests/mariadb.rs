//! The proof that the scripts are right: load them into a real MariaDB
//! server (started here, in a temporary directory) and read every row back,
//! comparing it cell by cell with the workbook's model.
//!
//! Needs Debian's `mariadb-server`; without it each test says `SKIPPED`
//! (and fails under `REQUIRE_ALL_TESTS=1`, as in CI).

mod support;

use support::Bridge;
use support::fixtures::{self, Cell, Sheet, t};
use support::mariadb::{MariaDb, db_matches};
use support::testing::require;

/// The script of `bytes` (named `file_name`) with form `fields`.
fn script(file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> String {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(file_name, bytes, fields);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// Compare every row of `table` with the model sheet, cell by cell.
#[track_caller]
fn assert_table_matches(
    db: &MariaDb,
    database: &str,
    table: &str,
    columns: &[&str],
    sheet: &Sheet,
) {
    let owned: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let rows = db.rows(database, table, &owned);
    support::assert_db_rows("MariaDB", table, columns, &rows, sheet, db_matches);
}

#[test]
fn the_create_table_script_loads_and_every_cell_matches() {
    if !support::mariadb::required("the_create_table_script_loads_and_every_cell_matches") {
        return;
    }
    let db = MariaDb::start();
    db.create_database("livro");
    let body = script(
        "livro.xlsx",
        &fixtures::xlsx(&fixtures::kitchen_sink()),
        &[("create_table", "on")],
    );
    db.load("livro", &body);
    assert_table_matches(
        &db,
        "livro",
        "Table_Tipos",
        &fixtures::TIPOS_COLUMNS,
        &fixtures::tipos(),
    );
    assert_table_matches(
        &db,
        "livro",
        "Table_Dados_2024",
        &["Cidade", "População"],
        &fixtures::dados(),
    );
}

#[test]
fn the_inferred_types_are_the_tables_types() {
    if !support::mariadb::required("the_inferred_types_are_the_tables_types") {
        return;
    }
    let db = MariaDb::start();
    db.create_database("livro");
    let body = script(
        "livro.xlsx",
        &fixtures::xlsx(&[fixtures::tipos()]),
        &[("create_table", "on")],
    );
    db.load("livro", &body);
    let types = db.column_types("livro", "Table_Tipos");
    let names: Vec<&str> = types.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(names, fixtures::TIPOS_COLUMNS);
    let kinds: Vec<&str> = types.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(kinds, fixtures::TIPOS_TYPES);
}

#[test]
fn the_default_and_batched_scripts_load_the_same_rows() {
    if !support::mariadb::required("the_default_and_batched_scripts_load_the_same_rows") {
        return;
    }
    let db = MariaDb::start();
    db.create_database("livro");
    let workbook = fixtures::xlsx(&[fixtures::tipos()]);
    // The paper's script has no CREATE TABLE: the tables exist already.
    let ddl = script("livro.xlsx", &workbook, &[("create_table", "on")]);
    db.load("livro", &ddl);
    for fields in [&[][..], &[("batch", "4")][..], &[("batch", "1000")][..]] {
        db.load("livro", "DELETE FROM Table_Tipos;");
        db.load("livro", &script("livro.xlsx", &workbook, fields));
        assert_table_matches(
            &db,
            "livro",
            "Table_Tipos",
            &fixtures::TIPOS_COLUMNS,
            &fixtures::tipos(),
        );
    }
}

#[test]
fn set_names_keeps_emoji_whole_whatever_the_clients_charset() {
    if !support::mariadb::required("set_names_keeps_emoji_whole_whatever_the_clients_charset") {
        return;
    }
    let db = MariaDb::start();
    db.create_database("livro");
    let sheet = Sheet::new("Emoji", &["Texto"], vec![vec![t("🎉 ação 中文")]]);
    let body = script(
        "emoji.xlsx",
        &fixtures::xlsx(std::slice::from_ref(&sheet)),
        &[("create_table", "on")],
    );
    // A client that starts in latin1, as many do by default.
    db.run(Some("livro"), &body, "latin1")
        .unwrap_or_else(|e| panic!("MariaDB refused the script: {e}"));
    let rows = db.rows("livro", "Table_Emoji", &["Texto".to_owned()]);
    assert_eq!(rows[0][0], "🎉 ação 中文");
}

#[test]
fn scripts_from_xlsb_ods_and_xls_load_too() {
    if !support::mariadb::required("scripts_from_xlsb_ods_and_xls_load_too") {
        return;
    }
    let db = MariaDb::start();
    let sheet = fixtures::small_sheet();
    let columns = ["Nome", "Idade", "Altura", "Ativo", "Nascimento"];
    let mut books = vec![
        ("xlsb", fixtures::xlsb(std::slice::from_ref(&sheet))),
        ("ods", fixtures::ods(std::slice::from_ref(&sheet))),
    ];
    if require(
        "scripts_from_xlsb_ods_and_xls_load_too (.xls)",
        fixtures::has_xlwt(),
        "Python's xlwt writes the .xls fixture (pip install xlwt)",
    ) {
        books.push(("xls", fixtures::xls(std::slice::from_ref(&sheet))));
    }
    for (format, bytes) in books {
        db.create_database(format);
        let body = script(
            &format!("livro.{format}"),
            &bytes,
            &[("create_table", "on")],
        );
        db.load(format, &body);
        assert_table_matches(&db, format, "Table_Plan_1", &columns, &sheet);
    }
}

#[test]
fn a_wide_sheet_of_text_still_gets_its_table() {
    if !support::mariadb::required("a_wide_sheet_of_text_still_gets_its_table") {
        return;
    }
    let db = MariaDb::start();
    db.create_database("largo");
    // 60 columns of 60 characters: as VARCHAR(60) in utf8mb4 they would
    // pass InnoDB's 8126-byte row limit.
    let header: Vec<String> = (1..=60).map(|i| format!("c{i}")).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let row: Vec<Cell> = (0..60).map(|i| t(&format!("{i:0>60}"))).collect();
    let sheet = Sheet::new("Largo", &header, vec![row.clone(), row]);
    let body = script(
        "largo.xlsx",
        &fixtures::xlsx(std::slice::from_ref(&sheet)),
        &[("create_table", "on")],
    );
    db.load("largo", &body);
    assert_table_matches(&db, "largo", "Table_Largo", &header, &sheet);
}

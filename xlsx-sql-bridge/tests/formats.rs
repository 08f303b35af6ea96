//! `.xlsb`, `.ods` and `.xls`: the same model workbook in each format gives
//! the same rows, cell by cell (read back with `sqlparser`).

mod support;

use support::Bridge;
use support::fixtures::{self, Cell, Sheet, date, n, t};
use support::parse;
use support::testing::require;

/// Every kind of value each writer here can store.
fn sheet() -> Sheet {
    Sheet::new(
        "Formatos",
        &[
            "Nome",
            "Quantidade",
            "Preço",
            "Ativo",
            "Quando",
            "Hora",
            "Duração",
        ],
        vec![
            vec![
                t("Ana d'Ávila"),
                n(3.0),
                n(10.5),
                Cell::Bool(true),
                Cell::DateTime(2024, 3, 1, 12, 30, 15),
                Cell::TimeOfDay(8, 0, 0),
                Cell::Duration(36 * 3600),
            ],
            vec![
                t("C:\\dados\nlinha 2"),
                n(-2.0),
                n(3.0),
                Cell::Bool(false),
                date(1999, 12, 31),
                Cell::TimeOfDay(23, 59, 59),
                Cell::Duration(90),
            ],
            vec![
                t("🎉 ação"),
                Cell::Empty,
                n(0.25),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ],
        ],
    )
}

fn convert(file_name: &str, bytes: &[u8]) -> String {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(file_name, bytes, &[]);
    assert_eq!(answer.status, 200, "{file_name}: {}", answer.body);
    answer.body
}

#[test]
fn xlsx_rows_match_the_model() {
    let body = convert("livro.xlsx", &fixtures::xlsx(&[sheet()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Formatos", &sheet());
}

#[test]
fn xlsb_rows_match_the_model() {
    let body = convert("livro.xlsb", &fixtures::xlsb(&[sheet()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Formatos", &sheet());
}

#[test]
fn xlsb_formulas_and_errors_match_the_model() {
    let body = convert("tipos.xlsb", &fixtures::xlsb(&[fixtures::tipos()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Tipos", &fixtures::tipos());
    assert!(
        body.contains("\n-- warning: Tipos!O2: #DIV/0!; written as NULL\n"),
        "{body}"
    );
}

#[test]
fn ods_rows_match_the_model() {
    let body = convert("livro.ods", &fixtures::ods(&[sheet()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Formatos", &sheet());
}

#[test]
fn xls_rows_match_the_model() {
    if !require(
        "xls_rows_match_the_model",
        fixtures::has_xlwt(),
        "Python's xlwt writes the .xls fixture (pip install xlwt)",
    ) {
        return;
    }
    let body = convert("livro.xls", &fixtures::xls(&[sheet()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Formatos", &sheet());
}

#[test]
fn the_format_comes_from_the_content_not_the_name() {
    // An .ods saved under an .xlsx name is still read as .ods.
    let body = convert("disfarce.xlsx", &fixtures::ods(&[sheet()]));
    parse::assert_rows_match(&parse::parse(&body), "Table_Formatos", &sheet());
}

//! The preview the page shows after an upload (`POST /preview`), through the
//! real front and converter: the sheet's first rows as they are, the row
//! that names the columns, and the type each column gets, which are the
//! types of the script the same form then makes.

mod support;

use serde_json::Value;
use support::fixtures::{self, Sheet, n};
use support::{Bridge, converter_convert, converter_upload, parse, post};

fn other() -> Sheet {
    Sheet::new("Outra", &["x"], vec![vec![n(1.0)]])
}

/// The front's preview of `sheets` with form `fields`, as JSON.
#[track_caller]
fn preview(bridge: &Bridge, sheets: &[Sheet], fields: &[(&str, &str)]) -> Value {
    let answer = support::preview(
        &bridge.front_url(),
        "livro.xlsx",
        &fixtures::xlsx(sheets),
        fields,
    );
    assert_eq!(answer.status, 200, "body: {}", answer.body);
    assert!(
        answer.content_type.starts_with("application/json"),
        "{}",
        answer.content_type
    );
    serde_json::from_str(&answer.body).expect("a JSON preview")
}

/// The sample's rows: (row number, cells as JSON).
fn sample(sheet: &Value) -> Vec<(u64, Value)> {
    sheet["sample"]
        .as_array()
        .expect("a sample")
        .iter()
        .map(|row| {
            (
                row["row"].as_u64().expect("a row number"),
                row["cells"].clone(),
            )
        })
        .collect()
}

/// The columns: (name, type).
fn columns(sheet: &Value) -> Vec<(String, String)> {
    sheet["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_owned(),
                c["type"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_preview_shows_the_first_rows_as_they_are() {
    let bridge = Bridge::start(&[]);
    let preview = preview(&bridge, &[fixtures::report()], &[]);
    assert_eq!(preview["sheet_names"], serde_json::json!(["Relatório"]));
    let sheet = &preview["sheets"][0];
    assert_eq!(sheet["sheet"], "Relatório");
    assert_eq!(sheet["table"], "Table_Relatório");
    assert_eq!(sheet["header_row"], 1, "the first row with a value");
    assert_eq!(
        sample(sheet),
        [
            (1, serde_json::json!(["Vendas de março", null, null])),
            (3, serde_json::json!(["Nome", "Idade", "CEP"])),
            (4, serde_json::json!(["Ana", "30", "88040"])),
            (5, serde_json::json!(["Rui", "41", "1310"])),
        ],
        "row 2 is empty and not listed"
    );
}

#[test]
fn a_chosen_header_row_names_the_columns_and_the_types_are_the_scripts() {
    let bridge = Bridge::start(&[]);
    let fields = [("header_row", "3"), ("create_table", "on")];
    let preview = preview(&bridge, &[fixtures::report()], &fields);
    let sheet = &preview["sheets"][0];
    assert_eq!(sheet["header_row"], 3);
    assert_eq!(sheet["rows"], 2);
    let letters: Vec<&str> = sheet["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["letter"].as_str().expect("a letter"))
        .collect();
    assert_eq!(letters, ["A", "B", "C"]);

    // The same form, converted: its CREATE TABLE has the preview's columns
    // and types.
    let answer = bridge.upload(
        "livro.xlsx",
        &fixtures::xlsx(&[fixtures::report()]),
        &fields,
    );
    assert_eq!(answer.status, 200, "body: {}", answer.body);
    let created = parse::created(&parse::parse(&answer.body));
    assert_eq!(created.len(), 1, "{}", answer.body);
    assert_eq!(created[0].0, sheet["table"].as_str().expect("a table name"));
    assert_eq!(columns(sheet), created[0].1);
    assert_eq!(
        columns(sheet),
        [
            ("Nome".to_owned(), "VARCHAR(3)".to_owned()),
            ("Idade".to_owned(), "INT".to_owned()),
            ("CEP".to_owned(), "INT".to_owned()),
        ]
    );
}

#[test]
fn types_chosen_by_hand_are_marked_in_the_dialect_asked() {
    let bridge = Bridge::start(&[]);
    let preview = preview(
        &bridge,
        &[fixtures::report()],
        &[
            ("header_row", "3"),
            ("types", "CEP=text"),
            ("dialect", "postgres"),
        ],
    );
    let columns = preview["sheets"][0]["columns"]
        .as_array()
        .expect("columns")
        .clone();
    assert_eq!(columns[2]["name"], "CEP");
    assert_eq!(columns[2]["chosen"], true);
    assert_eq!(columns[1]["chosen"], false);
    assert_eq!(columns[1]["type"], "INTEGER", "PostgreSQL's name");
}

#[test]
fn every_sheet_is_named_and_only_the_chosen_ones_previewed() {
    let bridge = Bridge::start(&[]);
    let preview = preview(
        &bridge,
        &[fixtures::report(), other()],
        &[("sheet", "Outra")],
    );
    assert_eq!(
        preview["sheet_names"],
        serde_json::json!(["Relatório", "Outra"])
    );
    let previewed: Vec<&str> = preview["sheets"]
        .as_array()
        .expect("sheets")
        .iter()
        .map(|s| s["sheet"].as_str().expect("a name"))
        .collect();
    assert_eq!(previewed, ["Outra"]);
    assert_eq!(preview["more_sheets"], 0);
}

#[test]
fn a_preview_of_a_file_that_is_no_workbook_is_the_conversions_error() {
    let bridge = Bridge::start(&[]);
    let bytes = b"nome,idade\nAna,31\n";
    let previewed = support::preview(&bridge.front_url(), "notas.xlsx", bytes, &[]);
    let converted = bridge.upload("notas.xlsx", bytes, &[]);
    assert_eq!(previewed.status, 422, "{}", previewed.body);
    assert_eq!(previewed.error(), converted.error());
}

#[test]
fn a_preview_loads_nothing() {
    let bridge = Bridge::start(&[]);
    let answer = support::preview(
        &bridge.front_url(),
        "livro.xlsx",
        &fixtures::xlsx(&[fixtures::report()]),
        &[("into", "postgres://u@127.0.0.1/db")],
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.error().contains("a preview loads nothing"),
        "{}",
        answer.body
    );
}

#[test]
fn the_converters_preview_uses_the_upload_up() {
    let bridge = Bridge::start(&[]);
    let converter = bridge.converter_url();
    let id = converter_upload(&converter, &fixtures::xlsx(&[fixtures::report()]));
    let request = serde_json::json!({"upload_id": id, "header_row": 3});
    let answer = post(
        &format!("{converter}/preview"),
        "application/json",
        request.to_string().into_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let preview: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(preview["sheets"][0]["header_row"], 3);
    let again = converter_convert(&converter, request);
    assert_eq!(again.status, 404, "{}", again.body);
    assert!(
        again.error().contains("no upload with id"),
        "{}",
        again.body
    );
}

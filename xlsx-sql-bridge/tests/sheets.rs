//! Sheets as people make them: a title above the header (`header_row`),
//! several chosen sheets (`sheet` repeated), every column text
//! (`no_inference`), types chosen by hand (`types`), and formatting left
//! in empty rows and columns, through the real front and converter.

mod support;

use support::fixtures::{self, Cell, Sheet, n, t};
use support::parse::{self, Lit};
use support::{Bridge, run_client, temp_file};

/// The script of `sheets` (as `.xlsx`) with form `fields`, `CREATE TABLE`
/// included.
fn script(sheets: &[Sheet], fields: &[(&str, &str)]) -> String {
    let bridge = Bridge::start(&[]);
    let mut all = vec![("create_table", "on")];
    all.extend_from_slice(fields);
    let answer = bridge.upload("livro.xlsx", &fixtures::xlsx(sheets), &all);
    assert_eq!(answer.status, 200, "body: {}", answer.body);
    answer.body
}

#[test]
fn header_row_leaves_the_title_rows_out() {
    let body = script(&[fixtures::report()], &[("header_row", "3")]);
    let statements = parse::parse(&body);
    let (columns, rows) = parse::rows_of(&statements, "Table_Relatório");
    assert_eq!(columns, ["Nome", "Idade", "CEP"]);
    assert_eq!(
        rows,
        [
            [
                Lit::Text("Ana".into()),
                Lit::Number("30".into()),
                Lit::Number("88040".into())
            ],
            [
                Lit::Text("Rui".into()),
                Lit::Number("41".into()),
                Lit::Number("1310".into())
            ],
        ]
    );
    assert!(body.contains("-- sheet 'Relatório': 2 rows\n"), "{body}");
}

#[test]
fn without_header_row_the_title_names_the_table() {
    let body = script(&[fixtures::report()], &[]);
    let (columns, _) = parse::rows_of(&parse::parse(&body), "Table_Relatório");
    assert_eq!(columns, ["Vendas_de_março", "column_B", "column_C"]);
}

#[test]
fn several_sheets_are_converted_in_the_order_given() {
    let body = script(
        &fixtures::kitchen_sink(),
        &[("sheet", "Dados 2024"), ("sheet", "Tipos")],
    );
    let tables: Vec<String> = parse::created(&parse::parse(&body))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(tables, ["Table_Dados_2024", "Table_Tipos"]);
}

#[test]
fn no_inference_makes_every_column_text_as_people_read_it() {
    let sheet = Sheet::new(
        "Plan",
        &["Código", "Preço", "Pago", "Quando"],
        vec![
            vec![
                n(15.0),
                n(12.5),
                Cell::Bool(true),
                fixtures::date(2024, 3, 1),
            ],
            vec![n(7.0), n(3.0), Cell::Bool(false), Cell::Empty],
        ],
    );
    let body = script(std::slice::from_ref(&sheet), &[("no_inference", "on")]);
    let statements = parse::parse(&body);
    let types: Vec<String> = parse::created(&statements)[0]
        .1
        .iter()
        .map(|(_, ty)| ty.clone())
        .collect();
    // A number's column is as wide as the longest text a number prints as.
    assert_eq!(
        types,
        ["VARCHAR(24)", "VARCHAR(24)", "VARCHAR(5)", "VARCHAR(19)"]
    );
    let (_, rows) = parse::rows_of(&statements, "Table_Plan");
    let text = |s: &str| Lit::Text(s.to_owned());
    assert_eq!(
        rows,
        [
            [
                text("15"),
                text("12.5"),
                text("TRUE"),
                text("2024-03-01 00:00:00")
            ],
            [text("7"), text("3"), text("FALSE"), Lit::Null],
        ]
    );
}

#[test]
fn types_chosen_by_hand_and_values_that_cannot_take_them() {
    let sheet = Sheet::new(
        "Plan",
        &["CEP", "Idade"],
        vec![vec![n(88040.0), t("30")], vec![n(1310.0), t("trinta")]],
    );
    let body = script(
        std::slice::from_ref(&sheet),
        &[("types", "CEP=text, Idade=integer")],
    );
    let statements = parse::parse(&body);
    let types: Vec<String> = parse::created(&statements)[0]
        .1
        .iter()
        .map(|(_, ty)| ty.clone())
        .collect();
    assert_eq!(types, ["VARCHAR(24)", "BIGINT"]);
    let (_, rows) = parse::rows_of(&statements, "Table_Plan");
    assert_eq!(
        rows,
        [
            [Lit::Text("88040".into()), Lit::Number("30".into())],
            [Lit::Text("1310".into()), Lit::Null],
        ]
    );
    assert!(
        body.contains(
            "-- warning: Plan!B3: the text \"trinta\" cannot be an integer (--types); written as NULL\n"
        ),
        "{body}"
    );
}

#[test]
fn a_type_for_a_column_that_does_not_exist_is_refused_with_the_columns() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(
        "livro.xlsx",
        &fixtures::xlsx(&[fixtures::report()]),
        &[("header_row", "3"), ("types", "Cidade=text")],
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        answer.body,
        r#"{"error":"--types names \"Cidade\", which is not a column; the columns are \"Nome\", \"Idade\", \"CEP\""}"#
    );
    let bad = bridge.upload(
        "livro.xlsx",
        &fixtures::xlsx(&[fixtures::report()]),
        &[("types", "Idade")],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        bad.body,
        r#"{"error":"types: \"Idade\" is not COLUMN=TYPE"}"#
    );
}

#[test]
fn formatting_left_in_empty_rows_and_columns_is_ignored() {
    // A workbook as spreadsheets leave them: borders and colours on cells
    // that hold nothing, below and to the right of the data.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("Plan").expect("a name");
    let bold = rust_xlsxwriter::Format::new().set_bold();
    ws.write_string(0, 0, "Nome").expect("a cell");
    ws.write_string(0, 1, "Idade").expect("a cell");
    ws.write_string(1, 0, "Ana").expect("a cell");
    ws.write_number(1, 1, 30.0).expect("a cell");
    for r in 2..40 {
        for c in 0..12 {
            ws.write_blank(r, c, &bold).expect("a blank cell");
        }
    }
    ws.write_blank(1, 11, &bold).expect("a blank cell");
    let bytes = workbook.save_to_buffer().expect("a workbook");
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("livro.xlsx", &bytes, &[("create_table", "on")]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let statements = parse::parse(&answer.body);
    let (columns, rows) = parse::rows_of(&statements, "Table_Plan");
    assert_eq!(columns, ["Nome", "Idade"]);
    assert_eq!(rows.len(), 1, "{}", answer.body);
}

#[test]
fn the_client_takes_the_same_options_offline_and_through_the_services() {
    let bridge = Bridge::start(&[]);
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&[fixtures::report()]));
    let path = path.to_str().expect("UTF-8");
    let args = [
        path,
        "--header-row",
        "3",
        "--types",
        "CEP=text",
        "--sheet",
        "Relatório",
        "--create-table",
    ];
    let online = run_client(&[&args[..], &["--url", &bridge.front_url()]].concat());
    let offline = run_client(&[&args[..], &["--offline"]].concat());
    assert!(online.status.success(), "stderr: {}", online.stderr);
    assert_eq!(online.stdout, offline.stdout);
    assert!(
        online.stdout.iter().any(|l| l == "  (Rui, 41, '1310');")
            || online
                .stdout
                .iter()
                .any(|l| l.ends_with("('Rui', 41, '1310');")),
        "{:?}",
        online.stdout
    );
}

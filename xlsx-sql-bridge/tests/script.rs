//! The MySQL script, rule by rule, through the real front and converter.
//! Every workbook is built from a model; `sqlparser`'s MySQL dialect reads
//! the script back and each literal is compared with the model's cell.

mod support;

use support::fixtures::{self, Cell, Sheet, n, t};
use support::parse::{self, Lit};
use support::{Bridge, LISTED_WARNINGS, UNCALCULATED, inserts};

/// Convert `sheets` (as `.xlsx`) through a fresh bridge with form `fields`.
fn script(sheets: &[Sheet], fields: &[(&str, &str)]) -> String {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("book.xlsx", &fixtures::xlsx(sheets), fields);
    assert_eq!(answer.status, 200, "body: {}", answer.body);
    answer.body
}

/// The literals of one column of `Table_Tipos`, by its unquoted name.
fn tipos_column(script: &str, column: &str) -> Vec<Lit> {
    let statements = parse::parse(script);
    let (columns, rows) = parse::rows_of(&statements, "Table_Tipos");
    let i = columns
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column:?} in {columns:?}"));
    rows.into_iter().map(|r| r[i].clone()).collect()
}

fn num(s: &str) -> Lit {
    Lit::Number(s.to_owned())
}

fn text(s: &str) -> Lit {
    Lit::Text(s.to_owned())
}

#[test]
fn the_papers_example_line_comes_out_exactly() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("Measuring database.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 200, "body: {}", answer.body);
    assert_eq!(
        inserts(&answer.body)[0],
        "INSERT INTO Table_Animals (Compass_Bearing, Height_from_ground, Height_from_trail, \
         Trigger_ID, Camera_Number, Animal, Number_of_animals, Temp) VALUES (15, 3.0, 12.0, \
         'SSAI0000000004684650', 'SMFP3', 'DGER', 2, 46);"
    );
    assert_eq!(inserts(&answer.body).len(), 12, "one INSERT per row");
    assert!(
        answer.content_type.starts_with("application/sql"),
        "{}",
        answer.content_type
    );
}

#[test]
fn the_script_sets_utf8mb4_before_any_statement() {
    let body = script(&[fixtures::small_sheet()], &[]);
    let first = parse::parse(&body).into_iter().next().expect("a statement");
    assert_eq!(first.to_string().to_uppercase(), "SET NAMES UTF8MB4");
}

#[test]
fn identifiers_are_backticked_only_when_not_plain() {
    let body = script(&fixtures::kitchen_sink(), &[]);
    let prefix = format!(
        "INSERT INTO Table_Tipos ({}) VALUES",
        fixtures::TIPOS_COLUMN_LIST
    );
    assert!(
        inserts(&body)
            .iter()
            .all(|l| !l.contains("Table_Tipos") || l.starts_with(&prefix)),
        "expected every Tipos INSERT to start with {prefix}\n{body}"
    );
    assert!(
        body.contains("INSERT INTO Table_Dados_2024 (Cidade, `População`) VALUES"),
        "{body}"
    );
    let (columns, _) = parse::rows_of(&parse::parse(&body), "Table_Tipos");
    assert_eq!(columns, fixtures::TIPOS_COLUMNS);
}

#[test]
fn strings_are_escaped_for_mysqls_default_mode() {
    let body = script(&[fixtures::tipos()], &[]);
    for literal in [
        r"'O\'Brien'",
        r"'C:\\temp\\new'",
        r"'linha 1\nlinha 2'",
        "'tab\there; NUL\\0byte'",
        r"'ctrl-z \Z cr \r fim; ação 🎉 中文'",
        "'    espaços    '",
    ] {
        assert!(body.contains(literal), "no {literal} in\n{body}");
    }
    // And the parser reads each back to the workbook's text.
    let nomes = tipos_column(&body, "Nome");
    assert_eq!(nomes[3], text("tab\there; NUL\0byte"));
    assert_eq!(nomes[4], text("ctrl-z \u{1a} cr \r fim; ação 🎉 中文"));
}

#[test]
fn empty_cells_are_null_and_empty_rows_are_skipped() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Height_from_ground")[2],
        Lit::Null,
        "an empty cell"
    );
    assert_eq!(tipos_column(&body, "column_H")[1], Lit::Null);
    assert_eq!(
        inserts(&body).len(),
        6,
        "7 rows below the header, one of them empty"
    );
}

#[test]
fn integral_columns_print_integers_and_other_columns_print_decimals() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Id"),
        ["1", "2", "3", "4", "5", "6"].map(num)
    );
    assert_eq!(
        tipos_column(&body, "Big_number"),
        ["1099511627776", "-5", "0", "9007199254740992", "7", "1"].map(num)
    );
    assert_eq!(
        tipos_column(&body, "Height_from_ground"),
        [
            num("3.0"),
            num("12.5"),
            Lit::Null,
            num("0.30000000000000004"),
            num("-7.0"),
            num("1e-7")
        ]
    );
    assert_eq!(
        tipos_column(&body, "Preço"),
        ["10.5", "3.0", "7.25", "0.5", "100.0", "2.0"].map(num)
    );
}

#[test]
fn dates_and_times_print_as_mysql_literals() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Data"),
        [
            "2024-03-01 00:00:00",
            "2024-12-31 23:59:59",
            "1999-01-01 00:00:00",
            "2000-02-29 06:07:08",
            "1970-01-01 00:00:00",
            "2038-01-19 00:00:00",
        ]
        .map(text)
    );
    assert_eq!(
        tipos_column(&body, "Hora"),
        [
            text("12:30:00"),
            text("00:00:01"),
            Lit::Null,
            text("23:59:59"),
            text("06:00:00"),
            text("18:45:30")
        ]
    );
    assert_eq!(
        tipos_column(&body, "Duração"),
        [
            "36:00:00", "00:30:00", "00:00:00", "25:01:01", "00:00:59", "01:00:00"
        ]
        .map(text)
    );
}

#[test]
fn booleans_print_true_and_false() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "order"),
        [true, false, true, true, false, true].map(Lit::Bool)
    );
    assert!(
        body.contains("VALUES (1, 3.0, 1099511627776, 'O\\'Brien', TRUE,"),
        "{body}"
    );
}

#[test]
fn formulas_give_their_cached_values() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Fórmula"),
        ["2", "4", "6", "8", "10", "12"].map(num)
    );
    assert_eq!(
        tipos_column(&body, "Fórmula_texto"),
        [
            text("ab"),
            text("cd"),
            Lit::Null,
            Lit::Null,
            text("pq"),
            text("r")
        ]
    );
    assert!(
        !body.contains("A2*2"),
        "the formula itself is not the value"
    );
}

#[test]
fn error_cells_become_null_with_a_warning_comment() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Erro"),
        [
            Lit::Null,
            num("1"),
            Lit::Null,
            num("4"),
            Lit::Null,
            num("6")
        ]
    );
    assert_eq!(
        support::script_warnings(&body),
        [
            "Tipos!O2: #DIV/0!; written as NULL",
            "Tipos!O4: #N/A; written as NULL",
            "Tipos!O7: #VALUE!; written as NULL",
        ]
    );
}

#[test]
fn a_formula_saved_without_its_result_is_null_with_a_warning_naming_the_cell() {
    let sheet = fixtures::uncalculated(3);
    let body = script(std::slice::from_ref(&sheet), &[]);
    parse::assert_rows_match(&parse::parse(&body), "Table_Notas", &sheet);
    assert_eq!(
        support::script_warnings(&body),
        [
            format!("Notas!D2: {UNCALCULATED}; written as NULL"),
            format!("Notas!D3: {UNCALCULATED}; written as NULL"),
            format!("Notas!D4: {UNCALCULATED}; written as NULL"),
        ]
    );
}

#[test]
fn a_header_formula_saved_without_its_result_is_a_warning_naming_the_column() {
    // No header row of its own: the first row of cells names the columns.
    let sheet = Sheet::new(
        "Notas",
        &["", "", ""],
        vec![
            vec![
                t("Aluno"),
                t("P1"),
                Cell::Uncalculated("\"P\"&2".to_owned()),
            ],
            vec![t("Ana"), n(7.0), n(9.0)],
        ],
    );
    let body = script(&[sheet], &[]);
    assert_eq!(
        support::script_warnings(&body),
        [format!(
            "Notas!C2: {UNCALCULATED}; the column is named column_C"
        )]
    );
    assert_eq!(
        inserts(&body),
        ["INSERT INTO Table_Notas (Aluno, P1, column_C) VALUES ('Ana', 7, 9);"]
    );
}

#[test]
fn a_script_lists_its_first_100_cell_warnings_then_counts_the_rest() {
    let sheet = fixtures::uncalculated(250);
    let body = script(std::slice::from_ref(&sheet), &[("create_table", "on")]);
    let mut expected = support::uncalculated_warnings(&sheet);
    expected.truncate(LISTED_WARNINGS);
    expected.push(
        "150 more cells written as NULL are not listed (a script lists the first 100)".to_owned(),
    );
    assert_eq!(support::script_warnings(&body), expected);
    parse::assert_rows_match(&parse::parse(&body), "Table_Notas", &sheet);
}

#[test]
fn batch_writes_multi_row_inserts() {
    let body = script(&[fixtures::tipos()], &[("batch", "4")]);
    let statements = parse::parse(&body);
    let inserts = statements
        .iter()
        .filter(|s| matches!(s, sqlparser::ast::Statement::Insert(_)))
        .count();
    assert_eq!(inserts, 2, "6 rows in batches of 4\n{body}");
    parse::assert_rows_match(&statements, "Table_Tipos", &fixtures::tipos());
}

#[test]
fn create_table_declares_inferred_types_and_wraps_a_transaction() {
    let body = script(&fixtures::kitchen_sink(), &[("create_table", "true")]);
    let statements = parse::parse(&body);
    let created = parse::created(&statements);
    assert_eq!(
        created.len(),
        2,
        "Tipos and Dados 2024; no table for the empty sheet"
    );
    let (name, columns) = &created[0];
    assert_eq!(name, "Table_Tipos");
    let types: Vec<&str> = columns.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "INT",
            "DOUBLE",
            "BIGINT",
            "VARCHAR(28)",
            "BOOLEAN",
            "DOUBLE",
            "INT",
            "VARCHAR(1)",
            "VARCHAR(4)",
            "VARCHAR(4)",
            "DATETIME",
            "TIME",
            "TIME",
            "INT",
            "INT",
            "INT",
            "VARCHAR(5)",
            "VARCHAR(1)",
            "VARCHAR(24)",
            "VARCHAR(2)",
        ]
    );
    assert!(
        body.contains("CREATE TABLE IF NOT EXISTS Table_Tipos ("),
        "{body}"
    );
    assert!(body.contains(") DEFAULT CHARSET=utf8mb4;"), "{body}");
    // DDL first (it commits implicitly in MySQL), then one transaction
    // around every insert.
    let kinds: Vec<String> = statements
        .iter()
        .map(|s| {
            s.to_string()
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_uppercase()
        })
        .collect();
    let first_insert = kinds.iter().position(|k| k == "INSERT").expect("inserts");
    let start = kinds
        .iter()
        .position(|k| k == "START")
        .expect("START TRANSACTION");
    let last_create = kinds
        .iter()
        .rposition(|k| k == "CREATE")
        .expect("CREATE TABLE");
    assert!(last_create < start && start < first_insert, "{kinds:?}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("COMMIT"),
        "{kinds:?}"
    );
}

#[test]
fn text_longer_than_255_characters_gets_text_type() {
    let long = "x".repeat(300);
    let sheet = Sheet::new("Longo", &["Texto", "Curto"], vec![vec![t(&long), t("ok")]]);
    let body = script(&[sheet], &[("create_table", "on")]);
    assert!(
        body.contains("  Texto TEXT,\n  Curto VARCHAR(2)\n"),
        "{body}"
    );
}

#[test]
fn every_sheet_becomes_its_own_table() {
    let body = script(&fixtures::kitchen_sink(), &[]);
    let statements = parse::parse(&body);
    parse::assert_rows_match(&statements, "Table_Tipos", &fixtures::tipos());
    parse::assert_rows_match(&statements, "Table_Dados_2024", &fixtures::dados());
    assert!(
        body.contains("-- sheet 'Vazia' is empty: no table"),
        "{body}"
    );
}

#[test]
fn sheets_whose_table_names_collide_get_distinct_tables() {
    let a = Sheet::new("A B", &["x"], vec![vec![n(1.0)]]);
    let b = Sheet::new("A_B", &["x"], vec![vec![n(2.0)]]);
    let body = script(&[a, b], &[]);
    assert!(
        body.contains("INSERT INTO Table_A_B (x) VALUES (1);"),
        "{body}"
    );
    assert!(
        body.contains("INSERT INTO Table_A_B_2 (x) VALUES (2);"),
        "{body}"
    );
}

#[test]
fn sheet_picks_one_sheet() {
    let body = script(&fixtures::kitchen_sink(), &[("sheet", "Dados 2024")]);
    let statements = parse::parse(&body);
    parse::assert_rows_match(&statements, "Table_Dados_2024", &fixtures::dados());
    assert!(!body.contains("Table_Tipos"), "{body}");
}

#[test]
fn an_unknown_sheet_is_refused_with_the_sheets_named() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(
        "book.xlsx",
        &fixtures::xlsx(&fixtures::kitchen_sink()),
        &[("sheet", "Nope")],
    );
    assert_eq!(answer.status, 422, "body: {}", answer.body);
    let error = answer.error();
    assert!(
        error.contains("Nope") && error.contains("\"Dados 2024\""),
        "{error}"
    );
}

#[test]
fn a_bad_batch_is_refused() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[("batch", "0")]);
    assert_eq!(answer.status, 400, "body: {}", answer.body);
    assert!(answer.error().contains("batch"), "{}", answer.error());
}

#[test]
fn a_header_only_sheet_gives_a_table_without_rows() {
    let sheet = Sheet::new("Só cabeçalho", &["a", "b"], vec![]);
    let body = script(&[sheet], &[("create_table", "true")]);
    assert!(
        body.contains("CREATE TABLE IF NOT EXISTS `Table_Só_cabeçalho` ("),
        "{body}"
    );
    assert!(body.contains("-- sheet 'Só cabeçalho': 0 rows"), "{body}");
    assert!(inserts(&body).is_empty(), "{body}");
}

#[test]
fn the_download_name_is_the_sheets() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert!(
        answer.disposition.contains("filename=\"Animals.sql\""),
        "{}",
        answer.disposition
    );
    let both = bridge.upload(
        "Livro.xlsx",
        &fixtures::xlsx(&fixtures::kitchen_sink()),
        &[],
    );
    assert!(
        both.disposition.contains("filename=\"Livro.sql\""),
        "{}",
        both.disposition
    );
}

#[test]
fn numbers_of_a_mixed_column_follow_the_columns_style() {
    let body = script(&[fixtures::tipos()], &[]);
    assert_eq!(
        tipos_column(&body, "Misto"),
        [
            text("abc"),
            num("15.0"),
            num("2.5"),
            text("xyz"),
            text("O'x"),
            text("-")
        ]
    );
}

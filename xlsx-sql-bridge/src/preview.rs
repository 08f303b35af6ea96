//! A preview: what the conversion would make of a workbook, before the
//! script is made. The page shows it after an upload so that a person can
//! choose the row that names the columns and the sheets to convert, seeing
//! the sheet's first rows as they are and the type each column would get.
//!
//! A preview reads the chosen sheets exactly as the conversion does (the
//! same options, the same limits, the whole sheet, since a column's type
//! depends on every value in it), and keeps only a little of each:
//! the rows just above the header (titles, blank lines), the header, and
//! the first [`DATA_ROWS`] data rows, at most [`COLUMNS`] columns of
//! [`CELL_CHARS`] characters each, for at most [`SHEETS`] sheets. Its size
//! is bounded whatever the workbook holds.
//!
//! ```text
//! POST /preview {"upload_id": "9f1c…", "header_row": 2}
//! 200 {"sheet_names": ["Animais"], "more_sheets": 0, "sheets": [{
//!       "sheet": "Animais", "table": "Table_Animais", "header_row": 2, "rows": 3,
//!       "columns": [{"letter": "A", "name": "Nome", "type": "VARCHAR(5)", "chosen": false}, …],
//!       "more_columns": 0,
//!       "sample": [{"row": 1, "cells": ["Relatório de 2024", null]},
//!                  {"row": 2, "cells": ["Nome", "Idade"]}, …]}]}
//! ```

use crate::ConvertError;
use crate::convert::{Conversion, Options, header_text};
use crate::sql::{Value, column_letters};
use crate::workbook::Limits;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::{Read, Seek};

/// Sheets previewed at most; the rest are only named.
pub const SHEETS: usize = 10;
/// Data rows shown per sheet.
pub const DATA_ROWS: usize = 10;
/// Rows above the header shown (the nearest ones).
pub const ROWS_ABOVE: usize = 10;
/// Columns shown per sheet.
pub const COLUMNS: usize = 50;
/// Characters shown per cell; a longer text ends with `…`.
pub const CELL_CHARS: usize = 100;

/// What the conversion would make of a workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// Every sheet of the workbook, in its order: the choice offered.
    pub sheet_names: Vec<String>,
    /// The chosen sheets (every sheet by default), at most [`SHEETS`].
    pub sheets: Vec<SheetPreview>,
    /// Chosen sheets not previewed (past [`SHEETS`]).
    pub more_sheets: usize,
}

/// One sheet as its table would be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetPreview {
    pub sheet: String,
    /// The table's name in the script.
    pub table: String,
    /// The 1-based row that names the columns (chosen or found); `null`
    /// when the sheet makes no table (no cell from the header row on).
    pub header_row: Option<u32>,
    /// The data rows the table would hold.
    pub rows: u64,
    /// The sheet's columns shown, left to right; `cells` in [`SampleRow`]
    /// follow this order.
    pub columns: Vec<PreviewColumn>,
    /// Columns not shown (past [`COLUMNS`]).
    pub more_columns: usize,
    /// The rows shown, in the sheet's order: the ones just above the
    /// header, the header, the first data rows. Empty rows are not listed.
    pub sample: Vec<SampleRow>,
}

/// A column of the sheet, and what the table makes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewColumn {
    /// The sheet's column letters: `A`, `B`, … `AA`.
    pub letter: String,
    /// The table's column name; `null` if the column is left out (it holds
    /// only cells above the header).
    pub name: Option<String>,
    /// The SQL type in the script's dialect, e.g. `BIGINT` or `VARCHAR(12)`.
    pub r#type: Option<String>,
    /// The type was chosen by hand (`types`, `no_inference`), not inferred.
    pub chosen: bool,
}

/// One row of the sheet as a person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRow {
    /// The 1-based row number.
    pub row: u32,
    /// One per column shown; `null` for an empty cell.
    pub cells: Vec<Option<Cell>>,
}

/// A cell's text, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    /// An error cell (`#N/A`, a formula saved without its result).
    Error {
        error: String,
    },
}

/// A row kept: its 0-based number, and its cells by 0-based column.
type KeptRow = (u32, Vec<(u32, Option<Cell>)>);

/// The first rows of one sheet, gathered while the conversion reads it.
#[derive(Debug, Default)]
pub(crate) struct SheetSample {
    /// Rows up to the header (the header last), the nearest ones only.
    above: VecDeque<KeptRow>,
    data: Vec<KeptRow>,
}

impl SheetSample {
    /// Offer one non-empty row (0-based `row`); `past_header` once the
    /// header has been read.
    pub(crate) fn offer(&mut self, row: u32, cells: &[(u32, Value<'_>)], past_header: bool) {
        if past_header && self.data.len() >= DATA_ROWS {
            return;
        }
        // A row's leftmost cells only, before any text is copied: a cell
        // past its row's first COLUMNS is past the first COLUMNS of the
        // sheet's shown columns too, so it would never be shown.
        let mut leftmost: Vec<&(u32, Value<'_>)> = cells.iter().collect();
        leftmost.sort_unstable_by_key(|(col, _)| *col);
        leftmost.truncate(COLUMNS);
        let kept: Vec<(u32, Option<Cell>)> = leftmost
            .into_iter()
            .map(|(col, value)| (*col, cell(value)))
            .collect();
        if past_header {
            self.data.push((row, kept));
        } else {
            if self.above.len() > ROWS_ABOVE {
                self.above.pop_front();
            }
            self.above.push_back((row, kept));
        }
    }
}

/// A value as the preview shows it.
fn cell(value: &Value<'_>) -> Option<Cell> {
    match value {
        Value::Empty => None,
        Value::Error(reason) => Some(Cell::Error {
            error: shortened(reason),
        }),
        other => header_text(other).map(|text| Cell::Text(shortened(&text))),
    }
}

fn shortened(text: &str) -> String {
    match text.char_indices().nth(CELL_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Read the workbook in `rs` as [`Conversion::open`] would with `options`,
/// and describe what it would make of the chosen sheets.
pub fn preview<RS: Read + Seek>(
    rs: RS,
    options: &Options,
    limits: &Limits,
) -> Result<Preview, ConvertError> {
    let (conversion, samples) = Conversion::open_sampled(rs, None, options, limits, Some(SHEETS))?;
    let chosen = if options.sheets.is_empty() {
        conversion.sheet_names().len()
    } else {
        options.sheets.len()
    };
    let sheets = conversion
        .tables()
        .iter()
        .zip(samples)
        .map(|(table, sample)| {
            let rows: Vec<_> = sample.above.into_iter().chain(sample.data).collect();
            // The columns shown: the table's, and any that only a shown row
            // has a value in (a title above the header).
            let mut letters: Vec<u32> = table.columns.iter().map(|c| c.source).collect();
            letters.extend(
                rows.iter()
                    .flat_map(|(_, cells)| cells.iter().map(|(c, _)| *c)),
            );
            letters.sort_unstable();
            letters.dedup();
            let more_columns = letters.len().saturating_sub(COLUMNS);
            letters.truncate(COLUMNS);
            let columns = letters
                .iter()
                .map(|&col| {
                    let column = table.columns.iter().find(|c| c.source == col);
                    PreviewColumn {
                        letter: column_letters(col),
                        name: column.map(|c| c.name.clone()),
                        r#type: column.map(|c| options.dialect.type_name(c.sql_type)),
                        chosen: column.is_some_and(|c| c.forced.is_some()),
                    }
                })
                .collect();
            let sample = rows
                .into_iter()
                .map(|(row, mut cells)| SampleRow {
                    row: row + 1,
                    cells: letters
                        .iter()
                        .map(|col| {
                            cells
                                .iter_mut()
                                .find(|(c, _)| c == col)
                                .and_then(|(_, cell)| cell.take())
                        })
                        .collect(),
                })
                .collect();
            SheetPreview {
                sheet: table.sheet.clone(),
                table: table.name.clone(),
                header_row: (!table.columns.is_empty()).then_some(table.header_row + 1),
                rows: table.rows,
                columns,
                more_columns,
                sample,
            }
        })
        .collect::<Vec<_>>();
    Ok(Preview {
        sheet_names: conversion.sheet_names().to_vec(),
        more_sheets: chosen.saturating_sub(sheets.len()),
        sheets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Formula, Workbook as Writer};
    use std::io::Cursor;

    /// A sheet as people make it: a title, a blank row, the header on row
    /// 3, then `rows` data rows (name, age, a long text).
    fn report(rows: u32) -> Vec<u8> {
        let mut book = Writer::new();
        let sheet = book.add_worksheet().set_name("Alunos").expect("a name");
        sheet.write(0, 0, "Relatório de 2024").expect("a title");
        sheet.write(2, 0, "Nome").expect("a header");
        sheet.write(2, 1, "Idade").expect("a header");
        for i in 0..rows {
            sheet.write(3 + i, 0, format!("aluno {i}")).expect("a name");
            sheet.write(3 + i, 1, 18 + i).expect("an age");
        }
        sheet
            .write(3, 2, "x".repeat(CELL_CHARS + 5))
            .expect("a long text");
        sheet
            .write_formula(4, 2, Formula::new("=1/0").set_result("#DIV/0!"))
            .expect("an error");
        book.add_worksheet().set_name("Vazia").expect("a name");
        book.save_to_buffer().expect("a workbook")
    }

    fn options(header_row: Option<u32>) -> Options {
        Options {
            header_row,
            ..Options::default()
        }
    }

    fn shown(preview: &SheetPreview) -> Vec<(u32, Vec<Option<Cell>>)> {
        preview
            .sample
            .iter()
            .map(|r| (r.row, r.cells.clone()))
            .collect()
    }

    fn text(s: &str) -> Option<Cell> {
        Some(Cell::Text(s.to_owned()))
    }

    #[test]
    fn the_first_row_with_a_value_names_the_columns_by_default() {
        let preview =
            preview(Cursor::new(report(3)), &options(None), &Limits::default()).expect("a preview");
        assert_eq!(preview.sheet_names, ["Alunos", "Vazia"]);
        assert_eq!(preview.more_sheets, 0);
        let alunos = &preview.sheets[0];
        assert_eq!(alunos.header_row, Some(1));
        assert_eq!(alunos.rows, 4, "the header row and the three below");
        assert_eq!(alunos.sample[0].row, 1);
        assert_eq!(alunos.columns[0].name.as_deref(), Some("Relatório_de_2024"));
        let vazia = &preview.sheets[1];
        assert_eq!((vazia.header_row, vazia.rows), (None, 0));
        assert!(vazia.columns.is_empty() && vazia.sample.is_empty());
    }

    #[test]
    fn a_chosen_header_row_shows_the_rows_above_it_and_the_types_below() {
        let preview = preview(
            Cursor::new(report(3)),
            &options(Some(3)),
            &Limits::default(),
        )
        .expect("a preview");
        let alunos = &preview.sheets[0];
        assert_eq!(alunos.header_row, Some(3));
        assert_eq!(alunos.rows, 3);
        let columns: Vec<_> = alunos
            .columns
            .iter()
            .map(|c| (c.letter.as_str(), c.name.as_deref(), c.r#type.as_deref()))
            .collect();
        assert_eq!(
            columns,
            [
                ("A", Some("Nome"), Some("VARCHAR(7)")),
                ("B", Some("Idade"), Some("INT")),
                ("C", Some("column_C"), Some("VARCHAR(105)")),
            ]
        );
        let long = format!("{}…", "x".repeat(CELL_CHARS));
        assert_eq!(
            shown(alunos),
            [
                (1, vec![text("Relatório de 2024"), None, None]),
                (3, vec![text("Nome"), text("Idade"), None]),
                (4, vec![text("aluno 0"), text("18"), text(&long)]),
                (
                    5,
                    vec![
                        text("aluno 1"),
                        text("19"),
                        Some(Cell::Error {
                            error: "#DIV/0!".to_owned()
                        })
                    ]
                ),
                (6, vec![text("aluno 2"), text("20"), None]),
            ]
        );
    }

    #[test]
    fn a_header_row_past_the_last_row_makes_no_table_and_shows_the_rows_above() {
        let preview = preview(
            Cursor::new(report(3)),
            &options(Some(100)),
            &Limits::default(),
        )
        .expect("a preview");
        let alunos = &preview.sheets[0];
        assert_eq!((alunos.header_row, alunos.rows), (None, 0));
        assert!(alunos.columns.iter().all(|c| c.name.is_none()));
        let rows: Vec<u32> = alunos.sample.iter().map(|r| r.row).collect();
        assert_eq!(rows, [1, 3, 4, 5, 6], "every row is above the header");
    }

    #[test]
    fn the_sample_is_bounded_whatever_the_sheet_holds() {
        let preview = preview(
            Cursor::new(report(500)),
            &options(Some(3)),
            &Limits::default(),
        )
        .expect("a preview");
        let alunos = &preview.sheets[0];
        assert_eq!(alunos.rows, 500, "every row counts");
        assert_eq!(alunos.sample.len(), 2 + DATA_ROWS, "title, header, data");
        assert_eq!(
            alunos.sample.last().map(|r| r.row),
            Some(3 + DATA_ROWS as u32)
        );
    }

    #[test]
    fn a_choice_of_sheets_and_types_is_previewed_as_converted() {
        let options = Options {
            sheets: vec!["Vazia".into(), "Alunos".into()],
            header_row: Some(3),
            types: vec![("Idade".into(), crate::shape::ColumnType::Text)],
            dialect: crate::dialect::Dialect::Postgres,
            ..Options::default()
        };
        let preview =
            preview(Cursor::new(report(3)), &options, &Limits::default()).expect("a preview");
        let order: Vec<_> = preview.sheets.iter().map(|s| s.sheet.as_str()).collect();
        assert_eq!(order, ["Vazia", "Alunos"]);
        let idade = &preview.sheets[1].columns[1];
        assert_eq!(
            idade.r#type.as_deref(),
            Some("VARCHAR(24)"),
            "text, as chosen"
        );
        assert!(idade.chosen);
        assert!(!preview.sheets[1].columns[0].chosen);
    }

    #[test]
    fn past_ten_sheets_the_rest_are_only_named() {
        let mut book = Writer::new();
        for i in 0..SHEETS + 3 {
            let sheet = book
                .add_worksheet()
                .set_name(format!("F{i}"))
                .expect("a name");
            sheet.write(0, 0, "n").expect("a header");
        }
        let bytes = book.save_to_buffer().expect("a workbook");
        let preview = preview(Cursor::new(bytes), &Options::default(), &Limits::default())
            .expect("a preview");
        assert_eq!(preview.sheet_names.len(), SHEETS + 3);
        assert_eq!(preview.sheets.len(), SHEETS);
        assert_eq!(preview.more_sheets, 3);
    }

    #[test]
    fn cells_are_text_null_or_an_error_in_json() {
        let row = SampleRow {
            row: 2,
            cells: vec![
                text("Ana"),
                None,
                Some(Cell::Error {
                    error: "#N/A".into(),
                }),
            ],
        };
        assert_eq!(
            serde_json::to_string(&row).expect("JSON"),
            r##"{"row":2,"cells":["Ana",null,{"error":"#N/A"}]}"##
        );
    }
}

//! Workbooks for the tests, built from a model of their cells.
//!
//! The model ([`Sheet`], [`Cell`]) is written as `.xlsx` with
//! `rust_xlsxwriter`, as `.xlsb` and `.ods` by small writers here (no
//! library writes `.xlsb`; `.ods` is a zip of XML), and as `.xls` by Python's
//! `xlwt`. [`expect`] says what each cell must become in the database, from
//! the model alone, so no expectation comes from the reader under test.

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::io::Write;

/// One cell of a model workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Num(f64),
    Text(String),
    Bool(bool),
    /// A date and time (a date alone is midnight).
    DateTime(i32, u8, u8, u8, u8, u8),
    /// A time of day, formatted `hh:mm:ss`.
    TimeOfDay(u8, u8, u8),
    /// A duration in seconds, formatted `[h]:mm:ss`.
    Duration(i64),
    /// A formula and the result Excel cached for it.
    Formula(String, Box<Cell>),
    /// A formula whose cached result is an error, e.g. `#DIV/0!`.
    Error(String),
    /// A formula saved without any result, as openpyxl (and so pandas)
    /// saves them: `.xlsx` only (the other formats always store one).
    Uncalculated(String),
}

pub fn n(value: f64) -> Cell {
    Cell::Num(value)
}

pub fn t(text: &str) -> Cell {
    Cell::Text(text.to_owned())
}

pub fn date(y: i32, m: u8, d: u8) -> Cell {
    Cell::DateTime(y, m, d, 0, 0, 0)
}

/// A sheet: its name, header row (`None`: an empty header cell) and rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub header: Vec<Option<String>>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: &str, header: &[&str], rows: Vec<Vec<Cell>>) -> Self {
        Self {
            name: name.to_owned(),
            header: header
                .iter()
                .map(|h| (!h.is_empty()).then(|| (*h).to_owned()))
                .collect(),
            rows,
        }
    }

    /// The cells of column `col`, top to bottom.
    pub fn column(&self, col: usize) -> Vec<&Cell> {
        self.rows
            .iter()
            .map(|r| r.get(col).unwrap_or(&Cell::Empty))
            .collect()
    }

    /// The rows that hold at least one value (the converter skips the others).
    pub fn data_rows(&self) -> Vec<&Vec<Cell>> {
        self.rows
            .iter()
            .filter(|r| r.iter().any(|c| *c != Cell::Empty))
            .collect()
    }
}

/// What a cell must be once in the database (or in the parsed script).
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    /// `YYYY-MM-DD HH:MM:SS`
    DateTime(String),
    /// `HH:MM:SS`
    Time(String),
}

/// The value a cell stands for: formulas by their cached result, errors
/// and empty cells as NULL.
pub fn expect(cell: &Cell) -> Expect {
    match cell {
        Cell::Empty | Cell::Error(_) | Cell::Uncalculated(_) => Expect::Null,
        Cell::Num(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Expect::Int(*f as i64),
        Cell::Num(f) => Expect::Float(*f),
        Cell::Text(s) if s.is_empty() => Expect::Null,
        Cell::Text(s) => Expect::Text(s.clone()),
        Cell::Bool(b) => Expect::Bool(*b),
        Cell::DateTime(y, m, d, h, mi, s) => {
            Expect::DateTime(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
        }
        Cell::TimeOfDay(h, m, s) => Expect::Time(format!("{h:02}:{m:02}:{s:02}")),
        Cell::Duration(secs) => Expect::Time(format!(
            "{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )),
        Cell::Formula(_, cached) => expect(cached),
    }
}

/// True if some number in the column is not integral: the whole column
/// then prints decimals.
pub fn decimal_column(cells: &[&Cell]) -> bool {
    cells.iter().any(|c| matches!(expect(c), Expect::Float(_)))
}

/// Days from 1970-01-01 (the tests' own calendar, independent of the crate's).
pub fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Excel's serial number of a date-time after 1900-03-01.
pub fn serial(y: i32, m: u8, d: u8, h: u8, mi: u8, s: u8) -> f64 {
    let days = days_from_civil(y, m, d) - days_from_civil(1899, 12, 30);
    days as f64 + (f64::from(h) * 3600.0 + f64::from(mi) * 60.0 + f64::from(s)) / 86_400.0
}

// ---------------------------------------------------------------------------
// .xlsx, with rust_xlsxwriter
// ---------------------------------------------------------------------------

/// The sheets as an `.xlsx` workbook.
pub fn xlsx(sheets: &[Sheet]) -> Vec<u8> {
    write_xlsx(sheets, false)
}

/// The sheets as an `.xlsx` workbook of the 1904 date system (Excel for
/// the Mac's old default): a date's serial counts days from 1904-01-01, so
/// the same date is stored as a number 1,462 smaller.
pub fn xlsx_1904(sheets: &[Sheet]) -> Vec<u8> {
    rewrite_parts(&write_xlsx(sheets, true), |name, bytes| {
        if name != "xl/workbook.xml" {
            return bytes;
        }
        let xml = String::from_utf8(bytes).expect("UTF-8 XML");
        assert!(xml.contains("<workbookPr "), "{xml}");
        xml.replacen("<workbookPr ", r#"<workbookPr date1904="1" "#, 1)
            .into_bytes()
    })
}

fn write_xlsx(sheets: &[Sheet], epoch_1904: bool) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let time = Format::new().set_num_format("hh:mm:ss");
    let duration = Format::new().set_num_format("[h]:mm:ss");
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(&sheet.name).expect("a valid sheet name");
        for (c, title) in sheet.header.iter().enumerate() {
            if let Some(title) = title {
                ws.write_string(0, c as u16, title).expect("write a header");
            }
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                let written = match cell {
                    Cell::Empty => continue,
                    Cell::Num(f) => ws.write_number(r, c, *f),
                    Cell::Text(s) => ws.write_string(r, c, s),
                    Cell::Bool(b) => ws.write_boolean(r, c, *b),
                    Cell::DateTime(y, m, d, h, mi, s) if epoch_1904 => ws.write_number_with_format(
                        r,
                        c,
                        serial(*y, *m, *d, *h, *mi, *s) - 1462.0,
                        &datetime,
                    ),
                    Cell::DateTime(y, m, d, h, mi, s) => {
                        let when = ExcelDateTime::from_ymd(*y as u16, *m, *d)
                            .and_then(|dt| dt.and_hms(u16::from(*h), *mi, *s))
                            .expect("a valid date");
                        ws.write_datetime_with_format(r, c, when, &datetime)
                    }
                    Cell::TimeOfDay(h, mi, s) => {
                        let when =
                            ExcelDateTime::from_hms(u16::from(*h), *mi, *s).expect("a valid time");
                        ws.write_datetime_with_format(r, c, when, &time)
                    }
                    Cell::Duration(secs) => {
                        ws.write_number_with_format(r, c, *secs as f64 / 86_400.0, &duration)
                    }
                    Cell::Formula(formula, cached) => {
                        let result = match &**cached {
                            Cell::Num(f) => f.to_string(),
                            Cell::Text(s) => s.clone(),
                            Cell::Bool(true) => "TRUE".to_owned(),
                            Cell::Bool(false) => "FALSE".to_owned(),
                            other => panic!("no cached formula result of kind {other:?}"),
                        };
                        ws.write_formula(r, c, Formula::new(formula).set_result(result))
                    }
                    Cell::Error(code) => {
                        ws.write_formula(r, c, Formula::new("=1/0").set_result(code))
                    }
                    Cell::Uncalculated(formula) => {
                        ws.write_formula(r, c, Formula::new(formula).set_result(NO_RESULT))
                    }
                };
                written.map(|_| ()).expect("write a cell");
            }
        }
    }
    let book = workbook.save_to_buffer().expect("an xlsx workbook");
    let uncalculated = sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .any(|c| matches!(c, Cell::Uncalculated(_)));
    if uncalculated {
        without_results(&book)
    } else {
        book
    }
}

/// The result the writer stores for an [`Cell::Uncalculated`] formula, which
/// [`without_results`] then takes out.
const NO_RESULT: &str = "NO-RESULT-7d1f";

/// The `.xlsx` `book` with every formula cell whose result is [`NO_RESULT`]
/// written as openpyxl writes a formula: `<c r="C2"><f>A2*B2</f><v /></c>`,
/// no type and an empty value. (`rust_xlsxwriter` always stores a result.)
fn without_results(book: &[u8]) -> Vec<u8> {
    let marked = format!("<v>{NO_RESULT}</v>");
    let typed = r#" t="str""#;
    rewrite_parts(book, |name, bytes| {
        if !name.starts_with("xl/worksheets/") {
            return bytes;
        }
        let mut xml = String::from_utf8(bytes).expect("UTF-8 XML");
        while let Some(at) = xml.find(&marked) {
            let cell = xml[..at].rfind("<c ").expect("the cell's start");
            let type_at = cell + xml[cell..at].find(typed).expect("a string result");
            xml.replace_range(at..at + marked.len(), "<v />");
            xml.replace_range(type_at..type_at + typed.len(), "");
        }
        xml.into_bytes()
    })
}

/// The zip `book` with each part passed through `rewrite` (its name, its
/// bytes).
fn rewrite_parts(book: &[u8], rewrite: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut original = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("a zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..original.len() {
        let mut entry = original.by_index(i).expect("an entry");
        let name = entry.name().expect("a name").into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read");
        let bytes = rewrite(&name, bytes);
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("an entry");
        out.write_all(&bytes).expect("write");
    }
    out.finish().expect("a zip").into_inner()
}

/// The workbook of the paper's figure (`fixtures/animals.xlsx`).
/// A report as people make one: a title, a blank row, then the header on
/// row 3.
pub fn report() -> Sheet {
    Sheet::new(
        "Relatório",
        &["Vendas de março"],
        vec![
            vec![Cell::Empty],
            vec![t("Nome"), t("Idade"), t("CEP")],
            vec![t("Ana"), n(30.0), n(88040.0)],
            vec![t("Rui"), n(41.0), n(1310.0)],
        ],
    )
}

pub fn animals() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/animals.xlsx"
    ))
    .expect("fixtures/animals.xlsx (cargo run -p xlsx-sql-bridge --example animals)")
}

// ---------------------------------------------------------------------------
// .xlsb, by hand: a zip of BIFF12 records
// ---------------------------------------------------------------------------

/// One BIFF12 record: a 7-bit varint type, a 7-bit varint length, the body.
fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    if typ < 0x80 {
        out.push(typ as u8);
    } else {
        out.push((typ & 0x7F) as u8 | 0x80);
        out.push((typ >> 7) as u8);
    }
    let mut len = body.len();
    loop {
        let byte = (len & 0x7F) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(body);
}

/// An XLWideString: a u32 count of UTF-16 units, then the units.
fn wide(text: &str) -> Vec<u8> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out = (units.len() as u32).to_le_bytes().to_vec();
    for unit in units {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// The first 8 bytes of a cell record: column and style (24-bit index).
fn cell_head(col: u32, style: u32) -> Vec<u8> {
    let mut out = col.to_le_bytes().to_vec();
    out.extend_from_slice(&style.to_le_bytes());
    out
}

fn xlsb_error_code(code: &str) -> u8 {
    match code {
        "#NULL!" => 0x00,
        "#DIV/0!" => 0x07,
        "#VALUE!" => 0x0F,
        "#REF!" => 0x17,
        "#NAME?" => 0x1D,
        "#NUM!" => 0x24,
        _ => 0x2A, // #N/A
    }
}

/// The sheets as an `.xlsb` workbook (styles: 0 general, 1 date-time,
/// 2 time, 3 duration).
pub fn xlsb(sheets: &[Sheet]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let add = |zip: &mut zip::ZipWriter<_>, name: &str, bytes: &[u8]| {
        zip.start_file(name, options).expect("a zip entry");
        zip.write_all(bytes).expect("write a zip entry");
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>"#,
    );
    types.push_str("</Types>");
    add(&mut zip, "[Content_Types].xml", types.as_bytes());
    add(
        &mut zip,
        "_rels/.rels",
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>"#,
    );
    // Styles: BrtBeginCellXFs with four BrtXF (number formats 0, 22, 21, 46).
    let mut styles = Vec::new();
    record(&mut styles, 0x0269, &4u32.to_le_bytes());
    for fmt in [0u16, 22, 21, 46] {
        let mut xf = 0xFFFFu16.to_le_bytes().to_vec();
        xf.extend_from_slice(&fmt.to_le_bytes());
        xf.extend_from_slice(&[0; 12]);
        record(&mut styles, 0x002F, &xf);
    }
    record(&mut styles, 0x026A, &[]);
    add(&mut zip, "xl/styles.bin", &styles);
    // The workbook: one BrtBundleSh per sheet, then BrtCalcProp.
    let mut book = Vec::new();
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    record(&mut book, 0x0083, &[]);
    record(&mut book, 0x008F, &[]);
    for (i, sheet) in sheets.iter().enumerate() {
        let rel = format!("rId{}", i + 1);
        rels.push_str(&format!(
            r#"<Relationship Id="{rel}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{}.bin"/>"#,
            i + 1
        ));
        let mut body = 0u32.to_le_bytes().to_vec();
        body.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        body.extend_from_slice(&wide(&rel));
        body.extend_from_slice(&wide(&sheet.name));
        record(&mut book, 0x009C, &body);
    }
    record(&mut book, 0x0090, &[]);
    record(&mut book, 0x009D, &[0; 26]);
    record(&mut book, 0x0084, &[]);
    rels.push_str("</Relationships>");
    add(&mut zip, "xl/workbook.bin", &book);
    add(&mut zip, "xl/_rels/workbook.bin.rels", rels.as_bytes());
    for (i, sheet) in sheets.iter().enumerate() {
        let mut ws = Vec::new();
        record(&mut ws, 0x0081, &[]);
        let width = sheet
            .header
            .len()
            .max(sheet.rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut dim = 0u32.to_le_bytes().to_vec();
        dim.extend_from_slice(&(sheet.rows.len() as u32).to_le_bytes());
        dim.extend_from_slice(&0u32.to_le_bytes());
        dim.extend_from_slice(&(width.saturating_sub(1) as u32).to_le_bytes());
        record(&mut ws, 0x0094, &dim);
        record(&mut ws, 0x0091, &[]);
        let header: Vec<Cell> = sheet
            .header
            .iter()
            .map(|h| h.as_deref().map_or(Cell::Empty, t))
            .collect();
        for (r, row) in std::iter::once(&header).chain(&sheet.rows).enumerate() {
            let mut row_header = (r as u32).to_le_bytes().to_vec();
            row_header.extend_from_slice(&[0; 9]);
            record(&mut ws, 0x0000, &row_header);
            for (c, cell) in row.iter().enumerate() {
                xlsb_cell(&mut ws, c as u32, cell);
            }
        }
        record(&mut ws, 0x0092, &[]);
        record(&mut ws, 0x0082, &[]);
        add(&mut zip, &format!("xl/worksheets/sheet{}.bin", i + 1), &ws);
    }
    zip.finish().expect("finish the zip").into_inner()
}

fn xlsb_cell(ws: &mut Vec<u8>, col: u32, cell: &Cell) {
    let real = |ws: &mut Vec<u8>, style: u32, value: f64| {
        let mut body = cell_head(col, style);
        body.extend_from_slice(&value.to_le_bytes());
        record(ws, 0x0005, &body);
    };
    match cell {
        Cell::Empty => {}
        Cell::Num(f) => real(ws, 0, *f),
        Cell::Text(s) => {
            let mut body = cell_head(col, 0);
            body.extend_from_slice(&wide(s));
            record(ws, 0x0006, &body);
        }
        Cell::Bool(b) => {
            let mut body = cell_head(col, 0);
            body.push(u8::from(*b));
            record(ws, 0x0004, &body);
        }
        Cell::DateTime(y, m, d, h, mi, s) => real(ws, 1, serial(*y, *m, *d, *h, *mi, *s)),
        Cell::TimeOfDay(h, mi, s) => real(
            ws,
            2,
            (f64::from(*h) * 3600.0 + f64::from(*mi) * 60.0 + f64::from(*s)) / 86_400.0,
        ),
        Cell::Duration(secs) => real(ws, 3, *secs as f64 / 86_400.0),
        Cell::Formula(_, cached) => {
            // BrtFmlaNum / BrtFmlaString / BrtFmlaBool with an empty formula:
            // the reader takes the cached value.
            let mut body = cell_head(col, 0);
            let typ = match &**cached {
                Cell::Num(f) => {
                    body.extend_from_slice(&f.to_le_bytes());
                    0x0009
                }
                Cell::Text(s) => {
                    body.extend_from_slice(&wide(s));
                    0x0008
                }
                Cell::Bool(b) => {
                    body.push(u8::from(*b));
                    0x000A
                }
                other => panic!("no cached formula result of kind {other:?}"),
            };
            body.extend_from_slice(&[0; 2]); // grbitFlags
            body.extend_from_slice(&[0; 8]); // an empty formula: cce, cb
            record(ws, typ, &body);
        }
        Cell::Error(code) => {
            let mut body = cell_head(col, 0);
            body.push(xlsb_error_code(code));
            record(ws, 0x0003, &body);
        }
        Cell::Uncalculated(_) => panic!(".xlsb formula records always hold a result"),
    }
}

// ---------------------------------------------------------------------------
// .ods, by hand: a zip of XML
// ---------------------------------------------------------------------------

fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

fn ods_cell(cell: &Cell) -> String {
    match cell {
        Cell::Empty => "<table:table-cell/>".to_owned(),
        Cell::Num(f) => format!(
            r#"<table:table-cell office:value-type="float" office:value="{f:?}"><text:p>{f}</text:p></table:table-cell>"#
        ),
        Cell::Text(s) => format!(
            r#"<table:table-cell office:value-type="string" office:string-value="{}"><text:p>x</text:p></table:table-cell>"#,
            xml_attr(s)
        ),
        Cell::Bool(b) => format!(
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="{b}"><text:p>{b}</text:p></table:table-cell>"#
        ),
        Cell::DateTime(y, m, d, h, mi, s) => format!(
            r#"<table:table-cell office:value-type="date" office:date-value="{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}"><text:p>d</text:p></table:table-cell>"#
        ),
        Cell::TimeOfDay(h, mi, s) => format!(
            r#"<table:table-cell office:value-type="time" office:time-value="PT{h:02}H{mi:02}M{s:02}S"><text:p>t</text:p></table:table-cell>"#
        ),
        Cell::Duration(secs) => format!(
            r#"<table:table-cell office:value-type="time" office:time-value="PT{}H{:02}M{:02}S"><text:p>t</text:p></table:table-cell>"#,
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        ),
        Cell::Formula(formula, cached) => {
            let inner = ods_cell(cached);
            inner.replacen(
                "<table:table-cell ",
                &format!(
                    r#"<table:table-cell table:formula="of:{}" "#,
                    xml_attr(formula)
                ),
                1,
            )
        }
        Cell::Error(code) => panic!(".ods stores error results as text ({code}); leave them out"),
        Cell::Uncalculated(_) => panic!("the .ods writer stores every formula's result"),
    }
}

/// The sheets as an `.ods` workbook.
pub fn ods(sheets: &[Sheet]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for sheet in sheets {
        content.push_str(&format!(
            r#"<table:table table:name="{}">"#,
            xml_attr(&sheet.name)
        ));
        let header: Vec<Cell> = sheet
            .header
            .iter()
            .map(|h| h.as_deref().map_or(Cell::Empty, t))
            .collect();
        for row in std::iter::once(&header).chain(&sheet.rows) {
            content.push_str("<table:table-row>");
            for cell in row {
                content.push_str(&ods_cell(cell));
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    ods_archive(&content)
}

/// An `.ods` archive around `content` (its `content.xml`): the mimetype
/// first and stored, as the format asks, and the manifest.
pub fn ods_archive(content: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("a zip entry");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("write the mimetype");
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("content.xml", deflated)
        .expect("a zip entry");
    zip.write_all(content.as_bytes())
        .expect("write content.xml");
    zip.start_file("META-INF/manifest.xml", deflated)
        .expect("a zip entry");
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)
        .expect("write the manifest");
    zip.finish().expect("finish the zip").into_inner()
}

// ---------------------------------------------------------------------------
// .xls, with Python's xlwt
// ---------------------------------------------------------------------------

/// True if Python's `xlwt` (which writes `.xls`) can be imported.
pub fn has_xlwt() -> bool {
    common::testing::has_python_module("xlwt")
}

/// The sheets as an `.xls` workbook, written by `xlwt` (numbers, text,
/// booleans, dates and times; xlwt cannot cache formula results).
pub fn xls(sheets: &[Sheet]) -> Vec<u8> {
    let model: Vec<serde_json::Value> = sheets
        .iter()
        .map(|sheet| {
            let header: Vec<Cell> = sheet
                .header
                .iter()
                .map(|h| h.as_deref().map_or(Cell::Empty, t))
                .collect();
            let rows: Vec<Vec<serde_json::Value>> = std::iter::once(&header)
                .chain(&sheet.rows)
                .map(|row| row.iter().map(xls_cell).collect())
                .collect();
            serde_json::json!({"name": sheet.name, "rows": rows})
        })
        .collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("book.xls");
    let script = r#"
import datetime, json, sys, xlwt
sheets = json.loads(sys.stdin.read())
book = xlwt.Workbook(encoding="utf-8")
styles = {
    "datetime": xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss"),
    "time": xlwt.easyxf(num_format_str="hh:mm:ss"),
    "duration": xlwt.easyxf(num_format_str="[h]:mm:ss"),
}
for sheet in sheets:
    ws = book.add_sheet(sheet["name"])
    for r, row in enumerate(sheet["rows"]):
        for c, cell in enumerate(row):
            kind = cell["kind"]
            if kind == "empty":
                continue
            if kind == "number":
                ws.write(r, c, cell["value"])
            elif kind == "text":
                ws.write(r, c, cell["value"])
            elif kind == "bool":
                ws.write(r, c, bool(cell["value"]))
            elif kind == "datetime":
                ws.write(r, c, datetime.datetime(*cell["value"]), styles["datetime"])
            elif kind == "time":
                ws.write(r, c, datetime.time(*cell["value"]), styles["time"])
            elif kind == "duration":
                ws.write(r, c, cell["value"] / 86400.0, styles["duration"])
book.save(sys.argv[1])
"#;
    let path_text = path.to_str().expect("a UTF-8 path");
    let done = common::testing::run_python(
        script,
        &[path_text],
        &serde_json::Value::from(model).to_string(),
    );
    assert!(done.status.success(), "xlwt failed: {}", done.stderr);
    std::fs::read(&path).expect("read the .xls")
}

fn xls_cell(cell: &Cell) -> serde_json::Value {
    use serde_json::json;
    match cell {
        Cell::Empty => json!({"kind": "empty"}),
        Cell::Num(f) => json!({"kind": "number", "value": f}),
        Cell::Text(s) => json!({"kind": "text", "value": s}),
        Cell::Bool(b) => json!({"kind": "bool", "value": b}),
        Cell::DateTime(y, m, d, h, mi, s) => {
            json!({"kind": "datetime", "value": [y, m, d, h, mi, s]})
        }
        Cell::TimeOfDay(h, mi, s) => json!({"kind": "time", "value": [h, mi, s]}),
        Cell::Duration(secs) => json!({"kind": "duration", "value": secs}),
        Cell::Formula(..) | Cell::Error(_) | Cell::Uncalculated(_) => {
            panic!("xlwt cannot cache formula results; leave them out")
        }
    }
}

// ---------------------------------------------------------------------------
// Files that are not (good) workbooks
// ---------------------------------------------------------------------------

/// A zip archive with one entry, `name`, holding `size` zero bytes
/// (deflate shrinks them about a thousand times).
pub fn zip_of_zeros(name: &str, size: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().large_file(size > u32::MAX as usize);
    zip.start_file(name, options).expect("a zip entry");
    let block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len());
        zip.write_all(&block[..n]).expect("write zeros");
        left -= n;
    }
    zip.finish().expect("finish the zip").into_inner()
}

/// A zip bomb dressed as a workbook: a valid `xl/workbook.xml` and a sheet
/// that unpacks to 32 MiB of spaces from about 32 KiB (1000:1).
pub fn zip_bomb() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("xl/workbook.xml", options)
        .expect("a zip entry");
    zip.write_all(b"<workbook/>").expect("write");
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("a zip entry");
    let block = vec![b' '; 1 << 20];
    for _ in 0..32 {
        zip.write_all(&block).expect("write");
    }
    zip.finish().expect("finish the zip").into_inner()
}

/// A sheet as openpyxl or pandas writes it: `rows` students, two marks
/// each, and their average as a formula saved without its result (column D,
/// from row 2).
pub fn uncalculated(rows: u32) -> Sheet {
    Sheet::new(
        "Notas",
        &["Aluno", "P1", "P2", "Media"],
        (0..rows)
            .map(|i| {
                let r = i + 2;
                vec![
                    t(&format!("Aluno {i}")),
                    n(f64::from(i % 11)),
                    n(f64::from((i + 3) % 11)),
                    Cell::Uncalculated(format!("(B{r}+C{r})/2")),
                ]
            })
            .collect(),
    )
}

/// A small workbook with a few kinds of value (for format tests).
pub fn small_sheet() -> Sheet {
    Sheet::new(
        "Plan 1",
        &["Nome", "Idade", "Altura", "Ativo", "Nascimento"],
        vec![
            vec![
                t("Ana"),
                n(31.0),
                n(1.68),
                Cell::Bool(true),
                date(1993, 4, 2),
            ],
            vec![
                t("João d'Ávila"),
                n(45.0),
                n(1.8),
                Cell::Bool(false),
                date(1979, 12, 31),
            ],
            vec![
                t("Zé \\ 🎉"),
                Cell::Empty,
                n(1.75),
                Cell::Bool(true),
                Cell::DateTime(2001, 1, 1, 13, 45, 30),
            ],
        ],
    )
}

// ---------------------------------------------------------------------------
// The workbook that covers every rule of the script
// ---------------------------------------------------------------------------

/// A header longer than MySQL's 64 characters.
pub const LONG_HEADER: &str =
    "Uma coluna com um nome muito comprido que passa dos sessenta e quatro caracteres";

/// The sheet `Tipos`: one column per rule (see [`TIPOS_COLUMNS`]).
pub fn tipos() -> Sheet {
    let f = |formula: &str, cached: Cell| Cell::Formula(formula.to_owned(), Box::new(cached));
    let e = |code: &str| Cell::Error(code.to_owned());
    let header = [
        "Id",
        "Height from ground",
        "Big number",
        "Nome",
        "order",
        "Preço",
        "2024",
        "",
        "Name",
        "name",
        "Data",
        "Hora",
        "Duração",
        "Fórmula",
        "Erro",
        "a`b",
        LONG_HEADER,
        "😀 humor",
        "Misto",
        "Fórmula texto",
    ];
    use Cell::{Bool, Duration, Empty, TimeOfDay};
    let rows = vec![
        vec![
            n(1.0),
            n(3.0),
            n(1_099_511_627_776.0),
            t("O'Brien"),
            Bool(true),
            n(10.5),
            n(2024.0),
            t("x"),
            t("Ana"),
            t("ana"),
            date(2024, 3, 1),
            TimeOfDay(12, 30, 0),
            Duration(36 * 3600),
            f("=A2*2", n(2.0)),
            e("#DIV/0!"),
            n(1.0),
            t("longo"),
            t("🙂"),
            t("abc"),
            f("=\"a\"&\"b\"", t("ab")),
        ],
        vec![
            n(2.0),
            n(12.5),
            n(-5.0),
            t("C:\\temp\\new"),
            Bool(false),
            n(3.0),
            n(-1.0),
            Empty,
            t("Bia"),
            t("bia"),
            Cell::DateTime(2024, 12, 31, 23, 59, 59),
            TimeOfDay(0, 0, 1),
            Duration(1800),
            f("=A3*2", n(4.0)),
            n(1.0),
            n(2.0),
            Empty,
            Empty,
            n(15.0),
            f("=\"c\"&\"d\"", t("cd")),
        ],
        vec![
            n(3.0),
            Empty,
            n(0.0),
            t("linha 1\nlinha 2"),
            Bool(true),
            n(7.25),
            n(0.0),
            t("z"),
            Empty,
            t("caio"),
            date(1999, 1, 1),
            Empty,
            Duration(0),
            f("=A4*2", n(6.0)),
            e("#N/A"),
            n(3.0),
            t("c"),
            t("d"),
            n(2.5),
            Empty,
        ],
        // A row without any value: the converter skips it.
        vec![Empty; 20],
        vec![
            n(4.0),
            n(0.1 + 0.2),
            n(9_007_199_254_740_992.0),
            t("tab\there; NUL\0byte"),
            f("=1=1", Bool(true)),
            n(0.5),
            n(5.0),
            t("w"),
            t("Duda"),
            t("duda"),
            Cell::DateTime(2000, 2, 29, 6, 7, 8),
            TimeOfDay(23, 59, 59),
            Duration(90061),
            f("=A6*2", n(8.0)),
            n(4.0),
            n(4.0),
            t("e"),
            t("f"),
            t("xyz"),
            Empty,
        ],
        vec![
            n(5.0),
            n(-7.0),
            n(7.0),
            t("ctrl-z \u{1a} cr \r fim; ação 🎉 中文"),
            Bool(false),
            n(100.0),
            n(6.0),
            t("v"),
            t("Eva"),
            Empty,
            date(1970, 1, 1),
            TimeOfDay(6, 0, 0),
            Duration(59),
            f("=A7*2", n(10.0)),
            e("#VALUE!"),
            n(5.0),
            t("g"),
            t("h"),
            t("O'x"),
            t("pq"),
        ],
        vec![
            n(6.0),
            n(1e-7),
            n(1.0),
            t("    espaços    "),
            Bool(true),
            n(2.0),
            n(7.0),
            t("u"),
            t("Fê"),
            t("fê"),
            date(2038, 1, 19),
            TimeOfDay(18, 45, 30),
            Duration(3600),
            f("=A8*2", n(12.0)),
            n(6.0),
            n(6.0),
            t("i"),
            t("j"),
            t("-"),
            t("r"),
        ],
    ];
    Sheet::new("Tipos", &header, rows)
}

/// The column names the script must give `Tipos`, unquoted.
pub const TIPOS_COLUMNS: [&str; 20] = [
    "Id",
    "Height_from_ground",
    "Big_number",
    "Nome",
    "order",
    "Preço",
    "2024",
    "column_H",
    "Name",
    "name_2",
    "Data",
    "Hora",
    "Duração",
    "Fórmula",
    "Erro",
    "a`b",
    "Uma_coluna_com_um_nome_muito_comprido_que_passa_dos_sessenta_e_q",
    "__humor",
    "Misto",
    "Fórmula_texto",
];

/// The column list of `Tipos` as the script writes it.
pub const TIPOS_COLUMN_LIST: &str = "Id, Height_from_ground, Big_number, Nome, `order`, `Preço`, `2024`, column_H, Name, name_2, Data, Hora, `Duração`, `Fórmula`, Erro, `a``b`, Uma_coluna_com_um_nome_muito_comprido_que_passa_dos_sessenta_e_q, __humor, Misto, `Fórmula_texto`";

/// The types `--create-table` must infer for `Tipos`, as MariaDB reports them.
pub const TIPOS_TYPES: [&str; 20] = [
    "int(11)",
    "double",
    "bigint(20)",
    "varchar(28)",
    "tinyint(1)",
    "double",
    "int(11)",
    "varchar(1)",
    "varchar(4)",
    "varchar(4)",
    "datetime",
    "time",
    "time",
    "int(11)",
    "int(11)",
    "int(11)",
    "varchar(5)",
    "varchar(1)",
    "varchar(24)",
    "varchar(2)",
];

/// The sheet `Dados 2024`: a second table.
pub fn dados() -> Sheet {
    Sheet::new(
        "Dados 2024",
        &["Cidade", "População"],
        vec![
            vec![t("Poços de Caldas"), n(168_641.0)],
            vec![t("Belo Horizonte"), n(2_315_560.0)],
        ],
    )
}

/// A sheet without cells.
pub fn vazia() -> Sheet {
    Sheet::new("Vazia", &[], Vec::new())
}

/// The three sheets, as one workbook model.
pub fn kitchen_sink() -> Vec<Sheet> {
    vec![tipos(), dados(), vazia()]
}

/// `sheet` as PostgreSQL holds it: a text with a NUL cannot be stored, so
/// it is empty (`NULL`, with a warning); the cells where that happens, as
/// Excel names them (`Tipos!D5`; the sheet's name must need no quotes).
pub fn without_nul(mut sheet: Sheet) -> (Sheet, Vec<String>) {
    let mut cells = Vec::new();
    for (r, row) in sheet.rows.iter_mut().enumerate() {
        for (c, cell) in row.iter_mut().enumerate() {
            if matches!(cell, Cell::Text(text) if text.contains('\0')) {
                *cell = Cell::Empty;
                // Row 1 is the header.
                let column = char::from(b'A' + u8::try_from(c).expect("at most 26 columns"));
                cells.push(format!("{}!{column}{}", sheet.name, r + 2));
            }
        }
    }
    (sheet, cells)
}

/// How MariaDB must hold a value of the mixed column `Misto`
/// (`VARCHAR`): text as it is, numbers as the literal the script wrote.
pub fn misto_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(s) => Some(s.clone()),
        Cell::Num(f) => Some(format!("{f:?}")),
        _ => None,
    }
}

/// A large workbook: `rows` rows × 8 columns (id, unique text, decimal,
/// integer, date-time, boolean, repeated text, text), as [`sales`] models it.
pub fn big_workbook(rows: u32) -> Vec<u8> {
    xlsx(&[sales(rows)])
}

/// The sales sheet of `rows` rows: what the benchmark converts.
pub fn sales(rows: u32) -> Sheet {
    let categories = ["livros", "música", "jogos", "casa", "jardim"];
    let start = days_from_civil(2024, 1, 1);
    let model = (0..rows)
        .map(|i| {
            let (y, m, d) =
                xlsx_sql_bridge::sql::civil_from_days(start + i64::from(i % 366)).expect("a date");
            vec![
                n(f64::from(i)),
                t(&format!("Cliente número {i}")),
                n(f64::from(i % 1000) + 0.25),
                n(f64::from(i % 7)),
                Cell::DateTime(y, m, d, 12, 0, 0),
                Cell::Bool(i % 2 == 0),
                t(categories[i as usize % categories.len()]),
                t(&format!("nota {}", i % 97)),
            ]
        })
        .collect();
    Sheet::new(
        "Vendas",
        &[
            "Id",
            "Cliente",
            "Preço",
            "Quantidade",
            "Data",
            "Pago",
            "Categoria",
            "Nota",
        ],
        model,
    )
}

//! The conversion: a workbook in, a MySQL script out, reading each sheet
//! once.
//!
//! A table's header in the script needs the whole sheet: its row count, and
//! per column what kinds of values it holds ([`ColumnStats`]), which decides
//! whether its numbers print as integers or decimals and which type `CREATE
//! TABLE` gives it. So the sheet is read once to the end, gathering those
//! while its rows are kept, compactly, in a [`Spool`] (memory up to a
//! mebibyte, then an unnamed temporary file); then the script is written
//! from the rows kept, one `INSERT` per row (or per `--batch` rows). Nothing
//! of the size of the script or of the cells is ever held in memory, so
//! memory follows the workbook (its shared strings), not the output. A sheet
//! whose rows would take more disk than [`Limits::max_spool`] is not kept:
//! its statements are written by reading it a second time, as every sheet
//! once was; the script is the same either way.
//!
//! [`Conversion::open`] reads the sheets and reports every problem with the
//! file (not a workbook, damaged, no such sheet) before a byte of the script
//! exists, so a server can still answer with an error status;
//! [`Conversion::write`] then streams the script.

use crate::ConvertError;
use crate::dialect::Dialect;
use crate::load::IfExists;
use crate::preview::SheetSample;
use crate::shape::ColumnType;
use crate::spool::Spool;
use crate::sql::SqlType;
use crate::sql::{Column, ColumnStats, NameSet, ScriptOptions, ScriptWriter, Table, Value};
use crate::sql::{column_base_name, fit_row, table_base_name};
use crate::workbook::{self, Format, Limits, Workbook};
use std::io::{Read, Seek, Write};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What to convert and how the script looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Rows per `INSERT` statement (1, the default, is one per row).
    pub batch: usize,
    /// Add `CREATE TABLE IF NOT EXISTS` with inferred types and wrap the
    /// inserts in a transaction.
    pub create_table: bool,
    /// Convert only these sheets, in this order (every sheet by default).
    pub sheets: Vec<String>,
    /// The 1-based row that names the columns (rows above it, such as a
    /// title, are left out); by default the first row with a value.
    pub header_row: Option<u32>,
    /// Every column is text, whatever its values (`--no-inference`).
    pub no_inference: bool,
    /// Columns whose type is chosen by hand (`--types`), by name.
    pub types: Vec<(String, ColumnType)>,
    /// The SQL dialect of the script (MySQL by default, as in the paper).
    pub dialect: Dialect,
    /// The table's name, instead of `Table_` + the sheet's (one table only).
    pub table: Option<String>,
    /// What a table that exists already meets (implies `create_table`).
    pub if_exists: Option<IfExists>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: 1,
            create_table: false,
            sheets: Vec::new(),
            header_row: None,
            no_inference: false,
            types: Vec::new(),
            dialect: Dialect::Mysql,
            table: None,
            if_exists: None,
        }
    }
}

/// The largest `--batch` accepted: larger statements would pass MySQL's
/// default `max_allowed_packet` for ordinary rows.
pub const MAX_BATCH: usize = 10_000;

impl Options {
    /// Check the options a user gave.
    pub fn validate(&self) -> Result<(), String> {
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(format!(
                "batch must be between 1 and {MAX_BATCH} rows per INSERT, not {}",
                self.batch
            ));
        }
        Ok(())
    }
}

/// What a conversion produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Tables (non-empty sheets) in the script.
    pub tables: usize,
    /// Data rows written.
    pub rows: u64,
    /// Warning comments written (error cells and the like).
    pub warnings: u64,
}

/// A workbook read: its tables are known and their rows kept, the script
/// not yet written.
pub struct Conversion<RS: Read + Seek> {
    /// The workbook, while a sheet must be read again (its rows were not
    /// kept); otherwise closed once read, which frees its shared strings.
    workbook: Option<Workbook<RS>>,
    format: Format,
    tables: Vec<Table>,
    /// Where each table's rows are.
    rows: Vec<Rows>,
    spool: Spool,
    source: Option<String>,
    options: Options,
    limits: Limits,
    /// Every sheet of the workbook, in its order (not only those chosen).
    sheet_names: Vec<String>,
}

/// Where a table's rows are found when its statements are written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rows {
    /// In the spool, these bytes.
    Kept(Range<u64>),
    /// In the workbook: the sheet is read again.
    Reread,
}

impl<RS: Read + Seek> Conversion<RS> {
    /// Open the workbook in `rs` and read the sheets, keeping their rows.
    /// `source` is the file's name, for the script's first comment.
    pub fn open(
        rs: RS,
        source: Option<&str>,
        options: &Options,
        limits: &Limits,
    ) -> Result<Self, ConvertError> {
        Ok(Self::open_sampled(rs, source, options, limits, None)?.0)
    }

    /// [`Conversion::open`], also keeping the first rows of at most
    /// `sampled` sheets as a person sees them (for a preview), one
    /// [`SheetSample`] per table; only those sheets are read.
    pub(crate) fn open_sampled(
        rs: RS,
        source: Option<&str>,
        options: &Options,
        limits: &Limits,
        sampled: Option<usize>,
    ) -> Result<(Self, Vec<SheetSample>), ConvertError> {
        options.validate().map_err(ConvertError::Options)?;
        guarded(|| {
            let mut workbook = workbook::open(rs, limits)?;
            let names = workbook.sheet_names();
            let mut chosen: Vec<String> = Vec::new();
            for wanted in &options.sheets {
                if !names.iter().any(|n| n == wanted) {
                    return Err(ConvertError::NoSuchSheet {
                        sheet: wanted.clone(),
                        available: names
                            .iter()
                            .map(|n| format!("{n:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                if !chosen.contains(wanted) {
                    chosen.push(wanted.clone());
                }
            }
            if chosen.is_empty() {
                chosen.clone_from(&names);
            }
            if let Some(most) = sampled {
                chosen.truncate(most);
            }
            let mut table_names = NameSet::for_dialect(options.dialect);
            let mut tables = Vec::with_capacity(chosen.len());
            let mut rows = Vec::with_capacity(chosen.len());
            let mut samples = Vec::new();
            let mut spool = Spool::new();
            for sheet in chosen {
                let mut sample = sampled.map(|_| SheetSample::default());
                let (table, kept) = scan(
                    &mut workbook,
                    &sheet,
                    (&mut table_names, options),
                    (&mut spool, sample.as_mut()),
                    limits,
                )?;
                tables.push(table);
                rows.push(kept);
                samples.extend(sample);
            }
            if let Some(name) = &options.table {
                rename_the_table(&mut tables, name, options.dialect)?;
            }
            let format = workbook.format();
            let reread = rows.contains(&Rows::Reread);
            let conversion = Self {
                workbook: reread.then_some(workbook),
                format,
                tables,
                rows,
                spool,
                source: source.map(str::to_owned),
                options: options.clone(),
                limits: *limits,
                sheet_names: names,
            };
            Ok((conversion, samples))
        })
    }

    /// Every sheet of the workbook, in its order, chosen or not.
    pub fn sheet_names(&self) -> &[String] {
        &self.sheet_names
    }

    /// The tables the script will hold, one per sheet (a sheet without
    /// cells has no columns).
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The workbook's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// A name for the script file: the sheet's when there is one table, as
    /// the page offers `<sheet>.sql`; otherwise the workbook's file name
    /// without its extension.
    pub fn script_name(&self) -> String {
        let with_data: Vec<_> = self
            .tables
            .iter()
            .filter(|t| !t.columns.is_empty())
            .collect();
        let stem = match with_data.as_slice() {
            [only] => only.sheet.clone(),
            _ => match &self.source {
                Some(source) => {
                    let base = source.rsplit(['/', '\\']).next().unwrap_or(source);
                    base.rsplit_once('.')
                        .map_or(base, |(stem, _)| stem)
                        .to_owned()
                }
                None => "script".to_owned(),
            },
        };
        let safe: String = stem
            .chars()
            .map(|c| {
                if c.is_control() || "/\\:*?\"<>|".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        format!(
            "{}.sql",
            if safe.trim().is_empty() {
                "script"
            } else {
                safe.trim()
            }
        )
    }

    /// Write the script to `out`, from the rows kept (or, for a sheet
    /// whose rows were not kept, from the workbook read again); returns
    /// `out` (flushed) and what was written.
    pub fn write<W: Write>(self, out: W) -> Result<(W, Summary), ConvertError> {
        let mut script = ScriptWriter::new(
            out,
            ScriptOptions {
                batch: self.options.batch,
                create_table: self.options.create_table || self.options.if_exists.is_some(),
                dialect: self.options.dialect,
                if_exists: self.options.if_exists,
            },
        );
        script.preamble(self.source.as_deref(), &self.tables)?;
        let mut summary = self.visit(&mut script)?;
        summary.warnings = script.warnings();
        let out = script.finish()?;
        Ok((out, summary))
    }

    /// Hand every table and its rows to `sink`, in order: from the rows
    /// kept, or, for a sheet whose rows were not kept, from the workbook
    /// read again. Returns what was handed over (without warnings: the
    /// sink counts those).
    pub fn visit<S: RowSink>(self, sink: &mut S) -> Result<Summary, ConvertError> {
        let Self {
            mut workbook,
            tables,
            rows,
            mut spool,
            limits,
            ..
        } = self;
        guarded(move || {
            let mut summary = Summary::default();
            for (table, rows) in tables.iter().zip(rows) {
                sink.begin_table(table)?;
                if table.columns.is_empty() {
                    continue;
                }
                summary.tables += 1;
                let mut inserts = Inserts::new(table, &mut *sink, &mut summary);
                match rows {
                    Rows::Kept(range) => {
                        let mut since_clock = 0u32;
                        spool.replay(range, &mut |row, cells| {
                            // The reader looks at the clock between rows;
                            // so does the spool, less often (it is faster).
                            since_clock += 1;
                            if since_clock >= 256 {
                                since_clock = 0;
                                limits.deadline.check()?;
                            }
                            inserts.row(row, cells)
                        })?;
                    }
                    Rows::Reread => {
                        let Some(workbook) = workbook.as_mut() else {
                            return Err(ConvertError::Read(
                                "the workbook was closed before its last sheet was written".into(),
                            ));
                        };
                        workbook.visit_rows(&table.sheet, &mut |row, cells| {
                            // The header, and any title rows above it.
                            if row <= table.header_row {
                                return Ok(());
                            }
                            inserts.row(row, cells)
                        })?;
                    }
                }
                sink.end_table(table)?;
            }
            Ok(summary)
        })
    }
}

/// What receives a conversion's tables and rows ([`Conversion::visit`]):
/// the script's writer, or a database's loader.
pub trait RowSink {
    /// A table starts (a sheet without cells has no columns, and no rows
    /// follow).
    fn begin_table(&mut self, table: &Table) -> Result<(), ConvertError>;
    /// One data row: `values[i]` is the value of `table.columns[i]`; `row`
    /// is the sheet's 0-based row, for warnings.
    fn row(&mut self, table: &Table, row: u32, values: &[&Value<'_>]) -> Result<(), ConvertError>;
    /// The table's last row has been given.
    fn end_table(&mut self, table: &Table) -> Result<(), ConvertError>;
}

impl<W: Write> RowSink for ScriptWriter<W> {
    fn begin_table(&mut self, table: &Table) -> Result<(), ConvertError> {
        Ok(ScriptWriter::begin_table(self, table)?)
    }

    fn row(&mut self, table: &Table, row: u32, values: &[&Value<'_>]) -> Result<(), ConvertError> {
        Ok(ScriptWriter::row(self, table, row, values)?)
    }

    fn end_table(&mut self, _table: &Table) -> Result<(), ConvertError> {
        Ok(ScriptWriter::end_table(self)?)
    }
}

/// Convert a whole workbook: [`Conversion::open`], then
/// [`Conversion::write`].
pub fn convert<RS: Read + Seek, W: Write>(
    rs: RS,
    source: Option<&str>,
    options: &Options,
    out: W,
) -> Result<(W, Summary), ConvertError> {
    Conversion::open(rs, source, options, &Limits::default())?.write(out)
}

/// Give the one table with columns the name `--table` chose. The name is
/// used as it is (quoted in the script if it needs to be), so it must be a
/// name the database accepts: not empty, without control characters, and
/// within the dialect's length.
fn rename_the_table(
    tables: &mut [Table],
    name: &str,
    dialect: Dialect,
) -> Result<(), ConvertError> {
    let bad = |why: &str| ConvertError::Options(format!("--table {name:?}: {why}"));
    if name.trim().is_empty() {
        return Err(bad("a table needs a name"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("a name cannot hold control characters"));
    }
    if name.chars().count() > crate::sql::MAX_IDENT_CHARS || name.len() > dialect.max_ident_bytes()
    {
        return Err(bad(&format!(
            "longer than {} allows ({} characters, {} bytes at most)",
            dialect.product(),
            crate::sql::MAX_IDENT_CHARS,
            dialect
                .max_ident_bytes()
                .min(4 * crate::sql::MAX_IDENT_CHARS)
        )));
    }
    let mut with_data = tables.iter_mut().filter(|t| !t.columns.is_empty());
    match (with_data.next(), with_data.next()) {
        (Some(only), None) => {
            only.name = name.to_owned();
            Ok(())
        }
        (None, _) => Err(bad("the workbook has no sheet with data")),
        (Some(_), Some(_)) => Err(bad(
            "the workbook has more than one sheet with data; choose one with --sheet",
        )),
    }
}

/// Run `f`, turning a panic inside the workbook reader (calamine indexes
/// into buffers a hostile file controls) into an error about the file.
fn guarded<T>(f: impl FnOnce() -> Result<T, ConvertError>) -> Result<T, ConvertError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "the reader stopped".to_owned());
            Err(ConvertError::Damaged(format!(
                "the reader failed on it ({reason})"
            )))
        }
    }
}

/// Read one sheet: its table (named among `names`, for the dialect), and
/// where its rows were kept (the rows below the header go to `spool`,
/// unless it would grow past [`Limits::max_spool`] or cannot be written).
fn scan<RS: Read + Seek>(
    workbook: &mut Workbook<RS>,
    sheet: &str,
    names: (&mut NameSet, &Options),
    kept_in: (&mut Spool, Option<&mut SheetSample>),
    limits: &Limits,
) -> Result<(Table, Rows), ConvertError> {
    let (table_names, options) = names;
    let (spool, mut sample) = kept_in;
    let dialect = options.dialect;
    // Rows above a chosen header row (a title, a blank line) are left out.
    let first = options.header_row.map_or(0, |n| n.saturating_sub(1));
    let start = spool.len();
    let mut keeping = true;
    let mut header: Option<Vec<(u32, Option<String>)>> = None;
    let mut header_row = 0;
    let mut header_errors = Vec::new();
    let mut stats: Vec<ColumnStats> = Vec::new();
    let mut rows = 0u64;
    workbook.visit_rows(sheet, &mut |row, cells| {
        if let Some(sample) = sample.as_deref_mut() {
            sample.offer(row, cells, header.is_some());
        }
        if row < first {
            return Ok(());
        }
        if header.is_none() && row > first && options.header_row.is_some() {
            // The chosen header row is empty: every column is named after
            // its letter, and this row is data.
            header = Some(Vec::new());
            header_row = first;
        }
        if header.is_none() {
            header = Some(cells.iter().map(|(c, v)| (*c, header_text(v))).collect());
            header_row = row;
            header_errors = cells
                .iter()
                .filter_map(|(c, v)| match v {
                    Value::Error(reason) => Some((*c, reason.to_string())),
                    _ => None,
                })
                .collect();
            return Ok(());
        }
        rows += 1;
        for (col, value) in cells {
            let col = *col as usize;
            if stats.len() <= col {
                stats.resize(col + 1, ColumnStats::default());
            }
            stats[col].add(value);
        }
        if keeping {
            // A disk that is full, or rows too many to keep: the sheet
            // will be read again instead.
            let kept = spool.push(row, cells).is_ok() && spool.len() <= limits.max_spool;
            if !kept {
                keeping = false;
                spool.truncate(start)?;
            }
        }
        Ok(())
    })?;
    let kept = if keeping {
        Rows::Kept(start..spool.len())
    } else {
        Rows::Reread
    };
    let Some(header) = header else {
        let table = Table {
            sheet: sheet.to_owned(),
            name: table_names.claim(&table_base_name(sheet)),
            columns: Vec::new(),
            rows: 0,
            header_row: 0,
            header_errors: Vec::new(),
            too_wide: false,
        };
        return Ok((table, kept));
    };
    // The columns: those with a header, and those with data below an empty
    // header. A column with neither is a gap and is left out.
    let mut sources: Vec<u32> = header.iter().map(|(c, _)| *c).collect();
    sources.extend(
        stats
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != ColumnStats::default())
            .map(|(c, _)| c as u32),
    );
    sources.sort_unstable();
    sources.dedup();
    let mut column_names = NameSet::for_dialect(dialect);
    let mut columns: Vec<Column> = sources
        .iter()
        .map(|&col| {
            let text = header
                .iter()
                .find(|(c, _)| *c == col)
                .and_then(|(_, t)| t.as_deref());
            let stat = stats.get(col as usize).cloned().unwrap_or_default();
            Column {
                name: column_names.claim(&column_base_name(text, col)),
                source: col,
                style: stat.number_style(),
                sql_type: stat.sql_type_for(dialect),
                forced: None,
            }
        })
        .collect();
    force_types(&mut columns, &header, &stats, options)?;
    let fits = match dialect.max_columns() {
        Some(most) => columns.len() <= most,
        None => {
            let mut types: Vec<_> = columns.iter().map(|c| c.sql_type).collect();
            let fits = fit_row(&mut types);
            for (column, sql_type) in columns.iter_mut().zip(types) {
                column.sql_type = sql_type;
            }
            fits
        }
    };
    let table = Table {
        sheet: sheet.to_owned(),
        name: table_names.claim(&table_base_name(sheet)),
        columns,
        rows,
        header_row,
        header_errors,
        too_wide: !fits,
    };
    Ok((table, kept))
}

/// Give the columns the types chosen by hand: `--types` by name (the
/// column's name in the script, or its header as written), every other
/// column text with `--no-inference`. A name that is no column is an error
/// that lists the columns.
fn force_types(
    columns: &mut [Column],
    header: &[(u32, Option<String>)],
    stats: &[ColumnStats],
    options: &Options,
) -> Result<(), ConvertError> {
    let header_of = |col: u32| {
        header
            .iter()
            .find(|(c, _)| *c == col)
            .and_then(|(_, t)| t.as_deref())
    };
    for (wanted, _) in &options.types {
        let known = columns.iter().any(|c| {
            c.name.eq_ignore_ascii_case(wanted) || header_of(c.source) == Some(wanted.as_str())
        });
        if !known {
            return Err(ConvertError::Options(format!(
                "--types names {wanted:?}, which is not a column; the columns are {}",
                columns
                    .iter()
                    .map(|c| format!("{:?}", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for column in columns.iter_mut() {
        let chosen = options
            .types
            .iter()
            .rev()
            .find(|(wanted, _)| {
                column.name.eq_ignore_ascii_case(wanted)
                    || header_of(column.source) == Some(wanted.as_str())
            })
            .map(|(_, ty)| *ty)
            .or(options.no_inference.then_some(ColumnType::Text));
        let Some(ty) = chosen else { continue };
        let stat = stats
            .get(column.source as usize)
            .cloned()
            .unwrap_or_default();
        column.forced = Some(ty);
        column.style = match ty {
            ColumnType::Decimal => crate::sql::NumberStyle::Decimal,
            _ => crate::sql::NumberStyle::Integer,
        };
        column.sql_type = match ty {
            ColumnType::Integer => SqlType::BigInt,
            ColumnType::Decimal => SqlType::Double,
            ColumnType::Boolean => SqlType::Boolean,
            ColumnType::Datetime => SqlType::DateTime,
            ColumnType::Time => match options.dialect {
                Dialect::Postgres if stat.durations > 0 || stat.texts > 0 => SqlType::Interval,
                _ => SqlType::Time,
            },
            ColumnType::Text => stat.text_type(),
        };
    }
    Ok(())
}

/// A header cell's text: numbers, dates and booleans as they print.
pub(crate) fn header_text(value: &Value<'_>) -> Option<String> {
    match value {
        Value::Empty | Value::Error(_) => None,
        Value::Text(t) => Some(t.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Value::DateTime(dt) => Some(dt.to_string()),
        Value::Time(t) => Some(t.to_string()),
    }
}

/// Hands a table's rows to the sink in the table's column order, whichever
/// way they come.
struct Inserts<'t, 's, S: RowSink> {
    table: &'t Table,
    script: &'s mut S,
    summary: &'s mut Summary,
    /// Sheet column → position in the table.
    slot: Vec<usize>,
    /// Some column's type was chosen by hand.
    forced: bool,
}

impl<'t, 's, S: RowSink> Inserts<'t, 's, S> {
    fn new(table: &'t Table, script: &'s mut S, summary: &'s mut Summary) -> Self {
        let width = table
            .columns
            .iter()
            .map(|c| c.source as usize + 1)
            .max()
            .unwrap_or(0);
        let mut slot = vec![usize::MAX; width];
        for (i, column) in table.columns.iter().enumerate() {
            slot[column.source as usize] = i;
        }
        Self {
            table,
            script,
            summary,
            slot,
            forced: table.columns.iter().any(|c| c.forced.is_some()),
        }
    }

    /// One row below the header: its 0-based index and non-empty cells.
    fn row(&mut self, row: u32, cells: &[(u32, Value<'_>)]) -> Result<(), ConvertError> {
        let empty = Value::Empty;
        let mut values: Vec<&Value<'_>> = vec![&empty; self.table.columns.len()];
        for (col, value) in cells {
            if let Some(&i) = self.slot.get(*col as usize)
                && i != usize::MAX
            {
                values[i] = value;
            }
        }
        // Columns whose type was chosen by hand: their values made to fit.
        let coerced: Vec<Option<Value<'_>>> = if self.forced {
            self.table
                .columns
                .iter()
                .zip(&values)
                .map(|(column, value)| column.forced.and_then(|ty| crate::shape::coerce(value, ty)))
                .collect()
        } else {
            Vec::new()
        };
        for (value, fitted) in values.iter_mut().zip(&coerced) {
            if let Some(fitted) = fitted {
                *value = fitted;
            }
        }
        self.script.row(self.table, row, &values)?;
        self.summary.rows += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Format as CellFormat, Formula, Workbook as Writer};
    use std::io::Cursor;

    /// Rows in the second sheet: enough for its spool to leave memory.
    const LONG: u32 = 12_000;

    /// Two sheets whose columns are settled only by their last rows: whole
    /// numbers until a last 2.5 (every number of the column then prints as
    /// a decimal), a column without a header whose first value comes late
    /// (every earlier row then has a NULL there), error cells (warnings,
    /// listed then counted), dates, booleans, text to escape.
    fn workbook() -> Vec<u8> {
        let mut book = Writer::new();
        let date = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for (name, rows) in [("Plan 1", 150), ("Longa", LONG)] {
            let ws = book.add_worksheet();
            ws.set_name(name).expect("a sheet name");
            for (c, title) in ["n", "valor", "quando", "", "nota"].iter().enumerate() {
                if !title.is_empty() {
                    ws.write_string(0, c as u16, *title).expect("a header");
                }
            }
            for i in 1..=rows {
                let last = i == rows;
                ws.write_number(i, 0, f64::from(i)).expect("a cell");
                let valor = if last { 2.5 } else { f64::from(i % 13) };
                ws.write_number(i, 1, valor).expect("a cell");
                ws.write_number_with_format(i, 2, 45_292.25 + f64::from(i % 400), &date)
                    .expect("a cell");
                if i > rows / 2 {
                    ws.write_boolean(i, 3, i % 2 == 0).expect("a cell");
                }
                if i % 11 == 0 {
                    ws.write_formula(i, 4, Formula::new("=1/0").set_result("#DIV/0!"))
                        .expect("a cell");
                } else {
                    ws.write_string(i, 4, format!("linha {i}: d'Ávila \\ {}", "x".repeat(60)))
                        .expect("a cell");
                }
            }
        }
        book.save_to_buffer().expect("a workbook")
    }

    fn open<'b>(
        bytes: &'b [u8],
        options: &Options,
        max_spool: u64,
    ) -> Conversion<Cursor<&'b [u8]>> {
        let limits = Limits {
            max_spool,
            ..Limits::default()
        };
        Conversion::open(Cursor::new(bytes), Some("livro.xlsx"), options, &limits).expect("opened")
    }

    fn script(conversion: Conversion<Cursor<&[u8]>>) -> String {
        let (out, summary) = conversion.write(Vec::new()).expect("written");
        assert_eq!(summary.rows, u64::from(150 + LONG));
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn a_sheet_read_once_writes_what_it_read_twice_would() {
        let bytes = workbook();
        let batched = Options {
            batch: 7,
            create_table: true,
            ..Options::default()
        };
        for options in [Options::default(), batched] {
            let kept = open(&bytes, &options, u64::MAX);
            assert!(kept.workbook.is_none(), "the workbook is closed once read");
            assert!(kept.spool.len() > crate::spool::IN_MEMORY as u64);
            let Rows::Kept(first) = kept.rows[0].clone() else {
                panic!("the first sheet's rows are kept");
            };
            let once = script(kept);

            // Past the disk limit, sheets are read again, as every sheet
            // once was: the same script.
            let none = open(&bytes, &options, 0);
            assert_eq!(none.rows, [Rows::Reread, Rows::Reread]);
            assert_eq!(script(none), once);
            let some = open(&bytes, &options, first.end);
            assert_eq!(some.rows, [Rows::Kept(first.clone()), Rows::Reread]);
            assert_eq!(script(some), once);

            // What only the last rows decide reaches the first statement.
            let longa = &once[once.find("INSERT INTO Table_Longa").expect("an insert")..];
            assert!(
                longa.starts_with(
                    "INSERT INTO Table_Longa (n, valor, quando, column_D, nota) VALUES"
                ),
                "{once}"
            );
            let row = "(1, 1.0, '2024-01-02 06:00:00', NULL, 'linha 1: d\\'Ávila \\\\ xx";
            let first = longa.find(row).expect("the first row");
            assert!(first < longa.find("(2, ").expect("the second row"));
            assert!(once.contains("-- warning: Longa!E12: #DIV/0!; written as NULL\n"));
            assert!(once.contains(" more cells written as NULL are not listed"));
        }
    }
}

//! The conversion: a workbook in, a MySQL script out, in two passes.
//!
//! The first pass reads every sheet and keeps only what the script's header
//! needs: the header row, and per column what kinds of values it holds
//! ([`ColumnStats`]), which decides whether its numbers print as integers or
//! decimals and which type `CREATE TABLE` gives it. The second pass reads the
//! sheets again and writes one `INSERT` per row (or per `--batch` rows) as it
//! goes. Nothing of the size of the script or of the cells is ever held, so
//! memory follows the workbook (its shared strings), not the output.
//!
//! [`Conversion::open`] does the first pass and reports every problem with
//! the file (not a workbook, damaged, no such sheet) before a byte of the
//! script exists, so a server can still answer with an error status;
//! [`Conversion::write`] then streams the script.

use crate::ConvertError;
use crate::sql::{Column, ColumnStats, NameSet, ScriptOptions, ScriptWriter, Table, Value};
use crate::sql::{column_base_name, fit_row, table_base_name};
use crate::workbook::{self, Format, Limits, Workbook};
use std::io::{Read, Seek, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What to convert and how the script looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Rows per `INSERT` statement (1, the default, is one per row).
    pub batch: usize,
    /// Add `CREATE TABLE IF NOT EXISTS` with inferred types and wrap the
    /// inserts in a transaction.
    pub create_table: bool,
    /// Convert only this sheet (every sheet by default).
    pub sheet: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: 1,
            create_table: false,
            sheet: None,
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

/// A workbook whose first pass is done: its tables are known, the script
/// not yet written.
pub struct Conversion<RS: Read + Seek> {
    workbook: Workbook<RS>,
    tables: Vec<Table>,
    source: Option<String>,
    options: Options,
}

impl<RS: Read + Seek> Conversion<RS> {
    /// Open the workbook in `rs` and run the first pass. `source` is the
    /// file's name, for the script's first comment.
    pub fn open(
        rs: RS,
        source: Option<&str>,
        options: &Options,
        limits: &Limits,
    ) -> Result<Self, ConvertError> {
        options.validate().map_err(ConvertError::Options)?;
        guarded(|| {
            let mut workbook = workbook::open(rs, limits)?;
            let names = workbook.sheet_names();
            let chosen = match &options.sheet {
                Some(wanted) => {
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
                    vec![wanted.clone()]
                }
                None => names,
            };
            let mut table_names = NameSet::new();
            let mut tables = Vec::with_capacity(chosen.len());
            for sheet in chosen {
                let table = scan(&mut workbook, &sheet, &mut table_names)?;
                tables.push(table);
            }
            Ok(Self {
                workbook,
                tables,
                source: source.map(str::to_owned),
                options: options.clone(),
            })
        })
    }

    /// The tables the script will hold, one per sheet (a sheet without
    /// cells has no columns).
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The workbook's format.
    pub fn format(&self) -> Format {
        self.workbook.format()
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

    /// Run the second pass, writing the script to `out`; returns `out`
    /// (flushed) and what was written.
    pub fn write<W: Write>(self, out: W) -> Result<(W, Summary), ConvertError> {
        let Self {
            mut workbook,
            tables,
            source,
            options,
        } = self;
        guarded(move || {
            let mut script = ScriptWriter::new(
                out,
                ScriptOptions {
                    batch: options.batch,
                    create_table: options.create_table,
                },
            );
            script.preamble(source.as_deref(), &tables)?;
            let mut summary = Summary::default();
            for table in &tables {
                script.begin_table(table)?;
                if table.columns.is_empty() {
                    continue;
                }
                summary.tables += 1;
                write_rows(&mut workbook, table, &mut script, &mut summary)?;
                script.end_table()?;
            }
            summary.warnings = script.warnings();
            let out = script.finish()?;
            Ok((out, summary))
        })
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

/// The first pass over one sheet.
fn scan<RS: Read + Seek>(
    workbook: &mut Workbook<RS>,
    sheet: &str,
    table_names: &mut NameSet,
) -> Result<Table, ConvertError> {
    let mut header: Option<Vec<(u32, Option<String>)>> = None;
    let mut header_row = 0;
    let mut header_errors = Vec::new();
    let mut stats: Vec<ColumnStats> = Vec::new();
    let mut rows = 0u64;
    workbook.visit_rows(sheet, &mut |row, cells| {
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
        Ok(())
    })?;
    let Some(header) = header else {
        return Ok(Table {
            sheet: sheet.to_owned(),
            name: table_names.claim(&table_base_name(sheet)),
            columns: Vec::new(),
            rows: 0,
            header_row: 0,
            header_errors: Vec::new(),
            too_wide: false,
        });
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
    let mut column_names = NameSet::new();
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
                sql_type: stat.sql_type(),
            }
        })
        .collect();
    let mut types: Vec<_> = columns.iter().map(|c| c.sql_type).collect();
    let fits = fit_row(&mut types);
    for (column, sql_type) in columns.iter_mut().zip(types) {
        column.sql_type = sql_type;
    }
    Ok(Table {
        sheet: sheet.to_owned(),
        name: table_names.claim(&table_base_name(sheet)),
        columns,
        rows,
        header_row,
        header_errors,
        too_wide: !fits,
    })
}

/// A header cell's text: numbers, dates and booleans as they print.
fn header_text(value: &Value<'_>) -> Option<String> {
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

/// The second pass over one sheet: every row below the header, in order.
fn write_rows<RS: Read + Seek, W: Write>(
    workbook: &mut Workbook<RS>,
    table: &Table,
    script: &mut ScriptWriter<W>,
    summary: &mut Summary,
) -> Result<(), ConvertError> {
    // Sheet column → position in the table.
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
    let empty = Value::Empty;
    let mut header_seen = false;
    workbook.visit_rows(&table.sheet, &mut |row, cells| {
        if !header_seen {
            header_seen = true;
            return Ok(());
        }
        let mut values: Vec<&Value<'_>> = vec![&empty; table.columns.len()];
        for (col, value) in cells {
            if let Some(&i) = slot.get(*col as usize)
                && i != usize::MAX
            {
                values[i] = value;
            }
        }
        script.row(table, row, &values)?;
        summary.rows += 1;
        Ok(())
    })
}

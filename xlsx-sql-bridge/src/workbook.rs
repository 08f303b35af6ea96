//! Reading workbooks: the format from the file's bytes, the checks that keep
//! a hostile file from hurting the converter, and each sheet's cells as
//! [`Value`]s, row by row.
//!
//! The format is decided by content, never by the file's name: a `.txt`
//! renamed `.xlsx` is plain text, whatever it is called. `.xlsx`, `.xlsb` and
//! `.ods` are zip archives; `.xls` is an OLE compound file. Before a zip
//! archive reaches the reader, [`open`] checks what its directory declares:
//! an archive that would unpack to more than [`Limits::max_unpacked`] bytes,
//! or an entry that would grow more than [`Limits::max_ratio`] times, is
//! refused as a zip bomb. (An entry that unpacks to more than it declared is
//! stopped by the `zip` crate itself, so the declared sizes can be trusted.)
//!
//! `.xlsx` and `.xlsb` sheets are streamed cell by cell from the archive, so
//! a sheet of any length takes the memory of its shared strings, not of its
//! cells; `.xls` and `.ods` are read whole by calamine. What either costs is
//! estimated first ([`crate::budget`]), and a workbook that would need more
//! than [`Limits::max_memory`] is refused before calamine expands it.

use crate::ConvertError;
use crate::budget::{self, Deadline};
use crate::sql::{DateTime, Time, Value, days_from_civil};
use calamine::{Data, DataRef, Ods, Range, Reader, SheetType, Xls, Xlsb, Xlsx};
use std::borrow::Cow;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};

/// A workbook format calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Xlsx => "xlsx",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
        })
    }
}

/// Why a formula cell without a cached result becomes `NULL`. Excel stores
/// each formula's last result beside it; programs that write workbooks
/// without calculating (openpyxl, and so pandas) store the formula alone.
pub const UNCALCULATED: &str = "a formula saved without its result (openpyxl and pandas do not \
     calculate formulas; open the workbook in a spreadsheet program and save it to store them)";

/// The default memory budget of one conversion: 256 MiB.
pub const DEFAULT_MAX_MEMORY: u64 = 256 << 20;

/// The default disk the rows of one conversion may take between reading
/// and writing ([`crate::spool`]): 1 GiB.
pub const DEFAULT_MAX_SPOOL: u64 = 1 << 30;

/// What one conversion may cost: how much a zip archive may unpack to, the
/// memory the reader may need, and when it must be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes all entries together may unpack to.
    pub max_unpacked: u64,
    /// The largest compression ratio of an entry that unpacks to more than
    /// 1 MiB. Spreadsheet XML compresses 5 to 30 times; zip bombs, 1000.
    pub max_ratio: u64,
    /// The most memory the reader may need for the workbook, as estimated
    /// before it is read ([`crate::budget`]): shared strings, sheets read
    /// whole, one row's text.
    pub max_memory: u64,
    /// The most bytes the sheets' rows may take while they wait for their
    /// script ([`crate::spool`]); a sheet whose rows would take more is read
    /// a second time instead.
    pub max_spool: u64,
    /// When the conversion must give up ([`ConvertError::TimedOut`]).
    pub deadline: Deadline,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_unpacked: 2 << 30,
            max_ratio: 200,
            max_memory: DEFAULT_MAX_MEMORY,
            max_spool: DEFAULT_MAX_SPOOL,
            deadline: Deadline::NONE,
        }
    }
}

/// Excel's last row and column (0-based): cells beyond them are refused
/// rather than trusted, since a row buffer is as wide as the columns used.
pub const MAX_ROW: u32 = 1_048_575;
pub const MAX_COL: u32 = 16_383;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// An open workbook of any format.
pub struct Workbook<RS: Read + Seek> {
    inner: Inner<RS>,
    format: Format,
    is_1904: bool,
    limits: Limits,
    /// The last sheet read whole (`.xls`, `.ods`), kept in case it is read
    /// again (its rows too many to keep in the spool).
    cached: Option<(String, Range<Data>)>,
}

enum Inner<RS: Read + Seek> {
    Xlsx(Xlsx<RS>),
    Xlsb(Xlsb<RS>),
    Xls(Xls<RS>),
    Ods(Ods<RS>),
}

/// Open a workbook from its bytes, after checking what they are.
pub fn open<RS: Read + Seek>(mut rs: RS, limits: &Limits) -> Result<Workbook<RS>, ConvertError> {
    let mut head = [0u8; 512];
    let n = read_head(&mut rs, &mut head)?;
    let head = &head[..n];
    rs.seek(SeekFrom::Start(0)).map_err(read_error)?;
    if head.is_empty() {
        return Err(ConvertError::Empty);
    }
    let format = if head.starts_with(ZIP_MAGIC) || head.starts_with(EMPTY_ZIP_MAGIC) {
        let (format, mut zip, parts) = inspect_zip(rs, limits)?;
        // The estimate first: it refuses a workbook too large in
        // milliseconds, where reading every part would take seconds.
        budget::check_zip(format, &mut zip, limits)?;
        verify_parts(&mut zip, &parts, limits)?;
        rs = zip.into_inner();
        format
    } else if head.starts_with(OLE_MAGIC) {
        budget::check_xls(&mut rs, limits)?;
        Format::Xls
    } else {
        return Err(ConvertError::NotAWorkbook(describe(head)));
    };
    limits.deadline.check()?;
    rs.seek(SeekFrom::Start(0)).map_err(read_error)?;
    let inner = match format {
        Format::Xlsx => Inner::Xlsx(Xlsx::new(rs).map_err(|e| reader_error(&e))?),
        Format::Xlsb => Inner::Xlsb(Xlsb::new(rs).map_err(|e| reader_error(&e))?),
        Format::Xls => Inner::Xls(Xls::new(rs).map_err(|e| reader_error(&e))?),
        Format::Ods => Inner::Ods(Ods::new(rs).map_err(|e| reader_error(&e))?),
    };
    let is_1904 = match &inner {
        Inner::Xlsx(x) => x.has_1904_epoch(),
        Inner::Xlsb(x) => x.has_1904_epoch(),
        Inner::Xls(x) => x.has_1904_epoch(),
        Inner::Ods(_) => false,
    };
    Ok(Workbook {
        inner,
        format,
        is_1904,
        limits: *limits,
        cached: None,
    })
}

fn read_head(rs: &mut impl Read, buf: &mut [u8]) -> Result<usize, ConvertError> {
    let mut filled = 0;
    while filled < buf.len() {
        match rs.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
    Ok(filled)
}

fn read_error(e: std::io::Error) -> ConvertError {
    ConvertError::Read(e.to_string())
}

/// What the first bytes of a file that is not a workbook look like, for the
/// error message.
fn describe(head: &[u8]) -> String {
    let kind = if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if head.starts_with(b"\x89PNG") {
        "a PNG image"
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "a JPEG image"
    } else if head.starts_with(&[0x1F, 0x8B]) {
        "a gzip archive"
    } else if is_text(head) {
        "plain text"
    } else {
        "binary data of an unknown kind"
    };
    format!(
        "the file holds {kind}; a workbook is a zip archive (.xlsx, .xlsb, .ods) or an OLE file (.xls)"
    )
}

/// True if `head` reads as UTF-8 text (allowing a character cut at the end).
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            // A multi-byte character cut by the 512-byte window.
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// Check a zip archive's directory and tell which workbook format it holds;
/// with the archive, the names of its parts.
fn inspect_zip<RS: Read + Seek>(
    rs: RS,
    limits: &Limits,
) -> Result<(Format, zip::ZipArchive<RS>, Vec<String>), ConvertError> {
    let zip = zip::ZipArchive::new(rs).map_err(|e| ConvertError::Damaged(e.to_string()))?;
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(zip.len());
    let mut parts = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|e| ConvertError::Damaged(e.to_string()))?;
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(entry.name_raw()).into_owned());
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        if size > 1 << 20 && size / packed > limits.max_ratio {
            return Err(ConvertError::ZipBomb(format!(
                "{name} would unpack {} from {} (ratio {}:1; the limit is {}:1)",
                human_bytes(size),
                human_bytes(packed),
                size / packed,
                limits.max_ratio
            )));
        }
        total = total.saturating_add(size);
        if total > limits.max_unpacked {
            return Err(ConvertError::ZipBomb(format!(
                "its entries would unpack to more than {} (the limit)",
                human_bytes(limits.max_unpacked)
            )));
        }
        names.push(name.to_ascii_lowercase());
        parts.push(name);
    }
    let has = |wanted: &str| names.iter().any(|n| n.trim_start_matches('/') == wanted);
    let format = if has("xl/workbook.xml") {
        Format::Xlsx
    } else if has("xl/workbook.bin") {
        Format::Xlsb
    } else if has("content.xml") {
        Format::Ods
    } else {
        return Err(ConvertError::NotAWorkbook(
            "the file is a zip archive without a workbook inside (no xl/workbook.xml, \
             xl/workbook.bin or content.xml)"
                .into(),
        ));
    };
    Ok((format, zip, parts))
}

/// A part of the archive is damaged: the error names it.
pub(crate) fn damaged_part(part: &str, reason: &str) -> ConvertError {
    if reason == "Invalid checksum" {
        // The zip crate's words for a part whose bytes changed.
        ConvertError::Damaged(format!("{part} does not match its checksum (CRC-32)"))
    } else {
        ConvertError::Damaged(format!("{part}: {reason}"))
    }
}

/// Read every part of the archive to its end, which checks it against its
/// CRC-32. The reader opens only the parts it needs and stops reading a
/// sheet at `</sheetData>`, so damage elsewhere would go unseen, and damaged
/// bytes that still inflate could pass for cells; a damaged workbook is
/// refused instead, naming the part. (Within the zip-bomb limits above, and
/// the conversion's deadline: reading costs time, not memory.)
fn verify_parts<RS: Read + Seek>(
    zip: &mut zip::ZipArchive<RS>,
    parts: &[String],
    limits: &Limits,
) -> Result<(), ConvertError> {
    let mut buf = vec![0u8; 64 * 1024];
    for (i, part) in parts.iter().enumerate() {
        let damaged = |e: &dyn fmt::Display| match reader_error(e) {
            ConvertError::Damaged(reason) => damaged_part(part, &reason),
            other => other,
        };
        let mut entry = zip.by_index(i).map_err(|e| damaged(&e))?;
        loop {
            match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => limits.deadline.check()?,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(damaged(&e)),
            }
        }
    }
    Ok(())
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A calamine error as the reason a workbook could not be read.
fn reader_error(e: &dyn fmt::Display) -> ConvertError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        ConvertError::Encrypted
    } else {
        ConvertError::Damaged(text)
    }
}

/// The function a sheet's rows are handed to: the row's 0-based index and
/// its non-empty cells as (0-based column, value), in column order.
pub type RowVisitor<'v> = dyn FnMut(u32, &[(u32, Value<'_>)]) -> Result<(), ConvertError> + 'v;

impl<RS: Read + Seek> Workbook<RS> {
    /// The workbook's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The names of the worksheets, in workbook order (chart sheets, which
    /// hold no cells, are left out).
    pub fn sheet_names(&self) -> Vec<String> {
        let sheets = match &self.inner {
            Inner::Xlsx(x) => x.sheets_metadata(),
            Inner::Xlsb(x) => x.sheets_metadata(),
            Inner::Xls(x) => x.sheets_metadata(),
            Inner::Ods(x) => x.sheets_metadata(),
        };
        sheets
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .collect()
    }

    /// Hand every non-empty row of `sheet` to `visit`, in the order the file
    /// stores them.
    pub fn visit_rows(
        &mut self,
        sheet: &str,
        visit: &mut RowVisitor<'_>,
    ) -> Result<(), ConvertError> {
        let is_1904 = self.is_1904;
        let limits = self.limits;
        match &mut self.inner {
            Inner::Xlsx(xlsx) => {
                let mut cells = xlsx
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| reader_error(&e))?;
                stream_rows(&limits, visit, || {
                    // The formula too, to tell a formula saved without its
                    // result from an empty cell.
                    let cell = cells
                        .next_cell_with_formula_metadata()
                        .map_err(|e| reader_error(&e))?;
                    Ok(cell.map(|c| {
                        let value = match (c.value, c.formula) {
                            (DataRef::Empty, Some(_)) => Value::Error(Cow::Borrowed(UNCALCULATED)),
                            // By value: an inline string moves, uncopied.
                            (value, _) => value_from_owned_ref(value, is_1904),
                        };
                        (c.pos, value)
                    }))
                })
            }
            Inner::Xlsb(xlsb) => {
                let mut cells = xlsb
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| reader_error(&e))?;
                stream_rows(&limits, visit, || {
                    let cell = cells.next_cell().map_err(|e| reader_error(&e))?;
                    Ok(cell.map(|c| (c.get_position(), value_from_ref(c.get_value(), is_1904))))
                })
            }
            Inner::Xls(_) | Inner::Ods(_) => {
                let cached = self.cached.as_ref().is_some_and(|(name, _)| name == sheet);
                if !cached {
                    self.cached = None;
                    let range = match &mut self.inner {
                        Inner::Xls(x) => x.worksheet_range(sheet).map_err(|e| reader_error(&e))?,
                        Inner::Ods(x) => x.worksheet_range(sheet).map_err(|e| reader_error(&e))?,
                        _ => unreachable!("only the formats read whole reach here"),
                    };
                    self.cached = Some((sheet.to_owned(), range));
                }
                let Some((_, range)) = &self.cached else {
                    return Ok(());
                };
                let (row0, col0) = range.start().unwrap_or((0, 0));
                let mut rows = RowGrouper::new(&limits);
                for (r, c, data) in range.used_cells() {
                    let row = row0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
                    let col = col0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
                    rows.push(row, col, value_from_data(data, is_1904), visit)?;
                }
                rows.finish(visit)
            }
        }
    }
}

/// A sheet streamed cell by cell (`.xlsx`, `.xlsb`): `next_cell` gives each
/// cell's (row, column) and value, in the order the file stores them.
fn stream_rows<'a>(
    limits: &Limits,
    visit: &mut RowVisitor<'_>,
    mut next_cell: impl FnMut() -> Result<Option<((u32, u32), Value<'a>)>, ConvertError>,
) -> Result<(), ConvertError> {
    let mut rows = RowGrouper::new(limits);
    while let Some(((row, col), value)) = next_cell()? {
        rows.push(row, col, value, visit)?;
    }
    rows.finish(visit)
}

/// Groups a stream of cells into rows: consecutive cells of the same row.
/// It is also where a conversion looks at its clock, and where one row's
/// text (the inline strings of `.xlsx`, which are not shared) is bounded.
struct RowGrouper<'a> {
    row: Option<u32>,
    cells: Vec<(u32, Value<'a>)>,
    /// Bytes of text the row owns (not borrowed from the shared strings).
    owned: u64,
    limits: Limits,
    seen: u32,
}

impl<'a> RowGrouper<'a> {
    fn new(limits: &Limits) -> Self {
        Self {
            row: None,
            cells: Vec::with_capacity(64),
            owned: 0,
            limits: *limits,
            seen: 0,
        }
    }

    fn push(
        &mut self,
        row: u32,
        col: u32,
        value: Value<'a>,
        visit: &mut RowVisitor<'_>,
    ) -> Result<(), ConvertError> {
        // Empty cells cost time too (a sheet of a million of them).
        self.seen += 1;
        if self.seen >= 4096 {
            self.seen = 0;
            self.limits.deadline.check()?;
        }
        if value == Value::Empty {
            return Ok(());
        }
        if row > MAX_ROW || col > MAX_COL {
            return Err(ConvertError::Damaged(format!(
                "a cell lies at row {}, column {}, beyond Excel's 1,048,576 rows and 16,384 columns",
                u64::from(row) + 1,
                u64::from(col) + 1
            )));
        }
        if self.row != Some(row) {
            self.flush(visit)?;
            self.row = Some(row);
        }
        if let Value::Text(Cow::Owned(text)) | Value::Error(Cow::Owned(text)) = &value {
            self.owned = self.owned.saturating_add(text.len() as u64);
            if self.owned > self.limits.max_memory {
                return Err(budget::too_big(
                    &self.limits,
                    self.owned,
                    format!("the text in row {}", u64::from(row) + 1),
                ));
            }
        }
        self.cells.push((col, value));
        Ok(())
    }

    fn flush(&mut self, visit: &mut RowVisitor<'_>) -> Result<(), ConvertError> {
        self.owned = 0;
        self.limits.deadline.check()?;
        if let (Some(row), false) = (self.row, self.cells.is_empty()) {
            // Files written by spreadsheet programs store a row's cells left
            // to right; sort the rare file that does not.
            if !self.cells.is_sorted_by_key(|(c, _)| *c) {
                self.cells.sort_by_key(|(c, _)| *c);
            }
            visit(row, &self.cells)?;
        }
        self.cells.clear();
        Ok(())
    }

    fn finish(mut self, visit: &mut RowVisitor<'_>) -> Result<(), ConvertError> {
        self.flush(visit)
    }
}

/// A streamed cell's value (`.xlsx`, `.xlsb`).
pub fn value_from_ref<'a>(data: &DataRef<'a>, is_1904: bool) -> Value<'a> {
    match data {
        DataRef::String(s) => text(Cow::Owned(s.clone())),
        other => value_from_owned_ref(other.clone(), is_1904),
    }
}

/// [`value_from_ref`], taking the cell's value: an inline string is moved
/// rather than copied.
fn value_from_owned_ref(data: DataRef<'_>, is_1904: bool) -> Value<'_> {
    match data {
        DataRef::Empty => Value::Empty,
        DataRef::Int(i) => Value::Int(i),
        DataRef::Float(f) => number(f),
        DataRef::String(s) => text(Cow::Owned(s)),
        DataRef::SharedString(s) => text(Cow::Borrowed(s)),
        DataRef::Bool(b) => Value::Bool(b),
        DataRef::DateTime(dt) => serial_value(dt.as_f64(), dt.is_duration(), is_1904),
        DataRef::DateTimeIso(s) => iso_datetime(&s),
        DataRef::DurationIso(s) => iso_duration(&s),
        DataRef::Error(e) => Value::Error(Cow::Owned(e.to_string())),
    }
}

/// A cell's value from a sheet read whole (`.xls`, `.ods`).
pub fn value_from_data(data: &Data, is_1904: bool) -> Value<'_> {
    match data {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => number(*f),
        Data::String(s) => text(Cow::Borrowed(s)),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => serial_value(dt.as_f64(), dt.is_duration(), is_1904),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => iso_duration(s),
        Data::Error(e) => Value::Error(Cow::Owned(e.to_string())),
    }
}

fn number(f: f64) -> Value<'static> {
    if f.is_finite() {
        Value::Float(f)
    } else {
        Value::Error(Cow::Borrowed(
            "a number MySQL cannot store (infinite or NaN)",
        ))
    }
}

/// An empty string is an empty cell (formulas such as `=IF(A1>0, A1, "")`
/// leave them).
fn text(s: Cow<'_, str>) -> Value<'_> {
    if s.is_empty() {
        Value::Empty
    } else {
        Value::Text(s)
    }
}

/// An Excel serial date (days since the workbook's epoch, the time as the
/// fraction of a day) as a value, rounded to the second.
///
/// Serials below 1 carry no date: they are times of day, written as `TIME`.
/// In the 1900 system Excel counts the day 1900-02-29, which never existed
/// (a bug kept from Lotus 1-2-3): serial 60 is that day and becomes `NULL`
/// with a warning; serials after it are one day off from a plain count,
/// which the epoch 1899-12-30 corrects.
pub fn serial_value(serial: f64, duration: bool, is_1904: bool) -> Value<'static> {
    let seconds = (serial * 86_400.0).round();
    if !seconds.is_finite() || seconds.abs() > 1e13 {
        return Value::Error(Cow::Borrowed("a date or time out of range"));
    }
    let seconds = seconds as i64;
    if duration {
        return Value::Time(Time { seconds });
    }
    if seconds < 0 {
        return Value::Error(Cow::Borrowed("a negative date"));
    }
    let days = seconds / 86_400;
    let time_of_day = (seconds % 86_400) as u32;
    if days == 0 {
        return Value::Time(Time {
            seconds: i64::from(time_of_day),
        });
    }
    let since_1970 = if is_1904 {
        days_from_civil(1904, 1, 1) + days
    } else if days > 60 {
        days_from_civil(1899, 12, 30) + days
    } else if days == 60 {
        return Value::Error(Cow::Borrowed(
            "1900-02-29, a day that does not exist (Excel's 1900 leap-year bug)",
        ));
    } else {
        days_from_civil(1899, 12, 31) + days
    };
    match DateTime::from_days(since_1970, time_of_day) {
        Some(dt) => Value::DateTime(dt),
        None => Value::Error(Cow::Borrowed("a date after the year 9999")),
    }
}

/// An ISO 8601 date or date-time, as `.ods` stores them (`2024-03-01`,
/// `2024-03-01T12:30:00.5`).
pub fn iso_datetime(s: &str) -> Value<'static> {
    parse_iso_datetime(s).map_or_else(
        || Value::Error(Cow::Owned(format!("an unreadable date ({s})"))),
        Value::DateTime,
    )
}

fn parse_iso_datetime(s: &str) -> Option<DateTime> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let days = days_from_civil(year, month, day);
    // A date such as 2023-02-30 does not survive the round trip.
    let (y, m, d) = crate::sql::civil_from_days(days)?;
    if (y, m, d) != (year, month, day) {
        return None;
    }
    let mut seconds: i64 = 0;
    if let Some(time) = time {
        let time = time.trim_end_matches('Z');
        let mut parts = time.splitn(3, ':');
        let h: i64 = parts.next()?.parse().ok()?;
        let mi: i64 = parts.next()?.parse().ok()?;
        let s: f64 = parts.next().unwrap_or("0").parse().ok()?;
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0.0..61.0).contains(&s) {
            return None;
        }
        seconds = h * 3600 + mi * 60 + s.round() as i64;
    }
    DateTime::from_days(days + seconds / 86_400, (seconds % 86_400) as u32)
}

/// An ISO 8601 duration, as `.ods` stores times (`PT12H30M00S`, `-PT1H`,
/// `P1DT2H`).
pub fn iso_duration(s: &str) -> Value<'static> {
    parse_iso_duration(s).map_or_else(
        || Value::Error(Cow::Owned(format!("an unreadable duration ({s})"))),
        |seconds| Value::Time(Time { seconds }),
    )
}

fn parse_iso_duration(s: &str) -> Option<i64> {
    let (negative, rest) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P')?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0.0f64;
    let mut number = String::new();
    for (part, units) in [
        (days_part, &[('D', 86_400.0)][..]),
        (time_part, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..]),
    ] {
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let &(_, scale) = units.iter().find(|(u, _)| *u == c)?;
            total += number.parse::<f64>().ok()? * scale;
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
    }
    if total > 1e12 {
        return None;
    }
    let seconds = total.round() as i64;
    Some(if negative { -seconds } else { seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> Value<'static> {
        Value::DateTime(parse_iso_datetime(s).expect("a valid date"))
    }

    #[test]
    fn serial_dates_follow_excel() {
        // 2024-03-01 12:30:00 is serial 45352.520833...
        assert_eq!(
            serial_value(45352.0 + 12.5 / 24.0, false, false),
            dt("2024-03-01T12:30:00")
        );
        assert_eq!(serial_value(1.0, false, false), dt("1900-01-01"));
        assert_eq!(serial_value(59.0, false, false), dt("1900-02-28"));
        assert!(matches!(serial_value(60.0, false, false), Value::Error(_)));
        assert_eq!(serial_value(61.0, false, false), dt("1900-03-01"));
        assert_eq!(
            serial_value(0.0, false, true),
            Value::Time(Time { seconds: 0 })
        );
        assert_eq!(serial_value(1.0, false, true), dt("1904-01-02"));
    }

    #[test]
    fn serial_times_round_to_the_nearest_second() {
        // 12:30 is stored as 0.520833333..., a hair below the exact value.
        let twelve_thirty = 12.5 / 24.0 - 1e-12;
        assert_eq!(
            serial_value(twelve_thirty, false, false),
            Value::Time(Time { seconds: 45_000 })
        );
        assert_eq!(
            serial_value(1.5, true, false),
            Value::Time(Time { seconds: 129_600 })
        );
        // 23:59:59.6 rounds into the next day.
        assert_eq!(
            serial_value(45352.0 + 86_399.6 / 86_400.0, false, false),
            dt("2024-03-02T00:00:00")
        );
    }

    #[test]
    fn iso_values_from_ods() {
        assert_eq!(iso_datetime("2024-03-01"), dt("2024-03-01T00:00:00"));
        assert_eq!(
            iso_datetime("2024-03-01T12:30:00.6"),
            dt("2024-03-01T12:30:01")
        );
        assert!(matches!(iso_datetime("2023-02-30"), Value::Error(_)));
        assert_eq!(
            iso_duration("PT12H30M00S"),
            Value::Time(Time { seconds: 45_000 })
        );
        assert_eq!(iso_duration("-PT1H"), Value::Time(Time { seconds: -3600 }));
        assert_eq!(
            iso_duration("P1DT2H"),
            Value::Time(Time { seconds: 93_600 })
        );
        assert!(matches!(iso_duration("P1Y"), Value::Error(_)));
    }

    #[test]
    fn text_is_recognised_as_not_a_workbook() {
        let message = describe(b"name,age\nAna,31\n");
        assert!(message.contains("plain text"), "{message}");
        assert!(describe(b"%PDF-1.7").contains("PDF"));
        assert!(describe(&[0, 1, 2, 0xFF]).contains("unknown"));
    }

    #[test]
    fn empty_strings_are_empty_cells() {
        assert_eq!(text(Cow::Borrowed("")), Value::Empty);
        assert_eq!(
            value_from_data(&Data::String(String::new()), false),
            Value::Empty
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(10), "10 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(50 << 20), "50.0 MiB");
    }
}

#[cfg(test)]
mod zip_tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_with(entries: &[(&str, usize)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, size) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("an entry");
            zip.write_all(&vec![b'a'; *size]).expect("write");
        }
        zip.finish().expect("a zip").into_inner()
    }

    #[test]
    fn the_total_unpacked_size_is_limited() {
        let bytes = zip_with(&[("xl/workbook.xml", 600_000), ("xl/a.xml", 600_000)]);
        let limits = Limits {
            max_unpacked: 1_000_000,
            max_ratio: 1_000_000,
            ..Limits::default()
        };
        let err = inspect_zip(Cursor::new(bytes), &limits).expect_err("refused");
        assert!(matches!(err, ConvertError::ZipBomb(_)), "{err}");
    }

    #[test]
    fn a_high_ratio_is_a_bomb_only_past_one_mebibyte() {
        let small = zip_with(&[("xl/workbook.xml", 1 << 19)]);
        assert!(inspect_zip(Cursor::new(small), &Limits::default()).is_ok());
        let large = zip_with(&[("xl/workbook.xml", 4 << 20)]);
        let err = inspect_zip(Cursor::new(large), &Limits::default()).expect_err("refused");
        assert!(err.to_string().contains("ratio"), "{err}");
    }

    #[test]
    fn the_format_is_read_from_the_entries() {
        let (format, _, _) = inspect_zip(
            Cursor::new(zip_with(&[("xl/workbook.bin", 10)])),
            &Limits::default(),
        )
        .expect("a workbook");
        assert_eq!(format, Format::Xlsb);
        let (format, _, _) = inspect_zip(
            Cursor::new(zip_with(&[("content.xml", 10)])),
            &Limits::default(),
        )
        .expect("a workbook");
        assert_eq!(format, Format::Ods);
    }
}

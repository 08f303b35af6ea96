//! What converting a workbook will cost, estimated before the reader expands
//! it, and the clock every conversion runs against.
//!
//! A workbook is a compressed description of cells, and a few of its
//! constructs let a small file describe a great many values, which calamine
//! then holds in memory all at once, long before the first row reaches the
//! converter:
//!
//! * `.xlsx` and `.xlsb` keep every distinct text in a *shared string table*
//!   that calamine reads whole when it opens the file: a 1 MB `.xlsx` that
//!   compresses 10 million short strings 160 times (under the zip-bomb limit)
//!   becomes half a gigabyte of `String`s. The table's `uniqueCount` is worse:
//!   calamine reserves room for that many strings before reading one.
//! * `.ods` rows and cells carry repeat counts (`table:number-rows-repeated`,
//!   `table:number-columns-repeated`) and `<text:s text:c="...">` spaces, all
//!   expanded by calamine when it opens the file, into a dense grid that spans
//!   from the first to the last value of each sheet.
//! * `.xls` sheets are read whole too, into a grid spanning their first and
//!   last cell (65,536 × 65,536 positions are addressable), after reserving what
//!   their `DIMENSIONS` record claims; and the OLE container around them has
//!   sector chains that can loop.
//!
//! So before calamine sees the bytes, `check_zip` and `check_xls` read the parts it would read
//! (the shared strings, `content.xml`, the `.xls` records) with a streaming
//! parser that keeps only counts, and adds up what calamine would allocate:
//! the values and grids (their sizes on a 64-bit machine) and the heap blocks
//! of their strings. Past [`Limits::max_memory`] the workbook is refused with
//! [`ConvertError::TooBig`], naming what is too big; the file's own counts
//! (`count`, `uniqueCount`, `DIMENSIONS`) are never trusted as estimates,
//! only counted against the limit when calamine would act on them. The scan
//! stops as soon as the limit is passed, so refusing costs little.
//!
//! A single XML text or tag is buffered whole by every XML reader, so no run
//! of more than a quarter of the limit without a `<` is read: entries that
//! large are scanned for it first.
//!
//! The clock is a [`Deadline`]: the scan, the reading of the rows and the
//! writing of the script check it, and stop with [`ConvertError::TimedOut`]
//! once it has passed.

use crate::ConvertError;
use crate::workbook::{Format, Limits};
use quick_xml::events::{BytesStart, Event};
use std::io::{self, BufReader, Read, Seek};
use std::time::{Duration, Instant};

mod xls;

pub(crate) use xls::check_xls;

/// What calamine's values take on a 64-bit machine (checked by a test).
const STRING: u64 = 24; // a String: pointer, capacity, length
const DATA: u64 = 32; // a calamine::Data
const CELL: u64 = 40; // a calamine::Cell<Data>: position and value
const FORMULA_CELL: u64 = 32; // a calamine::Cell<String>

/// How often (in XML events or records) the scan looks at the clock.
const CLOCK_EVERY: u32 = 4096;

/// The heap block a string of `len` bytes takes: the allocator adds 8 bytes
/// and rounds to 16, and gives at least 32.
pub(crate) fn heap(len: u64) -> u64 {
    if len == 0 {
        0
    } else {
        (len.saturating_add(8).div_ceil(16) * 16).max(32)
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// When a conversion must give up. Copied into every part of a conversion,
/// which checks it between rows (and between records while scanning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadline(Option<(Instant, Duration)>);

impl Deadline {
    /// No deadline (the `--offline` client's conversions).
    pub const NONE: Deadline = Deadline(None);

    /// `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Deadline(Instant::now().checked_add(limit).map(|at| (at, limit)))
    }

    /// The instant, if there is one.
    pub fn at(&self) -> Option<Instant> {
        self.0.map(|(at, _)| at)
    }

    /// The time limit it was set from.
    pub fn limit(&self) -> Option<Duration> {
        self.0.map(|(_, limit)| limit)
    }

    /// [`ConvertError::TimedOut`] once the deadline has passed.
    pub fn check(&self) -> Result<(), ConvertError> {
        match self.0 {
            Some((at, limit)) if Instant::now() >= at => Err(ConvertError::TimedOut(limit)),
            _ => Ok(()),
        }
    }
}

/// The refusal: `what` would need `needs` bytes.
pub(crate) fn too_big(limits: &Limits, needs: u64, what: String) -> ConvertError {
    ConvertError::TooBig {
        what,
        needs,
        limit: limits.max_memory,
    }
}

/// A running estimate of what calamine will allocate.
pub(crate) struct Tally<'l> {
    limits: &'l Limits,
    /// Held for the whole conversion (or until the reader is done).
    kept: u64,
    ticks: u32,
}

impl<'l> Tally<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            kept: 0,
            ticks: 0,
        }
    }

    /// Refuse if `kept` plus `passing` (held only for a while) is over the
    /// limit.
    pub(crate) fn check(
        &self,
        passing: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), ConvertError> {
        let needs = self.kept.saturating_add(passing);
        if needs > self.limits.max_memory {
            return Err(too_big(self.limits, needs, what()));
        }
        Ok(())
    }

    pub(crate) fn keep(&mut self, bytes: u64) {
        self.kept = self.kept.saturating_add(bytes);
    }

    /// Look at the clock every [`CLOCK_EVERY`] calls.
    pub(crate) fn tick(&mut self) -> Result<(), ConvertError> {
        self.ticks += 1;
        if self.ticks >= CLOCK_EVERY {
            self.ticks = 0;
            self.limits.deadline.check()?;
        }
        Ok(())
    }
}

/// The longest run of XML bytes without a `<` that a reader may buffer.
pub(crate) fn longest_run(limits: &Limits) -> u64 {
    (limits.max_memory / 4).max(1 << 20)
}

/// A reader that fails once more than `max` bytes pass without a `<`:
/// every XML event (a text, a tag) lies between two of them, and XML
/// readers buffer an event whole.
struct RunLimit<R> {
    inner: R,
    since: u64,
    max: u64,
    hit: bool,
}

impl<R> RunLimit<R> {
    fn new(inner: R, max: u64) -> Self {
        Self {
            inner,
            since: 0,
            max,
            hit: false,
        }
    }
}

impl<R: Read> Read for RunLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Runs inside one read are shorter than the buffer (8 KiB).
        match buf[..n].iter().rposition(|&b| b == b'<') {
            Some(at) => self.since = (n - 1 - at) as u64,
            None => self.since += n as u64,
        }
        if self.since > self.max {
            self.hit = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an XML text or tag is too long",
            ));
        }
        Ok(n)
    }
}

fn run_too_long(limits: &Limits, part: &str) -> ConvertError {
    too_big(
        limits,
        longest_run(limits).saturating_mul(2),
        format!(
            "{part} holds a single text or tag longer than {}, which the reader would hold whole",
            crate::workbook::human_bytes(longest_run(limits))
        ),
    )
}

/// An XML reader configured as calamine configures its own, so that the
/// events counted are the events it sees.
fn xml_reader<R: Read>(inner: R, limits: &Limits) -> quick_xml::Reader<BufReader<RunLimit<R>>> {
    let mut reader =
        quick_xml::Reader::from_reader(BufReader::new(RunLimit::new(inner, longest_run(limits))));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    reader
}

/// The value of attribute `name` (qualified, as written), raw.
fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    e.try_get_attribute(name).ok().flatten().map(|a| a.value)
}

fn attr_number(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    attr(e, name)?.trim().parse().ok()
}

/// An archive entry's name as calamine looks names up: lower case, `/`.
fn normalized(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// Check what reading the zip-based workbook in `zip` would cost.
pub(crate) fn check_zip<RS: Read + Seek>(
    format: Format,
    zip: &mut zip::ZipArchive<RS>,
    limits: &Limits,
) -> Result<(), ConvertError> {
    let mut tally = Tally::new(limits);
    let mut parsed = Vec::new();
    for i in 0..zip.len() {
        let name = match zip.by_index_raw(i) {
            Ok(entry) => entry.name().unwrap_or_default().into_owned(),
            Err(_) => continue,
        };
        let key = normalized(&name);
        let is_part = match format {
            Format::Xlsx => key.ends_with("sharedstrings.xml"),
            Format::Xlsb => key == "xl/sharedstrings.bin",
            // calamine opens exactly this name.
            Format::Ods => name == "content.xml",
            Format::Xls => false,
        };
        if !is_part {
            continue;
        }
        parsed.push(i);
        zip.by_index(i)
            .map_err(|e| ConvertError::Damaged(e.to_string()))
            .and_then(|entry| match format {
                Format::Xlsx => xlsx_shared_strings(entry, &name, &mut tally),
                Format::Xlsb => xlsb_shared_strings(entry, &mut tally),
                Format::Ods => ods_content(entry, &mut tally),
                Format::Xls => Ok(()),
            })
            .map_err(|e| damaged_part(&name, e))?;
    }
    // Every other part calamine reads is read event by event (or record by
    // record): only an event longer than the limit could cost more than its
    // share, and only an entry larger than that can hold one.
    let run = longest_run(limits);
    for i in 0..zip.len() {
        if parsed.contains(&i) {
            continue;
        }
        let (name, size) = match zip.by_index_raw(i) {
            Ok(entry) => (entry.name().unwrap_or_default().into_owned(), entry.size()),
            Err(_) => continue,
        };
        if size <= run {
            continue;
        }
        scan_part(format, zip, i, &name, limits, &mut tally).map_err(|e| damaged_part(&name, e))?;
    }
    Ok(())
}

/// Where a damaged part is found, the error names it.
fn damaged_part(name: &str, e: ConvertError) -> ConvertError {
    match e {
        ConvertError::Damaged(reason) => crate::workbook::damaged_part(name, &reason),
        e => e,
    }
}

/// Check the part `i` (`name`), which is not a table of strings, for a run
/// of text or a record longer than the limit.
fn scan_part<RS: Read + Seek>(
    format: Format,
    zip: &mut zip::ZipArchive<RS>,
    i: usize,
    name: &str,
    limits: &Limits,
    tally: &mut Tally<'_>,
) -> Result<(), ConvertError> {
    let entry = zip
        .by_index(i)
        .map_err(|e| ConvertError::Damaged(e.to_string()))?;
    let run = longest_run(limits);
    if format == Format::Xlsb && normalized(name).ends_with(".bin") {
        let mut records = Records::new(entry);
        while let Some((_, len)) = records.next_header()? {
            if u64::from(len) > run {
                return Err(too_big(
                    limits,
                    u64::from(len),
                    format!(
                        "{name} holds a record of {} that the reader would hold whole",
                        crate::workbook::human_bytes(u64::from(len))
                    ),
                ));
            }
            records.skip(len)?;
            tally.tick()?;
        }
        Ok(())
    } else {
        scan_runs(entry, name, limits)
    }
}

/// Read an entry to its end, failing if a run without `<` is too long.
fn scan_runs(entry: impl Read, name: &str, limits: &Limits) -> Result<(), ConvertError> {
    let mut reader = RunLimit::new(entry, longest_run(limits));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => limits.deadline.check()?,
            Err(_) if reader.hit => return Err(run_too_long(limits, name)),
            // A damaged entry: the reader will say so.
            Err(_) => return Ok(()),
        }
    }
}

/// `xl/sharedStrings.xml`: every `<si>` becomes a `String` in a `Vec`, whose
/// room calamine reserves from `uniqueCount` first.
fn xlsx_shared_strings(
    entry: impl Read,
    name: &str,
    tally: &mut Tally<'_>,
) -> Result<(), ConvertError> {
    let mut xml = xml_reader(entry, tally.limits);
    let mut buf = Vec::new();
    let mut reserved = 0u64;
    let mut count = 0u64;
    let mut heaps = 0u64;
    let mut longest = 0u64;
    let mut depth = 0u32;
    let mut len = 0u64;
    let what = |count: u64, reserved: u64| {
        let declared = if reserved > count {
            format!(
                ", and room reserved for the {} it declares",
                thousands(reserved)
            )
        } else {
            String::new()
        };
        format!(
            "its shared string table ({} strings read before stopping{declared})",
            thousands(count)
        )
    };
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if xml.get_ref().get_ref().hit => return Err(run_too_long(tally.limits, name)),
            // Damaged XML: calamine stops at the same place and says why.
            Err(_) => break,
        };
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "sst" => {
                    if let Some(declared) = attr_number(&e, "uniqueCount") {
                        reserved = declared;
                        tally.check(declared.saturating_mul(STRING), || {
                            format!(
                                "its shared string table, which declares {} strings (calamine reserves room for them first),",
                                thousands(declared)
                            )
                        })?;
                    }
                }
                "si" => {
                    if depth == 0 {
                        count += 1;
                        len = 0;
                    }
                    depth += 1;
                }
                _ => {}
            },
            Event::End(e) if depth > 0 && e.local_name().as_ref() == "si" => {
                depth -= 1;
                if depth == 0 {
                    heaps = heaps.saturating_add(heap(len));
                    longest = longest.max(len);
                    // The Vec doubles as it grows.
                    let slots = reserved.max(count.next_power_of_two());
                    let needs = slots
                        .saturating_mul(STRING)
                        .saturating_add(heaps)
                        .saturating_add(longest.saturating_mul(3));
                    tally.check(needs, || what(count, reserved))?;
                }
            }
            Event::Text(t) if depth > 0 => len = len.saturating_add(t.len() as u64),
            Event::CData(t) if depth > 0 => len = len.saturating_add(t.len() as u64),
            // A character reference decodes to at most 4 bytes.
            Event::GeneralRef(_) if depth > 0 => len = len.saturating_add(4),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        tally.tick()?;
    }
    let slots = reserved.max(count.next_power_of_two());
    tally.keep(slots.saturating_mul(STRING).saturating_add(heaps));
    Ok(())
}

/// The records of an `.xlsb` part: a type and a length, as variable-length
/// integers, then the body.
struct Records<R> {
    inner: BufReader<R>,
}

impl<R: Read> Records<R> {
    fn new(inner: R) -> Self {
        Self {
            inner: BufReader::new(inner),
        }
    }

    fn byte(&mut self) -> Result<Option<u8>, ConvertError> {
        let mut b = [0u8];
        match self.inner.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(b[0])),
            Err(e) => Err(ConvertError::Damaged(e.to_string())),
        }
    }

    /// The next record's type and length; `None` at the end.
    fn next_header(&mut self) -> Result<Option<(u16, u32)>, ConvertError> {
        let Some(b) = self.byte()? else {
            return Ok(None);
        };
        let typ = if b & 0x80 != 0 {
            let Some(b2) = self.byte()? else {
                return Ok(None);
            };
            u16::from(b & 0x7F) | (u16::from(b2 & 0x7F) << 7)
        } else {
            u16::from(b)
        };
        let mut len = 0u32;
        for i in 0..4 {
            let Some(b) = self.byte()? else {
                return Ok(None);
            };
            len |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        Ok(Some((typ, len)))
    }

    fn skip(&mut self, len: u32) -> Result<(), ConvertError> {
        let skipped = io::copy(&mut (&mut self.inner).take(u64::from(len)), &mut io::sink())
            .map_err(|e| ConvertError::Damaged(e.to_string()))?;
        if skipped < u64::from(len) {
            // calamine stops here with an error of its own.
            return Ok(());
        }
        Ok(())
    }
}

/// `xl/sharedStrings.bin`: a `BrtSSTItem` record per string (UTF-16, so
/// at most 3 bytes of UTF-8 for every 2 of the record).
fn xlsb_shared_strings(entry: impl Read, tally: &mut Tally<'_>) -> Result<(), ConvertError> {
    const BRT_SST_ITEM: u16 = 0x0013;
    let run = longest_run(tally.limits);
    let mut records = Records::new(entry);
    let mut count = 0u64;
    let mut heaps = 0u64;
    let mut largest = 0u64;
    while let Some((typ, len)) = records.next_header()? {
        let len64 = u64::from(len);
        if len64 > run {
            return Err(too_big(
                tally.limits,
                len64,
                format!(
                    "its shared string table holds a record of {} that the reader would hold whole",
                    crate::workbook::human_bytes(len64)
                ),
            ));
        }
        largest = largest.max(len64);
        if typ == BRT_SST_ITEM {
            count += 1;
            heaps = heaps.saturating_add(heap(len64.saturating_mul(3) / 2));
            let needs = count
                .next_power_of_two()
                .saturating_mul(STRING)
                .saturating_add(heaps)
                .saturating_add(largest);
            tally.check(needs, || format!("its {} shared strings", thousands(count)))?;
        }
        records.skip(len)?;
        tally.tick()?;
    }
    tally.keep(
        count
            .next_power_of_two()
            .saturating_mul(STRING)
            .saturating_add(heaps),
    );
    Ok(())
}

/// calamine's caps on an `.ods` sheet.
const ODS_MAX_ROWS: u64 = 1_048_576;
const ODS_MAX_COLUMNS: u64 = 16_384;

/// One `.ods` sheet as calamine builds it: first every row's cells as
/// written (repeated cells expanded, repeated rows not), then a dense grid
/// from the first to the last row and column holding a value, with
/// repeated rows expanded, for the values and again for the formulas.
#[derive(Default)]
struct OdsSheet {
    name: String,
    /// Rows so far, with their repeats (capped as calamine caps them).
    rows: u64,
    /// Cells and string bytes of the rows as written (before the grid).
    written_cells: u64,
    written_heap: u64,
    /// The grid: rows from the first row with a value to the last.
    first_row: Option<u64>,
    last_row_end: u64,
    first_col: u64,
    last_col: u64,
    /// String bytes of the grid's rows, repeats included, up to the last
    /// row with a value.
    heap_before_first: u64,
    heap_through_last: u64,
    heap_so_far: u64,
    has_formula: bool,
}

impl OdsSheet {
    fn grid_cells(&self) -> (u64, u64) {
        match self.first_row {
            None => (0, 0),
            Some(first) => (
                self.last_row_end.saturating_sub(first),
                (self.last_col + 1).saturating_sub(self.first_col),
            ),
        }
    }

    /// The grid of values (and of formulas, if any), with their strings.
    fn grid_bytes(&self) -> u64 {
        let (rows, cols) = self.grid_cells();
        let per_cell = DATA + if self.has_formula { STRING } else { 0 };
        rows.saturating_mul(cols)
            .saturating_mul(per_cell)
            .saturating_add(
                self.heap_through_last
                    .saturating_sub(self.heap_before_first),
            )
    }

    /// The rows as written, while the grid is built from them.
    fn written_bytes(&self) -> u64 {
        self.written_cells
            .saturating_mul(DATA + STRING)
            .saturating_add(self.written_heap)
    }

    fn describe(&self) -> String {
        let (rows, cols) = self.grid_cells();
        format!(
            "sheet {:?}, {} rows × {} columns ({} cells) with {} of text once its repeated rows, \
             columns and spaces are expanded,",
            self.name,
            thousands(rows),
            thousands(cols),
            thousands(rows.saturating_mul(cols)),
            crate::workbook::human_bytes(
                self.heap_through_last
                    .saturating_sub(self.heap_before_first)
            )
        )
    }
}

/// One `.ods` row being read.
#[derive(Default)]
struct OdsRow {
    repeats: u64,
    /// Cells pushed so far (calamine pushes empty cells only before a value).
    pushed: u64,
    pending_empty: u64,
    first_value: Option<u64>,
    last_value: u64,
    heap: u64,
}

/// One `.ods` cell being read.
#[derive(Default)]
struct OdsCell {
    repeats: u64,
    has_value: bool,
    has_formula: bool,
    /// Bytes of the strings the value and the formula become.
    text: u64,
    formula: u64,
    /// The value is the element's text (a string without
    /// `office:string-value`).
    reads_content: bool,
    first_paragraph: bool,
}

/// `content.xml`: every sheet of an `.ods`, read whole when it is opened.
fn ods_content(entry: impl Read, tally: &mut Tally<'_>) -> Result<(), ConvertError> {
    let limits = tally.limits;
    let mut xml = xml_reader(entry, limits);
    let mut buf = Vec::new();
    let mut sheet: Option<OdsSheet> = None;
    let mut row: Option<OdsRow> = None;
    let mut cell: Option<OdsCell> = None;
    // The largest grid (a sheet is copied when it is read) and the largest
    // rows-as-written (freed once its grid is built).
    let mut largest_grid = 0u64;
    let mut largest_written = 0u64;
    let mut cell_depth = 0u32;
    let mut annotation = 0u32;
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) if xml.get_ref().get_ref().hit => {
                return Err(run_too_long(limits, "content.xml"));
            }
            Err(_) => break,
        };
        match event {
            Event::Start(e) => {
                let name = e.name();
                let name = name.as_ref();
                if let Some(c) = cell.as_mut() {
                    cell_depth += 1;
                    if annotation > 0 || name == "office:annotation" {
                        annotation += 1;
                    } else if c.reads_content {
                        match name {
                            "text:p" => {
                                if c.first_paragraph {
                                    c.first_paragraph = false;
                                } else {
                                    c.text += 1;
                                }
                            }
                            // Spaces, `text:c` of them: a repeat count too.
                            "text:s" => {
                                c.text = c
                                    .text
                                    .saturating_add(attr_number(&e, "text:c").unwrap_or(1));
                            }
                            "text:tab" | "text:line-break" => c.text += 1,
                            _ => {}
                        }
                    }
                } else if name == "table:table" {
                    sheet = Some(OdsSheet {
                        name: attr(&e, "table:name")
                            .map(|v| v.into_owned())
                            .unwrap_or_default(),
                        ..OdsSheet::default()
                    });
                } else if name == "table:table-row" && sheet.is_some() {
                    let sheet = sheet.as_ref().map_or(0, |s| s.rows);
                    let asked = attr_number(&e, "table:number-rows-repeated").unwrap_or(1);
                    row = Some(OdsRow {
                        repeats: asked.min(ODS_MAX_ROWS.saturating_sub(sheet)),
                        ..OdsRow::default()
                    });
                } else if (name == "table:table-cell" || name == "table:covered-table-cell")
                    && row.is_some()
                {
                    cell = Some(ods_cell(&e));
                    cell_depth = 0;
                    annotation = 0;
                }
            }
            Event::End(e) => {
                let name = e.name();
                let name = name.as_ref();
                if cell.is_some() && cell_depth > 0 {
                    cell_depth -= 1;
                    annotation = annotation.saturating_sub(1);
                } else if let Some(c) = cell.take() {
                    if let Some(r) = row.as_mut() {
                        ods_add_cell(r, &c, sheet.as_mut());
                    }
                } else if name == "table:table-row" {
                    if let (Some(r), Some(s)) = (row.take(), sheet.as_mut()) {
                        ods_add_row(s, &r);
                        let needs = s
                            .grid_bytes()
                            .saturating_mul(2)
                            .max(s.grid_bytes().saturating_add(largest_grid))
                            .saturating_add(s.written_bytes().max(largest_written));
                        tally.check(needs, || s.describe())?;
                    }
                } else if name == "table:table"
                    && let Some(s) = sheet.take()
                {
                    let grid = s.grid_bytes();
                    largest_grid = largest_grid.max(grid);
                    largest_written = largest_written.max(s.written_bytes());
                    tally.keep(grid);
                    tally.check(largest_grid.saturating_add(largest_written), || {
                        s.describe()
                    })?;
                }
            }
            Event::Text(t) if annotation == 0 => {
                if let Some(c) = cell.as_mut().filter(|c| c.reads_content) {
                    c.text = c.text.saturating_add(t.len() as u64);
                }
            }
            Event::GeneralRef(_) if annotation == 0 => {
                if let Some(c) = cell.as_mut().filter(|c| c.reads_content) {
                    c.text += 4;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        tally.tick()?;
    }
    // What stays: every grid, plus the copy of the largest one that reading
    // a sheet makes.
    tally.keep(largest_grid);
    tally.check(0, || "its sheets, read whole,".to_owned())
}

/// A cell's attributes, as calamine's `get_datatype` reads them.
fn ods_cell(e: &BytesStart<'_>) -> OdsCell {
    let mut c = OdsCell {
        repeats: attr_number(e, "table:number-columns-repeated").unwrap_or(1),
        first_paragraph: true,
        ..OdsCell::default()
    };
    let mut is_string = false;
    let mut is_error = false;
    for a in e.attributes().with_checks(false).flatten() {
        let len = a.value.len() as u64;
        match a.key.as_ref() {
            "office:value" | "office:boolean-value" => c.has_value = true,
            "office:string-value" | "office:date-value" | "office:time-value" => {
                c.has_value = true;
                c.text = c.text.max(len);
            }
            "office:value-type" => is_string = a.value.as_ref() == "string",
            "calcext:value-type" => is_error = a.value.as_ref() == "error",
            "table:formula" => {
                c.has_formula = true;
                c.formula = len;
            }
            _ => {}
        }
    }
    if (!c.has_value && is_string) || is_error {
        c.reads_content = true;
        c.has_value = true;
    }
    c
}

/// calamine's `read_row`, counted: empty cells are pushed only when a
/// value follows them, and a row is at most 16,384 cells.
fn ods_add_cell(r: &mut OdsRow, c: &OdsCell, sheet: Option<&mut OdsSheet>) {
    let room = |pushed: u64| ODS_MAX_COLUMNS.saturating_sub(pushed);
    let empties = r.pending_empty.min(room(r.pushed));
    r.pushed += empties;
    r.pending_empty = 0;
    let repeats = c.repeats.min(room(r.pushed));
    if !c.has_value && !c.has_formula {
        r.pending_empty = repeats;
        return;
    }
    if repeats > 0 {
        r.first_value.get_or_insert(r.pushed);
        r.last_value = r.pushed + repeats - 1;
    }
    r.pushed += repeats;
    let per_cell = heap(c.text).saturating_add(heap(c.formula));
    r.heap = r.heap.saturating_add(repeats.saturating_mul(per_cell));
    if c.has_formula
        && let Some(s) = sheet
    {
        s.has_formula = true;
    }
}

fn ods_add_row(s: &mut OdsSheet, r: &OdsRow) {
    s.written_cells = s.written_cells.saturating_add(r.pushed);
    s.written_heap = s.written_heap.saturating_add(r.heap);
    let start = s.rows;
    s.rows = s.rows.saturating_add(r.repeats);
    let heap_start = s.heap_so_far;
    s.heap_so_far = s
        .heap_so_far
        .saturating_add(r.heap.saturating_mul(r.repeats));
    if let Some(first) = r.first_value {
        if s.first_row.is_none() {
            s.first_row = Some(start);
            s.heap_before_first = heap_start;
            s.first_col = first;
        }
        s.first_col = s.first_col.min(first);
        s.last_col = s.last_col.max(r.last_value);
        s.last_row_end = s.rows;
        s.heap_through_last = s.heap_so_far;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sizes_are_calamines() {
        assert_eq!(std::mem::size_of::<String>() as u64, STRING);
        assert_eq!(std::mem::size_of::<calamine::Data>() as u64, DATA);
        assert_eq!(
            std::mem::size_of::<calamine::Cell<calamine::Data>>() as u64,
            CELL
        );
        assert_eq!(
            std::mem::size_of::<calamine::Cell<String>>() as u64,
            FORMULA_CELL
        );
    }

    #[test]
    fn heap_blocks_round_up() {
        assert_eq!(heap(0), 0);
        assert_eq!(heap(1), 32);
        assert_eq!(heap(24), 32);
        assert_eq!(heap(25), 48);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn a_deadline_passes() {
        assert!(Deadline::NONE.check().is_ok());
        assert!(Deadline::after(Duration::from_secs(60)).check().is_ok());
        let past = Deadline::after(Duration::ZERO);
        assert!(matches!(past.check(), Err(ConvertError::TimedOut(_))));
    }

    #[test]
    fn a_long_run_without_a_tag_is_stopped() {
        let text = format!("<a>{}</a>", "x".repeat(100_000));
        let mut reader = RunLimit::new(text.as_bytes(), 50_000);
        let mut sink = Vec::new();
        assert!(reader.read_to_end(&mut sink).is_err());
        assert!(reader.hit);
        let mut reader = RunLimit::new(text.as_bytes(), 200_000);
        assert!(reader.read_to_end(&mut sink).is_ok());
    }
}

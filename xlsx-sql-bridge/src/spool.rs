//! The rows of a sheet, kept between reading the sheet and writing its
//! script, so that the sheet is read once.
//!
//! Before a table's first `INSERT` the script says how many rows it has and,
//! with `--create-table`, the types of its columns; and a column prints its
//! numbers as decimals (`3.0`) if any number in it, down to the last row, is
//! not whole. All of that depends on the sheet's last row. Rather than read
//! the sheet twice (once to learn it, once to write the statements), the
//! converter reads it once, learning the types while it keeps the rows here,
//! and then writes the script from the rows kept.
//!
//! The rows are kept as values, not as SQL: a column's style is decided only
//! at the end, and the statements are the same code's whether their rows
//! come from here or from the workbook. Each value is a tag and its bytes
//! (a text's bytes, a number's eight, a date's seven or so), so a row takes
//! about what its cells hold, far less than the workbook's XML or the script.
//!
//! A spool holds its first [`IN_MEMORY`] bytes in memory, so a small
//! workbook never touches the disk, and moves to an unnamed temporary file
//! beyond (the system deletes it when it is closed, even if the process
//! dies): memory stays the same whatever the sheet's length. Its size on
//! disk is bounded by [`crate::workbook::Limits::max_spool`]; a sheet whose
//! rows would take more (a hostile workbook can point a million cells at
//! one long shared string) is not kept, and is read a second time instead.

use crate::ConvertError;
use crate::sql::{DateTime, Time, Value};
use crate::workbook::RowVisitor;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

/// Bytes a spool keeps in memory before it moves to a file.
pub const IN_MEMORY: usize = 1 << 20;

/// Bytes gathered before each write to the file, and read back at a time.
const CHUNK: usize = 256 * 1024;

/// The rows of any number of sheets, one range of bytes each.
#[derive(Debug, Default)]
pub struct Spool {
    /// The bytes not yet in the file (all of them while there is none).
    pending: Vec<u8>,
    file: Option<File>,
    /// Bytes in the file.
    in_file: u64,
    /// One row, encoded, before its length is known.
    row: Vec<u8>,
}

// Value tags. Empty cells are never kept: a row lists its non-empty cells.
const INT: u8 = 0;
const FLOAT: u8 = 1;
const TEXT: u8 = 2;
const FALSE: u8 = 3;
const TRUE: u8 = 4;
const DATETIME: u8 = 5;
const TIME: u8 = 6;
const ERROR: u8 = 7;
const EMPTY: u8 = 8;

impl Spool {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes kept so far: where the next row begins.
    pub fn len(&self) -> u64 {
        self.in_file + self.pending.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keep one row: its 0-based index in the sheet and its non-empty cells
    /// as (0-based column, value).
    pub fn push(&mut self, row: u32, cells: &[(u32, Value<'_>)]) -> io::Result<()> {
        let out = &mut self.row;
        out.clear();
        put_varint(out, u64::from(row));
        put_varint(out, cells.len() as u64);
        for (col, value) in cells {
            put_varint(out, u64::from(*col));
            match value {
                // The reader leaves empty cells out; kept all the same.
                Value::Empty => out.push(EMPTY),
                Value::Int(i) => {
                    out.push(INT);
                    put_varint(out, zigzag(*i));
                }
                Value::Float(f) => {
                    out.push(FLOAT);
                    out.extend_from_slice(&f.to_le_bytes());
                }
                Value::Text(text) => put_text(out, TEXT, text),
                Value::Bool(false) => out.push(FALSE),
                Value::Bool(true) => out.push(TRUE),
                Value::DateTime(dt) => {
                    out.push(DATETIME);
                    put_varint(out, zigzag(i64::from(dt.year)));
                    out.extend_from_slice(&[dt.month, dt.day, dt.hour, dt.minute, dt.second]);
                }
                Value::Time(t) => {
                    out.push(TIME);
                    put_varint(out, zigzag(t.seconds));
                }
                Value::Error(reason) => put_text(out, ERROR, reason),
            }
        }
        put_varint(&mut self.pending, self.row.len() as u64);
        self.pending.extend_from_slice(&self.row);
        let limit = if self.file.is_some() {
            CHUNK
        } else {
            IN_MEMORY
        };
        if self.pending.len() >= limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Move the pending bytes to the file (made on first use).
    fn spill(&mut self) -> io::Result<()> {
        let first = self.file.is_none();
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        // Replaying moves the file's position.
        file.seek(SeekFrom::Start(self.in_file))?;
        file.write_all(&self.pending)?;
        self.in_file += self.pending.len() as u64;
        if first {
            // From now on it gathers a chunk at a time, not a mebibyte.
            self.pending = Vec::with_capacity(CHUNK + 4096);
        } else {
            self.pending.clear();
        }
        Ok(())
    }

    /// Forget everything from `at` on (a sheet that is not kept after all).
    pub fn truncate(&mut self, at: u64) -> io::Result<()> {
        if at >= self.in_file {
            self.pending.truncate((at - self.in_file) as usize);
            return Ok(());
        }
        self.pending.clear();
        if let Some(file) = &mut self.file {
            file.set_len(at)?;
        }
        self.in_file = at;
        Ok(())
    }

    /// Hand the rows kept in `range` (as [`Spool::len`] gave its ends) to
    /// `visit`, in order, as the workbook's reader would: row index and
    /// non-empty cells.
    pub fn replay(
        &mut self,
        range: Range<u64>,
        visit: &mut RowVisitor<'_>,
    ) -> Result<(), ConvertError> {
        if self.file.is_none() {
            let start = range.start as usize;
            let end = range.end as usize;
            let bytes = self.pending.get(start..end).ok_or_else(damaged)?;
            let used = replay_rows(bytes, visit)?;
            return if used == bytes.len() {
                Ok(())
            } else {
                Err(damaged())
            };
        }
        if !self.pending.is_empty() {
            self.spill()?;
        }
        let Some(file) = &mut self.file else {
            return Err(damaged());
        };
        file.seek(SeekFrom::Start(range.start))?;
        let mut left = range.end.saturating_sub(range.start);
        let mut buf = vec![0u8; CHUNK];
        // `buf[..filled]` holds bytes read and not yet decoded.
        let mut filled = 0;
        while left > 0 || filled > 0 {
            let room = (buf.len() - filled).min(usize::try_from(left).unwrap_or(usize::MAX));
            if room > 0 {
                file.read_exact(&mut buf[filled..filled + room])?;
                filled += room;
                left -= room as u64;
            }
            let used = replay_rows(&buf[..filled], visit)?;
            if used == 0 {
                if left == 0 {
                    return Err(damaged());
                }
                // A row longer than the buffer: room for it (its length
                // is a varint at the front).
                let need = match take_varint(&buf[..filled]) {
                    Some((len, at)) => at + usize::try_from(len).map_err(|_| damaged())?,
                    None => filled + 16,
                };
                buf.resize(need.max(buf.len() * 2), 0);
                continue;
            }
            buf.copy_within(used..filled, 0);
            filled -= used;
        }
        Ok(())
    }
}

fn damaged() -> ConvertError {
    ConvertError::Read("the rows kept while reading the sheet could not be read back".into())
}

/// Decode the whole rows at the start of `bytes`, handing each to `visit`;
/// returns the bytes used (a row cut at the end is left for the next call).
fn replay_rows(bytes: &[u8], visit: &mut RowVisitor<'_>) -> Result<usize, ConvertError> {
    let mut cells: Vec<(u32, Value<'_>)> = Vec::with_capacity(64);
    let mut at = 0;
    while let Some((len, skip)) = take_varint(&bytes[at..]) {
        let Some(row) = usize::try_from(len)
            .ok()
            .and_then(|len| bytes.get(at + skip..at + skip + len))
        else {
            break;
        };
        let index = decode_row(row, &mut cells).ok_or_else(damaged)?;
        visit(index, &cells)?;
        at += skip + row.len();
    }
    Ok(at)
}

/// One row's cells into `cells`; its index.
fn decode_row<'a>(mut bytes: &'a [u8], cells: &mut Vec<(u32, Value<'a>)>) -> Option<u32> {
    cells.clear();
    let row = u32::try_from(varint(&mut bytes)?).ok()?;
    let count = varint(&mut bytes)?;
    for _ in 0..count {
        let col = u32::try_from(varint(&mut bytes)?).ok()?;
        let (&tag, rest) = bytes.split_first()?;
        bytes = rest;
        let value = match tag {
            INT => Value::Int(unzigzag(varint(&mut bytes)?)),
            FLOAT => Value::Float(f64::from_le_bytes(take(&mut bytes, 8)?.try_into().ok()?)),
            TEXT => Value::Text(Cow::Borrowed(text(&mut bytes)?)),
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            DATETIME => {
                let year = i32::try_from(unzigzag(varint(&mut bytes)?)).ok()?;
                let b = take(&mut bytes, 5)?;
                Value::DateTime(DateTime {
                    year,
                    month: b[0],
                    day: b[1],
                    hour: b[2],
                    minute: b[3],
                    second: b[4],
                })
            }
            TIME => Value::Time(Time {
                seconds: unzigzag(varint(&mut bytes)?),
            }),
            ERROR => Value::Error(Cow::Borrowed(text(&mut bytes)?)),
            EMPTY => Value::Empty,
            _ => return None,
        };
        cells.push((col, value));
    }
    bytes.is_empty().then_some(row)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_text(out: &mut Vec<u8>, tag: u8, text: &str) {
    out.push(tag);
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// A varint at the start of `bytes`, and its length.
fn take_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7F) << (7 * i);
        if b < 0x80 {
            return Some((n, i + 1));
        }
    }
    None
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let (n, len) = take_varint(bytes)?;
    *bytes = &bytes[len..];
    Some(n)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Some(head)
}

fn text<'a>(bytes: &mut &'a [u8]) -> Option<&'a str> {
    let len = usize::try_from(varint(bytes)?).ok()?;
    std::str::from_utf8(take(bytes, len)?).ok()
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(u32, Vec<(u32, Value<'static>)>)> {
        let dt =
            DateTime::from_days(crate::sql::days_from_civil(2024, 2, 29), 3661).expect("a date");
        vec![
            (
                1,
                vec![
                    (0, Value::Int(i64::MIN)),
                    (9, Value::Empty),
                    (1, Value::Float(-0.0)),
                    (2, Value::Text(Cow::Borrowed("ação 'x'\n😀"))),
                    (16_383, Value::Bool(true)),
                ],
            ),
            (2, vec![]),
            (
                1_048_575,
                vec![
                    (3, Value::Bool(false)),
                    (4, Value::DateTime(dt)),
                    (5, Value::Time(Time { seconds: -90 })),
                    (6, Value::Error(Cow::Borrowed("#N/A"))),
                    (7, Value::Int(i64::MAX)),
                    (8, Value::Float(f64::MAX)),
                ],
            ),
        ]
    }

    fn replayed(spool: &mut Spool, range: Range<u64>) -> Vec<(u32, Vec<(u32, String)>)> {
        let mut seen = Vec::new();
        spool
            .replay(range, &mut |row, cells| {
                let cells = cells.iter().map(|(c, v)| (*c, format!("{v:?}"))).collect();
                seen.push((row, cells));
                Ok(())
            })
            .expect("replayed");
        seen
    }

    fn shown(rows: &[(u32, Vec<(u32, Value<'_>)>)]) -> Vec<(u32, Vec<(u32, String)>)> {
        rows.iter()
            .map(|(r, cells)| {
                (
                    *r,
                    cells.iter().map(|(c, v)| (*c, format!("{v:?}"))).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn rows_come_back_as_they_were_kept_in_memory() {
        let mut spool = Spool::new();
        for (row, cells) in rows() {
            spool.push(row, &cells).expect("kept");
        }
        assert!(spool.file.is_none());
        let end = spool.len();
        assert_eq!(replayed(&mut spool, 0..end), shown(&rows()));
    }

    #[test]
    fn rows_come_back_from_the_file_across_chunks_and_after_a_truncation() {
        let mut spool = Spool::new();
        let mut expected = Vec::new();
        let long = "y".repeat(3 * CHUNK);
        // Past the memory, with a row longer than a chunk among them.
        for i in 0..60_000u32 {
            let text = if i == 40_000 { long.as_str() } else { "abc" };
            let cells = vec![(0, Value::Int(i64::from(i))), (2, Value::Text(text.into()))];
            spool.push(i, &cells).expect("kept");
            expected.push((i, cells));
        }
        assert!(spool.file.is_some(), "moved to a file");
        let kept = spool.len();
        // A second sheet, dropped again.
        for i in 0..100_000u32 {
            spool.push(i, &[(1, Value::Bool(true))]).expect("kept");
        }
        spool.truncate(kept).expect("truncated");
        spool.push(7, &[(1, Value::Bool(false))]).expect("kept");
        let end = spool.len();
        assert_eq!(replayed(&mut spool, 0..kept), shown(&expected));
        assert_eq!(
            replayed(&mut spool, kept..end),
            shown(&[(7, vec![(1, Value::Bool(false))])])
        );
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let mut spool = Spool::new();
        spool.push(1, &[(0, Value::Int(1))]).expect("kept");
        spool.pending[2] = 9; // claims 9 cells
        let end = spool.len();
        assert!(spool.replay(0..end, &mut |_, _| Ok(())).is_err());
    }
}

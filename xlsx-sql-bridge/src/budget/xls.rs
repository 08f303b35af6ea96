//! `.xls`: the OLE container's sector chains, then the BIFF records of the
//! workbook stream, read as calamine reads them, counting what it keeps.
//!
//! calamine's `Xls::new` reads the whole workbook at once: the shared string
//! table, then every sheet's cells into a list (after reserving what the
//! sheet's `DIMENSIONS` record claims), turned into a dense grid from the
//! first to the last cell, with every shared string copied into each cell
//! that shows it, and every formula as text in a second grid. Before that,
//! its container reader follows sector chains without noticing a loop.
//! All of that is checked here first.

use super::{CELL, DATA, FORMULA_CELL, STRING, Tally, heap, thousands};
use crate::ConvertError;
use crate::workbook::Limits;
use std::io::{Read, Seek, SeekFrom};

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const DIFSECT: u32 = 0xFFFF_FFFC;
/// Sector numbers from here up are markers, not sectors.
const RESERVED: u32 = 0xFFFF_FFFA;
const HEADER: usize = 512;
const MINI_SECTOR: usize = 64;
const MINI_CUTOFF: u64 = 4096;

fn damaged(why: &str) -> ConvertError {
    ConvertError::Damaged(format!("its OLE container is malformed: {why}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The file's sectors, read on demand.
struct Sectors<'r, RS> {
    rs: &'r mut RS,
    size: usize,
    /// The number of sectors the file holds.
    count: u64,
}

impl<RS: Read + Seek> Sectors<'_, RS> {
    /// Sector `id` (short at the end of the file); `None` beyond it.
    fn read(&mut self, id: u32) -> Result<Option<Vec<u8>>, ConvertError> {
        if u64::from(id) > self.count {
            return Ok(None);
        }
        let at = (u64::from(id) + 1) * self.size as u64;
        let read = |rs: &mut RS| -> std::io::Result<Vec<u8>> {
            rs.seek(SeekFrom::Start(at))?;
            let mut sector = Vec::with_capacity(self.size);
            rs.take(self.size as u64).read_to_end(&mut sector)?;
            Ok(sector)
        };
        read(self.rs)
            .map(Some)
            .map_err(|e| ConvertError::Read(e.to_string()))
    }
}

/// Follow the chain from `start` through `fat`, collecting up to `len`
/// bytes of sectors read by `read`; a chain longer than `max_steps`
/// sectors loops.
fn chain(
    start: u32,
    fat: &[u32],
    len: u64,
    max_steps: u64,
    mut read: impl FnMut(u32) -> Result<Option<Vec<u8>>, ConvertError>,
) -> Result<Option<Vec<u8>>, ConvertError> {
    let mut out = Vec::new();
    let mut id = start;
    let mut steps = 0u64;
    while id != ENDOFCHAIN && (out.len() as u64) < len {
        steps += 1;
        if steps > max_steps {
            return Err(damaged("a sector chain loops"));
        }
        let Some(sector) = read(id)? else {
            // calamine reports the sector beyond the end itself.
            return Ok(None);
        };
        let take = sector.len().min((len - out.len() as u64) as usize);
        out.extend_from_slice(&sector[..take]);
        let Some(&next) = fat.get(id as usize) else {
            return Ok(None);
        };
        id = next;
    }
    Ok(Some(out))
}

/// The walk over a chain without keeping its bytes: only that it ends.
fn chain_ends(
    start: u32,
    fat: &[u32],
    len: u64,
    sector: u64,
    max_steps: u64,
) -> Result<(), ConvertError> {
    let mut id = start;
    let mut steps = 0u64;
    let mut got = 0u64;
    while id != ENDOFCHAIN && got < len {
        steps += 1;
        if steps > max_steps {
            return Err(damaged("a sector chain loops"));
        }
        got += sector;
        match fat.get(id as usize) {
            Some(&next) => id = next,
            None => return Ok(()),
        }
    }
    Ok(())
}

struct Entry {
    name: String,
    start: u32,
    len: u64,
}

/// Check what opening the `.xls` in `rs` would cost.
pub(crate) fn check_xls<RS: Read + Seek>(rs: &mut RS, limits: &Limits) -> Result<(), ConvertError> {
    let io = |e: std::io::Error| ConvertError::Read(e.to_string());
    let file_len = rs.seek(SeekFrom::End(0)).map_err(io)?;
    rs.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut header = vec![0u8; HEADER];
    if rs.read_exact(&mut header).is_err() {
        return Ok(()); // calamine says what is wrong
    }
    let size = match u16_at(&header, 30) {
        0x0009 => 512,
        0x000C => 4096,
        _ => return Ok(()),
    };
    if u16_at(&header, 32) != 6 {
        return Ok(());
    }
    let mut tally = Tally::new(limits);
    // calamine keeps every sector it reads: at most the file.
    tally.keep(file_len);
    let count = file_len / size as u64;
    let max_steps = count + 1;
    let mut sectors = Sectors { rs, size, count };

    // The FAT's sectors: 109 in the header, then a chain of DIFAT sectors
    // (the last entry of each names the next).
    let mut difat: Vec<u32> = (0..109).map(|i| u32_at(&header, 76 + 4 * i)).collect();
    let mut next = u32_at(&header, 68);
    let mut steps = 0u64;
    while next < RESERVED {
        steps += 1;
        if steps > max_steps {
            return Ok(()); // calamine stops here too
        }
        let Some(sector) = sectors.read(next)? else {
            return Ok(());
        };
        difat.extend((0..sector.len() / 4).map(|i| u32_at(&sector, 4 * i)));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
        tally.tick()?;
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|&id| id < DIFSECT).collect();
    // calamine reads each listed sector into one table, listed twice or
    // not: a file cannot need more FAT sectors than it has sectors.
    if fat_sectors.len() as u64 > max_steps {
        return Err(damaged("it lists more FAT sectors than the file holds"));
    }
    let mut fat: Vec<u32> = Vec::new();
    for id in fat_sectors {
        let Some(sector) = sectors.read(id)? else {
            return Ok(());
        };
        fat.extend((0..sector.len() / 4).map(|i| u32_at(&sector, 4 * i)));
        tally.tick()?;
    }
    tally.keep(fat.len() as u64 * 4);

    // The directory: calamine follows its chain to the end, however long.
    let Some(dir) = chain(u32_at(&header, 48), &fat, u64::MAX, max_steps, |id| {
        sectors.read(id)
    })?
    else {
        return Ok(());
    };
    let entries: Vec<Entry> = dir
        .chunks_exact(128)
        .map(|e| {
            let units: Vec<u16> = (0..32).map(|i| u16_at(e, 2 * i)).collect();
            let name = String::from_utf16_lossy(&units);
            let name = name.split('\0').next().unwrap_or_default().to_owned();
            let len = if size == 512 {
                u64::from(u32_at(e, 120))
            } else {
                u64::from(u32_at(e, 120)) | (u64::from(u32_at(e, 124)) << 32)
            };
            Entry {
                name,
                start: u32_at(e, 116),
                len,
            }
        })
        .collect();
    let Some(root) = entries.first() else {
        return Ok(());
    };

    // The mini stream (the root's chain) and its allocation table.
    let mini_fat_len = u64::from(u32_at(&header, 64));
    let (ministream, mini_fat) = if mini_fat_len > 0 {
        let Some(ministream) = chain(root.start, &fat, root.len, max_steps, |id| sectors.read(id))?
        else {
            return Ok(());
        };
        let Some(table) = chain(
            u32_at(&header, 60),
            &fat,
            mini_fat_len.saturating_mul(size as u64),
            max_steps,
            |id| sectors.read(id),
        )?
        else {
            return Ok(());
        };
        let mini_fat: Vec<u32> = (0..table.len() / 4)
            .map(|i| u32_at(&table, 4 * i))
            .collect();
        (ministream, mini_fat)
    } else {
        (Vec::new(), Vec::new())
    };
    tally.keep(ministream.len() as u64 + mini_fat.len() as u64 * 4);

    // Every stream's chain must end: calamine collects a stream until its
    // declared length, going round a loop as long as it takes.
    let mini_steps = (ministream.len() / MINI_SECTOR) as u64 + 1;
    for entry in entries.iter().skip(1) {
        if entry.len == 0 || entry.start >= RESERVED {
            continue;
        }
        if entry.len < MINI_CUTOFF {
            chain_ends(
                entry.start,
                &mini_fat,
                entry.len,
                MINI_SECTOR as u64,
                mini_steps.max(64),
            )?;
        } else {
            chain_ends(entry.start, &fat, entry.len, size as u64, max_steps)?;
        }
    }

    let Some(book) = ["Workbook", "Book"].iter().find_map(|wanted| {
        entries
            .iter()
            .skip(1)
            .find(|e| e.name.eq_ignore_ascii_case(wanted))
    }) else {
        return Ok(());
    };
    let stream = if book.len < MINI_CUTOFF {
        chain(book.start, &mini_fat, book.len, mini_steps.max(64), |id| {
            let at = id as usize * MINI_SECTOR;
            Ok(ministream
                .get(at..(at + MINI_SECTOR).min(ministream.len()))
                .map(<[u8]>::to_vec))
        })?
    } else {
        chain(book.start, &fat, book.len, max_steps, |id| sectors.read(id))?
    };
    let Some(stream) = stream else {
        return Ok(());
    };
    drop(fat);
    biff(&stream, &mut tally)
}

/// A BIFF record, with the `CONTINUE` records that follow it.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// The records from the start of `stream`, as calamine splits them; stops
/// (as calamine fails) at a record cut short.
fn records(mut stream: &[u8]) -> impl Iterator<Item = Record<'_>> {
    std::iter::from_fn(move || {
        if stream.len() < 4 {
            return None;
        }
        let typ = u16_at(stream, 0);
        let len = usize::from(u16_at(stream, 2));
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        let mut cont = Vec::new();
        while stream.len() > 4 && u16_at(stream, 0) == 0x003C {
            let len = usize::from(u16_at(stream, 2));
            let Some(more) = stream.get(4..4 + len) else {
                break;
            };
            cont.push(more);
            stream = &stream[4 + len..];
        }
        Some(Record { typ, data, cont })
    })
}

/// The strings of the SST record: each string's UTF-8 length at most (3
/// bytes a character), in order. calamine reads them until the record and
/// its continuations are used up.
fn sst_strings(r: &Record<'_>, tally: &mut Tally<'_>) -> Result<Vec<u32>, ConvertError> {
    let mut parts =
        std::iter::once(r.data.get(8..).unwrap_or_default()).chain(r.cont.iter().copied());
    let mut data: &[u8] = parts.next().unwrap_or_default();
    let mut lens: Vec<u32> = Vec::new();
    let mut heaps = 0u64;
    // Skip `n` bytes across continuations; false at the end.
    fn skip<'a>(
        data: &mut &'a [u8],
        parts: &mut impl Iterator<Item = &'a [u8]>,
        mut n: u64,
    ) -> bool {
        while n > 0 {
            if data.is_empty() {
                match parts.next() {
                    Some(next) => *data = next,
                    None => return false,
                }
                continue;
            }
            let step = (data.len() as u64).min(n) as usize;
            *data = &data[step..];
            n -= step as u64;
        }
        true
    }
    loop {
        if data.is_empty() {
            match parts.next() {
                Some(next) => {
                    data = next;
                    // An empty continuation is an empty string to calamine.
                    if data.is_empty() {
                        lens.push(0);
                        continue;
                    }
                }
                None => break,
            }
        }
        if data.len() < 3 {
            break;
        }
        let cch = u64::from(u16_at(data, 0));
        let flags = data[2];
        data = &data[3..];
        let mut high = flags & 1 != 0;
        let runs = if flags & 0x8 != 0 {
            let n = u64::from(u16_at(data, 0));
            data = data.get(2..).unwrap_or_default();
            n
        } else {
            0
        };
        let ext = if flags & 0x4 != 0 {
            let n = u64::from(u32_at(data, 0));
            data = data.get(4..).unwrap_or_default();
            n
        } else {
            0
        };
        // The characters, which may continue in the next record (which
        // then starts with its own high-byte flag).
        let mut left = cch;
        while left > 0 {
            let width = if high { 2 } else { 1 };
            let here = (data.len() as u64 / width).min(left);
            data = &data[(here * width) as usize..];
            left -= here;
            if left > 0 {
                match parts.next() {
                    Some(next) if !next.is_empty() => {
                        high = next[0] & 1 != 0;
                        data = &next[1..];
                    }
                    _ => break,
                }
            }
        }
        if left > 0 {
            break;
        }
        let utf8 = cch * 3;
        lens.push(utf8 as u32);
        heaps = heaps.saturating_add(heap(utf8));
        let needs = (lens.len() as u64)
            .next_power_of_two()
            .saturating_mul(STRING)
            .saturating_add(heaps)
            // and the lengths kept here
            .saturating_add(lens.capacity() as u64 * 4);
        tally.check(needs, || {
            format!("its {} shared strings", thousands(lens.len() as u64))
        })?;
        if !skip(&mut data, &mut parts, runs * 4 + ext) {
            break;
        }
        tally.tick()?;
    }
    tally.keep(
        (lens.len() as u64)
            .next_power_of_two()
            .saturating_mul(STRING)
            .saturating_add(heaps),
    );
    Ok(lens)
}

/// One sheet's cells as calamine collects them.
#[derive(Default)]
struct Sheet {
    name: String,
    cells: u64,
    heap: u64,
    reserved: u64,
    bbox: Option<(u32, u32, u32, u32)>,
    formulas: u64,
    formula_heap: u64,
    formula_bbox: Option<(u32, u32, u32, u32)>,
}

fn widen(bbox: &mut Option<(u32, u32, u32, u32)>, row: u32, col: u32) {
    *bbox = Some(match *bbox {
        None => (row, row, col, col),
        Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
    });
}

fn area(bbox: Option<(u32, u32, u32, u32)>) -> (u64, u64) {
    match bbox {
        None => (0, 0),
        Some((r0, r1, c0, c1)) => (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1),
    }
}

impl Sheet {
    /// The grids calamine builds from the cells, and keeps.
    fn grids(&self) -> u64 {
        let (rows, cols) = area(self.bbox);
        let (frows, fcols) = area(self.formula_bbox);
        rows.saturating_mul(cols)
            .saturating_mul(DATA)
            .saturating_add(self.heap)
            .saturating_add(frows.saturating_mul(fcols).saturating_mul(STRING))
            .saturating_add(self.formula_heap)
    }

    /// The value grid alone (what reading the sheet copies).
    fn values(&self) -> u64 {
        let (rows, cols) = area(self.bbox);
        rows.saturating_mul(cols)
            .saturating_mul(DATA)
            .saturating_add(self.heap)
    }

    /// The lists the grids are built from, while they are built.
    fn lists(&self) -> u64 {
        self.cells
            .max(self.reserved)
            .saturating_mul(CELL)
            .saturating_add(self.formulas.saturating_mul(FORMULA_CELL))
    }

    fn describe(&self) -> String {
        let (rows, cols) = area(self.bbox);
        if self.reserved > self.cells.max(rows.saturating_mul(cols)) {
            format!(
                "sheet {:?}, whose DIMENSIONS record claims {} cells (calamine reserves room for them first),",
                self.name,
                thousands(self.reserved)
            )
        } else {
            format!(
                "sheet {:?}, whose {} cells lie in a grid of {} rows × {} columns ({} cells),",
                self.name,
                thousands(self.cells),
                thousands(rows),
                thousands(cols),
                thousands(rows.saturating_mul(cols))
            )
        }
    }
}

/// The workbook stream: the globals, then each sheet.
fn biff(stream: &[u8], tally: &mut Tally<'_>) -> Result<(), ConvertError> {
    // The stream itself, held while it is parsed.
    tally.keep(stream.len() as u64);
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst: Vec<u32> = Vec::new();
    // The longest name a formula can print (a sheet's or a defined name's).
    let mut longest_name = 31u64;
    for r in records(stream) {
        match r.typ {
            0x0085 if r.data.len() >= 8 => {
                let pos = u32_at(r.data, 0) as usize;
                let cch = usize::from(r.data[6]);
                let name = r.data.get(8..8 + cch).unwrap_or_default();
                longest_name = longest_name.max(cch as u64 * 3);
                sheets.push((pos, String::from_utf8_lossy(name).into_owned()));
            }
            0x0018 if r.data.len() >= 4 => {
                longest_name = longest_name.max(u64::from(r.data[3]) * 3);
            }
            0x00FC => sst = sst_strings(&r, tally)?,
            0x000A => break,
            _ => {}
        }
        tally.tick()?;
    }
    let mut grids = 0u64;
    let mut largest_values = 0u64;
    for (pos, name) in sheets {
        let Some(at) = stream.get(pos..) else {
            continue;
        };
        let mut sheet = Sheet {
            name,
            ..Sheet::default()
        };
        let mut seen_bof = false;
        let mut depth = 0u32;
        let mut formula_at = (0u32, 0u32);
        let mut records_seen = 0u32;
        for r in records(at) {
            if depth > 0 {
                match r.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let d = r.data;
            let row = u32::from(u16_at(d, 0));
            let col = u32::from(u16_at(d, 2));
            fn cell(sheet: &mut Sheet, row: u32, col: u32, text: u64) {
                sheet.cells += 1;
                sheet.heap = sheet.heap.saturating_add(heap(text));
                widen(&mut sheet.bbox, row, col);
            }
            match r.typ {
                0x0809 => {
                    if seen_bof {
                        depth += 1;
                    } else {
                        seen_bof = true;
                    }
                }
                0x0200 => {
                    let (rf, rl, cf, cl) = match d.len() {
                        10 => (
                            u32::from(u16_at(d, 0)),
                            u32::from(u16_at(d, 2)),
                            u32::from(u16_at(d, 4)),
                            u32::from(u16_at(d, 6)),
                        ),
                        14 | 16 => (
                            u32_at(d, 0),
                            u32_at(d, 4),
                            u32::from(u16_at(d, 8)),
                            u32::from(u16_at(d, 10)),
                        ),
                        _ => continue,
                    };
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    let (start, end) = if rl >= 1 && cl >= 1 {
                        ((rf, cf), (rl - 1, cl - 1))
                    } else {
                        ((rf, cf), (rf, cf))
                    };
                    // As calamine computes it, wrapping as a release build does.
                    let rows = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
                    let cols = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
                    sheet.reserved = sheet.reserved.max(rows.saturating_mul(cols));
                }
                // Number, BoolErr, Rk
                0x0203 | 0x0205 | 0x027E => cell(&mut sheet, row, col, 0),
                // Label, RString: a string of `cch` characters
                0x0204 | 0x00D6 => cell(&mut sheet, row, col, u64::from(u16_at(d, 6)) * 3),
                // LabelSst: a copy of a shared string
                0x00FD if d.len() >= 10 => {
                    if let Some(&len) = sst.get(u32_at(d, 6) as usize) {
                        cell(&mut sheet, row, col, u64::from(len));
                    }
                }
                // MulRk: a run of numbers along a row
                0x00BD if d.len() >= 6 => {
                    let n = ((d.len() - 6) / 6) as u32;
                    for i in 0..n {
                        cell(&mut sheet, row, col.saturating_add(i), 0);
                    }
                }
                // A formula's string result, at the formula's cell
                0x0207 => cell(
                    &mut sheet,
                    formula_at.0,
                    formula_at.1,
                    u64::from(u16_at(d, 0)) * 3,
                ),
                0x0006 if d.len() >= 20 => {
                    formula_at = (row, col);
                    cell(&mut sheet, row, col, 0);
                    // The formula as text: each token prints at most a name
                    // and some punctuation.
                    let rgce = (d.len() - 20) as u64;
                    sheet.formulas += 1;
                    sheet.formula_heap = sheet
                        .formula_heap
                        .saturating_add(heap(100 + rgce.saturating_mul(8 + longest_name / 4)));
                    widen(&mut sheet.formula_bbox, row, col);
                }
                0x000A => break,
                _ => {}
            }
            records_seen += 1;
            if records_seen.is_multiple_of(1024) {
                let needs = sheet
                    .grids()
                    .saturating_add(sheet.lists())
                    .saturating_add(grids);
                tally.check(
                    needs.saturating_add(sheet.values().max(largest_values)),
                    || sheet.describe(),
                )?;
            }
            tally.tick()?;
        }
        let needs = sheet
            .grids()
            .saturating_add(sheet.lists())
            .saturating_add(grids)
            .saturating_add(sheet.values().max(largest_values));
        tally.check(needs, || sheet.describe())?;
        grids = grids.saturating_add(sheet.grids());
        largest_values = largest_values.max(sheet.values());
    }
    Ok(())
}

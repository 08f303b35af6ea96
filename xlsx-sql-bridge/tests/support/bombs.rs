//! Hostile workbooks: small files that describe far more than they hold.
//!
//! They are built here, in memory, in milliseconds: a zip archive written by
//! hand whose entries are deflate streams written by hand too (fixed Huffman
//! codes, with back-references that repeat a unit as many times as asked),
//! and an OLE container written by hand around BIFF8 records. So a 10-million
//! string table costs a few hundred kilobytes and no time to make, and its
//! compression ratio is what the attacker wants it to be (about 160:1, under
//! the converter's zip-bomb limit of 200:1).

// ---------------------------------------------------------------------------
// CRC-32 (the zip checksum), with zlib's `crc32_combine` so that the
// checksum of a unit repeated ten million times costs a few microseconds
// ---------------------------------------------------------------------------

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn gf2_times(mat: &[u32; 32], mut vec: u32) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(mat: &[u32; 32]) -> [u32; 32] {
    let mut square = [0u32; 32];
    for (n, row) in square.iter_mut().enumerate() {
        *row = gf2_times(mat, mat[n]);
    }
    square
}

/// The CRC of `A` then `B`, from the CRC of each and the length of `B`.
fn crc32_combine(mut crc1: u32, crc2: u32, mut len2: u64) -> u32 {
    if len2 == 0 {
        return crc1;
    }
    let mut odd = [0u32; 32];
    odd[0] = 0xEDB8_8320;
    let mut row = 1;
    for entry in odd.iter_mut().skip(1) {
        *entry = row;
        row <<= 1;
    }
    let mut even = gf2_square(&odd);
    odd = gf2_square(&even);
    loop {
        even = gf2_square(&odd);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        odd = gf2_square(&even);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

/// The CRC of `unit` repeated `times` times.
pub fn crc32_repeated(unit: &[u8], times: u64) -> u32 {
    let (mut result, mut result_len) = (0u32, 0u64);
    let (mut power, mut power_len) = (crc32(unit), unit.len() as u64);
    let mut n = times;
    while n > 0 {
        if n & 1 != 0 {
            result = crc32_combine(result, power, power_len);
            result_len += power_len;
        }
        power = crc32_combine(power, power, power_len);
        power_len *= 2;
        n >>= 1;
    }
    let _ = result_len;
    result
}

// ---------------------------------------------------------------------------
// Deflate with the fixed Huffman codes of RFC 1951
// ---------------------------------------------------------------------------

/// A part of an entry's content.
pub enum Piece<'a> {
    Bytes(&'a [u8]),
    /// `unit` written `times` times (a unit of at most 258 bytes).
    Repeat(&'a [u8], u64),
}

struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        let reversed = code.reverse_bits() >> (32 - bits);
        self.put(reversed, bits);
    }

    fn symbol(&mut self, s: u32) {
        match s {
            0..=143 => self.code(0x30 + s, 8),
            144..=255 => self.code(0x190 + s - 144, 9),
            256..=279 => self.code(s - 256, 7),
            _ => self.code(0xC0 + s - 280, 8),
        }
    }

    fn length(&mut self, len: u32) {
        const BASE: [u32; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const EXTRA: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        let i = BASE
            .iter()
            .rposition(|&b| b <= len)
            .expect("a length of 3 to 258");
        self.symbol(257 + i as u32);
        if EXTRA[i] > 0 {
            self.put(len - BASE[i], EXTRA[i]);
        }
    }

    fn distance(&mut self, dist: u32) {
        const BASE: [u32; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        let i = BASE.iter().rposition(|&b| b <= dist).expect("a distance");
        self.code(i as u32, 5);
        let extra = if i < 4 { 0 } else { (i as u32 - 2) / 2 };
        if extra > 0 {
            self.put(dist - BASE[i], extra);
        }
    }
}

/// `pieces` deflated (one fixed-Huffman block), with the content's CRC-32
/// and length.
fn deflate(pieces: &[Piece<'_>]) -> (Vec<u8>, u32, u64) {
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed Huffman codes
    let mut crc = 0u32;
    let mut size = 0u64;
    for piece in pieces {
        match *piece {
            Piece::Bytes(bytes) => {
                for &b in bytes {
                    bits.symbol(u32::from(b));
                }
                crc = crc32_combine(crc, crc32(bytes), bytes.len() as u64);
                size += bytes.len() as u64;
            }
            Piece::Repeat(unit, times) => {
                if times == 0 {
                    continue;
                }
                assert!(unit.len() <= 258, "a unit of at most 258 bytes");
                for &b in unit {
                    bits.symbol(u32::from(b));
                }
                // The rest copies the bytes `unit.len()` back, over and over.
                let mut left = (times - 1) * unit.len() as u64;
                while left > 0 {
                    let len = left.min(258) as u32;
                    if len < 3 {
                        let done = (times * unit.len() as u64 - left) as usize;
                        for i in 0..len as usize {
                            bits.symbol(u32::from(unit[(done + i) % unit.len()]));
                        }
                    } else {
                        bits.length(len);
                        bits.distance(unit.len() as u32);
                    }
                    left -= u64::from(len);
                }
                let total = times * unit.len() as u64;
                crc = crc32_combine(crc, crc32_repeated(unit, times), total);
                size += total;
            }
        }
    }
    bits.symbol(256);
    bits.put(0, 7); // flush the last byte
    (bits.out, crc, size)
}

/// A zip archive of `entries` (name, content), each deflated.
pub fn zip_archive(entries: &[(&str, Vec<Piece<'_>>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, pieces) in entries {
        let (data, crc, size) = deflate(pieces);
        let offset = out.len() as u32;
        let size = u32::try_from(size).expect("under 4 GiB");
        let packed = data.len() as u32;
        let head = |sig: u32| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            h
        };
        let mut local = head(0x0403_4b50);
        local.extend_from_slice(&20u16.to_le_bytes()); // version needed
        local.extend_from_slice(&0u16.to_le_bytes()); // flags
        local.extend_from_slice(&8u16.to_le_bytes()); // deflate
        local.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&packed.to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes()); // extra
        local.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&local);
        out.extend_from_slice(&data);

        let mut central = head(0x0201_4b50);
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&local[4..30]); // the same fields
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        directory.extend_from_slice(&central);
    }
    let at = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // disks
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------
// .xlsx
// ---------------------------------------------------------------------------

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Strings" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>"#;

/// An `.xlsx` whose shared string table holds `strings` one-letter strings
/// and says (`count`, `uniqueCount`) it holds `declared`; its one sheet
/// shows the first two. 10 million strings: 170 MB of XML in a 1.1 MB file.
pub fn shared_strings_xlsx(strings: u64, declared: u64) -> Vec<u8> {
    let head = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{declared}" uniqueCount="{declared}">"#
    );
    zip_archive(&[
        (
            "[Content_Types].xml",
            vec![Piece::Bytes(CONTENT_TYPES.as_bytes())],
        ),
        ("_rels/.rels", vec![Piece::Bytes(ROOT_RELS.as_bytes())]),
        ("xl/workbook.xml", vec![Piece::Bytes(WORKBOOK.as_bytes())]),
        (
            "xl/_rels/workbook.xml.rels",
            vec![Piece::Bytes(WORKBOOK_RELS.as_bytes())],
        ),
        (
            "xl/worksheets/sheet1.xml",
            vec![Piece::Bytes(SHEET.as_bytes())],
        ),
        (
            "xl/sharedStrings.xml",
            vec![
                Piece::Bytes(head.as_bytes()),
                Piece::Repeat(b"<si><t>a</t></si>", strings),
                Piece::Bytes(b"</sst>"),
            ],
        ),
    ])
}

/// The compression ratio of the largest entry of a zip archive.
pub fn largest_ratio(zip_bytes: &[u8]) -> u64 {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a zip archive");
    (0..archive.len())
        .map(|i| {
            let entry = archive.by_index_raw(i).expect("an entry");
            entry.size() / entry.compressed_size().max(1)
        })
        .max()
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// .ods
// ---------------------------------------------------------------------------

const ODS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Repeated">"#;
const ODS_TAIL: &str =
    "</table:table></office:spreadsheet></office:body></office:document-content>";

/// An `.ods` whose one table holds `rows` (the XML of its rows).
pub fn ods_with_rows(rows: &str) -> Vec<u8> {
    super::fixtures::ods_archive(&format!("{ODS_HEAD}{rows}{ODS_TAIL}"))
}

/// An `.ods` of under a kilobyte whose one row of `cols` repeated numbers
/// is repeated `rows` times: `rows × cols` cells once expanded.
pub fn repeated_ods(rows: u64, cols: u64) -> Vec<u8> {
    ods_with_rows(&format!(
        r#"<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="{cols}"><text:p>1</text:p></table:table-cell></table:table-row>"#
    ))
}

/// An `.ods` with a header and one cell whose text is `a`, `spaces` spaces
/// (written as one `<text:s text:c="..."/>`), and `b`.
pub fn spaces_ods(spaces: u64) -> Vec<u8> {
    ods_with_rows(&format!(
        r#"<table:table-row><table:table-cell office:value-type="string" office:string-value="texto"><text:p>texto</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="{spaces}"/>b</text:p></table:table-cell></table:table-row>"#
    ))
}

/// A legitimate `.ods` whose script is large and whose file is tiny: a header
/// of `cols` long column names, then `rows` rows of numbers (one row,
/// repeated). Every `INSERT` repeats the names: about 4.3 KB a row at 64
/// columns.
pub fn long_script_ods(rows: u64, cols: u64) -> Vec<u8> {
    let mut xml = String::from("<table:table-row>");
    for c in 0..cols {
        xml.push_str(&format!(
            r#"<table:table-cell office:value-type="string" office:string-value="a_column_with_a_long_and_descriptive_name_for_the_script_{c:04}"><text:p>x</text:p></table:table-cell>"#
        ));
    }
    xml.push_str("</table:table-row>");
    xml.push_str(&format!(
        r#"<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="float" office:value="7" table:number-columns-repeated="{cols}"><text:p>7</text:p></table:table-cell></table:table-row>"#
    ));
    ods_with_rows(&xml)
}

// ---------------------------------------------------------------------------
// .xls: BIFF8 records in an OLE compound file, by hand
// ---------------------------------------------------------------------------

fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body);
}

fn bof(dt: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x0600u16.to_le_bytes()); // BIFF8
    body.extend_from_slice(&dt.to_le_bytes());
    body.extend_from_slice(&[0u8; 12]);
    body
}

fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&row.to_le_bytes());
    body.extend_from_slice(&col.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes()); // no format
    body.extend_from_slice(&value.to_le_bytes());
    body
}

/// A workbook stream: the globals (one sheet, "Plan1"), then the sheet:
/// a `DIMENSIONS` record saying (`rows`, `cols`) and numbers at `cells`.
fn workbook_stream(dims: (u32, u16), cells: &[(u16, u16)]) -> Vec<u8> {
    let name = b"Plan1";
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    let boundsheet_at = globals.len();
    let mut boundsheet = vec![0u8; 4]; // the sheet's position, set below
    boundsheet.extend_from_slice(&[0, 0, name.len() as u8, 0]);
    boundsheet.extend_from_slice(name);
    record(&mut globals, 0x0085, &boundsheet);
    record(&mut globals, 0x000A, &[]);
    let sheet_at = globals.len() as u32;
    globals[boundsheet_at + 4..boundsheet_at + 8].copy_from_slice(&sheet_at.to_le_bytes());

    let mut sheet = Vec::new();
    record(&mut sheet, 0x0809, &bof(0x0010));
    let mut dimensions = Vec::new();
    dimensions.extend_from_slice(&0u32.to_le_bytes());
    dimensions.extend_from_slice(&dims.0.to_le_bytes());
    dimensions.extend_from_slice(&0u16.to_le_bytes());
    dimensions.extend_from_slice(&dims.1.to_le_bytes());
    dimensions.extend_from_slice(&0u16.to_le_bytes());
    record(&mut sheet, 0x0200, &dimensions);
    for (i, &(row, col)) in cells.iter().enumerate() {
        record(&mut sheet, 0x0203, &number(row, col, i as f64));
    }
    record(&mut sheet, 0x000A, &[]);
    let mut stream = globals;
    stream.extend_from_slice(&sheet);
    stream
}

/// At least 4096 bytes, so that the stream lives in ordinary sectors (what
/// follows the sheet's EOF is never read).
fn padded(mut stream: Vec<u8>) -> Vec<u8> {
    stream.resize(stream.len().max(4096).next_multiple_of(512), 0);
    stream
}

const FREE: u32 = 0xFFFF_FFFF;
const END: u32 = 0xFFFF_FFFE;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;

/// An OLE compound file (version 3, 512-byte sectors) holding `stream` as
/// "Workbook": sector 0 is the FAT, 1 the directory, 2.. the stream. With
/// `loop_at_end`, the stream's last sector points back to its first and
/// the directory claims `declared` bytes.
fn ole(stream: &[u8], loop_at_end: bool, declared: u32) -> Vec<u8> {
    let sectors = stream.len() / 512;
    assert!(sectors + 2 <= 128, "one FAT sector is enough");
    let mut fat = vec![FREE; 128];
    fat[0] = FAT_SECTOR;
    fat[1] = END;
    for i in 0..sectors {
        fat[2 + i] = if i + 1 < sectors { (3 + i) as u32 } else { END };
    }
    if loop_at_end {
        fat[1 + sectors] = 2;
    }
    let mut header = Vec::with_capacity(512);
    header.extend_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header.extend_from_slice(&[0u8; 16]); // class id
    header.extend_from_slice(&0x003Eu16.to_le_bytes());
    header.extend_from_slice(&3u16.to_le_bytes());
    header.extend_from_slice(&0xFFFEu16.to_le_bytes());
    header.extend_from_slice(&9u16.to_le_bytes()); // 512-byte sectors
    header.extend_from_slice(&6u16.to_le_bytes()); // 64-byte mini sectors
    header.extend_from_slice(&[0u8; 6]);
    header.extend_from_slice(&0u32.to_le_bytes()); // directory sectors (v3: 0)
    header.extend_from_slice(&1u32.to_le_bytes()); // FAT sectors
    header.extend_from_slice(&1u32.to_le_bytes()); // first directory sector
    header.extend_from_slice(&0u32.to_le_bytes()); // transaction
    header.extend_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
    header.extend_from_slice(&END.to_le_bytes()); // first mini FAT sector
    header.extend_from_slice(&0u32.to_le_bytes()); // mini FAT sectors
    header.extend_from_slice(&END.to_le_bytes()); // first DIFAT sector
    header.extend_from_slice(&0u32.to_le_bytes()); // DIFAT sectors
    header.extend_from_slice(&0u32.to_le_bytes()); // the FAT is sector 0
    while header.len() < 512 {
        header.extend_from_slice(&FREE.to_le_bytes());
    }

    let entry = |name: &str, typ: u8, child: u32, start: u32, size: u32| {
        let mut e = vec![0u8; 128];
        let units: Vec<u16> = name.encode_utf16().chain([0]).collect();
        for (i, u) in units.iter().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[64..66].copy_from_slice(&((units.len() * 2) as u16).to_le_bytes());
        e[66] = typ;
        e[67] = 1; // black
        e[68..72].copy_from_slice(&FREE.to_le_bytes());
        e[72..76].copy_from_slice(&FREE.to_le_bytes());
        e[76..80].copy_from_slice(&child.to_le_bytes());
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&size.to_le_bytes());
        e
    };
    let mut directory = Vec::new();
    directory.extend(entry("Root Entry", 5, 1, END, 0));
    directory.extend(entry("Workbook", 2, FREE, 2, declared));
    directory.extend(vec![0u8; 256]);
    for unused in directory[256..].chunks_mut(128) {
        unused[68..80].copy_from_slice(&[0xFF; 12]);
    }

    let mut file = header;
    for v in fat {
        file.extend_from_slice(&v.to_le_bytes());
    }
    file.extend_from_slice(&directory);
    file.extend_from_slice(stream);
    file
}

/// An `.xls` of two numbers, at the first and the last position of a
/// `rows × cols` grid, which calamine builds whole.
pub fn sparse_xls(rows: u16, cols: u16) -> Vec<u8> {
    let stream = padded(workbook_stream(
        (u32::from(rows), cols),
        &[(0, 0), (rows - 1, cols - 1)],
    ));
    ole(&stream, false, stream.len() as u32)
}

/// An `.xls` of one number whose `DIMENSIONS` record claims `rows` × 256
/// cells (calamine reserves room for them first).
pub fn claiming_xls(rows: u32) -> Vec<u8> {
    let stream = padded(workbook_stream((rows, 256), &[(0, 0)]));
    ole(&stream, false, stream.len() as u32)
}

/// A small valid `.xls`, whose workbook stream's sector chain loops back
/// to its start and whose directory claims `declared` bytes.
pub fn looping_xls(declared: u32) -> Vec<u8> {
    let stream = padded(workbook_stream((1, 1), &[(0, 0)]));
    ole(&stream, true, declared)
}

/// A small valid `.xls` (for checking the hand-made container itself).
pub fn small_xls() -> Vec<u8> {
    let stream = padded(workbook_stream((2, 2), &[(0, 0), (1, 1)]));
    ole(&stream, false, stream.len() as u32)
}

/// A small valid `.xls` whose workbook stream, under 4096 bytes, lives in
/// the mini stream: sector 0 is the FAT, 1 the directory, 2 the mini FAT,
/// 3.. the mini stream (64-byte mini sectors).
pub fn mini_xls() -> Vec<u8> {
    let stream = workbook_stream((2, 2), &[(0, 0), (1, 1)]);
    let mut ministream = stream.clone();
    ministream.resize(stream.len().next_multiple_of(512), 0);
    let minis = stream.len().div_ceil(64);
    let sectors = ministream.len() / 512;
    let mut file = ole(&ministream, false, ministream.len() as u32);
    // Rewrite the container around the same bytes: the "Workbook" entry
    // becomes the root's mini stream, a mini FAT sector comes before it.
    let mut fat = vec![FREE; 128];
    fat[0] = FAT_SECTOR;
    fat[1] = END;
    fat[2] = END;
    for i in 0..sectors {
        fat[3 + i] = if i + 1 < sectors { (4 + i) as u32 } else { END };
    }
    let mut mini_fat = vec![FREE; 128];
    for (i, entry) in mini_fat.iter_mut().enumerate().take(minis) {
        *entry = if i + 1 < minis { (i + 1) as u32 } else { END };
    }
    let header = &mut file[..512];
    header[60..64].copy_from_slice(&2u32.to_le_bytes()); // first mini FAT sector
    header[64..68].copy_from_slice(&1u32.to_le_bytes()); // one of them
    let mut out = file[..512].to_vec();
    for v in fat {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let mut directory = file[1024..1536].to_vec();
    // Root: the mini stream's container, from sector 3.
    directory[116..120].copy_from_slice(&3u32.to_le_bytes());
    directory[120..124].copy_from_slice(&(ministream.len() as u32).to_le_bytes());
    // Workbook: mini sector 0, its real length.
    directory[128 + 116..128 + 120].copy_from_slice(&0u32.to_le_bytes());
    directory[128 + 120..128 + 124].copy_from_slice(&(stream.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory);
    for v in mini_fat {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&ministream);
    out
}

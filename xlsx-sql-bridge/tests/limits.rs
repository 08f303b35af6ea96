//! Limits and bad files: each gets a clear status and message, and the
//! services keep serving.

mod support;

use support::{Bridge, fixtures, post};

const FIFTY_MB: usize = 50 * 1024 * 1024;

#[test]
fn an_upload_over_50_mb_is_413_with_a_message() {
    let mut bridge = Bridge::start(&[]);
    let answer = bridge.upload("grande.xlsx", &vec![0u8; FIFTY_MB + 1], &[]);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.error().contains("limit"), "{}", answer.error());
    bridge.assert_still_converts();
}

#[test]
fn an_upload_of_exactly_50_mb_is_not_refused_for_its_size() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("zeros.xlsx", &vec![0u8; FIFTY_MB], &[]);
    // Not a workbook, but within the limit.
    assert_eq!(answer.status, 422, "{}", answer.body);
}

#[test]
fn the_converter_has_the_same_limit() {
    let bridge = Bridge::start(&[]);
    let answer = post(
        &format!("{}/uploads", bridge.converter_url()),
        "application/octet-stream",
        vec![0u8; FIFTY_MB + 1],
    );
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.error().contains("limit"), "{}", answer.error());
}

#[test]
fn the_limit_is_configurable() {
    let bridge = Bridge::start(&["--max-upload", "1000"]);
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 413, "{}", answer.body);
}

#[test]
fn a_text_file_renamed_xlsx_is_422_naming_plain_text() {
    let mut bridge = Bridge::start(&[]);
    let answer = bridge.upload("notas.xlsx", b"nome,idade\nAna,31\n", &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    let error = answer.error();
    assert!(
        error.contains("not a workbook") && error.contains("plain text"),
        "{error}"
    );
    bridge.assert_still_converts();
}

#[test]
fn a_zip_bomb_is_422_naming_a_zip_bomb() {
    let mut bridge = Bridge::start(&[]);
    let answer = bridge.upload("bomba.xlsx", &fixtures::zip_bomb(), &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.error().contains("zip bomb"), "{}", answer.error());
    bridge.assert_still_converts();
}

#[test]
fn a_truncated_workbook_is_422_naming_the_damage() {
    let mut bridge = Bridge::start(&[]);
    let whole = fixtures::animals();
    let answer = bridge.upload("animals.xlsx", &whole[..whole.len() * 2 / 3], &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.error().contains("truncated"), "{}", answer.error());
    bridge.assert_still_converts();
}

#[test]
fn a_zip_that_holds_no_workbook_is_422() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("fotos.xlsx", &fixtures::zip_of_zeros("foto.jpg", 1000), &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer.error().contains("zip archive without a workbook"),
        "{}",
        answer.error()
    );
}

#[test]
fn a_workbook_with_a_damaged_sheet_is_422() {
    let mut bridge = Bridge::start(&[]);
    // A real workbook whose sheet XML is cut in the middle of a cell.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut original =
        zip::ZipArchive::new(std::io::Cursor::new(fixtures::animals())).expect("a zip");
    for i in 0..original.len() {
        let mut entry = original.by_index(i).expect("an entry");
        let name = entry.name().expect("a name").into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read");
        if name.ends_with("sheet1.xml") {
            bytes.truncate(bytes.len() / 2);
        }
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("an entry");
        std::io::Write::write_all(&mut zip, &bytes).expect("write");
    }
    let damaged = zip.finish().expect("a zip").into_inner();
    let answer = bridge.upload("animals.xlsx", &damaged, &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.error().contains("damaged"), "{}", answer.error());
    bridge.assert_still_converts();
}

#[test]
fn an_empty_file_is_422() {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("vazio.xlsx", b"", &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.error().contains("empty"), "{}", answer.error());
}

#[test]
fn a_form_without_a_file_is_400() {
    let bridge = Bridge::start(&[]);
    let form = reqwest::blocking::multipart::Form::new().text("batch", "1");
    let response = support::http()
        .post(format!("{}/upload", bridge.front_url()))
        .multipart(form)
        .send()
        .expect("POST /upload");
    assert_eq!(response.status().as_u16(), 400);
}

/// The workbooks damaged by the tests below: the paper's `.xlsx` and a small
/// `.xlsb`, with the name each is uploaded under.
fn damageable() -> [(&'static str, Vec<u8>); 2] {
    [
        ("ruido.xlsx", fixtures::animals()),
        ("ruido.xlsb", fixtures::xlsb(&[fixtures::small_sheet()])),
    ]
}

/// `bytes` with 16 bytes from `at` scrambled (fewer at the end).
fn scrambled(bytes: &[u8], at: u64) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = usize::try_from(at).expect("an offset");
    for b in &mut out[at..(at + 16).min(bytes.len())] {
        *b ^= 0x5A;
    }
    out
}

#[test]
fn a_workbook_with_any_part_damaged_is_422_naming_the_part() {
    let mut bridge = Bridge::start(&[]);
    for (file_name, book) in damageable() {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&book)).expect("a zip");
        for i in 0..zip.len() {
            // The middle of the part's compressed bytes, whatever the part:
            // the sheets, the shared strings, and those the reader never
            // opens (the theme, the document properties) alike.
            let (part, middle) = {
                let entry = zip.by_index_raw(i).expect("an entry");
                let start = entry.data_start().expect("its data's offset");
                (
                    entry.name().expect("a name").into_owned(),
                    start + entry.compressed_size() / 2,
                )
            };
            let answer = bridge.upload(file_name, &scrambled(&book, middle), &[]);
            assert_eq!(answer.status, 422, "{file_name}, {part}: {}", answer.body);
            let error = answer.error();
            assert!(
                error.starts_with("the workbook is truncated or damaged: ")
                    && error.contains(&part),
                "{file_name}, {part}: {error}"
            );
        }
    }
    bridge.assert_still_converts();
}

#[test]
fn a_workbook_with_a_damaged_directory_is_422() {
    let mut bridge = Bridge::start(&[]);
    for (file_name, book) in damageable() {
        let directory = zip::ZipArchive::new(std::io::Cursor::new(&book))
            .expect("a zip")
            .central_directory_start();
        let answer = bridge.upload(file_name, &scrambled(&book, directory), &[]);
        assert_eq!(answer.status, 422, "{file_name}: {}", answer.body);
        assert!(
            answer
                .error()
                .starts_with("the workbook is truncated or damaged: "),
            "{file_name}: {}",
            answer.error()
        );
    }
    bridge.assert_still_converts();
}
